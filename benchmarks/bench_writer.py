"""Writer benchmark: the cost of log() against a plain CSV write, with a fast and a 2 s-slow store,
the bytes a 1,000,000-row series sends to the store, log() while pictures are encoded and sent,
a series whose fields grow (made without a field list; a 4th field arrives half-way through
each round), log() with system metrics sampled every second, and how long new_experiment()
takes to return with and without the environment capture.

    hatch run bench:writer            (or: python benchmarks/bench_writer.py [--calls N] [--rows N])

The store is moto's S3 server (``ThreadedMotoServer`` on 127.0.0.1, port 0), started in a child
process so that its request handling does not compete with the measured loop for this process's
GIL (a real store runs on another machine). The *slow store* answers every request 2 s late: a
botocore ``before-send`` hook on the writer's S3 client sleeps 2 s before each request goes out,
which is what the upload thread experiences with a store 2 s away (it waits, holding no lock and
not the GIL). Bytes sent are the ``Content-Length`` of every request the writer's client makes,
counted by a second hook. Every ratio is against a baseline measured in the same run.

*log() with pictures in flight*: the same loop calls ``save_image`` with a batch of 64 random
3x32x32 float tensors tiled into a grid (noise: the slowest PNG to compress) every ``--image-every``
log() calls, often enough that the encoder thread never idles; only the log() calls are timed, against
the same loop without pictures (``save_image`` itself is timed apart).

``--no-environment`` records the timed runs with ``capture_environment=False``, to compare log()
with and without the capture running beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
from pathlib import Path
import statistics
import sys
import tempfile
import time

from moto_endpoint import start_moto, stop_moto  # benchmarks/moto_endpoint.py


def timed_calls(call, count: int) -> list[int]:
    """Nanoseconds of each of ``count`` calls of ``call(i)``."""
    clock = time.perf_counter_ns
    samples = [0] * count
    for i in range(count):
        start = clock()
        call(i)
        samples[i] = clock() - start
    return samples


def percentile(samples: list[int], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000  # microseconds


def baseline(count: int, folder: Path, cpu: list[float] | None = None) -> list[int]:
    """Nanoseconds of each ``writerow``; appends the process's CPU seconds per row (flushed to the OS) to ``cpu``."""
    started = time.process_time()
    with open(folder / "baseline.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["epoch", "loss", "gradientNorm"])
        samples = timed_calls(lambda i: writer.writerow([i * 1e-3, 2.302585 / (i + 1), 1.5 + i * 1e-6]), count)
    if cpu is not None:
        cpu.append((time.process_time() - started) / count)
    return samples


def logging(wb, name: str, count: int, cpu: list[float] | None = None) -> list[int]:
    """Nanoseconds of each log() call; with ``cpu``, the process's CPU seconds per row until the store has them all.

    The CPU time is every thread's (the ticker's drain, which formats the rows, and the uploads
    of segments too), from the first call until ``flush()`` returns: what the rows cost in all.
    """
    log = wb.new_time_series_log(name, ["epoch", "loss", "gradientNorm"], save_every=100)
    started = time.process_time()
    samples = timed_calls(lambda i: log(epoch=i * 1e-3, loss=2.302585 / (i + 1), gradientNorm=1.5 + i * 1e-6), count)
    if cpu is not None:
        assert log.flush(timeout=600), "the rows did not reach the store"
        cpu.append((time.process_time() - started) / count)
    return samples


def logging_with_images(wb, name: str, count: int, every: int, batch) -> tuple[list[int], list[int]]:
    """Nanoseconds of each log() call, and of each save_image call (every ``every`` rows; none if 0)."""
    log = wb.new_time_series_log(name, ["epoch", "loss", "gradientNorm"], save_every=100)
    clock = time.perf_counter_ns
    samples, saves = [0] * count, []
    for i in range(count):
        if every and i % every == 0:
            start = clock()
            wb.save_image(f"{name} samples", batch, step=i, grid=True)
            saves.append(clock() - start)
        start = clock()
        log(epoch=i * 1e-3, loss=2.302585 / (i + 1), gradientNorm=1.5 + i * 1e-6)
        samples[i] = clock() - start
    return samples, saves


def growing(wb, name: str, count: int) -> list[int]:
    """A series made without fields: the first row brings three, a fourth (``lr``) arrives half-way."""
    log, half = wb.new_time_series_log(name, save_every=100), count // 2

    def row(i: int) -> None:
        if i < half:
            log(epoch=i * 1e-3, loss=2.302585 / (i + 1), gradientNorm=1.5 + i * 1e-6)
        else:
            log(epoch=i * 1e-3, loss=2.302585 / (i + 1), gradientNorm=1.5 + i * 1e-6, lr=0.1)

    return timed_calls(row, count)


def count_bytes(wb) -> dict[str, int]:
    sent = {"bytes": 0, "requests": 0}

    def on_send(request, **_):
        sent["bytes"] += int(request.headers.get("Content-Length", 0) or 0)
        sent["requests"] += 1

    wb.storage.client.meta.events.register("before-send.s3", on_send)
    return sent


def start_times(new_experiment, prefix: str, count: int) -> tuple[list[int], list[int]]:
    """Nanoseconds new_experiment() takes to return (its tag claimed), without and with the capture.

    The two kinds alternate, so that a machine getting busier or quieter affects both alike.
    """
    samples: tuple[list[int], list[int]] = ([], [])
    for _ in range(count):
        for capture in (False, True):
            with contextlib.redirect_stdout(io.StringIO()):  # "Experiment Tag: ..." each time
                started = time.perf_counter_ns()
                wb = new_experiment(prefix, capture_environment=capture)
                samples[capture].append(time.perf_counter_ns() - started)
                wb.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000, help="timed calls per measurement round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating baseline and log()")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the bytes-sent measurement")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds the slow store takes per request")
    parser.add_argument("--image-every", type=int, default=2_000, help="log() calls between two save_image calls")
    parser.add_argument("--starts", type=int, default=20, help="new_experiment() calls timed with and without capture")
    parser.add_argument("--no-environment", action="store_true", help="timed runs without the environment capture")
    args = parser.parse_args()

    server, endpoint = start_moto()
    folder = Path(tempfile.mkdtemp(prefix="bench-writer-"))
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_S3": endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LAB_WORKBOOK_SPOOL_DIR": str(folder / "spool"),
            "NO_PROXY": "127.0.0.1",
        }
    )
    import boto3
    from lab_workbook_writer import new_experiment
    from lab_workbook_writer._environment import capture

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
    prefix = "s3://bench/experiments/"
    try:
        capture_environment = not args.no_environment
        fast = new_experiment(prefix, close_timeout=600, capture_environment=capture_environment)
        slow = new_experiment(prefix, close_timeout=600, capture_environment=capture_environment)
        slow.storage.client.meta.events.register("before-send.s3", lambda **_: time.sleep(args.delay))
        grown = new_experiment(prefix, close_timeout=600, capture_environment=capture_environment)
        sampled = new_experiment(
            prefix,
            close_timeout=600,
            system_metrics=True,
            system_metrics_seconds=1.0,
            capture_environment=capture_environment,
        )
        base, fast_log, slow_log, grow_log, sampled_log = [], [], [], [], []
        base_cpu: list[float] = []
        fast_cpu: list[float] = []
        for round_ in range(args.rounds):
            base += baseline(args.calls, folder, base_cpu)
            fast_log += logging(fast, f"fast {round_}", args.calls, fast_cpu)
            slow_log += logging(slow, f"slow {round_}", args.calls)
            grow_log += growing(grown, f"grow {round_}", args.calls)
            sampled_log += logging(sampled, f"sampled {round_}", args.calls)

        import torch

        batch = torch.rand(64, 3, 32, 32, generator=torch.Generator().manual_seed(0))
        pictures = new_experiment(prefix, close_timeout=600)
        plain_log, image_log, saves = [], [], []
        image_started = time.perf_counter()
        for round_ in range(args.rounds):
            plain_log += logging_with_images(pictures, f"plain {round_}", args.calls, 0, batch)[0]
            timed, each = logging_with_images(pictures, f"images {round_}", args.calls, args.image_every, batch)
            image_log += timed
            saves += each
        images = pictures._state.images  # a figure for the report, not public API: read from the run state
        encoded_while_logging = images.encoded if images is not None else 0
        assert pictures.flush(timeout=600), "the pictures did not reach the store"
        image_seconds = time.perf_counter() - image_started

        bulk = new_experiment(prefix, close_timeout=600)
        sent = count_bytes(bulk)
        log = bulk.new_time_series_log("Training loss", ["epoch", "loss", "gradientNorm"], save_every=100)
        started = time.perf_counter()
        for i in range(args.rows):
            log(epoch=i * 1e-3, loss=2.302585 / (i + 1), gradientNorm=1.5 + i * 1e-6)
        logging_seconds = time.perf_counter() - started
        segment_requests = sent["requests"]
        assert bulk.close(), "the bulk run did not reach the store"
        final_size = bulk.storage.head(f"{bulk.tag}/Training loss.csv").size
        fast.close()
        grown.close()
        sampled.close()
        slow.close(timeout=120)
        pictures.close()
        start_off, start_on = start_times(new_experiment, prefix, args.starts)
        local_off, local_on = start_times(new_experiment, str(folder / "local-store"), args.starts)
        capture_ns = timed_calls(lambda i: capture(), 5)
        packages = len(capture().packages)
    finally:
        stop_moto(server)

    b50, b99 = percentile(base, 0.5), percentile(base, 0.99)
    f50, f99 = percentile(fast_log, 0.5), percentile(fast_log, 0.99)
    s50, s99 = percentile(slow_log, 0.5), percentile(slow_log, 0.99)
    g50, g99 = percentile(grow_log, 0.5), percentile(grow_log, 0.99)
    m50, m99 = percentile(sampled_log, 0.5), percentile(sampled_log, 0.99)
    ratio = sent["bytes"] / final_size
    row_size = final_size / args.rows
    original = sum(k * 100 for k in range(1, args.rows // 100 + 1)) * row_size  # re-upload every 100 rows
    environment = "off" if args.no_environment else "on"
    print(
        f"Writer benchmark ({args.rounds} x {args.calls:,} timed calls each; Python {sys.version.split()[0]}; "
        f"environment capture {environment} in the timed runs)"
    )
    print(f"{'':44}{'median':>10}{'p99':>10}{'median/base':>13}")
    print(f"{'csv.writer.writerow, buffered local file':44}{b50:>8.2f}us{b99:>8.2f}us{1:>13.2f}")
    print(f"{'log(3 fields), store fast (moto on 127.0.0.1)':44}{f50:>8.2f}us{f99:>8.2f}us{f50 / b50:>13.2f}")
    print(f"{f'log(3 fields), store answers {args.delay:g} s late':44}{s50:>8.2f}us{s99:>8.2f}us{s50 / b50:>13.2f}")
    print(f"{'log(), fields grow (3, then 4), store fast':44}{g50:>8.2f}us{g99:>8.2f}us{g50 / b50:>13.2f}")
    print(f"{'log(3 fields), system metrics every 1 s':44}{m50:>8.2f}us{m99:>8.2f}us{m50 / b50:>13.2f}")
    print(f"p99 with the slow store / p99 with the fast store: {s99 / f99:.2f}")
    bc, fc = statistics.median(base_cpu) * 1e6, statistics.median(fast_cpu) * 1e6
    print(
        f"total process CPU per row (every thread, median of {args.rounds} rounds): csv.writer {bc:.2f}us, "
        f"log() with the store fast {fc:.2f}us until flush() returned = {fc / bc:.2f}x"
    )
    p50, p99 = percentile(plain_log, 0.5), percentile(plain_log, 0.99)
    i50, i99 = percentile(image_log, 0.5), percentile(image_log, 0.99)
    print(f"{'log(3 fields), same loop, no pictures':44}{p50:>8.2f}us{p99:>8.2f}us{p50 / b50:>13.2f}")
    print(f"{'log(3 fields), pictures encoded and sent':44}{i50:>8.2f}us{i99:>8.2f}us{i50 / b50:>13.2f}")
    print(
        f"log() with pictures in flight / without: median {i50 / p50:.2f}, p99 {i99 / p99:.2f}; "
        f"{len(saves)} save_image calls (64x3x32x32 float -> 8x8 grid) took {percentile(saves, 0.5) / 1000:.2f} ms "
        f"median each; {encoded_while_logging} encoded while logging; all encoded and in the store "
        f"{image_seconds:.1f} s after the first log()"
    )
    print(
        f"{args.rows:,} rows at save_every=100: logged in {logging_seconds:.1f} s; final CSV {final_size:,} bytes; "
        f"sent {sent['bytes']:,} bytes in {sent['requests']} requests ({segment_requests} while logging) "
        f"= {ratio:.2f} x the final size (the original's re-uploads: ~{original / final_size:,.0f} x)"
    )
    on50, off50 = percentile(start_on, 0.5) / 1000, percentile(start_off, 0.5) / 1000
    lon50, loff50 = percentile(local_on, 0.5) / 1000, percentile(local_off, 0.5) / 1000
    print(
        f"new_experiment() returns in (median of {args.starts}, with / without the environment capture): "
        f"S3 on 127.0.0.1 {on50:.1f} / {off50:.1f} ms, local folder {lon50:.1f} / {loff50:.1f} ms; "
        f"the capture itself ({packages} packages) takes {percentile(capture_ns, 0.5) / 1000:.0f} ms "
        "on its own thread"
    )
    checks = {
        "median <= 1.5 x baseline": f50 / b50 <= 1.5,
        "median with growing fields <= 1.5 x baseline": g50 / b50 <= 1.5,
        "median with system metrics <= 1.5 x baseline": m50 / b50 <= 1.5,
        "p99 unchanged by the slow store (within 25 % or 1 us)": s99 <= max(1.25 * f99, f99 + 1.0),
        "bytes sent <= 2.5 x final size": ratio <= 2.5,
        "log() median with pictures in flight within 10 % (or 0.1 us) of without": i50 <= max(1.1 * p50, p50 + 0.1),
        "log() p99 with pictures in flight within 25 % (or 1 us) of without": i99 <= max(1.25 * p99, p99 + 1.0),
        "new_experiment() with capture within 10 % or 2 ms of without (local folder)": lon50
        <= max(1.1 * loff50, loff50 + 2),
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
