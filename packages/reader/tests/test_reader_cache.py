"""The disk cache: finished runs are read once; running ones are revalidated."""

import pandas as pd

TAG = "202601010000-cacheAAAAA"
CSV = "epoch,loss,Date\n1,0.5,2026-01-01T00:00:01Z\n"


def test_a_finished_artifact_is_downloaded_once(store):
    store.finished(TAG, {"loss.csv": CSV})
    wb = store.repository()
    exp = wb[TAG]
    first = exp["loss.csv"]
    wb.storage.requests.clear()
    second = exp["loss.csv"]
    assert second.equals(first)
    assert wb.storage.requests["get"] == 0


def test_a_second_repository_reads_a_finished_artifact_with_no_request(store):
    store.finished(TAG, {"parameters.json": '{"lr": 0.1}'})
    store.repository()[TAG]["parameters.json"]
    wb = store.repository()
    wb.storage.requests.clear()
    assert wb[TAG]["parameters.json"] == {"lr": 0.1}
    assert wb.storage.requests["get"] == 0
    assert wb.storage.requests["head"] == 0


def test_a_running_artifact_is_revalidated_and_sees_changes(store):
    store.record(TAG, "running")
    store.put(TAG, "notes.txt", "first")
    wb = store.repository(refresh_seconds=0)
    assert wb[TAG]["notes.txt"] == "first"
    store.put(TAG, "notes.txt", "second version")
    assert wb[TAG]["notes.txt"] == "second version"


def test_an_unchanged_running_artifact_is_not_downloaded_again(s3_store):
    s3_store.record(TAG, "running")
    s3_store.put(TAG, "model.bin", b"x" * 100_000)
    wb = s3_store.repository(refresh_seconds=3600)
    exp = wb[TAG]
    exp["model.bin"]
    before = wb.storage.requests["get"]
    exp["model.bin"]
    assert wb.storage.requests["get"] - before == 1  # one conditional GET, answered 304


def test_without_cache_every_load_downloads(store):
    store.finished(TAG, {"parameters.json": "{}"})
    wb = store.repository(cache=False)
    exp = wb[TAG]
    exp["parameters.json"]
    before = wb.storage.requests["get"]
    exp["parameters.json"]
    assert wb.storage.requests["get"] - before == 1


def test_clear_cache_forgets_downloads(store):
    store.finished(TAG, {"parameters.json": "{}"})
    wb = store.repository()
    wb[TAG]["parameters.json"]
    wb.clear_cache()
    fresh = store.repository()
    fresh.storage.requests.clear()
    fresh[TAG]["parameters.json"]
    assert fresh.storage.requests["get"] >= 1


def test_the_finished_run_record_is_cached(store):
    store.finished(TAG, {"parameters.json": "{}"})
    assert store.repository()[TAG].status == "finished"
    wb = store.repository()
    wb.storage.requests.clear()
    assert wb[TAG].status == "finished"
    assert wb.storage.requests["get"] == 0


def test_the_cache_stays_under_its_size_cap(store, tmp_path):
    from lab_workbook._cache import wait_for_cache_writes
    from lab_workbook_core import cache_dir

    for i in range(6):
        store.finished(f"{TAG}{i}", {"blob.bin": bytes(40_000)})
    wb = store.repository(cache_max_bytes=100_000)
    for i in range(6):
        wb[f"{TAG}{i}"]["blob.bin"]
    wait_for_cache_writes()
    total = sum(p.stat().st_size for p in (cache_dir() / "objects").iterdir() if not p.name.endswith(".meta"))
    assert total <= 100_000


def test_a_finished_series_loaded_again_is_identical_without_parsing(store):
    store.original()
    store.record("201602142341-mn5SvgNxHY", "finished")
    first = store.repository()["201602142341-mn5SvgNxHY"]["Training loss.csv"]
    again = store.repository()["201602142341-mn5SvgNxHY"]["Training loss.csv"]
    pd.testing.assert_frame_equal(again, first)
    again.loc[0.05, "loss"] = 0.0  # the copy from the cache is the user's to change
    assert store.repository()["201602142341-mn5SvgNxHY"]["Training loss.csv"].loc[0.05, "loss"] != 0.0


