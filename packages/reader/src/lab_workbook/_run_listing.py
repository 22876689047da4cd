"""The listing of a store's run folders, sent as ranges at once when the store is large.

A listing of 100,000 runs is 100 pages of 1,000 folders. Sent one after the other (each page
names the next) it costs 100 round trips; S3 also lists from any key (``StartAfter``), so the
pages can be sent at once from cut points known in advance, and the listing costs about the
slowest range's time (core's :meth:`~lab_workbook_core.Storage.list_split`). The cut points are
only hints, never trusted for what the listing finds: any cut points give the complete listing,
so a run deleted by hand is not listed, and one added anywhere is. They come from:

1. the last listing of this store, kept in the disk cache (every :data:`RANGE_RUNS`-th tag);
2. otherwise, once the first page says there are more, the store's runs index (the tags it holds),
   which a table of that many runs reads anyway; the rest is listed in ranges after the first page;
3. otherwise (no index, no cache) the rest is one listing, page after page, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import json

from lab_workbook_core import Storage
from lab_workbook_core.keys import RESERVED_DIR
from lab_workbook_core.storage import Listing

from ._cache import DiskCache

__all__ = ["RANGE_RUNS", "list_runs"]

#: Runs per range: a page holds 1,000 entries, and the rest leaves room for runs added since.
RANGE_RUNS = 900
#: The disk cache's entry for the cut points of the last listing (a local name: no store object has it).
_CUTS_KEY = f"{RESERVED_DIR}/reader/listing-cuts.json"


def list_runs(
    storage: Storage, cache: DiskCache | None, indexed: Callable[[], Sequence[str]], max_workers: int
) -> Listing:
    """The delimiter listing of the store's prefix (its run folders), complete whatever the hints.

    Args:
        storage: the store.
        cache: where the last listing's cut points are kept (``None``: not kept).
        indexed: the sorted tags the runs index holds (called only for a listing of many pages
            with no cut points kept).
        max_workers: ranges listed at once.
    """
    if not storage.ranged_listing:
        return storage.list("", delimiter="/")
    cuts = _kept_cuts(cache)
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
    if cache is not None and (cuts or listing.resume_after is not None or len(listing.prefixes) > RANGE_RUNS):
        fresh = [p.removesuffix("/") for p in listing.prefixes[RANGE_RUNS::RANGE_RUNS]]
        if fresh != cuts:
            cache.put(_CUTS_KEY, json.dumps(fresh).encode(), etag=None, final=False)
    listing.resume_after = None
    return listing


def _kept_cuts(cache: DiskCache | None) -> list[str]:
    entry = cache.get(_CUTS_KEY) if cache is not None else None
    if entry is None:
        return []
    try:
        cuts = json.loads(entry.data)
    except ValueError:
        return []
    return [c for c in cuts if isinstance(c, str)] if isinstance(cuts, list) else []
