"""The listing of a store's run folders, sent as ranges at once when the store is large.

A listing of 100,000 runs is 100 pages of 1,000 folders. Sent one after the other (each page
names the next) it costs 100 round trips; S3 also lists from any key (``StartAfter``), so the
pages can be sent at once from cut points known in advance, and the listing costs about the
slowest range's time (core's :meth:`~lab_workbook_core.Storage.list_split`). The cut points are
only hints, never trusted for what the listing finds: any cut points give the complete listing,
so a run deleted by hand is not listed, and one added anywhere is. They come from:

1. the last listing of this store, kept in the disk cache (every :data:`RANGE_RUNS`-th tag);
   a reader that accepts a listing of some age (``ExperimentRepository(listing_max_age=...)``)
   takes that listing itself and sends no request (:func:`kept_listing`);
2. otherwise, once the first page says there are more, the store's runs index (the tags it holds),
   which a table of that many runs reads anyway; the rest is listed in ranges after the first page;
3. otherwise (no index, no cache) the rest is one listing, page after page, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import json
import time

from lab_workbook_core import Storage
from lab_workbook_core.keys import RESERVED_DIR
from lab_workbook_core.storage import Listing

from ._cache import DiskCache

__all__ = ["RANGE_RUNS", "kept_listing", "list_runs"]

#: Runs per range: a page holds 1,000 entries, and the rest leaves room for runs added since.
RANGE_RUNS = 900
#: The disk cache's entry for the last listing of the store (a local name: no store object has it).
_KEPT_KEY = f"{RESERVED_DIR}/reader/listing.json"


def list_runs(
    storage: Storage,
    cache: DiskCache | None,
    indexed: Callable[[], Sequence[str]],
    max_workers: int,
) -> Listing:
    """The delimiter listing of the store's prefix (its run folders), complete whatever the hints.

    The listing is kept in the disk cache (its folders and when it was made): the next listing's
    cut points, and :func:`kept_listing`'s answer.

    Args:
        storage: the store.
        cache: where the last listing is kept (``None``: not kept).
        indexed: the sorted tags the runs index holds (called only for a listing of many pages
            with no listing kept).
        max_workers: ranges listed at once.
    """
    if not storage.ranged_listing:
        listing = storage.list("", delimiter="/")
        if cache is not None:
            _keep(cache, time.time(), listing)
        return listing
    kept = _kept(cache)
    cuts = [p.removesuffix("/") for p in kept[1][RANGE_RUNS::RANGE_RUNS]] if kept is not None else []
    made = time.time()
    if cuts:
        listing = storage.list_split("", cuts, max_workers=max_workers)
    else:
        listing = storage.list_range("", max_pages=1)
        if listing.resume_after is not None:  # more than a page: the rest in ranges between the index's tags
            listing.extend(
                storage.list_split(
                    "", list(indexed())[::RANGE_RUNS], after=listing.resume_after, max_workers=max_workers
                )
            )
    listing.resume_after = None
    if cache is not None:
        _keep(cache, made, listing)
    return listing


def _keep(cache: DiskCache, made: float, listing: Listing) -> None:
    entry = {"made": made, "prefixes": listing.prefixes}
    cache.put(_KEPT_KEY, json.dumps(entry).encode(), etag=None, final=False)


def kept_listing(cache: DiskCache | None, max_age: float) -> Listing | None:
    """The listing of run folders kept by the last reader of this machine (:func:`list_runs`), if it is
    at most ``max_age`` seconds old; ``None`` otherwise (list the store)."""
    kept = _kept(cache)
    if kept is None or not 0 <= time.time() - kept[0] <= max_age:
        return None
    return Listing(kept[1])


def _kept(cache: DiskCache | None) -> tuple[float, list[str]] | None:
    entry = cache.get(_KEPT_KEY) if cache is not None else None
    if entry is None:
        return None
    try:
        found = json.loads(entry.data)
    except ValueError:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("made"), int | float):
        return None
    prefixes = found.get("prefixes")
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        return None
    return float(found["made"]), prefixes
