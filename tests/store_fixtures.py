"""Fixtures that hand a test a store builder over a fresh store: local, on the S3 endpoint, or once on each.

A package's tests subclass ``builders.StoreBuilder`` with what they need; this makes its
fixtures, so the same three store kinds read the same in every package. Importable from every
test tree (the root ``pyproject.toml`` puts ``tests/`` on the path).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

__all__ = ["builder_fixtures"]

B = TypeVar("B")


def builder_fixtures(builder: Callable[[str], B], *kinds: str) -> list[Any]:
    """One pytest fixture per store kind, each giving ``builder(prefix)`` over a fresh store of that kind.

    Args:
        builder: the builder class (or any callable of a prefix).
        kinds: ``"local"`` (a temporary folder), ``"s3"`` (a fresh bucket on the S3 endpoint) or
            ``"both"`` (the test runs once on each); the root ``conftest.py``'s ``*_prefix`` fixtures.

    Returns:
        The fixtures, in the order of ``kinds``: assign each in a ``conftest.py`` to the name tests ask for.
    """

    def on_local(local_prefix: str) -> B:
        return builder(local_prefix)

    def on_s3(s3_prefix: str) -> B:
        return builder(s3_prefix)

    def on_both(store_prefix: str) -> B:
        return builder(store_prefix)

    made = {"local": on_local, "s3": on_s3, "both": on_both}
    unknown = set(kinds) - set(made)
    if unknown:
        raise ValueError(f"unknown store kinds {sorted(unknown)}: use local, s3 or both")
    return [pytest.fixture(made[kind]) for kind in kinds]
