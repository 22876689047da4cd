"""Which experiment a tag typed by a user means: a full tag, a unique prefix, ``latest`` or ``-N``.

Like git's abbreviated commits, typing ``201602142341`` or ``201602142341-mn5`` is
enough when only one tag starts that way; an ambiguous prefix is an error listing the
candidates, never a guess. ``latest`` and ``-1`` are the newest run, ``-2`` the one
before, as in Python indexing. One rule for the CLI's tag arguments and the dashboard's
diff box.

Runs are in tag order, the reader's order (``wb[-1]``): generated tags sort by start
time to the millisecond (see :mod:`lab_workbook_core.tags`), so no run record is read
to resolve ``latest`` or ``-N``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ExperimentNotFound
from .hints import closest

__all__ = ["resolve_tag"]

_SHOWN = 10


def resolve_tag(text: str, tags: Sequence[str], where: str = "the store") -> str:
    """The one tag ``text`` designates among ``tags`` (sorted as strings).

    Args:
        text: what the user typed.
        tags: every tag of the store, sorted.
        where: the store, for messages.

    Raises:
        ExperimentNotFound: no tag matches, or a prefix matches several (the message
            lists them); both are user errors (exit 1).
    """
    if text == "latest":
        text = "-1"
    if text.startswith("-") and text[1:].isdigit():
        back = int(text[1:])
        if back == 0:
            raise ExperimentNotFound("-0 is not a run: use -1 (or latest) for the newest, -2 for the one before")
        if back > len(tags):
            raise ExperimentNotFound(f"{text}: {where} holds only {len(tags)} experiment(s)")
        return tags[-back]
    if text in tags:
        return text
    matches = [t for t in tags if t.startswith(text)] if text else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(matches[:_SHOWN]) + (f" (and {len(matches) - _SHOWN} more)" if len(matches) > _SHOWN else "")
        raise ExperimentNotFound(f"{text!r} is ambiguous: it starts {len(matches)} tags: {shown}; type more of the tag")
    hint = closest(text, tags)
    suggestion = f"; did you mean {', '.join(hint)}?" if hint else "; `lab-workbook list` shows the tags"
    raise ExperimentNotFound(f"no experiment {text!r} in {where}{suggestion}")
