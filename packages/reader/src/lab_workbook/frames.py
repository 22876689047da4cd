"""A parsed series, stored as raw column buffers: how the cache skips CSV parsing.

A finished series never changes, so after its first load the parsed columns are
kept in the disk cache beside the CSV; the next load copies them back instead of
parsing text (several times faster than ``pandas.read_csv``). The format is ours
and private to the cache: a JSON header line (column names and dtypes), then each
column's bytes. No pickle: only numbers, booleans and UTC datetimes are stored, and
a frame with any other column (strings) is simply not cached this way.
"""

from __future__ import annotations

from collections.abc import Sequence
import json
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["decode_frame", "encode_frame"]

_FORMAT = "lab-workbook/frame-v1"


def _kind(values: pd.Series | pd.Index) -> str | None:
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC":
        return "utc:" + dtype.unit
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        return dtype.str
    return None


def _buffer(values: pd.Series | pd.Index) -> bytes:
    if isinstance(values.dtype, pd.DatetimeTZDtype):  # to_numpy() would make Timestamp objects
        naive = values.tz_localize(None) if isinstance(values, pd.Index) else values.dt.tz_localize(None)
        return np.ascontiguousarray(naive.to_numpy().view("int64")).tobytes()
    return np.ascontiguousarray(values.to_numpy()).tobytes()


def encode_frame(frame: pd.DataFrame) -> bytes | None:
    """The frame's index and columns as bytes, or ``None`` if a column cannot be stored this way."""
    parts = [("index", frame.index.name, frame.index)] + [("column", name, frame[name]) for name in frame.columns]
    header, buffers = [], []
    for role, name, values in parts:
        kind = _kind(values)
        if kind is None or (name is not None and not isinstance(name, str)):
            return None
        data = _buffer(values)
        header.append({"role": role, "name": name, "kind": kind, "bytes": len(data)})
        buffers.append(data)
    if frame.columns.duplicated().any():
        return None
    head = json.dumps({"format": _FORMAT, "rows": len(frame), "fields": header}).encode() + b"\n"
    return head + b"".join(buffers)


def decode_frame(data: Any, fields: Sequence[str] | None = None) -> pd.DataFrame | None:
    """The frame :func:`encode_frame` stored, or ``None`` for anything else (then the CSV is parsed).

    Args:
        data: the stored bytes, or a memory map of them (then only what is needed is read).
        fields: only these columns (the index is always read).
    """
    end = data.find(b"\n")
    try:
        meta = json.loads(bytes(data[:end])) if end > 0 else None
    except ValueError:
        return None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        return None
    expected = end + 1 + sum(f["bytes"] for f in meta["fields"])
    if len(data) != expected:
        return None  # truncated or not ours
    offset = end + 1
    index, columns = None, {}
    for field in meta["fields"]:
        kind, size = field["kind"], field["bytes"]
        if field["role"] == "column" and fields is not None and field["name"] not in fields:
            offset += size
            continue
        dtype = np.dtype("int64" if kind.startswith("utc:") else kind)
        raw = np.frombuffer(data, dtype=dtype, count=size // dtype.itemsize, offset=offset).copy()  # writable
        offset += size
        if kind.startswith("utc:"):
            values = pd.DatetimeIndex(raw.view(f"datetime64[{kind[4:]}]")).tz_localize("UTC")
        else:
            values = pd.Index(raw) if field["role"] == "index" else raw
        if field["role"] == "index":
            index = pd.Index(values, name=field["name"])
        else:
            columns[field["name"]] = values if not isinstance(values, pd.DatetimeIndex) else values.array
    return pd.DataFrame(columns, index=index, copy=False)
