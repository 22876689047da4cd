"""``wb.run_rows``: the one pipeline of run rows (filters, newest-first chunks, kept rows of finished runs)."""

from datetime import UTC, datetime

import pytest

TAGS = [f"2026010{day}0000-chunkAAAAA" for day in range(1, 8)]  # seven runs, oldest first


def _row(exp):
    return {"tag": exp.tag, "status": exp.status, "started": exp.info.get("started")}


def _runs(store, statuses=("finished",) * 7):
    for tag, status in zip(TAGS, statuses, strict=True):
        store.record(tag, status, started=datetime.strptime(tag[:12], "%Y%m%d%H%M").replace(tzinfo=UTC))


def test_rows_come_newest_first_in_chunks_that_double(store):
    _runs(store)
    chunks = [[r["tag"] for r in chunk] for chunk in store.repository().run_rows("rows 1", _row, chunk=2)]
    assert chunks == [TAGS[:-3:-1], TAGS[-3:-7:-1], TAGS[:1]]


def test_remaining_counts_the_runs_not_read_yet(store):
    _runs(store)
    rows = store.repository().run_rows("rows 1", _row, chunk=2)
    assert rows.remaining is None
    assert [rows.remaining for _ in rows] == [5, 1, 0]


def test_stopping_after_a_chunk_reads_no_older_run(local_store):
    _runs(local_store)
    wb = local_store.repository(cache=False)
    wb.storage.requests.clear()
    for _ in wb.run_rows("rows 1", _row, chunk=2):
        break
    assert (wb.storage.requests["list"], wb.storage.requests["get"]) == (1, 2)  # the two newest records


def test_a_run_filtered_out_by_status_has_no_row_made(store):
    _runs(store, ("failed",) + ("finished",) * 6)
    made = []

    def row(exp):
        made.append(exp.tag)
        return _row(exp)

    rows = [r for chunk in store.repository().run_rows("rows 1", row, status="failed") for r in chunk]
    assert [r["tag"] for r in rows] == made == [TAGS[0]]


def test_a_generated_tag_older_than_since_costs_no_request(local_store):
    _runs(local_store)
    wb = local_store.repository(cache=False)
    wb.storage.requests.clear()
    since = datetime(2026, 1, 6, tzinfo=UTC)  # a naive time would be UTC too
    rows = [r["tag"] for chunk in wb.run_rows("rows 1", _row, since=since) for r in chunk]
    assert rows == TAGS[:-3:-1]
    assert (wb.storage.requests["list"], wb.storage.requests["get"]) == (1, 2)


def test_until_and_tag_prefix_filter_too(store):
    _runs(store)
    wb = store.repository()
    until = [r["tag"] for chunk in wb.run_rows("rows 1", _row, until=datetime(2026, 1, 2)) for r in chunk]
    assert until == TAGS[1::-1]
    assert [r["tag"] for chunk in wb.run_rows("rows 1", _row, tag_prefix="20260103") for r in chunk] == [TAGS[2]]


def test_tag_order_on_request(store):
    _runs(store)
    chunks = list(store.repository().run_rows("rows 1", _row, newest_first=False, chunk=None))
    assert [[r["tag"] for r in chunk] for chunk in chunks] == [TAGS]


def test_stopping_early_still_keeps_the_rows_made_for_the_next_process(local_store):
    _runs(local_store)
    for _ in local_store.repository().run_rows("rows 1", _row, chunk=2):
        break

    def fail(exp):
        raise AssertionError(f"a row was made again for {exp.tag}")

    again = local_store.repository().run_rows("rows 1", fail, chunk=2)
    assert [r["tag"] for r in next(iter(again))] == TAGS[:-3:-1]


def test_a_chunk_must_hold_a_run(store):
    with pytest.raises(ValueError, match="chunk must be a positive number"):
        store.repository().run_rows("rows 1", _row, chunk=0)
