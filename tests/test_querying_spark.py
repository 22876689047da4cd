"""docs/querying.md's Spark recipes, run as written with pyspark in local mode over a store the writer wrote.

The store (``engine_store.py``): 50 runs, ``nan`` and ``inf`` cells, a series whose fields grew, a
run still going (its series in segments) and one whose heartbeat stopped. The recipes' ``s3a://``
URL is replaced by a ``file://`` URL of the local store: the same form of path (these machines cannot
download the hadoop-aws jars that ``s3a://`` needs). One SparkSession (one JVM) for the file.
"""

from __future__ import annotations

from collections.abc import Iterator
import math
from pathlib import Path
import re
import shutil
from typing import Any

from engine_store import DOC, GREW, RUNS, EngineStore, local_spark, recipe, run_recipes, write_store
import pytest

pyspark = pytest.importorskip(
    "pyspark", reason="pyspark is installed in the Python 3.11 test environment only (hatch.toml)"
)
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (17 or 21): apt-get install openjdk-17-jre-headless", allow_module_level=True)

S3_STORE = '"s3a://my-bucket/experiments/"'


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    session = local_spark(tmp_path_factory.mktemp("spark-warehouse"))  # the table recipe's catalog folder
    yield session
    session.stop()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineStore]:
    from lab_workbook import ExperimentRepository

    home = tmp_path_factory.mktemp("spark-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAB_WORKBOOK_CONFIG", str(home / "config"))
        patch.setenv("LAB_WORKBOOK_CACHE_DIR", str(home / "cache"))
        patch.setenv("LAB_WORKBOOK_SPOOL_DIR", str(home / "spool"))
        patch.delenv("LAB_WORKBOOK_PREFIX", raising=False)
        made = write_store(str(home / "store") + "/")
        ExperimentRepository(made.prefix, cache=False).write_index()  # the runs index of the finished runs
        yield made
        made.close()


@pytest.fixture(scope="module")
def recipes(spark: Any, store: EngineStore) -> dict[str, Any]:
    """Every Spark recipe run once, in order, on the store as a URL (``file:///...``, as ``s3a://...`` is)."""
    url = Path(store.prefix).as_uri() + "/"
    names = (
        "spark-s3",
        "spark-views",
        "spark-last-loss",
        "spark-running",
        "spark-runs-index",
        "spark-runs-index-table",
    )
    return run_recipes(*names, scope={}, replace={S3_STORE: repr(url)})


def _by_tag(frame: Any, column: str) -> dict[str, Any]:
    return dict(zip(frame["tag"], frame[column], strict=True))


def _same(a: float | None, b: float) -> bool:
    return (a is None or math.isnan(a)) if math.isnan(b) else a == b


def test_the_s3_recipe_names_the_hadoop_aws_of_pyspark_own_hadoop(spark):
    (version,) = re.findall(r"org\.apache\.hadoop:hadoop-aws:([\d.]+)", recipe("spark-s3"))
    assert version == spark.sparkContext._jvm.org.apache.hadoop.util.VersionInfo.getVersion()
    assert f"Hadoop {version}" in DOC.read_text(encoding="utf-8")  # the text around the recipe says the same


def test_the_runs_view_has_every_run_and_tells_crashed_ones(recipes, store):
    runs = recipes["spark"].sql("SELECT tag, status FROM runs").toPandas()
    statuses = _by_tag(runs, "status")
    assert len(statuses) == RUNS
    assert statuses[store.running] == "running" and statuses[store.crashed] == "crashed"
    assert [tag for tag, status in sorted(statuses.items()) if status == "finished"] == store.finished


def test_the_parameters_view_reads_nested_values(recipes, store):
    parameters = recipes["parameters"]
    assert len(parameters) == RUNS - 1  # the crashed run saved none
    assert _by_tag(parameters, "learningRate") == {**store.learning_rate, store.running: 0.5}
    assert _by_tag(parameters, "depth") == {**store.depth, store.running: 1}


def test_the_loss_view_reads_nan_inf_and_a_series_whose_fields_grew(recipes, store):
    last = recipes["last_loss"]
    assert last["tag"].tolist() == store.finished  # closed runs only: the running one is in segments
    got = _by_tag(last, "last_loss")
    assert all(_same(got[tag], store.last_loss[tag]) for tag in store.finished), got
    assert _by_tag(last, "steps")[store.finished[GREW]] == 6
    assert _by_tag(last, "best_loss")[store.finished[GREW]] == 0.01


