"""The storage interface every backend implements.

Keys are strings relative to the store's :class:`~lab_workbook_core.location.Location`
(the full key is ``location.base + key``); each backend validates every key with
:func:`~lab_workbook_core.names.validate_name` before any I/O. Errors are the
:class:`~lab_workbook_core.errors.StorageError` family whatever the backend: a
missing key is :class:`ObjectNotFound` (a ``FileNotFoundError``).

Each backend counts the requests it makes in :attr:`Storage.requests` so tests and
benchmarks can assert what an operation costs (S3 bills per request).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
import threading

from ..concurrency import concurrent_map
from ..errors import ChecksumMismatch
from ..location import Location
from ..names import validate_name
from .checksums import ChecksumAlgorithm, object_checksum

__all__ = ["Listing", "ObjectInfo", "Storage", "key_in_range"]


@dataclass(frozen=True)
class ObjectInfo:
    """What a listing or ``head`` tells about one object."""

    key: str
    size: int
    etag: str
    last_modified: datetime | None = None


@dataclass
class Listing:
    """One delimiter listing: the "folders" and the objects directly under a prefix.

    ``resume_after`` is set by :meth:`Storage.list_range` when it stopped at ``max_pages`` with
    more to list: the greatest key or folder it returned, to list the rest after.
    """

    prefixes: list[str] = field(default_factory=list)
    objects: list[ObjectInfo] = field(default_factory=list)
    resume_after: str | None = None

    def extend(self, other: Listing) -> None:
        """Add ``other``'s entries (a range that follows this one's)."""
        self.prefixes += other.prefixes
        self.objects += other.objects


class Storage(ABC):
    """A place objects live: S3 (``S3Storage``) or a local folder (``LocalStorage``)."""

    #: Whether a listing of a key range reads only that range (S3's ``StartAfter``), so that a large
    #: folder is listed faster in ranges sent at once (:meth:`list_split`). A local folder lists in one go.
    ranged_listing = False

    def __init__(self, location: Location) -> None:
        self.location = location
        self.requests: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def _count(self, operation: str, n: int = 1) -> None:
        with self._count_lock:
            self.requests[operation] += n

    def count_requests_in(self, other: Storage) -> None:
        """Count this store's requests in ``other.requests`` from now on.

        For a second client of the same store opened with other timeouts or retries (the
        writer's single-attempt retries during an outage): its requests are the run's too.
        """
        self.requests, self._count_lock = other.request_counter()

    def request_counter(self) -> tuple[Counter[str], threading.Lock]:
        """The counts of this store's requests and the lock that guards them, for :meth:`count_requests_in`."""
        return self.requests, self._count_lock

    @staticmethod
    def _check(key: str) -> str:
        return validate_name(key, "key")

    @property
    def endpoint_url(self) -> str | None:
        """The service endpoint requests go to (``None`` for a local folder)."""
        return None

    def credential_source(self) -> str | None:
        """How the store's credentials were found, for diagnostics; never the credentials themselves.

        Returns:
            ``"not needed"`` for backends without credentials, boto3's method name
            (``"env"``, ``"shared-credentials-file"``, ``"iam-role"``...) for S3, or
            ``None`` when credentials are needed but none were found.
        """
        return "not needed"

    def missing_folder(self) -> Path | None:
        """The folder this store would live in when it does not exist; ``None`` when it does.

        Why: listing a folder that does not exist finds no runs, exactly as an empty store does,
        so a mistyped local prefix would pass for an empty store. Readers ask first and say so;
        the writer creates the folder with its first write. S3 has no folders to create (a
        missing bucket is an error of every request): always ``None``.
        """
        return None

    def url(self, key: str = "") -> str:
        """The full address of a key, for messages (``s3://bucket/exp/tag/name``)."""
        return self.location.url + key

    @abstractmethod
    def put_bytes(self, key: str, data: bytes, *, if_absent: bool = False) -> None:
        """Store ``data`` under ``key`` atomically; with ``if_absent``, only if the key is free.

        Raises:
            AlreadyExists: ``if_absent`` and the key exists.
        """

    def put_bytes_with_checksum(self, key: str, data: bytes, *, algorithm: ChecksumAlgorithm, checksum: bytes) -> None:
        """Store ``data`` under ``key``, sent with ``checksum`` as its ``algorithm`` checksum.

        A store that verifies what it receives refuses bytes that do not match the checksum;
        one that does not (s3rver, moto) stores them anyway. ``lab-workbook doctor`` sends a
        deliberately wrong checksum to tell the two apart. This default is a local folder's:
        its bytes cross no network, so it compares them itself.

        Raises:
            ChecksumMismatch: the store refused the bytes; nothing was stored.
        """
        if object_checksum(algorithm, data) != checksum:
            raise ChecksumMismatch(
                f"{self.url(key)} was not written: the bytes do not match the {algorithm} checksum sent with them"
            )
        self.put_bytes(key, data)

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Upload a local file (multipart for large files on S3)."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """The object's content. Raises :class:`ObjectNotFound` if absent."""

    @abstractmethod
    def get_if_changed(self, key: str, etag: str | None) -> tuple[bytes | None, str]:
        """``(content, etag)``, or ``(None, etag)`` when the object still has ``etag``."""

    @abstractmethod
    def download(self, key: str, dest: Path, progress: Callable[[int], None] | None = None) -> None:
        """Write the object to ``dest`` (atomically), calling ``progress(nbytes)`` as bytes arrive."""

    @abstractmethod
    def head(self, key: str) -> ObjectInfo:
        """Size and ETag of an object. Raises :class:`ObjectNotFound` if absent."""

    @abstractmethod
    def list(self, prefix: str = "", *, delimiter: str | None = "/") -> Listing:
        """Everything under ``prefix`` (all pages). With a delimiter, sub-"folders" become ``prefixes``."""

    def list_range(
        self,
        prefix: str = "",
        *,
        after: str | None = None,
        through: str | None = None,
        delimiter: str | None = "/",
        max_pages: int | None = None,
    ) -> Listing:
        """What :meth:`list` finds under ``prefix`` whose key (or folder) is greater than ``after``
        and at most ``through`` (keys relative to the store, compared as S3 orders them: by code point).

        ``max_pages`` (for a store answering in pages) stops early and sets ``resume_after``; this
        default lists everything and filters, which a backend with ranged listings replaces.
        """
        found = self.list(prefix, delimiter=delimiter)
        return Listing(
            [p for p in found.prefixes if key_in_range(p, after, through)],
            [o for o in found.objects if key_in_range(o.key, after, through)],
        )

    def list_split(
        self,
        prefix: str,
        splits: Iterable[str],
        *,
        after: str | None = None,
        delimiter: str | None = "/",
        max_workers: int = 16,
    ) -> Listing:
        """What :meth:`list_range` finds after ``after``, listed as consecutive ranges sent at once.

        ``splits`` are keys between which to cut (e.g. every 900th tag of the last listing):
        any keys give the complete listing (the ranges cover every key after ``after``), good
        ones make each range about one page, so that a listing of 100 pages costs the time of
        the slowest range rather than of 100 pages in a row. Without ranged listings
        (:attr:`ranged_listing`) it is one listing.
        """
        if not self.ranged_listing:
            return self.list_range(prefix, after=after, delimiter=delimiter)
        cuts = sorted({s for s in splits if s.startswith(prefix) and (after is None or s > after)})
        ranges = list(zip([after, *cuts], [*cuts, None], strict=True))
        parts = concurrent_map(
            lambda r: self.list_range(prefix, after=r[0], through=r[1], delimiter=delimiter), ranges, max_workers
        )
        listing = Listing()
        for part in parts:
            listing.extend(part)
        return listing

    @abstractmethod
    def delete(self, keys: Iterable[str]) -> None:
        """Delete objects; keys that do not exist are ignored."""

    def exists(self, key: str) -> bool:
        """True if an object is stored under ``key``."""
        from ..errors import ObjectNotFound

        try:
            self.head(key)
        except ObjectNotFound:
            return False
        return True


def key_in_range(key: str, after: str | None, through: str | None) -> bool:
    """Whether ``after < key <= through`` (``None``: no bound), as :meth:`Storage.list_range` selects."""
    return (after is None or key > after) and (through is None or key <= through)
