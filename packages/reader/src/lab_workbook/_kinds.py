"""Artifact kinds: how the bytes of an artifact become a Python object, by its name's ending.

The table is the one in ``docs/format.md``: ``.json`` -> dict/list, ``.csv`` ->
DataFrame, ``.pt`` -> torch (safe loading), git state and text -> str, ``.png`` and
other pictures -> PIL image, ``.t7`` -> bytes (or objects with the optional
``torchfile``), anything else -> bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from lab_workbook_core import CorruptArtifactError
from lab_workbook_core.keys import PICTURE_TYPES

from ._images import load_image

__all__ = ["TEXT_ENDINGS", "artifact_kind", "load_bytes"]

#: Endings loaded as ``str``.
TEXT_ENDINGS = (".git-patch", ".git-current-commit", ".git-untracked", ".txt", ".log", ".md")
_PICTURE_ENDINGS = tuple(PICTURE_TYPES)  # loaded as PIL images


def artifact_kind(name: str) -> str:
    """How ``exp[name]`` loads an artifact, chosen by its name's ending: ``"json"``, ``"csv"``,
    ``"torch"``, ``"text"``, ``"image"``, ``"t7"`` or ``"bytes"`` (tools that show artifacts, as the
    dashboard does, pick a viewer by it)."""
    lowered = name.lower()
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(".pt"):
        return "torch"
    if lowered.endswith(".t7"):
        return "t7"
    if lowered.endswith(TEXT_ENDINGS):
        return "text"
    if lowered.endswith(_PICTURE_ENDINGS):
        return "image"
    return "bytes"


def load_bytes(name: str, data: bytes, where: str) -> Any:
    """The object an artifact's bytes stand for.

    Args:
        name: the artifact's name; its ending chooses the kind.
        data: its content.
        where: how to name it in errors (``tag/name``).

    Raises:
        CorruptArtifactError: the content is not what its name says.
        MissingDependencyError: a ``.pt`` without torch installed.
    """
    kind = artifact_kind(name)
    if kind == "json":
        return parse_json(data, where)
    if kind == "csv":
        from ._series import parse_series  # pandas: imported by the first series loaded

        return parse_series(data, where)
    if kind == "text":
        return decode_text(data, where)
    if kind == "torch":
        from ._tensors import load_torch

        return load_torch(data, where)
    if kind == "image":
        return load_image(data, where)
    if kind == "t7":
        return load_t7(data)
    return data


def parse_json(data: bytes, where: str) -> Any:
    """JSON as written by ``save_json`` or the original's lua-cjson (``\\/`` escapes, 14-digit numbers)."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise CorruptArtifactError(f"{where} is not JSON: it is not UTF-8 text ({err.reason})") from err
    except json.JSONDecodeError as err:
        raise CorruptArtifactError(
            f"{where} is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}; "
            "load the raw bytes with exp.read_bytes(name) to inspect it"
        ) from err


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 text; bytes that are not UTF-8 (an old patch in Latin-1) become U+FFFD, not an error."""
    del where
    return data.decode("utf-8", errors="replace")


def load_t7(data: bytes) -> Any:
    """A torch7 file as Python objects when ``torchfile`` is installed, else its bytes (as the original did)."""
    try:
        import torchfile
    except ImportError:
        return data
    fd, path = tempfile.mkstemp(suffix=".t7")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return torchfile.load(path)
    finally:
        os.unlink(path)
