"""save_git_status records the commit, the diff and the untracked files; outside git it only warns."""

import subprocess

from lab_workbook_writer import new_experiment
import pytest


def test_the_current_commit_and_the_diff_against_head_are_saved(store, git_repo, monkeypatch):
    (git_repo / "train.py").write_text("lr = 0.5\n")
    monkeypatch.chdir(git_repo)
    with new_experiment(store.prefix) as wb:
        assert wb.save_git_status() is True
    commit = store.bytes(wb.tag, "Source.git-current-commit").decode()
    assert commit.startswith("commit ") and "first commit" in commit
    patch = store.bytes(wb.tag, "Source.git-patch").decode()
    assert "-lr = 0.1" in patch and "+lr = 0.5" in patch


def test_the_commit_hash_goes_into_the_run_record(store, git_repo, monkeypatch):
    monkeypatch.chdir(git_repo)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=git_repo, capture_output=True, text=True).stdout.strip()
    with new_experiment(store.prefix) as wb:
        pass
    assert store.record(wb.tag)["git_commit"] == head


def test_untracked_text_files_are_saved_as_a_patch_and_binaries_only_listed(store, git_repo, monkeypatch):
    (git_repo / "new_model.py").write_text("class Net:\n    pass")
    (git_repo / "weights.bin").write_bytes(b"\x00\x01\x02" * 10)
    (git_repo / "ignored.log").write_text("ignored by .gitignore")
    monkeypatch.chdir(git_repo)
    with new_experiment(store.prefix) as wb:
        wb.save_git_status("Code")
    untracked = store.bytes(wb.tag, "Code.git-untracked").decode()
    assert "--- /dev/null\n+++ b/new_model.py\n@@ -0,0 +1,2 @@\n+class Net:\n+    pass\n" in untracked
    assert "\\ No newline at end of file" in untracked
    assert "weights.bin (binary, 30 bytes)" in untracked
    assert "ignored" not in untracked


def test_the_untracked_patch_is_applicable_with_git_apply(store, git_repo, monkeypatch, tmp_path):
    (git_repo / "notes.md").write_text("# notes\n\nline\n")
    monkeypatch.chdir(git_repo)
    with new_experiment(store.prefix) as wb:
        wb.save_git_status()
    patch = tmp_path / "untracked.patch"
    patch.write_bytes(store.bytes(wb.tag, "Source.git-untracked"))
    (git_repo / "notes.md").unlink()
    subprocess.run(["git", "apply", str(patch)], cwd=git_repo, check=True)
    assert (git_repo / "notes.md").read_text() == "# notes\n\nline\n"


def test_untracked_files_are_capped_at_one_mebibyte(store, git_repo, monkeypatch):
    (git_repo / "a_small.txt").write_text("small\n")
    (git_repo / "b_huge.txt").write_text("x" * 80 + "\n" * 1 + ("y" * 99 + "\n") * 11_000)
    monkeypatch.chdir(git_repo)
    with new_experiment(store.prefix) as wb:
        wb.save_git_status()
    untracked = store.bytes(wb.tag, "Source.git-untracked")
    assert len(untracked) <= 1024 * 1024
    assert b"+small" in untracked and b"b_huge.txt (" in untracked and b"over the 1024 KiB limit" in untracked


def test_repo_chooses_another_repository(store, git_repo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with new_experiment(store.prefix) as wb:
        assert wb.save_git_status(repo=git_repo) is True
    assert "first commit" in store.bytes(wb.tag, "Source.git-current-commit").decode()


def test_outside_a_repository_it_warns_once_and_saves_nothing(store, tmp_path, monkeypatch):
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with new_experiment(store.prefix) as wb, pytest.warns(UserWarning, match="not inside a git repository") as caught:
        assert wb.save_git_status() is False
    assert len(caught) == 1
    assert not [k for k in store.keys(wb.tag) if ".git-" in k]
