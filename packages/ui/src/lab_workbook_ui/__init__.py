"""lab-workbook-ui: a local, read-only dashboard to browse, compare and watch runs (``lab-workbook ui``).

It reads the store through the reader (``lab_workbook``): listing, disk cache and
loaders are the notebook's. It serves JSON and a static page (plain JavaScript and a
vendored uPlot, nothing fetched at run time) on 127.0.0.1 by default::

    from lab_workbook_ui import serve
    serve("s3://bucket/experiments/")          # what `lab-workbook ui` runs
"""

import logging as _logging

from .__about__ import __version__
from ._app import create_app
from ._server import BackgroundServer, serve

__all__ = ["BackgroundServer", "__version__", "create_app", "serve"]

_logging.getLogger(__name__).addHandler(_logging.NullHandler())
