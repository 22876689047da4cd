"""Running the dashboard: in the foreground for ``lab-workbook ui``, or in a thread for tests and benchmarks.

The socket is bound here, before uvicorn starts, so a port already in use is a
clear error naming ``--port`` rather than a log line, and port ``0`` picks a free one.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from types import TracebackType
import webbrowser

from lab_workbook_core import ConfigError
from starlette.applications import Starlette
import uvicorn

from ._app import create_app
from ._security import check_binding

__all__ = ["BackgroundServer", "serve"]


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({err.strerror}): choose another --port (0 picks a free one)"
        ) from err
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    prefix: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    open_browser: bool = True,
    poll_seconds: float = 5.0,
    params: str | None = None,
) -> None:
    """Serve the dashboard of the store at ``prefix`` until Ctrl+C.

    ``params`` names a JSON artifact holding parameters, read before the usual ones
    (``parameters.json``, ``hparams.json``, ``training_args.json``).

    Raises:
        ConfigError: a non-loopback ``host`` without ``token``, or a port that cannot be bound.
    """
    warning = check_binding(host, token)
    app = create_app(prefix, host=host, token=token, poll_seconds=poll_seconds, params=params, warm_up=True)
    sock = _bind(host, port)
    url = _url(host, sock)
    if warning:
        print(warning, file=sys.stderr)
    print(f"lab-workbook ui: {url} (Ctrl+C to stop)", flush=True)
    if open_browser:  # at once: the socket listens, so the browser's request waits for uvicorn, not for a timer
        threading.Thread(target=webbrowser.open, args=[url], daemon=True).start()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    server.run(sockets=[sock])


class BackgroundServer:
    """The dashboard served from a thread on a free loopback port: ``with BackgroundServer(app) as s: s.url``.

    Args:
        app: from :func:`~lab_workbook_ui.create_app`.
        host: the address to bind (loopback unless the app has a token).
        port: ``0`` picks a free port.
    """

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; returns the URL once requests are answered."""
        sock = _bind(self.host, self.port)
        self.url = _url(self.host, sock)
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the dashboard did not start on {self.url} within {timeout} s")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
