"""docs/querying.md's Dask recipes, run as written on a LocalCluster of two worker processes.

Over the store the writer wrote (``engine_store.py``: 50 runs, ``nan`` and ``inf`` cells, a series
whose fields grew), on a local folder and on S3 (moto's server on 127.0.0.1, read through s3fs by the
workers, which find the endpoint in their environment). One cluster for the file.
"""

from __future__ import annotations

from collections.abc import Iterator
import math
from pathlib import Path
from typing import Any
import uuid

from engine_store import GREW, RUNS, EngineStore, run_recipes, write_store
import pytest

pytest.importorskip(
    "dask.distributed",
    reason="dask and distributed are installed in the Python 3.11 test environment only (hatch.toml)",
)

LOCAL_STORE = '"/data/experiments/"'


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, s3_server: Any) -> Iterator[dict[str, Any]]:
    """The store written locally, and the same files in a bucket; the environment the workers inherit."""
    import boto3

    home = tmp_path_factory.mktemp("dask-home")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "LAB_WORKBOOK_CONFIG": str(home / "config"),
            "LAB_WORKBOOK_CACHE_DIR": str(home / "cache"),
            "LAB_WORKBOOK_SPOOL_DIR": str(home / "spool"),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_ENDPOINT_URL_S3": s3_server.url,
            "NO_PROXY": "127.0.0.1,localhost",
        }.items():
            patch.setenv(name, value)
        for name in ("LAB_WORKBOOK_PREFIX", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        local = write_store(str(home / "store") + "/")
        bucket = f"dask-{uuid.uuid4().hex[:12]}"
        s3 = boto3.client("s3", endpoint_url=s3_server.url, region_name="us-east-1")
        s3.create_bucket(Bucket=bucket)
        root = Path(local.prefix)
        for path in root.rglob("*"):
            if path.is_file():
                s3.put_object(
                    Bucket=bucket, Key=f"experiments/{path.relative_to(root).as_posix()}", Body=path.read_bytes()
                )
        yield {"local": local, "s3": f"s3://{bucket}/experiments/"}
        local.close()


@pytest.fixture(scope="module")
def client(store: dict[str, Any]) -> Iterator[Any]:
    """The recipe's cluster: two worker processes, started with the store's environment.

    Its dashboard on a free port of 127.0.0.1 (not 8787 on every interface): test workers run side by side.
    """
    import dask

    with dask.config.set({"distributed.scheduler.dashboard.address": "127.0.0.1:0"}):
        scope = run_recipes("dask-cluster", scope={})
    yield scope["client"]
    cluster = scope["client"].cluster
    scope["client"].close()
    cluster.close()


@pytest.fixture(scope="module", params=["local", "s3"])
def recipes(request: pytest.FixtureRequest, store: dict[str, Any], client: Any) -> dict[str, Any]:
    """The Dask recipes run in order on one store (the cluster's client is the default one)."""
    prefix = store["local"].prefix if request.param == "local" else store["s3"]
    scope = run_recipes("dask-loss", "dask-parameters", "dask-question", scope={}, replace={LOCAL_STORE: repr(prefix)})
    return {**scope, "expected": store["local"], "kind": request.param}


def test_the_recipes_run_on_the_two_worker_cluster(recipes, client):
    assert len(client.scheduler_info()["workers"]) == 2
    assert recipes["table"].npartitions >= 1 and client.who_has()  # persisted on the workers


def test_the_series_has_the_tag_as_a_column_and_reads_nan_and_inf(recipes):
    expected: EngineStore = recipes["expected"]
    loss = recipes["loss"].compute()
    assert sorted(loss["tag"].unique()) == expected.finished  # the running run's series is in segments
    first = loss[loss["tag"] == expected.finished[0]].sort_values("step")["loss"].tolist()
    assert math.isnan(first[0]) and first[1] == math.inf
    assert len(loss[loss["tag"] == expected.finished[GREW]]) == 6  # the row that brought the new field too


def test_the_parameters_are_flattened_per_run(recipes):
    expected: EngineStore = recipes["expected"]
    parameters = recipes["parameters"].compute().set_index("tag")
    assert len(parameters) == RUNS - 1  # the crashed run saved none
    assert parameters.loc[expected.finished[4], "learningRate"] == expected.learning_rate[expected.finished[4]]
    assert parameters.loc[expected.running, "model.depth"] == 1


def test_the_last_loss_and_the_best_runs_match_what_was_logged(recipes):
    expected: EngineStore = recipes["expected"]
    table = recipes["table"].compute().set_index("tag")
    with_loss = [tag for tag in expected.finished if not math.isnan(expected.last_loss[tag])]
    assert sorted(table.index) == with_loss  # a run whose every loss is nan has no last loss
    assert all(table.loc[tag, "last_loss"] == expected.last_loss[tag] for tag in with_loss)
    assert recipes["best"]["tag"].tolist() == sorted(with_loss, key=expected.last_loss.__getitem__)[:5]
    assert recipes["best"]["tag"].iloc[0] == expected.best


def test_the_groupby_over_a_parameter(recipes):
    import statistics

    expected: EngineStore = recipes["expected"]
    by_depth = recipes["by_depth"]
    for depth in (0, 1, 2):
        tags = [t for t in expected.finished if expected.depth[t] == depth and not math.isnan(expected.last_loss[t])]
        assert by_depth[depth] == statistics.median(expected.last_loss[t] for t in tags)
