"""The compare view's data: curves aligned on one x, and the documented per-pixel min/max reduction."""

import json

from lab_workbook import ExperimentRepository
from lab_workbook_core import ConfigError
from lab_workbook_ui._curves import curves_json, minmax_reduce
import numpy as np
import pytest


def test_minmax_reduction_keeps_every_peak_and_dip_in_order():
    x = np.arange(10_000, dtype=float)
    y = np.sin(x / 50)
    y[1234], y[8765] = 50.0, -50.0  # single-point spikes
    kept = minmax_reduce(x, y, 0, 9_999, 100)
    assert len(kept) <= 200
    assert 1234 in kept and 8765 in kept
    assert list(kept) == sorted(kept)
    assert y[kept].max() == 50.0 and y[kept].min() == -50.0


def test_a_curve_with_fewer_points_than_pixels_is_not_reduced():
    x = np.arange(50, dtype=float)
    assert list(minmax_reduce(x, x * 2, 0, 49, 100)) == list(range(50))


def test_curves_of_several_runs_share_one_x_and_say_when_they_are_reduced(run_store):
    a = run_store.run(0, points=5000)
    b = run_store.run(1, points=300)
    wb = ExperimentRepository(run_store.prefix)
    data = json.loads(curves_json(wb, [a, b], "Training loss.csv", ["loss"], width=200))
    assert data["reduced"] is True and data["x_label"] == "step"
    first, second = data["curves"]
    assert (first["points"], second["points"]) == (5000, 300)
    assert first["shown"] <= 400 and second["shown"] <= 400
    assert len(first["y"]) == len(second["y"]) == len(data["x"])
    assert max(v for v in first["y"] if v is not None) == pytest.approx(2.0)  # loss at step 0 kept


def test_every_point_when_asked_and_fields_default_to_all(run_store):
    tag = run_store.run(0, points=3000)
    wb = ExperimentRepository(run_store.prefix)
    data = json.loads(curves_json(wb, [tag], "Training loss.csv", [], width=None))
    assert data["reduced"] is False
    assert [c["field"] for c in data["curves"]] == ["loss", "accuracy"]
    assert data["x"] == list(range(3000))


def test_x_by_time_is_seconds_since_1970(run_store):
    tag = run_store.run(0, points=3)
    wb = ExperimentRepository(run_store.prefix)
    data = json.loads(curves_json(wb, [tag], "Training loss.csv", ["loss"], x="time"))
    start = run_store.started(tag).timestamp()
    assert data["x"] == [start, start + 1, start + 2]


def test_smoothing_flattens_a_noisy_curve_and_a_run_without_the_series_is_named(run_store):
    tag = run_store.run(0, points=400)
    bare = run_store.run(1, points=0)
    wb = ExperimentRepository(run_store.prefix)
    raw = json.loads(curves_json(wb, [tag], "Training loss.csv", ["loss"], width=None))
    smooth = json.loads(curves_json(wb, [tag, bare], "Training loss.csv", ["loss"], width=None, smooth=0.9))
    assert smooth["missing"] == [bare]
    assert smooth["curves"][0]["y"][0] == raw["curves"][0]["y"][0]
    assert smooth["curves"][0]["y"][5] > raw["curves"][0]["y"][5]  # a decreasing curve lags when smoothed


@pytest.mark.parametrize("option", [{"x": "epoch"}, {"smooth": 1.0}, {"width": 0}])
def test_bad_options_are_refused_with_what_to_do(run_store, option):
    tag = run_store.run(0, points=3)
    with pytest.raises(ConfigError, match="must"):
        curves_json(ExperimentRepository(run_store.prefix), [tag], "Training loss.csv", ["loss"], **option)


def test_snapped_curves_of_the_panels_share_a_grid_of_two_points_per_pixel_column(run_store):
    tags = [run_store.run(i, points=5000) for i in range(4)]
    wb = ExperimentRepository(run_store.prefix)
    exact = json.loads(curves_json(wb, tags, "Training loss.csv", ["loss", "accuracy"], width=50))
    snapped = json.loads(curves_json(wb, tags, "Training loss.csv", ["loss", "accuracy"], width=50, snap=True))
    assert len(snapped["x"]) <= 2 * 50  # two quarter marks per pixel column
    for before, after in zip(exact["curves"], snapped["curves"], strict=True):
        kept = [v for v in before["y"] if v is not None]
        assert [v for v in after["y"] if v is not None] == kept  # the same points, at their column's marks
        assert max(kept) == max(after["y"][i] for i in range(len(after["y"])) if after["y"][i] is not None)
