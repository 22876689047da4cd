"""meld_csv: one column per experiment, labelled and ordered as asked, on the union of steps."""

from lab_workbook import NotFoundError
import pandas as pd
import pytest

A, B, C = "202601010000-meldAAAAAA", "202601010001-meldBBBBBB", "202601010002-meldCCCCCC"


def _series(rows):
    return "epoch,loss,Date\n" + "".join(f"{e},{v},2026-01-01T00:00:0{i}Z\n" for i, (e, v) in enumerate(rows))


def _runs(store):
    store.finished(A, {"loss.csv": _series([(1, 0.9), (2, 0.8), (3, 0.7)])})
    store.finished(B, {"loss.csv": _series([(2, 0.5), (4, 0.4)])})
    store.finished(C, {"loss.csv": _series([(0.5, 0.3)])})


def test_columns_are_labelled_and_ordered_as_the_mapping(store):
    _runs(store)
    melded = store.repository().meld_csv({B: "lr=0.01", A: "lr=0.1"}, "loss.csv", "loss")
    assert list(melded.columns) == ["lr=0.01", "lr=0.1"]


def test_rows_are_the_sorted_union_of_first_field_values_with_nan_for_gaps(store):
    _runs(store)
    melded = store.repository().meld_csv({A: "a", B: "b", C: "c"}, "loss.csv", "loss")
    assert melded.index.tolist() == [0.5, 1, 2, 3, 4]
    assert melded.index.name == "epoch"
    assert melded.loc[2].tolist() == [0.8, 0.5, None] or pd.isna(melded.loc[2, "c"])
    assert melded.loc[4, "b"] == 0.4 and pd.isna(melded.loc[4, "a"])
    assert melded.loc[1, "a"] == 0.9


def test_a_list_of_tags_labels_columns_with_tags(store):
    _runs(store)
    melded = store.repository().meld_csv([A, B], "loss.csv", "loss")
    assert list(melded.columns) == [A, B]


def test_experiments_can_be_given_instead_of_tags(store):
    _runs(store)
    wb = store.repository()
    assert list(wb.meld_csv(wb[:2], "loss.csv", "loss").columns) == [A, B]


def test_the_original_experiment_melds_with_itself(store):
    store.original()
    melded = store.repository().meld_csv({"201602142341-mn5SvgNxHY": "orig"}, "Training loss.csv", "gradientNorm")
    assert len(melded) == 20 and pd.isna(melded.loc[0.35, "orig"])


def test_an_unknown_field_names_the_fields_there_are(store):
    _runs(store)
    with pytest.raises(NotFoundError, match=r"no field 'los'.*'loss'"):
        store.repository().meld_csv([A], "loss.csv", "los")


def test_series_are_fetched_concurrently_once_each(s3_store):
    _runs(s3_store)
    wb = s3_store.repository()
    wb.storage.requests.clear()
    wb.meld_csv([A, B, C], "loss.csv", "loss")
    gets = wb.storage.requests["get"]
    assert gets == 6  # a run record and a series per experiment, nothing more
