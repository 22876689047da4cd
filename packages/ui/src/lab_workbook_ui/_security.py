"""What keeps the dashboard safe to leave running: loopback by default, a token otherwise, strict headers.

- Binding anything but a loopback address needs a token (:func:`check_binding`);
  every ``/api/`` request must then carry it in the ``X-Lab-Workbook-Token`` header,
  which the page asks for once and keeps for the tab.
- On loopback (``127.0.0.0/8``, ``::1``, ``localhost``: no token needed), requests whose
  ``Host`` is not a loopback name are refused, so a web page elsewhere cannot reach the
  dashboard through DNS rebinding. IPv6 ``Host`` headers (``[::1]:8765``) are understood.
- Every response forbids inline script (Content-Security-Policy), MIME sniffing and
  framing; the page builds everything with ``textContent``, never HTML from data.
"""

from __future__ import annotations

import hmac
import ipaddress

from lab_workbook_core import ConfigError
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "LOOPBACK_NAMES",
    "LoopbackHosts",
    "SecurityHeaders",
    "TokenGate",
    "check_binding",
    "host_name",
    "is_loopback",
]

TOKEN_HEADER = "X-Lab-Workbook-Token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    """Whether ``host`` only answers this machine (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host of a ``Host`` header, without its port: ``[::1]:8765`` -> ``::1``, ``localhost:80`` -> ``localhost``."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else ""
    return header.rpartition(":")[0] if header.count(":") == 1 else header


def check_binding(host: str, token: str | None) -> str | None:
    """A warning to print when binding ``host`` is allowed but exposes the store, else ``None``.

    Raises:
        ConfigError: a non-loopback host without a token.
    """
    if token is not None and not token.strip():
        raise ConfigError(
            "--token must not be empty: choose a long random string, e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`"
        )
    if is_loopback(host):
        return None
    if not token:
        raise ConfigError(
            f"binding {host} lets other machines read your store: pass --token with a long random secret "
            "(the page asks for it), or keep the default --host 127.0.0.1"
        )
    return (
        f"warning: the dashboard listens on {host}: anyone who can reach this port and knows the token can "
        "read every run of the store (the connection is plain HTTP)."
    )


class TokenGate(BaseHTTPMiddleware):
    """Refuse ``/api/`` requests without the token (compared in constant time)."""

    def __init__(self, app, token: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(app)
        self._token = token.encode()

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.path.startswith("/api/"):
            given = request.headers.get(TOKEN_HEADER, "").encode()
            if not hmac.compare_digest(given, self._token):
                return JSONResponse({"error": "this dashboard needs its token", "token_required": True}, 401)
        return await call_next(request)


class LoopbackHosts(BaseHTTPMiddleware):
    """Refuse requests whose ``Host`` is not this loopback address or a loopback name (DNS rebinding)."""

    def __init__(self, app, host: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(app)
        self._allowed = {*LOOPBACK_NAMES, host_name(host if ":" not in host else f"[{host}]")}

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if host_name(request.headers.get("host", "")) not in self._allowed:
            return Response("Invalid host header", status_code=400, media_type="text/plain")
        return await call_next(request)


class SecurityHeaders(BaseHTTPMiddleware):
    """Add the headers of :data:`_HEADERS` to every response."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        return response
