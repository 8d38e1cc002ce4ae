"""Lint over a source's stored definitions: one set-based INSERT ... SELECT
per rule over every live table of the source (never a loop over tables),
run after each crawl that changed something (`catalog.insights.refresh`).

A finding names its rule, severity, object (`schema.table`,
`schema.table.index_or_column`, or a bare column name for rules about a
name across tables), a message, and a fix as SQL where one can be written
without guessing (for PostgreSQL sources; MySQL fixes only where the
statement needs nothing the catalog does not hold).

The ignore list is applied when findings are read, so changing it takes
effect at once without recomputing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

TOO_MANY_COLUMNS = 100
# What a message lists at most (columns, tables) before saying how many more.
LIST_AT_MOST = 20

SEVERITIES = ("error", "warning", "info")

# rule -> (severity, what it means); the API documents this table.
RULES: dict[str, tuple[str, str]] = {
    "no_primary_key": ("warning", "a table without a primary key"),
    "fk_without_index": ("warning", "a foreign key whose columns lead no index (deletes on the parent scan)"),
    "duplicate_index": ("warning", "an index with the same columns, method and predicate as another"),
    "redundant_index": ("info", "a non-unique index whose columns are a prefix of another index's"),
    "fk_type_mismatch": ("warning", "a foreign key column whose type differs from the referenced column's"),
    "nullable_in_unique": ("warning", "a nullable column in a unique constraint or index (NULLs never collide)"),
    "json_not_jsonb": ("info", "a json column on PostgreSQL, where jsonb exists"),
    "table_without_comment": ("info", "a table or view without a comment"),
    "column_without_comment": ("info", "a table with columns without a comment (one finding per table)"),
    "column_type_inconsistent": ("info", "the same column name with different types across tables"),
    "no_relations": ("info", "a table with no foreign key, referenced by none"),
    "identifier_needs_quoting": ("info", "a table or column name that must be quoted (case, spaces, reserved words)"),
    "too_many_columns": ("info", f"a table with more than {TOO_MANY_COLUMNS} columns"),
}

MYSQL_ENGINES = ("mysql", "mariadb")
TABLE_KINDS = "('table', 'partitioned_table')"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Reserved words MySQL/MariaDB refuse unquoted as identifiers (the ones a
# schema meets; the full list is longer), and the SQL standard's most common
# ones for other engines. PostgreSQL's own list is quote_ident()'s.
MYSQL_RESERVED = _words(
    "add all alter analyze and as asc before between bigint binary blob both by call cascade case change char "
    "character check collate column condition constraint continue convert create cross current_date current_time "
    "current_timestamp current_user cursor database databases dec decimal declare default delete desc describe "
    "distinct div double drop dual each else elseif enclosed escaped exists exit explain false fetch float for "
    "force foreign from fulltext grant group having if ignore in index infile inner insert int integer interval "
    "into is join key keys kill leading leave left like limit lines load lock long loop match merge mod natural "
    "not null numeric on option or order out outer partition precision primary procedure range read real "
    "references regexp release rename repeat replace require restrict return revoke right rlike row rows schema "
    "schemas select separator set show smallint spatial sql ssl starting table terminated then to trailing "
    "trigger true undo union unique unlock unsigned update usage use using values varchar when where while with "
    "write xor"
)
SQL_RESERVED = _words(
    "all and any as asc between by case check column constraint create cross default delete desc distinct drop "
    "else end except exists false foreign from full group having in index inner insert intersect into is join "
    "key left like limit not null offset on or order outer primary references right select set table then to "
    "true union unique update user using values when where with"
)

_LIVE = "catalog_tables t WHERE t.source_id = :sid AND t.removed_at IS NULL"
_OBJ = "t.schema_name || '.' || t.name"
_INSERT = (
    "INSERT INTO catalog_findings (source_id, rule, severity, schema_name, table_name, object_name, object, "
    "message, fix) "
)


def _quote(engine: str) -> Callable[[str], str]:
    """A SQL expression quoting the identifier expression `e` for the source's engine."""
    if engine in MYSQL_ENGINES:
        return lambda e: f"('`' || replace({e}, '`', '``') || '`')"
    return lambda e: f"quote_ident({e})"


