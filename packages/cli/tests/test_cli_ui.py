"""``lab-workbook ui``: starts the dashboard when lab-workbook-ui is installed, says how to get it when not."""

from __future__ import annotations

import os
from pathlib import Path
import socket
import subprocess
import sys
import time
import urllib.request

from lab_workbook_cli import app
import pytest


def test_without_the_ui_package_it_says_how_to_install_it(runner, monkeypatch, local_prefix):
    monkeypatch.setitem(sys.modules, "lab_workbook_ui", None)  # what an install without it looks like
    result = runner.invoke(app, ["ui", "--prefix", local_prefix, "--no-browser"])
    assert result.exit_code == 1
    assert "pip install lab-workbook-ui" in result.stderr


def test_another_interface_without_a_token_is_refused(runner, local_prefix):
    result = runner.invoke(app, ["ui", "--prefix", local_prefix, "--host", "0.0.0.0", "--no-browser"])
    assert result.exit_code == 1
    assert "--token" in result.stderr


def test_the_help_names_the_safety_options(runner):
    result = runner.invoke(app, ["ui", "--help"])
    for option in ("--prefix", "--port", "--host", "--no-browser", "--token"):
        assert option in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_the_command_serves_the_store_until_stopped(local_prefix, make_run):
    make_run(local_prefix, "202401011000-aaaaaaaaaa")
    port = _free_port()
    script = Path(sys.executable).with_name("lab-workbook")
    process = subprocess.Popen(
        [script, "ui", "--prefix", local_prefix, "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == f"lab-workbook ui: http://127.0.0.1:{port}/ (Ctrl+C to stop)"
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=5) as response:
                    body = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert "202401011000-aaaaaaaaaa" in body
    finally:
        process.terminate()
        process.wait(timeout=20)
