"""Text from the store made harmless for a terminal.

Descriptions, artifact names, parameter values and error messages come from a bucket
anyone with write access may have filled. ANSI/OSC escape sequences in them could
recolour, retitle or rewrite the user's terminal (or plant a clickable link), and
bidirectional overrides could make one name look like another. Every such character
is shown as a visible ``\\xNN`` / ``\\uNNNN`` escape instead; line ends and tabs are kept.
"""

from __future__ import annotations

import re

__all__ = ["neutralise", "neutralise_json"]

# C0 controls but tab and line feed, DEL, C1 controls (0x9b is an 8-bit CSI), and the
# bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """``text`` with terminal control characters replaced by visible escapes."""
    return _UNSAFE.sub(_escape, text)


def neutralise_json(document: str) -> str:
    """A JSON document with the control characters ``json.dumps(ensure_ascii=False)`` leaves raw escaped.

    Those characters can only occur inside JSON strings, where ``\\uNNNN`` means the same.
    """
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
