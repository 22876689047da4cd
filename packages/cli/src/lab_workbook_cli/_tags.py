"""Which experiment a tag argument means: a full tag, a unique prefix, ``latest`` or ``-N``.

Like git's abbreviated commits, typing ``201602142341`` or ``201602142341-mn5`` is
enough when only one tag starts that way; an ambiguous prefix is an error listing the
candidates, never a guess. ``latest`` and ``-1`` are the newest run, ``-2`` the one
before, as in Python indexing.

Runs are in tag order, the reader's order (``wb[-1]``): generated tags sort by start
time to the millisecond (see :mod:`lab_workbook_core.tags`), so no run record is read
to resolve ``latest`` or ``-N``.
"""

from __future__ import annotations

from collections.abc import Sequence
import re

from lab_workbook_core.tag_arguments import resolve_tag as _resolve
import typer
from typer.core import TyperCommand

__all__ = ["TagCommand", "resolve_tag"]

_BACK = re.compile(r"-\d+")
_MARK = "\x00"  # protects "-1" from the option parser; resolve_tag removes it


class TagCommand(TyperCommand):
    """A command whose arguments may be ``-1``, ``-2``...: the option parser would take them for options."""

    # typer declares ``ctx`` as its vendored click Context, which it does not export; ours is its subclass.
    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        end = args.index("--") if "--" in args else len(args)
        marked = [_MARK + a if i < end and _BACK.fullmatch(a) else a for i, a in enumerate(args)]
        return super().parse_args(ctx, marked)


def resolve_tag(text: str, tags: Sequence[str], where: str = "the store") -> str:
    """The one tag ``text`` designates among ``tags`` (core's :func:`~lab_workbook_core.tag_arguments.resolve_tag`,
    once the option parser's protection of ``-N`` is removed).

    Raises:
        ExperimentNotFound: no tag matches, or a prefix matches several (the message
            lists them); both are user errors (exit 1).
    """
    return _resolve(text.removeprefix(_MARK), tags, where)
