"""Code patches in colour, as the original README did by hand with pygments.

``print_patch(exp["Source.git-patch"])`` in a notebook or terminal shows added lines
green and removed lines red; :func:`highlight_patch` returns the coloured text (ANSI
for terminals and notebook output, or HTML).

Colour follows the conventions of command-line tools (https://no-color.org): ``NO_COLOR``
(set and not empty) turns it off, ANSI and HTML alike; ``FORCE_COLOR`` turns ANSI colour on;
otherwise ANSI colour is used only where it will be shown as colour, a terminal or a
notebook's output, and never in a pipe or a file, where escapes would be garbage for the
next program (``grep``, ``git apply``).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
import os
import sys
from typing import TextIO

__all__ = ["colour_wanted", "highlight_patch", "print_patch"]


def colour_wanted(stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ANSI colour written to ``stream`` (default: ``sys.stdout``) will show as colour.

    ``NO_COLOR`` wins, then ``FORCE_COLOR``; then a terminal, or a Jupyter kernel's output
    (which renders ANSI colours and is no terminal), says yes; anything else (a pipe, a file,
    a ``StringIO``) says no.
    """
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    out = sys.stdout if stream is None else stream
    if type(out).__module__.split(".")[0] == "ipykernel":  # a notebook's output stream
        return True
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def highlight_patch(patch: str, *, html: bool = False, colour: bool | None = None) -> str:
    """The patch with syntax colours: ANSI escapes, or an HTML fragment with ``html=True``.

    Args:
        patch: the patch's text.
        html: an HTML fragment (a ``<div>`` with inline styles) instead of ANSI text.
        colour: ``None`` decides as :func:`colour_wanted` does for ``sys.stdout`` (for HTML:
            only ``NO_COLOR`` turns colour off); ``False`` gives the patch as it is (HTML-escaped
            in a ``<pre>`` with ``html=True``); ``True`` colours whatever the environment says.
    """
    if colour is None:
        colour = not os.environ.get("NO_COLOR") if html else colour_wanted()
    if not colour:
        return f"<pre>{escape(patch)}</pre>" if html else patch
    # pygments is imported here: 20 ms of every `import lab_workbook` and `lab-workbook` command otherwise.
    from pygments import highlight
    from pygments.formatters import HtmlFormatter, TerminalFormatter
    from pygments.lexers import DiffLexer

    formatter = HtmlFormatter(noclasses=True) if html else TerminalFormatter()
    return highlight(patch, DiffLexer(), formatter)


def print_patch(patch: str, file: TextIO | None = None) -> None:
    """Print a patch (``exp["Source.git-patch"]``), coloured where colour shows (:func:`colour_wanted`).

    An empty patch says so. Piped, written to a file or with ``NO_COLOR`` set, the patch is
    printed as it is, so it can be applied or searched.
    """
    out = file or sys.stdout
    if not patch.strip():
        print("(no changes: the patch is empty)", file=out)
        return
    print(highlight_patch(patch, colour=colour_wanted(out)), end="", file=out)
