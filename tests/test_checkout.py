"""exp.checkout(dir): the code a run ran, re-created from its tag alone (writer -> store -> reader, real git)."""

import lab_workbook
from lab_workbook import CheckoutError, CheckoutIncomplete
from lab_workbook_writer import new_experiment
import pytest


def test_the_checkout_is_byte_identical_to_the_working_tree_at_record_time(
    record_git_status, git, tree_files, store_prefix, scratch_repo, tmp_path, monkeypatch
):
    recorded = tree_files(scratch_repo)
    tag = record_git_status(store_prefix, scratch_repo)
    (scratch_repo / "train.py").write_text("changed after the run\n")  # the repository moves on
    git(scratch_repo, "commit", "-qam", "after the run")
    monkeypatch.chdir(tmp_path)
    result = lab_workbook.ExperimentRepository(store_prefix)[tag].checkout(tmp_path / "restored", repo=scratch_repo)
    assert result.complete and result.problems == []
    assert tree_files(tmp_path / "restored") == recorded
    assert result.repository == scratch_repo


def test_the_users_working_tree_is_never_touched(
    record_git_status, git, tree_files, local_prefix, scratch_repo, tmp_path
):
    tag = record_git_status(local_prefix, scratch_repo)
    (scratch_repo / "model.py").write_text("work in progress\n")
    before, status = tree_files(scratch_repo), git(scratch_repo, "status", "--porcelain")
    head = git(scratch_repo, "rev-parse", "HEAD")
    lab_workbook.ExperimentRepository(local_prefix)[tag].checkout(tmp_path / "restored", repo=scratch_repo)
    assert tree_files(scratch_repo) == before
    assert git(scratch_repo, "status", "--porcelain") == status
    assert git(scratch_repo, "rev-parse", "HEAD") == head


def test_without_repo_the_current_folders_repository_is_used(
    record_git_status, git, tree_files, local_prefix, scratch_repo, tmp_path
):
    recorded = tree_files(scratch_repo)
    tag = record_git_status(local_prefix, scratch_repo)  # leaves the working directory in the repository
    result = lab_workbook.ExperimentRepository(local_prefix)[tag].checkout(tmp_path / "restored")
    assert tree_files(tmp_path / "restored") == recorded
    assert result.repository == scratch_repo


def test_a_commit_unknown_to_the_repository_is_reported_and_the_folder_left(
    record_git_status, unrelated_repo, local_prefix, scratch_repo, tmp_path
):
    tag = record_git_status(local_prefix, scratch_repo)
    other = unrelated_repo
    exp = lab_workbook.ExperimentRepository(local_prefix)[tag]
    with pytest.raises(CheckoutIncomplete) as raised:
        exp.checkout(tmp_path / "restored", repo=other)
    commit = exp.info["git_commit"]
    message = str(raised.value)
    assert f"commit {commit} is not in {other} (no such commit)" in message
    assert "git fetch" in message and "--repo" in message
    assert "Source.git-patch not applied" in message
    restored = tmp_path / "restored"
    assert (restored / "Source.git-patch").read_bytes() == exp.read_bytes("Source.git-patch")
    assert (restored / "experiments" / "sweep.py").read_text() == "for lr in (0.1, 0.02):\n    print(lr)\n"
    assert raised.value.result.commit == commit and not raised.value.result.complete


def test_a_patch_that_does_not_apply_is_reported_and_kept_beside_the_code(
    git, tree_files, local_prefix, scratch_repo, tmp_path, monkeypatch
):
    stale = tmp_path / "stale.patch"
    stale.write_text(
        "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1,2 +1,2 @@\n"
        "-this line was never there\n+nor this one\n context\n"
    )
    monkeypatch.chdir(scratch_repo)
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_git_status()
        wb.save_file(stale, name="Source.git-patch")  # saving again replaces the recorded patch
    with pytest.raises(CheckoutIncomplete, match=r"Source\.git-patch does not apply to [0-9a-f]{12}: .*train\.py"):
        lab_workbook.ExperimentRepository(local_prefix)[wb.tag].checkout(tmp_path / "restored")
    assert (tmp_path / "restored" / "Source.git-patch").read_text() == stale.read_text()
    assert (tmp_path / "restored" / "model.py").read_text() == "class Net:\n    depth = 4\n"  # the commit is there


