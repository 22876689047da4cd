"""What keeps every tracker off the internet while it is measured, and what proves it.

Each child process gets the environment of :func:`offline_environment` (offline modes, no
telemetry, a fresh HOME) and, before any tracker is imported, :func:`guard_sockets`, which
refuses any connection from Python code to an address that is not loopback and records the
attempt: a tracker that tries to phone home fails or carries on, and the report says so.
The guard sees Python sockets only; W&B's ``wandb-core`` is a Go process, kept offline by
``WANDB_MODE=offline`` alone.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
import socket

__all__ = ["blocked_attempts", "guard_sockets", "offline_environment"]

_BLOCKED: list[str] = []


def offline_environment(root: Path) -> dict[str, str]:
    """Variables for a child process that writes under ``root`` and must not reach the internet."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "DO_NOT_TRACK": "1",
        # MLflow: a sqlite store under root, asynchronous logging, no telemetry.
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "MLFLOW_ENABLE_ASYNC_LOGGING": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        # W&B: offline, no login prompt, files under root.
        "WANDB_MODE": "offline",
        "WANDB_SILENT": "true",
        "WANDB_DIR": str(root),
        "WANDB_DISABLE_GIT": "true",
        "WANDB_API_KEY": "",
        # Aim: the UI's telemetry off (the SDK sends none).
        "AIM_UI_TELEMETRY_ENABLED": "0",
        # trackio: a local folder, no Hugging Face Hub.
        "TRACKIO_DIR": str(root / "trackio"),
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        # lab-workbook: spool and reader cache under root (the store is given as a prefix).
        "LAB_WORKBOOK_SPOOL_DIR": str(root / "lab-workbook-spool"),
        "LAB_WORKBOOK_CACHE_DIR": str(root / "lab-workbook-cache"),
        "LAB_WORKBOOK_CONFIG": str(root / "no-lab-workbook-config"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths, abstract sockets
        return True
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: resolving it is already a request outside


def guard_sockets() -> None:
    """Refuse and record connections (and name look-ups) that leave the machine."""
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_local(address):
            _BLOCKED.append(f"connect {address!r}")
            raise ConnectionRefusedError(f"peers benchmark: no network outside 127.0.0.1 ({address!r})")
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_local(address):
            _BLOCKED.append(f"connect {address!r}")
            return 111  # ECONNREFUSED
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        if host is not None and not _is_local((host if isinstance(host, str) else str(host, "ascii"), 0)):
            _BLOCKED.append(f"resolve {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"peers benchmark: no name look-ups ({host!r})")
        return getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo  # type: ignore[assignment]


def blocked_attempts() -> list[str]:
    """The connections refused so far in this process, in order."""
    return list(_BLOCKED)
