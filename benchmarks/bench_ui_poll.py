"""Dashboard benchmark: the table asked for again (the page polls it every few seconds), 1,000 finished runs.

Serves the dashboard of a store of 1,000 finished runs (``bench_ui.py``'s store, records with the
writer's summaries) on moto's S3 server in a child process, asks for ``/api/runs`` once, then 15
times more over HTTP while the listing is trusted, and prints the median, with the median time to
``json.loads`` the same body as a yardstick measured in the same run (``hatch run bench:ui-poll``).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import time
from urllib.parse import urlsplit

import bench_ui  # benchmarks/bench_ui.py: the same store
from moto_endpoint import start_moto, stop_moto
from timing import bench_environment  # benchmarks/timing.py


def main() -> None:
    work = bench_environment("bench-ui-poll")
    server, endpoint = start_moto()
    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint
    import boto3
    from lab_workbook_ui import BackgroundServer, create_app

    try:
        client = boto3.client("s3")
        client.create_bucket(Bucket=bench_ui.BUCKET)
        bench_ui.fill_store(client, "experiments/", summary=True, series=False)
        with BackgroundServer(create_app(f"s3://{bench_ui.BUCKET}/experiments/", poll_seconds=60)) as dashboard:
            where = urlsplit(dashboard.url)

            def get(path: str) -> bytes:
                connection = http.client.HTTPConnection(where.hostname, where.port, timeout=120)
                connection.request("GET", path)
                body = connection.getresponse().read()
                connection.close()
                return body

            get("/api/runs")
            polls, loads = [], []
            for _ in range(15):
                begin = time.perf_counter()
                body = get("/api/runs")
                polls.append(time.perf_counter() - begin)
                begin = time.perf_counter()
                json.loads(body)
                loads.append(time.perf_counter() - begin)
    finally:
        stop_moto(server)
        shutil.rmtree(work, ignore_errors=True)
    poll, yardstick = statistics.median(polls), statistics.median(loads)
    print(
        f"/api/runs again, {bench_ui.RUNS:,} finished runs: {poll * 1000:.1f} ms "
        f"({poll / yardstick:.1f} x json.loads of the same {len(body):,} bytes: {yardstick * 1000:.2f} ms); "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
