""" "Did you mean" hints: the names that look most like a mistyped one, for every package's messages."""

from __future__ import annotations

from collections.abc import Iterable
import difflib

__all__ = ["closest"]


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates that look most like ``name``, for "did you mean" messages.

    Close spellings first; then, for short inputs that difflib rates poorly, candidates
    that contain ``name`` (a tag prefix or a field name fragment is a good hint).
    """
    pool = list(candidates)
    matches = difflib.get_close_matches(name, pool, n=n, cutoff=0.5)
    if len(matches) < n:
        extra = [c for c in pool if (name and name in c) and c not in matches]
        matches += extra[: n - len(matches)]
    return matches
