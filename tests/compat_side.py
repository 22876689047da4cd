"""One side of the compatibility matrix: run with the previous release's Python or with today's.

``tests/test_compat_releases.py`` runs this file in a subprocess, with the interpreter of a venv that
holds the previous release's core, writer and reader (``python -I``: nothing of today's code is on
its path) or with today's. It uses only the public API both releases have, so the same ``read``
describes a store as either reader sees it, and the two descriptions can be compared as JSON.

    python compat_side.py write-old PREFIX   # runs any writer since 0.1.0 can record
    python compat_side.py write-new PREFIX   # a resumed run (attempts) and a runs index: today's only
    python compat_side.py read PREFIX        # every run as this reader sees it, as JSON on stdout
"""

from __future__ import annotations

import json
import sys
from typing import Any
import warnings

#: What both writers record, so that both readers can be checked against it.
PARAMETERS = {"learningRate": 0.1, "model": {"depth": 3}}
LOSSES = [1.0, 0.5, 0.25, 0.125]


def write_old(prefix: str) -> dict[str, Any]:
    """A finished run (parameters, a series) and a failed one, through the API of every release."""
    from lab_workbook_writer import new_experiment

    with new_experiment(prefix, tag="compat-finished", description="baseline", capture_environment=False) as wb:
        wb.save_json("parameters", PARAMETERS)
        log = wb.new_time_series_log("Training loss", ["step", "loss"])
        for step, loss in enumerate(LOSSES):
            log(step=step, loss=loss)
    try:
        with new_experiment(prefix, tag="compat-failed", capture_environment=False) as wb:
            log = wb.new_time_series_log("Training loss", ["step", "loss"])
            log(step=0, loss=2.0)
            raise ValueError("diverged")
    except ValueError:
        pass
    return {"tags": ["compat-failed", "compat-finished"]}


def write_new(prefix: str) -> dict[str, Any]:
    """What today's writer adds to a store: a run resumed as a second attempt, and a runs index."""
    from lab_workbook import ExperimentRepository
    from lab_workbook_writer import new_experiment

    write_old(prefix)
    first = new_experiment(prefix, tag="compat-resumed", description="preempted", capture_environment=False)
    log = first.new_time_series_log("Training loss", ["step", "loss"])
    for step in range(3):
        log(step=step, loss=LOSSES[step])
    first.note_exception(KeyboardInterrupt())  # as a SIGTERM from the scheduler records it
    first.close()
    with new_experiment(prefix, resume="compat-resumed", capture_environment=False) as second:
        log = second.new_time_series_log("Training loss", ["step", "loss"])
        for step in range(2, 4):  # restarted from the checkpoint of step 2: step 2 is logged again
            log(step=step, loss=LOSSES[step] / 2)
        attempt = second.attempt
    written = ExperimentRepository(prefix).write_index()
    return {"attempt": attempt, "index_key": written.key, "indexed": written.runs}


def _frame(frame: Any) -> dict[str, Any]:
    """A DataFrame as JSON both pandas versions write alike: its index name, columns and rows."""
    flat = frame.reset_index()
    return {
        "index": frame.index.name,
        "columns": [str(column) for column in flat.columns],
        "rows": json.loads(flat.to_json(orient="values", date_format="iso", date_unit="us")),
    }


def read(prefix: str) -> dict[str, Any]:
    """Every run of the store as this reader shows it, and every warning it gave."""
    import lab_workbook

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wb = lab_workbook.ExperimentRepository(prefix)
        runs: dict[str, Any] = {}
        for tag in wb.tags():
            exp = wb[tag]
            names = exp.list_artifacts()
            runs[tag] = {
                "status": exp.status,
                "description": exp.description,
                "artifacts": names,
                "attempts": [[attempt.attempt, attempt.status] for attempt in exp.attempts],
                "parameters": exp["parameters.json"] if "parameters.json" in names else None,
                "series": {name: _frame(exp[name]) for name in names if name.endswith(".csv")},
            }
        table = wb.runs()
        summary = {str(tag): str(status) for tag, status in zip(table["tag"], table["status"], strict=True)}
    return {
        "version": lab_workbook.__version__,
        "runs": runs,
        "table": summary,
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
    }


def main(argv: list[str]) -> int:
    """``compat_side.py COMMAND PREFIX``: the command's result as one JSON document on stdout."""
    command, prefix = argv
    actions = {"write-old": write_old, "write-new": write_new, "read": read}
    print(json.dumps(actions[command](prefix), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
