"""The store the engine tests query (Spark, Dask, and all engines agreeing), written by the writer, and
a runner for docs/querying.md's recipes.

50 runs: 48 finished, each with ``parameters.json`` and a ``Training loss.csv`` whose first cell is
``nan`` and second ``inf``; among them one whose series gained a field (``lr``) on its last row, one
whose last cell is ``nan``, one whose last is ``inf``, and one whose every loss is ``nan``; then one
run still going, its series in segments, and one whose writer died (a record whose heartbeat stopped
hours ago, which the engines call ``crashed``; no parameters, no series). The expected
answers are computed here from the values logged, never from an engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
from pathlib import Path
import re
from typing import Any

from builders import StoreBuilder
from lab_workbook_writer import Experiment, new_experiment

__all__ = ["DOC", "EngineStore", "local_spark", "recipe", "run_recipes", "write_store"]

DOC = Path(__file__).resolve().parents[1] / "docs" / "querying.md"
RUNS = 50
GREW, ENDS_NAN, ENDS_INF, ALL_NAN = 3, 5, 6, 8  # the runs whose series are unusual (see the module docstring)


def _tag(i: int) -> str:
    return f"202601010{i:03d}-engine{i:04d}"


def _losses(i: int) -> list[float]:
    """Run ``i``'s losses by step: nan, inf, then decreasing to ``1/(i+2)`` (the unusual runs differ)."""
    if i == ALL_NAN:
        return [math.nan] * 5
    values = [math.nan, math.inf, *(1 / (i + 2) + (4 - s) * 0.5 for s in range(2, 5))]
    if i == GREW:
        values.append(0.01)  # logged with a new field: the best run of the store
    if i == ENDS_NAN:
        values.append(math.nan)
    if i == ENDS_INF:
        values.append(math.inf)
    return values


@dataclass
class EngineStore:
    """The store's prefix, its runs, and the answers every engine must give."""

    prefix: str
    finished: list[str]  # the finished runs with a series, in tag order
    running: str
    crashed: str  # a stale heartbeat; no parameters, no series
    last_loss: dict[str, float]  # per finished run with a series: its last loss that is not nan (nan if none)
    learning_rate: dict[str, float]
    depth: dict[str, int]
    _open: list[Experiment] = field(default_factory=list, repr=False)

    @property
    def best(self) -> str:
        """The finished run with the smallest last loss (runs without one come last)."""
        return min(self.finished, key=lambda tag: (math.isnan(self.last_loss[tag]), self.last_loss[tag]))

    def close(self) -> None:
        """End the running run (at the end of the tests that needed it going)."""
        for run in self._open:
            run.close(30)


def write_store(prefix: str) -> EngineStore:
    """Write the store with the writer: 48 finished runs, one running (series in segments); and a crashed run."""
    store = EngineStore(prefix, [], _tag(RUNS - 2), _tag(RUNS - 1), {}, {}, {})
    for i in range(RUNS - 2):
        tag = _tag(i)
        parameters = {"learningRate": 0.001 * (i + 1), "model": {"depth": i % 3}}
        with new_experiment(prefix, tag=tag, description=f"run {i}", capture_environment=False) as wb:
            wb.save_json("parameters", parameters)
            log = wb.new_time_series_log("Training loss")  # no field list: fields may grow
            for step, loss in enumerate(_losses(i)):
                if i == GREW and step == 5:
                    log(step=step, loss=loss, lr=0.1)
                else:
                    log(step=step, loss=loss)
        store.finished.append(tag)
        values = [v for v in _losses(i) if not math.isnan(v)]
        store.last_loss[tag] = values[-1] if values else math.nan
        store.learning_rate[tag] = parameters["learningRate"]
        store.depth[tag] = i % 3
    # Heartbeats an hour apart: the run stays "running" however long a loaded machine takes.
    going = new_experiment(prefix, tag=store.running, capture_environment=False, heartbeat_seconds=3600)
    store._open.append(going)
    going.save_json("parameters", {"learningRate": 0.5, "model": {"depth": 1}})
    log = going.new_time_series_log("Training loss")
    for step in range(3):
        log(step=step, loss=0.9 - step / 10)
        assert going.flush(30), "the running run's segment was not uploaded"
    StoreBuilder(prefix).record(store.crashed, "running", heartbeat_age=5 * 3600)  # the writer cannot die here
    return store


def local_spark(warehouse: Path | None = None) -> Any:
    """A SparkSession on this machine only: two cores, no UI, the driver on 127.0.0.1, few shuffle partitions.

    The recipes' ``getOrCreate()`` then finds it. The caller stops it (one JVM start per test file).
    ``warehouse``: the catalog's folder, for a recipe that makes a table (default ``./spark-warehouse``).
    """
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("lab-workbook-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.warehouse.dir", str(warehouse or "spark-warehouse"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def recipe(name: str) -> str:
    """The python block of docs/querying.md that starts ``# recipe: <name>``."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    named = {block.splitlines()[0].removeprefix("# recipe: "): block for block in blocks}
    assert name in named, f"docs/querying.md has no recipe {name!r}"
    return named[name]


def run_recipes(*names: str, scope: dict[str, Any], replace: dict[str, str] | None = None) -> dict[str, Any]:
    """Run the named recipes in order, as written, in ``scope`` (``replace`` swaps placeholder text first)."""
    for name in names:
        code = recipe(name)
        for old, new in (replace or {}).items():
            if old in code:
                code = code.replace(old, new)
        exec(code, scope)  # our own documentation
    return scope
