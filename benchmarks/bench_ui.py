"""Dashboard benchmark: time to the first table of 1,000 runs, and to draw 8 runs x 180,801 points.

Prints, in one run (``hatch run bench:ui``), measured in headless Debian chromium driven by
playwright, against moto's S3 server in a child process (``benchmarks/moto_endpoint.py``):

1. time to first table: the table's first page (the newest 100 runs, read first) on screen, from
   opening the page (its navigation start, how a web page is judged) and from the start of the
   ``lab-workbook ui`` command (its imports included; the page is opened when the command prints
   its address, as the command opens the browser then), and every run in the table, for a store of
   1,000 runs, with a fresh ``lab-workbook ui`` process each time: cold (empty disk cache) and warm
   (the cache a previous one left). "On screen" is by the page's own clock: the frame after its
   first row was added (playwright's driver notices it a few hundred ms later on two busy cores).
   Also the page opened again in the running dashboard (a reload, a second tab);
   the baselines are the reader's own ``wb.runs()`` in the same cache state (what a notebook pays),
   and ``json.loads`` of the same table's JSON (1,000 rows), a pure-CPU yardstick that slows
   down with the machine, so that the ratio means something on a loaded machine;
2. time to draw 8 runs x 180,801 points (field ``loss``): from clicking *Draw* to the canvas on
   screen, cold (series read and parsed) and warm (parsed columns from the disk cache), with the
   documented per-pixel min/max reduction and with every point; the baseline is the reader's
   ``load_series`` of the 8 series in the same cache state.

Printed first, on local stores: panels of 8 runs x 20 fields x 100,000 points from opening the page to
every panel drawn (first, warm in the same dashboard, and in a second dashboard on the warm disk
cache; ``--panels-only`` stops there), and a keystroke in the filter of a 10,000-run table, timed by
the page's clock (``--keystroke-only`` stops there).

Targets: warm table < 1 s, warm comparison < 2 s, warm panels < 2 s, keystroke median < 100 ms.
``--screenshot PATH`` also saves the comparison view as a PNG (the README's ``docs/images/ui-compare.png``).
``--table-only`` skips the comparison. Runs' records hold the summary the writer puts in them at
close (its parameters, computed by the writer's own code); ``--plain-records`` leaves it out, as
in records of writers older than the summary, so that each row also reads ``parameters.json``.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
import hashlib
import json
import os
from pathlib import Path
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from moto_endpoint import start_moto, stop_moto  # benchmarks/moto_endpoint.py
import numpy as np
import pandas as pd
from timing import bench_environment, load_average  # benchmarks/timing.py

sys.path.append(str(Path(__file__).resolve().parents[1] / "tests"))  # tests/headless_chromium.py, as the UI tests
from headless_chromium import launch_chromium

RUNS = 1_000
CURVES = 8
ROWS = 180_801
BUCKET = "bench-ui"


def tag_for(i: int) -> str:
    minute = pd.Timestamp("2026-01-05T08:00Z") + pd.Timedelta(minutes=i)
    return minute.strftime("%Y%m%d%H%M") + f"-bench{i:05d}"


def record(tag: str, i: int, *, summary: bool = True) -> bytes:
    started = pd.Timestamp(tag[:12], tz="UTC")
    ended = started + pd.Timedelta(minutes=30 + i % 50)
    fields = {
        "format": "lab-workbook/run",
        "format_version": 1,
        "tag": tag,
        "status": ["finished", "failed"][i % 9 == 0],
        "started": started.isoformat().replace("+00:00", "Z"),
        "ended": ended.isoformat().replace("+00:00", "Z"),
        "heartbeat": ended.isoformat().replace("+00:00", "Z"),
        "heartbeat_interval": 30,
        "description": f"sweep {i // 100}, run {i}",
        "error": None,
        "git_commit": None,
        "artifacts": {},
    }
    if summary:
        from lab_workbook_writer._summary import run_summary

        saved = params(i)
        fields["artifacts"] = {"parameters.json": {"size": len(saved), "sha256": hashlib.sha256(saved).hexdigest()}}
        fields["summary"] = run_summary({"parameters.json": saved}, [])
    return json.dumps(fields).encode()


def params(i: int) -> bytes:
    return json.dumps(
        {
            "lr": [0.1, 0.03, 0.01, 0.003][i % 4],
            "batch_size": [64, 128, 256][i % 3],
            "model": {"name": ["resnet18", "resnet50", "vit-s"][i % 3], "dropout": (i % 5) / 10},
            "seed": i,
        }
    ).encode()


def series_bytes(i: int) -> bytes:
    """A training curve: epoch, loss (decaying, noisy, with the odd spike), top1, Date."""
    rng = np.random.default_rng(i)
    epoch = np.arange(ROWS) / 2_000
    rate = [1.6, 1.0, 0.6, 0.35][i % 4] * (1 + 0.3 * (i % 3))  # by lr, then batch size (see params)
    loss = 0.15 + 2.2 * np.exp(-epoch * rate / 8) + rng.normal(0, 0.04, ROWS) * np.exp(-epoch / 60)
    loss[rng.integers(0, ROWS, 20)] += 0.6
    start = pd.Timestamp("2026-01-05T08:00Z")
    frame = pd.DataFrame(
        {
            "epoch": epoch,
            "loss": loss,
            "top1": np.clip(100 - 60 * np.exp(-epoch * rate / 10), 0, 100),
            "Date": (start + pd.to_timedelta(np.arange(ROWS) * 0.5, unit="s")).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
    )
    return frame.to_csv(index=False, lineterminator="\r\n").encode()


def fill_store(client, prefix_key: str, *, summary: bool = True, series: bool = True) -> list[str]:  # type: ignore[no-untyped-def]
    tags = [tag_for(i) for i in range(RUNS)]

    def put(i: int) -> None:
        tag = tags[i]
        client.put_object(Bucket=BUCKET, Key=f"{prefix_key}{tag}/parameters.json", Body=params(i))
        client.put_object(
            Bucket=BUCKET, Key=f"{prefix_key}{tag}/.lab-workbook/run.json", Body=record(tag, i, summary=summary)
        )

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(RUNS)))
    compared = tags[-CURVES:]
    for k, tag in enumerate(compared if series else []):
        client.put_object(Bucket=BUCKET, Key=f"{prefix_key}{tag}/Training.csv", Body=series_bytes(RUNS - CURVES + k))
    return compared


# Run in the page before its own script: the system-clock time of the frame after the first row of the
# table was added (two animation frames: the first is painted before the second's callback runs).
FIRST_ROWS = """
(() => {
  const observer = new MutationObserver(() => {
    if (!document.querySelector("#runs tbody tr")) return;
    observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.__firstRows = performance.timeOrigin + performance.now();
    }));
  });
  observer.observe(document, { childList: true, subtree: true });
})();
"""
# The HTML's and the first page's JSON arrival, by the browser's resource timing, on the system clock.
BROWSER_TIMES = """
() => {
  const origin = performance.timeOrigin;
  const navigation = performance.getEntriesByType("navigation")[0];
  const preview = performance.getEntriesByType("resource").find((e) => e.name.includes("newest="));
  return {
    navigation: origin,
    html: origin + navigation.responseEnd,
    json: preview ? origin + preview.responseEnd : NaN,
    rows: window.__firstRows,
  };
}
"""


def first_rows_marked(page) -> None:  # type: ignore[no-untyped-def]
    """Wait for FIRST_ROWS's mark (polled with evaluate: the page's CSP forbids wait_for_function's eval)."""
    deadline = time.perf_counter() + 120
    while page.evaluate("() => window.__firstRows === undefined"):
        if time.perf_counter() > deadline:
            raise TimeoutError("the page's first rows were never marked")
        time.sleep(0.02)


