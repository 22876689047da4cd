"""A fault-injecting HTTP(S) proxy between boto3 and moto: real S3-compatible stores' quirks, on demand.

moto accepts everything boto3 sends; MinIO, Ceph RGW, Backblaze B2, R2 and GCS
interop do not. :class:`FaultProxy` listens on 127.0.0.1, forwards each request to
moto's server and, when told to, behaves like those stores instead:

- ``reject_checksums``: ``400 InvalidArgument`` to a PUT carrying flexible-checksum
  headers (``x-amz-checksum-*``, ``x-amz-sdk-checksum-algorithm``, ``x-amz-trailer``)
  or an ``aws-chunked`` body (what boto3 >= 1.36 sends by default);
- ``verify_checksums``: ``400 BadDigest`` to a request whose bytes do not match its ``Content-MD5``
  or ``x-amz-checksum-crc32`` / ``-sha1`` / ``-sha256`` (a header, or an ``aws-chunked`` body's trailer),
  nothing stored: what AWS S3, LocalStack and MinIO do. moto itself, like s3rver, stores the bytes
  whatever checksum comes with them;
- ``require_delete_md5``: ``400 MissingContentMD5`` to a ``DeleteObjects`` without ``Content-MD5``;
- ``no_batch_delete``: ``501 NotImplemented`` to ``DeleteObjects`` (GCS interop);
- ``delete_errors``: answer ``DeleteObjects`` with ``200`` and an ``AccessDenied`` error per key,
  deleting nothing (what a quiet batch delete reports for objects it could not remove);
- ``if_none_match``: ``"501"`` answers ``501 NotImplemented`` to ``If-None-Match``,
  ``"ignore"`` drops the header (the write then overwrites);
- ``deny_puts``: ``403 AccessDenied`` to a PUT whose path contains this text (``""``: every PUT),
  nothing stored: a bucket policy or credentials that may read but not write; ``deny_with`` gives
  another ``(status, code)``, e.g. ``(400, "ExpiredToken")`` for temporary credentials past their end;
- ``fail_every`` / ``fail_status``: ``500 InternalError`` or ``503 SlowDown`` every Nth request;
- ``drop_every``: close the connection without an answer every Nth request;
- ``blackhole``: accept and read requests but never answer;
- ``delay``: wait this many seconds before forwarding;
- :meth:`down` / :meth:`up`: refuse connections (nothing listens) / listen again on the same port;
  :meth:`unaccepting`: a full accept queue, so a new TCP connect times out.

With ``tls=True`` the proxy terminates TLS with a self-signed certificate for
127.0.0.1 (:attr:`ca_file`), which is what makes boto3 send ``aws-chunked`` bodies.
Every request seen is kept in :attr:`seen` (method, path, headers) for assertions.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
import datetime
import hashlib
import http.client
import ipaddress
from pathlib import Path
import re
import socket
import ssl
import threading
import time
import zlib

__all__ = ["FaultProxy", "Faults", "Seen", "make_self_signed_cert"]

_CHECKSUM_HEADERS = ("x-amz-checksum-", "x-amz-sdk-checksum-algorithm", "x-amz-trailer")
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "content-length"}


@dataclass
class Faults:
    """What the proxy does wrong; all off by default (a transparent proxy)."""

    reject_checksums: bool = False
    verify_checksums: bool = False
    require_delete_md5: bool = False
    if_none_match: str | None = None  # None (pass through), "501" or "ignore"
    no_batch_delete: bool = False
    delete_errors: bool = False
    deny_puts: str | None = None  # None: off; "": every PUT; else PUTs whose path contains it
    deny_with: tuple[int, str] = (403, "AccessDenied")
    fail_every: int = 0
    fail_status: int = 503
    drop_every: int = 0
    blackhole: bool = False
    delay: float = 0.0


@dataclass
class Seen:
    """One request as it reached the proxy."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    answered: int | None = None  # the status the proxy itself gave, or moto's


