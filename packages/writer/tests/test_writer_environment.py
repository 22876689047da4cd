"""Every run records its environment as Environment.txt: packages, editable sources, Python, torch, GPUs."""

import json
import os
from pathlib import Path
import platform
import subprocess
import sys
import textwrap

from lab_workbook_core import InvalidNameError
from lab_workbook_core.environment import Environment
from lab_workbook_writer import new_experiment
from lab_workbook_writer._environment import git_head
from lab_workbook_writer._torch_io import nvidia_driver
import pytest


@pytest.fixture
def local_store(local_prefix):
    """The store view on a local folder only: the capture does not depend on the backend."""
    from lab_workbook_core import load_config, open_storage

    class View:
        prefix = local_prefix
        storage = open_storage(load_config(local_prefix))

        def bytes(self, tag, name):
            return self.storage.get_bytes(f"{tag}/{name}")

        def record(self, tag):
            return json.loads(self.storage.get_bytes(f"{tag}/.lab-workbook/run.json"))

    return View()


def _head(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def _fake_distribution(site: Path, name: str, version: str, direct_url: dict | None = None) -> None:
    """A distribution installed the way pip leaves one: ``<name>-<version>.dist-info`` with METADATA."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    long_description = "Name: not-this-one\nVersion: 9.9\n" * 50  # the body must not be taken for the header
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: a test package\n\n{long_description}"
    )
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))


def _record_in_subprocess(store: str, site: Path, cwd: Path, extra: str = "") -> tuple[str, str]:
    """Record a run in a fresh interpreter with ``site`` on its path; the tag, and what it printed."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(site)!r})
        {extra}
        from lab_workbook_writer import new_experiment
        with new_experiment({store!r}) as wb:
            pass
        print("torch imported:", "torch" in sys.modules)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env, check=True)
    return out.stdout.split()[2], out.stdout


def test_a_run_records_every_installed_package_with_its_version(local_store, tmp_path, git_repo):
    site = tmp_path / "site"
    _fake_distribution(site, "plain-package", "1.2.3")
    _fake_distribution(site, "my-editable", "0.1.dev0", {"url": git_repo.as_uri(), "dir_info": {"editable": True}})
    tag, _ = _record_in_subprocess(local_store.prefix, site, tmp_path)
    env = Environment.parse(local_store.bytes(tag, "Environment.txt").decode())
    assert env.packages["plain-package"].version == "1.2.3"
    assert env.packages["plain-package"].kind == "index"
    editable = env.packages["my-editable"]
    assert (editable.version, editable.kind, editable.source, editable.commit) == (
        "0.1.dev0",
        "editable",
        str(git_repo),
        _head(git_repo),
    )
    assert env.packages["lab-workbook-writer"].version  # the interpreter's own packages too
    assert env.facts["python"] == platform.python_version()


def test_urls_are_recorded_without_credentials(local_store, tmp_path):
    site = tmp_path / "site"
    _fake_distribution(
        site,
        "from-git",
        "2.0",
        {
            "url": "https://deploy:s3cr3t-token@git.example.com/team/lib.git?private_token=abc#frag",
            "vcs_info": {"vcs": "git", "commit_id": "0123456789abcdef0123456789abcdef01234567"},
        },
    )
    _fake_distribution(
        site,
        "from-archive",
        "3.0",
        {
            "url": "https://user:pass@pypi.example.com/packages/from_archive-3.0.tar.gz?X-Amz-Signature=d3adb33f",
            "archive_info": {},
        },
    )
    tag, _ = _record_in_subprocess(local_store.prefix, site, tmp_path)
    text = local_store.bytes(tag, "Environment.txt").decode()
    assert "from-git==2.0  # git: https://git.example.com/team/lib.git @ 0123456789abcdef" in text
    assert "from-archive==3.0  # url: https://pypi.example.com/packages/from_archive-3.0.tar.gz\n" in text
    for secret in ("s3cr3t", "deploy", "private_token", "user:pass", "X-Amz", "d3adb33f"):
        assert secret not in text


def test_the_environment_file_is_a_pip_requirements_file(local_store, tmp_path):
    site = tmp_path / "site"
    _fake_distribution(site, "plain-package", "1.2.3")
    tag, _ = _record_in_subprocess(local_store.prefix, site, tmp_path)
    lines = local_store.bytes(tag, "Environment.txt").decode().splitlines()
    assert lines[0] == "# lab-workbook environment, format 1"
    requirements = [line.split("  #")[0] for line in lines if not line.startswith("#")]
    assert "plain-package==1.2.3" in requirements
    assert all("==" in r and " " not in r for r in requirements)


