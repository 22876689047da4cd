"""What the framework integrations share: the run they record into, and their lazily joined class.

:class:`~lab_workbook_writer.lightning.LabWorkbookLogger` and
:class:`~lab_workbook_writer.transformers.LabWorkbookCallback` must subclass their
framework's base class (Lightning's ``Logger``, transformers' ``TrainerCallback``),
yet importing the writer must not import the framework. So each is a plain
:class:`RunHolder` naming its :class:`Framework` (``class ...(RunHolder, framework=...)``), whose ``__new__`` returns an instance of
a subclass joined with the framework's base, built once by :func:`joined_class` when the
first object is made; the joined class is served as a module attribute (PEP 562
``__getattr__``, :func:`serve_joined_class`). A user's subclass (``class MyLogger(LabWorkbookLogger)``)
is joined the same way when it is made, so it is a framework object too; instances pickle as
their unjoined class and state (:meth:`RunHolder.__reduce_ex__`), and are joined again when loaded.

A holder's run outlives a framework call: once the holder closed it, the next write continues
it (a failed or interrupted run gets a new attempt, ``resume=``) or, for a finished run, which
never changes, starts a new run that names it as parent (``fork=``).
"""

from __future__ import annotations

from collections.abc import Callable
import importlib
import os
import sys
from typing import TYPE_CHECKING, Any, NamedTuple, Self, TypeVar
import weakref

from lab_workbook_core import MissingDependencyError, RunFinished

if TYPE_CHECKING:
    from ._experiment import Experiment

__all__ = ["Framework", "RunHolder", "joined_class", "register_if_loaded", "serve_joined_class"]

T = TypeVar("T", bound="RunHolder")


class Framework(NamedTuple):
    """Where an integration's framework base class is, and what to say when it is missing."""

    base: str  # "package.module:Class", imported when the first object is made
    qualname: str  # the joined class's name in the integration's module (served by its __getattr__)
    name: str  # the framework's name, for the error message
    install: str  # what to pip install when it cannot be imported


_frameworks: dict[type, Framework] = {}  # each integration's class: the framework it joins
_joined: dict[type, type] = {}  # a class (ours or a user's subclass): its joined class
_unjoined: dict[type, type] = {}  # a joined class: the class it joins (what its instances pickle as)
# The runs this process's holders opened, by tag: a copy of a holder unpickled in the same process
# (Lightning pickles the trainer) writes to the same open run instead of starting another.
_live: weakref.WeakValueDictionary[str, Experiment] = weakref.WeakValueDictionary()


def _integration_of(cls: type) -> type:
    for each in cls.__mro__:
        if each in _frameworks:
            return each
    raise TypeError(f"{cls.__name__} is not a lab-workbook integration class")  # pragma: no cover - by __new__


def joined_class(ours: type[T]) -> type[T]:
    """``ours`` (an integration class or a subclass of one) joined with its framework's base class, built once.

    Raises:
        MissingDependencyError: the framework cannot be imported.
    """
    if ours not in _joined:
        integration = _integration_of(ours)
        framework = _frameworks[integration]
        module, _, name = framework.base.partition(":")
        try:
            base_class = getattr(importlib.import_module(module), name)
        except ImportError as err:
            raise MissingDependencyError(
                f"{ours.__name__} needs {framework.name}, which cannot be imported ({err}): "
                f"pip install {framework.install}"
            ) from err
        if base_class in ours.__mro__:  # a user's subclass that already names the framework's class
            return ours
        qualname = framework.qualname if ours is integration else ours.__qualname__
        namespace = {"__module__": ours.__module__, "__qualname__": qualname}
        joined = _joined[ours] = type(ours.__name__, (ours, base_class), namespace)
        _unjoined[joined] = ours
        register_if_loaded(integration)
    return _joined[ours]


def register_if_loaded(ours: type[RunHolder]) -> None:
    """Make ``ours`` a virtual subclass of its framework's (ABC) base class, if the framework is loaded.

    Configuration tools check a class before making one (LightningCLI's ``class_path`` must name a
    subclass of ``Logger``); the instances are of the joined class anyway. Importing nothing, this
    costs a script that never loaded the framework nothing.
    """
    module, _, name = _frameworks[ours].base.partition(":")
    loaded = sys.modules.get(module)
    register = getattr(getattr(loaded, name, None), "register", None)
    if callable(register):
        register(ours)


