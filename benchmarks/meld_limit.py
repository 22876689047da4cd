"""The cold meld against the machine's limit: the same bytes downloaded and parsed, nothing else.

``bench_reader.py`` runs :func:`compare` after its own meld figures. The limit is 32 GETs
of the series with bare boto3 (the reader's client settings for a non-AWS endpoint: no
response checksum) on 16 threads, each parsed by pyarrow's CSV reader as soon as it
arrives (index and the melded field): what any client must do at the least. Limit, cold
meld and cold meld without the disk cache alternate, so the machine's drift hits all three
(the difference between the two melds is what keeping the cache costs). Then every part of
a cold meld is measured alone, so that what separates the two is named: the listing and run records, the GETs, the
parse, the disk cache's writes, the final join.

Wall times move with the machine's load; CPU seconds (this process plus the S3 server)
move much less, so both are printed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
import statistics
from typing import Any

import pandas as pd
from timing import Timer, load_average, stopwatch  # benchmarks/timing.py

__all__ = ["compare"]

THREADS = 16  # the reader's default max_workers


def _client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        config=Config(
            max_pool_connections=32,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def _pooled(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(function, items))


def _arrow_parse(data: bytes, columns: list[str]) -> Any:
    import pyarrow as pa
    from pyarrow import csv

    return csv.read_csv(pa.py_buffer(data), convert_options=csv.ConvertOptions(include_columns=columns))


def _line(label: str, timer: Timer, against: Timer | None = None) -> str:
    ratio = (
        f"  {timer.wall / against.wall:5.2f}x wall  {timer.total_cpu / against.total_cpu:5.2f}x CPU" if against else ""
    )
    return (
        f"{label:<50}{timer.wall * 1000:8.0f} ms wall  {timer.cpu:5.2f} s CPU + {timer.others_cpu:4.2f} s server"
        f"{ratio}  ({timer.load})"
    )


def compare(
    *,
    server_pid: int,
    bucket: str,
    prefix: str,
    tags: list[str],
    artifact: str,
    index: str,
    field: str,
    rounds: int,
) -> float:
    """Print the cold meld against its limit (alternating, ``rounds`` each) and the parts of a cold meld.

    Returns:
        The cold meld's median wall time over the limit's.
    """
    from lab_workbook import ExperimentRepository, clear_cache
    from lab_workbook._cache import DiskCache, wait_for_cache_writes
    from lab_workbook._frames import encode_frame
    from lab_workbook._series import parse_series

    client = _client()
    keys = [f"{prefix}{tag}/{artifact}" for tag in tags]
    store = f"s3://{bucket}/{prefix}"

    def limit() -> None:
        _pooled(
            lambda key: _arrow_parse(client.get_object(Bucket=bucket, Key=key)["Body"].read(), [index, field]), keys
        )

    limits, melds, settles, uncached = [], [], [], []
    for _ in range(rounds):  # limit, cold meld, cold meld without the disk cache: the drift hits all three
        with stopwatch(server_pid) as timer:
            limit()
        limits.append(timer)
        clear_cache()
        wb = ExperimentRepository(store)
        with stopwatch(server_pid) as timer:
            wb.meld_csv(tags, artifact, field)
        melds.append(timer)
        with stopwatch() as settle:
            wait_for_cache_writes()
        settles.append(settle.wall)
        with stopwatch(server_pid) as timer:
            ExperimentRepository(store, cache=False).meld_csv(tags, artifact, field)
        uncached.append(timer)

    def median(timers: list[Timer]) -> Timer:
        return Timer(
            *(statistics.median(getattr(t, name) for t in timers) for name in ("wall", "cpu", "others_cpu")),
            load=load_average(),
        )

    the_limit, the_meld = median(limits), median(melds)
    print(f"\ncold meld of {len(tags)} runs against the limit (median of {rounds}, alternating):")
    print(_line("  limit: 32 GETs + pyarrow parse, pipelined", the_limit))
    print(_line("  wb.meld_csv, cold", the_meld, the_limit) + "  (target <= 1.3x)")
    print(f"{'    cache complete after it returned':<50}{statistics.median(settles) * 1000:8.0f} ms more (median)")
    print(_line("  wb.meld_csv, cold, without the disk cache", median(uncached), the_limit))

    print("parts of a cold meld, each alone:")
    clear_cache()
    wb = ExperimentRepository(store)
    with stopwatch(server_pid) as timer:
        wb.tags()
        _pooled(lambda tag: wb[tag].status, tags)
    print(_line(f"  listing + {len(tags)} run records", timer, the_limit))
    with stopwatch(server_pid) as timer:
        blobs = _pooled(lambda key: client.get_object(Bucket=bucket, Key=key)["Body"].read(), keys)
    print(_line(f"  {len(tags)} GETs of the series", timer, the_limit))
    with stopwatch() as timer:
        _pooled(lambda data: _arrow_parse(data, [index, field]), blobs)
    print(_line("  parsing them, bare pyarrow", timer, the_limit))
    with stopwatch() as timer:
        frames = _pooled(lambda data: parse_series(data, "bench", usecols=[field]), blobs)
    print(_line("  parsing them, the reader's parse_series", timer, the_limit))
    with stopwatch() as timer:
        pd.concat([frame[field] for frame in frames], axis=1, join="outer", sort=True)
    print(_line("  joining the columns (pandas.concat)", timer, the_limit))
    cache = DiskCache("bench-writes", root=wb._source.cache.root.parent / "writes" if wb._source.cache else None)
    header = blobs[0][: blobs[0].index(b"\n")].decode().split(",")[1:]
    with stopwatch() as timer:
        for number, (data, frame) in enumerate(zip(blobs, frames, strict=True)):
            cache.put(f"{number}", data, etag=None, final=True)
            cache.put(f"{number}\x00frame", encode_frame(frame, header) or b"", etag=None, final=True)
        wait_for_cache_writes()
    print(_line("  the disk cache's writes (CSV + parsed columns)", timer, the_limit))
    del blobs, frames
    clear_cache()
    return the_meld.wall / the_limit.wall
