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


def _visible(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape(match: re.Match[str]) -> str:
    return _visible(ord(match.group()))


def neutralise(text: str) -> str:
    """``text`` with terminal control characters replaced by visible escapes."""
    return _UNSAFE.sub(_escape, text)


# In a JSON document: a whole escape sequence (so that an escaped backslash is never taken for
# the start of another escape), or a raw unsafe character (``ensure_ascii=False`` leaves C1
# controls, DEL and bidirectional overrides raw). One leading character class: a document with
# neither is scanned as fast as by _UNSAFE alone.
_JSON_TOKEN = re.compile("[\\\\" + _UNSAFE.pattern[1:-1] + r"](?:(?<=\\)(?:u[0-9a-fA-F]{4}|.))?")
#: JSON's short escapes of unsafe controls (``\n`` and ``\t`` are line ends and tabs: kept).
_SHORT_ESCAPES = {"b": 0x08, "f": 0x0C, "r": 0x0D}


def _escape_json(match: re.Match[str]) -> str:
    token = match.group()
    if len(token) == 1:  # a raw character
        code = ord(token)
    elif token[1] == "u":
        code = int(token[2:], 16)
    elif token[1] in _SHORT_ESCAPES:
        code = _SHORT_ESCAPES[token[1]]
    else:
        return token  # \" \\ \/ \n \t
    if not _UNSAFE.match(chr(code)):
        return token
    return "\\" + _visible(code)  # the backslash escaped: the string decodes to the visible text


def neutralise_json(document: str) -> str:
    """A JSON document whose strings decode to the visible escapes :func:`neutralise` shows.

    ``json.dumps`` writes an ESC as ``\\u001b`` (and leaves C1 controls and bidirectional
    overrides raw with ``ensure_ascii=False``): a program reading the document would get the
    raw character back and could print it to a terminal. Each unsafe character, raw or
    escaped, becomes the six characters ``\\\\x1b`` instead, which a JSON reader decodes to the
    text ``\\x1b``, as the table shows it.
    """
    return _JSON_TOKEN.sub(_escape_json, document)
