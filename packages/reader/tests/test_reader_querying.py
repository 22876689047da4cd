"""docs/querying.md's recipes, run as written on a store of 50 runs (local folder and S3).

The store is written per docs/format.md: 48 finished runs (record, parameters.json,
Training loss.csv whose first cell is nan and second inf), one running run whose series
is still in segments, and one running run whose heartbeat stopped long ago (crashed).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
import json
import math
import os
from pathlib import Path
import re
from typing import Any
import uuid

from builders import StoreBuilder
from lab_workbook import ExperimentRepository
from lab_workbook_core.keys import run_record_key, segment_key
import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "querying.md"
RUNS = 50
RUNNING, CRASHED = f"202601010{RUNS - 2:03d}-queryRUNNG", f"202601010{RUNS - 1:03d}-queryCRASH"


def _tag(i: int) -> str:
    return f"202601010{i:03d}-query{i:05d}"


def _loss(i: int, steps: int = 5) -> str:
    """Rows 0..steps-1: nan, inf, then decreasing; the last is 1/(i+2)."""
    values = ["nan", "inf", *(repr(1 / (i + 2) + (steps - 1 - s) * 0.5) for s in range(2, steps))]
    return "step,loss,Date\r\n" + "".join(f"{s},{v},2026-01-01T00:00:0{s}.000Z\r\n" for s, v in enumerate(values))


def _record(
    store: StoreBuilder, tag: str, status: str, heartbeat_age: float = 0.0, interval: float = 30, **fields: Any
) -> None:
    store.record(
        tag,
        status,
        started=datetime(2026, 1, 1, tzinfo=UTC),
        minutes=60,
        heartbeat_age=heartbeat_age,
        heartbeat_interval=interval,
        description=f"run {tag[-5:]}",
        env={"RANK": "0"},
        artifacts={"parameters.json": {"size": 1, "sha256": "0"}},
        **fields,
    )


def _build(prefix: str, runs: int = RUNS) -> str:
    """``runs - 2`` finished runs, one running (series in segments), one crashed."""
    store = StoreBuilder(prefix)
    for i in range(runs - 2):
        tag = _tag(i)
        parameters = {"learningRate": 0.001 * (i + 1), "model": {"depth": i % 3}}
        _record(store, tag, "finished", summary={"json": {"parameters.json": parameters}, "series": {}})
        store.put(tag, "parameters.json", json.dumps(parameters))
        store.put(tag, "Training loss.csv", _loss(i))
    # A heartbeat every hour: the run stays "running" however long a loaded machine takes to reach the checks.
    _record(store, RUNNING, "running", interval=3600)
    store.put(RUNNING, "parameters.json", '{"learningRate": 0.5, "model": {"depth": 1}}')
    rows = _loss(RUNS - 2).split("\r\n")
    store.segment(RUNNING, "Training loss.csv", 1, "\r\n".join([*rows[:3], ""]))
    store.segment(RUNNING, "Training loss.csv", 2, "\r\n".join(rows[:1] + rows[3:]))
    _record(store, CRASHED, "running", heartbeat_age=5 * 3600)
    return prefix


@pytest.fixture(scope="module", params=["local", "s3"])
def recipes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every recipe run once, in order, on a store of 50 runs; the variables they left."""
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("querying-home")
        patch.setenv("LAB_WORKBOOK_CONFIG", str(home / "config"))
        patch.setenv("LAB_WORKBOOK_CACHE_DIR", str(home / "cache"))
        patch.delenv("LAB_WORKBOOK_PREFIX", raising=False)
        if request.param == "s3":
            import boto3

            server = request.getfixturevalue("s3_server")
            for name, value in {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_ENDPOINT_URL_S3": server.url,
                "AWS_ENDPOINT_URL": server.url,
                "AWS_ALLOW_HTTP": "true",
            }.items():
                patch.setenv(name, value)
            patch.delenv("AWS_PROFILE", raising=False)
            bucket = f"querying-{uuid.uuid4().hex[:12]}"
            boto3.client("s3", endpoint_url=server.url, region_name="us-east-1").create_bucket(Bucket=bucket)
            prefix = f"s3://{bucket}/experiments/"
        else:
            prefix = str(home / "store") + "/"
        _build(prefix)
        ExperimentRepository(prefix).write_index()  # the runs index of the 48 finished runs
        yield _run(prefix, "runs", "runs-index", "parameters", "last-loss", "question", "running", "helper", "polars")


def _recipes() -> dict[str, str]:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    named = {}
    for block in blocks:
        first = block.splitlines()[0]
        assert first.startswith("# recipe: "), f"every python block of {DOC.name} names its recipe: {first!r}"
        named[first.removeprefix("# recipe: ")] = block
    # Spark's and Dask's recipes are run by the root tests/test_querying_spark.py and test_querying_dask.py.
    return {name: block for name, block in named.items() if not name.startswith(("spark-", "dask-"))}


