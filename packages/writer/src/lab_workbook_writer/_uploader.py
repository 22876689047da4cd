"""The background uploads of one experiment: ordered, superseding, retried with backoff.

Saving and logging only put an :class:`~lab_workbook_writer._spool.Entry` in this
queue; a few worker threads send them. The rules:

- Entries of one *group* (one artifact key, one series, the run record) run one
  at a time in order, so the last save of a name is the one that stays in the
  store even if uploads would otherwise finish out of order.
- A put superseded by a newer put of the same key before it started is dropped
  unsent, with its spooled bytes; so is one that was in flight and failed (an
  outage does not make a large checkpoint go out twice).
- A *barrier* entry (the final run record) waits for every earlier entry.
- A *claim* (the first run record of a run started while the store was unreachable)
  goes before everything else; if the tag turns out to be taken, nothing more is sent
  (the other run stays intact) and the data stays in the spool.
- On a store that does not honour conditional writes, every operation first asks the
  run's :class:`~lab_workbook_writer._ownership.Ownership` whether the run record is
  still this run's; once another run holds the tag, nothing more is sent, the data
  stays in the spool, and the spool is marked taken (:attr:`Uploader.taken`) so that
  ``lab-workbook sync`` never sends it under that tag either (``sync --retag`` does, under a new one).
- A failure worth retrying (see :func:`worth_retrying`: an outage, throttling, a busy store,
  damaged bytes, the local disk) is retried with exponential backoff (capped at ``max_backoff``)
  for the whole queue, since a store that fails one request usually fails the next.
  ``kick()`` (``flush()``, ``close()``) retries at once.
- A failure that will happen again however often it is retried (access denied, bad credentials,
  a missing bucket, a feature the store lacks) is not retried: the entry is *given up* (:attr:`lost`),
  its data stays in the spool for ``lab-workbook sync`` once the cause is fixed, and ``close()``
  counts it (False, the run recorded ``failed``). A refused claim stops everything (nothing may be
  sent before the tag is claimed). A programming error (an exception that is neither a
  ``LabWorkbookError`` nor an ``OSError``) is a bug: logged with its traceback, the entry given up.
- The log says so once for each kind of failure (the exception's class) while the store fails, so a
  new kind is reported even in the middle of an outage, and once when the store answers again.
- While nothing answers (:class:`~lab_workbook_core.StoreUnreachable`: refused, timed
  out), each retry is one request with no retry of boto3's own (the ``probe`` store):
  telling that the store is still down costs a refused connection, not boto3's backoff,
  so a ``flush()`` per epoch during an outage costs training nothing. The same holds for a
  store that refuses (a local folder gone, access denied). A store that answers with
  transient errors (``503 SlowDown``, ``500``, a dropped connection) is busy, not gone: its
  retries keep boto3's own, and ``flush()`` keeps waiting for it (up to its timeout).
- :meth:`Uploader.wait` never waits for what will not be sent: it returns ``False`` at once
  when the tag is taken, and, for ``flush()``, as soon as a request after the kick found
  nothing answering.
"""

from __future__ import annotations

import itertools
import threading
import time

from lab_workbook_core import (
    AccessDenied,
    AlreadyExists,
    BucketNotFound,
    CredentialsError,
    LabWorkbookError,
    Storage,
    StorageUnavailable,
    StoreFeatureMissing,
    StoreUnreachable,
    TagTaken,
    claim_run,
)

from ._notices import report_bug, warn
from ._ownership import Ownership
from ._spool import Entry, ExperimentSpool, Job, Op

__all__ = ["Uploader", "worth_retrying"]

_SMALL = 8 * 1024 * 1024  # puts up to this size are sent from memory in one request
_FIRST_DELAY = 0.5
#: While the store is known to fail, how long ``flush()`` waits for its retry to be answered.
_RETRY_PATIENCE = 5.0
#: Failures that come back however often the same request is sent: never retried.
_REFUSALS = (AccessDenied, CredentialsError, BucketNotFound, StoreFeatureMissing)


