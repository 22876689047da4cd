"""The run record (``<tag>/.lab-workbook/run.json``): who ran what, where, and how it ended.

Field by field it is documented in ``docs/format.md``. Environment variables are
recorded only from an explicit allow-list, and names that look like secrets are
refused even when listed, so no credential can reach the store through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import getpass
import importlib.metadata
import os
import platform
import re
import socket
import sys
from typing import Any

from lab_workbook_core import InvalidValueError
from lab_workbook_core.record import RECORD_FORMAT, RECORD_FORMAT_VERSION, RUNNING, format_time, new_nonce
from lab_workbook_core.record import RunRecord as StoredRecord
from lab_workbook_core.summary import thawed_json

from .__about__ import __version__

__all__ = ["DEFAULT_ENV_ALLOWLIST", "RunRecord", "check_allowlist", "retagged_record"]

#: Environment variables recorded by default: where and on what a job ran, never secrets.
DEFAULT_ENV_ALLOWLIST: tuple[str, ...] = (
    "CUDA_VISIBLE_DEVICES",
    "SLURM_JOB_ID",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_JOB_NAME",
    "SLURM_JOB_NODELIST",
    "PBS_JOBID",
    "LSB_JOBID",
    "WORLD_SIZE",
    "RANK",
    "LOCAL_RANK",
    "OMP_NUM_THREADS",
    "CONDA_DEFAULT_ENV",
    "VIRTUAL_ENV",
)
_SECRET = re.compile(r"SECRET|TOKEN|PASSW|CREDENTIAL|KEY|AUTH|SESSION|COOKIE|PRIVATE", re.IGNORECASE)


def check_allowlist(names: Iterable[str]) -> tuple[str, ...]:
    """The allow-list as a tuple; refuses names that look like credentials."""
    names = tuple(names)
    risky = [n for n in names if _SECRET.search(n) or n.upper().startswith("AWS_")]
    if risky:
        raise InvalidValueError(
            f"env_allowlist names {', '.join(map(repr, risky))}, which look like credentials; lab-workbook never "
            "records secrets. Remove them (record what you need with save_json instead)."
        )
    return names


def _torch_facts() -> tuple[str | None, list[str] | None]:
    torch = sys.modules.get("torch")
    if torch is None:  # not imported: report the installed version, do not pay torch's import for it
        try:
            return importlib.metadata.version("torch"), None
        except importlib.metadata.PackageNotFoundError:
            return None, None
    devices: list[str] = []
    try:
        if torch.cuda.is_available():
            devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # a broken CUDA setup must not stop the run from starting
        devices = []
    return str(torch.__version__), devices


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return None


class RunRecord:
    """The run's record as it stands (core's frozen :class:`~lab_workbook_core.record.RunRecord`), and
    its bytes at any moment of the run.

    The experiment changes it under its own lock; each change replaces :attr:`current`.
    """

    def __init__(
        self,
        *,
        heartbeat_interval: float,
        description: str | None,
        git_commit: str | None,
        env_allowlist: Iterable[str],
        environ: Mapping[str, str] | None = None,
        parent: Mapping[str, Any] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        torch_version, cuda_devices = _torch_facts()
        self.current = StoredRecord.from_mapping(
            {
                "format": RECORD_FORMAT,
                "format_version": RECORD_FORMAT_VERSION,
                "tag": None,
                "status": RUNNING,
                "started": format_time(),
                "ended": None,
                "heartbeat": None,
                "heartbeat_interval": heartbeat_interval,
                "description": description,
                "error": None,
                "host": socket.gethostname(),
                "user": _user(),
                "pid": os.getpid(),
                "argv": list(sys.argv),
                "cwd": os.getcwd(),
                "python": platform.python_version(),
                "torch": torch_version,
                "cuda_devices": cuda_devices,
                "git_commit": git_commit,
                "env": {name: env[name] for name in check_allowlist(env_allowlist) if name in env},
                "writer_version": __version__,
                "nonce": new_nonce(),  # which writer's record this is, when a store lets two claim one tag
                "artifacts": {},
            }
        )
        if parent is not None:  # a fork: {"tag", "step"} of the run it started from (docs/format.md)
            self.current = self.current.replace(parent=dict(parent))

    def update(self, **changes: Any) -> None:
        """Change fields (:meth:`~lab_workbook_core.record.RunRecord.replace`): sent with the next record."""
        self.current = self.current.replace(**changes)

    def add_artifact(self, name: str, size: int, sha256: str) -> None:
        """List an artifact saved (or saved again) with its size and digest."""
        artifacts = dict(self.current.artifacts or {})
        artifacts[name] = {"size": size, "sha256": sha256}
        self.current = self.current.replace(artifacts=artifacts)

    def to_bytes(self, tag: str | None = None, **changes: Any) -> bytes:
        """The record as JSON, with a fresh heartbeat and any changed fields (``summary=None``: none)."""
        if tag is not None:
            changes["tag"] = tag
        self.current = self.current.replace(**changes, heartbeat=format_time())
        if self.current.attempts and {"status", "ended", "error"} & changes.keys():
            self.current = self.current.replace(attempts=_current_attempt(self.current))
        return self.current.to_json_bytes()


def _current_attempt(record: StoredRecord) -> list[dict[str, Any]]:
    """A resumed run's ``attempts`` whose last entry (this process's) says what the record says of it."""
    attempts = [dict(thawed_json(entry)) for entry in record.attempts or ()]
    attempts[-1].update(
        status=record.status, ended=record.ended, error=dict(record.error) if record.error is not None else None
    )
    return attempts


def retagged_record(data: bytes, tag: str, *, claim: bool = False) -> bytes:
    """A spooled run record's bytes naming ``tag`` instead (``lab-workbook sync --retag``).

    Args:
        data: the record as the writer spooled it.
        tag: the run's new tag.
        claim: make it the record that claims the tag: ``running``, not yet ended, without
            a summary (the final record, sent last, says how the run ended).
    """
    record = StoredRecord.parse(data, tag).replace(tag=tag)
    if claim:
        record = record.replace(status=RUNNING, ended=None, summary=None)
    return record.to_json_bytes()
