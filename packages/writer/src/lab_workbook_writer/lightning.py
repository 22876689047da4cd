"""PyTorch Lightning: ``Trainer(logger=LabWorkbookLogger(description=...))``.

::

    from lab_workbook_writer.lightning import LabWorkbookLogger

    logger = LabWorkbookLogger(description="resnet lr sweep", log_model=True)
    trainer = lightning.Trainer(logger=logger, max_epochs=3)
    trainer.fit(model, datamodule)          # logger.experiment is the writer's Experiment

- hyperparameters (``save_hyperparameters()``, ``log_hyperparams``) → ``hparams.json``;
- every ``self.log(...)`` metric → ``train.csv``, ``val.csv`` or ``test.csv`` by its name's
  prefix (``train_loss``, ``val/acc``, ``test_f1``; anything else → ``train.csv``), with
  ``step`` and ``epoch`` first; fields grow as new metrics appear;
- checkpoints (``log_model=True``: the best and last when fitting ends; ``"all"``: each one
  as it is written) → ``checkpoints/<file stem>.pt`` through ``save_torch``;
- the run's status: a fit that raises is closed ``failed`` (``interrupted`` on Ctrl-C) at
  once; a successful one stays open for ``trainer.test()`` and is closed ``finished`` at exit
  (or by :meth:`LabWorkbookLogger.close`).

Only global rank 0 writes. Lightning is imported when a logger is *made*, not when this
module is imported: ``LabWorkbookLogger(...)`` builds, once, a subclass of Lightning's
``Logger`` and returns an instance of it (still an instance of ``LabWorkbookLogger``).
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Mapping
import importlib
import os
from pathlib import Path
import sys
from typing import Any

from lab_workbook_core import InvalidValueError
from lab_workbook_core.record import FAILED

from ._integration import Framework, RunHolder, serve_joined_class
from ._notices import warn
from ._plainjson import plain_json
from ._stages import StageLogs

__all__ = ["LabWorkbookLogger"]

_NO_ERROR = {"type": "failed", "message": "Lightning reported a failure without an exception"}
_STAGES = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}


def stage_of(metric: str) -> str:
    """``train``, ``val`` or ``test`` from a metric's name prefix (``val_loss``, ``val/acc``); else ``train``."""
    for separator in ("/", "_", "-", "."):
        head, found, _ = metric.partition(separator)
        if found and head.lower() in _STAGES:
            return _STAGES[head.lower()]
    return "train"


