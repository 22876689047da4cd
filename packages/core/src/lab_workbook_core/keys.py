"""The on-store key layout (documented for humans in ``docs/format.md``).

Keys here are relative to the store's prefix: the full key is ``prefix + key``.

- ``<tag>/<artifact name>``: user artifacts, exactly as the original laid them out.
- ``<tag>/.lab-workbook/``: reserved for lab-workbook's own objects, never listed as
  artifacts and never writable as one:

  - ``run.json``: the run record; its create-only write claims the tag.
  - ``segments/<series file>/<8-digit sequence>.csv``: time-series segments uploaded
    while a run is going (each a complete CSV with its header); merged into
    ``<tag>/<series file>`` at close and then deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from .names import validate_name

__all__ = [
    "RESERVED_DIR",
    "artifact_key",
    "experiment_prefix",
    "experiment_tags",
    "is_experiment_folder",
    "is_reserved",
    "parse_segment_key",
    "run_record_key",
    "segment_key",
    "segments_prefix",
    "writer_claim_key",
]

RESERVED_DIR = ".lab-workbook"
RUN_RECORD = "run.json"
_SEGMENTS = "segments"


def experiment_prefix(tag: str) -> str:
    """The key prefix holding everything of one experiment."""
    return f"{tag}/"


def is_experiment_folder(name: str) -> bool:
    """True if a folder directly under the prefix can be an experiment.

    A folder whose name starts with ``.`` never is: no tag starts with a dot, and tools
    keep their own objects there (``lab-workbook doctor``'s probe under ``.lab-workbook-doctor/``).
    """
    return bool(name) and "/" not in name and not name.startswith(".")


def experiment_tags(folders: Iterable[str]) -> list[str]:
    """The sorted tags among the folders of a delimiter listing of the prefix (``"tag/"`` each)."""
    return sorted({t for t in (f.removesuffix("/") for f in folders) if is_experiment_folder(t)})


def artifact_key(tag: str, name: str) -> str:
    """The key of a user artifact (``name`` is validated: it cannot leave the experiment)."""
    return f"{tag}/{validate_name(name)}"


def is_reserved(name: str) -> bool:
    """True for names inside the reserved ``.lab-workbook/`` folder (or the folder itself)."""
    return name == RESERVED_DIR or name.startswith(RESERVED_DIR + "/")


def run_record_key(tag: str) -> str:
    """The key of an experiment's run record."""
    return f"{tag}/{RESERVED_DIR}/{RUN_RECORD}"


def writer_claim_key(tag: str, namespace: str) -> str:
    """The key whose create-only write gives one process the artifact folder ``namespace`` of a run."""
    return f"{tag}/{RESERVED_DIR}/writers/{validate_name(namespace)}.json"


def segments_prefix(tag: str, series_file: str | None = None) -> str:
    """The prefix of all segments of an experiment, or of one series file (``"loss.csv"``)."""
    root = f"{tag}/{RESERVED_DIR}/{_SEGMENTS}/"
    return root if series_file is None else f"{root}{validate_name(series_file)}/"


def segment_key(tag: str, series_file: str, sequence: int) -> str:
    """The key of segment number ``sequence`` (from 1) of a series file."""
    return f"{segments_prefix(tag, series_file)}{sequence:08d}.csv"


def parse_segment_key(tag: str, key: str) -> tuple[str, int] | None:
    """``(series file, sequence)`` for a segment key of ``tag``, ``None`` for other keys."""
    root = segments_prefix(tag)
    if not key.startswith(root):
        return None
    series_file, _, last = key[len(root) :].rpartition("/")
    stem = last.removesuffix(".csv")
    if not series_file or not stem.isdigit() or not last.endswith(".csv"):
        return None
    return series_file, int(stem)
