"""column_without_comment: a table with columns without a comment, one
finding per table naming how many and which (the first LIST_AT_MOST). No
fix: the words are the owner's."""

from __future__ import annotations

from .common import OBJ, SCOPED, Dialect, Rule, listed

RULE = Rule("column_without_comment", "info", "a table with columns without a comment (one finding per table)")

NO_COMMENT = "nullif(btrim(c.comment), '') IS NULL"


def statements(d: Dialect) -> list[str]:
    return [
        RULE.head() + f"t.schema_name, t.name, NULL, {OBJ}, "
        f"count(*) FILTER (WHERE {NO_COMMENT}) || ' of ' || count(*) || ' columns have no comment: ' || "
        + listed("c.name", "c.ordinal", where=NO_COMMENT)
        + f", NULL FROM {SCOPED} JOIN catalog_columns c ON c.table_id = t.id "
        f"GROUP BY t.id, t.schema_name, t.name HAVING bool_or({NO_COMMENT})"
    ]
