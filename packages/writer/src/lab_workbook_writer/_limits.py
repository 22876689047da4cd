"""What names a store can hold, checked when a name is given rather than at every failed upload.

A name the store refuses would otherwise be accepted by ``save_*`` or
``new_time_series_log`` and then fail every upload and every ``sync`` forever.
The limits, per backend:

- every store: the key must be UTF-8 text (no lone surrogate, as ``os.fsdecode``
  makes from undecodable bytes) without control characters such as newlines;
- S3: the full key (the prefix's part inside the bucket, then the key) is at
  most 1,024 bytes of UTF-8;
- a local folder: each path component is at most 255 bytes (``NAME_MAX`` of
  common file systems) and the whole path at most 4,095 bytes (``PATH_MAX``).
"""

from __future__ import annotations

from lab_workbook_core import InvalidNameError, Location
from lab_workbook_core.series_csv import ATTEMPT_FIELD

__all__ = ["MAX_COMPONENT_BYTES", "MAX_PATH_BYTES", "MAX_S3_KEY_BYTES", "check_field_name", "check_key"]

MAX_S3_KEY_BYTES = 1024
MAX_COMPONENT_BYTES = 255
MAX_PATH_BYTES = 4095


def _encoded(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidNameError(
            f"{what} {text!r} cannot be stored: character {text[err.start]!r} at position {err.start} is a lone "
            "surrogate (os.fsdecode() makes these from undecodable bytes); use a name that is valid text"
        ) from None


def _control(text: str) -> str | None:
    return next((c for c in text if ord(c) < 0x20 or ord(c) == 0x7F), None)


def check_key(location: Location, key: str, what: str) -> None:
    """Refuse ``key`` (relative to the prefix) if the store of ``location`` cannot hold it.

    Args:
        location: the store's parsed prefix.
        key: the longest key the name will be stored under.
        what: how the message calls the name (``"artifact name 'x'"``).

    Raises:
        InvalidNameError: naming the limit, the size, and what to do.
    """
    data = _encoded(key, what)
    control = _control(key)
    if control is not None:
        raise InvalidNameError(f"{what} holds the control character {control!r}; use a name without it")
    if location.scheme == "s3":
        full = len(location.base.encode("utf-8")) + len(data)
        if full > MAX_S3_KEY_BYTES:
            raise InvalidNameError(
                f"{what} is too long for S3: its key {location.base}{key!r} would be {full:,} bytes, over S3's "
                f"limit of {MAX_S3_KEY_BYTES:,}; use a shorter name"
            )
        return
    for part in key.split("/"):
        size = len(part.encode("utf-8"))
        if size > MAX_COMPONENT_BYTES:
            raise InvalidNameError(
                f"{what} is too long for a local store: the path component {part[:40]!r}… is {size:,} bytes, over "
                f"the file system's limit of {MAX_COMPONENT_BYTES}; use a shorter name (or split it with '/')"
            )
    full = len(location.base.encode("utf-8")) + len(data)
    if full > MAX_PATH_BYTES:
        raise InvalidNameError(
            f"{what} is too long for a local store: its path would be {full:,} bytes, over the limit of "
            f"{MAX_PATH_BYTES:,}; use a shorter name"
        )


def check_field_name(name: str, series: str) -> None:
    """Refuse a column name that would break the CSV header (a newline), cannot be stored as text, or is reserved."""
    what = f"series {series!r}: field name"
    if name == ATTEMPT_FIELD:  # a resumed run's rows carry their attempt's number in it (docs/format.md)
        raise InvalidNameError(f"{what} {name!r} is reserved for a resumed run's attempt numbers; use another name")
    _encoded(name, what)
    control = _control(name)
    if control is not None:
        raise InvalidNameError(
            f"{what} {name!r} holds the control character {control!r}, which would break the CSV header; "
            "use a name without it"
        )