def _needs_quoting(engine: str, e: str) -> str:
    """A SQL condition: the identifier expression `e` must be quoted on `engine`."""
    if engine == "postgresql":
        return f"quote_ident({e}) <> {e}"
    words = MYSQL_RESERVED if engine in MYSQL_ENGINES else SQL_RESERVED
    listed = ", ".join(f"'{w}'" for w in sorted(words))
    first = "A-Za-z0-9_$" if engine in MYSQL_ENGINES else "A-Za-z_"
    return f"({e} !~ '^[{first}][A-Za-z0-9_$]*$' OR {e} ~ '^[0-9]+$' OR lower({e}) IN ({listed}))"


def _listed(agg_expr: str, order: str, at_most: int = LIST_AT_MOST) -> str:
    """A comma-separated list of at most `at_most` values, and how many more."""
    return (
        f"array_to_string((array_agg({agg_expr} ORDER BY {order}))[1:{at_most}], ', ') || "
        f"CASE WHEN count(*) > {at_most} THEN ' and ' || (count(*) - {at_most}) || ' more' ELSE '' END"
    )


def rule_statements(engine: str) -> list[tuple[str, str]]:
    """(rule, INSERT ... SELECT) for every rule that applies to `engine`."""
    q = _quote(engine)
    qt = f"{q('t.schema_name')} || '.' || {q('t.name')}"
    pg = engine == "postgresql"
    my = engine in MYSQL_ENGINES
    # a table's indexes, its primary key counted as one
    index_set = (
        "jsonb_array_elements(coalesce(t.definition->'indexes', '[]') || CASE WHEN "
        "jsonb_typeof(t.definition->'primary_key') = 'object' THEN jsonb_build_array(t.definition->'primary_key') "
        "ELSE '[]' END)"
    )
    drop_index = (
        (lambda ix: f"'DROP INDEX ' || {q('t.schema_name')} || '.' || {q(ix)} || ';'")
        if pg
        else (lambda ix: f"'DROP INDEX ' || {q(ix)} || ' ON ' || {qt} || ';'")
        if my
        else (lambda ix: "NULL")
    )

    # an index that backs the primary key or a constraint cannot simply be dropped
    def backs_constraint(i: str) -> str:
        return (
            f"({i}->>'name' = t.definition->'primary_key'->>'name' OR {i}->>'name' = 'PRIMARY' OR EXISTS ("
            "SELECT 1 FROM jsonb_array_elements(coalesce(t.definition->'constraints', '[]')) k "
            f"WHERE k->>'name' = {i}->>'name'))"
        )

    ix_name = "x->>'name'"
    needs_quoting_col = _needs_quoting(engine, "col->>'name'")
    col_name = q("col->>'name'")
    sev = {rule: severity for rule, (severity, _) in RULES.items()}

    def head(rule: str) -> str:
        return f"{_INSERT} SELECT :sid, '{rule}', '{sev[rule]}', "

    out = [
        (
            "no_primary_key",
            head("no_primary_key")
            + f"t.schema_name, t.name, NULL, {_OBJ}, 'table has no primary key', NULL FROM {_LIVE} "
            f"AND t.kind IN {TABLE_KINDS} AND jsonb_typeof(t.definition->'primary_key') IS DISTINCT FROM 'object'",
        ),
    ]
    out.append(
        (
            "fk_without_index",
            head("fk_without_index") + f"t.schema_name, t.name, fk->>'name', {_OBJ} || '.' || (fk->>'name'), "
            "'foreign key ' || (fk->>'name') || ' (' || (SELECT string_agg(c, ', ') FROM "
            "jsonb_array_elements_text(fk->'columns') c) || ') has no index leading with its columns', "
            + (
                f"'CREATE INDEX ON ' || {qt} || ' (' || (SELECT string_agg({q('c')}, ', ') FROM "
                "jsonb_array_elements_text(fk->'columns') c) || ');'"
                if pg
                else f"'ALTER TABLE ' || {qt} || ' ADD INDEX (' || (SELECT string_agg({q('c')}, ', ') FROM "
                "jsonb_array_elements_text(fk->'columns') c) || ');'"
                if my
                else "NULL"
            )
            + " FROM catalog_tables t CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'foreign_keys', "
            "'[]')) fk WHERE t.source_id = :sid AND t.removed_at IS NULL "
            f"AND t.kind IN {TABLE_KINDS} AND NOT EXISTS (SELECT 1 FROM {index_set} x "
            "WHERE x->>'predicate' IS NULL "
            "AND jsonb_array_length(x->'columns') >= jsonb_array_length(fk->'columns') "
            "AND (SELECT array_agg(c ORDER BY c) FROM jsonb_array_elements_text(x->'columns') WITH ORDINALITY a(c, n) "
            "WHERE n <= jsonb_array_length(fk->'columns')) "
            "= (SELECT array_agg(c ORDER BY c) FROM jsonb_array_elements_text(fk->'columns') c))",
        )
    )
    same_index = (
        "x->'columns' = y->'columns' AND x->>'predicate' IS NOT DISTINCT FROM y->>'predicate' "
        "AND x->>'method' IS NOT DISTINCT FROM y->>'method'"
    )
    out.append(
        (
            "duplicate_index",
            head("duplicate_index") + f"t.schema_name, t.name, x->>'name', {_OBJ} || '.' || (x->>'name'), "
            "'index ' || (x->>'name') || ' duplicates ' || (y->>'name'), "
            f"CASE WHEN {backs_constraint('x')} THEN NULL ELSE {drop_index(ix_name)} END "
            "FROM catalog_tables t "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'indexes', '[]')) x "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'indexes', '[]')) y "
            f"WHERE t.source_id = :sid AND t.removed_at IS NULL AND {same_index} "
            "AND x->>'name' <> y->>'name' "
            # of identical indexes, all but the best are reported: unique ones and
            # those backing a constraint are better, then the first by name
            f"AND ROW((x->>'unique')::boolean, {backs_constraint('x')}, y->>'name') "
            f"< ROW((y->>'unique')::boolean, {backs_constraint('y')}, x->>'name')",
        )
    )
    out.append(
        (
            "redundant_index",
            head("redundant_index") + f"t.schema_name, t.name, x->>'name', {_OBJ} || '.' || (x->>'name'), "
            "'index ' || (x->>'name') || ' (' || (SELECT string_agg(c, ', ') FROM "
            "jsonb_array_elements_text(x->'columns') c) || ') is a prefix of ' || (y->>'name') || ' (' || "
            "(SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(y->'columns') c) || ')', "
            f"{drop_index(ix_name)} "
            "FROM catalog_tables t "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'indexes', '[]')) x "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'indexes', '[]')) y "
            "WHERE t.source_id = :sid AND t.removed_at IS NULL "
            "AND NOT (x->>'unique')::boolean AND x->>'predicate' IS NULL AND y->>'predicate' IS NULL "
            "AND x->>'method' IS NOT DISTINCT FROM y->>'method' "
            "AND jsonb_array_length(x->'columns') < jsonb_array_length(y->'columns') "
            "AND (SELECT array_agg(c ORDER BY n) FROM jsonb_array_elements_text(y->'columns') WITH ORDINALITY "
            "a(c, n) WHERE n <= jsonb_array_length(x->'columns')) = "
            "(SELECT array_agg(c ORDER BY n) FROM jsonb_array_elements_text(x->'columns') WITH ORDINALITY a(c, n))",
        )
    )
    out.append(
        (
            "fk_type_mismatch",
            head("fk_type_mismatch") + f"t.schema_name, t.name, c.col, {_OBJ} || '.' || c.col, "
            "'column ' || c.col || ' is ' || cc.type || ' but references ' || r.schema_name || '.' || r.name || "
            "'.' || (fk->'referenced_columns'->>(c.n::int - 1)) || ', which is ' || rc.type || "
            "' (foreign key ' || (fk->>'name') || ')', "
            + (
                f"'ALTER TABLE ' || {qt} || ' ALTER COLUMN ' || {q('c.col')} || ' TYPE ' || rc.type || ';'"
                if pg
                else "NULL"
            )
            + " FROM catalog_tables t "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'foreign_keys', '[]')) fk "
            "CROSS JOIN LATERAL jsonb_array_elements_text(fk->'columns') WITH ORDINALITY c(col, n) "
            "JOIN catalog_tables r ON r.source_id = t.source_id AND r.removed_at IS NULL "
            "AND r.schema_name = fk->>'referenced_schema' AND r.name = fk->>'referenced_table' "
            "JOIN catalog_columns cc ON cc.table_id = t.id AND cc.name = c.col "
            "JOIN catalog_columns rc ON rc.table_id = r.id AND rc.name = fk->'referenced_columns'->>(c.n::int - 1) "
            "WHERE t.source_id = :sid AND t.removed_at IS NULL AND cc.type <> rc.type",
        )
    )
    out.append(
        (
            "nullable_in_unique",
            head("nullable_in_unique") + f"t.schema_name, t.name, u.name, {_OBJ} || '.' || u.name, "
            "'unique ' || u.what || ' ' || u.name || ' has nullable columns: ' || "
            "string_agg(col->>'name', ', ' ORDER BY (col->>'ordinal')::int), "
            + (
                f"string_agg('ALTER TABLE ' || {qt} || ' ALTER COLUMN ' || {col_name} || "
                "' SET NOT NULL;', ' ' ORDER BY (col->>'ordinal')::int)"
                if pg
                else "NULL"
            )
            + " FROM catalog_tables t CROSS JOIN LATERAL ("
            "SELECT DISTINCT ON (name) name, what, cols FROM ("
            "SELECT x->>'name' AS name, 'index' AS what, x->'columns' AS cols "
            "FROM jsonb_array_elements(coalesce(t.definition->'indexes', '[]')) x "
            "WHERE (x->>'unique')::boolean "
            "UNION ALL SELECT k->>'name', 'constraint', k->'columns' "
            "FROM jsonb_array_elements(coalesce(t.definition->'constraints', '[]')) k WHERE k->>'type' = 'unique'"
            ") a ORDER BY name, what DESC) u "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'columns', '[]')) col "
            "WHERE t.source_id = :sid AND t.removed_at IS NULL AND (col->>'nullable')::boolean "
            "AND u.cols ? (col->>'name') "
            "GROUP BY t.id, t.schema_name, t.name, u.name, u.what",
        )
    )
    if pg:
        out.append(
            (
                "json_not_jsonb",
                head("json_not_jsonb") + f"t.schema_name, t.name, col->>'name', {_OBJ} || '.' || (col->>'name'), "
                "'column ' || (col->>'name') || ' is ' || (col->>'type') || '; jsonb is smaller to query, "
                "indexable and compares by value', "
                f"'ALTER TABLE ' || {qt} || ' ALTER COLUMN ' || {col_name} || ' TYPE ' || "
                "replace(col->>'type', 'json', 'jsonb') || ' USING ' || "
                f"{col_name} || '::' || replace(col->>'type', 'json', 'jsonb') || ';' "
                "FROM catalog_tables t "
                "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'columns', '[]')) col "
                f"WHERE t.source_id = :sid AND t.removed_at IS NULL AND t.kind IN {TABLE_KINDS} "
                "AND col->>'type' IN ('json', 'json[]')",
            )
        )
    out += [
        (
            "table_without_comment",
            head("table_without_comment")
            + f"t.schema_name, t.name, NULL, {_OBJ}, replace(t.kind, '_', ' ') || ' has no comment', NULL "
            f"FROM {_LIVE} AND nullif(btrim(t.comment), '') IS NULL",
        ),
        (
            "column_without_comment",
            head("column_without_comment") + f"t.schema_name, t.name, NULL, {_OBJ}, "
            "count(*) || ' of ' || jsonb_array_length(t.definition->'columns') || "
            "' columns have no comment: ' || " + _listed("col->>'name'", "(col->>'ordinal')::int") + ", NULL "
            "FROM catalog_tables t "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'columns', '[]')) col "
            "WHERE t.source_id = :sid AND t.removed_at IS NULL AND nullif(btrim(col->>'comment'), '') IS NULL "
            "GROUP BY t.id, t.schema_name, t.name",
        ),
        (
            "column_type_inconsistent",
            head("column_type_inconsistent") + "NULL, NULL, v.name, v.name, "
            "'column name ' || v.name || ' has ' || count(*) || ' types: ' || "
            "string_agg(v.type || ' (' || v.n || ' table' || CASE WHEN v.n > 1 THEN 's' ELSE '' END || ': ' || "
            "v.tables || ')', '; ' ORDER BY v.n DESC, v.type), NULL "
            "FROM (SELECT lower(c.name) AS name, c.type, count(*) AS n, "
            + _listed("t.schema_name || '.' || t.name", "t.schema_name, t.name", at_most=3)
            + " AS tables "
            "FROM catalog_columns c JOIN catalog_tables t ON t.id = c.table_id "
            f"WHERE c.source_id = :sid AND t.removed_at IS NULL AND t.kind IN {TABLE_KINDS} "
            "GROUP BY lower(c.name), c.type) v GROUP BY v.name HAVING count(*) > 1",
        ),
        (
            "no_relations",
            head("no_relations")
            + f"t.schema_name, t.name, NULL, {_OBJ}, 'table has no foreign key and no foreign key references it', "
            "NULL FROM catalog_tables t "
            f"WHERE t.source_id = :sid AND t.removed_at IS NULL AND t.kind IN {TABLE_KINDS} "
            "AND coalesce(jsonb_array_length(t.definition->'foreign_keys'), 0) = 0 "
            "AND NOT EXISTS (SELECT 1 FROM catalog_tables o "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(o.definition->'foreign_keys', '[]')) fk "
            "WHERE o.source_id = :sid AND o.removed_at IS NULL "
            "AND fk->>'referenced_schema' = t.schema_name AND fk->>'referenced_table' = t.name)",
        ),
        (
            "identifier_needs_quoting",
            head("identifier_needs_quoting") + f"t.schema_name, t.name, NULL, {_OBJ}, "
            "'the name ' || t.name || ' must be quoted in SQL (case, characters or a reserved word)', NULL "
            f"FROM {_LIVE} AND {_needs_quoting(engine, 't.name')}",
        ),
        (
            "identifier_needs_quoting",
            head("identifier_needs_quoting") + f"t.schema_name, t.name, '(columns)', {_OBJ} || '.(columns)', "
            "'column names that must be quoted in SQL: ' || "
            + _listed("col->>'name'", "(col->>'ordinal')::int")
            + ", NULL FROM catalog_tables t "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'columns', '[]')) col "
            f"WHERE t.source_id = :sid AND t.removed_at IS NULL AND {needs_quoting_col} "
            "GROUP BY t.id, t.schema_name, t.name",
        ),
        (
            "too_many_columns",
            head("too_many_columns") + f"t.schema_name, t.name, NULL, {_OBJ}, "
            "'table has ' || jsonb_array_length(t.definition->'columns') || ' columns', NULL "
            f"FROM {_LIVE} AND t.kind IN {TABLE_KINDS} "
            f"AND jsonb_array_length(t.definition->'columns') > {TOO_MANY_COLUMNS}",
        ),
    ]
    return out


