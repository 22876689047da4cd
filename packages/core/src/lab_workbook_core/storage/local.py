"""A store in a local folder: the same key layout as S3, written atomically.

Writes go to a temporary file in the destination folder and are renamed into
place, so a reader (or a crash) never sees half an object. Create-only writes
``link()`` the complete temporary file to the final name: like ``O_EXCL`` it fails
if the name exists, and unlike ``O_EXCL`` it never exposes an empty file.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
import hashlib
import os
from pathlib import Path
import shutil

from ..errors import AccessDenied, AlreadyExists, ObjectNotFound, StorageError
from ..files import TEMP_PREFIX, atomic_file
from ..location import Location
from .base import Listing, ObjectInfo, Storage

__all__ = ["LocalStorage"]


class LocalStorage(Storage):
    """Objects as files under a folder (``Location.base`` is an absolute path)."""

    def __init__(self, location: Location) -> None:
        super().__init__(location)
        base = location.base
        # With a glued base ("/data/exp"), objects live in "/data" named "exp<tag>/...".
        self._root = Path(base if base.endswith("/") else os.path.dirname(base) or "/")

    def missing_folder(self) -> Path | None:
        return None if self._root.is_dir() else self._root

    def _path(self, key: str) -> Path:
        path = Path(self.location.base + self._check(key))
        # validate_name already forbids '..'; this guards against symlinks pointing out. Compared as
        # resolved paths, part by part: "/data/store-secrets" is not inside "/data/store".
        if not path.resolve().is_relative_to(self._root.resolve()):
            raise AccessDenied(f"key {key!r} resolves outside the store {self._root}")
        return path

    @staticmethod
    def _etag(path: Path) -> str:
        stat = path.stat()
        return hashlib.md5(f"{stat.st_mtime_ns}:{stat.st_size}:{stat.st_ino}".encode()).hexdigest()

    def put_bytes(self, key: str, data: bytes, *, if_absent: bool = False) -> None:
        path = self._path(key)
        self._count("put")
        try:
            with atomic_file(path, exclusive=if_absent) as out:
                out.write(data)
        except FileExistsError as err:
            if if_absent and path.is_file():
                raise AlreadyExists(f"{self.url(key)} already exists") from err
            raise StorageError(f"cannot write {path}: {err}") from err
        except PermissionError as err:
            raise AccessDenied(f"cannot write {path}: {err.strerror}; check the folder's permissions") from err
        except (IsADirectoryError, NotADirectoryError) as err:
            raise StorageError(f"cannot write {path}: {err}") from err

    def put_file(self, key: str, path: Path) -> None:
        dest = self._path(key)
        self._count("put")
        try:
            with open(path, "rb") as src, atomic_file(dest) as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except PermissionError as err:
            raise AccessDenied(f"cannot write {dest}: {err.strerror}") from err

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        self._count("get")
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as err:
            raise ObjectNotFound(f"no object at {self.url(key)}") from err
        except PermissionError as err:
            raise AccessDenied(f"cannot read {path}: {err.strerror}") from err

    def get_if_changed(self, key: str, etag: str | None) -> tuple[bytes | None, str]:
        info = self.head(key)
        if etag is not None and info.etag == etag:
            return None, etag
        return self.get_bytes(key), info.etag

    def download(self, key: str, dest: Path, progress: Callable[[int], None] | None = None) -> None:
        src = self._path(key)
        self._count("get")
        try:
            with open(src, "rb") as fin, atomic_file(dest) as fout:
                while chunk := fin.read(1 << 20):
                    fout.write(chunk)
                    if progress:
                        progress(len(chunk))
        except (FileNotFoundError, IsADirectoryError) as err:
            raise ObjectNotFound(f"no object at {self.url(key)}") from err

    def head(self, key: str) -> ObjectInfo:
        path = self._path(key)
        self._count("head")
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError) as err:
            raise ObjectNotFound(f"no object at {self.url(key)}") from err
        if not path.is_file():
            raise ObjectNotFound(f"no object at {self.url(key)} (it is a folder)")
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        return ObjectInfo(key, stat.st_size, self._etag(path), modified)

    def list(self, prefix: str = "", *, delimiter: str | None = "/") -> Listing:
        self._count("list")
        full = self.location.base + prefix
        folder, _, start = full.rpartition("/")
        folder_path = Path(folder or "/")
        listing = Listing()
        if not folder_path.is_dir():
            return listing
        base_len = len(self.location.base)
        for entry in sorted(os.scandir(folder_path), key=lambda e: e.name):
            if not entry.name.startswith(start) or entry.name.startswith(TEMP_PREFIX):
                continue
            key = f"{folder}/{entry.name}"[base_len:]
            if entry.is_dir(follow_symlinks=False):
                if delimiter:
                    listing.prefixes.append(key + "/")
                else:
                    listing.objects.extend(self._walk(Path(entry.path), base_len))
            elif entry.is_file(follow_symlinks=False):
                listing.objects.append(self._info(Path(entry.path), base_len))
        listing.objects.sort(key=lambda o: o.key)
        return listing

    def _info(self, path: Path, base_len: int) -> ObjectInfo:
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        return ObjectInfo(str(path)[base_len:], stat.st_size, self._etag(path), modified)

    def _walk(self, folder: Path, base_len: int) -> builtins.list[ObjectInfo]:
        found = []
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                if not name.startswith(TEMP_PREFIX):
                    found.append(self._info(Path(dirpath, name), base_len))
        return found

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            path = self._path(key)
            self._count("delete")
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            # Remove folders left empty, up to the store's root, like S3 "folders" vanish.
            parent = path.parent
            while parent != self._root and parent.is_relative_to(self._root):
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent
