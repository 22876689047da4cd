"""Where a store is: parsing a prefix (``s3://bucket/path/``, ``file:///abs/path/``, a directory).

An artifact's key is ``prefix + tag + "/" + name``, exactly as the original
computed it. A prefix without a trailing ``/`` is therefore *glued* to the tag
(``s3://b/exp`` + tag -> ``exp201602...``), which is kept for compatibility with
buckets the original wrote, with a warning. A plain directory path always names a
directory, so it gets its ``/``.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
import warnings

from .errors import ConfigError

__all__ = ["GluedPrefixWarning", "Location", "parse_prefix"]


class GluedPrefixWarning(UserWarning):
    """The prefix has no trailing '/', so tags are glued to its last part."""


@dataclass(frozen=True)
class Location:
    """A parsed prefix.

    Attributes:
        scheme: ``"s3"`` or ``"file"``.
        bucket: the S3 bucket (``None`` for local folders).
        base: the string every key starts with: an S3 key prefix (``""`` for the
            bucket's root) or an absolute local path.
    """

    scheme: str
    bucket: str | None
    base: str

    @property
    def url(self) -> str:
        """The canonical prefix string (what ``lab-workbook config`` shows)."""
        if self.scheme == "s3":
            return f"s3://{self.bucket}/{self.base}"
        return f"file://{self.base}"

    @property
    def glued(self) -> bool:
        """True when tags are glued to the base's last part (no trailing ``/``)."""
        return bool(self.base) and not self.base.endswith("/")

    def __str__(self) -> str:
        return self.url


def parse_prefix(prefix: str | os.PathLike[str], *, warn: bool = True) -> Location:
    """Parse a prefix into a :class:`Location`.

    Args:
        prefix: ``s3://bucket[/path[/]]``, ``file:///abs/path[/]`` or a directory path.
        warn: emit :class:`GluedPrefixWarning` for a prefix without trailing ``/``.

    Raises:
        ConfigError: for an unsupported scheme or a malformed URL.
    """
    text = os.fspath(prefix).strip()
    if not text:
        raise ConfigError("the store prefix is empty: give s3://bucket/path/ or a directory")
    if text.startswith("s3://"):
        bucket, _, base = text[len("s3://") :].partition("/")
        if not bucket:
            raise ConfigError(f"prefix {text!r} has no bucket name: write s3://your-bucket/experiments/")
        location = Location("s3", bucket, base)
    elif text.startswith("file://"):
        path = text[len("file://") :]
        if not path.startswith("/"):
            raise ConfigError(f"prefix {text!r}: a file:// URL needs an absolute path, as in file:///data/experiments/")
        location = Location("file", None, path)
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise ConfigError(
            f"prefix {text!r}: the scheme {scheme!r} is not supported. Use s3://bucket/path/ "
            "(any S3-compatible store via endpointUrl) or a local directory."
        )
    else:
        path = str(Path(text).expanduser().resolve())
        return Location("file", None, path.rstrip("/") + "/")
    if warn and location.glued:
        warnings.warn(
            f"store prefix {text!r} has no trailing '/': tags are glued to {location.base.rsplit('/', 1)[-1]!r} "
            f"as the original tool did; add a '/' to keep experiments inside the folder",
            GluedPrefixWarning,
            stacklevel=3,
        )
    return location