def test_a_series_with_text_columns_round_trips_through_the_cache(store):
    store.finished(
        TAG, {"notes.csv": 'step,note,ok,Date\n1,"a, b",true,2026-01-01T00:00:01Z\n2,,false,2026-01-01T00:00:02Z\n'}
    )
    first = store.repository()[TAG]["notes.csv"]
    again = store.repository()[TAG]["notes.csv"]
    pd.testing.assert_frame_equal(again, first)
    assert again.loc[1, "note"] == "a, b" and pd.isna(again.loc[2, "note"])


SERIES = "epoch,loss,top1,Date\n1,0.5,7,2026-01-01T00:00:01Z\n2,nil,8,2026-01-01T00:00:02Z\n"


def test_a_meld_then_a_full_load_of_the_series_sends_no_second_get(store):
    store.finished(TAG, {"loss.csv": SERIES})
    wb = store.repository()
    wb.meld_csv([TAG], "loss.csv", "loss")  # parses only the index and loss
    wb.storage.requests.clear()
    full = wb[TAG]["loss.csv"]
    assert wb.storage.requests["get"] == 0
    pd.testing.assert_frame_equal(full, store.repository(cache=False)[TAG]["loss.csv"])


def test_fields_parsed_for_melds_are_kept_together_and_not_parsed_again(store, monkeypatch):
    import lab_workbook._series

    store.finished(TAG, {"loss.csv": SERIES})
    store.repository().meld_csv([TAG], "loss.csv", "loss")
    store.repository().meld_csv([TAG], "loss.csv", "top1")

    def no_parsing(*args, **kwargs):
        raise AssertionError("the series was parsed again")

    monkeypatch.setattr(lab_workbook._series, "parse_series", no_parsing)
    both = store.repository()[TAG].load_series("loss.csv", ["loss", "top1"])
    assert both["top1"].tolist() == [7, 8] and both["loss"].iloc[0] == 0.5


def test_clear_cache_also_forgets_what_is_not_yet_on_disk(tmp_path):
    from lab_workbook._cache import DiskCache, clear_cache, wait_for_cache_writes

    cache = DiskCache("test", root=tmp_path / "objects")
    cache.put("a", b"x" * 1000, etag=None, final=True)
    clear_cache(tmp_path / "objects")
    assert cache.get("a") is None
    wait_for_cache_writes()
    assert cache.get("a") is None


def test_an_entry_is_served_before_it_reaches_the_disk_and_is_there_after(tmp_path):
    import threading

    from lab_workbook._cache_writes import CacheWriter, PendingEntry

    writer, release, written = CacheWriter(), threading.Event(), []
    entry = PendingEntry(b"data", "etag", True, lambda: (release.wait(5), written.append(1)))
    writer.submit(tmp_path / "a", entry)
    assert writer.pending(tmp_path / "a") is entry and not written
    release.set()
    writer.flush()
    assert written == [1] and writer.pending(tmp_path / "a") is None


def test_while_held_an_entry_waits_for_the_block_to_end_and_is_still_served(tmp_path):
    import threading
    import time

    from lab_workbook._cache_writes import CacheWriter, PendingEntry

    writer, written = CacheWriter(), threading.Event()
    entry = PendingEntry(b"data", None, True, written.set)
    with writer.held():
        writer.submit(tmp_path / "a", entry)
        time.sleep(0.2)  # time enough for the writer thread to write it, were it not held
        assert not written.is_set() and writer.pending(tmp_path / "a") is entry
    assert written.wait(5)
    writer.flush()
    assert writer.pending(tmp_path / "a") is None


def test_a_flush_inside_a_held_block_writes_what_is_queued(tmp_path):
    import threading

    from lab_workbook._cache_writes import CacheWriter, PendingEntry

    writer, written = CacheWriter(), threading.Event()
    with writer.held():
        writer.submit(tmp_path / "a", PendingEntry(b"data", None, True, written.set))
        writer.flush()
        assert written.is_set()


def test_past_the_cap_a_put_writes_its_own_entry_instead_of_waiting_for_the_writer_thread(tmp_path):
    import threading

    from lab_workbook._cache_writes import CacheWriter, PendingEntry

    writer, release, written = CacheWriter(max_pending_bytes=10), threading.Event(), []
    slow = PendingEntry(b"x" * 100, None, True, lambda: (release.wait(5), written.append("queued")))
    writer.submit(tmp_path / "a", slow)  # the writer thread is held in this one
    own = PendingEntry(b"y" * 100, None, True, lambda: written.append(threading.current_thread().name))
    writer.submit(tmp_path / "b", own)  # past the cap: written by the caller, now
    assert written == [threading.current_thread().name]
    release.set()
    writer.flush()
    assert written[-1] == "queued" and writer.pending(tmp_path / "a") is None