def make_self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for ``127.0.0.1``/``localhost`` (PEM files), valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "proxy-cert.pem", folder / "proxy-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class FaultProxy:
    """An HTTP(S) proxy on 127.0.0.1 in front of ``upstream`` (moto's ``http://host:port``)."""

    def __init__(self, upstream: str, *, tls_folder: Path | None = None) -> None:
        host_port = upstream.split("://", 1)[1].rstrip("/")
        host, _, port = host_port.partition(":")
        self.upstream = (host, int(port))
        self.faults = Faults()
        self.seen: list[Seen] = []
        self.ca_file: Path | None = None
        self._context: ssl.SSLContext | None = None
        if tls_folder is not None:
            cert, key = make_self_signed_cert(tls_folder)
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.load_cert_chain(cert, key)
            self.ca_file = cert
        self._lock = threading.Lock()
        self._count = 0
        self._release = threading.Event()
        self._clients: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._fillers: list[socket.socket] = []
        self.port = 0
        self.up()
        scheme = "https" if self._context else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    # -- control -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to a transparent proxy that listens; forget the requests seen."""
        self.faults = Faults()
        self._release.set()
        self._release = threading.Event()
        with self._lock:
            self.seen.clear()
            self._count = 0
        self.up()

    def up(self) -> None:
        """Listen (again, on the same port)."""
        for filler in self._fillers:
            filler.close()
        self._fillers.clear()
        if self._listener is not None and not getattr(self, "_unaccepting", False):
            return
        self._close_listener()
        self._unaccepting = False
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="faultproxy-accept").start()

    def down(self) -> None:
        """Refuse connections (nothing listens) and cut the open ones, until :meth:`up`."""
        self._close_listener()
        self._release.set()
        self._release = threading.Event()
        with self._lock:
            clients, self._clients = list(self._clients), set()
        for client in clients:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()

    def unaccepting(self) -> None:
        """Listen but never accept, with a full queue: a new TCP connect hangs until it times out."""
        self.down()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(0)
        self._listener, self._unaccepting = listener, True
        for _ in range(3):  # fill the accept queue; later SYNs are dropped
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self._fillers.append(filler)

    def close(self) -> None:
        """Stop for good."""
        self.down()
        for filler in self._fillers:
            filler.close()

    def count(self, method: str | None = None, contains: str = "") -> int:
        """How many requests (of ``method``, whose path contains ``contains``) reached the proxy."""
        with self._lock:
            return sum(1 for s in self.seen if (method is None or s.method == method) and contains in s.path)

    # -- serving -----------------------------------------------------------------------------

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True, name="faultproxy-conn").start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._clients.add(client)
        try:
            if self._context is not None:
                client = self._context.wrap_socket(client, server_side=True)
            reader = client.makefile("rb")
            while self._handle(client, reader):
                pass
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with self._lock:
                self._clients.discard(client)
            try:
                client.close()
            except OSError:
                pass

    def _handle(self, client: socket.socket, reader) -> bool:
        line = reader.readline(65536)
        if not line:
            return False
        method, target, _version = line.decode("latin-1").split(" ", 2)
        headers: list[tuple[str, str]] = []
        while True:
            raw = reader.readline(65536)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        lower = {n.lower(): v for n, v in headers}
        seen = Seen(method, target, lower)
        with self._lock:
            self.seen.append(seen)
            self._count += 1
            number = self._count
        faults = self.faults
        if faults.blackhole:
            self._release.wait()
            return False
        if faults.drop_every and number % faults.drop_every == 0:
            client.shutdown(socket.SHUT_RDWR)
            return False
        if faults.delay:
            time.sleep(faults.delay)
        refusal = self._refusal(method, target, lower, number)
        expects = lower.get("expect", "").lower() == "100-continue"
        if refusal is not None and expects:  # answer before the body, as S3 does, and close
            seen.answered = refusal[0]
            self._respond(client, *refusal, close=True)
            return False
        if expects:
            client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self._read_body(reader, lower)
        if refusal is None and faults.verify_checksums:
            refusal = _checksum_refusal(lower, body)
        if refusal is not None:
            seen.answered = refusal[0]
            self._respond(client, *refusal)
            return True
        if faults.delete_errors and _is_batch_delete(method, target):
            keys = re.findall(rb"<Key>(.*?)</Key>", body)
            errors = b"".join(
                b"<Error><Key>" + k + b"</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                for k in keys
            )
            result = b'<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult>' + errors + b"</DeleteResult>"
            seen.answered = 200
            self._respond(client, 200, "OK", result, [("Content-Type", "application/xml")])
            return True
        if faults.if_none_match == "ignore":
            headers = [(n, v) for n, v in headers if n.lower() != "if-none-match"]
        status, reason, out_headers, out_body = self._forward(method, target, headers, body)
        seen.answered = status
        self._respond(client, status, reason, out_body, out_headers)
        return lower.get("connection", "").lower() != "close"

    def _refusal(self, method: str, target: str, headers: dict[str, str], number: int):
        faults = self.faults
        if faults.deny_puts is not None and method == "PUT" and faults.deny_puts in target:
            return _error(*faults.deny_with, "injected refusal")
        if faults.fail_every and number % faults.fail_every == 0:
            code = "SlowDown" if faults.fail_status == 503 else "InternalError"
            return _error(faults.fail_status, code, "injected failure")
        if (
            faults.reject_checksums
            and method == "PUT"
            and (
                any(name.startswith(_CHECKSUM_HEADERS) for name in headers)
                or "aws-chunked" in headers.get("content-encoding", "")
            )
        ):
            return _error(400, "InvalidArgument", "Unsupported header 'x-amz-checksum' or aws-chunked encoding")
        if faults.require_delete_md5 and _is_batch_delete(method, target) and "content-md5" not in headers:
            return _error(400, "MissingContentMD5", "Missing required header for this request: Content-Md5.")
        if faults.no_batch_delete and _is_batch_delete(method, target):
            return _error(501, "NotImplemented", "DeleteObjects is not implemented")
        if faults.if_none_match == "501" and "if-none-match" in headers and method == "PUT":
            return _error(501, "NotImplemented", "A header you provided implies functionality that is not implemented")
        return None

    @staticmethod
    def _read_body(reader, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int(reader.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while reader.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(reader.read(size))
                reader.readline()
        length = int(headers.get("content-length", "0") or 0)
        return reader.read(length) if length else b""

    def _forward(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes):
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() not in _HOP_HEADERS:
                    connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            data = response.read()
            out = [(n, v) for n, v in response.getheaders() if n.lower() not in _HOP_HEADERS]
            if method == "HEAD":  # no body, but the object's length must reach boto3
                out.append(("Content-Length", response.getheader("Content-Length", "0")))
            return response.status, response.reason, out, data
        finally:
            connection.close()

    @staticmethod
    def _respond(
        client: socket.socket,
        status: int,
        reason: str,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
        *,
        close: bool = False,
    ) -> None:
        lines = [f"HTTP/1.1 {status} {reason}", *(f"{n}: {v}" for n, v in headers or [])]
        if not any(n.lower() == "content-length" for n, _ in headers or []):
            lines.append(f"Content-Length: {len(body)}")
        if close:
            lines.append("Connection: close")
        client.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def _is_batch_delete(method: str, target: str) -> bool:
    return method == "POST" and "delete" in target.partition("?")[2].split("&")


_FLEXIBLE = {
    "crc32": lambda data: zlib.crc32(data).to_bytes(4, "big"),
    "sha1": lambda data: hashlib.sha1(data).digest(),
    "sha256": lambda data: hashlib.sha256(data).digest(),
}


def _checksum_refusal(headers: dict[str, str], body: bytes):
    """S3's ``400 BadDigest`` when the bytes do not match a checksum sent with them, else None."""
    payload, trailers = _aws_chunked(body) if "aws-chunked" in headers.get("content-encoding", "") else (body, {})
    claimed = {**headers, **trailers}

    def encoded(digest: bytes) -> str:
        return base64.b64encode(digest).decode("ascii")

    if "content-md5" in claimed and claimed["content-md5"] != encoded(hashlib.md5(payload).digest()):
        return _error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
    for name, compute in _FLEXIBLE.items():
        value = claimed.get(f"x-amz-checksum-{name}")
        if value is not None and value != encoded(compute(payload)):
            return _error(400, "BadDigest", f"The {name.upper()} you specified did not match the calculated checksum.")
    return None


def _aws_chunked(body: bytes) -> tuple[bytes, dict[str, str]]:
    """The payload and the trailing headers of an ``aws-chunked`` body (``<hex size>[;ext]\\r\\n<data>\\r\\n``...)."""
    parts, rest = [], body
    while True:
        line, _, rest = rest.partition(b"\r\n")
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        parts.append(rest[:size])
        rest = rest[size + 2 :]
    trailers = {}
    for line in rest.split(b"\r\n"):
        name, colon, value = line.decode("latin-1").partition(":")
        if colon:
            trailers[name.strip().lower()] = value.strip()
    return b"".join(parts), trailers


def _error(status: int, code: str, message: str) -> tuple[int, str, bytes, list[tuple[str, str]]]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>faultproxy</RequestId></Error>"
    ).encode()
    reason = {
        400: "Bad Request",
        403: "Forbidden",
        500: "Internal Server Error",
        501: "Not Implemented",
        503: "Slow Down",
    }[status]
    return status, reason, body, [("Content-Type", "application/xml")]
