"""Requests to a dashboard served for real on 127.0.0.1, over plain ``http.client`` (no browser, no client library).

Importable from every test tree (the root ``pyproject.toml`` puts ``tests/`` on the path).
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

__all__ = ["get_json", "request"]


def request(
    url: str, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[http.client.HTTPResponse, bytes]:
    """Send one request for ``path`` to the server at ``url``; its response (status, headers) and its body."""
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def get_json(url: str, path: str) -> Any:
    """``GET path`` answered 200 (else the test fails with the body), decoded from JSON."""
    response, body = request(url, path)
    assert response.status == 200, body
    return json.loads(body)
