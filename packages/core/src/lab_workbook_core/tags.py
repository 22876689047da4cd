"""Experiment tags: ``YYYYMMDDHHMM-`` (UTC) followed by 10 characters of ``[0-9A-Za-z]``.

Tags sort chronologically as strings, to the millisecond: the first three characters
after the dash are the millisecond within the minute written in base 62 over
:data:`TAG_ALPHABET`, whose ASCII order is its value order, and the other seven are
random. So ``wb[-1]``, ``lab-workbook list`` and ``latest`` agree on one order (tag
order) without reading any run record, even in a sweep that starts many runs a
minute. Tags made by the original tool (ten random characters) keep the same shape
and still read; among themselves, runs of one minute are in tag order. Randomness comes from :mod:`secrets`, never
the global ``random`` state (which training scripts seed, and which forked data
loaders share). Uniqueness is not left to chance: a tag is *claimed* by a
create-only write (``If-None-Match: *``) of its run record, so two writers can never
share one. The run record is looked for first, so a store that silently ignores
the condition still never has a tag reused by a later run; a store that answers
``501 NotImplemented`` to it gets a plain write after that check, with a
:class:`NoConditionalWritesWarning`: claims there are not race-free.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import re
import secrets
import string
import warnings

from .errors import AlreadyExists, InvalidNameError, StoreFeatureMissing
from .keys import run_record_key
from .storage.base import Storage

__all__ = [
    "TAG_ALPHABET",
    "TAG_PATTERN",
    "NoConditionalWritesWarning",
    "claim_tag",
    "is_generated_tag",
    "new_tag",
    "validate_tag",
]

TAG_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
TAG_PATTERN = re.compile(r"^\d{12}-[0-9A-Za-z]{10}$")
_CLAIM_ATTEMPTS = 20
_CLOCK_DIGITS = 3  # 62**3 = 238,328 > 60,000 milliseconds in a minute
_RANDOM_DIGITS = 7  # 62**7 ≈ 3.5e12 tags per millisecond before a collision is likely


class NoConditionalWritesWarning(UserWarning):
    """The store does not implement conditional writes: tags are claimed by check-then-write."""


def new_tag(now: datetime | None = None) -> str:
    """A fresh tag for the current (or given) UTC moment, sorting after any earlier millisecond's."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    millisecond = moment.second * 1000 + moment.microsecond // 1000
    clock = ""
    for _ in range(_CLOCK_DIGITS):
        millisecond, digit = divmod(millisecond, len(TAG_ALPHABET))
        clock = TAG_ALPHABET[digit] + clock
    suffix = "".join(secrets.choice(TAG_ALPHABET) for _ in range(_RANDOM_DIGITS))
    return f"{moment:%Y%m%d%H%M}-{clock}{suffix}"


def is_generated_tag(tag: str) -> bool:
    """True for tags of the generated shape (readers accept any tag; this is informative)."""
    return bool(TAG_PATTERN.match(tag))


def validate_tag(tag: str) -> str:
    """A tag is one key component: non-empty, no ``/``, no NUL, not ``.``/``..``."""
    if not isinstance(tag, str) or not tag or "/" in tag or "\x00" in tag or tag in (".", ".."):
        raise InvalidNameError(
            f"invalid experiment tag {tag!r}: a tag is one non-empty name without '/' "
            "(generated tags look like 201602142341-mn5SvgNxHY)"
        )
    return tag


def claim_tag(storage: Storage, record: Callable[[str], bytes], tag: str | None = None) -> str:
    """Claim a tag by writing its run record create-only; return the tag.

    Args:
        storage: the store to claim in.
        record: builds the initial run record bytes for a candidate tag.
        tag: a tag chosen by the user; ``None`` generates one.

    Raises:
        AlreadyExists: the user's tag is taken (or, absurdly, 20 random ones were).
    """
    if tag is not None:
        validate_tag(tag)
        try:
            _claim(storage, tag, record(tag))
        except AlreadyExists as err:
            raise AlreadyExists(
                f"experiment tag {tag!r} is already used in {storage.location}: tags are "
                "never reused (experiments are immutable); omit tag= to get a fresh one"
            ) from err
        return tag
    for _ in range(_CLAIM_ATTEMPTS):
        candidate = new_tag()
        try:
            _claim(storage, candidate, record(candidate))
        except AlreadyExists:
            continue
        return candidate
    raise AlreadyExists(f"could not claim a fresh tag in {storage.location} after {_CLAIM_ATTEMPTS} attempts")


def _claim(storage: Storage, tag: str, data: bytes) -> None:
    """Write the run record create-only, after checking it is absent (see the module docstring)."""
    key = run_record_key(tag)
    if storage.exists(key):
        raise AlreadyExists(f"{storage.url(key)} already exists")
    try:
        storage.put_bytes(key, data, if_absent=True)
    except StoreFeatureMissing:
        warnings.warn(
            f"{storage.location} does not implement conditional writes (If-None-Match): tag {tag} was "
            "claimed by checking first, which is not race-free if two runs pick the same tag at once. "
            "Use a store with conditional writes (AWS S3, recent MinIO, R2) for race-free claims",
            NoConditionalWritesWarning,
            stacklevel=3,
        )
        storage.put_bytes(key, data)
