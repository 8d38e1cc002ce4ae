"""Which tables a statement from pg_stat_statements names, and its text with
every literal blanked. Pure functions over the statement's text, tested
without a server.

The mapping is a conservative name match, not a parse: the text is split
into tokens the way PostgreSQL's lexer would (quoted identifiers keep their
case and may hold anything, bare words fold to lower case, strings and
comments are skipped), and a name counts only where the grammar puts a
relation: after FROM (and each comma of its list), JOIN, UPDATE, INTO,
TABLE, USING, ONLY and COPY (not its STDIN/STDOUT). A name followed by `(` is a function (FROM
generate_series(...)), a name a WITH clause defines is a CTE, and the FROM
of `IS DISTINCT FROM` and of EXTRACT/SUBSTRING/TRIM/OVERLAY/POSITION(... FROM
...) is no relation. What this misses (a table named only inside a function
body, or a view's tables) is simply not counted: a statement is listed under
a table only when its text names it. The catalog then matches a bare name to
the source's table of that name in `public`, or to its only table of that
name (catalog/usage/apply.py).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z_0-9]*)?\$.*?\$(?P=tag)?\$)
  | (?P<param>\$\d+)
  | (?P<string>[EeBbXxNn]?'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_\x80-\uffff][A-Za-z_0-9$\x80-\uffff]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

# After these a relation name follows (FROM's list continues after commas).
_RELATION_BEFORE = {"from", "join", "update", "into", "table", "using", "only", "copy"}
# COPY's ends that are no relation.
_NOT_RELATIONS = {"stdin", "stdout"}
# Functions whose argument list has a FROM that is no relation.
_FROM_IN_CALL = {"extract", "substring", "trim", "overlay", "position"}


def blank_literals(query: str) -> str:
    """The text with every string, dollar-quoted and numeric literal replaced
    by `?` ($n parameters kept) and comments removed: pg_stat_statements already replaces the
    constants of planned statements, but keeps a utility statement's text
    as it was sent."""
    out = []
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup
        if kind == "comment":
            out.append(" ")
        else:
            out.append("?" if kind in ("string", "dollar", "number") else m.group())
    return "".join(out)


def _tokens(query: str) -> list[tuple[str, str]]:
    """(kind, text) of the meaningful tokens: words lower-cased, quoted
    identifiers unquoted, strings and numbers as `literal`."""
    tokens = []
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup
        if kind in ("space", "comment"):
            continue
        text = m.group()
        if kind == "word":
            tokens.append(("name", text.lower()))
        elif kind == "quoted":
            tokens.append(("quoted", text[1:-1].replace('""', '"')))
        elif kind in ("string", "dollar", "number", "param"):
            tokens.append(("literal", text))
        else:
            tokens.append(("punct", text))
    return tokens


def _qualified(tokens: list[tuple[str, str]], i: int) -> tuple[list[str], int]:
    """The dotted name starting at token i (its parts) and the index after it."""
    parts: list[str] = []
    while i < len(tokens) and tokens[i][0] in ("name", "quoted"):
        parts.append(tokens[i][1])
        i += 1
        if i < len(tokens) - 1 and tokens[i] == ("punct", ".") and tokens[i + 1][0] in ("name", "quoted"):
            i += 1
            continue
        break
    return parts, i


def _cte_names(tokens: list[tuple[str, str]]) -> set[str]:
    """Names a WITH clause defines: `name AS (`, `name AS [NOT] MATERIALIZED (`
    or `name (columns) AS (`."""
    names = set()
    for i, (kind, text) in enumerate(tokens):
        if kind not in ("name", "quoted"):
            continue
        j = i + 1
        if j < len(tokens) and tokens[j] == ("punct", "("):  # a column list
            depth = 0
            while j < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[j][1], 0) if tokens[j][0] == "punct" else 0
                j += 1
                if depth == 0:
                    break
        if j + 1 < len(tokens) and tokens[j] == ("name", "as"):
            k = j + 1
            while k < len(tokens) and tokens[k][1] in ("not", "materialized") and tokens[k][0] == "name":
                k += 1
            if k < len(tokens) and tokens[k] == ("punct", "("):
                names.add(text)
    return names


def _skips_from(tokens: list[tuple[str, str]], i: int, calls: list[bool]) -> bool:
    """Whether the FROM at token i is no relation's: `IS DISTINCT FROM`, or
    inside EXTRACT(... FROM ...) and its like."""
    return (i > 0 and tokens[i - 1] == ("name", "distinct")) or (bool(calls) and calls[-1])


def named_tables(query: str) -> list[tuple[str | None, str]]:
    """The relations the statement names, as (schema or None, name), each
    once, in the order they first appear."""
    tokens = _tokens(query)
    ctes = _cte_names(tokens)
    found: list[tuple[str | None, str]] = []
    calls: list[bool] = []  # per open parenthesis: whether it is a FROM-taking function's
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "punct" and text in "()":
            if text == "(":
                calls.append(i > 0 and tokens[i - 1][0] == "name" and tokens[i - 1][1] in _FROM_IN_CALL)
            elif calls:
                calls.pop()
            i += 1
            continue
        if kind != "name" or text not in _RELATION_BEFORE or (text == "from" and _skips_from(tokens, i, calls)):
            i += 1
            continue
        i = _relations_after(tokens, i + 1, text in ("from", "table"), text in ("from", "join", "using"), ctes, found)
    return found


def _relations_after(
    tokens: list[tuple[str, str]],
    i: int,
    listed: bool,
    calls_possible: bool,
    ctes: set[str],
    found: list[tuple[str | None, str]],
) -> int:
    """Read the relation name(s) at token i (FROM, TABLE: a comma-separated
    list, each with an optional alias) into `found`; the index after them.
    `calls_possible`: a name followed by `(` is a function (FROM, JOIN,
    USING), not a relation with a column list (INTO, TABLE)."""
    while True:
        if i < len(tokens) and tokens[i] == ("name", "only"):
            i += 1
        parts, i = _qualified(tokens, i)
        is_call = calls_possible and i < len(tokens) and tokens[i] == ("punct", "(")
        single = len(parts) == 1
        skip = single and (parts[0] in ctes or (tokens[i - 1][0] == "name" and parts[0] in _NOT_RELATIONS))
        if parts and not is_call and len(parts) <= 3 and not skip:
            ref = (parts[-2] if len(parts) >= 2 else None, parts[-1])
            if ref not in found:
                found.append(ref)
        if not listed or not parts or is_call:
            return i
        # an alias ([AS] name), then a comma continues the list
        if i < len(tokens) and tokens[i] == ("name", "as"):
            i += 1
        if i < len(tokens) and (
            tokens[i][0] == "quoted" or (tokens[i][0] == "name" and tokens[i][1] not in _CLAUSE_WORDS)
        ):
            i += 1
        if i < len(tokens) and tokens[i] == ("punct", ","):
            i += 1
            continue
        return i


# Words that end a FROM item (so they are no alias).
_CLAUSE_WORDS = {
    "where", "join", "inner", "left", "right", "full", "cross", "natural", "on", "using", "group", "order",
    "having", "limit", "offset", "union", "intersect", "except", "window", "for", "returning", "set", "values",
    "select", "lateral", "tablesample", "fetch", "do", "when", "then", "into",
}  # fmt: skip
