"""Validation of artifact names: the one gate that keeps every key inside the store.

Names may contain spaces and ``/`` (nested names, as the original allowed), but
never an empty, ``.`` or ``..`` component, a NUL or a leading ``/``. Both
backends call :func:`validate_name` before any I/O, and the CLI uses
:func:`safe_relative_path` before writing a downloaded artifact to disk.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from .errors import InvalidNameError

__all__ = ["safe_relative_path", "validate_name"]


def validate_name(name: str, what: str = "artifact name") -> str:
    """Return ``name`` unchanged if it is a safe relative key, else raise :class:`InvalidNameError`.

    Args:
        name: the artifact name (or relative key) to check.
        what: how to call it in the message ("artifact name", "key", "series name").
    """
    if not isinstance(name, str):
        raise InvalidNameError(f"{what} must be a str, got {type(name).__name__}: {name!r}")
    problem = _problem(name)
    if problem:
        raise InvalidNameError(
            f"invalid {what} {name!r}: {problem}. Use a relative name such as "
            "'model' or 'checkpoints/epoch 3' (spaces and '/' are fine)."
        )
    return name


def _problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if "\x00" in name:
        return "it contains a NUL character"
    if name.startswith("/"):
        return "it starts with '/'"
    for part in name.split("/"):
        if part == "":
            return "it has an empty path component ('//' or a trailing '/')"
        if part in (".", ".."):
            return f"it has a {part!r} path component"
    return None


def safe_relative_path(name: str) -> PurePosixPath:
    """The name as a relative path that cannot leave the directory it is joined to."""
    return PurePosixPath(validate_name(name))
