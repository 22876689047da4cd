"""``meld_csv``: one field of a series from several experiments, side by side.

As in the original: one column per experiment, labelled and ordered as the
mapping given, on the sorted union of the first field's values (an outer join;
NaN where a run has no row). The series are fetched concurrently.

A run whose series cannot be parsed is left out, with one warning naming every such run
and why (``strict=True`` raises instead): one damaged run of fifteen must not stop the
comparison of the other fourteen. A run whose record is damaged but whose series reads is
melded: the record plays no part in a meld.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
import warnings

from lab_workbook_core import CorruptArtifactError, NotFoundError, concurrent_map
from lab_workbook_core.hints import closest
import pandas as pd

from ._labels import labelled_experiments
from ._problems import UnreadableRunsWarning

if TYPE_CHECKING:
    from ._experiment import Experiment
    from ._repository import ExperimentRepository

__all__ = ["meld_csv"]


def _column(exp: Experiment, artifact: str, field: str) -> pd.Series:
    frame = exp.load_series(artifact, [field])
    if field not in frame.columns:
        fields = [str(frame.index.name), *map(str, exp.load_series(artifact).columns)]
        hint = closest(field, fields)
        maybe = (" Did you mean " + " or ".join(repr(h) for h in hint) + "?") if hint else ""
        raise NotFoundError(f"{exp.tag}/{artifact} has no field {field!r}.{maybe} Its fields: {', '.join(fields)}.")
    column = frame[field]
    if column.index.hasnans:
        column = column[column.index.notna()]
    if not _strictly_increasing(column.index) and not column.index.is_unique:
        column = column[~column.index.duplicated(keep="last")]  # a run that logged a step twice: its latest value
    return column


def _strictly_increasing(index: pd.Index) -> bool:
    """A cheap proof that an index is unique (a series' steps usually increase): no hash table is built."""
    values = index.to_numpy()
    return values.dtype.kind in "iuf" and bool((values[1:] > values[:-1]).all())


def _column_or_damage(exp: Experiment, artifact: str, field: str, strict: bool) -> pd.Series | CorruptArtifactError:
    try:
        return _column(exp, artifact, field)
    except CorruptArtifactError as err:
        if strict:
            raise
        return err


def meld_csv(
    wb: ExperimentRepository,
    experiments: Mapping[Any, Any] | Iterable[str | Experiment],
    artifact: str,
    field: str,
    *,
    strict: bool = False,
) -> pd.DataFrame:
    """See :meth:`lab_workbook.ExperimentRepository.meld_csv`."""
    pairs = labelled_experiments(wb, experiments)
    found = concurrent_map(lambda pair: _column_or_damage(pair[0], artifact, field, strict), pairs, wb.max_workers)
    damaged = [(exp, err) for (exp, _), err in zip(pairs, found, strict=True) if isinstance(err, CorruptArtifactError)]
    if damaged:
        named = "; ".join(str(err) if exp.tag in str(err) else f"{exp.tag}: {err}" for exp, err in damaged)
        warnings.warn(
            f"meld_csv: left out {len(damaged)} of {len(pairs)} runs whose {artifact!r} cannot be read "
            f"(meld_csv(..., strict=True) raises instead): {named}",
            UnreadableRunsWarning,
            stacklevel=3,
        )
    kept = [(pair, column) for pair, column in zip(pairs, found, strict=True) if isinstance(column, pd.Series)]
    if not kept:
        return pd.DataFrame()
    columns = [column for _, column in kept]
    index_name = columns[0].index.name
    melded = pd.concat(columns, axis=1, join="outer", sort=True)
    melded.columns = pd.Index([label for (_, label), _ in kept])
    melded.index.name = index_name
    if not melded.index.is_monotonic_increasing:
        melded = melded.sort_index()
    return melded
