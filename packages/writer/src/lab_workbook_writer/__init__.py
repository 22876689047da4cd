"""lab-workbook-writer: record a PyTorch training run without ever blocking it.

::

    from lab_workbook_writer import new_experiment

    with new_experiment(description="lr sweep") as wb:     # prints "Experiment Tag: <tag>"
        wb.save_git_status()
        wb.save_json("parameters", {"learningRate": 0.1})
        log = wb.new_time_series_log("Training loss", ["epoch", "loss"], save_every=100)
        log(epoch=0.1, loss=2.3)
        wb.save_torch("model", model.state_dict())
        wb.save_image("samples", images, step=1200, grid=True)   # samples/step-00001200.png

The implementation lives in private modules; the names below are the public API.
torch is imported only by ``save_torch`` (and ``save_image`` given a tensor), Pillow only by
``save_image``/``save_figure``; pandas and typer never.
"""

from .__about__ import __version__
from ._experiment import Experiment
from ._pending import PendingUpload, SpooledRun, SyncReport, pending_uploads, sync
from ._ranks import attach_experiment, distributed_experiment, process_rank
from ._runrecord import DEFAULT_ENV_ALLOWLIST
from ._series import TimeSeriesLog
from ._start import new_experiment
from ._stranded import discard, retag

__all__ = [
    "DEFAULT_ENV_ALLOWLIST",
    "Experiment",
    "PendingUpload",
    "SpooledRun",
    "SyncReport",
    "TimeSeriesLog",
    "__version__",
    "attach_experiment",
    "discard",
    "distributed_experiment",
    "new_experiment",
    "pending_uploads",
    "process_rank",
    "retag",
    "sync",
]
