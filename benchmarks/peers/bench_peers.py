"""The same logging loop through lab-workbook and the trackers people use instead, side by side.

    hatch run peers:bench                           (100,000 steps, 3 rounds; --doc updates docs/)
    hatch run peers:bench --steps 2000 --rounds 1   (a quick look)

Every tracker logs N steps of three scalars (loss, accuracy, grad_norm) with a step index, each
run in a fresh process, interleaved (A B C ... A B C ...) ``--rounds`` times so that the machine's
drift hits all alike; after each write a second fresh process loads the full history of ``loss``
into pandas with the library's own public API and checks that every step is there. Everything is
offline (``offline.py``); the S3 figures use moto's server on 127.0.0.1, started here in a child
process. Every figure is also given as a ratio to ``csv.writer`` measured in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # benchmarks/moto_endpoint.py

from offline import offline_environment  # noqa: E402
from report import machine, markdown_table, summarize, write_chart, write_doc  # noqa: E402
from trackers import TRACKERS  # noqa: E402

_MARK = "@@peers-result@@"


def folder_bytes(folder: Path) -> int:
    """Bytes of every file under ``folder`` (what the run left on disk)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def run_child(
    mode: str, name: str, root: Path, steps: int, ctx: dict[str, Any], env: dict[str, str], timeout: float
) -> dict[str, Any]:
    """One fresh process; returns its JSON result plus ``maxrss_kib`` (wait4) and ``wall_s``."""
    out_path, err_path = root.parent / f"{root.name}.{mode}.out", root.parent / f"{root.name}.{mode}.err"
    command = [sys.executable, str(HERE / "child.py"), mode, name, str(root), str(steps), json.dumps(ctx)]
    started = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=root, env=env, start_new_session=True)
        while True:  # wait4, not wait(): the child's own peak RSS (and its reaped descendants')
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                os.killpg(process.pid, signal.SIGKILL)  # our child's session only
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    text = out_path.read_text(errors="replace")
    if process.returncode != 0 or _MARK not in text:
        tail = [line for line in err_path.read_text(errors="replace").splitlines() if line.strip()][-3:]
        reason = "timed out" if wall > timeout else f"exit {process.returncode}"
        return {"error": f"{reason}: {' | '.join(tail)[-300:]}", "wall_s": wall}
    result = json.loads(text.split(_MARK, 1)[1])
    result.update(maxrss_kib=usage.ru_maxrss, wall_s=wall)
    return result


def measure(name: str, round_: int, work: Path, steps: int, endpoint: str | None, timeout: float) -> dict[str, Any]:
    """Write then read one tracker in fresh processes; the figures of one round."""
    root = work / f"r{round_}-{name.replace(' ', '_').replace('.', '_')}"
    root.mkdir(parents=True)
    env = {**os.environ, **offline_environment(root), "PYTHONPATH": str(HERE)}
    ctx: dict[str, Any] = {"prefix": str(root / "store")}
    if name == "lab-workbook S3":
        assert endpoint is not None
        env.update(
            AWS_ENDPOINT_URL_S3=endpoint,
            AWS_ACCESS_KEY_ID="peers",
            AWS_SECRET_ACCESS_KEY="peers",
            AWS_DEFAULT_REGION="us-east-1",
        )
        ctx["prefix"] = f"s3://peers/{root.name}/"
    row: dict[str, Any] = {"name": name, "round": round_}
    written = run_child("write", name, root, steps, ctx, env, timeout)
    if "error" in written:
        return {**row, "error": "write " + written["error"]}
    sent = written["info"].pop("sent", None)
    row.update(
        samples=written["samples"],
        phases_ns=written["phases_ns"],
        maxrss_kib=written["maxrss_kib"],
        disk_bytes=folder_bytes(root),
        sent_bytes=sent["bytes"] if sent and sent["requests"] else None,
        blocked=written["blocked"],
    )
    if TRACKERS[name].load is not None:
        loaded = run_child("read", name, root, steps, {"info": written["info"]}, env, timeout)
        if "error" in loaded:
            row["load_error"] = loaded["error"]
        else:
            row.update(
                load_s=loaded["load_ns"] / 1e9,
                rows=loaded["rows"],
                complete=loaded["complete"],
                load_maxrss_kib=loaded["maxrss_kib"],
            )
            row["blocked"] += loaded["blocked"]
    return row


def available(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """The trackers importable here, and why each other one is left out."""
    ready, missing = [], {}
    for name in names:
        needs = TRACKERS[name].needs
        if needs and importlib.util.find_spec(needs) is None:
            missing[name] = f"not installed ({needs}): run in the peers environment, `hatch run peers:bench`"
        else:
            ready.append(name)
    return ready, missing


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100_000, help="steps logged per run (default 100,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--only", default="", help="comma-separated trackers, e.g. 'csv.writer,list.append'")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a child is killed")
    parser.add_argument("--json", type=Path, help="also write every figure (not the samples) to this file")
    parser.add_argument("--doc", action="store_true", help="write the table into docs/benchmarks.md and the chart")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(TRACKERS)
    unknown = [n for n in names if n not in TRACKERS]
    if unknown:
        parser.error(f"unknown tracker(s) {unknown}; choose from {list(TRACKERS)}")
    if "csv.writer" not in names:
        names.insert(0, "csv.writer")  # every ratio needs it
    names, missing = available(names)

    about = machine(names)
    print(
        f"peers: {args.steps:,} steps x {args.rounds} rounds; {about['cpu']}; load average {about['load_before']}",
        flush=True,
    )
    server = endpoint = None
    if "lab-workbook S3" in names:
        from moto_endpoint import start_moto

        server, endpoint = start_moto()
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="peers",
            aws_secret_access_key="peers",
            region_name="us-east-1",
        ).create_bucket(Bucket="peers")
    rows: list[dict[str, Any]] = []
    work = Path(tempfile.mkdtemp(prefix="peers-"))
    try:
        for round_ in range(args.rounds):
            for name in names:
                row = measure(name, round_, work, args.steps, endpoint, args.timeout)
                rows.append(row)
                state = row.get("error") or f"{row['phases_ns']['total'] / 1e9:.2f} s"
                print(f"  round {round_ + 1}/{args.rounds} {name:20s} {state}", flush=True)
                shutil.rmtree(work / f"r{round_}-{name.replace(' ', '_').replace('.', '_')}", ignore_errors=True)
                if args.json:  # figures so far: an interrupted run keeps what it measured
                    args.json.write_text(json.dumps({"partial": True, "summary": summarize(rows, missing, args.steps)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server is not None:
            from moto_endpoint import stop_moto

            stop_moto(server)
    about["load_after"] = machine(names)["load_before"]
    summary = summarize(rows, missing, args.steps)
    table = markdown_table(summary, args.steps)
    print()
    print(table)
    result = {"machine": about, "steps": args.steps, "rounds": args.rounds, "summary": summary}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    if args.doc:
        repo = HERE.parent.parent
        write_chart(summary, repo / "docs" / "images" / "peers.png", args.steps)
        write_doc(repo / "docs" / "benchmarks.md", table, about, args)
        print("\nwrote docs/benchmarks.md (Peers) and docs/images/peers.png")
    return result


if __name__ == "__main__":
    main()
