"""Segment cutting as a unit of its own: the cutter's bookkeeping, and a segment sent from plain values.

The series feeds a :class:`Segment` its file, key parts and two callbacks; nothing here makes a series.
"""

from __future__ import annotations

from pathlib import Path

from lab_workbook_core import load_config, open_storage
from lab_workbook_core.keys import segment_key
from lab_workbook_writer._segments import Cut, Segment, SegmentCutter, SegmentSource
import pytest

HEADER = b"step,loss,Date\r\n"
ROWS = b"0,0.5,2026-01-01T00:00:00.000Z\r\n1,0.25,2026-01-01T00:00:00.001Z\r\n"


def test_each_cut_takes_the_rows_not_carried_yet_under_the_next_number():
    cutter = SegmentCutter(len(HEADER))
    assert cutter.take(len(HEADER) + 10) == (1, len(HEADER), len(HEADER) + 10)
    assert cutter.take(len(HEADER) + 25) == (2, len(HEADER) + 10, len(HEADER) + 25)
    assert cutter.keys("tag", "loss.csv") == [segment_key("tag", "loss.csv", 1), segment_key("tag", "loss.csv", 2)]


def test_no_segment_is_cut_when_no_row_waits():
    cutter = SegmentCutter(len(HEADER))
    assert cutter.take(len(HEADER)) is None
    assert cutter.keys("tag", "loss.csv") == []


def test_only_a_cut_for_a_starting_upload_delays_the_next_request():
    cutter = SegmentCutter(0)
    cutter.take(5)
    assert cutter.not_before(5.0) == Segment.MIN_INTERVAL  # no upload started yet: from time 0
    cutter.take(9, starting=True)
    assert cutter.not_before(5.0) == cutter.last_cut + Segment.MIN_INTERVAL > Segment.MIN_INTERVAL


def _source(path: Path, cuts: list[Cut | None]) -> SegmentSource:
    return SegmentSource("tag", "loss.csv", path, lambda offset: HEADER, lambda job: cuts.pop(0))


def test_a_segment_sends_its_header_and_rows_to_its_numbered_key(tmp_path, local_prefix):
    storage = open_storage(load_config(local_prefix))
    path = tmp_path / "series.csv"
    path.write_bytes(HEADER + ROWS)
    segment = Segment(_source(path, [(3, len(HEADER), len(HEADER) + len(ROWS))]))
    assert segment.upload(storage) == len(HEADER) + len(ROWS)
    assert storage.get_bytes(segment_key("tag", "loss.csv", 3)) == HEADER + ROWS


def test_a_failed_segment_is_sent_again_with_the_same_rows_and_number(tmp_path, local_prefix):
    storage = open_storage(load_config(local_prefix))
    path = tmp_path / "series.csv"
    path.write_bytes(HEADER + ROWS)
    first_row = ROWS.index(b"\r\n") + 2
    segment = Segment(_source(path, [(1, len(HEADER), len(HEADER) + first_row)]))
    (tmp_path / "blocked").write_bytes(b"")  # a file where the store's folder should be: the put fails
    blocked = open_storage(load_config(str(tmp_path / "blocked") + "/"))
    with pytest.raises(OSError):
        segment.upload(blocked)
    path.write_bytes(HEADER + ROWS + ROWS)  # rows logged meanwhile do not join a segment already cut
    assert segment.upload(storage) == len(HEADER) + first_row
    assert storage.get_bytes(segment_key("tag", "loss.csv", 1)) == HEADER + ROWS[:first_row]


def test_a_segment_with_no_rows_left_sends_nothing(tmp_path, local_prefix):
    storage = open_storage(load_config(local_prefix))
    path = tmp_path / "series.csv"
    path.write_bytes(HEADER)
    assert Segment(_source(path, [None])).upload(storage) == 0
    assert storage.requests["put"] == 0
