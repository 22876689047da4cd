"""Runs-table benchmark: ``wb.runs(...)`` and ``lab-workbook list`` over stores of 10,000 and 100,000 finished runs.

Prints, in one run (``hatch run bench:runs``; ``-- --runs 10000`` for one size), against moto's S3
server on 127.0.0.1 in a child process (``moto_endpoint.py``), for each store size:

1. the limit of a call without a runs index: one GET per run (the record) with bare boto3 on 16
   threads, nothing else done (``--no-limit`` skips it);
2. ``wb.runs(series={"Training loss.csv": "loss"})`` in a fresh process with an empty disk cache,
   as the first reader after the runs appear: it reads every record and writes the runs index
   (``docs/format.md``, "The runs index");
3. first calls with the index in the store: each in a fresh process with an empty disk cache
   (target <= 10 s and <= 1,000 requests for 100,000 runs), alternated with their floor: a new
   process that imports boto3, makes a client, lists the run folders and the index folder and GETs
   the index objects, nothing else;
4. second calls in a new process (the disk cache of the last first call: target <= 1.5 s),
   alternated with their floor: the same process sending the same listing requests only; then
   second calls of a reader accepting the listing kept on disk (``LAB_WORKBOOK_LISTING_MAX_AGE=3600``,
   the config file's ``listingMaxAge``: no request);
5. the same first and second calls for ``lab-workbook list --limit 0 --json``.

Each call's time is measured inside the process (from before ``import lab_workbook``: a new process
pays the imports), with the requests it sent, by kind, and the load average after it. Medians of
``--repeat`` calls. The store is built by writing objects directly in the on-store format
(``docs/format.md``): for each run its final record (with the summary the writer puts in it at
close, computed by the writer's own ``lab_workbook_writer._summary``), ``parameters.json`` and a
100-row ``Training loss.csv``. Building it takes minutes (moto answers a few hundred PUTs a second
on two cores) and is not timed.

moto's listing scans every key of the bucket for each page it answers (``docs/benchmarks.md``), and
answers one request at a time (one Python process), so the listings' floors grow with the square of
the store's size here, and ranges sent at once gain little against it; not on S3.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
import json
import math
import os
from pathlib import Path
import statistics
import subprocess
import sys

from lab_workbook_core.keys import run_record_key
from lab_workbook_core.record import RunRecord
from moto_endpoint import start_moto, stop_moto  # benchmarks/moto_endpoint.py
from synthetic_runs import run_objects, tag_of  # benchmarks/synthetic_runs.py
from timing import bench_environment, load_average, stopwatch  # benchmarks/timing.py

BUCKET = "bench-runs-{runs}"  # one bucket per store size
SERIES = {"Training loss.csv": "loss"}


def build(client, bucket: str, runs: int, work: Path) -> dict[str, RunRecord]:
    """The store's objects, written directly (``synthetic_runs``); returns each run's record."""
    records: dict[str, RunRecord] = {}

    def one(i: int) -> None:
        tag, record, objects = run_objects(i, work)
        for key, data in objects.items():
            client.put_object(Bucket=bucket, Key="experiments/" + key, Body=data)
        records[tag] = record

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(runs)))
    return records


def put_index(client, bucket: str, records: dict[str, RunRecord]) -> None:
    """The runs index written directly in the on-store format (core's own encoder): one object of every run."""
    from lab_workbook_core.runs_index import encode_index, new_object_key

    data = encode_index(records)
    client.put_object(Bucket=bucket, Key="experiments/" + new_object_key([]), Body=data)


_CHILD = """
import time
start = time.perf_counter()  # before the imports: a new process pays them
import io, json, sys, contextlib
import lab_workbook
from lab_workbook._cache import wait_for_cache_writes
made = []
original = lab_workbook.ExperimentRepository.__init__
def remember(self, *args, **kwargs):
    original(self, *args, **kwargs)
    made.append(self)
lab_workbook.ExperimentRepository.__init__ = remember
what, prefix, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
if what in ("runs", "runs-kept"):  # -kept: LAB_WORKBOOK_LISTING_MAX_AGE is set (the listing kept on disk)
    table = lab_workbook.ExperimentRepository(prefix).runs(series={"Training loss.csv": "loss"})
    rows = len(table)
    check = [float(table["loss.last"].iloc[-1]), int(table["params.seed"].iloc[-1])]
else:
    from lab_workbook_cli import app
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            app(["list", "--limit", "0", "--json", "--prefix", prefix], standalone_mode=False)
        except SystemExit:
            pass
    listed = json.loads(out.getvalue())
    rows = len(listed)
    check = [listed[0]["artifacts"], listed[0]["tag"]]
seconds = time.perf_counter() - start
wait_for_cache_writes()
requests = {}
for wb in made:
    for kind, n in wb.storage.requests.items():
        requests[kind] = requests.get(kind, 0) + n
print(json.dumps({"seconds": seconds, "rows": rows, "requests": requests, "check": check}))
"""


_LISTING = """
import time
start = time.perf_counter()
import json, os, sys
from concurrent.futures import ThreadPoolExecutor
import boto3
from botocore.config import Config
client = boto3.client("s3", config=Config(max_pool_connections=32))
bucket, what, tags = sys.argv[1], sys.argv[2], json.loads(open(sys.argv[3]).read())
base, ranges = "experiments/", int(sys.argv[4])
pages = 0
def listing(prefix, delimiter, after=None, through=None, max_pages=None):
    # the reader's requests: from StartAfter, the prefix narrowed to the range's common part, until past `through`
    global pages
    narrowed = prefix
    if after is not None and through is not None:
        narrowed = prefix + os.path.commonprefix([after, through])[len(prefix):].split("/", 1)[0]
    token, found, n = None, [], 0
    while True:
        extra = {"ContinuationToken": token} if token else {}
        extra.update({"Delimiter": delimiter} if delimiter else {})
        extra.update({"StartAfter": after} if after else {})
        page = client.list_objects_v2(Bucket=bucket, Prefix=narrowed, **extra)
        pages += 1
        n += 1
        names = [p["Prefix"] for p in page.get("CommonPrefixes", [])] + [o["Key"] for o in page.get("Contents", [])]
        found += [k for k in names if (after is None or k > after) and (through is None or k <= through)]
        if not page.get("IsTruncated") or (through is not None and any(k > through for k in names)):
            return found, None
        if max_pages and n >= max_pages:
            return found, max(names)
        token = page["NextContinuationToken"]
def split(cuts, after=None):
    cuts = sorted(c for c in cuts if after is None or c > after)
    with ThreadPoolExecutor(16) as pool:
        parts = pool.map(lambda r: listing(base, "/", r[0], r[1])[0], zip([after, *cuts], [*cuts, None]))
        return [k for part in parts for k in part]
gets = 0
if what == "index":  # the first call's: a page, the index folder and its objects, the rest in ranges at the index's tags
    folders, resume = listing(base, "/", max_pages=1)
    keys, _ = listing(base + ".lab-workbook/index/runs/", None)
    for key in keys:
        client.get_object(Bucket=bucket, Key=key)["Body"].read()
        gets += 1
    if resume:
        folders += split([base + t for t in tags[::ranges]], resume)
else:  # the second call's: ranges at the last listing's cut points, at once
    folders = split([base + t for t in tags[ranges::ranges]])
count = len([f for f in folders if not f.startswith(base + ".") and f.endswith("/")])
print(json.dumps({"seconds": time.perf_counter() - start, "pages": pages, "tags": count, "gets": gets}))
"""


def listing_floor(bucket: str, tags: Path, what: str = "listing") -> dict:
    """A floor: a new process that imports boto3, makes a client and sends the reader's listing requests
    (``what="index"``: and lists the index folder and GETs every object in it), nothing else."""
    from lab_workbook._run_listing import RANGE_RUNS

    done = subprocess.run(
        [sys.executable, "-c", _LISTING, bucket, what, str(tags), str(RANGE_RUNS)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(what: str, prefix: str, runs: int, cache: Path) -> dict:
    """One call in a fresh process with the disk cache ``cache``: its time (inside the process), rows, requests.

    ``what`` ending in ``-kept``: the process accepts the listing kept on disk if at most an hour old
    (``LAB_WORKBOOK_LISTING_MAX_AGE=3600``, as a lab's config file's ``listingMaxAge`` would say).
    """
    env = {**os.environ, "LAB_WORKBOOK_CACHE_DIR": str(cache)}
    if what.endswith("-kept"):
        env["LAB_WORKBOOK_LISTING_MAX_AGE"] = "3600"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, what, prefix, str(runs)], capture_output=True, text=True, check=False, env=env
    )
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load": load_average()}


def shown(requests: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(requests.items()) if v)


def line(name: str, result: dict, target: float | None, extra: str = "") -> None:
    requests = sum(result["requests"].values())
    verdict = "" if target is None else f"target <= {target:g} s: {'ok' if result['seconds'] <= target else 'MISSED'}; "
    print(
        f"  {name:<46}{result['seconds']:8.2f} s  {shown(result['requests'])} = {requests:,}  ({verdict}{extra}{result['load']})"
    )


def one_size(client, runs: int, work: Path, repeat: int, skip_limit: bool, built_index: bool) -> None:
    """Everything for one store size: build, limit, the call that writes the index, first and second calls, floors."""
    bucket = BUCKET.format(runs=runs)
    prefix = f"s3://{bucket}/experiments/"
    client.create_bucket(Bucket=bucket)
    with stopwatch() as building:
        records = build(client, bucket, runs, work)
    print(f"store: {runs:,} finished runs ({3 * runs:,} objects), built in {building.wall:.0f} s (not timed below)\n")
    raw = None
    if not skip_limit:  # the limit of a call with no index: the same GETs (one record per run), nothing else done
        keys = ["experiments/" + run_record_key(tag_of(i)) for i in range(runs)]
        with stopwatch() as limit, ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda key: client.get_object(Bucket=bucket, Key=key)["Body"].read(), keys))
        raw = limit.wall
        print(
            f"{'limit: one GET per run, bare boto3, 16 threads':<48}{raw:8.2f} s  ({runs / raw:,.0f} GETs/s; {limit.load})\n"
        )
    pages = math.ceil(runs / 1000)
    tags = work / f"tags-{runs}.json"  # the floors' cut points: the index's tags, as the reader's
    tags.write_text(json.dumps(sorted(tag_of(i) for i in range(runs))))
    for what, label in (
        ("runs", "wb.runs(series={'Training loss.csv': 'loss'})"),
        ("list", "lab-workbook list --limit 0 --json"),
    ):
        print(label)
        check = None
        if what == "runs" and built_index:
            put_index(client, bucket, records)
            print("  (the index written directly in the format: no call that writes it)")
        elif what == "runs":  # the first reader after the runs appear: it reads every record, then writes the index
            writing = measure(what, prefix, runs, work / f"cache-{runs}-{what}-writing")
            assert writing["rows"] == runs and writing["requests"].get("put") == (1 if runs >= 1000 else None), writing
            if runs < 1000:  # fewer than a reader writes an index for: `lab-workbook index` writes it
                from lab_workbook import ExperimentRepository

                os.environ["LAB_WORKBOOK_CACHE_DIR"] = str(work / f"cache-{runs}-index")
                ExperimentRepository(prefix).write_index()
            check = writing["check"]
            extra = f"{writing['seconds'] / raw:.2f}x the limit; " if raw else ""
            line("call that writes the index (empty cache)", writing, None, extra)
        firsts, index_floors = [], []
        for n in range(repeat):  # first calls, each with a new empty cache, alternated with their floor
            result = measure(what, prefix, runs, work / f"cache-{runs}-{what}-first-{n}")
            assert result["rows"] == runs and not result["requests"].get("put"), result
            if what == "runs" and check is not None:
                assert result["check"] == check, (result["check"], check)
            firsts.append(result)
            index_floors.append(listing_floor(bucket, tags, "index"))
        seconds, floors = [], []
        for _ in range(repeat):  # second calls (the last first call's cache), alternated with the listing floor
            seconds.append(measure(what, prefix, runs, work / f"cache-{runs}-{what}-first-{repeat - 1}"))
            floors.append(listing_floor(bucket, tags))
        assert all(f["tags"] == runs for f in floors + index_floors), (floors, index_floors)
        first = {**firsts[-1], "seconds": statistics.median(r["seconds"] for r in firsts)}
        second = {**seconds[-1], "seconds": statistics.median(r["seconds"] for r in seconds)}
        first_floor = statistics.median(f["seconds"] for f in index_floors)
        floor = statistics.median(f["seconds"] for f in floors)
        limit_requests = max(1000, pages + 1)
        total = sum(first["requests"].values())
        line(
            f"first call, index in the store (median of {repeat})",
            first,
            10.0,
            f"requests <= {limit_requests:,}: {'ok' if total <= limit_requests else 'MISSED'}; "
            f"{first['seconds'] / first_floor:.2f}x its floor; ",
        )
        print(f"  {'':<46}each: " + ", ".join(f"{r['seconds']:.2f}" for r in firsts) + " s")
        print(
            f"  {'floor: list runs + index, GET objects':<46}{first_floor:8.2f} s  import boto3, one client, "
            f"{index_floors[0]['pages']} LIST, {index_floors[0]['gets']} GET (each: "
            + ", ".join(f"{f['seconds']:.2f}" for f in index_floors)
            + " s)"
        )
        line(
            f"second call, new process (median of {repeat})",
            second,
            1.5,
            f"{second['seconds'] / floor:.2f}x its floor; ",
        )
        print(f"  {'':<46}each: " + ", ".join(f"{r['seconds']:.2f}" for r in seconds) + " s")
        print(
            f"  {'floor: listing only, new process (median)':<46}{floor:8.2f} s  import boto3, one client, "
            f"{floors[0]['pages']} LIST pages, nothing else (each: "
            + ", ".join(f"{f['seconds']:.2f}" for f in floors)
            + " s)"
        )
        # a reader accepting the listing the last reader kept: no request at all
        kept = [
            measure(f"{what}-kept", prefix, runs, work / f"cache-{runs}-{what}-first-{repeat - 1}")
            for _ in range(repeat)
        ]
        assert all(k["rows"] == runs and not k["requests"] for k in kept), kept
        line(
            f"second call, listingMaxAge=3600 (median of {repeat})",
            {**kept[-1], "seconds": statistics.median(k["seconds"] for k in kept)},
            1.5,
        )
        print(f"  {'':<46}each: " + ", ".join(f"{k['seconds']:.2f}" for k in kept) + " s")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        type=int,
        nargs="+",
        default=[10_000, 100_000],
        help="finished runs in each store (one store per size)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="first calls, second calls and floors, alternated (medians)"
    )
    parser.add_argument("--no-limit", action="store_true", help="skip the limit (one bare GET per run)")
    parser.add_argument(
        "--built-index",
        action="store_true",
        help="write the index directly in the format instead of timing the call that writes it (minutes at 100,000)",
    )
    args = parser.parse_args()

    work = bench_environment("bench-runs", cache=False)  # each call below gets its own cache folder
    server, endpoint = start_moto()
    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint
    try:
        import boto3
        from botocore.config import Config

        client = boto3.client("s3", config=Config(max_pool_connections=32))
        for runs in args.runs:
            one_size(client, runs, work, args.repeat, args.no_limit, args.built_index)
    finally:
        try:
            stop_moto(server)
        except subprocess.TimeoutExpired:  # a server slow to stop on a busy machine
            server.kill()


if __name__ == "__main__":
    main()