def _run(prefix: str, *names: str, namespace: dict | None = None) -> dict:
    recipes = _recipes()
    scope = {} if namespace is None else namespace
    is_s3 = prefix.startswith("s3://")
    connect = recipes["connect-s3" if is_s3 else "connect-local"]
    placeholder = '"s3://my-bucket/experiments/"' if is_s3 else '"/data/experiments/"'
    assert placeholder in connect
    exec(connect.replace(placeholder, repr(prefix)), scope)
    for name in names:
        exec(recipes[name], scope)
    return scope


def test_every_recipe_is_run_by_this_file():
    tested = {
        "connect-local",
        "connect-s3",
        "runs",
        "runs-index",
        "parameters",
        "last-loss",
        "question",
        "running",
        "helper",
        "polars",
    }
    assert set(_recipes()) == tested


def test_the_runs_recipe_has_one_row_per_run_and_tells_crashed_runs(recipes):
    runs = recipes["runs"]
    assert len(runs) == RUNS
    statuses = dict(zip(runs["tag"], runs["status"], strict=True))
    assert statuses[RUNNING] == "running" and statuses[CRASHED] == "crashed"
    assert sum(s == "finished" for s in statuses.values()) == RUNS - 2


def test_the_runs_index_recipe_has_every_finished_run_once_with_its_summary(recipes):
    indexed = recipes["indexed"]
    assert indexed["tag"].tolist() == [_tag(i) for i in range(RUNS - 2)]  # finished runs only, each once
    assert set(indexed["status"]) == {"finished"}
    assert indexed.set_index("tag").loc[_tag(4), "learningRate"] == pytest.approx(0.005)


def test_the_runs_index_recipe_takes_the_newest_generation_once_per_run(local_prefix):
    from lab_workbook_core.record import RunRecord
    from lab_workbook_core.runs_index import encode_index, parse_object_key, rebuild_key

    _build(local_prefix, runs=6)
    first = ExperimentRepository(local_prefix, cache=False).write_index()  # generation 1: the 4 finished runs
    storage = StoreBuilder(local_prefix).storage
    records = {_tag(i): RunRecord.parse(storage.get_bytes(run_record_key(_tag(i))), _tag(i)) for i in (1, 2)}
    newer = rebuild_key([parse_object_key(first.key)])  # generation 2, written twice (two writers at once)
    storage.put_bytes(newer, encode_index(records))
    storage.put_bytes(newer.replace("generation=000002/", "generation=000002/9"), encode_index(records))
    assert _run(local_prefix, "runs-index")["indexed"]["tag"].tolist() == [_tag(1), _tag(2)]


def test_the_parameters_recipe_reads_nested_values(recipes):
    parameters = recipes["parameters"].set_index("tag")
    assert len(parameters) == RUNS - 1  # the crashed run saved none
    assert parameters.loc[_tag(4), "learningRate"] == pytest.approx(0.005)
    assert parameters.loc[_tag(4), "depth"] == 1


def test_the_last_loss_recipe_skips_nan_and_keeps_floats(recipes):
    last = recipes["last_loss"].set_index("tag")
    assert len(last) == RUNS - 2  # closed runs only: the running one is in segments
    assert last.loc[_tag(7), "last_loss"] == 1 / 9
    assert last.loc[_tag(7), "best_loss"] == 1 / 9
    assert last.loc[_tag(7), "steps"] == 5


def test_the_question_runs_on_the_three_views(recipes):
    assert recipes["best"]["tag"].tolist() == [_tag(i) for i in range(RUNS - 3, RUNS - 8, -1)]  # smallest last losses


def test_the_running_recipe_adds_the_segments_of_a_running_run(recipes):
    steps = recipes["steps"].set_index("tag")
    assert len(steps) == RUNS - 1
    assert steps.loc[RUNNING, "step"] == 4
    assert steps.loc[_tag(0), "step"] == 4


def test_the_running_recipe_works_when_no_run_is_going(local_prefix):
    _build(local_prefix, runs=4)
    StoreBuilder(local_prefix).storage.delete([segment_key(RUNNING, "Training loss.csv", s) for s in (1, 2)])
    assert len(_run(local_prefix, "last-loss", "running")["steps"]) == 2


def test_the_helper_gives_runs_and_parameters_in_one_line(recipes):
    table = recipes["table"].set_index("tag")
    assert len(table) == RUNS - 1
    assert table.loc[RUNNING, "status"] == "running"
    assert table.loc[_tag(2), "learningRate"] == pytest.approx(0.003)


def test_the_polars_recipe_reads_nan_and_inf_as_floats(recipes):
    frame = recipes["frame"]
    assert frame.height == RUNS - 2
    row = dict(zip(frame["tag"], frame["last_loss"], strict=True))
    assert row[_tag(9)] == 1 / 11 and not math.isnan(row[_tag(9)])


def test_the_helper_says_what_to_install_without_duckdb(local_prefix, monkeypatch):
    import sys

    import lab_workbook

    monkeypatch.setitem(sys.modules, "duckdb", None)
    with pytest.raises(lab_workbook.MissingDependencyError, match="pip install"):
        lab_workbook.duckdb(local_prefix)
