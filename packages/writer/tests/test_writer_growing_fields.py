"""Series whose fields grow: made without a field list, or given fields later; no row is lost."""

import threading

from lab_workbook_core import InvalidValueError
from lab_workbook_writer import new_experiment
import pytest


def test_a_series_made_without_fields_takes_them_from_the_rows_in_first_seen_order(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("metrics")
        log(step=0, loss=2.5)
        log(step=1, loss=2.0, lr=0.1)
        log(step=2, val_acc=0.5)
    rows = store.rows(wb.tag, "metrics.csv")
    assert list(rows[0]) == ["step", "loss", "lr", "val_acc", "Date"]
    assert [(r["step"], r["loss"], r["lr"], r["val_acc"]) for r in rows] == [
        ("0", "2.5", "", ""),
        ("1", "2.0", "0.1", ""),
        ("2", "", "", "0.5"),
    ]
    assert all(r["Date"].endswith("Z") for r in rows)


def test_a_field_that_first_appears_after_uploads_adds_a_later_segment_with_its_own_header(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("metrics")
        for step in range(3):
            log(step=step, loss=1.0 / (step + 1))
        assert wb.flush(30)
        log(step=3, loss=0.2, val_loss=0.4)
        assert wb.flush(30)
        segments = store.segments(wb.tag, "metrics.csv")
        headers = [data.split(b"\r\n", 1)[0] for _, data in segments]
        assert headers[0] == b"step,loss,Date" and headers[-1] == b"step,loss,val_loss,Date"
        assert sum(data.count(b"\r\n") - 1 for _, data in segments) == 4  # every row once
    rows = store.rows(wb.tag, "metrics.csv")
    assert [r["val_loss"] for r in rows] == ["", "", "", "0.4"]
    assert [r["step"] for r in rows] == ["0", "1", "2", "3"]


def test_rows_waiting_under_the_old_header_are_sent_under_it_when_a_field_is_added(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("metrics", save_every=1000)
        log(step=0, loss=1.0)
        log(step=1, loss=0.5, lr=0.01)
        assert wb.flush(30)
        segments = [data for _, data in store.segments(wb.tag, "metrics.csv")]
        assert segments[0].startswith(b"step,loss,Date\r\n0,1.0,") and segments[0].count(b"\r\n") == 2
        assert segments[1].startswith(b"step,loss,lr,Date\r\n1,0.5,0.01,") and segments[1].count(b"\r\n") == 2


def test_strings_with_line_breaks_survive_the_merge_of_headers(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("notes")
        log(step=0, note='two\r\nlines, and "quotes"')
        log(step=1, note="plain", extra=True)
    rows = store.rows(wb.tag, "notes.csv")
    assert [(r["note"], r["extra"]) for r in rows] == [('two\r\nlines, and "quotes"', ""), ("plain", "1")]


def test_a_series_whose_fields_never_change_is_written_as_with_a_field_list(store):
    with new_experiment(store.prefix) as wb:
        grown = wb.new_time_series_log("grown")
        fixed = wb.new_time_series_log("fixed", ["epoch", "loss"])
        for epoch in range(3):
            grown(epoch=epoch, loss=0.5 * epoch)
            fixed(epoch=epoch, loss=0.5 * epoch)
    cut = lambda data: [line.rsplit(b",", 1)[0] for line in data.split(b"\r\n")]  # noqa: E731 - Date differs
    assert cut(store.bytes(wb.tag, "grown.csv")) == cut(store.bytes(wb.tag, "fixed.csv"))


def test_add_fields_gives_an_explicit_series_new_columns(store):
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("metrics", ["epoch", "loss"])
        log(epoch=0, loss=1.0)
        log.add_fields("val_loss", "loss")  # a known field is ignored
        log(epoch=1, loss=0.5, val_loss=0.7)
    rows = store.rows(wb.tag, "metrics.csv")
    assert list(rows[0]) == ["epoch", "loss", "val_loss", "Date"]
    assert [r["val_loss"] for r in rows] == ["", "0.7"]


def test_a_row_logged_while_another_thread_adds_fields_is_written_under_the_header_it_was_checked_against(store):
    """add_fields() from another thread lands wholly before or after a row being logged, never inside it."""
    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("metrics", ["step", "loss"])
        log(step=0, loss=1.0)
        adder = threading.Thread(target=log.add_fields, args=("lr",))

        class AddsFieldsWhileConverted(float):
            """Converted after the row's fields were checked: the other thread adds a field right then."""

            def __float__(self) -> float:
                adder.start()
                adder.join(timeout=1.0)  # add_fields may finish now only if log() does not hold the fields
                return float.__float__(self)

        log(step=1, loss=AddsFieldsWhileConverted(0.5))
        adder.join(timeout=30)
        log(step=2, loss=0.25, lr=0.1)
    rows = store.rows(wb.tag, "metrics.csv")
    assert list(rows[0]) == ["step", "loss", "lr", "Date"]
    assert [(r["step"], r["loss"], r["lr"]) for r in rows] == [("0", "1.0", ""), ("1", "0.5", ""), ("2", "0.25", "0.1")]
    assert all(r["Date"].endswith("Z") for r in rows)


def test_a_fast_row_checked_just_before_another_thread_adds_fields_lands_whole_with_an_empty_new_cell(store):
    """log()'s fast path reads the fields without a lock: a row checked against the old ones may follow the new header."""
    from collections.abc import Mapping

    with new_experiment(store.prefix) as wb:
        log = wb.new_time_series_log("metrics", ["step", "loss"])
        log(step=0, loss=1.0)
        adder = threading.Thread(target=log.add_fields, args=("lr",))

        class AddsFieldsWhileRead(Mapping):
            """A row of plain numbers (the fast path) whose reading lets the other thread add a field."""

            def __init__(self, row):
                self.row = row

            def __getitem__(self, name):
                if not adder.is_alive() and adder.ident is None:
                    adder.start()
                    adder.join(timeout=30)  # the new header is queued before this row
                return self.row[name]

            def __iter__(self):
                return iter(self.row)

            def __len__(self):
                return len(self.row)

        log(AddsFieldsWhileRead({"step": 1, "loss": 0.5}))
        assert log.fields == ("step", "loss", "lr")
        log(step=2, loss=0.25, lr=0.1)
    rows = store.rows(wb.tag, "metrics.csv")
    assert list(rows[0]) == ["step", "loss", "lr", "Date"]
    assert [(r["step"], r["loss"], r["lr"]) for r in rows] == [("0", "1.0", ""), ("1", "0.5", ""), ("2", "0.25", "0.1")]
    assert all(r["Date"].endswith("Z") for r in rows)


def test_an_explicit_field_list_still_refuses_an_unknown_field_and_says_how_to_add_it(tmp_path):
    with new_experiment(tmp_path / "store") as wb:
        log = wb.new_time_series_log("metrics", ["epoch", "loss"])
        with pytest.raises(InvalidValueError, match=r"no field 'lr'.*add_fields"):
            log(epoch=0, loss=1.0, lr=0.1)


@pytest.mark.parametrize("bad", ["Date", "", 3])
def test_a_bad_new_field_name_is_refused_where_it_is_logged(tmp_path, bad):
    with new_experiment(tmp_path / "store") as wb:
        log = wb.new_time_series_log("metrics")
        with pytest.raises(InvalidValueError, match="field name must be a non-empty string"):
            log({"step": 0, bad: 1.0})
        with pytest.raises(InvalidValueError, match="field name must be a non-empty string"):
            log.add_fields(bad)


def test_a_killed_run_whose_fields_grew_is_merged_by_sync(store, run_script):
    """Each part's header is in the spool file, so sync() after a SIGKILL sends one CSV under the last header."""
    from lab_workbook_writer import sync

    process = run_script(f"""
        import os, signal
        from lab_workbook_writer import new_experiment
        wb = new_experiment({store.prefix!r}, capture_environment=False)
        log = wb.new_time_series_log("metrics")
        for step in range(3):
            log(step=step, loss=step / 10)
        log(step=3, loss=0.3, note='a "quoted"\\r\\nline')
        log(step=4, lr=0.5)
        log.drain()
        print(wb.tag, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out, _ = process.communicate(timeout=60)
    tag = out.split()[-1]
    assert sync().failed == []
    rows = store.rows(tag, "metrics.csv")
    assert list(rows[0]) == ["step", "loss", "note", "lr", "Date"]
    assert [(r["step"], r["loss"], r["note"], r["lr"]) for r in rows] == [
        ("0", "0.0", "", ""),
        ("1", "0.1", "", ""),
        ("2", "0.2", "", ""),
        ("3", "0.3", 'a "quoted"\r\nline', ""),
        ("4", "", "", "0.5"),
    ]
    assert all(r["Date"].endswith("Z") for r in rows)
