"""table_without_comment: a table or view without a comment (or only
blanks), which leaves its readers guessing. No fix: the words are the
owner's."""

from __future__ import annotations

from .common import OBJ, SCOPED, Dialect, Rule

RULE = Rule("table_without_comment", "info", "a table or view without a comment")


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, NULL, {OBJ}, replace(t.kind, '_', ' ') || ' has no comment', NULL "
        f"FROM {SCOPED} WHERE nullif(btrim(t.comment), '') IS NULL"
    ]
