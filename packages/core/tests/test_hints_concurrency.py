"""Shared helpers every package uses: "did you mean" hints and the request thread pool."""

from __future__ import annotations

import threading

from lab_workbook_core import closest, concurrent_map
import pytest


def test_closest_suggests_near_spellings_then_names_containing_the_input():
    assert closest("lerning_rate", ["learning_rate", "momentum"]) == ["learning_rate"]
    assert closest("2016", ["201602142341-a", "201702142341-b", "zzz"]) == ["201602142341-a"]
    assert closest("", ["a", "b"]) == []


def test_concurrent_map_keeps_the_order_and_uses_several_threads():
    barrier = threading.Barrier(4, timeout=10)

    def work(i: int) -> tuple[int, str]:
        barrier.wait()  # only passes if four calls run at the same time
        return i * i, threading.current_thread().name

    results = concurrent_map(work, range(4), max_workers=4)
    assert [r for r, _ in results] == [0, 1, 4, 9]
    assert len({name for _, name in results}) == 4


def test_concurrent_map_propagates_the_first_error():
    def work(i: int) -> int:
        if i == 2:
            raise ValueError("item 2")
        return i

    with pytest.raises(ValueError, match="item 2"):
        concurrent_map(work, range(5), max_workers=3)


def test_concurrent_map_with_one_worker_stays_on_the_calling_thread():
    caller = threading.current_thread().name
    assert concurrent_map(lambda _: threading.current_thread().name, range(3), max_workers=1) == [caller] * 3
