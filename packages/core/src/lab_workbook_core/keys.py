"""The on-store key layout (documented for humans in ``docs/format.md``).

Keys here are relative to the store's prefix: the full key is ``prefix + key``.

- ``<tag>/<artifact name>``: user artifacts, exactly as the original laid them out.
- ``<tag>/.lab-workbook/``: reserved for lab-workbook's own objects, never listed as
  artifacts and never writable as one:

  - ``run.json``: the run record; its create-only write claims the tag.
  - ``attempt-<at least 4 digits>.json``: the claim of attempt 2, 3... of a resumed run;
    its create-only write makes one process the run's writer (attempt 1's claim is
    ``run.json`` itself).
  - ``segments/<series file>/<8-digit sequence>.csv``: time-series segments uploaded
    while a run is going (each a complete CSV with its header); merged into
    ``<tag>/<series file>`` at close and then deleted.

- ``<tag>/<name>/step-<at least 8 digits><ending>``: one step of the series ``<name>``: a
  picture (``save_image(name, image, step=N)``, ending ``.png``; ``<tag>/<name>.png`` without a
  step) or a checkpoint (``save_torch(name, obj, step=N)``, ending ``.pt``; ``save_file`` keeps
  the file's own ending). Inside a series' folder, a last component ``step-<digits><ending>``
  *is* a step; other objects there are not.

Picture endings (:data:`PICTURE_TYPES`) are here too: what the reader loads as an image is
what the dashboard serves as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import operator
from types import MappingProxyType
from typing import Any

from .errors import InvalidValueError
from .names import validate_name

__all__ = [
    "PICTURE_ENDING",
    "PICTURE_TYPES",
    "RESERVED_DIR",
    "artifact_key",
    "attempt_claim_key",
    "experiment_prefix",
    "experiment_tags",
    "image_ending",
    "image_step_name",
    "image_steps_prefix",
    "is_experiment_folder",
    "is_reserved",
    "parse_attempt_claim_key",
    "parse_image_step",
    "parse_segment_key",
    "parse_step",
    "picture_type",
    "run_record_key",
    "segment_key",
    "segments_prefix",
    "step_ending",
    "step_name",
    "steps_prefix",
    "writer_claim_key",
]

RESERVED_DIR = ".lab-workbook"
RUN_RECORD = "run.json"
_SEGMENTS = "segments"
#: The ending of every picture lab-workbook writes (``save_image``, ``save_figure``).
PICTURE_ENDING = ".png"
#: Endings of pictures (compared in lower case), with the content type each is served with. Never
#: SVG: it can hold script.
PICTURE_TYPES: Mapping[str, str] = MappingProxyType(
    {
        PICTURE_ENDING: "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".gif": "image/gif",
        ".bmp": "image/bmp",
        ".webp": "image/webp",
    }
)
_ATTEMPT = "attempt-"
_ATTEMPT_DIGITS = 4
_STEP = "step-"
_STEP_DIGITS = 8  # zero-padded to this width, so steps up to 99,999,999 sort as text too


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


def attempt_claim_key(tag: str, attempt: int) -> str:
    """The key whose create-only write claims attempt ``attempt`` (2 or more) of a resumed run.

    ``<tag>/.lab-workbook/attempt-0002.json``: at least four digits, so that claims sort as text
    as they do as numbers up to 9,999. Attempt 1 is the run's first start: its claim is the run
    record (:func:`run_record_key`), and it has no key here.

    Raises:
        InvalidValueError: ``attempt`` is not an integer of at least 2.
    """
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 2:
        raise InvalidValueError(
            f"an attempt claim is for attempt 2 or later (attempt 1's claim is the run record), got {attempt!r}"
        )
    return f"{tag}/{RESERVED_DIR}/{_ATTEMPT}{attempt:0{_ATTEMPT_DIGITS}d}.json"


def parse_attempt_claim_key(tag: str, key: str) -> int | None:
    """The attempt whose claim ``key`` is (:func:`attempt_claim_key`), ``None`` for any other key."""
    root = f"{tag}/{RESERVED_DIR}/{_ATTEMPT}"
    if not key.startswith(root) or not key.endswith(".json"):
        return None
    digits = key[len(root) : -len(".json")]
    if len(digits) < _ATTEMPT_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    number = int(digits)
    return number if number >= 2 else None


def writer_claim_key(tag: str, namespace: str, attempt: int = 1) -> str:
    """The key whose create-only write gives one process the artifact folder ``namespace`` of a run.

    ``<tag>/.lab-workbook/writers/rank1.json`` in a run's first attempt (the key of runs written
    before attempts existed); ``<tag>/.lab-workbook/writers/attempt-0002/rank1.json`` in attempt 2
    of a resumed run, so that the ranks of each attempt claim their folders again, once each.

    Raises:
        InvalidValueError: ``attempt`` is not an integer of at least 1.
    """
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise InvalidValueError(f"an attempt is an integer of at least 1, got {attempt!r}")
    name = validate_name(namespace)
    if attempt == 1:
        return f"{tag}/{RESERVED_DIR}/writers/{name}.json"
    return f"{tag}/{RESERVED_DIR}/writers/{_ATTEMPT}{attempt:0{_ATTEMPT_DIGITS}d}/{name}.json"


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


def picture_type(name: str) -> str | None:
    """The ``image/...`` content type of a picture artifact, by its ending (any case); ``None`` for others."""
    lower = name.lower()
    return next((kind for ending, kind in PICTURE_TYPES.items() if lower.endswith(ending)), None)


def step_ending(step: Any, ending: str) -> str:
    """What a name gets for step ``step`` of its series: ``/step-<at least 8 digits><ending>``.

    ``step`` is a non-negative integer (a numpy or one-element torch integer too: anything
    ``operator.index`` takes). ``ending`` is ``""`` or starts with ``.`` (``".pt"``, ``".png"``).

    Raises:
        InvalidValueError: ``step`` is not a non-negative integer (``True`` is not one), or
            ``ending`` is not an ending.
    """
    if isinstance(step, bool):
        raise InvalidValueError(f"step must be a non-negative integer, got {step!r}")
    try:
        number = operator.index(step)
    except TypeError:
        raise InvalidValueError(f"step must be a non-negative integer, got {step!r}") from None
    if number < 0:
        raise InvalidValueError(f"step must be a non-negative integer, got {number}")
    if not _is_ending(ending):
        raise InvalidValueError(f"a step's ending is empty or '.' and a name without '/', got {ending!r}")
    return f"/{_STEP}{number:0{_STEP_DIGITS}d}{ending}"


def step_name(series: str, step: Any, ending: str) -> str:
    """The artifact name of step ``step`` of the series ``series`` (``model/step-00001200.pt``).

    Raises:
        InvalidValueError: ``step`` is not a non-negative integer, or ``ending`` is not an ending.
    """
    return series + step_ending(step, ending)


def steps_prefix(tag: str, series: str) -> str:
    """The key prefix whose listing (delimiter ``/``) finds every step of a series, and nothing else."""
    return f"{artifact_key(tag, series)}/{_STEP}"


def parse_step(name: str) -> tuple[str, int, str] | None:
    """``(series, step, ending)`` for the artifact name of a series' step, ``None`` for any other name.

    A step is a last component ``step-<ASCII digits><ending>`` under a non-empty series name,
    where the ending is empty or starts with ``.``; the step is read as a number
    (``step-123456789.pt`` is step 123,456,789).
    """
    series, _, last = name.rpartition("/")
    if not series or not last.startswith(_STEP):
        return None
    rest = last[len(_STEP) :]
    digits = rest.split(".", 1)[0]
    ending = rest[len(digits) :]
    if not digits or not (digits.isascii() and digits.isdigit()) or not _is_ending(ending):
        return None
    return series, int(digits), ending


def _is_ending(ending: str) -> bool:
    return ending == "" or (len(ending) > 1 and ending.startswith(".") and "/" not in ending)


def image_ending(step: Any = None) -> str:
    """What a picture's name gets: ``.png``, or ``/step-<at least 8 digits>.png`` for a ``step``.

    ``step`` is a non-negative integer (a numpy or one-element torch integer too: anything
    ``operator.index`` takes), or ``None`` for a picture that is not part of a series.

    Raises:
        InvalidValueError: ``step`` is not a non-negative integer (``True`` is not one).
    """
    return PICTURE_ENDING if step is None else step_ending(step, PICTURE_ENDING)


def image_step_name(series: str, step: Any) -> str:
    """The artifact name of step ``step`` of the image series ``series`` (``samples/step-00001200.png``).

    Raises:
        InvalidValueError: ``step`` is not a non-negative integer.
    """
    return step_name(series, step, PICTURE_ENDING)


def image_steps_prefix(tag: str, series: str) -> str:
    """The key prefix whose listing (delimiter ``/``) finds every step of an image series, and nothing else."""
    return steps_prefix(tag, series)


def parse_image_step(name: str) -> tuple[str, int] | None:
    """``(series, step)`` for the artifact name of an image series' step, ``None`` for any other name.

    A step is a last component ``step-<ASCII digits>.png`` under a non-empty series name
    (:func:`parse_step` with the ending ``.png``, in lower case, as the writer makes it).
    """
    parsed = parse_step(name)
    if parsed is None or parsed[2] != PICTURE_ENDING:
        return None
    return parsed[0], parsed[1]
