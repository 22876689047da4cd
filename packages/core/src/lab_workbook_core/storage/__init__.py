"""Storage backends behind one interface; :func:`open_storage` picks one for a config."""

from __future__ import annotations

from ..config import Config
from .base import Listing, ObjectInfo, Storage
from .local import LocalStorage

__all__ = ["Listing", "LocalStorage", "ObjectInfo", "Storage", "open_storage"]


def open_storage(config: Config, *, max_attempts: int = 4) -> Storage:
    """The backend for ``config.location``: S3 for ``s3://``, a folder otherwise.

    boto3 is imported only when an S3 store is opened, so local stores start fast.
    """
    location = config.location
    if location.scheme == "s3":
        from .s3 import S3Storage

        return S3Storage(location, endpoint_url=config.endpoint_url, max_attempts=max_attempts)
    return LocalStorage(location)
