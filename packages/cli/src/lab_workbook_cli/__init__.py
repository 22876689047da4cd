"""lab-workbook-cli: the ``lab-workbook`` command.

It only presents: reading experiments is the reader's job (``lab_workbook``),
sending spooled data the writer's (``lab_workbook_writer``), and where things are
stored core's (``lab_workbook_core``). Run ``lab-workbook --help``.
"""

from .__about__ import __version__
from ._app import app, main

__all__ = ["__version__", "app", "main"]
