"""Storage backends behind one interface; :func:`open_storage` picks one for a config."""

from __future__ import annotations

from ..config import Config
from .base import Listing, ObjectInfo, Storage
from .checksums import ChecksumAlgorithm, object_checksum
from .local import LocalStorage

__all__ = ["ChecksumAlgorithm", "Listing", "LocalStorage", "ObjectInfo", "Storage", "object_checksum", "open_storage"]


def open_storage(
    config: Config, *, max_attempts: int = 4, connect_timeout: float = 10, read_timeout: float = 60
) -> Storage:
    """The backend for ``config.location``: S3 for ``s3://``, a folder otherwise.

    boto3 is imported only when an S3 store is opened, so local stores start fast.
    Every S3 setting comes from ``config`` (resolved once, by core).

    Args:
        config: the resolved configuration.
        max_attempts: boto3's retries per request after the first (unless the user's environment sets retries).
        connect_timeout: seconds to open a connection to S3.
        read_timeout: seconds to wait for each S3 answer.
    """
    location = config.location
    if location.scheme == "s3":
        from .s3 import S3Storage

        return S3Storage(
            location,
            endpoint_url=config.endpoint_url,
            max_attempts=max_attempts,
            region=config.region,
            addressing_style=config.addressing_style,
            checksum_mode=config.checksum_mode,
            user_retries=config.user_retries,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
    return LocalStorage(location)
