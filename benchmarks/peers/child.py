"""One measurement in a fresh process: ``python child.py write|read NAME ROOT STEPS [CONTEXT_JSON]``.

*write* imports the tracker, starts a run, logs STEPS steps timing each call with
``perf_counter_ns``, closes the run, and prints one JSON line: the per-call samples, the phases
(import, start, loop, close), what the reader needs to find the run, and any connection the
offline guard refused. *read* loads the full history of ``loss`` with the tracker's public API
and prints the time and the rows it got. The parent measures peak memory (``wait4``) and bytes.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
import sys
import time

from offline import blocked_attempts, guard_sockets

guard_sockets()  # before any tracker is imported

from trackers import TRACKERS  # noqa: E402


def write(name: str, root: Path, steps: int, ctx: dict) -> dict:
    tracker = TRACKERS[name]
    clock = time.perf_counter_ns
    t0 = clock()
    if tracker.needs:
        importlib.import_module(tracker.needs)
    t1 = clock()
    log, close, info = tracker.start(root, ctx)
    t2 = clock()
    samples = [0] * steps
    for i in range(steps):
        loss, accuracy, grad_norm = 2.302585 / (i + 1), i / steps, 1.5 + i * 1e-6
        start = clock()
        log(i, loss, accuracy, grad_norm)
        samples[i] = clock() - start
    t3 = clock()
    close()
    t4 = clock()
    return {
        "samples": samples,
        "phases_ns": {"import": t1 - t0, "start": t2 - t1, "loop": t3 - t2, "close": t4 - t3, "total": t4 - t0},
        "info": info,
    }


def read(name: str, root: Path, steps: int, ctx: dict) -> dict:
    import pandas  # noqa: F401  (every load's target: imported before the clock starts)

    tracker = TRACKERS[name]
    assert tracker.load is not None
    clock = time.perf_counter_ns
    t0 = clock()
    frame = tracker.load(root, ctx["info"])
    t1 = clock()
    steps_found = sorted(int(s) for s in frame["step"]) if "step" in frame else []
    return {
        "load_ns": t1 - t0,
        "rows": len(frame),
        "complete": steps_found == list(range(steps)),
    }


def main() -> None:
    mode, name, root, steps = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    ctx = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    result = (write if mode == "write" else read)(name, root, steps, ctx)
    result["blocked"] = blocked_attempts()
    sys.stdout.flush()
    print("\n@@peers-result@@" + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
