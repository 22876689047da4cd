"""Experiment tags: ``YYYYMMDDHHMM-`` (UTC) followed by 10 characters of ``[0-9A-Za-z]``.

Tags sort chronologically as strings, to the millisecond: the first three characters
after the dash are the millisecond within the minute written in base 62 over
:data:`TAG_ALPHABET`, whose ASCII order is its value order, and the other seven are
random. So ``wb[-1]``, ``lab-workbook list`` and ``latest`` agree on one order (tag
order) without reading any run record, even in a sweep that starts many runs a
minute. Tags made by the original tool (ten random characters) keep the same shape
and still read; among themselves, runs of one minute are in tag order. Randomness comes from :mod:`secrets`, never
the global ``random`` state (which training scripts seed, and which forked data
loaders share).

Uniqueness is not left to chance: a tag is *claimed* by a create-only write
(``If-None-Match: *``) of its run record, so two writers can never share one. The
run record is looked for first, so even a store that ignores the condition never
has a tag reused by a later run. Then a second create-only write of the same record
must be refused: that is the store showing it honours the condition (one request).
A store that accepts it (s3rver, some MinIO, Ceph and GCS-interop versions), or that
answers ``501 NotImplemented`` to the condition (then the record is written plainly),
cannot exclude two runs claiming one tag at the same moment. There, after a
:class:`NoConditionalWritesWarning` (once per store and process), the claim waits
:data:`CLAIM_SETTLE_SECONDS` and reads the record back: the run whose ``nonce`` is in
it holds the tag, and the others lose (a user's tag: :class:`TagTaken`; a generated
one: a fresh tag is tried). A writer on such a store keeps checking
(:func:`claim_lost`) before it writes, since a racer's write can land later still.

A generated tag's minute (:func:`tag_minute`) lets a reader skip runs by start time
before any request: the tag is made once the run has started (its record's ``started``
is taken first), in the minute it names, so a run whose tag's minute plus
:data:`TAG_MINUTE_SLACK` is not after a moment started before it (:func:`made_before`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import json
import re
import secrets
import string
import threading
import time
import warnings

from .errors import AlreadyExists, InvalidNameError, ObjectNotFound, StorageError, StoreFeatureMissing, TagTaken
from .keys import run_record_key
from .record import record_nonce
from .storage.base import Storage

__all__ = [
    "CLAIM_SETTLE_SECONDS",
    "TAG_ALPHABET",
    "TAG_MINUTE_SLACK",
    "TAG_PATTERN",
    "Claim",
    "NoConditionalWritesWarning",
    "claim_key",
    "claim_lost",
    "claim_run",
    "claim_tag",
    "is_generated_tag",
    "made_after",
    "made_before",
    "new_tag",
    "tag_minute",
    "validate_tag",
]

TAG_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
TAG_PATTERN = re.compile(r"^\d{12}-[0-9A-Za-z]{10}$")
_CLAIM_ATTEMPTS = 20
_CLOCK_DIGITS = 3  # 62**3 = 238,328 > 60,000 milliseconds in a minute
_RANDOM_DIGITS = 7  # 62**7 ≈ 3.5e12 tags per millisecond before a collision is likely

#: Seconds a claim waits, on a store that does not honour conditional writes, before it reads
#: its record back. Racers that checked before our record was there have written theirs by
#: then unless a request of theirs took longer (then the writers' later checks catch it).
CLAIM_SETTLE_SECONDS = 1.0

_warned: set[str] = set()  # the stores a NoConditionalWritesWarning was given for, in this process
_warned_lock = threading.Lock()


class NoConditionalWritesWarning(UserWarning):
    """The store ignores or lacks conditional writes: claims are read back, and not race-free."""


@dataclass(frozen=True)
class Claim:
    """A tag this writer holds, and how sure it can be that it keeps it.

    Attributes:
        tag: the tag claimed.
        nonce: the ``nonce`` of the record written (``None`` for a record without one).
        conditional: True when the store refused a second create-only write of the record:
            claims there are race-free and nothing needs reading back. False when it ignores
            or lacks conditional writes: the claim was read back after a settle time, and a
            writer should ask :func:`claim_lost` before writes that could overwrite another
            run's objects.
    """

    tag: str
    nonce: str | None
    conditional: bool


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


#: How long after its tag's minute begins a tag may have been made: the rest of that minute.
TAG_MINUTE_SLACK = timedelta(minutes=1)


def tag_minute(tag: str) -> datetime | None:
    """The UTC minute a generated tag names (``201602142341-...``: 2016-02-14 23:41), else ``None``.

    Tags of other shapes (chosen by users) and digits that are no date say nothing.
    """
    if not is_generated_tag(tag):
        return None
    try:  # not strptime: ten times slower, and a runs table asks for thousands
        return datetime(int(tag[:4]), int(tag[4:6]), int(tag[6:8]), int(tag[8:10]), int(tag[10:12]), tzinfo=UTC)
    except ValueError:
        return None


def made_before(tag: str, moment: datetime) -> bool:
    """True when a generated tag shows it was made, so its run started, before ``moment``.

    Its minute plus :data:`TAG_MINUTE_SLACK` is not after ``moment``. False for tags that
    tell no minute: only reading the run record can say.
    """
    minute = tag_minute(tag)
    return minute is not None and minute + TAG_MINUTE_SLACK <= moment


def made_after(tag: str, moment: datetime) -> bool:
    """True when a generated tag's minute begins after ``moment``: the tag was made after it.

    The run's ``started`` precedes its tag by the time the claim took (and, for a run given a
    new tag by ``lab-workbook sync --retag``, by as long as it waited), so this bounds when
    the tag was made, not when the run started.
    """
    minute = tag_minute(tag)
    return minute is not None and minute > moment


def validate_tag(tag: str) -> str:
    """A tag is one key component: non-empty, no ``/``, no NUL, not ``.``/``..``."""
    if not isinstance(tag, str) or not tag or "/" in tag or "\x00" in tag or tag in (".", ".."):
        raise InvalidNameError(
            f"invalid experiment tag {tag!r}: a tag is one non-empty name without '/' "
            "(generated tags look like 201602142341-mn5SvgNxHY)"
        )
    return tag


def claim_tag(storage: Storage, record: Callable[[str], bytes], tag: str | None = None) -> str:
    """Claim a tag by writing its run record create-only; return the tag (see :func:`claim_run`)."""
    return claim_run(storage, record, tag).tag


def claim_run(
    storage: Storage,
    record: Callable[[str], bytes],
    tag: str | None = None,
    *,
    settle: float = CLAIM_SETTLE_SECONDS,
) -> Claim:
    """Claim a tag by writing its run record create-only, and learn whether the store made that safe.

    Args:
        storage: the store to claim in.
        record: builds the initial run record bytes for a candidate tag (with the run's ``nonce``).
        tag: a tag chosen by the user; ``None`` generates one.
        settle: seconds to wait before reading the record back on a store without conditional writes.

    Returns:
        The claim. Costs a check and the write, plus one refused write (the probe) on a store
        that honours conditional writes; plus ``settle`` seconds and one read on one that does not.

    Raises:
        AlreadyExists: the user's tag is taken (or, absurdly, 20 random ones were).
        TagTaken: the user's tag was claimed at the same moment by another run, which holds it.
    """
    if tag is not None:
        validate_tag(tag)
        try:
            return _claim(storage, tag, record(tag), settle)
        except TagTaken as err:
            raise TagTaken(
                f"experiment tag {tag!r} was claimed at the same moment by another run in {storage.location.url}, "
                f"which holds it ({err}); the store does not enforce create-only writes, so both tried. "
                "Choose another tag, or omit tag= to get a fresh one"
            ) from err
        except AlreadyExists as err:
            raise AlreadyExists(
                f"experiment tag {tag!r} is already used in {storage.location}: tags are "
                "never reused (experiments are immutable); omit tag= to get a fresh one"
            ) from err
    for _ in range(_CLAIM_ATTEMPTS):
        candidate = new_tag()
        try:
            return _claim(storage, candidate, record(candidate), settle)
        except AlreadyExists:
            continue
    raise AlreadyExists(f"could not claim a fresh tag in {storage.location} after {_CLAIM_ATTEMPTS} attempts")


def claim_lost(storage: Storage, claim: Claim) -> str | None:
    """Why ``claim`` no longer holds its tag, read back from the store; ``None`` while it does.

    One read of the run record. A record whose ``nonce`` is not the claim's belongs to
    another run; a missing one was removed. Only meaningful for a claim with a nonce.

    Raises:
        StorageError: the record could not be read (retry later: nothing is known).
    """
    return _lost(storage, run_record_key(claim.tag), claim.nonce, None, "the run record")


def claim_key(
    storage: Storage,
    key: str,
    data: bytes,
    *,
    settle: float = CLAIM_SETTLE_SECONDS,
    taken: type[AlreadyExists] = TagTaken,
    what: str = "the claim",
) -> bool:
    """Claim ``key`` by writing ``data`` create-only, and learn whether the store made that safe.

    The machinery of every claim (a run's tag, an attempt of a resumed run): the key is
    looked for first, written with ``If-None-Match: *``, then written so again (the probe,
    which a store honouring the condition refuses). On a store that ignores or lacks the
    condition, a :class:`NoConditionalWritesWarning` (once per store and process), ``settle``
    seconds, and a read-back: the writer whose ``nonce`` (else bytes) is stored holds the key.

    Args:
        storage: the store to claim in.
        key: the claim's key.
        data: the claim's bytes (a JSON object with a ``nonce``, or any bytes compared whole).
        settle: seconds to wait before reading back on a store without conditional writes.
        taken: the error raised when the read-back shows another writer holds the key.
        what: how messages name the object (``"the run record"``).

    Returns:
        True when the store honours create-only writes (the claim is race-free); False when it
        was read back after ``settle`` seconds.

    Raises:
        AlreadyExists: the key exists and is not ours; the message says whose (started, host, pid).
        taken: the read-back found another writer's bytes (it claimed the key at the same moment).
    """
    nonce = record_nonce(data)
    if storage.exists(key):
        if nonce is None or _lost(storage, key, nonce, None, what) is not None:
            raise AlreadyExists(f"{storage.url(key)} already exists{_whose_key(storage, key)}")
        # Ours: an earlier attempt of this claim was written though its answer was lost.
    else:
        try:
            storage.put_bytes(key, data, if_absent=True)
        except StoreFeatureMissing:
            _warn_once(storage, "does not implement conditional writes (If-None-Match: 501)", settle)
            storage.put_bytes(key, data)
            _read_back(storage, key, data, nonce, settle, taken, what)
            return False
    try:
        storage.put_bytes(key, data, if_absent=True)  # the probe: a store that honours the condition refuses it
    except AlreadyExists:
        return True
    except StoreFeatureMissing:
        _warn_once(storage, "does not implement conditional writes (If-None-Match: 501)", settle)
    else:
        _warn_once(
            storage,
            "ignores conditional writes (If-None-Match: it accepted a second create-only write of a claim)",
            settle,
        )
    _read_back(storage, key, data, nonce, settle, taken, what)
    return False


def _claim(storage: Storage, tag: str, data: bytes, settle: float) -> Claim:
    """Write the run record create-only (:func:`claim_key`)."""
    conditional = claim_key(storage, run_record_key(tag), data, settle=settle, what="the run record")
    return Claim(tag, record_nonce(data), conditional=conditional)


def _read_back(
    storage: Storage, key: str, data: bytes, nonce: str | None, settle: float, taken: type[AlreadyExists], what: str
) -> None:
    """After ``settle`` seconds, nothing if ``key`` still holds what was written; else ``taken``."""
    if settle > 0:
        time.sleep(settle)
    lost = _lost(storage, key, nonce, data, what)
    if lost is not None:
        raise taken(lost)


def _lost(storage: Storage, key: str, nonce: str | None, written: bytes | None, what: str) -> str | None:
    """Why the object at ``key`` is not ours (by ``nonce``, else by the bytes ``written``), or ``None``."""
    try:
        held = storage.get_bytes(key)
    except ObjectNotFound:
        return f"{what} {storage.url(key)} is gone"
    if (record_nonce(held) == nonce) if nonce is not None else (held == written):
        return None
    return f"{what} {storage.url(key)} is another run's{_whose(held)}"


def _whose_key(storage: Storage, key: str) -> str:
    """:func:`_whose` of the object at ``key``, or ``""`` when it cannot be read."""
    try:
        return _whose(storage.get_bytes(key))
    except (ObjectNotFound, StorageError):
        return ""


def _whose(data: bytes) -> str:
    """`` (started ... on host, pid ...)`` from a record's bytes, as far as they say."""
    try:
        record = json.loads(data)
    except ValueError:
        return ""
    if not isinstance(record, dict):
        return ""
    facts = [
        f"{label} {record[name]}"
        for label, name in (("started", "started"), ("on", "host"), ("pid", "pid"))
        if isinstance(record.get(name), str | int)
    ]
    return f" ({' '.join(facts)})" if facts else ""


def _warn_once(storage: Storage, what: str, settle: float) -> None:
    with _warned_lock:
        if storage.location.url in _warned:
            return
        _warned.add(storage.location.url)
    warnings.warn(
        f"{storage.location} {what}. Tag claims there are not race-free: two runs claiming one tag at the "
        f"same moment could both write it. lab-workbook reads each claim back after {settle:g} s, and a run "
        "checks its record is still its own before each write; see docs/reliability.md. Use a store with "
        "conditional writes (AWS S3, recent MinIO, R2) for race-free claims",
        NoConditionalWritesWarning,
        stacklevel=5,
    )
