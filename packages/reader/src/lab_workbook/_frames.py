"""A parsed series, stored as raw column buffers: how the cache skips CSV parsing.

A finished series never changes, so after its first load the parsed columns are
kept in the disk cache beside the CSV; the next load copies them back instead of
parsing text (several times faster than ``pandas.read_csv``). The format is ours
and private to the cache: a JSON header line (column names and dtypes, and every
field of the series), then each column's bytes. No pickle: only numbers, booleans
and UTC datetimes are stored, and a frame with any other column (strings) is simply
not cached this way.

An entry may hold only some fields (a meld parses just the index and one field):
it then answers for those, and a load that wants more parses the CSV again.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["decode_frame", "encode_frame", "stored_fields"]

_FORMAT = "lab-workbook/frame-v2"
_COMPLETE_FORMAT = "lab-workbook/frame-v1"  # before v2 an entry always held every field


def _kind(values: pd.Series | pd.Index) -> str | None:
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC":
        return "utc:" + dtype.unit
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        return dtype.str
    return None


def _buffer(values: pd.Series | pd.Index) -> np.ndarray:
    """The values' bytes without a copy where they are contiguous (``encode_frame`` joins them once)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):  # to_numpy() would make Timestamp objects
        return np.ascontiguousarray(values.array.asi8)
    return np.ascontiguousarray(values.to_numpy())


def encode_frame(frame: pd.DataFrame, series_fields: Sequence[str]) -> bytes | None:
    """The frame's index and columns as bytes, or ``None`` if a column cannot be stored this way.

    Args:
        frame: the parsed series, or some of its fields.
        series_fields: every field of the series but the index (so that an entry with some
            of them can tell a field it lacks from a field the series does not have).
    """
    parts = [("index", frame.index.name, frame.index)] + [("column", name, frame[name]) for name in frame.columns]
    header, buffers = [], []
    for role, name, values in parts:
        kind = _kind(values)
        if kind is None or (name is not None and not isinstance(name, str)):
            return None
        data = _buffer(values)
        header.append({"role": role, "name": name, "kind": kind, "bytes": data.nbytes})
        buffers.append(data)
    if frame.columns.duplicated().any():
        return None
    meta = {"format": _FORMAT, "rows": len(frame), "fields": header, "series": list(series_fields)}
    head = json.dumps(meta).encode() + b"\n"
    return b"".join([head, *(buffer.data for buffer in buffers)])  # one copy of the values


def _meta(data: Any) -> dict[str, Any] | None:
    end = data.find(b"\n")
    try:
        meta = json.loads(bytes(data[:end])) if end > 0 else None
    except ValueError:
        return None
    if not isinstance(meta, dict) or meta.get("format") not in (_FORMAT, _COMPLETE_FORMAT):
        return None
    if len(data) != end + 1 + sum(f["bytes"] for f in meta["fields"]):
        return None  # truncated or not ours
    meta["start"] = end + 1
    return meta


def stored_fields(data: Any) -> list[str]:
    """The fields (not the index) an entry holds; ``[]`` for anything that is not an entry."""
    meta = _meta(data)
    return [] if meta is None else [f["name"] for f in meta["fields"] if f["role"] == "column"]


def decode_frame(data: Any, fields: Sequence[str] | None = None) -> pd.DataFrame | None:
    """The frame :func:`encode_frame` stored, or ``None`` if it lacks a wanted field or is not an entry.

    Args:
        data: the stored bytes, or a memory map of them (then only what is needed is read).
        fields: only these columns (the index is always read); ``None`` for every field of the series.
    """
    meta = _meta(data)
    if meta is None:
        return None
    stored = [f["name"] for f in meta["fields"] if f["role"] == "column"]
    series = meta.get("series", stored)
    if any(name in series and name not in stored for name in (series if fields is None else fields)):
        return None  # a field of the series that this entry does not hold: parse the CSV
    offset = meta["start"]
    index, columns = None, {}
    for field in meta["fields"]:
        kind, size = field["kind"], field["bytes"]
        if field["role"] == "column" and fields is not None and field["name"] not in fields:
            offset += size
            continue
        dtype = np.dtype("int64" if kind.startswith("utc:") else kind)
        raw = np.frombuffer(data, dtype=dtype, count=size // dtype.itemsize, offset=offset).copy()  # writable
        offset += size
        values: pd.Index | np.ndarray
        if kind.startswith("utc:"):
            values = pd.DatetimeIndex(raw.view(f"datetime64[{kind[4:]}]")).tz_localize("UTC")
        else:
            values = pd.Index(raw) if field["role"] == "index" else raw
        if field["role"] == "index":
            index = pd.Index(values, name=field["name"])
        else:
            columns[field["name"]] = values if not isinstance(values, pd.DatetimeIndex) else values.array
    names = pd.Index(list(columns), dtype=None if columns else object)  # as read_csv names no fields
    return pd.DataFrame(columns, index=index, columns=names, copy=False)
