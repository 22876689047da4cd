"""Store contents for the reader's tests, written directly with core storage per ``docs/format.md``.

The writer is a separate package; these tests build what it (or the original Lua
tool) leaves in a store by hand, with the builder every package's tests share
(``tests/builders.py``), so the reader is tested against the format itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from builders import StoreBuilder
from lab_workbook import ExperimentRepository
import pytest
from store_fixtures import builder_fixtures

FIXTURE_TAG = "201602142341-mn5SvgNxHY"
FIXTURE_DIR = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "original" / FIXTURE_TAG


class Store(StoreBuilder):
    """The shared builder (``tests/builders.py``), plus the original tool's experiment and a repository."""

    def original(self, tag: str = FIXTURE_TAG) -> str:
        """Upload the original tool's experiment under ``tag`` (key = prefix + tag + '/' + file name)."""
        for path in sorted(FIXTURE_DIR.iterdir()):
            self.put(tag, path.name, path.read_bytes())
        return tag

    def repository(self, **kwargs: object) -> ExperimentRepository:
        return ExperimentRepository(self.prefix, **kwargs)  # type: ignore[arg-type]


# An empty store: once on a local folder and once on the S3 endpoint; only on S3; only local.
store, s3_store, local_store = builder_fixtures(Store, "both", "s3", "local")


@pytest.fixture
def make_store() -> Callable[[str], Store]:
    return Store
