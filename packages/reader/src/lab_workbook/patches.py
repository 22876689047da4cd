"""Code patches in colour, as the original README did by hand with pygments.

``print_patch(exp["Source.git-patch"])`` in a notebook or terminal shows added lines
green and removed lines red; :func:`highlight_patch` returns the coloured text (ANSI
for terminals and notebook output, or HTML).
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["highlight_patch", "print_patch"]


def highlight_patch(patch: str, *, html: bool = False) -> str:
    """The patch with syntax colours: ANSI escapes, or an HTML fragment with ``html=True``."""
    # pygments is imported here: 20 ms of every `import lab_workbook` and `lab-workbook` command otherwise.
    from pygments import highlight
    from pygments.formatters import HtmlFormatter, TerminalFormatter
    from pygments.lexers import DiffLexer

    formatter = HtmlFormatter(noclasses=True) if html else TerminalFormatter()
    return highlight(patch, DiffLexer(), formatter)


def print_patch(patch: str, file: TextIO | None = None) -> None:
    """Print a patch (``exp["Source.git-patch"]``) with colours; an empty patch says so."""
    out = file or sys.stdout
    if not patch.strip():
        print("(no changes: the patch is empty)", file=out)
        return
    print(highlight_patch(patch), end="", file=out)
