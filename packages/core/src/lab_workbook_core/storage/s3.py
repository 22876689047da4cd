"""A store in Amazon S3 (or any S3-compatible service), through boto3.

This is the only module that imports boto3. Every boto3 error is translated here,
at the boundary, into the :class:`~lab_workbook_core.errors.StorageError` family.

Settings come resolved from core's :class:`~lab_workbook_core.config.Config` and are
passed to boto3 explicitly: this module never re-reads the environment over them
(boto3 is told to ignore configured endpoints), so ``lab-workbook sync`` sends a run's
data to the endpoint it was recorded for, whatever the current shell says. Retries
are lab-workbook's only when the user set neither ``AWS_MAX_ATTEMPTS`` nor
``AWS_RETRY_MODE``. Credentials come only from boto3's standard chain; we never
read, store or print them.

Quirks of S3-compatible stores handled here (docs/reliability.md, "Stores"):
``DeleteObjects`` always carries ``Content-MD5`` (boto3 >= 1.36 sends a CRC32
instead, which MinIO and others refuse), a store without batch deletes gets one
``DeleteObject`` per key, and the errors a quiet batch delete reports are raised.
"""

from __future__ import annotations

import base64
import builtins
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
import hashlib
import os
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from ..errors import (
    AccessDenied,
    AlreadyExists,
    BucketNotFound,
    ChecksumMismatch,
    CredentialsError,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    StoreFeatureMissing,
    StoreUnreachable,
)
from ..files import atomic_path
from ..location import Location
from .base import Listing, ObjectInfo, Storage, key_in_range
from .checksums import ChecksumAlgorithm

__all__ = ["S3Storage"]

