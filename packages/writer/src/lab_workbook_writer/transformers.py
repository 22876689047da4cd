"""Hugging Face Trainer: ``Trainer(..., callbacks=[LabWorkbookCallback(description=...)])``.

::

    from lab_workbook_writer.transformers import LabWorkbookCallback

    trainer = transformers.Trainer(model=model, args=args, train_dataset=train, eval_dataset=val,
                                   callbacks=[LabWorkbookCallback(description="bert-tiny", save_model=True)])
    trainer.train()

- ``TrainingArguments`` → ``training_args.json`` (tokens masked, as ``to_dict()`` does);
- the model's config → ``model_config.json``;
- every ``on_log`` → ``train.csv`` (loss, learning rate, grad norm, the final summary) or
  ``eval.csv`` (``eval_*`` metrics), indexed by the global ``step``, with ``epoch``; fields
  grow as new metrics appear;
- ``save_model=True``: the final weights (``model.state_dict()``) → ``model.pt``;
- the status: the run is flushed when training ends and closed ``finished`` at exit (or by
  :meth:`LabWorkbookCallback.close`); ``failed`` if ``train()`` began and never reached its end
  (an exception, caught or not; ``interrupted`` for an uncaught Ctrl-C).

Only the main process (``state.is_world_process_zero``) writes. transformers is imported
when a callback is *made*, not when this module is imported.
"""

from __future__ import annotations

import os
from typing import Any

from lab_workbook_core.record import FAILED

from ._integration import Framework, RunHolder, serve_joined_class
from ._plainjson import plain_json
from ._stages import StageLogs

__all__ = ["LabWorkbookCallback"]


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
        save_model: save the final weights as ``model.pt`` when training ends.
        experiment: record into this open :class:`Experiment` instead of making one (yours to close).
        **options: passed to :func:`new_experiment` (``spool_dir``, ``system_metrics``, ``resume="auto"``
            with ``tag=`` for a requeued job...).
    """

    def __init__(
        self,
        prefix: str | os.PathLike[str] | None = None,
        description: str | None = None,
        *,
        tag: str | None = None,
        save_model: bool = False,
        experiment: Any = None,
        **options: Any,
    ) -> None:
        super().__init__(prefix, description, tag, experiment, options)
        self._save_model = save_model
        self._stages = StageLogs()
        self._training = False

    @property
    def experiment(self) -> Any:
        """The writer's :class:`~lab_workbook_writer.Experiment` (made when training begins, main process only)."""
        return self._run()

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        """Make the experiment; save the arguments and the model's config."""
        if not state.is_world_process_zero:
            return
        experiment = self.experiment
        if not self._training:
            self._training = True
            experiment.on_close(self._note_unfinished)
        experiment.save_json("training_args", plain_json(args.to_dict()))
        config = getattr(model, "config", None)
        if config is not None and hasattr(config, "to_dict"):
            experiment.save_json("model_config", plain_json(config.to_dict()))

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """One row in ``train.csv`` and/or ``eval.csv`` at the current global step."""
        if not state.is_world_process_zero or not logs:
            return
        values = dict(logs)
        epoch = values.pop("epoch", state.epoch)
        evaluation = {k: v for k, v in values.items() if k.startswith("eval_")}
        training = {k: v for k, v in values.items() if k not in evaluation}
        for stage, metrics in (("train", training), ("eval", evaluation)):
            numbers = {k: v for k, v in metrics.items() if isinstance(v, int | float | str | bool)}
            if numbers:
                self._stages.log(self.experiment, stage, state.global_step, epoch, numbers)

    def on_train_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        """Save the final weights if asked, and send everything logged."""
        run = self._open_run()
        if not state.is_world_process_zero or run is None:
            return
        self._training = False
        if self._save_model and model is not None:
            run.save_torch("model", model.state_dict())
        run.flush()

    def _note_unfinished(self) -> None:
        """At close: a training that began and never ended failed (an uncaught exception said so first)."""
        if self._training and self._experiment is not None:
            self._experiment.note_outcome(
                FAILED,
                {
                    "type": "TrainingNotFinished",
                    "message": "Trainer.train() began but did not reach its end (it raised, or was stopped)",
                },
            )


__getattr__ = serve_joined_class(LabWorkbookCallback)  # the class of the callbacks made, for pickle
