"""Opening the store a command works on, from ``--prefix`` and the usual resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .tags import resolve_tag

if TYPE_CHECKING:
    from lab_workbook import Experiment, ExperimentRepository

__all__ = ["find_experiment", "open_repository"]


def open_repository(prefix: str | None) -> ExperimentRepository:
    """The reader's view of the store named by ``--prefix``, else ``$LAB_WORKBOOK_PREFIX``, the config
    file or the default (imported here: only reading commands pay for pandas)."""
    from lab_workbook import ExperimentRepository

    return ExperimentRepository(prefix)


def find_experiment(wb: ExperimentRepository, text: str) -> Experiment:
    """The experiment a tag argument designates (full tag, unique prefix, ``latest``, ``-N``)."""
    return wb[resolve_tag(text, wb.tags(), str(wb.storage.location))]
