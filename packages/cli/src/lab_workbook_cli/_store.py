"""Opening the store a command works on, from ``--prefix`` and the usual resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import CliError
from ._tags import resolve_tag

if TYPE_CHECKING:
    from lab_workbook import Experiment, ExperimentRepository

__all__ = ["find_experiment", "open_repository"]


def open_repository(prefix: str | None) -> ExperimentRepository:
    """The reader's view of the store named by ``--prefix``, else ``$LAB_WORKBOOK_PREFIX``, the config
    file or the default (imported here: only reading commands pay for pandas).

    Raises:
        CliError: a local store whose folder does not exist: a mistyped prefix must not read as
            an empty store. The built-in default store is the exception: before the first run
            on a machine its folder does not exist yet, and that store *is* empty.
    """
    from lab_workbook import ExperimentRepository

    wb = ExperimentRepository(prefix)
    missing = wb.storage.missing_folder()
    if missing is not None and wb.config.sources.get("prefix") != "built-in default":
        raise CliError(
            f"the store folder {missing} does not exist, so it holds no runs: check the prefix (it comes "
            f"from {wb.config.sources.get('prefix', 'the configuration')}; `lab-workbook config` shows it); "
            "a training run creates the folder"
        )
    return wb


def find_experiment(wb: ExperimentRepository, text: str) -> Experiment:
    """The experiment a tag argument designates (full tag, unique prefix, ``latest``, ``-N``)."""
    return wb[resolve_tag(text, wb.tags(), str(wb.storage.location))]
