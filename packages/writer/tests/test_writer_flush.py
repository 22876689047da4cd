"""``flush()`` is bounded by what it can achieve: rows on local disk at once, the store's answer or its absence."""

import re
import time

from lab_workbook_core.tags import TAG_PATTERN
from lab_workbook_writer import new_experiment


def test_flush_returns_false_at_once_when_the_store_is_down_and_true_once_it_is_back(store, outage):
    wb = new_experiment(store.prefix, capture_environment=False)
    log = wb.new_time_series_log("loss", ["step"])
    log(step=0)
    assert wb.flush(timeout=20) is True
    outage.stop()
    try:
        log(step=1)
        assert wb.flush(timeout=60) is False  # the request in flight fails: known down
        log(step=2)
        started = time.monotonic()
        assert wb.flush(timeout=60) is False
        assert log.flush(timeout=60) is False
        assert time.monotonic() - started < 5  # one single-attempt retry each, not the timeout
    finally:
        outage.start()
    assert wb.flush(timeout=20) is True
    assert wb.close() is True
    assert [int(r["step"]) for r in store.rows(wb.tag, "loss.csv")] == [0, 1, 2]


def test_flush_puts_every_row_on_the_spools_disk_even_while_the_store_is_down(store, outage, isolated_home):
    wb = new_experiment(store.prefix, capture_environment=False)
    log = wb.new_time_series_log("loss", ["step"], flush_seconds=3600)  # the ticker would not drain them
    outage.stop()
    try:
        for step in range(50):
            log(step=step)
        assert wb.flush(timeout=60) is False
        (series,) = isolated_home.glob("spool/*/series/*.csv")
        assert series.read_text().count("\n") == 1 + 50  # the header and every row
    finally:
        outage.start()
    assert wb.close(timeout=20) is True


def test_the_offline_start_message_names_the_runs_tag_only(s3_prefix, s3_server, capsys):
    s3_server.stop()
    try:
        wb = new_experiment(s3_prefix, close_timeout=0.5, capture_environment=False)
    finally:
        s3_server.start()
    out, err = capsys.readouterr()
    assert "recording it locally" in err
    tags = set(re.findall(TAG_PATTERN.pattern.strip("^$"), out + err))
    assert tags == {wb.tag}, (out, err)
    wb.close(timeout=20)