def serve_joined_class(ours: type[RunHolder]) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving the joined class under its qualname (pickles of older versions name it)."""
    qualname = _frameworks[ours].qualname

    def __getattr__(name: str) -> Any:
        if name == qualname:
            return joined_class(ours)
        raise AttributeError(f"module {ours.__module__!r} has no attribute {name!r}")

    return __getattr__


def _remade(cls: type[RunHolder]) -> RunHolder:
    """An empty holder of ``cls`` (joined again): what a pickled holder is loaded as, before its state."""
    return cls.__new__(cls)


class RunHolder:
    """The experiment an integration records into: made on first use, or given (then the caller's to close).

    A subclass names its :class:`Framework` (``class Logger(RunHolder, framework=Framework(...))``);
    making one, or one of a user's subclass of it, returns an instance of the joined class.

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
        if cls not in _unjoined:  # not yet joined with the framework's class
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
        self._ended: str | None = None  # "finished" or "failed" once this holder closed its run
        self._handed: str | None = None  # the run a copy of this holder (another process) continues
        if experiment is not None:
            _live[experiment.tag] = experiment

    # -- pickling: the run is not pickled, its tag is ----------------------------------------

    def __reduce_ex__(self, protocol: Any) -> Any:
        return _remade, (_unjoined.get(type(self), type(self)),), self.__getstate__()

    def __getstate__(self) -> dict[str, Any]:
        """The holder without its run (locks, threads, files): a copy continues the run by its tag."""
        state = self.__dict__.copy()
        if self._experiment is not None:
            state["_handed"] = self._experiment.tag
        state["_experiment"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        live = _live.get(self._handed) if self._handed is not None else None
        if live is not None and not live.closed and live.pid == os.getpid():
            self._experiment = live  # the same process: the same open run

    # -- the run ------------------------------------------------------------------------------

    def _run(self) -> Experiment:
        """The experiment, made now if it was not yet (possibly closed: see :meth:`_writable_run`)."""
        if self._experiment is None:
            self._experiment = self._start()
        return self._experiment

    def _writable_run(self, step: int | None = None) -> Experiment:
        """The run to write to: if this holder's run was closed, the one that follows it (module docstring).

        ``step``: where a new run forked from a finished one starts (its record's ``parent``).
        An experiment given by the caller is never replaced (a write to it once closed raises).
        """
        run = self._run()
        if run.closed and self._owned:
            run = self._experiment = self._follow(run.tag, step)
        return run

    def _start(self) -> Experiment:
        from ._start import new_experiment

        if self._handed is None:
            run = new_experiment(self._prefix, self._tag, self._description, **self._options)
        else:  # a copy of a holder whose run was made (or reserved) by another process: continue it
            options = {k: v for k, v in self._options.items() if k not in ("resume", "force", "fork", "step")}
            try:
                run = new_experiment(self._prefix, self._handed, self._description, resume="auto", **options)
            except RunFinished:
                run = self._fork(self._handed, None)
        _live[run.tag] = run
        return run

    def _follow(self, tag: str, step: int | None) -> Experiment:
        """The run after ``tag``, closed by this holder: its next attempt, or a fork of a finished run."""
        if self._ended == "finished":
            return self._fork(tag, step)
        from ._start import new_experiment

        options = {k: v for k, v in self._options.items() if k not in ("resume", "force", "fork", "step")}
        try:  # this process closed it: no other process writes it, whatever its heartbeat says
            run = new_experiment(self._prefix, None, self._description, resume=tag, force=True, **options)
        except RunFinished:
            return self._fork(tag, step)
        self._ended = None
        _live[run.tag] = run
        return run

    def _fork(self, tag: str, step: int | None) -> Experiment:
        from ._start import new_experiment

        options = {k: v for k, v in self._options.items() if k not in ("resume", "force", "fork", "step", "tag")}
        run = new_experiment(self._prefix, None, self._description, fork=tag, step=step, **options)
        from ._notices import warn

        warn(
            f"run {tag} is finished and never changes: recording in a new run {run.tag} whose parent is {tag} "
            "(keep_open=True keeps one run open until you close it)"
        )
        self._ended = None
        _live[run.tag] = run
        return run

    def _end(self, status: str) -> None:
        """Close the run this holder made, as ``finished`` or (after a noted failure) ``failed``."""
        run = self._open_run()
        if run is None or not self._owned:
            return
        run.close()
        self._ended = status

    def _open_run(self) -> Experiment | None:
        """The experiment if it was made and is still open; else None (nothing to send or close)."""
        return None if self._experiment is None or self._experiment.closed else self._experiment

    def close(self) -> bool:
        """Close the run (``finished`` unless it failed); True if everything reached the store.

        A later write through this holder starts a new run naming this one as its parent.
        """
        if self._experiment is None:
            return True
        if self._owned and not self._experiment.closed:
            self._ended = self._ended or "finished"
        return bool(self._experiment.close())
