"""``lab-workbook plot``: a real PNG, one curve per run, of the requested size."""

import json

from lab_workbook_cli import app
import matplotlib.image
import pytest

A, B = "202401011000-aaaaaaaaaa", "202401021000-bbbbbbbbbb"


def _series(scale):
    rows = "".join(f"{i},{scale / i},{i},2024-01-01T10:00:{i:02d}Z\n" for i in range(1, 21))
    return "epoch,loss,gradientNorm,Date\n" + rows


@pytest.fixture
def two_runs(make_run, local_prefix):
    make_run(local_prefix, A, {"Training loss.csv": _series(1.0), "parameters.json": '{"lr": 0.1}'})
    make_run(local_prefix, B, {"Training loss.csv": _series(2.0), "parameters.json": '{"lr": 0.01}'})
    return local_prefix


def test_writes_a_png_of_the_default_size(runner, two_runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["plot", A, B, "--artifact", "Training loss", "--field", "loss", "--prefix", two_runs])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "training-loss-loss.png"
    assert matplotlib.image.imread(tmp_path / "training-loss-loss.png").shape[:2] == (600, 1000)


def test_writes_the_requested_size_to_the_requested_file(runner, two_runs, tmp_path):
    out = tmp_path / "figs" / "loss.png"
    args = ["plot", A, B, "-a", "Training loss.csv", "-f", "loss", "-o", str(out), "--width", "640", "--height", "480"]
    assert runner.invoke(app, [*args, "--prefix", two_runs]).exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert matplotlib.image.imread(out).shape[:2] == (480, 640)


def test_one_curve_per_run_labelled_by_parameter(runner, two_runs, tmp_path):
    out = tmp_path / "p.png"
    args = ["plot", "-2", "-1", "-a", "Training loss", "-f", "loss", "-o", str(out), "--label-by", "lr", "--json"]
    data = json.loads(runner.invoke(app, [*args, "--prefix", two_runs]).stdout)
    assert [(r["tag"], r["label"], r["points"]) for r in data["runs"]] == [
        (A, "lr=0.1 (aaaaaaaaaa)", 20),
        (B, "lr=0.01 (bbbbbbbbbb)", 20),
    ]


def test_smoothing_changes_the_picture(runner, two_runs, tmp_path):
    raw, smooth = tmp_path / "raw.png", tmp_path / "smooth.png"
    base = ["plot", A, "-a", "Training loss", "-f", "loss", "--prefix", two_runs]
    assert runner.invoke(app, [*base, "-o", str(raw)]).exit_code == 0
    assert runner.invoke(app, [*base, "-o", str(smooth), "--smooth", "5"]).exit_code == 0
    assert (matplotlib.image.imread(raw) != matplotlib.image.imread(smooth)).any()


def test_an_unknown_field_exits_1_naming_the_fields(runner, two_runs, tmp_path):
    result = runner.invoke(
        app, ["plot", A, "-a", "Training loss", "-f", "los", "-o", str(tmp_path / "x.png"), "--prefix", two_runs]
    )
    assert result.exit_code == 1
    assert "loss" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_smooth_below_one_is_a_usage_error(runner, two_runs):
    result = runner.invoke(app, ["plot", A, "-a", "Training loss", "-f", "loss", "--smooth", "0", "--prefix", two_runs])
    assert result.exit_code == 2


def test_without_matplotlib_plot_says_which_extra_to_install(runner, two_runs, tmp_path, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(__import__("sys").modules, name, None)  # as if not installed
    result = runner.invoke(
        app, ["plot", A, B, "-a", "Training loss", "-f", "loss", "-o", str(tmp_path / "p.png"), "--prefix", two_runs]
    )
    assert result.exit_code == 1
    assert "pip install 'lab-workbook-cli[plot]'" in result.stderr
    assert not (tmp_path / "p.png").exists()