class Dashboard:
    """A fresh ``lab-workbook ui --no-browser`` process per measurement, as a user starts it.

    Its own interpreter (imports included), so that nothing of the benchmark (playwright's client
    runs in this process) competes with the server for its GIL; the page is opened as soon as the
    command prints its address, which is when ``lab-workbook ui`` opens the browser.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __enter__(self) -> str:
        command = [str(Path(sys.executable).with_name("lab-workbook")), "ui", "--prefix", self.prefix]
        self.errors = tempfile.TemporaryFile("w+")
        self.started_epoch = time.time()  # the browser's clock is the system clock
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*command, "--port", "0", "--no-browser", "--poll", "60"],
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "lab-workbook ui: http://127.0.0.1:PORT/ (Ctrl+C to stop)"
        self.answered = time.perf_counter()
        found = re.search(r"http://\S+/", line)
        if not found:
            self.errors.seek(0)
            raise SystemExit(f"lab-workbook ui did not start: {line!r}\n{self.errors.read()[-2000:]}")
        return found.group()

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGINT)  # Ctrl+C, as a user stops it
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()


def settle() -> None:
    from lab_workbook._cache import wait_for_cache_writes

    wait_for_cache_writes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median is shown)")
    parser.add_argument("--screenshot", type=Path, help="save the comparison view as this PNG")
    parser.add_argument("--table-only", action="store_true", help="measure the first table only, not the comparison")
    parser.add_argument("--plain-records", action="store_true", help="records without the writer's summary")
    parser.add_argument(
        "--keystroke-only", action="store_true", help="only a keystroke in the filter of a 10,000-run table"
    )
    parser.add_argument("--panels-only", action="store_true", help="only the panels of 8 runs x 20 fields")
    args = parser.parse_args()

    work = bench_environment("bench-ui")
    first, warm, new_server = panels_bench(work, args.repeat)
    print(
        f"panels of {PANEL_RUNS} runs x {PANEL_FIELDS} fields x {PANEL_ROWS:,} points, from opening the page: "
        f"first {first:.0f} ms, warm {warm:.0f} ms (median of {args.repeat}; target: warm < 2 s), "
        f"a second dashboard on the warm disk cache {new_server:.0f} ms; {load_average()}"
    )
    if args.panels_only:
        return
    median, slowest, left = keystroke_bench(work)
    print(
        f"keystroke in the filter of a {KEYSTROKE_RUNS:,}-run table (typing {TYPED!r}, {left} rows left): "
        f"median {median:.1f} ms, slowest {slowest:.1f} ms (target: median < 100 ms)\n"
    )
    if args.keystroke_only:
        return
    cache = work / "cache"
    server, endpoint = start_moto()
    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint
    import boto3
    from lab_workbook import ExperimentRepository
    from playwright.sync_api import expect, sync_playwright

    try:
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        prefix = f"s3://{BUCKET}/experiments/"
        started = time.perf_counter()
        compared = fill_store(client, "experiments/", summary=not args.plain_records, series=not args.table_only)
        kind = "without summaries" if args.plain_records else "with the writer's summaries"
        curves = "" if args.table_only else f", {CURVES} of them with a {ROWS:,}-row series"
        print(f"store: {RUNS:,} runs (records {kind}){curves} (written in {time.perf_counter() - started:.0f} s)")
        print(f"median of {args.repeat}; each measurement starts a fresh dashboard (new server and repository)\n")

        def reader_table() -> None:
            ExperimentRepository(prefix).runs(series={})

        def reader_curves() -> None:
            wb = ExperimentRepository(prefix)
            for tag in compared:
                wb[tag].load_series("Training.csv", ["loss"])

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})

            whole_times: list[float] = []
            from_page: list[float] = []  # from the page's navigation start to its rows on screen
            reopened: list[float] = []  # the same, for the page opened again in the running dashboard
            steps: dict[str, list[float]] = {}  # where a warm first table's time goes

            def first_table() -> float:
                dashboard = Dashboard(prefix)
                with dashboard as url:
                    page = context.new_page()
                    opened = time.perf_counter()
                    page.add_init_script(FIRST_ROWS)
                    page.goto(url)
                    page.wait_for_selector("#runs tbody tr", timeout=120_000)
                    seen = time.perf_counter()
                    first_rows_marked(page)
                    # Browser times are on the system clock (performance.timeOrigin): made relative to the start.
                    at = {k: v / 1000 - dashboard.started_epoch for k, v in page.evaluate(BROWSER_TIMES).items()}
                    for name, moment in [
                        ("the command prints its address", dashboard.answered - dashboard.started),
                        ("browser tab open", opened - dashboard.started),
                        ("page opened (navigation starts)", at["navigation"]),
                        ("page's HTML received", at["html"]),
                        ("first page's JSON received", at["json"]),
                        ("rows on screen", at["rows"]),
                        ("  seen by playwright", seen - dashboard.started),
                    ]:
                        steps.setdefault(name, []).append(moment)
                    from_page.append(at["rows"] - at["navigation"])
                    expect(page.locator("#count")).to_have_text(f"{RUNS} of {RUNS} runs", timeout=120_000)
                    # 100 rows a page, of which the table lays out those on screen (and a few more).
                    expect(page.locator("#page")).to_have_text(f"page 1 of {-(-RUNS // 100)}")
                    whole_times.append(time.perf_counter() - dashboard.started)
                    page.close()
                    again = context.new_page()  # the page opened again while the dashboard runs (a reload)
                    again.add_init_script(FIRST_ROWS)
                    again.goto(url)
                    again.wait_for_selector("#runs tbody tr", timeout=120_000)
                    first_rows_marked(again)
                    times = again.evaluate(BROWSER_TIMES)
                    reopened.append((times["rows"] - times["navigation"]) / 1000)
                    again.close()
                    return at["rows"]

            def draw(full: bool, shot: Path | None = None) -> float:
                with Dashboard(prefix) as url:
                    page = context.new_page()
                    query = f"sel={','.join(compared)}&series=none.csv&fields=loss&legend=lr" + (
                        "&full=1" if full else ""
                    )
                    page.goto(f"{url}#/runs?{query}")
                    page.wait_for_selector("#runs tbody tr", timeout=120_000)
                    expect(page.locator("#reduction")).to_contain_text("no none.csv in", timeout=120_000)
                    page.evaluate("() => { document.querySelector('#plot').textContent = ''; }")
                    begin = time.perf_counter()
                    page.fill("#series", "Training.csv")
                    page.click("#draw")
                    page.wait_for_selector("#plot canvas", timeout=120_000)
                    took = time.perf_counter() - begin
                    if shot is not None:
                        page.locator("#compare").screenshot(path=str(shot))
                    page.close()
                    return took

            def cold(function) -> float:  # type: ignore[no-untyped-def]
                """Median time of ``function`` with an empty disk cache (or the time it returns)."""
                times = []
                for _ in range(args.repeat):
                    settle()
                    shutil.rmtree(cache, ignore_errors=True)
                    begin = time.perf_counter()
                    took = function()
                    times.append(time.perf_counter() - begin if took is None else took)
                settle()
                return statistics.median(times)

            def warm(function) -> float:  # type: ignore[no-untyped-def]
                function()
                settle()
                times = []
                for _ in range(args.repeat):
                    begin = time.perf_counter()
                    took = function()
                    times.append(time.perf_counter() - begin if took is None else took)
                    settle()
                return statistics.median(times)

            table_cold = cold(first_table)
            whole_cold, page_cold = statistics.median(whole_times), statistics.median(from_page)
            whole_times.clear()
            from_page.clear()
            reopened.clear()
            steps.clear()
            table_warm = warm(first_table)  # its first measurement warms the cache: left out below
            whole_warm, page_warm = statistics.median(whole_times[1:]), statistics.median(from_page[1:])
            page_again = statistics.median(reopened[1:])
            print("warm first table, where the time goes (median, from the start of `lab-workbook ui`):")
            for name, times in steps.items():
                print(f"  {name:<34}{statistics.median(times[1:]) * 1000:8.0f} ms")
            print(
                "  (rows on screen: the page's own clock, the frame after the first row was added; playwright\n"
                "  sees it later, by its driver's polling and messages, which a user does not wait for)\n"
            )
            reader_cold, reader_warm = cold(reader_table), warm(reader_table)
            loads = json_loads_time(prefix)
            rows = [
                ("first page on screen, cold: from opening it", page_cold, reader_cold, "-"),
                ("  cold, from the command's start", table_cold, reader_cold, "-"),
                (f"  cold, every run ({RUNS:,}), from the start", whole_cold, reader_cold, "-"),
                ("first page on screen, warm: from opening it", page_warm, reader_warm, "< 1 s"),
                ("  the page opened again (dashboard running)", page_again, reader_warm, "< 1 s"),
                ("  warm, from the command's start", table_warm, reader_warm, "-"),
                (f"  warm, every run ({RUNS:,}), from the start", whole_warm, reader_warm, "-"),
            ]
            yardstick = [(name, seconds / loads) for name, seconds, _, _ in rows]

            if args.table_only:
                browser.close()
                return report(rows, yardstick, loads, args)

            def draw_cold(full: bool) -> float:
                times = []
                for _ in range(args.repeat):
                    settle()
                    shutil.rmtree(cache, ignore_errors=True)
                    times.append(draw(full))
                settle()
                return statistics.median(times)

            reduced_cold = draw_cold(False)
            curves_cold = cold(reader_curves)
            reduced_warm = statistics.median([draw(False) for _ in range(args.repeat)])
            full_warm = statistics.median([draw(True) for _ in range(args.repeat)])
            curves_warm = warm(reader_curves)
            rows += [
                (f"draw {CURVES} x {ROWS:,} points, cold", reduced_cold, curves_cold, "-"),
                (f"draw {CURVES} x {ROWS:,} points, warm", reduced_warm, curves_warm, "< 2 s"),
                ("  the same, every point (no reduction)", full_warm, curves_warm, "-"),
            ]
            if args.screenshot:
                draw(False, args.screenshot)
            browser.close()
    finally:
        stop_moto(server)
        shutil.rmtree(work, ignore_errors=True)

    report(rows, yardstick, loads, args)


def json_loads_time(prefix: str) -> float:
    """Median time to ``json.loads`` the whole table's JSON, as the dashboard serves it (the yardstick)."""
    from lab_workbook import ExperimentRepository
    from lab_workbook_ui import _tables as tables

    wb = ExperimentRepository(prefix)
    if hasattr(tables, "runs_json"):
        body = tables.runs_json(wb, [], "parameters.json")[0]
    else:  # the dashboard before runs_json (to measure it against the same yardstick)
        body = json.dumps(tables.runs_payload(wb, [], "parameters.json")).encode()
    times = []
    for _ in range(51):
        begin = time.perf_counter()
        json.loads(body)
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


