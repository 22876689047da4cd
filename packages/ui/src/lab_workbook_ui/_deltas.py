"""Polls that send only what changed: the runs table as a delta against a version the page already has.

Every answer of ``/api/runs`` names its version (header ``X-Table-Version``: a digest of its
JSON). A poll that says which version it has (``known=``) gets ``{"version", "unchanged": true}``
when the table is the same, or ``{"version", "columns", "changed": [rows], "removed": [tags]}``:
the rows that are new or differ, by tag, and the tags no longer in the table. The page
applies them to its copy. An unknown version (too old, or another server) or other columns get
the whole table. A few recent versions are remembered per table, so several tabs can poll.
"""

from __future__ import annotations

from collections import OrderedDict
import hashlib
import json
import threading
from typing import Any

__all__ = ["TableVersions", "version_of"]

#: Versions remembered (over every table): enough for a few tabs polling a few tables.
KEPT = 16


def version_of(body: bytes) -> str:
    """The version of a table's JSON: a digest of its bytes (equal tables, equal versions)."""
    return hashlib.blake2b(body, digest_size=12).hexdigest()


class TableVersions:
    """Recent versions of the runs tables, parsed once, to answer polls with what changed."""

    def __init__(self) -> None:
        self._versions: OrderedDict[str, tuple[list[str], dict[str, list[Any]]]] = OrderedDict()
        self._lock = threading.Lock()

    def _parsed(self, version: str, body: bytes) -> tuple[list[str], dict[str, list[Any]]]:
        with self._lock:
            if version in self._versions:
                self._versions.move_to_end(version)
                return self._versions[version]
        table = json.loads(body)
        parsed = (table["columns"], {row[0]: row for row in table["rows"]})
        with self._lock:
            self._versions[version] = parsed
            while len(self._versions) > KEPT:
                self._versions.popitem(last=False)
        return parsed

    def remember(self, body: bytes) -> str:
        """The body's version, remembered with its rows (parsed once per version) for the next poll's delta."""
        version = version_of(body)
        self._parsed(version, body)
        return version

    def answer(self, body: bytes, known: str) -> bytes | None:
        """The delta from version ``known`` to ``body``, or ``None``: send the whole table."""
        version = version_of(body)
        if known == version:
            return json.dumps({"version": version, "unchanged": True}).encode()
        with self._lock:
            before = self._versions.get(known)
        if before is None:
            return None
        columns, rows = self._parsed(version, body)
        if columns != before[0]:
            return None
        old = before[1]
        changed = [row for tag, row in rows.items() if old.get(tag) != row]
        removed = [tag for tag in old if tag not in rows]
        return json.dumps(
            {"version": version, "columns": columns, "changed": changed, "removed": removed}, allow_nan=False
        ).encode()
