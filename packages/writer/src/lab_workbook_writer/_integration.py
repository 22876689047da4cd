"""What the framework integrations share: the run they record into, and their lazily joined class.

:class:`~lab_workbook_writer.lightning.LabWorkbookLogger` and
:class:`~lab_workbook_writer.transformers.LabWorkbookCallback` must subclass their
framework's base class (Lightning's ``Logger``, transformers' ``TrainerCallback``),
yet importing the writer must not import the framework. So each is a plain
:class:`RunHolder` naming its :class:`Framework` (``class ...(RunHolder, framework=...)``), whose ``__new__`` returns an instance of
a subclass joined with the framework's base, built once by :func:`joined_class` when the
first object is made; the joined class is served as a module attribute (PEP 562
``__getattr__``, :func:`serve_joined_class`), so pickle finds it in a spawned process.
"""

from __future__ import annotations

from collections.abc import Callable
import importlib
import os
from typing import TYPE_CHECKING, Any, NamedTuple, Self, TypeVar

from lab_workbook_core import MissingDependencyError

if TYPE_CHECKING:
    from ._experiment import Experiment

__all__ = ["Framework", "RunHolder", "joined_class", "serve_joined_class"]

T = TypeVar("T", bound="RunHolder")


class Framework(NamedTuple):
    """Where an integration's framework base class is, and what to say when it is missing."""

    base: str  # "package.module:Class", imported when the first object is made
    qualname: str  # the joined class's name in the integration's module (served by its __getattr__)
    name: str  # the framework's name, for the error message
    install: str  # what to pip install when it cannot be imported


_frameworks: dict[type, Framework] = {}  # each integration's class: the framework it joins
_joined: dict[type, type] = {}


def joined_class(ours: type[T]) -> type[T]:
    """``ours`` joined with its framework's base class (named where ``ours`` is defined), built once.

    Raises:
        MissingDependencyError: the framework cannot be imported.
    """
    if ours not in _joined:
        framework = _frameworks[ours]
        module, _, name = framework.base.partition(":")
        try:
            base_class = getattr(importlib.import_module(module), name)
        except ImportError as err:
            raise MissingDependencyError(
                f"{ours.__name__} needs {framework.name}, which cannot be imported ({err}): "
                f"pip install {framework.install}"
            ) from err
        namespace = {"__module__": ours.__module__, "__qualname__": framework.qualname}
        _joined[ours] = type(ours.__name__, (ours, base_class), namespace)
    return _joined[ours]


def serve_joined_class(ours: type[RunHolder]) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving the joined class under its qualname: pickle looks it up there."""
    qualname = _frameworks[ours].qualname

    def __getattr__(name: str) -> Any:
        if name == qualname:
            return joined_class(ours)
        raise AttributeError(f"module {ours.__module__!r} has no attribute {name!r}")

    return __getattr__


class RunHolder:
    """The experiment an integration records into: made on first use, or given (then the caller's to close).

    A subclass names its :class:`Framework` (``class Logger(RunHolder, framework=Framework(...))``);
    making one returns an instance of the joined class.

    Args:
        prefix: where experiments live (as for :func:`new_experiment`); default from configuration.
        description: what this run is, in words.
        tag: a tag of your choosing; default a fresh one.
        experiment: record into this open :class:`Experiment` instead of making one.
        options: passed to :func:`new_experiment` (``spool_dir``, ``system_metrics``...).
    """

    def __init_subclass__(cls, *, framework: Framework | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if framework is not None:
            _frameworks[cls] = framework

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        if cls in _frameworks:  # the integration's own class, not yet joined with the framework's
            cls = joined_class(cls)
        return super().__new__(cls)

    def __init__(
        self,
        prefix: str | os.PathLike[str] | None,
        description: str | None,
        tag: str | None,
        experiment: Experiment | None,
        options: dict[str, Any],
    ) -> None:
        self._prefix, self._description, self._tag, self._options = prefix, description, tag, options
        self._experiment = experiment
        self._owned = experiment is None

    def _run(self) -> Experiment:
        """The experiment, made now if it was not yet."""
        if self._experiment is None:
            from ._start import new_experiment

            self._experiment = new_experiment(self._prefix, self._tag, self._description, **self._options)
        return self._experiment

    def _open_run(self) -> Experiment | None:
        """The experiment if it was made and is still open; else None (nothing to send or close)."""
        return None if self._experiment is None or self._experiment.closed else self._experiment

    def close(self) -> bool:
        """Close the run (``finished`` unless it failed); True if everything reached the store."""
        return True if self._experiment is None else bool(self._experiment.close())