_MULTIPART_THRESHOLD = 64 * 1024 * 1024
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_DENIED = {"403", "AccessDenied", "Forbidden", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
# Throttling and timeouts: the store is there but busy (5xx statuses are busy too).
_BUSY = {"SlowDown", "RequestTimeout", "ServiceUnavailable", "Throttling", "ThrottlingException", "TooManyRequests"}
# Temporary credentials past their end: sending again with them cannot succeed.
_EXPIRED = {"ExpiredToken", "InvalidToken", "TokenRefreshRequired", "RequestExpired"}
_TAKEN = {"412", "PreconditionFailed", "ConditionalRequestConflict"}
# What S3 (BadDigest, InvalidDigest) and MinIO (XAmzContent...) answer to bytes that do not match their checksum.
_BAD_DIGEST = {"BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "XAmzContentSHA256Mismatch"}
_CHECKSUM_PARAMETERS = {"md5": "ContentMD5", "crc32": "ChecksumCRC32", "sha256": "ChecksumSHA256"}


class S3Storage(Storage):
    """Objects in an S3 bucket under ``Location.base``.

    Args:
        location: an ``s3://`` location.
        endpoint_url: the endpoint core resolved (``None``: AWS itself).
        max_attempts: boto3's own retries per request after the first attempt (botocore's
            ``max_attempts``; the writer adds its own backoff on top); ignored when ``user_retries``.
        region: the region, or ``None`` for boto3's default.
        addressing_style: ``auto``, ``path`` or ``virtual``, or ``None``.
        checksum_mode: ``when_supported`` / ``when_required`` for flexible checksums, or ``None``.
        user_retries: the user's ``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE`` decide retries.
        connect_timeout: seconds to open a connection.
        read_timeout: seconds to wait for each answer (a black-holed store fails after this).
    """

    def __init__(
        self,
        location: Location,
        *,
        endpoint_url: str | None = None,
        max_attempts: int = 4,
        region: str | None = None,
        addressing_style: str | None = None,
        checksum_mode: str | None = None,
        user_retries: bool = False,
        connect_timeout: float = 10,
        read_timeout: float = 60,
    ) -> None:
        super().__init__(location)
        self.bucket = location.bucket or ""
        options: dict[str, object] = {
            "max_pool_connections": 32,
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            "ignore_configured_endpoint_urls": True,  # core resolved the endpoint; never re-read it
        }
        if not user_retries:
            options["retries"] = {"mode": "standard", "max_attempts": max_attempts}
        if region:
            options["region_name"] = region
        if addressing_style:
            options["s3"] = {"addressing_style": addressing_style}
        if checksum_mode is None and endpoint_url and ".amazonaws.com" not in endpoint_url:
            checksum_mode = "when_required"  # S3-compatible stores often refuse flexible checksums
        if checksum_mode:
            options["request_checksum_calculation"] = checksum_mode
            options["response_checksum_validation"] = checksum_mode
        self.checksum_mode = checksum_mode
        self._session = boto3.session.Session()
        self.client = self._session.client("s3", endpoint_url=endpoint_url, config=BotoConfig(**options))
        self.client.meta.events.register("before-call.s3.DeleteObjects", _add_content_md5)
        self._transfer = TransferConfig(multipart_threshold=_MULTIPART_THRESHOLD, use_threads=True)

    @property
    def endpoint_url(self) -> str | None:
        return str(self.client.meta.endpoint_url)

    def credential_source(self) -> str | None:
        credentials = self._session.get_credentials()
        return None if credentials is None else str(credentials.method or "boto3 credential chain")

    def _full(self, key: str) -> str:
        return self.location.base + self._check(key)

    @contextmanager
    def _translate(self, what: str, key: str = "") -> Iterator[None]:
        """Turn boto3's exceptions into ours, with a message that says what to do."""
        where = self.url(key)
        try:
            yield
        except ClientError as err:
            error = err.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = str(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            message = error.get("Message", "") or code
            if code == "NoSuchBucket":
                raise BucketNotFound(
                    f"bucket {self.bucket!r} does not exist (while trying to {what} {where}); "
                    "check the prefix with `lab-workbook config`"
                ) from err
            if code in _NOT_FOUND or status == "404":
                raise ObjectNotFound(f"no object at {where}") from err
            if status == "501" or code == "NotImplemented":
                raise StoreFeatureMissing(
                    f"the store does not implement what {what} {where} needs: {code} {message}"
                ) from err
            if code in _TAKEN or (status in ("409", "412") and code != "BucketAlreadyExists"):
                raise AlreadyExists(f"{where} already exists") from err
            if code in _BAD_DIGEST:
                raise ChecksumMismatch(
                    f"the store refused to {what} {where}: the bytes it received do not match the checksum sent "
                    f"with them ({code}: {message}); nothing was stored, send them again"
                ) from err
            if code in _EXPIRED:
                raise CredentialsError(
                    f"S3 refused the credentials used to {what} {where}: {code} {message}. Renew them "
                    "(e.g. `aws sso login`, or new AWS_SESSION_TOKEN values); lab-workbook uses boto3's standard chain"
                ) from err
            if code in _DENIED or status == "403":
                raise AccessDenied(
                    f"S3 denied {what} {where}: {message}. Check the credentials and the bucket policy "
                    "(`lab-workbook doctor` probes both)"
                ) from err
            if status.startswith("5") or status == "429" or code in _BUSY:
                raise StorageUnavailable(f"S3 is unavailable ({code}) while trying to {what} {where}") from err
            raise StorageError(f"S3 failed to {what} {where}: {code} {message}") from err
        except (NoCredentialsError, PartialCredentialsError) as err:
            raise CredentialsError(
                f"no AWS credentials to {what} {where}: run `aws configure` or set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); lab-workbook uses boto3's standard credential chain"
            ) from err
        except SSLError as err:
            raise StorageError(
                f"TLS failed to {what} {where}: {err}. For a self-signed certificate set AWS_CA_BUNDLE to its CA file"
            ) from err
        except (BotoConnectionError, ReadTimeoutError) as err:  # refused, or no answer in time
            raise StoreUnreachable(f"cannot reach S3 to {what} {where}: {err}") from err
        except ConnectionClosedError as err:  # it answered, then dropped the connection: busy, not gone
            raise StorageUnavailable(f"S3 dropped the connection while trying to {what} {where}: {err}") from err
        except BotoCoreError as err:
            raise StorageError(f"S3 failed to {what} {where}: {err}") from err

    def put_bytes(self, key: str, data: bytes, *, if_absent: bool = False) -> None:
        full = self._full(key)
        extra = {"IfNoneMatch": "*"} if if_absent else {}
        self._count("put")
        with self._translate("write", key):
            self.client.put_object(Bucket=self.bucket, Key=full, Body=data, **extra)

    def put_bytes_with_checksum(self, key: str, data: bytes, *, algorithm: ChecksumAlgorithm, checksum: bytes) -> None:
        """Sent as the ``Content-MD5`` or ``x-amz-checksum-<algorithm>`` header, whatever the checksum mode."""
        full = self._full(key)
        parameter = _CHECKSUM_PARAMETERS.get(algorithm)
        if parameter is None:
            raise ValueError(f"checksum algorithm {algorithm!r} is not one of {', '.join(_CHECKSUM_PARAMETERS)}")
        claimed = {parameter: base64.b64encode(checksum).decode("ascii")}
        self._count("put")
        with self._translate("write", key):
            self.client.put_object(Bucket=self.bucket, Key=full, Body=data, **claimed)

    def put_file(self, key: str, path: Path) -> None:
        full = self._full(key)
        size = os.path.getsize(path)
        parts = max(1, -(-size // self._transfer.multipart_chunksize)) if size >= _MULTIPART_THRESHOLD else 1
        self._count("put", parts + (2 if parts > 1 else 0))
        with self._translate("upload", key):
            self.client.upload_file(str(path), self.bucket, full, Config=self._transfer)

    def get_bytes(self, key: str) -> bytes:
        full = self._full(key)
        self._count("get")
        with self._translate("read", key):
            body = self.client.get_object(Bucket=self.bucket, Key=full)["Body"]
            data: bytes = body.read()
            return data

    def get_if_changed(self, key: str, etag: str | None) -> tuple[bytes | None, str]:
        full = self._full(key)
        self._count("get")
        extra = {"IfNoneMatch": etag} if etag else {}
        try:
            with self._translate("read", key):
                response = self.client.get_object(Bucket=self.bucket, Key=full, **extra)
                return response["Body"].read(), response["ETag"]
        except StorageError as err:
            cause = err.__cause__
            if (
                etag
                and isinstance(cause, ClientError)
                and str(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode")) == "304"
            ):
                return None, etag
            raise

    def download(self, key: str, dest: Path, progress: Callable[[int], None] | None = None) -> None:
        full = self._full(key)
        self._count("get")
        with atomic_path(dest) as tmp, self._translate("download", key):
            self.client.download_file(self.bucket, full, str(tmp), Config=self._transfer, Callback=progress)

    def head(self, key: str) -> ObjectInfo:
        full = self._full(key)
        self._count("head")
        with self._translate("inspect", key):
            response = self.client.head_object(Bucket=self.bucket, Key=full)
        return ObjectInfo(key, response["ContentLength"], response["ETag"], response.get("LastModified"))

    #: S3 reads only the range asked for (``StartAfter``, and a prefix narrowed to the range's common part).
    ranged_listing = True

    def list(self, prefix: str = "", *, delimiter: str | None = "/") -> Listing:
        return self.list_range(prefix, delimiter=delimiter)

    def list_range(
        self,
        prefix: str = "",
        *,
        after: str | None = None,
        through: str | None = None,
        delimiter: str | None = "/",
        max_pages: int | None = None,
    ) -> Listing:
        """Pages from ``StartAfter=after`` until an entry passes ``through``.

        The request's prefix is narrowed to what ``after`` and ``through`` share (every key
        between two keys starts with their common part), up to the first delimiter after
        ``prefix`` so that folders are grouped as a listing of ``prefix`` groups them. A
        store that reads every key for each page (moto) then does less work per page.
        """
        narrowed = prefix
        if after is not None and through is not None:
            common = _common_start(after, through)
            if common.startswith(prefix):
                rest = common[len(prefix) :]
                narrowed = prefix + (rest.split(delimiter, 1)[0] if delimiter else rest)
        base_len = len(self.location.base)
        listing = Listing()
        kwargs = {"Bucket": self.bucket, "Prefix": self.location.base + narrowed}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        if after is not None:
            kwargs["StartAfter"] = self.location.base + after
        # Pages are followed by hand, not with boto3's paginator: loading the paginator's model
        # walks botocore's data folder (hundreds of directory listings, 0.05-0.6 s in a new process).
        token: str | None = None
        pages = 0
        while True:
            self._count("list")
            pages += 1
            with self._translate("list", prefix):
                page = self.client.list_objects_v2(**kwargs, **({"ContinuationToken": token} if token else {}))
            folders = [p["Prefix"][base_len:] for p in page.get("CommonPrefixes", [])]
            objects = [
                ObjectInfo(o["Key"][base_len:], o["Size"], o["ETag"], o.get("LastModified"))
                for o in page.get("Contents", [])
            ]
            # A store may roll the keys after StartAfter up into the folder it names: entries <= after are dropped.
            listing.prefixes += [p for p in folders if key_in_range(p, after, through)]
            listing.objects += [o for o in objects if key_in_range(o.key, after, through)]
            passed = through is not None and any(k > through for k in [*folders, *(o.key for o in objects)])
            if not page.get("IsTruncated") or passed:
                return listing
            following = page.get("NextContinuationToken")
            if not following or following == token:  # a store that would make this loop forever
                raise StorageError(
                    f"the store's listing of {self.url(prefix)} says it is truncated but gives "
                    f"no new continuation token; it does not implement ListObjectsV2 paging as S3 does"
                )
            if max_pages is not None and pages >= max_pages:
                listing.resume_after = max([*folders, *(o.key for o in objects)], default=after)
                return listing
            token = following

    def delete(self, keys: Iterable[str]) -> None:
        """Batch deletes (with ``Content-MD5``); one request per key where the store has no batch delete.

        Raises:
            StorageError: naming the keys the store reported it could not delete.
        """
        full = [self._full(k) for k in keys]
        for start in range(0, len(full), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = full[start : start + 1000]
            self._count("delete")
            try:
                with self._translate("delete", ""):
                    response = self.client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                    )
            except StoreFeatureMissing:
                self._delete_one_by_one(batch)
                continue
            except StorageError as err:
                cause = err.__cause__
                code = cause.response.get("Error", {}).get("Code") if isinstance(cause, ClientError) else None
                if code not in ("MissingContentMD5", "InvalidDigest", "BadDigest"):
                    raise
                self._delete_one_by_one(batch)
                continue
            errors = [e for e in response.get("Errors", []) if e.get("Code") not in _NOT_FOUND]
            if errors:
                first = errors[0]
                raise StorageError(
                    f"S3 did not delete {len(errors)} of {len(batch)} object(s) under {self.location.url}; "
                    f"first: {first.get('Key')}: {first.get('Code')} {first.get('Message', '')}"
                )

    def _delete_one_by_one(self, full_keys: builtins.list[str]) -> None:
        base = len(self.location.base)
        for full in full_keys:
            self._count("delete")
            with self._translate("delete", full[base:]):
                self.client.delete_object(Bucket=self.bucket, Key=full)


def _common_start(a: str, b: str) -> str:
    """The characters ``a`` and ``b`` start with (every key between them starts with them too)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


def _add_content_md5(params: dict[str, Any], **_: object) -> None:
    """botocore hook: give ``DeleteObjects`` the ``Content-MD5`` that MD5-requiring stores insist on."""
    body = params.get("body")
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(body, bytes | bytearray) and "Content-MD5" not in params["headers"]:
        params["headers"]["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode("ascii")
