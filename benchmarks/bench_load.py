"""Cold and warm loads of one finished series, against ``pandas.read_csv``, on a local store and on S3.

Prints, in one run (``python benchmarks/bench_load.py [--store local|s3|both]``), for each store the
median of ``--repeat`` calls of:

1. the baseline: on the local store ``pandas.read_csv(path)`` of the series file, no options; on the
   S3 endpoint one GET of the same object (a boto3 client made beforehand) and ``pandas.read_csv`` of
   its bytes, no options (the baselines of issue 26);
2. ``wb[tag][name]`` with an empty disk cache (a fresh cache folder and a fresh repository per call,
   made untimed, as a notebook makes it once): the tag check, the run record, the read or download,
   the parse, the index, ``Date`` as datetimes;
3. the same with the cache filled by an earlier load;

and the ratios of 2 and 3 to 1. Baseline and loads alternate, so the machine's drift hits both.
The S3 endpoint is moto's server in a child process on 127.0.0.1 (``moto_endpoint.py``).
The reader writes its cache on a background thread: each cold call is followed, untimed, by a
wait until the cache is complete, so no call pays for the previous one's writes; "cache
complete" says how long after the call returned that lasted. CPU seconds of the process (all
its threads) are printed beside the wall times: they move less with the load of a shared machine.

Targets (issue 26): cold <= 1.0x, warm as before (about 0.1x).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import io
import os
from pathlib import Path
import statistics
import time

from bench_reader import record  # benchmarks/bench_reader.py: a finished run's record
from moto_endpoint import start_moto, stop_moto  # benchmarks/moto_endpoint.py
import numpy as np
import pandas as pd
from timing import bench_environment, load_average  # benchmarks/timing.py

TAG = "201602122217-benchload00"
NAME = "Training.csv"
BUCKET = "bench-load"


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
    (run / ".lab-workbook" / "run.json").write_bytes(record(TAG))  # the record bench_reader writes
    return run / NAME


def compare(
    label: str,
    baseline: Callable[[], object],
    baseline_label: str,
    loader: Callable[[Path], Callable[[], object]],
    caches: Path,
    repeat: int,
) -> None:
    """Alternate ``baseline()`` and cold and warm loads; print the medians and the ratios.

    ``loader(cache)`` makes a repository with its disk cache in the folder ``cache`` (untimed:
    a notebook makes it once) and returns the load to time.
    """
    from lab_workbook._cache import wait_for_cache_writes

    # One untimed call of each first: imports (pyarrow, pandas' parsers, boto3) are not what is measured.
    baseline()
    warm_cache = caches / "warm"
    loader(warm_cache)()
    wait_for_cache_writes()

    plain, plain_cpu, cold, cold_cpu, settle, settle_cpu, warm, warm_cpu = [], [], [], [], [], [], [], []

    def measure(call: Callable[[], object], wall: list[float], cpu: list[float]) -> None:
        # process_time: every thread of the process (pyarrow's parse threads, the cache writer), in ns steps
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)

    for round_ in range(repeat):
        measure(baseline, plain, plain_cpu)
        measure(loader(caches / f"cold-{round_}"), cold, cold_cpu)  # an empty cache folder
        measure(wait_for_cache_writes, settle, settle_cpu)
        measure(loader(warm_cache), warm, warm_cpu)

    base, base_cpu = statistics.median(plain), statistics.median(plain_cpu)
    print(f"{label}: median of {repeat}; {load_average()}")
    print(f"{baseline_label + ' (baseline)':<44}{base * 1000:8.1f} ms  {base_cpu * 1000:8.1f} ms CPU")
    for name, wall, cpu, target in (
        ("load, cold cache", cold, cold_cpu, "target <= 1.0x"),
        ("load, warm cache", warm, warm_cpu, "was about 0.1x"),
    ):
        w, c = statistics.median(wall), statistics.median(cpu)
        print(
            f"{name:<44}{w * 1000:8.1f} ms  {c * 1000:8.1f} ms CPU  {w / base:5.2f}x wall  {c / base_cpu:5.2f}x CPU  ({target})"
        )
    total_cpu = statistics.median([a + b for a, b in zip(cold_cpu, settle_cpu, strict=True)])
    print(
        f"{'  cache complete after a cold load':<44}{statistics.median(settle) * 1000:8.1f} ms more; "
        f"cold load and its cache writes: {total_cpu * 1000:.1f} ms CPU, {total_cpu / base_cpu:.2f}x\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="calls per measurement (median is shown)")
    parser.add_argument("--store", choices=["local", "s3", "both"], default="both")
    args = parser.parse_args()

    work = bench_environment("bench-load", cache=False)
    from lab_workbook import ExperimentRepository

    data = series_bytes(args.rows)
    store = work / "store"
    path = finished_run(store, data)
    expected = pd.read_csv(path, index_col=0, parse_dates=["Date"]).shape
    print(f"series: {args.rows:,} rows x 6 fields, {len(data) / 1e6:.1f} MB\n")

    def loader(prefix: str) -> Callable[[Path], Callable[[], object]]:
        def prepare(cache: Path) -> Callable[[], object]:
            os.environ["LAB_WORKBOOK_CACHE_DIR"] = str(cache)
            wb = ExperimentRepository(prefix)  # a fresh repository (its S3 client made here, untimed)

            def load() -> object:  # timed: the tag check, the run record, the series
                frame = wb[TAG][NAME]
                assert frame.shape == expected, (frame.shape, expected)
                return frame

            return load

        return prepare

    if args.store in ("local", "both"):
        compare(
            "local store",
            lambda: pd.read_csv(path),
            "pandas.read_csv(path)",
            loader(str(store)),
            work / "caches-local",
            args.repeat,
        )
    if args.store in ("s3", "both"):
        server, endpoint = start_moto()
        try:
            os.environ["AWS_ENDPOINT_URL_S3"] = endpoint
            import boto3

            client = boto3.client("s3")
            client.create_bucket(Bucket=BUCKET)
            for file in (path, path.parent / ".lab-workbook" / "run.json"):
                client.put_object(
                    Bucket=BUCKET, Key=f"store/{file.relative_to(store).as_posix()}", Body=file.read_bytes()
                )
            key = f"store/{TAG}/{NAME}"

            def download_and_parse() -> object:
                # the same bytes over the same HTTP endpoint, then pandas.read_csv with no options
                return pd.read_csv(io.BytesIO(client.get_object(Bucket=BUCKET, Key=key)["Body"].read()))

            compare(
                "S3 endpoint (moto server in a child process, 127.0.0.1)",
                download_and_parse,
                "GET + pandas.read_csv(bytes)",
                loader(f"s3://{BUCKET}/store/"),
                work / "caches-s3",
                args.repeat,
            )
        finally:
            stop_moto(server)


if __name__ == "__main__":
    main()
