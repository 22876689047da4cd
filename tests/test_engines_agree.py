"""``wb.runs()``, DuckDB, polars, Spark and Dask give the same last loss per run and the same best run.

On one store the writer wrote (``engine_store.py``): ``nan`` and ``inf`` cells, a series whose fields
grew (the best run), a series that ends in ``nan``, one that ends in ``inf``, one that is all ``nan``
(no last loss: it must come last, never first), a run still going and a crashed one. Each engine runs
docs/querying.md's recipes as written; the expected values come from what was logged.
"""

from __future__ import annotations

from collections.abc import Iterator
import math
import shutil
from typing import Any

from engine_store import EngineStore, local_spark, run_recipes, write_store
import pytest

pytest.importorskip("pyspark", reason="pyspark is installed in the Python 3.11 test environment only (hatch.toml)")
pytest.importorskip(
    "dask.distributed", reason="dask is installed in the Python 3.11 test environment only (hatch.toml)"
)
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (17 or 21): apt-get install openjdk-17-jre-headless", allow_module_level=True)

ENGINES = ("wb.runs()", "DuckDB", "polars", "Spark", "Dask")


def _last(frame: Any, column: str) -> dict[str, Any]:
    """Tag -> last loss, from a pandas or polars frame with a ``tag`` column."""
    return dict(zip(list(frame["tag"]), list(frame[column]), strict=True))


def _number(value: Any) -> float:
    """A last loss as a float: NULL, None and a missing row are NaN."""
    return math.nan if value is None or value != value else float(value)


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EngineStore, dict[str, dict[str, Any]]]]:
    """Per engine: ``last`` (tag -> last loss of every finished run) and ``best`` (the best run's tag)."""
    import dask
    from lab_workbook import ExperimentRepository

    home = tmp_path_factory.mktemp("agree-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAB_WORKBOOK_CONFIG", str(home / "config"))
        patch.setenv("LAB_WORKBOOK_CACHE_DIR", str(home / "cache"))
        patch.setenv("LAB_WORKBOOK_SPOOL_DIR", str(home / "spool"))
        patch.delenv("LAB_WORKBOOK_PREFIX", raising=False)
        store = write_store(str(home / "store") + "/")
        prefix, local = repr(store.prefix), '"/data/experiments/"'
        found: dict[str, dict[str, Any]] = {}

        table = ExperimentRepository(store.prefix).runs(series={"Training loss.csv": "loss"}, status="finished")
        ordered = table.sort_values("loss.last", na_position="last")
        found["wb.runs()"] = {"last": _last(table, "loss.last"), "best": ordered["tag"].iloc[0]}

        duck = run_recipes(
            "connect-local", "runs", "parameters", "last-loss", "question", scope={}, replace={local: prefix}
        )
        found["DuckDB"] = {
            "last": _last(duck["last_loss"], "last_loss"),
            "best": duck["best"]["tag"].iloc[0],
        }

        polars = run_recipes("polars", scope={"store": store.prefix})["frame"]
        found["polars"] = {
            "last": _last(polars, "last_loss"),
            "best": polars.sort("last_loss")["tag"][0],
        }

        spark = local_spark()
        try:
            lit = run_recipes("spark-session", "spark-views", "spark-last-loss", scope={}, replace={local: prefix})
        finally:
            spark.stop()
        found["Spark"] = {
            "last": _last(lit["last_loss"], "last_loss"),
            "best": lit["best"]["tag"].iloc[0],
        }

        with dask.config.set({"distributed.scheduler.dashboard.address": "127.0.0.1:0"}):
            scope = run_recipes("dask-cluster", scope={})
        try:
            run_recipes("dask-loss", "dask-parameters", "dask-question", scope=scope, replace={local: prefix})
            last = scope["table"].compute()
        finally:
            cluster = scope["client"].cluster
            scope["client"].close()
            cluster.close()
        found["Dask"] = {"last": _last(last, "last_loss"), "best": scope["best"]["tag"].iloc[0]}
        yield store, found
        store.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_gives_each_finished_run_its_last_loss(answers, engine):
    store, found = answers
    got = {tag: _number(found[engine]["last"].get(tag)) for tag in store.finished}
    expected = {tag: _number(store.last_loss[tag]) for tag in store.finished}
    wrong = {
        tag: (got[tag], expected[tag])
        for tag in store.finished
        if got[tag] != expected[tag] and expected[tag] == expected[tag]
    }
    assert not wrong, f"{engine}: tag -> (its last loss, the logged one)"
    assert all(math.isnan(got[tag]) for tag in store.finished if math.isnan(expected[tag]))
    assert set(found[engine]["last"]) <= {*store.finished, store.running}  # no other rows


def test_every_engine_picks_the_same_best_run(answers):
    store, found = answers
    assert {engine: found[engine]["best"] for engine in ENGINES} == dict.fromkeys(ENGINES, store.best)
