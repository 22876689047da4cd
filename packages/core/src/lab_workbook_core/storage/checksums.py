"""The checksums S3 lets a writer send with an object, computed as S3 defines them.

A store that verifies checksums refuses bytes that do not match the one sent with them
(``BadDigest``); one that does not stores them as they arrived. The names are the
``algorithm`` values of :meth:`~lab_workbook_core.storage.base.Storage.put_bytes_with_checksum`.
"""

from __future__ import annotations

import hashlib
from typing import Literal, get_args
import zlib

__all__ = ["ChecksumAlgorithm", "object_checksum"]

ChecksumAlgorithm = Literal["md5", "crc32", "sha256"]
"""``md5``: the ``Content-MD5`` header every S3 store knows; ``crc32`` and ``sha256``: boto3's
flexible checksums (``x-amz-checksum-crc32``, ``x-amz-checksum-sha256``)."""


def object_checksum(algorithm: ChecksumAlgorithm, data: bytes) -> bytes:
    """The raw checksum of ``data`` (CRC32 as 4 big-endian bytes, as S3 encodes it before base64).

    Raises:
        ValueError: ``algorithm`` is not one of ``md5``, ``crc32``, ``sha256``.
    """
    if algorithm == "md5":
        return hashlib.md5(data).digest()
    if algorithm == "crc32":
        return zlib.crc32(data).to_bytes(4, "big")
    if algorithm == "sha256":
        return hashlib.sha256(data).digest()
    raise ValueError(f"checksum algorithm {algorithm!r} is not one of {', '.join(get_args(ChecksumAlgorithm))}")
