"""Running many small requests at once: one thread-pool rule for the reader, the CLI and the dashboard."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["concurrent_map"]

T = TypeVar("T")
R = TypeVar("R")


def concurrent_map(function: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """``[function(item) for item in items]`` on a thread pool, in order; the first exception propagates.

    Each call is expected to wait on the network (a request or two), so threads help
    despite the GIL. A fresh pool per call keeps nested calls (a meld whose loads fetch
    segments) from waiting on each other; one item, or one worker, needs no thread.
    """
    items = list(items)
    if len(items) <= 1 or max_workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items))) as pool:
        return list(pool.map(function, items))