def test_the_run_record_holds_a_short_summary(local_store, tmp_path):
    site = tmp_path / "site"
    _fake_distribution(site, "plain-package", "1.2.3")
    tag, _ = _record_in_subprocess(local_store.prefix, site, tmp_path)
    summary = local_store.record(tag)["environment"]
    env = Environment.parse(local_store.bytes(tag, "Environment.txt").decode())
    assert summary["artifact"] == "Environment.txt"
    assert summary["packages"] == len(env.packages)
    assert set(summary["editable"]) == {p.name for p in env.packages.values() if p.kind == "editable"}
    assert len(summary["packages_sha256"]) == 64


def test_the_capture_never_imports_torch_and_says_cuda_was_not_queried(local_store, tmp_path, torch):
    code_site = tmp_path / "site"
    code_site.mkdir()
    tag, printed = _record_in_subprocess(local_store.prefix, code_site, tmp_path)
    env = Environment.parse(local_store.bytes(tag, "Environment.txt").decode())
    assert env.facts["torch"] == env.packages["torch"].version
    assert env.facts["torch-cuda"].startswith("not queried")
    assert "torch imported: False" in printed


def test_with_torch_imported_its_cuda_cudnn_and_gpus_are_recorded(local_store, torch):
    with new_experiment(local_store.prefix) as wb:
        pass
    env = Environment.parse(local_store.bytes(wb.tag, "Environment.txt").decode())
    assert env.facts["torch"] == str(torch.__version__)
    assert env.facts["torch-cuda"] == str(torch.version.cuda or "none")
    expected_gpus = "; ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())) or "none"
    assert env.facts["gpus"] == expected_gpus


def test_capture_environment_false_records_nothing(store):
    with new_experiment(store.prefix, capture_environment=False) as wb:
        wb.save_json("parameters", {})
    assert "Environment.txt" not in store.keys(wb.tag)
    assert "environment" not in store.record(wb.tag)


def test_environment_txt_is_reserved(local_store, tmp_path):
    (tmp_path / "Environment.txt").write_text("mine")
    with new_experiment(local_store.prefix) as wb:
        with pytest.raises(InvalidNameError, match="reserved"):
            wb.save_file(tmp_path / "Environment.txt")
        with pytest.raises(InvalidNameError, match="reserved"):
            wb.save_file(tmp_path / "Environment.txt", name="Environment.txt")


def test_a_run_closed_at_once_still_has_its_environment(store):
    wb = new_experiment(store.prefix)
    wb.close()
    assert "Environment.txt" in store.keys(wb.tag)
    assert "Environment.txt" in store.record(wb.tag)["artifacts"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_the_commit_of_an_editable_source_is_read_from_git_files(git_repo):
    assert git_head(git_repo / "sub" / "folder") == _head(git_repo)  # from a folder below the root


def test_the_commit_is_found_through_packed_refs(git_repo):
    _git(git_repo, "pack-refs", "--all")
    assert not list((git_repo / ".git" / "refs" / "heads").iterdir())
    assert git_head(git_repo) == _head(git_repo)


def test_the_commit_of_a_linked_worktree_is_its_own(git_repo, tmp_path):
    (git_repo / "train.py").write_text("lr = 0.2\n")
    _git(git_repo, "-c", "user.name=A", "-c", "user.email=a@x", "commit", "-qam", "second")
    _git(git_repo, "worktree", "add", "-q", "--detach", str(tmp_path / "wt"), "HEAD~1")
    assert git_head(tmp_path / "wt") == _head(tmp_path / "wt") != _head(git_repo)


def test_no_commit_outside_a_repository(tmp_path):
    assert git_head(tmp_path) is None


def test_the_nvidia_driver_version_is_read_from_proc(tmp_path):
    proc = tmp_path / "version"
    proc.write_text(
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  535.104.05  Release Build\nGCC version: 12\n"
    )
    assert nvidia_driver(proc) == "535.104.05"
    proc.write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n")
    assert nvidia_driver(proc) == "550.54.15"
    assert nvidia_driver(tmp_path / "absent") is None


def test_the_capture_runs_no_subprocess(monkeypatch):
    from lab_workbook_writer._environment import capture

    def refuse(*args, **kwargs):
        raise AssertionError(f"the capture started a subprocess: {args}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    env = capture()
    assert env.packages and env.facts["platform"].startswith(platform.system())