def run_lint(session: Session, source_id: int, engine: str) -> dict[str, float]:
    """Replace the source's findings with what the rules find now, inside the
    caller's transaction. Returns seconds per rule."""
    session.execute(text("DELETE FROM catalog_findings WHERE source_id = :sid"), {"sid": source_id})
    seconds: dict[str, float] = {}
    for rule, sql in rule_statements(engine):
        started = time.perf_counter()
        session.execute(text(sql), {"sid": source_id})
        seconds[rule] = round(seconds.get(rule, 0.0) + time.perf_counter() - started, 4)
    return seconds


# --- reads -----------------------------------------------------------------

# Findings not hidden by the source's ignore list (globs: * any run, ? one character).
_NOT_IGNORED = """NOT EXISTS (
    SELECT 1 FROM catalog_insight_ignores i
    WHERE i.source_id = f.source_id AND (i.rule = '*' OR i.rule = f.rule)
      AND f.object LIKE replace(replace(replace(replace(replace(i.pattern, '\\', '\\\\'), '%', '\\%'),
                                                '_', '\\_'), '*', '%'), '?', '_'))"""


def findings_page(
    session: Session,
    source_id: int,
    *,
    rule: str | None = None,
    severity: str | None = None,
    schema: str | None = None,
    table: str | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[dict]:
    where = ["f.source_id = :sid", _NOT_IGNORED]
    params: dict = {"sid": source_id, "limit": limit}
    for column, value in (("rule", rule), ("severity", severity), ("schema_name", schema), ("table_name", table)):
        if value is not None:
            where.append(f"f.{column} = :{column}")
            params[column] = value
    if after_id is not None:
        where.append("f.id > :after")
        params["after"] = after_id
    rows = session.execute(
        text(
            "SELECT f.id, f.rule, f.severity, f.schema_name, f.table_name, f.object_name, f.object, f.message, "
            f"f.fix FROM catalog_findings f WHERE {' AND '.join(where)} ORDER BY f.id LIMIT :limit"
        ),
        params,
    )
    return [dict(r._mapping) for r in rows]


def finding_counts(session: Session, source_id: int) -> dict[str, int]:
    """Findings per rule, the ignore list applied."""
    rows = session.execute(
        text(
            f"SELECT f.rule, count(*) FROM catalog_findings f WHERE f.source_id = :sid AND {_NOT_IGNORED} "
            "GROUP BY f.rule ORDER BY f.rule"
        ),
        {"sid": source_id},
    )
    return {r[0]: r[1] for r in rows}


def coverage(session: Session, source_id: int) -> dict:
    """Documentation coverage: the share of live tables and of their columns
    that carry a comment, per schema and for the whole source."""
    rows = session.execute(
        text(
            "SELECT t.schema_name, count(*) AS tables, "
            "count(*) FILTER (WHERE nullif(btrim(t.comment), '') IS NOT NULL) AS tables_commented, "
            "coalesce(sum(c.n), 0) AS columns, coalesce(sum(c.commented), 0) AS columns_commented "
            "FROM catalog_tables t CROSS JOIN LATERAL (SELECT count(*) AS n, "
            "count(*) FILTER (WHERE nullif(btrim(col->>'comment'), '') IS NOT NULL) AS commented "
            "FROM jsonb_array_elements(coalesce(t.definition->'columns', '[]')) col) c "
            "WHERE t.source_id = :sid AND t.removed_at IS NULL GROUP BY t.schema_name ORDER BY t.schema_name"
        ),
        {"sid": source_id},
    ).all()

    def figures(tables: int, tc: int, columns: int, cc: int) -> dict:
        return {
            "tables": tables,
            "tables_commented": tc,
            "tables_share": round(tc / tables, 4) if tables else None,
            "columns": columns,
            "columns_commented": cc,
            "columns_share": round(cc / columns, 4) if columns else None,
        }

    schemas = [{"schema": r[0], **figures(r[1], r[2], int(r[3]), int(r[4]))} for r in rows]
    total = figures(*(sum(int(r[i]) for r in rows) for i in range(1, 5)))
    return {**total, "schemas": schemas}


def ignore_list(session: Session, source_id: int) -> list[dict]:
    rows = session.execute(
        text("SELECT rule, pattern FROM catalog_insight_ignores WHERE source_id = :sid ORDER BY rule, pattern"),
        {"sid": source_id},
    )
    return [{"rule": r[0], "pattern": r[1]} for r in rows]


def replace_ignore_list(session: Session, source_id: int, entries: list[dict]) -> None:
    """Replace the source's ignore list, inside the caller's transaction."""
    session.execute(text("DELETE FROM catalog_insight_ignores WHERE source_id = :sid"), {"sid": source_id})
    unique = sorted({(e["rule"], e["pattern"]) for e in entries})
    if unique:
        session.execute(
            text(
                "INSERT INTO catalog_insight_ignores (source_id, rule, pattern) "
                "SELECT :sid, r, p FROM unnest(CAST(:rules AS text[]), CAST(:patterns AS text[])) AS u(r, p)"
            ),
            {"sid": source_id, "rules": [u[0] for u in unique], "patterns": [u[1] for u in unique]},
        )
