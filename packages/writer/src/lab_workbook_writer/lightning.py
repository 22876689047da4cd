"""PyTorch Lightning: ``Trainer(logger=LabWorkbookLogger(description=...))``.

::

    from lab_workbook_writer.lightning import LabWorkbookLogger

    logger = LabWorkbookLogger(description="resnet lr sweep", log_model=True)
    trainer = lightning.Trainer(logger=logger, max_epochs=3)
    trainer.fit(model, datamodule)          # logger.experiment is the writer's Experiment

- hyperparameters (``save_hyperparameters()``, ``log_hyperparams``) → ``hparams.json``;
- every ``self.log(...)`` metric → ``train.csv``, ``val.csv``, ``test.csv`` or ``predict.csv``
  by the stage Lightning logged it in (outside a trainer, by its name's prefix), with
  ``step`` and ``epoch`` first; fields grow as new metrics appear;
- checkpoints (``log_model``) → ``checkpoints/step-<N>.pt`` (:mod:`._lightning_checkpoints`);
- ``log_image``/``log_text``/``log_table`` with WandbLogger's signatures (:mod:`._lightning_media`);
- the run's status: each successful ``fit``/``validate``/``test``/``predict`` closes it
  ``finished`` (``keep_open=True``: it stays open until :meth:`LabWorkbookLogger.close`); a
  failure closes it ``failed`` (``interrupted`` on Ctrl-C or a SLURM requeue). The logger's next
  use continues a failed run as a new attempt, and starts a new run after a finished one (whose
  record names it as parent): a finished run never changes.

Only global rank 0 writes. Lightning is imported when a logger is *made*, not when this
module is imported (:mod:`._integration`). Under ``ddp_spawn`` the main process hands its run
(or a tag reserved for it) to the spawned rank 0, which continues it: one run, named by the
main process's ``logger.version``.
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Mapping
import dataclasses
import importlib
import multiprocessing.context
import os
from pathlib import Path
import sys
from typing import Any
import weakref

from lab_workbook_core import InvalidValueError, new_tag
from lab_workbook_core.record import FAILED, INTERRUPTED

from ._integration import Framework, RunHolder, register_if_loaded, serve_joined_class
from ._lightning_checkpoints import CheckpointLog
from ._lightning_media import save_images, save_table
from ._notices import warn
from ._plainjson import plain_json
from ._stages import StageLogs

__all__ = ["LabWorkbookLogger"]

_NO_ERROR = {"type": "failed", "message": "Lightning reported a failure without an exception"}
_REQUEUED = {"type": "Requeued", "message": "Lightning stopped for a requeue (SIGUSR1); resume=... continues the run"}
_HANDED = {"type": "HandedOver", "message": "ddp_spawn: the spawned rank-0 process continues this run"}
_STAGES = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
# Lightning's RunningStage values: the series each stage's metrics go to
_RUNNING_STAGES = {"train": "train", "sanity_check": "val", "validate": "val", "test": "test", "predict": "predict"}
_JOIN = "-"  # Lightning's LOGGER_JOIN_CHAR: how metric_prefix joins a metric's name
# Each run's (attempt's) stage series, shared by the loggers writing it: a logger and its unpickled
# copy in the same process write one train.csv
_series_of: weakref.WeakKeyDictionary[Any, StageLogs] = weakref.WeakKeyDictionary()


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
            Not a metric-key prefix as on Lightning's own loggers: that is ``metric_prefix``.
        description: what this run is, in words.
        tag: a tag of your choosing; default a fresh one.
        log_model: ``False``; ``True``: the best and last checkpoints when the trainer call ends;
            ``"all"``: every checkpoint as it is written.
        experiment: record into this open :class:`Experiment` instead of making one (it is then
            yours to close).
        keep_open: leave the run open after a successful trainer call (``fit`` then ``test`` in
            one run); close it with :meth:`close` (or it is closed ``finished`` at exit).
        save_dir: the local folder Lightning puts checkpoints under (``<save_dir>/lab-workbook/<tag>``)
            and ``trainer.log_dir`` names; default the current folder (as WandbLogger).
        metric_prefix: put before every metric's name, joined by ``-`` (Lightning's ``prefix=``).
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
        keep_open: bool = False,
        save_dir: str | os.PathLike[str] | None = None,
        metric_prefix: str = "",
        **options: Any,
    ) -> None:
        if log_model not in (True, False, "all"):
            raise InvalidValueError(f"LabWorkbookLogger: log_model must be True, False or 'all', got {log_model!r}")
        if isinstance(prefix, str) and prefix and not any(c in prefix for c in "/\\:.~") and not Path(prefix).exists():
            warn(
                f"LabWorkbookLogger: prefix={prefix!r} is where runs are stored (a folder ./{prefix}), not a "
                f"metric-key prefix as on Lightning's own loggers; for that pass metric_prefix={prefix!r}"
            )
        super().__init__(prefix, description, tag, experiment, options)
        self._log_model, self._keep_open, self._metric_prefix = log_model, keep_open, metric_prefix
        self._save_dir = str(Path(save_dir if save_dir is not None else os.getcwd()).absolute())
        self._hparams: dict[str, Any] = {}
        self._stages = StageLogs()
        self._stages_of: Any = None  # the run (attempt) the series in _stages belong to
        self._checkpoints = CheckpointLog()
        self._checkpoint_callbacks: dict[int, Any] = {}  # every ModelCheckpoint that saved, by id
        self._trainer: Any = None  # a weak reference, from log_graph: the stage, the step

    # -- what Lightning asks of a logger --------------------------------------------------

    @property
    def name(self) -> str:
        """The checkpoint folder's name under ``save_dir`` (as other loggers do)."""
        return "lab-workbook"

    @property
    def version(self) -> str | None:
        """The run's tag (rank 0); other ranks receive the checkpoint path from rank 0."""
        if _rank() != 0:
            return None
        if self._experiment is None and self._handed is not None:
            return self._handed  # the run another process continues: no need to open it here
        return str(self.experiment.tag)

    @property
    def save_dir(self) -> str:
        """Where Lightning saves this logger's checkpoints, and what ``trainer.log_dir`` is."""
        return self._save_dir

    @property
    def log_dir(self) -> str:
        """``<save_dir>/lab-workbook/<tag>``: this run's local folder (its ``checkpoints/``)."""
        return os.path.join(self._save_dir, self.name, str(self.version))

    @property
    def experiment(self) -> Any:
        """The writer's :class:`~lab_workbook_writer.Experiment`, made on first use (rank 0 only).

        On other ranks this is Lightning's dummy experiment, whose methods do nothing.
        """
        on_rank_zero = importlib.import_module("lightning.pytorch.loggers.logger").rank_zero_experiment
        return on_rank_zero(lambda logger: self._run())(self)

    def log_graph(self, model: Any, input_array: Any = None) -> None:
        """Called by Lightning at the start of each trainer call: the logger learns the trainer.

        The model's graph is not stored (its code and ``hparams.json`` describe it).
        """
        try:
            trainer = model.trainer
        except (AttributeError, RuntimeError):  # a model not attached to a trainer: Lightning raises RuntimeError
            trainer = None
        self._trainer = weakref.ref(trainer) if trainer is not None else None
        if _rank() == 0:
            self._writable()  # a run closed by the last call is continued (or followed) now

    def log_hyperparams(
        self,
        params: Mapping[str, Any] | Namespace | None = None,
        metrics: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Merge ``params`` into ``hparams.json`` (saved again whole); ``metrics`` are logged as a row.

        Namespaces, dataclasses and OmegaConf containers (resolved) are stored as nested objects.
        """
        if _rank() != 0:
            return
        if params is not None:
            self._hparams.update(plain_json(_plain_params(params)))
            self._writable().save_json("hparams", self._hparams)
        if metrics:
            self.log_metrics(dict(metrics), step=kwargs.get("step"))

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """One row per stage (``train.csv``, ``val.csv``...): ``step``, ``epoch``, the metrics.

        The rows are on the spool's disk when this returns: a process killed afterwards loses none.
        """
        if _rank() != 0:
            return
        metrics = dict(metrics)
        epoch = metrics.pop("epoch", None)
        index: Any = metrics.pop("step", None) if step is None else step
        stage = self._stage()
        stages: dict[str, dict[str, Any]] = {}
        for metric, value in metrics.items():
            named = f"{self._metric_prefix}{_JOIN}{metric}" if self._metric_prefix else metric
            stages.setdefault(stage or stage_of(metric), {})[named] = value
        run = self._writable()
        for each, values in stages.items():
            self._stages.log(run, each, index, epoch, values)
        self._stages.drain()

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        """``log_model="all"``: store the new checkpoint now; ``True``: remember the callback for the end."""
        if _rank() != 0 or not self._log_model:
            return
        self._checkpoint_callbacks[id(checkpoint_callback)] = checkpoint_callback
        if self._log_model == "all":
            self._checkpoints.store(self._writable(), checkpoint_callback, self._global_step())

    def finalize(self, status: str) -> None:
        """Lightning's end of a trainer call: store checkpoints, then close the run (unless ``keep_open``).

        ``"success"``: ``finished``, or only sent with ``keep_open=True`` or after a tuner's trial
        fit (``Tuner.lr_find``), which the real fit follows in the same run. ``"failed"`` (inside
        Lightning's exception handler): ``failed`` with the error (``interrupted`` for Ctrl-C).
        ``"finished"`` comes from Lightning's SLURM requeue handler, which requeues the job after
        it: the run is closed ``interrupted``, for the requeued job to continue (``resume="auto"``).
        """
        run = self._open_run()
        if _rank() != 0 or run is None:
            return
        if status != "failed":
            for callback in self._checkpoint_callbacks.values():
                self._checkpoints.store(run, callback, self._global_step())
        self._stages.drain()
        if not self._owned:
            run.flush()
        elif status == "failed":
            error = sys.exc_info()[1]
            if error is not None:
                run.note_exception(error)
            else:
                run.note_outcome(FAILED, _NO_ERROR)
            self._end(FAILED)
        elif status == "finished":
            run.note_outcome(INTERRUPTED, _REQUEUED)
            self._end(INTERRUPTED)
        elif self._keep_open or _tuning(sys.exc_info()[1]):
            run.flush()  # the tuner's trial fit (lr_find, scale_batch_size) is followed by the real one
        else:
            self._end("finished")

    # -- media, with WandbLogger's signatures ----------------------------------------------

    def log_image(self, key: str, images: list[Any], step: int | None = None, **kwargs: Any) -> None:
        """Store pictures (tensors, arrays, PIL images or files): ``<key>`` or ``<key>_<i>``, by step if given.

        ``caption=[...]`` (one per picture) is stored in ``<key>.captions.json``.
        """
        if _rank() == 0:
            save_images(self._writable(), key, images, step, kwargs)

    def log_table(
        self,
        key: str,
        columns: list[str] | None = None,
        data: list[list[Any]] | None = None,
        dataframe: Any = None,
        step: int | None = None,
    ) -> None:
        """Store a table as ``<key>.json`` (``<key>/step-<N>.json`` for a step): ``columns`` and ``data`` rows."""
        if _rank() == 0:
            save_table(self._writable(), key, columns, data, dataframe, step)

    def log_text(
        self,
        key: str,
        columns: list[str] | None = None,
        data: list[list[str]] | None = None,
        dataframe: Any = None,
        step: int | None = None,
    ) -> None:
        """Store text as a table (as WandbLogger does): see :meth:`log_table`."""
        self.log_table(key, columns, data, dataframe, step)

    # -- pickling (Lightning pickles the trainer for ddp_spawn) -------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """Without the run, the trainer or the series; under ``ddp_spawn``, the run is handed to the workers.

        Pickled to start a spawned process, the main process makes sure the run has a tag and
        lets go of it (closing its attempt ``interrupted`` if it had opened it), so the spawned
        rank 0 continues it with ``resume="auto"``, and ``logger.version`` here names it.
        """
        spawning = multiprocessing.context.get_spawning_popen() is not None
        if spawning and self._owned and _rank() == 0 and self._handed is None:
            run = self._open_run()
            if run is not None:
                run.note_outcome(INTERRUPTED, _HANDED)
                run.close()
                self._handed, self._experiment = run.tag, None
            elif self._experiment is None:
                self._handed = self._tag if self._tag is not None else new_tag()
        state = super().__getstate__()
        state.update(_stages=None, _stages_of=None, _trainer=None, _checkpoint_callbacks={}, _checkpoints=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._stages, self._checkpoints = StageLogs(), CheckpointLog()

    # -- helpers ----------------------------------------------------------------------------

    def _writable(self) -> Any:
        """The run to write to (:meth:`RunHolder._writable_run`), with this run's own series."""
        run = self._writable_run(self._global_step())
        if self._stages_of is not run:  # a new run (or a new attempt) gets its own series
            self._stages = _series_of.setdefault(run, StageLogs())
            self._stages_of = run
        return run

    def _live_trainer(self) -> Any:
        return self._trainer() if self._trainer is not None else None

    def _stage(self) -> str | None:
        """The series Lightning's current stage logs to; None outside a trainer call."""
        trainer = self._live_trainer()
        stage = getattr(getattr(trainer, "state", None), "stage", None)
        return _RUNNING_STAGES.get(str(getattr(stage, "value", stage))) if stage is not None else None

    def _global_step(self) -> int | None:
        trainer = self._live_trainer()
        step = getattr(trainer, "global_step", None)
        return step if isinstance(step, int) else None


def _plain_params(value: Any) -> Any:
    """Namespaces and OmegaConf containers as dicts and lists, at any depth (dataclasses: ``plain_json``)."""
    if isinstance(value, Namespace):
        value = vars(value)
    elif type(value).__module__.startswith("omegaconf"):
        omegaconf = sys.modules.get("omegaconf")
        if omegaconf is not None:
            value = omegaconf.OmegaConf.to_container(value, resolve=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: _plain_params(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_params(v) for v in value]
    return value


def _tuning(error: BaseException | None) -> bool:
    """True inside Lightning's handling of a tuner's early exit, which ends its trial fit "successfully"."""
    exceptions = importlib.import_module("lightning.pytorch.utilities.exceptions")
    tuner_exit = getattr(exceptions, "_TunerExitException", None)
    return tuner_exit is not None and isinstance(error, tuner_exit)


def _rank() -> int:
    rank_zero_only = importlib.import_module("lightning.fabric.utilities.rank_zero").rank_zero_only
    return int(getattr(rank_zero_only, "rank", 0))


register_if_loaded(LabWorkbookLogger)  # LightningCLI's class_path check, when Lightning is already imported
__getattr__ = serve_joined_class(LabWorkbookLogger)  # the class of the loggers made, for older pickles