class LabWorkbookLogger(
    RunHolder,
    framework=Framework("lightning.pytorch.loggers:Logger", "_LightningLogger", "PyTorch Lightning", "lightning"),
):
    """A Lightning logger that records the run with lab-workbook.

    Args:
        prefix: where experiments live (as for :func:`new_experiment`); default from configuration.
        description: what this run is, in words.
        tag: a tag of your choosing; default a fresh one.
        log_model: ``False``; ``True``: the best and last checkpoints when fitting ends;
            ``"all"``: every checkpoint as it is written.
        experiment: record into this open :class:`Experiment` instead of making one (it is then
            yours to close).
        **options: passed to :func:`new_experiment` (``spool_dir``, ``system_metrics``, ``resume="auto"``
            with ``tag=`` for a requeued job...).
    """

    def __init__(
        self,
        prefix: str | os.PathLike[str] | None = None,
        description: str | None = None,
        *,
        tag: str | None = None,
        log_model: bool | str = False,
        experiment: Any = None,
        **options: Any,
    ) -> None:
        if log_model not in (True, False, "all"):
            raise InvalidValueError(f"LabWorkbookLogger: log_model must be True, False or 'all', got {log_model!r}")
        super().__init__(prefix, description, tag, experiment, options)
        self._log_model = log_model
        self._hparams: dict[str, Any] = {}
        self._stages = StageLogs()
        self._checkpoint_callback: Any = None
        self._logged_checkpoints: dict[str, float] = {}

    # -- what Lightning asks of a logger --------------------------------------------------

    @property
    def name(self) -> str:
        """The checkpoint folder's name under ``default_root_dir`` (as other loggers do)."""
        return "lab-workbook"

    @property
    def version(self) -> str | None:
        """The run's tag (rank 0); other ranks receive the checkpoint path from rank 0."""
        return self.experiment.tag if _rank() == 0 else None

    @property
    def experiment(self) -> Any:
        """The writer's :class:`~lab_workbook_writer.Experiment`, made on first use (rank 0 only).

        On other ranks this is Lightning's dummy experiment, whose methods do nothing.
        """
        on_rank_zero = importlib.import_module("lightning.pytorch.loggers.logger").rank_zero_experiment
        return on_rank_zero(lambda logger: self._run())(self)

    def log_hyperparams(self, params: Mapping[str, Any] | Namespace | None = None, *args: Any, **kwargs: Any) -> None:
        """Merge ``params`` into ``hparams.json`` (saved again whole, so the last call wins)."""
        if _rank() != 0 or params is None:
            return
        if isinstance(params, Namespace):
            params = vars(params)
        self._hparams.update(plain_json(dict(params)))
        self.experiment.save_json("hparams", self._hparams)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """One row per stage (``train.csv``, ``val.csv``, ``test.csv``): ``step``, ``epoch``, the metrics."""
        if _rank() != 0:
            return
        metrics = dict(metrics)
        epoch = metrics.pop("epoch", None)
        index: Any = metrics.pop("step", None) if step is None else step
        stages: dict[str, dict[str, Any]] = {}
        for metric, value in metrics.items():
            stages.setdefault(stage_of(metric), {})[metric] = value
        for stage, values in stages.items():
            self._stages.log(self.experiment, stage, index, epoch, values)

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        """``log_model="all"``: save the new checkpoint now; ``True``: remember the callback for the end."""
        if _rank() != 0 or not self._log_model:
            return
        self._checkpoint_callback = checkpoint_callback
        if self._log_model == "all":
            self._save_checkpoints(checkpoint_callback)

    def finalize(self, status: str) -> None:
        """Lightning's end of fit/validate/test: save checkpoints; close the run if it failed.

        A failure (``status="failed"``, inside Lightning's exception handler) closes the run
        ``failed``, or ``interrupted`` for Ctrl-C. A success only sends what was logged: the
        run stays open for a following ``trainer.test()`` and is closed ``finished`` when the
        process exits or :meth:`close` is called.
        """
        run = self._open_run()
        if _rank() != 0 or run is None:
            return
        if self._checkpoint_callback is not None:
            self._save_checkpoints(self._checkpoint_callback)
        if status == "failed" and self._owned:
            error = sys.exc_info()[1]
            if error is not None:
                run.note_exception(error)
            else:
                run.note_outcome(FAILED, _NO_ERROR)
            run.close()
        else:
            run.flush()

    # -- checkpoints --------------------------------------------------------------------------

    def _save_checkpoints(self, callback: Any) -> None:
        paths = {getattr(callback, "last_model_path", ""), getattr(callback, "best_model_path", "")}
        paths.update(getattr(callback, "best_k_models", {}) or {})
        for path in sorted(p for p in paths if p and Path(p).is_file()):
            written = Path(path).stat().st_mtime
            if self._logged_checkpoints.get(path) == written:
                continue
            self._logged_checkpoints[path] = written
            self._save_checkpoint(Path(path))

    def _save_checkpoint(self, path: Path) -> None:
        from ._torch_io import load_weights_only

        name = f"checkpoints/{path.stem}"
        try:
            checkpoint = load_weights_only(path)
        except Exception as err:  # objects torch will not load safely: keep the file as Lightning wrote it
            warn(f"checkpoint {path.name} holds objects torch loads only unsafely ({err}); saved as {name}.ckpt")
            self.experiment.save_file(path, f"{name}.ckpt")
            return
        self.experiment.save_torch(name, checkpoint)


def _rank() -> int:
    rank_zero_only = importlib.import_module("lightning.fabric.utilities.rank_zero").rank_zero_only
    return int(getattr(rank_zero_only, "rank", 0))


__getattr__ = serve_joined_class(LabWorkbookLogger)  # the class of the loggers made, for pickle
