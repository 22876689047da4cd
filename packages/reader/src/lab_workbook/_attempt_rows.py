"""A resumed run's series as a frame: the rows of the latest attempt for each index value, or every row.

Rows that attempt 2, 3... logged carry their number in the ``Attempt`` field; a run resumed
from an earlier checkpoint logs some steps again. The default frame applies core's rule
(:func:`lab_workbook_core.attempts.latest_attempt_rows`), vectorised here with pandas: the
same answer (a test compares the two), in one ``groupby`` instead of a Python loop over rows.
The choice of frame is checked here too, without pandas (``import lab_workbook`` stays quick).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from lab_workbook_core import CorruptArtifactError
from lab_workbook_core.attempts import FIRST_ATTEMPT
from lab_workbook_core.series_csv import ATTEMPT_FIELD

if TYPE_CHECKING:  # pandas is imported by the calls that make frames: `import lab_workbook` stays quick
    import pandas as pd

__all__ = ["ATTEMPT_CHOICES", "AttemptsChoice", "check_attempts_choice", "latest_rows", "with_attempts"]

#: ``"latest"``: the default frame; ``"all"``: every row with its ``Attempt``.
AttemptsChoice = Literal["latest", "all"]
ATTEMPT_CHOICES = ("latest", "all")


def check_attempts_choice(attempts: str) -> None:
    """Refuse anything but ``"latest"`` and ``"all"``, at the call site.

    Raises:
        ValueError: naming the choices.
    """
    if attempts not in ATTEMPT_CHOICES:
        raise ValueError(f"attempts must be 'latest' (the default frame) or 'all' (every row), not {attempts!r}")


def _numbers(frame: pd.DataFrame, where: str) -> pd.Series:
    """The ``Attempt`` column as integers, 1 where empty."""
    import pandas as pd

    column = pd.to_numeric(frame[ATTEMPT_FIELD], errors="coerce")
    bad = column.isna() & frame[ATTEMPT_FIELD].notna() | (column.notna() & ((column % 1 != 0) | (column < 1)))
    if bad.any():
        shown = frame[ATTEMPT_FIELD][bad].iloc[0]
        raise CorruptArtifactError(
            f"{where}: its {ATTEMPT_FIELD} column holds {shown!r}, which is not an attempt number (an integer from 1)"
        )
    return column.fillna(FIRST_ATTEMPT).astype("int64")


def latest_rows(frame: pd.DataFrame, where: str) -> pd.Series:
    """For each row, whether the default frame keeps it (core's rule, by the frame's index).

    Raises:
        CorruptArtifactError: an ``Attempt`` value that is not an attempt number.
    """
    numbers = _numbers(frame, where)
    highest = numbers.groupby(level=0, dropna=False, sort=False).transform("max")
    return numbers == highest


def with_attempts(frame: pd.DataFrame, attempts: AttemptsChoice, where: str) -> pd.DataFrame:
    """The series as the caller asked for it: the default frame, or every row with its attempt.

    A series without an ``Attempt`` field (never resumed, or written before attempts existed)
    is returned as it is in both cases.

    Raises:
        CorruptArtifactError: an ``Attempt`` value that is not an attempt number.
    """
    if ATTEMPT_FIELD not in frame.columns:
        return frame
    if attempts == "all":
        filled = frame.copy()
        filled[ATTEMPT_FIELD] = _numbers(frame, where)
        return filled
    kept = latest_rows(frame, where)
    return frame.loc[kept.to_numpy()].drop(columns=ATTEMPT_FIELD)
