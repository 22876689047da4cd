"""Writing a file so that a reader sees the old content or the new, never half of either.

One rule for every package: write a temporary file in the target's own folder (so the
rename stays on one file system), flush it to the disk, then ``os.replace`` it over the
target. A crash in between leaves at most a temporary file, named with ``TEMP_PREFIX``
so that a folder's owner can tell it apart from real content.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import os
from pathlib import Path
import tempfile
from typing import BinaryIO

__all__ = ["TEMP_PREFIX", "atomic_file", "atomic_path", "write_atomic"]

#: How temporary files start (listings of a store or cache skip them).
TEMP_PREFIX = ".lab-workbook-tmp-"


@contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, durable: bool = True, exclusive: bool = False, prefix: str = TEMP_PREFIX
) -> Iterator[Path]:
    """A temporary path beside ``path`` to write by name (a library that takes a file name).

    On a clean exit the file is put in place; on an exception it is removed and ``path``
    is left as it was. The parent folder is created if needed.

    Args:
        path: the file to write.
        durable: fsync the content before the rename, so a power cut cannot leave an empty
            file under the final name. Caches, which only cost a download when lost, pass False.
        exclusive: put the file in place only if ``path`` does not exist yet (a hard link,
            atomic and refusing an existing name); raises ``FileExistsError`` otherwise.
        prefix: how the temporary file's name starts.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        if durable:
            _fsync(tmp)
        if exclusive:
            os.link(tmp, target)
        else:
            os.replace(tmp, target)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


@contextmanager
def atomic_file(
    path: str | os.PathLike[str], *, durable: bool = True, exclusive: bool = False, prefix: str = TEMP_PREFIX
) -> Iterator[BinaryIO]:
    """A binary file open for writing, put in place as ``path`` on a clean exit (see :func:`atomic_path`)."""
    with atomic_path(path, durable=False, exclusive=exclusive, prefix=prefix) as tmp, open(tmp, "wb") as out:
        yield out
        out.flush()
        if durable:
            os.fsync(out.fileno())


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    durable: bool = True,
    exclusive: bool = False,
    prefix: str = TEMP_PREFIX,
) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path` for the options)."""
    with atomic_file(path, durable=durable, exclusive=exclusive, prefix=prefix) as out:
        out.write(data)


def _fsync(name: str) -> None:
    fd = os.open(name, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
