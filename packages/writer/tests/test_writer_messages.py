"""The writer's messages go through the ``lab_workbook_writer`` logger: one stderr line by default, routable."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(setup: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter (logging not yet set up) that runs ``setup`` and then has the writer say something."""
    code = (
        "import logging, sys\n"
        + textwrap.dedent(setup)
        + "\nfrom lab_workbook_writer._notices import warn\nwarn('the store fails')\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)


def test_by_default_a_message_is_one_prefixed_line_on_stderr_and_the_root_logger_is_untouched():
    done = _run("")
    assert done.stderr == "lab-workbook: the store fails\n" and done.stdout == ""
    check = _run("import atexit\natexit.register(lambda: print(len(logging.getLogger().handlers)))")
    assert check.stdout.strip() == "0"


def test_a_handler_added_to_the_writer_logger_gets_the_messages_instead_of_stderr():
    done = _run(
        """
        class Out(logging.Handler):
            def emit(self, record):
                print("routed:", record.levelname, record.getMessage())
        logging.getLogger("lab_workbook_writer").addHandler(Out())
        """
    )
    assert done.stdout == "routed: WARNING the store fails\n" and done.stderr == ""


def test_raising_the_writer_logger_level_silences_the_messages():
    done = _run("logging.getLogger('lab_workbook_writer').setLevel(logging.ERROR)")
    assert done.stderr == ""


def test_a_handler_added_for_a_while_and_removed_again_leaves_the_stderr_line_as_it_was():
    done = _run(
        """
        from lab_workbook_writer._notices import warn
        class Out(logging.Handler):
            def emit(self, record):
                print("routed:", record.getMessage())
        out = Out()
        logging.getLogger("lab_workbook_writer").addHandler(out)
        warn("while routed")
        logging.getLogger("lab_workbook_writer").removeHandler(out)
        """
    )
    assert done.stdout == "routed: while routed\n"
    assert done.stderr == "lab-workbook: the store fails\n"