def worth_retrying(error: BaseException) -> bool:
    """Whether sending the same request again later may succeed.

    Yes for an outage, throttling or a busy store (:class:`~lab_workbook_core.StorageUnavailable`),
    bytes damaged on the way, a store error of no known kind and the local disk (``OSError``). No
    for what the store or the configuration must change first (access denied, bad credentials, a
    missing bucket, a missing feature), for our other errors (a bad key stays bad) and for anything
    else, a programming error.
    """
    if isinstance(error, _REFUSALS):
        return False
    return isinstance(error, OSError)  # a StorageError of another kind, a SpoolError, the local disk


class Uploader:
    """Worker threads sending one experiment's queue to its store.

    Args:
        storage: the store.
        spool: the experiment's spool folder (persisted entries live there).
        label: how messages name the experiment (its tag).
        workers: threads; a slow upload (a big model) does not hold back a series.
        max_backoff: longest wait, in seconds, between retries while the store fails.
        ownership: on a store that does not honour conditional writes, what checks the tag
            is still this run's before each operation (``None``: the claim settled it).
        probe: the same store opened for single attempts (no boto3 retries, short timeouts),
            used while the store fails; default ``storage``.
        reachable: False when the store is already known to fail (the run started offline).
    """

    def __init__(
        self,
        storage: Storage,
        spool: ExperimentSpool,
        *,
        label: str,
        workers: int = 2,
        max_backoff: float = 30.0,
        ownership: Ownership | None = None,
        probe: Storage | None = None,
        reachable: bool = True,
    ) -> None:
        self.storage, self.spool, self.label, self.max_backoff = storage, spool, label, max_backoff
        self._ownership = ownership
        self._probe = probe if probe is not None else storage
        self.bytes_sent = 0
        self.objects_sent = 0
        self._cond = threading.Condition()
        self._pending: dict[int, Entry] = {}
        self._running: dict[int, Entry] = {}
        self._seq = itertools.count(1)
        self._delay = 0.0
        self._retry_at = 0.0
        self._failing = not reachable
        self._unreachable = not reachable  # the last failure was that nothing answered (see the module docstring)
        self._unanswered = 0  # requests that found nothing answering: flush() gives up once one did after its kick
        self._stopping = False
        self._taken: str | None = None  # see the `taken` property
        self._refused: str | None = None  # the claim was refused for good: nothing is sent
        self._given_up: dict[int, tuple[Entry, Exception]] = {}  # see `lost`
        self._reported: set[str] = set()  # kinds of failure reported since the store last answered
        self._threads = [
            threading.Thread(target=self._work, name=f"lab-workbook-upload-{label}-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def taken(self) -> str | None:
        """Why nothing more is sent: the run's tag is taken in the store by another run; else None."""
        return self._taken

    @taken.setter
    def taken(self, reason: str | None) -> None:
        """Stop sending (and tell every waiter at once); the spool is marked so ``sync`` never sends it either."""
        with self._cond:
            self._taken = reason
            self._cond.notify_all()
        if reason is not None:
            self.spool.mark_taken(reason)

    @property
    def refused(self) -> str | None:
        """Why nothing is sent: the store refused the run's claim for good (access denied...); else None."""
        return self._refused

    @property
    def lost(self) -> list[tuple[Entry, Exception]]:
        """The entries given up (never retried: see the module docstring) and why, oldest first.

        Their data stays in the spool. Entries made moot since (:meth:`cancel`) are not listed.
        """
        with self._cond:
            return [self._given_up[seq] for seq in sorted(self._given_up)]

    def submit(
        self,
        op: Op,
        *,
        group: str,
        key: str = "",
        data: str | None = None,
        keys: list[str] | None = None,
        size: int = 0,
        barrier: bool = False,
        supersede: bool = False,
        body: bytes | None = None,
    ) -> Entry:
        """Queue an operation on the store; returns it.

        It is persisted in the spool first (so a failing spool disk raises ``OSError`` here and
        nothing is queued), unless it is a put of ``body`` bytes kept in memory (the run record,
        when the spool's disk fails).
        """
        with self._cond:
            entry = Entry(
                next(self._seq),
                op,
                key=key,
                group=group,
                data=data,
                keys=list(keys or []),
                barrier=barrier,
                size=size,
                body=body,
            )
            if entry.persisted:
                self.spool.persist(entry)
            if supersede:
                for old in [e for e in self._pending.values() if e.op == "put" and e.key == key]:
                    del self._pending[old.seq]
                    self.spool.forget(old)
            return self._queue(entry)

    def submit_job(self, job: Job, *, group: str, not_before: float = 0.0) -> Entry:
        """Queue an upload that carries what it sends (a series' segment: never persisted); returns its entry."""
        with self._cond:
            return self._queue(Entry(next(self._seq), "segment", group=group, not_before=not_before, job=job))

    def _queue(self, entry: Entry) -> Entry:
        self._pending[entry.seq] = entry
        self._cond.notify_all()
        return entry

    def note(self, op: Op, *, group: str, key: str, data: str) -> Entry:
        """Persist an operation only ``sync()`` performs (a series' rows, after a crash); never queued here."""
        with self._cond:
            entry = Entry(next(self._seq), op, key, group, data)
            self.spool.persist(entry)
            return entry

    def cancel(self, group: str, op: Op) -> list[Entry]:
        """Remove the not-yet-started and given-up entries of a group and kind (segments made moot by the final CSV)."""
        with self._cond:
            gone = [e for e in self._pending.values() if e.group == group and e.op == op]
            for entry in gone:
                del self._pending[entry.seq]
            moot = [e for e, _ in self._given_up.values() if e.group == group and e.op == op]
            for entry in moot:
                del self._given_up[entry.seq]
            return gone + moot

    def hurry(self, entry: Entry) -> None:
        """Let a queued entry start as soon as its turn comes (drop its ``not_before``)."""
        with self._cond:
            entry.not_before = 0.0
            self._cond.notify_all()

    def last_seq(self) -> int:
        """The sequence number of the newest entry (a marker for :meth:`wait`)."""
        with self._cond:
            return max([0, *self._pending, *self._running])

    def kick(self) -> int:
        """Retry now instead of at the end of the current backoff.

        Returns:
            How many requests found the store unreachable before this retry: pass it to
            :meth:`wait` as ``failed_since`` to stop waiting as soon as the retry (or any later
            request) finds nothing answering.
        """
        with self._cond:
            self._retry_at = 0.0
            self._cond.notify_all()
            return self._unanswered

    def wait(
        self, marker: int, timeout: float | None, group: str | None = None, *, failed_since: int | None = None
    ) -> bool:
        """Block until every entry up to ``marker`` (of ``group``, if given) is done.

        Returns:
            True when they are, all sent. False when some of them were given up (:attr:`lost`),
            when ``timeout`` passes first, and at once when the tag is taken (:attr:`taken`) or
            the claim refused (:attr:`refused`): nothing more is sent, so waiting would be for nothing.
            With ``failed_since`` (from :meth:`kick`), also False as soon as the store is known
            unreachable: a request after the kick found nothing answering, or the store was
            unreachable and its retry has had no answer for ``_RETRY_PATIENCE`` seconds (a store
            that accepts connections but never answers). The entries then wait in the spool for
            its return. A store that answers with errors is waited for until ``timeout``.
        """
        started = time.monotonic()
        deadline = None if timeout is None else started + timeout
        with self._cond:
            while True:
                left = [
                    e
                    for e in itertools.chain(self._pending.values(), self._running.values())
                    if e.seq <= marker and (group is None or e.group == group)
                ]
                if not left:
                    return not any(
                        seq <= marker and (group is None or e.group == group) for seq, (e, _) in self._given_up.items()
                    )
                if self.taken is not None or self._refused is not None:
                    return False
                now = time.monotonic()
                remaining = None if deadline is None else deadline - now
                if failed_since is not None:
                    if self._unanswered > failed_since:
                        return False
                    if self._unreachable:  # known down before: give its retry a short while to answer
                        patience = started + _RETRY_PATIENCE - now
                        if patience <= 0:
                            return False
                        remaining = patience if remaining is None else min(remaining, patience)
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)

    def unsent(self) -> list[Entry]:
        """Entries not done yet (pending or running)."""
        with self._cond:
            return sorted([*self._pending.values(), *self._running.values()], key=lambda e: e.seq)

    def stop(self, join_timeout: float = 1.0) -> bool:
        """Stop taking entries; True if every worker has exited (none is mid-request)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + join_timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    # -- worker side -------------------------------------------------------------------------

    def _next(self, now: float) -> tuple[Entry | None, float | None]:
        if now < self._retry_at:
            return None, self._retry_at - now
        busy = {e.group for e in self._running.values()}
        first = min([*self._pending, *self._running], default=0)
        claims = sorted(e.seq for e in [*self._pending.values(), *self._running.values()] if e.op == "claim")
        if self.taken or self._refused or (claims and claims[0] in self._running):
            return None, None
        wake = None
        for seq in sorted(self._pending):
            if claims and seq != claims[0]:
                continue  # nothing goes before the tag is claimed
            entry = self._pending[seq]
            if entry.group in busy or (entry.barrier and seq != first):
                busy.add(entry.group)
                continue
            busy.add(entry.group)
            if entry.not_before > now:
                wake = min(wake or entry.not_before - now, entry.not_before - now)
                continue
            return entry, None
        return None, wake

    def _work(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    entry, wake = self._next(time.monotonic())
                    if entry is not None:
                        break
                    self._cond.wait(wake)
                del self._pending[entry.seq]
                self._running[entry.seq] = entry
            error: Exception | None = None
            try:
                sent = self._send(entry)
            except Exception as err:  # the data is safe in the spool: retried, or given up (see worth_retrying)
                sent, error = 0, err
            with self._cond:
                del self._running[entry.seq]
                if isinstance(error, AlreadyExists) and (entry.op == "claim" or isinstance(error, TagTaken)):
                    self._pending[entry.seq] = entry
                    self._lose_tag(entry, error)
                elif error is None:
                    self._succeeded(entry, sent)
                elif worth_retrying(error):
                    self._failed(entry, error)
                else:
                    self._give_up(entry, error)
                self._cond.notify_all()

    def _lose_tag(self, entry: Entry, error: AlreadyExists) -> None:
        """Another run holds the tag: stop sending for good, and say so once."""
        if self.taken is not None:  # the other upload thread found it first
            return
        if entry.op == "claim":  # the run started offline: its claim found the tag taken
            self.taken = (
                f"it started while {self.storage.location} was unreachable, and another run claimed "
                f"tag {entry.key.split('/', 1)[0]} meanwhile"
            )
            warn(
                f"experiment {self.label} started while {self.storage.location} was unreachable, and its "
                f"tag is taken there by another run: nothing of this run is sent, so that run stays "
                f"intact. Its data stays in {self.spool.path} (`lab-workbook sync` says what to do)"
            )
            return
        self.taken = str(error)  # marks the spool: a plain `sync` never sends it under this tag either
        warn(
            f"experiment {self.label}: another run holds tag {self.label} in {self.storage.location} ({error}). "
            "The store does not enforce create-only writes, so both runs claimed it at the same moment; "
            "nothing more of this run is written there, so that run stays intact, and this run will not be "
            f"recorded finished. Its data stays in {self.spool.path}: send it under a new tag with "
            f"`lab-workbook sync --retag {self.label}` (add `--as NEWTAG` to choose the tag)"
        )

    def _send(self, entry: Entry) -> int:
        if self._ownership is not None and entry.op != "claim":
            self._ownership.check(fresh=entry.group == "run")  # before anything that could be another run's
        with self._cond:  # while nothing answers, one quick attempt tells whether it is back
            storage = self._probe if self._unreachable else self.storage
        if entry.job is not None:
            return entry.job.upload(storage)
        if entry.op == "delete":
            storage.delete(entry.keys)
            return 0
        if entry.body is not None:
            storage.put_bytes(entry.key, entry.body)
            return len(entry.body)
        path = self.spool.path / (entry.data or "")
        if entry.op == "claim":
            body = path.read_bytes()
            claim = claim_run(storage, lambda _tag: body, entry.key.split("/", 1)[0])
            if not claim.conditional:  # the store does not exclude racers: check before every later write
                self._ownership = Ownership(self.storage, claim)
            return len(body)
        if entry.size <= _SMALL:
            try:
                body = path.read_bytes()
            except FileNotFoundError:
                warn(f"spooled data for {entry.key} vanished from {path}; it cannot be sent")
                return 0
            storage.put_bytes(entry.key, body)
            return len(body)
        storage.put_file(entry.key, path)
        return entry.size

    def _succeeded(self, entry: Entry, sent: int) -> None:
        if entry.persisted:
            self.spool.forget(entry)
        self.bytes_sent += sent
        self.objects_sent += 1 if (sent or entry.job is None) else 0  # a job with nothing left wrote nothing
        self._delay = 0.0
        self._unreachable = False
        if self._failing:
            self._failing = False
            self._reported.clear()
            warn(f"the store answers again; sending what experiment {self.label} kept in {self.spool.path}")

    def _failed(self, entry: Entry, error: Exception) -> None:
        if entry.op == "put" and any(e.op == "put" and e.key == entry.key for e in self._pending.values()):
            self.spool.forget(entry)  # superseded while in flight: only the newer save is sent
        else:
            self._pending[entry.seq] = entry
        # Busy (503 SlowDown, 500, a dropped connection) is worth waiting for; anything else is not: nothing
        # answers, or it refuses (a local folder gone, access denied) and will refuse the retry too.
        self._unreachable = isinstance(error, StoreUnreachable) or not isinstance(error, StorageUnavailable)
        self._unanswered += 1 if self._unreachable else 0
        self._delay = min(self.max_backoff, max(_FIRST_DELAY, self._delay * 2))
        self._retry_at = time.monotonic() + self._delay
        kind = type(error).__name__
        if kind not in self._reported:
            self._reported.add(kind)
            again = "also " if self._failing else ""
            warn(
                f"cannot upload to {self.storage.location} ({again}{kind}: {error}); experiment "
                f"{self.label} keeps its data in {self.spool.path} and retries in the background; training goes on"
            )
        self._failing = True

    def _give_up(self, entry: Entry, error: Exception) -> None:
        """A failure that retrying cannot cure: stop sending this entry (a claim: anything), and say so."""
        kind = type(error).__name__
        what = entry.key or f"rows of {entry.group}"
        if isinstance(error, LabWorkbookError):
            self._unreachable = False  # it answered: the next request need not be a probe
        if entry.op == "claim":  # nothing may be sent before the tag is claimed: it all waits in the spool
            self._pending[entry.seq] = entry
            self._refused = f"{kind}: {error}"
        elif entry.op == "put" and any(e.op == "put" and e.key == entry.key for e in self._pending.values()):
            self.spool.forget(entry)  # superseded meanwhile: the newer save is tried on its own
            return
        else:
            self._given_up[entry.seq] = (entry, error)
        if not isinstance(error, LabWorkbookError | OSError):
            report_bug(f"experiment {self.label}: sending {what} to {self.storage.location} failed", error)
            return
        if kind in self._reported:
            return
        self._reported.add(kind)
        stopped = (
            "nothing of this run is sent"
            if entry.op == "claim"
            else f"{what} is not retried (nor any other upload refused so)"
        )
        warn(
            f"cannot upload to {self.storage.location} ({kind}: {error}); retrying cannot help, so {stopped}. "
            f"Experiment {self.label} keeps its data in {self.spool.path}: once the cause is fixed, "
            "send it with `lab-workbook sync`; training goes on"
        )
