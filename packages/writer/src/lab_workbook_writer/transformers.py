"""Hugging Face Trainer: ``Trainer(..., callbacks=[LabWorkbookCallback(description=...)])``.

::

    from lab_workbook_writer.transformers import LabWorkbookCallback

    trainer = transformers.Trainer(model=model, args=args, train_dataset=train, eval_dataset=val,
                                   callbacks=[LabWorkbookCallback(description="bert-tiny", save_model=True)])
    trainer.train()

What is recorded, event by event (docs/integrations.md has the table):

- the first event of a run (``on_train_begin``, or ``on_log``/``on_evaluate``/``on_predict`` of an
  evaluate-only session): ``TrainingArguments`` → ``training_args.json`` (tokens masked), the
  model's config → ``model_config.json``;
- ``on_log``: ``train.csv``; an evaluation's report (``eval_*``, or ``test_*`` for
  ``evaluate(metric_key_prefix="test")``) → ``eval.csv``, ``test.csv``... by the prefix the
  Trainer gave it (:mod:`~lab_workbook_writer._hf_metrics`), indexed by the global ``step``;
- ``on_predict``: ``predict()``'s metrics → ``test.csv``;
- ``on_save``: the rows so far reach local disk (a resumed ``train()`` continues from there), and
  with ``save_checkpoints=True`` the weights → ``checkpoints/step-<8 digits>.pt``, the newest
  ``save_total_limit`` kept;
- ``on_train_end``: ``save_model=True``: the weights → ``model.pt``; then the run is closed
  ``finished``, unless ``keep_open=True`` or a hyperparameter search is on (its trial's run closes
  when the next trial begins). A later event of the same callback records into a new run, forked
  from the finished one: a finished run never changes.

A ``train()`` that began and never reached its end is recorded ``failed`` (``interrupted``
for an uncaught Ctrl-C); a following ``train()`` of the same callback continues that run as
its next attempt. Only the main process (``state.is_world_process_zero``) writes.
transformers is imported when a callback is *made*, not when this module is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
import copy
import os
from typing import TYPE_CHECKING, Any

from lab_workbook_core import RunFinished
from lab_workbook_core.record import FAILED

from ._hf_metrics import metric_stages
from ._integration import Framework, RunHolder, serve_joined_class
from ._notices import warn
from ._plainjson import plain_json
from ._stages import StageLogs

if TYPE_CHECKING:
    from ._experiment import Experiment

__all__ = ["LabWorkbookCallback"]

_NOT_FINISHED = {
    "type": "TrainingNotFinished",
    "message": "Trainer.train() began but did not reach its end (it raised, or was stopped)",
}
# what a copy leaves behind: the run and what belongs to it (:meth:`LabWorkbookCallback._forget_run`)
_RUN_STATE = ("_experiment", "_stages", "_training", "_set_up", "_trial", "_reported", "_last_step", "_failed")


class LabWorkbookCallback(
    RunHolder,
    framework=Framework(
        "transformers:TrainerCallback", "_TrainerCallback", "Hugging Face transformers", "transformers"
    ),
):
    """A ``transformers.TrainerCallback`` that records the run with lab-workbook.

    Args:
        prefix: where experiments live (as for :func:`new_experiment`); default from configuration.
        description: what this run is, in words.
        tag: a tag of your choosing; default a fresh one.
        resume: ``"auto"`` (with ``tag=``): continue that run if it exists (a requeued job restarting
            with ``trainer.train(resume_from_checkpoint=True)``), start it otherwise; or a tag to continue.
        save_model: save the final weights as ``model.pt`` when training ends.
        save_checkpoints: save the weights at each Trainer checkpoint as ``checkpoints/step-<N>.pt``,
            keeping the newest ``save_total_limit`` (the Trainer's own setting).
        keep_open: leave the run open when ``train()`` ends, for a following ``evaluate()`` or
            ``predict()``; it is closed by :meth:`close` or when the process exits.
        experiment: record into this open :class:`Experiment` instead of making one (yours to close).
        **options: passed to :func:`new_experiment` (``spool_dir``, ``system_metrics``, ``force``...).
    """

    def __init__(
        self,
        prefix: str | os.PathLike[str] | None = None,
        description: str | None = None,
        *,
        tag: str | None = None,
        resume: str | None = None,
        save_model: bool = False,
        save_checkpoints: bool = False,
        keep_open: bool = False,
        experiment: Any = None,
        **options: Any,
    ) -> None:
        if resume is not None:
            options["resume"] = resume
        super().__init__(prefix, description, tag, experiment, options)
        self._save_model, self._save_checkpoints, self._keep_open = save_model, save_checkpoints, keep_open
        self._trials = 0  # the search trials recorded, one run each
        self._forget_run()

    def _forget_run(self) -> None:
        """What belongs to the run being recorded, reset when another one starts."""
        self._stages = StageLogs()
        self._training = False  # train() began and has not reached on_train_end
        self._set_up = False  # training_args.json and model_config.json saved
        self._trial: str | None = None  # the hyperparameter search trial this run records
        self._reported: Mapping[str, Any] | None = None  # the last logs recorded (evaluate() reports them twice)
        self._last_step = 0  # the global step of the run's latest event: where a fork of it starts
        self._failed = False  # closed because a train() never reached its end: the next one continues it

    @property
    def experiment(self) -> Any:
        """The writer's :class:`~lab_workbook_writer.Experiment` being recorded (made on first use).

        After a run was closed it stays the closed one until the next event starts another.
        """
        if self._experiment is None:
            self._began(self._run(), None)
        return self._experiment

    # -- the Trainer's events -------------------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        """Start (or continue) the run; save the arguments and the model's config."""
        run = self._recording(args, state, model, beginning=True)
        if run is not None:
            self._training = True

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """One row per stage the logs hold (``train.csv``, ``eval.csv``...) at the global step."""
        if state.is_world_process_zero and logs:
            self._record(args, state, kwargs.get("model"), logs, "train")

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any) -> None:
        """Metrics of an evaluation that did not come through ``on_log`` (``evaluate()``'s do, once)."""
        if state.is_world_process_zero and metrics and metrics is not self._reported:
            self._record(args, state, kwargs.get("model"), metrics, "eval")

    def on_predict(self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any) -> None:
        """``predict()``'s metrics (``test_*`` by default, logged nowhere else) → ``test.csv``."""
        if state.is_world_process_zero and metrics:
            self._record(args, state, kwargs.get("model"), metrics, "test")

    def on_save(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        """A checkpoint was written: rows to local disk (a resume continues from it); the weights if asked."""
        run = self._recording(args, state, model)
        if run is None:
            return
        if self._save_checkpoints and model is not None:
            limit = getattr(args, "save_total_limit", None)
            keep = limit if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1 else None
            run.save_torch("checkpoints", model.state_dict(), step=int(state.global_step), keep_last=keep)
        run.flush(timeout=0)

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        """Save the final weights if asked; close the run ``finished`` unless it is kept open."""
        run = self._open_run()
        if not state.is_world_process_zero or run is None:
            return
        self._training = False
        if self._save_model and model is not None:
            run.save_torch("model", model.state_dict())
        if self._owned and not self._keep_open and not getattr(state, "is_hyper_param_search", False):
            run.close()
        else:
            run.flush()

    # -- which run --------------------------------------------------------------------------------

    def _record(self, args: Any, state: Any, model: Any, logs: Mapping[str, Any], default: str) -> None:
        run = self._recording(args, state, model)
        if run is None:
            return
        values = dict(logs)
        epoch = values.pop("epoch", state.epoch)
        for stage, metrics in metric_stages(values, default).items():
            self._stages.log(run, stage, state.global_step, epoch, metrics)
        self._reported = logs

    def _recording(self, args: Any, state: Any, model: Any, *, beginning: bool = False) -> Experiment | None:
        """The run this event records into (main process only), started or replaced as needed; set up."""
        if not state.is_world_process_zero:
            return None
        searching = bool(getattr(state, "is_hyper_param_search", False))
        trial = self._next_trial(state) if beginning and searching else None
        run = self._experiment
        # a train() that raised (its run is closed failed), or the previous trial's run (finished)
        superseded = beginning and self._owned and (self._training or searching or self._trial is not None)
        if run is not None and not run.closed and superseded:
            run.close()
        if run is None:
            run = self._began(self._first_run(trial, _run_name(args)), trial)
        elif run.closed:
            if not self._owned:
                return None
            run = self._next_run(run, trial, _run_name(args))
        if trial is not None:
            run.save_json("trial", {"name": trial, "params": plain_json(getattr(state, "trial_params", None))})
        if not self._set_up or beginning:
            self._set_up = True
            run.save_json("training_args", plain_json(args.to_dict()))
            config = getattr(model, "config", None)
            if config is not None and hasattr(config, "to_dict"):
                run.save_json("model_config", plain_json(config.to_dict()))
        self._last_step = int(state.global_step)
        return run

    def _next_trial(self, state: Any) -> str:
        """The name of a search's trial (``hp_name``'s, else its number in this callback's search)."""
        self._trials += 1
        name = getattr(state, "trial_name", None)
        return str(name) if name is not None else str(self._trials)

    def _first_run(self, trial: str | None, run_name: str | None) -> Experiment:
        """The run of the callback's settings (``tag=``, ``resume=``...), named for its trial in a search.

        Without a ``description``, ``TrainingArguments.run_name`` describes it (W&B and MLflow name
        their runs by it).
        """
        description = self._description or run_name
        if trial is None and description == self._description:
            return self._run()
        from ._start import new_experiment

        if trial is not None:
            description = _trial_description(description, trial)
        return new_experiment(self._prefix, self._tag, description, **self._options)

    def _next_run(self, previous: Experiment, trial: str | None, run_name: str | None) -> Experiment:
        """The run after a closed one: a trial's own; the next attempt of a failed training; else a fork
        of the previous run at its last step."""
        from ._start import new_experiment

        options = {k: v for k, v in self._options.items() if k not in ("resume", "force")}
        description = self._description or run_name
        if trial is not None:
            return self._began(
                new_experiment(self._prefix, None, _trial_description(description, trial), **options), trial
            )
        if self._failed:  # this process closed it: no other process writes it, whatever its heartbeat says
            try:
                return self._began(new_experiment(self._prefix, None, None, resume=previous.tag, force=True, **options))
            except RunFinished:  # someone finished it meanwhile (lab-workbook never does): fork it
                pass
        step = self._last_step
        run = new_experiment(self._prefix, None, description, fork=previous.tag, step=step, **options)
        warn(
            f"run {previous.tag} is closed (a closed run never changes): what the Trainer reports now is recorded "
            f"in run {run.tag}, a fork of it at step {step}. To keep an evaluate() or predict() after train() in "
            "the training run, make the callback with keep_open=True and call callback.close() after them"
        )
        return self._began(run, None)

    def _began(self, run: Experiment, trial: str | None = None) -> Experiment:
        self._forget_run()
        self._experiment, self._trial = run, trial
        if not run.closed:
            run.on_close(lambda: self._check_finished(run))
        return run

    def _check_finished(self, run: Experiment) -> None:
        """At close: a training that began and never ended failed (an uncaught exception said so first)."""
        if self._training and self._experiment is run:
            self._failed = True
            run.note_outcome(FAILED, _NOT_FINISHED)

    # -- copies (TRL and SetFit copy callbacks; Ray Tune pickles the trainer) ---------------------

    def __getstate__(self) -> dict[str, Any]:
        """The settings, not the run: a copy records a run of its own, the original's stays the original's.

        A callback given ``experiment=`` can send that run nowhere: its copy makes its own run in
        the same store.
        """
        state = {k: v for k, v in self.__dict__.items() if k not in _RUN_STATE}
        if not self._owned and self._experiment is not None:
            state.update(_prefix=self._experiment.prefix, _owned=True)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        settings = dict(state)
        shared, stages = settings.pop("_experiment", None), settings.pop("_stages", None)
        self.__dict__.update(settings)
        self._forget_run()
        self._experiment = shared  # a deep copy's Experiment you gave; else None
        if stages is not None:
            self._stages = stages

    def __deepcopy__(self, memo: dict[int, Any]) -> LabWorkbookCallback:
        """Like a pickled copy, except that an :class:`Experiment` you gave is shared: it is yours, in this process."""
        settings = copy.deepcopy({k: v for k, v in self.__dict__.items() if k not in _RUN_STATE}, memo)
        if not self._owned and self._experiment is not None:
            settings.update(_experiment=self._experiment, _stages=self._stages)
        clone = type(self).__new__(type(self))
        clone.__setstate__(settings)
        return clone


def _run_name(args: Any) -> str | None:
    name = getattr(args, "run_name", None)
    return name if isinstance(name, str) and name else None


def _trial_description(description: str | None, trial: str) -> str:
    return f"{description}, trial {trial}" if description else f"trial {trial}"


__getattr__ = serve_joined_class(LabWorkbookCallback)  # the class of the callbacks made, for pickle
