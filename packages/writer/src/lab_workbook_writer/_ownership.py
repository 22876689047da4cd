"""Whether a run still holds its tag, on a store that does not honour conditional writes.

Where the store enforces create-only writes, the claim at start settles who holds a
tag for good. Where it ignores them (or answers ``501``), two runs started at the
same moment with one tag can both write the record; core's claim reads it back
after a settle time, but a racer's request can land later still. So the uploader
asks an :class:`Ownership` before each write: the run whose ``nonce`` is in the
record goes on, any other stops writing there for good (and keeps its data in its
spool), so one run stays intact instead of two being mixed.
"""

from __future__ import annotations

import threading
import time

from lab_workbook_core import Claim, Storage, TagTaken, claim_lost

__all__ = ["Ownership"]


class Ownership:
    """Reads the run record back before writes; raises :class:`TagTaken` once another run holds the tag.

    The cost is bounded: one read of the run record before each write of the run record
    (at start, every heartbeat, at close: a handful per hour), and before any other write
    at most one read per :attr:`FRESH_SECONDS` (a check younger than that is reused), so a
    run that uploads all the time pays at most one extra request a second, and one that
    uploads every few seconds one per upload.

    Args:
        storage: the store the run writes to.
        claim: the run's claim (with its nonce).
    """

    #: Seconds a successful check vouches for writes other than the run record's.
    FRESH_SECONDS = 1.0

    def __init__(self, storage: Storage, claim: Claim) -> None:
        self.storage, self.claim = storage, claim
        self._lock = threading.Lock()  # one check at a time: the other upload thread reuses its answer
        self._checked_at: float | None = None
        self.lost: str | None = None  # why another run holds the tag, once known (never forgotten)

    def check(self, *, fresh: bool = False) -> None:
        """Return if the run still holds its tag, as far as a read of the record tells.

        Args:
            fresh: read the record even if a recent check said yes (before writing the record itself).

        Raises:
            TagTaken: another run holds the tag (or its record was removed); nothing more may be written.
            StorageError: the record could not be read: nothing is known, retry later.
        """
        with self._lock:
            if self.lost is not None:
                raise TagTaken(self.lost)
            started = time.monotonic()
            if not fresh and self._checked_at is not None and started - self._checked_at < self.FRESH_SECONDS:
                return
            lost = claim_lost(self.storage, self.claim)
            if lost is not None:
                self.lost = lost
                raise TagTaken(lost)
            self._checked_at = started  # vouches from before the read, never longer