KEYSTROKE_RUNS = 10_000
#: What is typed into the filter box of the 10,000-run table, one keystroke at a time.
TYPED = "vit-s"

KEYSTROKE = """
async (text) => {
  // Each keystroke as the browser delivers one: the box's value grows by a character and an input event
  // fires; timed by the page's clock to the next frame (the table redrawn and painted).
  const box = document.getElementById('q');
  const times = [];
  for (const ch of text) {
    const begin = performance.now();
    box.value += ch;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
    times.push(performance.now() - begin);
  }
  return times;
}
"""


def keystroke_bench(work: Path) -> tuple[float, float, int]:
    """A keystroke in the filter of a 10,000-run table (a local store: the page's own work is measured).

    Returns the median and the slowest keystroke in ms, and the rows the last one left.
    """
    from lab_workbook_ui import BackgroundServer, create_app
    from playwright.sync_api import expect, sync_playwright

    folder = work / "keystroke-store"
    shutil.rmtree(folder, ignore_errors=True)
    for i in range(KEYSTROKE_RUNS):
        tag = tag_for(i)
        (folder / tag / ".lab-workbook").mkdir(parents=True)
        (folder / tag / "parameters.json").write_bytes(params(i))
        (folder / tag / ".lab-workbook" / "run.json").write_bytes(record(tag, i))
    with BackgroundServer(create_app(str(folder), poll_seconds=3600)) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.url)
        expect(page.locator("#count")).to_have_text(f"{KEYSTROKE_RUNS} of {KEYSTROKE_RUNS} runs", timeout=300_000)
        times = page.evaluate(KEYSTROKE, TYPED)
        left = int(page.locator("#count").inner_text().split(" ", 1)[0])
        browser.close()
    return statistics.median(times), max(times), left