def test_binary_files_only_named_are_reported(record_git_status, git, tree_files, local_prefix, scratch_repo, tmp_path):
    (scratch_repo / "weights.bin").write_bytes(b"\x00\x01" * 20)
    tag = record_git_status(local_prefix, scratch_repo)
    with pytest.raises(CheckoutIncomplete) as raised:
        lab_workbook.ExperimentRepository(local_prefix)[tag].checkout(tmp_path / "restored")
    assert raised.value.result.problems == ["untracked weights.bin (binary, 40 bytes): only its name was recorded"]
    assert (tmp_path / "restored" / "experiments" / "sweep.py").is_file()  # the rest is restored


def test_a_binary_change_to_a_tracked_file_is_reported(
    record_git_status, git, tree_files, local_prefix, scratch_repo, tmp_path
):
    (scratch_repo / "blob.bin").write_bytes(b"\x00old")
    git(scratch_repo, "add", "blob.bin")
    git(scratch_repo, "commit", "-qm", "a blob")
    (scratch_repo / "blob.bin").write_bytes(b"\x00new")
    tag = record_git_status(local_prefix, scratch_repo)
    with pytest.raises(CheckoutIncomplete, match=r"blob\.bin: a binary change"):
        lab_workbook.ExperimentRepository(local_prefix)[tag].checkout(tmp_path / "restored")
    assert (tmp_path / "restored" / "train.py").read_text().endswith("warmup = 2")  # the text changes are applied


def test_a_run_without_recorded_code_cannot_be_checked_out(git, tree_files, local_prefix, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a repository: no git_commit in the run record either
    with new_experiment(local_prefix, capture_environment=False) as wb:
        pass
    with pytest.raises(CheckoutError, match=r"recorded no code state.*save_git_status"):
        lab_workbook.ExperimentRepository(local_prefix)[wb.tag].checkout(tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_a_folder_that_is_not_empty_is_refused(
    record_git_status, git, tree_files, local_prefix, scratch_repo, tmp_path
):
    tag = record_git_status(local_prefix, scratch_repo)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("keep me")
    with pytest.raises(CheckoutError, match="not an empty folder"):
        lab_workbook.ExperimentRepository(local_prefix)[tag].checkout(tmp_path / "busy")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["mine.txt"]


def test_an_untracked_file_behind_a_committed_symlink_is_not_written_outside(
    git, tree_files, local_prefix, scratch_repo, tmp_path, monkeypatch
):
    outside = tmp_path / "outside"
    outside.mkdir()
    (scratch_repo / "link").symlink_to(outside)
    git(scratch_repo, "add", "link")
    git(scratch_repo, "commit", "-qm", "a link")
    monkeypatch.chdir(scratch_repo)
    forged = tmp_path / "forged.untracked"
    forged.write_text(
        "diff --git a/link/owned.txt b/link/owned.txt\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/link/owned.txt\n@@ -0,0 +1,1 @@\n+owned\n"
    )
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_git_status()
        wb.save_file(forged, name="Source.git-untracked")  # as someone with write access to the store could
    with pytest.raises(
        CheckoutIncomplete, match=r"link/owned\.txt: an untracked file name that would leave the folder"
    ):
        lab_workbook.ExperimentRepository(local_prefix)[wb.tag].checkout(tmp_path / "restored")
    assert list(outside.iterdir()) == []


def test_a_bare_repository_holding_the_commit_works_as_repo(
    record_git_status, git, tree_files, local_prefix, scratch_repo, tmp_path, monkeypatch
):
    recorded = tree_files(scratch_repo)
    tag = record_git_status(local_prefix, scratch_repo)
    git(tmp_path, "clone", "-q", "--bare", str(scratch_repo), str(tmp_path / "bare.git"))
    monkeypatch.chdir(tmp_path)
    lab_workbook.ExperimentRepository(local_prefix)[tag].checkout(tmp_path / "restored", repo=tmp_path / "bare.git")
    assert tree_files(tmp_path / "restored") == recorded
