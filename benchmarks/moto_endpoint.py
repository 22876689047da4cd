"""moto's S3 server in a child process, for the benchmarks.

A real S3 endpoint is never inside the measured process: run in-process, moto's
request handling would compete with the code under test for the GIL (it still
competes for the machine's cores). The child serves on 127.0.0.1 on a free port
until its stdin is closed.
"""

from __future__ import annotations

import subprocess
import sys

__all__ = ["start_moto", "stop_moto"]

_SERVER = """
import logging, sys
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
server.stop()
"""


def start_moto() -> tuple[subprocess.Popen[str], str]:
    """Start the server; returns the child process and the endpoint URL (``http://127.0.0.1:PORT``)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    return process, f"http://127.0.0.1:{port}"


def stop_moto(process: subprocess.Popen[str]) -> None:
    """Ask the server to stop (close its stdin) and wait for it."""
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=30)
