"""Finished runs made directly in the on-store format, for benchmarks that need thousands of them.

Running the writer 100,000 times would take hours; these objects are what it leaves for a
small finished run (``docs/format.md``): ``parameters.json``, a ``Training loss.csv`` of
``ROWS`` rows and the final run record with the summary the writer puts in it at close
(computed by the writer's own ``run_summary``). Keys and the record come from core, so the
benchmarks build what today's format says. Run ``i``'s last loss is unique (the best run is
well defined for the engines' queries).
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
import math
from pathlib import Path

from lab_workbook_core.keys import artifact_key, run_record_key
from lab_workbook_core.record import RECORD_FORMAT, RECORD_FORMAT_VERSION, RunRecord
from lab_workbook_core.times import format_time

__all__ = ["ROWS", "SERIES_FIELDS", "loss_csv", "run_objects", "tag_of"]

ROWS = 100
SERIES_FIELDS = ["step", "loss", "gradNorm"]
_STARTED = datetime(2026, 1, 1, tzinfo=UTC)
_ENDED = datetime(2026, 1, 1, 1, tzinfo=UTC)


def tag_of(i: int) -> str:
    """Run ``i``'s tag: a valid minute per run, in order."""
    minute = 202601010000 + (i // 60) * 100 + i % 60
    return f"{minute}-bench{i:05d}"


def loss_csv(i: int) -> str:
    """Run ``i``'s ``Training loss.csv`` as the writer stores it (CRLF, ``Date`` last)."""
    lines = [",".join([*SERIES_FIELDS, "Date"])]
    for step in range(ROWS):
        loss = 2.0 * math.exp(-step / 30) + (i % 97) / 1000 + i / 1e7
        lines.append(f"{step},{loss!r},{1.0 / (step + 1)!r},2026-01-01T00:{step // 60:02d}:{step % 60:02d}.000Z")
    return "\r\n".join(lines) + "\r\n"


def run_objects(i: int, work: Path) -> tuple[str, RunRecord, dict[str, bytes]]:
    """Run ``i``: its tag, its final record, and its objects by key (relative to the store's prefix).

    ``work`` is a folder for the series file the summary is computed from (removed again).
    """
    from lab_workbook_writer._summary import run_summary  # the writer's own summary of a closed run

    tag = tag_of(i)
    params = json.dumps({"learningRate": 0.1 / (1 + i % 10), "model": {"depth": 8 + i % 4}, "seed": i}).encode()
    series = loss_csv(i).encode()
    local = work / f"series-{i}.csv"
    local.write_bytes(series)
    summary = run_summary({"parameters.json": params}, [("Training loss.csv", local, SERIES_FIELDS)])
    local.unlink()
    record = RunRecord.from_mapping(
        {
            "format": RECORD_FORMAT,
            "format_version": RECORD_FORMAT_VERSION,
            "tag": tag,
            "status": "finished",
            "started": format_time(_STARTED),
            "ended": format_time(_ENDED),
            "heartbeat": format_time(_ENDED),
            "heartbeat_interval": 30.0,
            "description": f"sweep {i}",
            "error": None,
            "host": "gpu-box",
            "user": "me",
            "pid": 1,
            "argv": ["train.py"],
            "cwd": "/home/me",
            "python": "3.11.7",
            "torch": "2.13.0",
            "cuda_devices": [],
            "git_commit": None,
            "env": {},
            "writer_version": "0.1.0",
            "artifacts": {
                "parameters.json": {"size": len(params), "sha256": "0" * 64},
                "Training loss.csv": {"size": len(series), "sha256": "0" * 64},
            },
            "summary": summary,
        }
    )
    objects = {
        artifact_key(tag, "parameters.json"): params,
        artifact_key(tag, "Training loss.csv"): series,
        run_record_key(tag): record.to_json_bytes(),
    }
    return tag, record, objects
