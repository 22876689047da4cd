"""Opening the store a command works on, from ``--prefix`` and the usual resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab_workbook_core import Config, Storage, load_config, open_storage

from .tags import list_tags, resolve_tag

if TYPE_CHECKING:
    from lab_workbook import Experiment, ExperimentRepository

__all__ = ["Store", "find_experiment", "open_repository", "open_store"]


class Store:
    """The configuration, the storage backend and the tags of one store, listed once."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.storage: Storage = open_storage(config)
        self._tags: list[str] | None = None

    @property
    def url(self) -> str:
        """The store's canonical address, for messages."""
        return self.config.location.url

    @property
    def tags(self) -> list[str]:
        """Every experiment tag, oldest first (listed on first use)."""
        if self._tags is None:
            self._tags = list_tags(self.storage)
        return self._tags

    def resolve(self, text: str) -> str:
        """The full tag a command-line tag argument designates (see :mod:`.tags`)."""
        return resolve_tag(text, self.tags, self.url)


def open_store(prefix: str | None) -> Store:
    """The store named by ``--prefix``, else ``$LAB_WORKBOOK_PREFIX``, the config file or the default."""
    return Store(load_config(prefix))


def open_repository(prefix: str | None) -> ExperimentRepository:
    """The reader's view of the store (imported here: only reading commands pay for pandas)."""
    from lab_workbook import ExperimentRepository

    return ExperimentRepository(prefix)


def find_experiment(wb: ExperimentRepository, text: str) -> Experiment:
    """The experiment a tag argument designates (full tag, unique prefix, ``latest``, ``-N``)."""
    return wb[resolve_tag(text, wb.tags(), str(wb.storage.location))]
