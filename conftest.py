"""Fixtures shared by every package's tests: an isolated home, and real stores.

S3 is a real HTTP endpoint: moto's server mode (``ThreadedMotoServer``) on
127.0.0.1 on a free port, started once per session. Each test gets its own bucket,
and boto3 is pointed at the server through the standard ``AWS_ENDPOINT_URL_S3``.
``store_prefix`` runs a test once per backend (local folder and S3).

``hatch test`` runs the tests in pytest-xdist workers (hatch.toml; how many:
``pytest_xdist_auto_num_workers`` below), each its own pytest session: every worker
starts its own moto server and fault proxies on free ports, and ``tmp_path_factory``
gives each worker its own folders, so nothing here is shared between workers (a port
or a path fixed here would be).
"""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import uuid

import pytest

_AWS_ISOLATION = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "NO_PROXY": "127.0.0.1,localhost",
}


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: ignored where xdist is not installed
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """How many workers ``-n logical`` (what ``hatch test`` passes) or ``-n auto`` starts: 3 for every 2 cores.

    Run in one process, the suite keeps a core busy about two thirds of the time; the rest is spent
    waiting on child processes, on the uploader's backoff and on stores that time out, which another
    worker can use. On 2 cores the writer and reader tests took 136 s with 2 workers, 117 s with 3 and
    122 s with 4 (``docs/benchmarks.md``). ``PYTEST_XDIST_AUTO_NUM_WORKERS``, when set, still decides.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # pytest-xdist's own hook reads it
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return (3 * cores + 1) // 2


class MotoEndpoint:
    """moto's S3 server on 127.0.0.1; ``stop()``/``start()`` simulate an outage on the same port."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._factory = ThreadedMotoServer
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self.host, self.port = self._server.get_host_and_port()
        self.url = f"http://{self.host}:{self.port}"
        self.running = True

    def stop(self) -> None:
        """Stop answering (connections are refused) until :meth:`start`; stored objects are kept."""
        if self.running:
            self._server.stop()
            self.running = False

    def start(self) -> None:
        """Answer again on the same port."""
        if not self.running:
            self._server = self._factory(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()
            self.running = True


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the developer's config, cache, spool, default store or AWS settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("LAB_WORKBOOK_CONFIG", str(home / ".lab-workbook-config"))
    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("LAB_WORKBOOK_SPOOL_DIR", str(home / "spool"))
    for variable in ("LAB_WORKBOOK_PREFIX", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in _AWS_ISOLATION.items():
        monkeypatch.setenv(variable, value)
    return home


@pytest.fixture
def torch():
    """The torch module; the test is skipped, saying why, where torch is not installed.

    hatch.toml installs torch (its CPU wheel, on these machines for Python 3.11 only) in the
    3.11 test environment; on 3.12 and 3.13 the tests that need it are skipped, never failed.
    """
    return pytest.importorskip(
        "torch", reason="torch is not installed here (hatch.toml installs its CPU wheel on Python 3.11 only)"
    )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoEndpoint]:
    """One moto S3 server for the session (so one per xdist worker: tests that stop it stop only their own)."""
    endpoint = MotoEndpoint()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def s3_bucket(s3_server: MotoEndpoint, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty bucket; boto3 in this process (and its children) talks to the server."""
    import boto3

    s3_server.start()  # in case a previous test left it stopped
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.url)
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    boto3.client("s3", endpoint_url=s3_server.url, region_name="us-east-1").create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def s3_prefix(s3_bucket: str) -> str:
    """``s3://<fresh bucket>/experiments/``."""
    return f"s3://{s3_bucket}/experiments/"


@pytest.fixture
def local_prefix(tmp_path: Path) -> str:
    """A fresh local store folder, as a prefix."""
    return str(tmp_path / "store") + "/"


@pytest.fixture(params=["local", "s3"])
def store_prefix(request: pytest.FixtureRequest) -> str:
    """Runs the test once on a local folder and once on the S3 endpoint."""
    return request.getfixturevalue(f"{request.param}_prefix")


@pytest.fixture(scope="session")
def _fault_proxies(s3_server: MotoEndpoint, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from faultproxy import FaultProxy

    proxies = {
        "http": FaultProxy(s3_server.url),
        "https": FaultProxy(s3_server.url, tls_folder=tmp_path_factory.mktemp("tls")),
    }
    yield proxies
    for proxy in proxies.values():
        proxy.close()


def _through(proxy, s3_server: MotoEndpoint, monkeypatch: pytest.MonkeyPatch):
    s3_server.start()
    proxy.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    if proxy.ca_file is not None:
        monkeypatch.setenv("AWS_CA_BUNDLE", str(proxy.ca_file))
    return proxy


@pytest.fixture
def fault_proxy(_fault_proxies: dict, s3_server: MotoEndpoint, monkeypatch: pytest.MonkeyPatch):
    """A :class:`faultproxy.FaultProxy` (plain HTTP) in front of moto; boto3 is pointed at it.

    Set ``fault_proxy.faults.<quirk>`` to make it behave like a real S3-compatible store.
    """
    return _through(_fault_proxies["http"], s3_server, monkeypatch)


@pytest.fixture
def tls_proxy(_fault_proxies: dict, s3_server: MotoEndpoint, monkeypatch: pytest.MonkeyPatch):
    """The same proxy over HTTPS (self-signed, trusted through ``AWS_CA_BUNDLE``): boto3 sends aws-chunked bodies."""
    return _through(_fault_proxies["https"], s3_server, monkeypatch)


@pytest.fixture
def quirk_prefix(s3_server: MotoEndpoint) -> str:
    """``s3://<fresh bucket>/experiments/`` made directly on moto (not through any proxy)."""
    import boto3

    s3_server.start()
    bucket = f"quirk-{uuid.uuid4().hex[:16]}"
    boto3.client("s3", endpoint_url=s3_server.url, region_name="us-east-1").create_bucket(Bucket=bucket)
    return f"s3://{bucket}/experiments/"
