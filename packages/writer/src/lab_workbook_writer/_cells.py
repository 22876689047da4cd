"""Turning logged values into CSV cells (core's :func:`~lab_workbook_core.times.format_millis` writes ``Date``).

Plain ``int`` and ``float`` rows never come here: the series writes them with one
``%r`` format (``repr`` round-trips floats exactly). Everything else is made into
something the ``csv`` module writes the way ``docs/format.md`` asks (``str`` with
RFC 4180 quoting, ``None`` as an empty cell) by :func:`to_cell`, which converts
numpy and torch scalars *without importing either*: it looks at the type's module
name and calls ``.item()``.

How values are written, so that a numeric column stays numeric for every reader:
``True``/``False`` as ``1``/``0``; NaN as ``nan``; infinities as ``inf`` and
``-inf`` (``repr``); ``None`` (and a missing field) as an empty cell. Strings are
refused at the call if they cannot be stored as UTF-8 text (a lone surrogate,
as ``os.fsdecode`` makes from undecodable bytes) or hold a NUL character, which
CSV readers do not agree on.
"""

from __future__ import annotations

from typing import Any

from lab_workbook_core import InvalidValueError

__all__ = ["PLAIN_TYPES", "check_text", "to_cell"]

#: Types written as they are (``str`` once checked by :func:`check_text`).
PLAIN_TYPES = frozenset({float, int, type(None)})


def to_cell(value: Any, field: str, series: str) -> Any:
    """A value the ``csv`` module writes correctly, or :class:`InvalidValueError`.

    Accepts Python numbers, strings, ``None``; numpy scalars and 0-d/1-element
    arrays; 0-d/1-element torch tensors (moved to the CPU by ``.item()``).

    Args:
        value: what the user logged.
        field: the field's name, for the error message.
        series: the series' name, for the error message.
    """
    kind = type(value)
    if kind in PLAIN_TYPES:
        return value
    if kind is str:
        return check_text(value, f"series {series!r}, field {field!r}: the string {value!r:.60}")
    if kind is bool:
        return int(value)  # 1/0: one boolean must not turn a numeric column into text
    module = kind.__module__ or ""
    if module == "numpy" or module.startswith(("numpy.", "torch")):
        size = _element_count(value)
        if size != 1:
            shape = tuple(getattr(value, "shape", ()))
            raise InvalidValueError(
                f"series {series!r}, field {field!r}: got a {kind.__name__} with {size} elements (shape {shape}); "
                "log one number per field, e.g. loss=loss.item() or gradientNorm=grad.norm()"
            )
        return to_cell(value.item(), field, series)
    for plain in (bool, int, float, str):  # subclasses (IntEnum, numpy.float64...) as the plain value
        if isinstance(value, plain):
            return to_cell(plain(value), field, series)
    raise _unsupported(value, field, series)


def check_text(text: str, what: str) -> str:
    """``text`` if it can be stored as UTF-8 without a NUL, else :class:`InvalidValueError` about ``what``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidValueError(
            f"{what} cannot be stored as UTF-8 text: character {text[err.start]!r} at position {err.start} is a "
            "lone surrogate (os.fsdecode() makes these from undecodable bytes); decode the bytes yourself, "
            "e.g. data.decode('utf-8', 'replace')"
        ) from None
    if "\x00" in text:
        raise InvalidValueError(f"{what} holds a NUL character, which CSV readers do not agree on; remove it")
    return text


def _element_count(value: Any) -> int:
    numel = getattr(value, "numel", None)
    if callable(numel):
        return int(numel())
    size = getattr(value, "size", 1)
    return int(size() if callable(size) else size)


def _unsupported(value: Any, field: str, series: str) -> InvalidValueError:
    return InvalidValueError(
        f"series {series!r}, field {field!r}: cannot record a {type(value).__name__} ({value!r:.60}); "
        "log numbers, strings, booleans or None (numpy and one-element torch values are converted)"
    )