def test_the_best_run_comes_first_and_runs_without_a_loss_last(recipes, store):
    best = recipes["best"]
    assert best["tag"].iloc[0] == store.best
    assert best["last_loss"].notna().all()
    assert best["tag"].tolist() == sorted(store.finished, key=lambda tag: store.last_loss[tag])[:5]


def test_the_running_recipe_adds_the_segments_of_a_running_run(recipes, store):
    steps = _by_tag(recipes["steps"], "step")
    assert set(steps) == {*store.finished, store.running}
    assert steps[store.running] == 2
    assert steps[store.finished[GREW]] == 5


def test_the_runs_index_recipe_gives_parameters_and_last_loss_without_a_series_file(recipes, store):
    indexed = recipes["indexed"]
    assert indexed["tag"].tolist() == store.finished
    assert set(indexed["status"]) == {"finished"}
    assert _by_tag(indexed, "learningRate") == store.learning_rate
    got = _by_tag(indexed, "last_loss")
    assert all(_same(got[tag], store.last_loss[tag]) for tag in store.finished), got


def test_the_runs_index_table_recipe_gives_the_runs_the_view_gives(recipes, store):
    table, view = recipes["indexed_table"], recipes["indexed"]
    assert table["tag"].tolist() == store.finished
    for column in ("status", "started", "ended", "description"):
        assert table[column].tolist() == view[column].tolist()


def test_the_runs_index_table_sees_a_rebuilt_index_after_its_repair(spark, tmp_path, monkeypatch):
    """A table of the catalog keeps the partitions it found: the recipe's repair shows a new generation
    (``lab-workbook index --rebuild`` deleted the older one's objects)."""
    from lab_workbook import ExperimentRepository
    from lab_workbook_writer import new_experiment

    monkeypatch.setenv("LAB_WORKBOOK_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(tmp_path / "cache"))
    prefix = str(tmp_path / "store") + "/"
    tags = [f"20260103000{i}-table{i:05d}" for i in range(3)]

    def run(tag: str) -> None:
        with new_experiment(prefix, tag=tag, capture_environment=False) as wb:
            wb.save_json("parameters", {"learningRate": 0.1})

    def table() -> list[str]:
        replace = {'"/data/experiments/"': repr(prefix)}
        return run_recipes("spark-session", "spark-runs-index-table", scope={}, replace=replace)["indexed_table"][
            "tag"
        ].tolist()

    spark.sql("DROP TABLE IF EXISTS lab_runs_index")  # the module's table names another store
    try:
        for tag in tags[:2]:
            run(tag)
        ExperimentRepository(prefix, cache=False).write_index()
        assert table() == tags[:2]
        run(tags[2])
        assert ExperimentRepository(prefix, cache=False).write_index(rebuild=True).replaced == 1
        assert table() == tags
    finally:
        spark.sql("DROP TABLE IF EXISTS lab_runs_index")  # an external table: its files stay


def test_the_session_recipe_reads_a_store_given_as_a_plain_path(spark, store):
    scope = run_recipes("spark-session", "spark-views", scope={}, replace={'"/data/experiments/"': repr(store.prefix)})
    assert scope["spark"] is spark  # the recipe's getOrCreate() found this file's session
    assert len(scope["parameters"]) == RUNS - 1


def test_the_running_recipe_works_when_no_run_is_going(spark, tmp_path, monkeypatch):
    from lab_workbook_writer import new_experiment

    monkeypatch.setenv("LAB_WORKBOOK_SPOOL_DIR", str(tmp_path / "spool"))
    prefix = str(tmp_path / "store") + "/"
    for i in range(2):
        with new_experiment(prefix, tag=f"20260102000{i}-closed{i:04d}", capture_environment=False) as wb:
            wb.save_json("parameters", {"learningRate": 0.1, "model": {"depth": i}})
            log = wb.new_time_series_log("Training loss")
            log(step=0, loss=1.0)
            log(step=1, loss=0.5)
    names = ("spark-session", "spark-views", "spark-running")
    steps = run_recipes(*names, scope={}, replace={'"/data/experiments/"': repr(prefix)})["steps"]
    assert _by_tag(steps, "step") == {"202601020000-closed0000": 1, "202601020001-closed0001": 1}
