"""Capturing a run's environment as ``Environment.txt``, on a thread of its own.

What ``pip freeze`` would say, read through ``importlib.metadata`` (no subprocess):
every distribution on ``sys.path`` with its version, editable installs with their
source folder and its commit (PEP 610's ``direct_url.json``; the commit is read from
the ``.git`` folder's files, without running git), VCS and URL installs with their
URL stripped of credentials; then the Python build, and torch's CUDA, cuDNN and GPU
facts (:func:`lab_workbook_writer._torch_io.cuda_facts`). Only the header of each
``METADATA`` file is parsed: the long description after it is most of the bytes and
most of the time.

The capture starts with the run and runs beside the training loop; :meth:`EnvironmentCapture.finish`
(called by ``close``) waits for it so the artifact lands before the final run record.
The result is handed to a callback (the experiment's, which queues it like any saved
file): nothing here knows the experiment. A capture that fails or hangs costs a
warning, never the run.
"""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
import platform
import sys
import threading
import time
from typing import Any
from urllib.parse import unquote, urlparse

from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT, Environment, Package, strip_credentials

from ._notices import warn
from ._torch_io import cuda_facts

__all__ = ["EnvironmentCapture", "capture", "git_head", "summary"]


def capture() -> Environment:
    """The running interpreter's environment, now."""
    facts = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "build": " ".join(platform.python_build()),
        "compiler": platform.python_compiler(),
        "executable": sys.executable,
        "platform": _platform(),
    }
    packages = _packages()
    torch = cuda_facts()
    if not torch and (installed := next((p for p in packages if p.name.lower() == "torch"), None)):
        torch = {"torch": installed.version, "torch-cuda": "not queried (the script had not imported torch)"}
    return Environment.of({**facts, **torch}, packages)


def _platform() -> str:
    """``Linux-6.1.0-x86_64-glibc2.36``; unlike ``platform.platform()``, it never runs ``uname -p``."""
    uname = platform.uname()  # its processor field, the one that runs a subprocess, is never read
    parts = [uname.system, uname.release, uname.machine]
    try:
        parts.append((os.confstr("CS_GNU_LIBC_VERSION") or "").replace(" ", ""))
    except (AttributeError, ValueError, OSError):  # not glibc, or not a POSIX system
        pass
    return "-".join(part for part in parts if part)


def _packages() -> list[Package]:
    found = []
    for dist in importlib.metadata.distributions():
        name, version = _name_and_version(dist)
        if name and version:
            found.append(_with_origin(Package(name, version), dist))
        time.sleep(0)  # hand the GIL to the training thread between packages: the capture is never in its way
    return found


