"""Names and comments from a target, made printable on one line.

A target is hostile: its names may hold line breaks, other control
characters and bidirectional overrides. Any generated text that is read
line by line (an SQL `--` comment, a Markdown table row, a diagram
statement) first passes what it prints through `visible`, so no name can
end a line, or hide or reorder what follows it. Each format then escapes its
own markup on top of that.
"""

from __future__ import annotations

import unicodedata

# Unicode categories that are never printed as they are: controls (line
# feeds, carriage returns, vertical tabs, form feeds, NEL, NUL), format
# characters (bidi overrides, zero-width ones), surrogates, private use,
# unassigned code points, and the line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def hidden(ch: str) -> bool:
    return unicodedata.category(ch) in HIDDEN_CATEGORIES


def _escape(ch: str) -> str:
    if ch in SHORT:
        return SHORT[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(value: object) -> str:
    """`value` as text with every hidden character written as a backslash
    escape (`\\n`, `\\x0b`, `\\u2028`, ...): one line, shown as it is. A
    backslash itself is left alone, so a name that holds the two characters
    `\\n` reads the same as one that holds a line feed: this text is for
    people to read, never parsed back."""
    text = str(value)
    if not any(hidden(ch) for ch in text):
        return text
    return "".join(_escape(ch) if hidden(ch) else ch for ch in text)
