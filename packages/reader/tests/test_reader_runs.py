"""The runs table: one row per experiment, flattened parameters, last and best of series fields."""

import pandas as pd

A, B, C = "202601010000-runsAAAAAA", "202602010000-runsBBBBBB", "202603010000-runsCCCCCC"


def _errors(values):
    return "epoch,error,Date\n" + "".join(f"{i},{v},2026-01-01T00:00:0{i}Z\n" for i, v in enumerate(values))


def _sweep(store):
    store.finished(
        A,
        {
            "parameters.json": '{"learningRate": 0.1, "model": {"depth": 20}}',
            "Testing Error.csv": _errors([0.5, 0.3, 0.4]),
        },
        description="baseline",
    )
    store.record(B, "running")
    store.put(B, "parameters.json", '{"learningRate": 0.01, "model": {"depth": 32}}')
    store.original(C)


def test_one_row_per_experiment_in_tag_order(store):
    _sweep(store)
    table = store.repository().runs()
    assert table["tag"].tolist() == [A, B, C]
    assert table["status"].tolist() == ["finished", "running", "unknown"]


def test_parameters_are_flattened_with_dots(store):
    _sweep(store)
    table = store.repository().runs().set_index("tag")
    assert table.loc[A, "params.learningRate"] == 0.1
    assert table.loc[B, "params.model.depth"] == 32
    assert table.loc[C, "params.dataRoot"] == "/mnt/data/cifar10/"


def test_last_and_best_values_of_a_series_field(store):
    _sweep(store)
    table = store.repository().runs().set_index("tag")
    assert table.loc[A, "error.last"] == 0.4
    assert table.loc[A, "error.best"] == 0.3
    assert pd.isna(table.loc[B, "error.last"])
    assert table.loc[C, "error.best"] == 0.4875


def test_best_can_be_the_maximum(store):
    _sweep(store)
    table = store.repository().runs(series={"Testing Error.csv": "error"}, best="max").set_index("tag")
    assert table.loc[A, "error.best"] == 0.5


def test_started_duration_and_description(store):
    _sweep(store)
    table = store.repository().runs().set_index("tag")
    assert table.loc[A, "description"] == "baseline"
    assert table.loc[A, "duration"] > pd.Timedelta(0)
    assert table.loc[C, "started"] == pd.Timestamp("2026-03-01 00:00", tz="UTC")  # from the tag


def test_filter_by_status(store):
    _sweep(store)
    assert store.repository().runs(status="running")["tag"].tolist() == [B]
    assert store.repository().runs(status=["finished", "unknown"])["tag"].tolist() == [A, C]


def test_filter_by_tag_prefix(store):
    _sweep(store)
    assert store.repository().runs(tag_prefix="202601")["tag"].tolist() == [A]


def test_filter_by_date_range(store):
    store.original("201602142341-mn5SvgNxHY")
    store.original("201703010000-laterAAAAA")
    wb = store.repository()
    assert wb.runs(since="2017-01-01")["tag"].tolist() == ["201703010000-laterAAAAA"]
    assert wb.runs(until="2016-12-31")["tag"].tolist() == ["201602142341-mn5SvgNxHY"]


def test_an_empty_store_gives_an_empty_table(store):
    table = store.repository().runs()
    assert table.empty and "tag" in table.columns


def test_the_table_can_be_queried_with_pandas(store):
    _sweep(store)
    table = store.repository().runs()
    assert table.query("`params.learningRate` <= 0.05")["tag"].tolist() == [B, C]
