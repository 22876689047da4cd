"""``lab-workbook checkout`` and ``lab-workbook env``: runs recorded by the real writer, read through the CLI."""

import json
import os
from pathlib import Path
import subprocess
import sys
import textwrap

from lab_workbook_cli import app
from lab_workbook_core import load_config, open_storage
from lab_workbook_writer import new_experiment
import pytest
from typer.testing import CliRunner


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_checkout_recreates_the_working_tree_and_prints_the_folder(
    record_git_status, runner, local_prefix, scratch_repo, tree_files, tmp_path, monkeypatch
):
    recorded = tree_files(scratch_repo)
    tag = record_git_status(local_prefix, scratch_repo)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["checkout", tag, "restored", "--repo", str(scratch_repo), "--prefix", local_prefix])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "restored")
    assert "restored commit" in result.stderr and "Source.git-patch: 4 files changed" in result.stderr
    assert tree_files(tmp_path / "restored") == recorded


def test_checkout_by_default_goes_beside_the_repository_you_are_in(
    record_git_status, runner, local_prefix, scratch_repo, tree_files
):
    recorded = tree_files(scratch_repo)
    tag = record_git_status(local_prefix, scratch_repo)  # the working directory is the repository
    result = runner.invoke(app, ["checkout", "latest", "--prefix", local_prefix])
    assert result.exit_code == 0, result.stderr
    target = scratch_repo.parent / f"project-{tag}"
    assert result.stdout.strip() == str(target)
    assert tree_files(target) == recorded
    assert tree_files(scratch_repo) == recorded  # nothing was added to the working tree


def test_checkout_of_an_unknown_commit_exits_1_saying_what_was_not_restored(
    record_git_status, unrelated_repo, runner, local_prefix, scratch_repo, tmp_path
):
    tag = record_git_status(local_prefix, scratch_repo)
    elsewhere = unrelated_repo
    result = runner.invoke(
        app, ["checkout", tag, str(tmp_path / "out"), "--repo", str(elsewhere), "--prefix", local_prefix]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "restored Source.git-untracked: 3 untracked files written\nerror: could not restore"
    )
    assert f"is not in {elsewhere} (no such commit)" in result.stderr
    assert "Source.git-patch not applied" in result.stderr
    assert (tmp_path / "out" / "Source.git-patch").is_file()  # left for inspection
    assert result.stdout == ""


def test_checkout_of_a_patch_that_does_not_apply_exits_1(
    runner, local_prefix, scratch_repo, git, tmp_path, monkeypatch
):
    bad = tmp_path / "bad.patch"
    bad.write_text("diff --git a/model.py b/model.py\n--- a/model.py\n+++ b/model.py\n@@ -1 +1 @@\n-nope\n+nah\n")
    monkeypatch.chdir(scratch_repo)
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_git_status()
        wb.save_file(bad, name="Source.git-patch")
    result = runner.invoke(app, ["checkout", wb.tag, str(tmp_path / "out"), "--json", "--prefix", local_prefix])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["complete"] is False and data["commit"] == git(scratch_repo, "rev-parse", "HEAD").strip()
    assert len(data["problems"]) == 1 and "Source.git-patch does not apply" in data["problems"][0]
    assert "model.py" in data["problems"][0]


def _run_with_packages(prefix: str, site: Path, cwd: Path) -> str:
    """A run recorded by a fresh interpreter with ``site`` first on its path (real environment capture)."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(site)!r})
        from lab_workbook_writer import new_experiment
        with new_experiment({prefix!r}) as wb:
            pass
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=dict(os.environ), check=True
    )
    return out.stdout.split()[2]


def _install(site: Path, name: str, version: str) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def test_env_diff_shows_exactly_the_package_that_differs(runner, local_prefix, tmp_path):
    _install(tmp_path / "site-a", "shared-package", "1.0")
    _install(tmp_path / "site-b", "shared-package", "1.0")
    _install(tmp_path / "site-b", "extra-package", "0.3.1")
    first = _run_with_packages(local_prefix, tmp_path / "site-a", tmp_path)
    second = _run_with_packages(local_prefix, tmp_path / "site-b", tmp_path)
    result = runner.invoke(app, ["env", first, "--diff", second, "--json", "--prefix", local_prefix])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(p["change"], p["name"], p["before"], p["after"]["version"]) for p in data["packages"]] == [
        ("added", "extra-package", None, "0.3.1")
    ]
    assert data["facts"] == {}
    text = runner.invoke(app, ["env", first, "--diff", second, "--prefix", local_prefix]).stdout
    assert any(line.split() == ["added", "extra-package", "-", "0.3.1"] for line in text.splitlines())
    shown = runner.invoke(app, ["diff", first, second, "--prefix", local_prefix]).stdout
    assert f"environment: 1 package differs (1 added) (lab-workbook env {first} --diff {second})\n" in shown


def _put_environment(prefix: str, tag: str, text: str) -> None:
    storage = open_storage(load_config(prefix))
    storage.put_bytes(f"{tag}/Environment.txt", text.encode())


ENV_A = """# lab-workbook environment, format 1
# python: 3.11.9
# torch-cuda: 12.1
numpy==1.26.4
torch==2.12.0
mylib==0.1  # editable: /home/me/mylib @ aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
"""
ENV_B = ENV_A.replace("torch==2.12.0", "torch==2.13.0").replace("# torch-cuda: 12.1", "# torch-cuda: 12.4")


def test_env_diff_names_upgrades_and_facts(runner, store_prefix):
    _put_environment(store_prefix, "202401011000-aaaaaaaaaa", ENV_A)
    _put_environment(store_prefix, "202401021000-bbbbbbbbbb", ENV_B)
    result = runner.invoke(app, ["env", "-2", "--diff", "-1", "--prefix", store_prefix])
    assert result.exit_code == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["upgraded", "torch", "2.12.0", "2.13.0"] in lines
    assert ["torch-cuda", "12.1", "12.4"] in lines
    assert not any(line[:1] in (["numpy"], ["mylib"]) or line[1:2] in (["numpy"], ["mylib"]) for line in lines)


def test_env_prints_facts_and_packages_with_their_source(runner, local_prefix):
    _put_environment(local_prefix, "202401011000-aaaaaaaaaa", ENV_A)
    result = runner.invoke(app, ["env", "latest", "--prefix", local_prefix])
    assert result.exit_code == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["python", "3.11.9"] in lines
    assert ["mylib", "0.1", "editable:", "/home/me/mylib", "@", "aaaaaaaaaaaa"] in lines
    assert ["numpy", "1.26.4"] in lines


def test_env_of_a_run_without_environment_exits_1_and_says_why(runner, local_prefix):
    storage = open_storage(load_config(local_prefix))
    storage.put_bytes("202401011000-aaaaaaaaaa/parameters.json", b"{}")
    result = runner.invoke(app, ["env", "latest", "--prefix", local_prefix])
    assert result.exit_code == 1
    assert "has no Environment.txt" in result.stderr and "capture_environment=False" in result.stderr
