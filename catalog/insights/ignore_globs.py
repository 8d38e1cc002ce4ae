"""The ignore list's globs: `*` any run of characters, `?` one, and `\\`
taking the character after it literally (so a finding on an object whose
name holds `*` or `?` can be ignored alone). Each glob is turned into a
LIKE pattern once, when it is stored, rather than by SQL at every read."""

from __future__ import annotations

_WILD = {"*": "%", "?": "_"}


def like_pattern(glob: str) -> str:
    """The LIKE pattern (escape character `\\`) matching what `glob` matches."""
    out: list[str] = []
    chars = iter(glob)
    for c in chars:
        if c == "\\":
            c = next(chars, "\\")  # a trailing backslash is itself
        elif c in _WILD:
            out.append(_WILD[c])
            continue
        out.append("\\" + c if c in "\\%_" else c)
    return "".join(out)


def literal_glob(text: str) -> str:
    """A glob matching `text` and nothing else."""
    return "".join("\\" + c if c in "\\*?" else c for c in text)