def _name_and_version(dist: importlib.metadata.Distribution) -> tuple[str | None, str | None]:
    """``Name`` and ``Version`` from the metadata's header, which ends at the first blank line."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    name = version = None
    for line in text.replace("\r\n", "\n").partition("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        if key == "Name" and name is None:
            name = value.strip()
        elif key == "Version" and version is None:
            version = value.strip()
    return name, version


def _with_origin(package: Package, dist: importlib.metadata.Distribution) -> Package:
    """The package with where it was installed from, when ``direct_url.json`` says (PEP 610)."""
    try:
        origin = json.loads(dist.read_text("direct_url.json") or "null")
    except ValueError:
        return package
    if not isinstance(origin, dict) or not isinstance(origin.get("url"), str):
        return package
    url = strip_credentials(origin["url"])
    vcs, directory = origin.get("vcs_info"), origin.get("dir_info")
    if isinstance(vcs, dict):
        commit = vcs.get("commit_id") if isinstance(vcs.get("commit_id"), str) else None
        return Package(package.name, package.version, str(vcs.get("vcs", "vcs")), url, commit)
    if isinstance(directory, dict):
        path = _file_path(url)
        kind = "editable" if directory.get("editable") else "local"
        return Package(package.name, package.version, kind, path or url, git_head(Path(path)) if path else None)
    return Package(package.name, package.version, "url", url)


def _file_path(url: str) -> str | None:
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def git_head(folder: Path) -> str | None:
    """The commit checked out in the git repository holding ``folder``, read from ``.git``'s files.

    Handles worktrees (a ``.git`` file naming the real folder), symbolic refs and
    packed refs. ``None`` outside a repository, or when the refs cannot be read.
    """
    try:
        for candidate in (folder, *folder.parents):
            dot_git = candidate / ".git"
            if dot_git.is_dir():
                return _resolve_head(dot_git)
            if dot_git.is_file():
                pointer = dot_git.read_text().strip()
                if pointer.startswith("gitdir:"):
                    gitdir = Path(pointer.removeprefix("gitdir:").strip())
                    return _resolve_head(gitdir if gitdir.is_absolute() else candidate / gitdir)
                return None
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _resolve_head(gitdir: Path) -> str | None:
    common = gitdir
    if (gitdir / "commondir").is_file():  # a linked worktree: refs live in the main repository
        common = (gitdir / (gitdir / "commondir").read_text().strip()).resolve()
    head = (gitdir / "HEAD").read_text().strip()
    for _ in range(5):  # a symbolic ref may point at another symbolic ref
        if not head.startswith("ref:"):
            return head if _is_hash(head) else None
        ref = head.removeprefix("ref:").strip()
        for root in (gitdir, common):
            if (root / ref).is_file():
                head = (root / ref).read_text().strip()
                break
        else:
            return _packed_ref(common, ref)
    return None


def _packed_ref(common: Path, ref: str) -> str | None:
    packed = common / "packed-refs"
    if not packed.is_file():
        return None
    for line in packed.read_text().splitlines():
        value, _, name = line.partition(" ")
        if name == ref and _is_hash(value):
            return value
    return None


def _is_hash(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def summary(env: Environment) -> dict[str, Any]:
    """The short form kept in the run record: enough to see at a glance whether two runs differ."""
    lines = "\n".join(package.line() for package in env.packages.values())
    return {
        "artifact": ENVIRONMENT_ARTIFACT,
        "packages": len(env.packages),
        "editable": [p.name for p in env.packages.values() if p.kind == "editable"],
        "packages_sha256": hashlib.sha256(lines.encode("utf-8")).hexdigest(),
        "torch_cuda": env.facts.get("torch-cuda"),
        "cudnn": env.facts.get("cudnn"),
    }


class EnvironmentCapture:
    """The capture of one experiment's environment, on a daemon thread.

    Args:
        label: the run's tag, for the thread's name and the messages.
        deliver: called once with :meth:`Environment.render`'s text (``Environment.txt``) and
            :func:`summary` (the run record's ``environment`` field), unless :meth:`finish`
            gave up waiting first. It may raise: the run goes on without the environment.
    """

    def __init__(self, label: str, deliver: Callable[[str, dict[str, Any]], None]) -> None:
        self._label, self._deliver = label, deliver
        self._guard = threading.Lock()
        self._abandoned = False
        self._thread = threading.Thread(target=self._run, name=f"lab-workbook-environment-{label}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        time.sleep(0.02)  # let new_experiment() return first: this thread would have the GIL as it starts
        try:
            env = capture()
            with self._guard:
                if self._abandoned:
                    return
                self._deliver(env.render(), summary(env))
        except Exception as err:  # the run goes on without it; say so once
            warn(f"experiment {self._label}: the environment was not recorded ({type(err).__name__}: {err})")

    def finish(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the capture; a later result is dropped."""
        self._thread.join(timeout)
        with self._guard:
            if self._thread.is_alive():
                warn(
                    f"experiment {self._label}: the environment capture took over {timeout:g} s; "
                    f"{ENVIRONMENT_ARTIFACT} is not recorded"
                )
            self._abandoned = True
