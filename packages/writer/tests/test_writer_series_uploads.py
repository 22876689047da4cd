"""Series upload as write-once segments while running, then one final CSV: O(n) bytes, never a torn file."""

import time

from lab_workbook_writer import new_experiment
import pytest


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_rows_are_readable_as_segments_while_the_run_goes_on(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("Training loss", ["step", "loss"], save_every=10, flush_seconds=0.2)
        for step in range(25):
            log(step=step, loss=1.0 / (step + 1))
        assert _wait_for(lambda: sum(len(store.parse(d)) for _, d in store.segments(wb.tag, "Training loss.csv")) == 25)
        assert not store.storage.exists(f"{wb.tag}/Training loss.csv")  # the final file appears at close


def test_each_segment_is_a_complete_csv_with_the_header_numbered_from_one(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("s", ["step"], save_every=5, flush_seconds=0.1)
        for step in range(30):
            log(step=step)
            if step % 10 == 9:
                assert log.flush(timeout=10)
        segments = store.segments(wb.tag, "s.csv")
    names = [name for name, _ in segments]
    assert names == [f"{i:08d}.csv" for i in range(1, len(names) + 1)] and len(names) >= 3
    steps = []
    for _, data in segments:
        assert data.startswith(b"step,Date\r\n")
        steps += [int(r["step"]) for r in store.parse(data)]
    assert steps == list(range(30))


def test_at_close_the_final_csv_holds_every_row_and_the_segments_are_gone(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("Training loss", ["step"], save_every=7, flush_seconds=0.1)
        for step in range(100):
            log(step=step)
        assert log.flush(timeout=10)
        log(step=100)
    assert [int(r["step"]) for r in store.rows(wb.tag, "Training loss.csv")] == list(range(101))
    assert not any(k.startswith(".lab-workbook/segments/") for k in store.keys(wb.tag))


def test_flush_seconds_uploads_rows_without_waiting_for_save_every(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("Testing Error", ["epoch", "error"], save_every=1000, flush_seconds=0.2)
        log(epoch=1, error=0.5)
        assert _wait_for(lambda: len(store.segments(wb.tag, "Testing Error.csv")) == 1, timeout=5)


def test_save_every_holds_rows_back_until_that_many_are_logged(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("s", ["step"], save_every=50, flush_seconds=60)
        for step in range(49):
            log(step=step)
        time.sleep(0.8)
        assert store.segments(wb.tag, "s.csv") == []
        log(step=49)
        assert _wait_for(lambda: len(store.segments(wb.tag, "s.csv")) == 1, timeout=5)


def test_a_hot_loop_makes_a_few_requests_per_second_not_one_per_save_every(store):
    rows = 20_000
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("s", ["step", "loss"], save_every=1)
        start = time.monotonic()
        for step in range(rows):
            log(step=step, loss=0.5)
        elapsed = time.monotonic() - start
        segments = len(store.segments(wb.tag, "s.csv"))
    # However fast or slow this machine logs, segments are cut about twice a second, not once per row.
    assert segments <= 2 * elapsed + 3 and segments < rows / 100


def test_bytes_sent_for_a_series_are_about_twice_its_final_size(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("s", ["step", "loss", "gradientNorm"], save_every=100, flush_seconds=0.05)
        for step in range(20_000):
            log(step=step, loss=step * 1e-3, gradientNorm=1.5)
            if step % 2000 == 1999:
                assert log.flush(timeout=10)
        segments = [data for _, data in store.segments(wb.tag, "s.csv")]
    final = len(store.bytes(wb.tag, "s.csv"))
    header = len(b"step,loss,gradientNorm,Date\r\n")
    assert sum(map(len, segments)) == final + (len(segments) - 1) * header  # each row sent once in a segment
    assert sum(map(len, segments)) + final <= 2.1 * final


def test_a_series_name_can_be_used_once_per_experiment(tmp_path):
    from lab_workbook_core import InvalidNameError

    with new_experiment(tmp_path / "store") as wb:
        wb.new_time_series_log("s", ["a"])
        with pytest.raises(InvalidNameError, match="already has a series 's'"):
            wb.new_time_series_log("s", ["a"])
