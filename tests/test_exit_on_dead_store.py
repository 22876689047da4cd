"""A training script on a store that stops answering still exits within the documented bound.

``docs/reliability.md`` (Timeouts) promises: after the script's last line the interpreter exits within
``close_timeout`` for the final record plus at most 5 s for the upload threads to stop, and what could not
be sent stays in the spool for ``lab-workbook sync``. A real child process is used, because the bound is
about interpreter exit (atexit hooks, non-daemon threads), which a ``close()`` call in the test cannot show.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from lab_workbook_writer import pending_uploads, sync
from test_store_quirks import _record, _rows

CLOSE_TIMEOUT = 2.0
# close_timeout + 5 s of upload-thread shutdown (documented) + room for a loaded 2-core CI machine.
EXIT_BOUND = CLOSE_TIMEOUT + 5 + 10

SCRIPT = textwrap.dedent(
    """
    import sys
    from lab_workbook_writer import new_experiment

    wb = new_experiment(sys.argv[1], close_timeout=float(sys.argv[2]))
    log = wb.new_time_series_log("loss", ["step", "loss"], save_every=10)
    for step in range(200):
        log(step=step, loss=1.0 / (step + 1))
    print("TAG", wb.tag, flush=True)
    sys.stdin.readline()  # the test black-holes the store, then lets the script end
    for step in range(200, 250):
        log(step=step, loss=1.0 / (step + 1))
    print("last line", flush=True)
    """
)


def test_a_script_exits_within_the_bound_when_the_store_stops_answering(fault_proxy, quirk_prefix, s3_server):
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, quirk_prefix, str(CLOSE_TIMEOUT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        while child.poll() is None and not line.startswith("TAG "):
            line = child.stdout.readline()
        assert line.startswith("TAG "), child.stderr.read()
        tag = line.split()[1]
        fault_proxy.faults.blackhole = True
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "last line"
        last_line = time.monotonic()
        _, stderr = child.communicate(timeout=120)
        took = time.monotonic() - last_line
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    fault_proxy.reset()
    assert child.returncode == 0, stderr
    assert took < EXIT_BOUND, f"exit took {took:.1f} s after the last line (bound {EXIT_BOUND} s)"
    assert "lab-workbook sync" in stderr  # the loss of contact is reported, with what to do
    # Nothing is lost: the spool holds what the store never acknowledged, and sync sends it.
    assert any(p.tag == tag for p in pending_uploads())
    report = sync()
    assert not report.failed, report.failed
    assert _record(s3_server, quirk_prefix, tag)["status"] == "finished"
    assert len(_rows(s3_server, quirk_prefix, tag, "loss.csv")) == 250