def test_past_the_cap_a_newer_entry_for_a_queued_path_is_the_one_left_on_disk(tmp_path):
    import threading

    from lab_workbook._cache_writes import CacheWriter, PendingEntry

    writer, release, disk = CacheWriter(max_pending_bytes=10), threading.Event(), {}
    older = PendingEntry(b"o" * 100, None, True, lambda: (release.wait(5), disk.update(a="older")))
    writer.submit(tmp_path / "a", older)
    threading.Timer(0.2, release.set).start()
    writer.submit(tmp_path / "a", PendingEntry(b"n" * 100, None, True, lambda: disk.update(a="newer")))
    writer.flush()
    assert disk == {"a": "newer"}


def test_clear_cache_waits_for_entries_their_callers_are_writing(tmp_path):
    import threading

    from lab_workbook._cache_writes import CacheWriter, PendingEntry

    writer, started, release, events = CacheWriter(max_pending_bytes=0), threading.Event(), threading.Event(), []
    writer.submit(tmp_path / "queued", PendingEntry(b"q", None, True, lambda: release.wait(5)))

    def own_write() -> None:
        started.set()
        release.wait(5)
        events.append("written")

    putter = threading.Thread(target=writer.submit, args=(tmp_path / "b", PendingEntry(b"b", None, True, own_write)))
    putter.start()
    started.wait(5)
    threading.Timer(0.2, release.set).start()
    writer.discard(tmp_path, lambda: events.append("cleared"))
    putter.join(5)
    assert events == ["written", "cleared"]


def test_a_cache_the_disk_refuses_is_logged_at_debug_level_and_costs_nothing_else(tmp_path, caplog):
    import logging

    from lab_workbook._cache import DiskCache, wait_for_cache_writes

    (tmp_path / "objects").write_bytes(b"a file where the cache folder should be")  # mkdir: an OSError
    cache = DiskCache("test", root=tmp_path / "objects" / "sub")
    with caplog.at_level(logging.DEBUG, logger="lab_workbook"):
        cache.put("a", b"x" * 100, etag=None, final=True)
        wait_for_cache_writes()
    assert cache.get("a") is None
    refused = [
        r for r in caplog.records if r.name.startswith("lab_workbook._cache") and "not written" in r.getMessage()
    ]
    assert refused and refused[0].levelno == logging.DEBUG


def test_a_bug_in_a_cache_write_is_not_swallowed(tmp_path):
    import threading
    import time

    from lab_workbook._cache_writes import CacheWriter, PendingEntry

    def buggy() -> None:
        raise TypeError("a bug in the cache's own code")

    seen: list[BaseException] = []
    previous, threading.excepthook = threading.excepthook, lambda args: seen.append(args.exc_value)
    try:
        writer = CacheWriter()
        writer.submit(tmp_path / "a", PendingEntry(b"data", None, True, buggy))
        writer.flush()  # returns: the writer thread is gone, and the next submit starts another
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:  # the thread reports it just after it let go
            time.sleep(0.01)
    finally:
        threading.excepthook = previous
    assert [type(e) for e in seen] == [TypeError]
    assert writer.pending(tmp_path / "a") is None


def test_a_hold_keeps_back_at_most_max_held_bytes_and_the_writer_writes_past_them(tmp_path):
    """A meld holds for its whole length: its entries must reach the disk meanwhile, not pile up."""
    import threading
    import time

    from lab_workbook._cache_writes import CacheWriter, PendingEntry

    writer, small, large = CacheWriter(max_held_bytes=100), threading.Event(), threading.Event()
    with writer.held():
        writer.submit(tmp_path / "a", PendingEntry(b"x" * 60, None, True, small.set))
        time.sleep(0.2)  # time enough for the writer thread to write it, were it not held
        assert not small.is_set()  # under the limit: held
        writer.submit(tmp_path / "b", PendingEntry(b"y" * 60, None, True, large.set))
        assert small.wait(5)  # past it: the oldest is written while the block still runs...
        time.sleep(0.2)
        assert not large.is_set() and writer.pending(tmp_path / "b") is not None  # ...down to the limit
    assert large.wait(5)
    writer.flush()
    assert writer.pending(tmp_path / "a") is None and writer.pending(tmp_path / "b") is None
