"""Reader benchmark: load, cache, meld and listing costs against the S3 HTTP endpoint.

Prints, in one run (``hatch run bench:reader``):

1. loading a 180,801-row x 6-column series from the HTTP endpoint cold (nothing cached)
   and cached (a finished run: served from the disk cache), against ``pandas.read_csv``
   of the same bytes from local disk into the same DataFrame (``index_col=0``, ``Date``
   parsed, as the original reader did); plain ``pandas.read_csv(path)`` is shown too;
2. melding 32 experiments (each holding such a series) against loading one;
3. the list requests needed to list 10,000 experiments.

The S3 endpoint is moto's server (``ThreadedMotoServer``) on 127.0.0.1, started by this
script in a child process, as ``bench_writer.py`` does: a real S3 endpoint is never inside
the reader's process, and an in-process server would compete with the reader for the GIL
(it still competes for the machine's cores). The baseline reads local disk, with no server.

The reader writes its disk cache on a background thread (a load returns before its copy is
on disk). Each timed call is followed, untimed, by a wait until the cache is complete, so no
measurement pays for the previous one's writes; the lines marked "cache complete" say how
long after the call returned that wait lasted.

Targets: cold <= 3x, cached <= 1.3x, meld of 32 <= 6x one load, <= 11 list requests.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
import json
import os
import statistics

from meld_limit import compare  # benchmarks/meld_limit.py
from moto_endpoint import start_moto, stop_moto  # benchmarks/moto_endpoint.py
import numpy as np
import pandas as pd
from timing import bench_environment, load_average, stopwatch, timed  # benchmarks/timing.py

ROWS = 180_801
EXPERIMENTS_TO_MELD = 32
EXPERIMENTS_TO_LIST = 10_000
BUCKET = "bench-reader"


def series_bytes(rows: int) -> bytes:
    """A series like the original README's ``Training.csv``: epoch, then 5 fields and Date."""
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2016-02-12T22:17:34Z")
    frame = pd.DataFrame(
        {
            "epoch": np.arange(rows) / 25_600,
            "time": rng.random(rows),
            "dataTime": rng.random(rows) / 100,
            "loss": rng.random(rows) * 3,
            "top1": rng.integers(0, 100, rows),
            "top5": rng.integers(0, 100, rows),
            "Date": (start + pd.to_timedelta(np.arange(rows) * 1.25, unit="s")).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
    )
    return frame.to_csv(index=False, float_format=None, lineterminator="\n").encode()


def record(tag: str) -> bytes:
    return json.dumps(
        {
            "format": "lab-workbook/run",
            "format_version": 1,
            "tag": tag,
            "status": "finished",
            "started": "2016-02-12T22:17:34Z",
            "ended": "2016-02-14T23:11:02Z",
            "heartbeat": "2016-02-14T23:11:02Z",
            "heartbeat_interval": 30,
            "artifacts": {},
        }
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median is shown)")
    parser.add_argument("--meld-rounds", type=int, default=3, help="cold melds alternating with the limit")
    parser.add_argument("--no-listing", action="store_true", help="leave out the listing of 10,000 runs")
    args = parser.parse_args()

    work = bench_environment("bench-reader")
    server, endpoint = start_moto()
    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint
    import boto3
    from lab_workbook import ExperimentRepository, clear_cache
    from lab_workbook._cache import wait_for_cache_writes

    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    prefix = f"s3://{BUCKET}/experiments/"
    data = series_bytes(ROWS)
    local_csv = work / "Training.csv"
    local_csv.write_bytes(data)
    tags = [f"201602122217-melded{i:04d}" for i in range(EXPERIMENTS_TO_MELD)]

    def upload(tag: str) -> None:
        client.put_object(Bucket=BUCKET, Key=f"experiments/{tag}/Training.csv", Body=data)
        client.put_object(Bucket=BUCKET, Key=f"experiments/{tag}/.lab-workbook/run.json", Body=record(tag))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(upload, tags))
    one = tags[0]
    print(
        f"series: {ROWS:,} rows x 6 columns, {len(data) / 1e6:.1f} MB; median of {args.repeat} runs; {load_average()}\n"
    )

    # Two baselines: plain read_csv, and read_csv asked for what a load returns (the original reader's
    # call: first field as index, Date as datetimes, `nil` missing). Ratios use the second, the same
    # bytes into the same DataFrame; the first is printed so the difference is visible.
    plain = timed(lambda _: pd.read_csv(local_csv), args.repeat)
    baseline = timed(
        lambda _: pd.read_csv(local_csv, index_col=0, na_values=["nil"], parse_dates=["Date"], date_format="ISO8601"),
        args.repeat,
    )
    shape = ExperimentRepository(prefix)[one]["Training.csv"].shape
    assert shape == (ROWS, 6), shape

    # A notebook makes its repository once: a fresh one per run (untimed), then wb[tag][name] is timed:
    # the tag check, the run record and the series. Cold: the disk cache is empty.
    def fresh(clear: bool):
        def make():
            if clear:
                clear_cache()
            return ExperimentRepository(prefix)

        return make

    def load(wb) -> None:
        wb[one]["Training.csv"]

    load_writes: list[float] = []
    cold_time = timed(load, args.repeat, fresh(True), wait_for_cache_writes, load_writes)
    load(ExperimentRepository(prefix))
    wait_for_cache_writes()
    cached_time = timed(load, args.repeat, fresh(False), wait_for_cache_writes)
    print(f"{'pandas.read_csv(path), local disk':<44}{plain * 1000:8.1f} ms  (no index, Date left as text)")
    print(f"{'pandas.read_csv, same DataFrame (baseline)':<44}{baseline * 1000:8.1f} ms  (index_col=0, Date parsed)")
    print(
        f"{'load from HTTP endpoint, cold':<44}{cold_time * 1000:8.1f} ms  {cold_time / baseline:5.2f}x  (target <= 3x)"
    )
    print(f"{'  cache complete after it returned':<44}{statistics.median(load_writes) * 1000:8.1f} ms more (median)")
    print(
        f"{'load from HTTP endpoint, cached':<44}{cached_time * 1000:8.1f} ms  {cached_time / baseline:5.2f}x  (target <= 1.3x)"
    )

    def meld(wb) -> None:
        melded = wb.meld_csv(tags, "Training.csv", "loss")
        assert melded.shape == (ROWS, EXPERIMENTS_TO_MELD), melded.shape

    meld_writes: list[float] = []
    meld_cold_time = timed(meld, max(1, args.repeat // 2), fresh(True), wait_for_cache_writes, meld_writes)
    meld(ExperimentRepository(prefix))
    wait_for_cache_writes()
    meld_cached_time = timed(meld, args.repeat, fresh(False), wait_for_cache_writes)
    print(f"\nmeld_csv of {EXPERIMENTS_TO_MELD} experiments ({EXPERIMENTS_TO_MELD} x {ROWS:,} rows, field 'loss'):")
    print(
        f"{'  cold, against one cold load':<44}{meld_cold_time * 1000:8.1f} ms  {meld_cold_time / cold_time:5.2f}x  (target <= 6x)"
    )
    print(f"{'    cache complete after it returned':<44}{statistics.median(meld_writes) * 1000:8.1f} ms more (median)")
    print(
        f"{'  cached, against one cached load':<44}{meld_cached_time * 1000:8.1f} ms  {meld_cached_time / cached_time:5.2f}x  (target <= 6x)"
    )
    compare(
        server_pid=server.pid,
        bucket=BUCKET,
        prefix="experiments/",
        tags=tags,
        artifact="Training.csv",
        index="epoch",
        field="loss",
        rounds=args.meld_rounds,
    )

    if args.no_listing:
        stop_moto(server)
        return
    listing_tags = [f"2016{i:08d}-list{i:06d}" for i in range(EXPERIMENTS_TO_LIST)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda t: client.put_object(Bucket=BUCKET, Key=f"listing/{t}/a.txt", Body=b""), listing_tags))
    wb = ExperimentRepository(f"s3://{BUCKET}/listing/")
    with stopwatch() as listing:
        count = len(wb[:])
    assert count == EXPERIMENTS_TO_LIST, count
    print(
        f"\nlisting {count:,} experiments: {wb.storage.requests['list']} list requests, "
        f"{sum(wb.storage.requests.values()) - wb.storage.requests['list']} other requests, "
        f"{listing.wall:.2f} s  (target <= 11 list requests; {listing.load})"
    )
    stop_moto(server)


if __name__ == "__main__":
    main()
