"""What a MySQL/MariaDB account may see, told from its own grants (SHOW GRANTS).

information_schema answers an account only about what it holds a privilege
on, and is silent on the rest, so an account with SELECT and SHOW VIEW (the
least a crawler needs) lists no routines and no triggers, as if there were
none:
- ROUTINES lists the routines the account defined or holds a privilege on
  (EXECUTE, ALTER ROUTINE), and gives a body only to their definer; all of
  them, bodies included, with SELECT on mysql.proc (MariaDB: global SELECT
  is that too) or SHOW ROUTINE (MariaDB 11.3+; MySQL 8.0.20+ SHOW_ROUTINE).
- TRIGGERS lists the triggers of the tables the account holds TRIGGER on.

SHOW GRANTS of the current account lists its own grants and those of the
role it starts with (its default role), which information_schema's
privilege tables leave out. The parsing is pure and tested without a
server; the introspector runs the statement and warns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .records import VisibilityWarning

ALL = "ALL PRIVILEGES"


@dataclass(frozen=True)
class Grant:
    """One GRANT line: its privileges (upper case, column lists dropped) and
    what they are on: level "global" (*.*), "database" (`db`.*, the name a
    pattern where it holds % or _), "table" (`db`.`t`) or "routine"."""

    privileges: frozenset[str]
    level: str
    database: str | None = None
    table: str | None = None


def _split_outside(text: str, sep: str) -> list[str]:
    """`text` split at `sep` where it stands outside backquotes, quotes and
    parentheses (a column list, a quoted name holding the separator)."""
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote and text[i + 1 : i + 2] == quote:
                i += 2  # a doubled quote inside the name
                continue
            if c == quote:
                quote = ""
        elif c in "`'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    parts.append(text[start:])
    return parts


_NAME = r"(?:`((?:[^`]|``)*)`|(\*)|([^.\s`]+))"
_OBJECT = re.compile(rf"^(?:(PROCEDURE|FUNCTION|PACKAGE(?: BODY)?)\s+)?{_NAME}\.{_NAME}$", re.IGNORECASE)


def _name(quoted: str | None, star: str | None, bare: str | None) -> str | None:
    if star:
        return None
    return quoted.replace("``", "`") if quoted is not None else bare


def parse_grant(line: str) -> Grant | None:
    """A SHOW GRANTS line as a Grant; None for what grants no object
    privilege (a role granted, PROXY)."""
    line = line.strip()
    if not line.upper().startswith("GRANT "):
        return None
    parts = _split_outside(line[len("GRANT ") :], " ON ")
    if len(parts) < 2:
        return None  # GRANT `role` TO `user`
    target = _split_outside(" ON ".join(parts[1:]), " TO ")[0].strip()
    match = _OBJECT.match(target)
    if match is None:
        return None  # PROXY ON ''@'%'
    routine, db, table = match.group(1), _name(*match.group(2, 3, 4)), _name(*match.group(5, 6, 7))
    privileges = frozenset(
        re.sub(r"\s*\(.*\)\s*$", "", p).strip().upper() for p in _split_outside(parts[0], ",") if p.strip()
    )
    if routine:
        return Grant(privileges, "routine", db, table)
    if db is None:
        return Grant(privileges, "global")
    return Grant(privileges, "database" if table is None else "table", db, table)


def parse_grants(lines: Iterable[str]) -> list[Grant]:
    return [g for g in map(parse_grant, lines) if g is not None]


def database_matches(pattern: str, name: str) -> bool:
    """Whether a database-level grant's name covers `name`: % and _ are
    wildcards there unless escaped with a backslash."""
    regex = "".join(
        re.escape(tok[1]) if tok.startswith("\\") else ".*" if tok == "%" else "." if tok == "_" else re.escape(tok)
        for tok in re.findall(r"\\.|.", pattern, re.DOTALL)
    )
    return re.fullmatch(regex, name, re.DOTALL) is not None


def holds(grants: Iterable[Grant], privileges: set[str], database: str | None = None, table: str | None = None) -> bool:
    """Whether one of `privileges` is held globally, or on `database` (all
    its tables), or on `database`.`table`."""
    for g in grants:
        if not (g.privileges & privileges or ALL in g.privileges):
            continue
        if g.level == "global":
            return True
        if database is not None and g.level == "database" and database_matches(g.database or "", database):
            return True
        if table is not None and g.level == "table" and (g.database, g.table) == (database, table):
            return True
    return False


# --- what they show -------------------------------------------------------------------


def routine_privilege(mariadb: bool, version: tuple[int, int, int]) -> str:
    """The least privilege that shows every routine and its body."""
    if mariadb:
        return "SHOW ROUTINE" if version >= (11, 3, 0) else "SELECT ON mysql.proc"
    return "SHOW_ROUTINE" if version >= (8, 0, 20) else "SELECT ON *.*"


def hidden_kinds(
    grants: list[Grant], databases: list[str], mariadb: bool, version: tuple[int, int, int]
) -> list[VisibilityWarning]:
    """The kinds of object information_schema hides from an account with
    these grants, in the crawled `databases`."""
    found = []
    show_routine = {"SHOW ROUTINE", "SHOW_ROUTINE"}
    routines_seen = holds(grants, {"SELECT"} | show_routine) or (mariadb and holds(grants, {"SELECT"}, "mysql", "proc"))
    if not routines_seen and not all(holds(grants, show_routine, db) for db in databases):
        privilege = routine_privilege(mariadb, version)
        found.append(
            VisibilityWarning(
                "routines",
                privilege,
                "routines: this account sees only the routines it defined or holds a privilege on, and the bodies "
                f"of those it defined; grant {privilege} to see them all",
            )
        )
    blind = [db for db in databases if not holds(grants, {"TRIGGER"}, db)]
    if blind:
        names = ", ".join(f"`{db.replace('`', '``')}`.*" for db in blind)
        found.append(
            VisibilityWarning(
                "triggers",
                "TRIGGER",
                "triggers: not visible on tables this account holds no TRIGGER privilege on; "
                f"grant TRIGGER on {names} to see them",
            )
        )
    return found
