"""``lab-workbook diff``: parameters side by side and the code patches compared."""

import json

from lab_workbook_cli import app

A, B = "202401011000-aaaaaaaaaa", "202401021000-bbbbbbbbbb"
PATCH_A = "--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-lr = 0.1\n+lr = 0.01\n"
PATCH_B = "--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-lr = 0.1\n+lr = 0.001\n"


def _two_runs(make_run, prefix):
    make_run(
        prefix,
        A,
        {
            "parameters.json": json.dumps({"lr": 0.01, "momentum": 0.9, "opt": {"nesterov": False}}),
            "Source.git-patch": PATCH_A,
        },
    )
    make_run(
        prefix,
        B,
        {
            "parameters.json": json.dumps({"lr": 0.001, "momentum": 0.9, "opt": {"nesterov": True}, "seed": 3}),
            "Source.git-patch": PATCH_B,
        },
    )


def test_only_differing_parameters_by_default(runner, store_prefix, make_run):
    _two_runs(make_run, store_prefix)
    data = json.loads(runner.invoke(app, ["diff", A, B, "--json", "--prefix", store_prefix]).stdout)
    assert data["parameters"] == [
        {"name": "lr", "before": 0.01, "after": 0.001, "differs": True},
        {"name": "opt.nesterov", "before": False, "after": True, "differs": True},
        {"name": "seed", "before": None, "after": 3, "differs": True},
    ]


def test_all_shows_equal_parameters_too(runner, local_prefix, make_run):
    _two_runs(make_run, local_prefix)
    data = json.loads(runner.invoke(app, ["diff", A, B, "--all", "--json", "--prefix", local_prefix]).stdout)
    assert {"name": "momentum", "before": 0.9, "after": 0.9, "differs": False} in data["parameters"]


def test_the_patches_are_compared_as_a_unified_diff(runner, local_prefix, make_run):
    _two_runs(make_run, local_prefix)
    out = runner.invoke(app, ["diff", A, B, "--prefix", local_prefix]).stdout
    assert "-+lr = 0.01\n" in out and "++lr = 0.001\n" in out
    assert "\x1b[" not in out


def test_table_puts_values_side_by_side(runner, local_prefix, make_run):
    _two_runs(make_run, local_prefix)
    out = runner.invoke(app, ["diff", "-2", "-1", "--prefix", local_prefix]).stdout
    assert any(line.split() == ["lr", "0.01", "0.001"] for line in out.splitlines())
    assert not any(line.split()[:1] == ["momentum"] for line in out.splitlines())


def test_identical_runs_say_so(runner, local_prefix, make_run):
    make_run(local_prefix, A, {"parameters.json": "{}"})
    make_run(local_prefix, B, {"parameters.json": "{}"})
    out = runner.invoke(app, ["diff", A, B, "--prefix", local_prefix]).stdout
    assert "parameters: identical" in out and "identical" in out.splitlines()[-1]
