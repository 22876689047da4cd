"""Cold and warm loads of one finished series from a local store, against ``pandas.read_csv(path)``.

Prints, in one run (``python benchmarks/bench_load.py``), the median of ``--repeat`` calls of:

1. ``pandas.read_csv(path)`` of the series file, no options (the baseline of issue 26);
2. ``ExperimentRepository(store)[tag][name]`` with an empty disk cache (a fresh cache folder per
   call): the run record, the read, the parse, the index, ``Date`` as datetimes;
3. the same with the cache filled by an earlier load (a fresh repository per call);

and the ratios of 2 and 3 to 1. Baseline and loads alternate, so the machine's drift hits both.
The reader writes its cache on a background thread: each cold call is followed, untimed, by a
wait until the cache is complete, so no call pays for the previous one's writes; "cache
complete" says how long after the call returned that lasted. CPU seconds of the process (all
its threads) are printed beside the wall times: they move less with the load of a shared machine.

Targets (issue 26): cold <= 1.0x, warm as before (about 0.1x).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import json
import os
from pathlib import Path
import statistics
import time

import numpy as np
import pandas as pd
from timing import bench_environment, load_average  # benchmarks/timing.py

TAG = "201602122217-benchload00"
NAME = "Training.csv"


def series_bytes(rows: int) -> bytes:
    """A series as the writer logs it: ``step`` first, four number fields, and ``Date``."""
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2016-02-12T22:17:34Z")
    frame = pd.DataFrame(
        {
            "step": np.arange(rows),
            "epoch": np.arange(rows) / 2_560,
            "loss": rng.random(rows) * 3,
            "lr": rng.random(rows) / 100,
            "top1": rng.integers(0, 100, rows),
            "Date": (start + pd.to_timedelta(np.arange(rows) * 1.25, unit="s")).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
    )
    return frame.to_csv(index=False, lineterminator="\n").encode()


def finished_run(store: Path, data: bytes) -> Path:
    """A finished run holding the series, laid out as the writer leaves it on a local store."""
    run = store / TAG
    (run / ".lab-workbook").mkdir(parents=True)
    (run / NAME).write_bytes(data)
    record = {
        "format": "lab-workbook/run",
        "format_version": 1,
        "tag": TAG,
        "status": "finished",
        "started": "2016-02-12T22:17:34Z",
        "ended": "2016-02-14T23:11:02Z",
        "heartbeat": "2016-02-14T23:11:02Z",
        "heartbeat_interval": 30,
        "artifacts": {},
    }
    (run / ".lab-workbook" / "run.json").write_text(json.dumps(record))
    return run / NAME


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="calls per measurement (median is shown)")
    args = parser.parse_args()

    work = bench_environment("bench-load", cache=False)
    from lab_workbook import ExperimentRepository
    from lab_workbook._cache import wait_for_cache_writes

    store = work / "store"
    path = finished_run(store, series_bytes(args.rows))
    caches = work / "caches"

    def repository(cache: Path) -> ExperimentRepository:
        os.environ["LAB_WORKBOOK_CACHE_DIR"] = str(cache)
        return ExperimentRepository(str(store))

    # One untimed call of each first: imports (pyarrow, pandas' parsers) are not what is measured.
    pd.read_csv(path)
    expected = pd.read_csv(path, index_col=0, parse_dates=["Date"]).shape
    warm_cache = caches / "warm"
    shape = repository(warm_cache)[TAG][NAME].shape
    assert shape == expected, (shape, expected)
    wait_for_cache_writes()

    plain, plain_cpu, cold, cold_cpu, settle, settle_cpu, warm, warm_cpu = [], [], [], [], [], [], [], []

    def measure(call: Callable[[], object], wall: list[float], cpu: list[float]) -> None:
        # process_time: every thread of the process (pyarrow's parse threads, the cache writer), in ns steps
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)

    for round_ in range(args.repeat):
        measure(lambda: pd.read_csv(path), plain, plain_cpu)
        cold_wb = repository(caches / f"cold-{round_}")  # an empty cache folder
        measure(lambda: cold_wb[TAG][NAME], cold, cold_cpu)  # noqa: B023 (called at once)
        measure(wait_for_cache_writes, settle, settle_cpu)
        warm_wb = repository(warm_cache)
        measure(lambda: warm_wb[TAG][NAME], warm, warm_cpu)  # noqa: B023 (called at once)

    base, base_cpu = statistics.median(plain), statistics.median(plain_cpu)
    size = path.stat().st_size
    print(f"series: {args.rows:,} rows x 6 fields, {size / 1e6:.1f} MB; median of {args.repeat}; {load_average()}")
    print(f"{'pandas.read_csv(path) (baseline)':<40}{base * 1000:8.1f} ms  {base_cpu * 1000:8.1f} ms CPU")
    for label, wall, cpu, target in (
        ("load, cold cache (local store)", cold, cold_cpu, "target <= 1.0x"),
        ("load, warm cache (local store)", warm, warm_cpu, "was about 0.1x"),
    ):
        w, c = statistics.median(wall), statistics.median(cpu)
        print(
            f"{label:<40}{w * 1000:8.1f} ms  {c * 1000:8.1f} ms CPU  {w / base:5.2f}x wall  {c / base_cpu:5.2f}x CPU  ({target})"
        )
    total_cpu = statistics.median([a + b for a, b in zip(cold_cpu, settle_cpu, strict=True)])
    print(
        f"{'  cache complete after a cold load':<40}{statistics.median(settle) * 1000:8.1f} ms more; "
        f"cold load and its cache writes: {total_cpu * 1000:.1f} ms CPU, {total_cpu / base_cpu:.2f}x"
    )


if __name__ == "__main__":
    main()