PANEL_RUNS = 8
PANEL_FIELDS = 20
PANEL_ROWS = 100_000

PANELS_DRAWN = """
() => {
  // From the page's navigation start to the frame after every panel was drawn (drawPanels sets data-panels).
  const box = document.getElementById('panels');
  return new Promise((done) => {
    const check = () => (box.dataset.panels ? requestAnimationFrame(() => done(performance.now())) : setTimeout(check, 5));
    check();
  });
}
"""


def panels_bench(work: Path, repeat: int) -> tuple[float, float, float]:
    """Panels of 8 runs x 20 fields x 100,000 points (a local store): from opening the page to every
    panel drawn, the first time (series parsed), warm (the page opened again in the same dashboard:
    the runs have ended, so it keeps its curves and fields answers) and in a second dashboard (a new
    application and repository in this process) on the warm disk cache: parsed columns from the
    reader's disk cache, answers made again.
    Returns the three in ms, warm as the median of ``repeat``."""
    from lab_workbook_ui import BackgroundServer, create_app
    from playwright.sync_api import sync_playwright

    folder = work / "panels-store"
    shutil.rmtree(folder, ignore_errors=True)
    tags = [tag_for(i) for i in range(PANEL_RUNS)]
    step = np.arange(PANEL_ROWS)
    for i, tag in enumerate(tags):
        (folder / tag / ".lab-workbook").mkdir(parents=True)
        (folder / tag / "parameters.json").write_bytes(params(i))
        (folder / tag / ".lab-workbook" / "run.json").write_bytes(record(tag, i, summary=False))
        rng = np.random.default_rng(i)
        frame = pd.DataFrame({"step": step})
        for f in range(PANEL_FIELDS):
            frame[f"metric{f:02d}"] = np.exp(-step / (5_000 * (1 + f))) + rng.normal(0, 0.01, PANEL_ROWS)
        frame.to_csv(folder / tag / "train.csv", index=False, lineterminator="\r\n", float_format="%.6g")
    url_tail = "#/runs?sel=" + ",".join(tags)
    times = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)

        def opened(server: BackgroundServer) -> float:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url + url_tail)
            drawn = float(page.evaluate(PANELS_DRAWN))
            assert page.locator("#panels").get_attribute("data-panels") == str(PANEL_FIELDS)
            page.close()
            return drawn

        with BackgroundServer(create_app(str(folder), poll_seconds=3600)) as server:
            times = [opened(server) for _ in range(repeat + 1)]
        with BackgroundServer(create_app(str(folder), poll_seconds=3600)) as server:
            new_server = opened(server)
        browser.close()
    return times[0], statistics.median(times[1:]), new_server


def report(rows: list, yardstick: list, loads: float, args: argparse.Namespace) -> None:  # type: ignore[type-arg]
    print(f"{'':<44}{'dashboard':>10}  {'reader alone':>12}  {'ratio':>6}  {'/ json.loads':>12}  target")
    ratios = dict(yardstick)
    for name, seconds, baseline, target in rows:
        print(
            f"{name:<44}{seconds * 1000:8.0f} ms  {baseline * 1000:9.0f} ms  {seconds / baseline:5.2f}x  "
            f"{ratios.get(name, float('nan')):11.0f}x  {target}"
        )
    print('\nreader alone: wb.runs() for the table, load_series("Training.csv", ["loss"]) of the 8 runs for the draw,')
    print("in the same cache state, in this process (no server, no browser).")
    print(
        f"/ json.loads: the time over that of json.loads of the whole table's JSON ({loads * 1000:.2f} ms in this run)."
    )
    if args.screenshot:
        print(f"\nscreenshot: {args.screenshot}")


if __name__ == "__main__":
    main()
