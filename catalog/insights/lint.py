"""Lint over a source's stored definitions: one set-based INSERT ... SELECT
per rule (never a loop over tables), run after each crawl that changed
something (`catalog.insights.refresh`, in its own task). A rule about one
table's own definition runs over the tables added or changed since the last
run (all of them the first time), a rule that compares tables over the whole
source; both read the relational copies of the definitions (catalog_columns,
catalog_foreign_keys, and the indexes read out once per run into a temporary
table) rather than expanding each definition's JSON per rule.

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

# Rules about one table's own definition run over the tables in `insights_scope`
# (every live table, or those changed since the last run: catalog.insights);
# fk_type_mismatch over those and the tables whose keys reference one of them
# or a table removed since (`lint_fk_tables`). The rules that compare tables
# run over what the changes since the last run can have moved, found by
# comparing each changed or removed table's definition as of that run (its
# past version, `lint_before`) with its current one: column_type_inconsistent
# over the column names whose (name, type) pairs changed (`lint_names`),
# no_relations over the changed tables and those their keys referenced before
# or reference now (`lint_relations`). When a changed table has no past
# version (history written before versions existed), both run over the whole
# source.
CROSS_TABLE_RULES = ("column_type_inconsistent", "no_relations")

LINT_FK_TABLES = """
CREATE TEMP TABLE lint_fk_tables ON COMMIT DROP AS
SELECT id FROM insights_scope
UNION
SELECT f.table_id FROM catalog_foreign_keys f JOIN catalog_tables r ON r.source_id = f.source_id
    AND r.schema_name = f.referenced_schema AND r.name = f.referenced_table
WHERE f.source_id = :sid AND r.id IN (SELECT id FROM insights_scope UNION ALL SELECT id FROM insights_removed)
"""

# The definition each changed or removed table had at the last run: the past
# version valid then (none for a table that did not exist then).
LINT_BEFORE = """
CREATE TEMP TABLE lint_before ON COMMIT DROP AS
SELECT DISTINCT ON (v.table_id) v.table_id, v.kind, v.definition
FROM catalog_table_versions v
WHERE v.table_id IN (SELECT id FROM insights_scope UNION ALL SELECT id FROM insights_removed)
  AND v.valid_to_crawl_id > :since AND v.valid_from_crawl_id <= :since
ORDER BY v.table_id, v.valid_to_crawl_id
"""

# A table that existed at the last run and changed since, without the past
# version that says what it was.
HISTORY_MISSING = """
SELECT EXISTS (SELECT 1 FROM (SELECT id FROM insights_scope UNION ALL SELECT id FROM insights_removed) s
               JOIN catalog_tables t ON t.id = s.id
               WHERE t.first_seen_crawl_id <= :since AND s.id NOT IN (SELECT table_id FROM lint_before))
"""

# The lower-cased column names whose (name, type) pairs in tables (not views)
# differ between the last run and now: only their column_type_inconsistent
# findings can have changed (a finding lists each type's count and tables).
LINT_NAMES = f"""
CREATE TEMP TABLE lint_names ON COMMIT DROP AS
SELECT DISTINCT name FROM (
    SELECT c.table_id, lower(c.name) AS name, c.type, 1 AS n FROM insights_scope s
    JOIN catalog_tables t ON t.id = s.id JOIN catalog_columns c ON c.table_id = t.id
    WHERE t.kind IN {TABLE_KINDS}
    UNION ALL
    SELECT b.table_id, lower(col->>'name'), col->>'type', -1 FROM lint_before b
    CROSS JOIN LATERAL jsonb_array_elements(coalesce(b.definition->'columns', '[]')) col
    WHERE b.kind IN {TABLE_KINDS}) d
GROUP BY table_id, name, type HAVING sum(n) <> 0
"""

# The tables whose no_relations finding can have changed: the changed and
# removed ones, and those their keys reference now or referenced before.
LINT_RELATIONS = """
CREATE TEMP TABLE lint_relations ON COMMIT DROP AS
SELECT id FROM insights_scope
UNION SELECT id FROM insights_removed
UNION SELECT r.id FROM catalog_foreign_keys f JOIN catalog_tables r ON r.source_id = :sid
    AND r.schema_name = f.referenced_schema AND r.name = f.referenced_table
    WHERE f.table_id IN (SELECT id FROM insights_scope)
UNION SELECT r.id FROM lint_before b
    CROSS JOIN LATERAL jsonb_array_elements(coalesce(b.definition->'foreign_keys', '[]')) k
    JOIN catalog_tables r ON r.source_id = :sid
    AND r.schema_name = k->>'referenced_schema' AND r.name = k->>'referenced_table'
"""

_SCOPED = "insights_scope s JOIN catalog_tables t ON t.id = s.id"
_OBJ = "t.schema_name || '.' || t.name"
_INSERT = (
    "INSERT INTO catalog_findings (source_id, table_id, rule, severity, schema_name, table_name, object_name, "
    "object, message, fix) "
)

# Every index, the primary key and every unique constraint of the tables in
# scope, read out of their definitions once per run (the index rules then
# compare text arrays instead of expanding JSON per rule).
LINT_INDEXES = """
CREATE TEMP TABLE lint_indexes ON COMMIT DROP AS
SELECT d.id AS table_id, x.kind, x.doc->>'name' AS name,
       ARRAY(SELECT jsonb_array_elements_text(x.doc->'columns')) AS cols,
       x.kind <> 'index' OR coalesce((x.doc->>'unique')::boolean, false) AS uniq,
       x.doc->>'method' AS method, x.doc->>'predicate' AS predicate,
       x.kind = 'primary_key' OR x.doc->>'name' IN (d.pk_name, 'PRIMARY') AS is_pk,
       x.kind <> 'index' OR x.doc->>'name' IN (d.pk_name, 'PRIMARY')
         OR x.doc->>'name' = ANY(d.constraint_names) AS backs_constraint
FROM (SELECT t.id, t.definition->'indexes' AS indexes, t.definition->'primary_key' AS pk,
             t.definition->'primary_key'->>'name' AS pk_name, c.constraints,
             ARRAY(SELECT k->>'name' FROM jsonb_array_elements(c.constraints) k) AS constraint_names
      FROM insights_scope s JOIN catalog_tables t ON t.id = s.id
      CROSS JOIN LATERAL (SELECT coalesce(t.definition->'constraints', '[]') AS constraints) c) d
CROSS JOIN LATERAL (
    SELECT 'index' AS kind, i AS doc FROM jsonb_array_elements(coalesce(d.indexes, '[]')) i
    UNION ALL SELECT 'primary_key', d.pk WHERE jsonb_typeof(d.pk) = 'object'
    UNION ALL SELECT 'constraint', k FROM jsonb_array_elements(d.constraints) k WHERE k->>'type' = 'unique') x
"""


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


def _listed(agg_expr: str, order: str, at_most: int = LIST_AT_MOST, where: str = "") -> str:
    """A comma-separated list of at most `at_most` values (those matching
    `where`, if given), and how many more."""
    filt = f" FILTER (WHERE {where})" if where else ""
    n = f"count(*){filt}"
    return (
        f"array_to_string((array_agg({agg_expr} ORDER BY {order}){filt})[1:{at_most}], ', ') || "
        f"CASE WHEN {n} > {at_most} THEN ' and ' || ({n} - {at_most}) || ' more' ELSE '' END"
    )


def rule_statements(engine: str, scoped: bool = False) -> list[tuple[str, str]]:
    """(rule, INSERT ... SELECT) for every rule that applies to `engine`; the
    one-table rules read `insights_scope` and `lint_indexes` (see run_lint);
    `scoped`: the rules across tables read `lint_names` and `lint_relations`
    instead of running over the whole source."""
    q = _quote(engine)
    qt = f"{q('t.schema_name')} || '.' || {q('t.name')}"
    pg = engine == "postgresql"
    my = engine in MYSQL_ENGINES
    drop_index = (
        (lambda ix: f"'DROP INDEX ' || {q('t.schema_name')} || '.' || {q(ix)} || ';'")
        if pg
        else (lambda ix: f"'DROP INDEX ' || {q(ix)} || ' ON ' || {qt} || ';'")
        if my
        else (lambda ix: "NULL")
    )
    sev = {rule: severity for rule, (severity, _) in RULES.items()}
    col_name = q("col->>'name'")

    def head(rule: str, table_id: str = "t.id") -> str:
        return f"{_INSERT} SELECT :sid, {table_id}, '{rule}', '{sev[rule]}', "

    fk_cols = "ARRAY(SELECT jsonb_array_elements_text(f.columns))"
    listed_fk_cols = "array_to_string(ARRAY(SELECT jsonb_array_elements_text(f.columns)), ', ')"
    out = [
        (
            "no_primary_key",
            head("no_primary_key") + f"t.schema_name, t.name, NULL, {_OBJ}, 'table has no primary key', NULL "
            f"FROM {_SCOPED} WHERE t.kind IN {TABLE_KINDS} "
            "AND jsonb_typeof(t.definition->'primary_key') IS DISTINCT FROM 'object'",
        ),
        (
            "fk_without_index",
            head("fk_without_index") + f"t.schema_name, t.name, f.name, {_OBJ} || '.' || f.name, "
            f"'foreign key ' || f.name || ' (' || {listed_fk_cols} || ') has no index leading with its columns', "
            + (
                f"'CREATE INDEX ON ' || {qt} || ' (' || (SELECT string_agg({q('c')}, ', ') FROM "
                "jsonb_array_elements_text(f.columns) c) || ');'"
                if pg
                else f"'ALTER TABLE ' || {qt} || ' ADD INDEX (' || (SELECT string_agg({q('c')}, ', ') FROM "
                "jsonb_array_elements_text(f.columns) c) || ');'"
                if my
                else "NULL"
            )
            + f" FROM {_SCOPED} JOIN catalog_foreign_keys f ON f.table_id = t.id "
            f"WHERE t.kind IN {TABLE_KINDS} AND NOT EXISTS (SELECT 1 FROM lint_indexes x "
            "WHERE x.table_id = t.id AND x.kind <> 'constraint' AND x.predicate IS NULL "
            "AND cardinality(x.cols) >= jsonb_array_length(f.columns) "
            # the leading columns, in any order, are the key's columns
            f"AND x.cols[1:jsonb_array_length(f.columns)] @> {fk_cols} "
            f"AND {fk_cols} @> x.cols[1:jsonb_array_length(f.columns)])",
        ),
        (
            "duplicate_index",
            head("duplicate_index") + f"t.schema_name, t.name, x.name, {_OBJ} || '.' || x.name, "
            "'index ' || x.name || ' duplicates ' || y.name, "
            f"CASE WHEN x.backs_constraint THEN NULL ELSE {drop_index('x.name')} END "
            "FROM lint_indexes x JOIN lint_indexes y ON y.table_id = x.table_id AND y.kind = 'index' "
            "AND y.cols = x.cols AND y.predicate IS NOT DISTINCT FROM x.predicate "
            "AND y.method IS NOT DISTINCT FROM x.method AND y.name <> x.name "
            "JOIN catalog_tables t ON t.id = x.table_id WHERE x.kind = 'index' "
            # of identical indexes, all but the best are reported: unique ones and
            # those backing a constraint are better, then the first by name
            "AND ROW(x.uniq, x.backs_constraint, y.name) < ROW(y.uniq, y.backs_constraint, x.name)",
        ),
        (
            "redundant_index",
            head("redundant_index") + f"t.schema_name, t.name, x.name, {_OBJ} || '.' || x.name, "
            "'index ' || x.name || ' (' || array_to_string(x.cols, ', ') || ') is a prefix of ' || y.name || "
            "' (' || array_to_string(y.cols, ', ') || ')', "
            f"{drop_index('x.name')} "
            "FROM lint_indexes x JOIN lint_indexes y ON y.table_id = x.table_id AND y.kind = 'index' "
            "AND y.predicate IS NULL AND y.method IS NOT DISTINCT FROM x.method "
            "AND cardinality(x.cols) < cardinality(y.cols) AND y.cols[1:cardinality(x.cols)] = x.cols "
            "JOIN catalog_tables t ON t.id = x.table_id "
            "WHERE x.kind = 'index' AND NOT x.uniq AND x.predicate IS NULL",
        ),
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
            # a unique constraint and the index behind it (same name) are one finding
            + " FROM (SELECT DISTINCT ON (table_id, name) table_id, name, kind AS what, cols FROM lint_indexes "
            "WHERE uniq AND NOT is_pk ORDER BY table_id, name, kind DESC) u "
            "JOIN catalog_tables t ON t.id = u.table_id "
            "CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.definition->'columns', '[]')) col "
            "WHERE (col->>'nullable')::boolean AND col->>'name' = ANY(u.cols) "
            "GROUP BY t.id, t.schema_name, t.name, u.name, u.what",
        ),
    ]
    if pg:
        out.append(
            (
                "json_not_jsonb",
                head("json_not_jsonb") + f"t.schema_name, t.name, c.name, {_OBJ} || '.' || c.name, "
                "'column ' || c.name || ' is ' || c.type || '; jsonb is smaller to query, "
                "indexable and compares by value', "
                f"'ALTER TABLE ' || {qt} || ' ALTER COLUMN ' || {q('c.name')} || ' TYPE ' || "
                f"replace(c.type, 'json', 'jsonb') || ' USING ' || {q('c.name')} || '::' || "
                "replace(c.type, 'json', 'jsonb') || ';' "
                f"FROM {_SCOPED} JOIN catalog_columns c ON c.table_id = t.id "
                f"WHERE t.kind IN {TABLE_KINDS} AND c.type IN ('json', 'json[]')",
            )
        )
    no_comment = "nullif(btrim(c.comment), '') IS NULL"
    out += [
        (
            "table_without_comment",
            head("table_without_comment")
            + f"t.schema_name, t.name, NULL, {_OBJ}, replace(t.kind, '_', ' ') || ' has no comment', NULL "
            f"FROM {_SCOPED} WHERE nullif(btrim(t.comment), '') IS NULL",
        ),
        (
            "column_without_comment",
            head("column_without_comment") + f"t.schema_name, t.name, NULL, {_OBJ}, "
            f"count(*) FILTER (WHERE {no_comment}) || ' of ' || count(*) || ' columns have no comment: ' || "
            + _listed("c.name", "c.ordinal", where=no_comment)
            + f", NULL FROM {_SCOPED} JOIN catalog_columns c ON c.table_id = t.id "
            f"GROUP BY t.id, t.schema_name, t.name HAVING bool_or({no_comment})",
        ),
        (
            "identifier_needs_quoting",
            head("identifier_needs_quoting") + f"t.schema_name, t.name, NULL, {_OBJ}, "
            "'the name ' || t.name || ' must be quoted in SQL (case, characters or a reserved word)', NULL "
            f"FROM {_SCOPED} WHERE {_needs_quoting(engine, 't.name')}",
        ),
        (
            "identifier_needs_quoting",
            head("identifier_needs_quoting") + f"t.schema_name, t.name, '(columns)', {_OBJ} || '.(columns)', "
            "'column names that must be quoted in SQL: ' || "
            + _listed("c.name", "c.ordinal")
            + f", NULL FROM {_SCOPED} JOIN catalog_columns c ON c.table_id = t.id "
            f"WHERE {_needs_quoting(engine, 'c.name')} GROUP BY t.id, t.schema_name, t.name",
        ),
        (
            "too_many_columns",
            head("too_many_columns") + f"t.schema_name, t.name, NULL, {_OBJ}, "
            "'table has ' || jsonb_array_length(t.definition->'columns') || ' columns', NULL "
            f"FROM {_SCOPED} WHERE t.kind IN {TABLE_KINDS} "
            f"AND jsonb_array_length(t.definition->'columns') > {TOO_MANY_COLUMNS}",
        ),
        # --- rules across tables ---
        (
            "fk_type_mismatch",
            head("fk_type_mismatch") + f"t.schema_name, t.name, c.col, {_OBJ} || '.' || c.col, "
            "'column ' || c.col || ' is ' || cc.type || ' but references ' || r.schema_name || '.' || r.name || "
            "'.' || (f.referenced_columns->>(c.n::int - 1)) || ', which is ' || rc.type || "
            "' (foreign key ' || f.name || ')', "
            + (
                f"'ALTER TABLE ' || {qt} || ' ALTER COLUMN ' || {q('c.col')} || ' TYPE ' || rc.type || ';'"
                if pg
                else "NULL"
            )
            + " FROM lint_fk_tables s JOIN catalog_foreign_keys f ON f.table_id = s.id "
            "JOIN catalog_tables t ON t.id = f.table_id "
            "CROSS JOIN LATERAL jsonb_array_elements_text(f.columns) WITH ORDINALITY c(col, n) "
            "JOIN catalog_tables r ON r.source_id = f.source_id AND r.removed_at IS NULL "
            "AND r.schema_name = f.referenced_schema AND r.name = f.referenced_table "
            "JOIN catalog_columns cc ON cc.table_id = t.id AND cc.name = c.col "
            "JOIN catalog_columns rc ON rc.table_id = r.id AND rc.name = f.referenced_columns->>(c.n::int - 1) "
            "WHERE cc.type <> rc.type",
        ),
        (
            "column_type_inconsistent",
            head("column_type_inconsistent", "NULL") + "NULL, NULL, v.name, v.name, "
            "'column name ' || v.name || ' has ' || count(*) || ' types: ' || "
            "string_agg(v.type || ' (' || v.n || ' table' || CASE WHEN v.n > 1 THEN 's' ELSE '' END || ': ' || "
            "v.tables || ')', '; ' ORDER BY v.n DESC, v.type), NULL "
            "FROM (SELECT lower(c.name) AS name, c.type, count(*) AS n, "
            + _listed("t.schema_name || '.' || t.name", "t.schema_name, t.name", at_most=3)
            + " AS tables FROM catalog_columns c JOIN catalog_tables t ON t.id = c.table_id "
            f"WHERE c.source_id = :sid AND t.kind IN {TABLE_KINDS} "
            # names with one type everywhere (nearly all) are dropped before any table is joined
            "AND lower(c.name) IN (SELECT lower(c.name) FROM catalog_columns c WHERE c.source_id = :sid "
            + ("AND lower(c.name) IN (SELECT name FROM lint_names) " if scoped else "")
            + "GROUP BY lower(c.name) HAVING min(c.type) <> max(c.type)) "
            "GROUP BY lower(c.name), c.type) v GROUP BY v.name HAVING count(*) > 1",
        ),
        (
            "no_relations",
            head("no_relations")
            + f"t.schema_name, t.name, NULL, {_OBJ}, 'table has no foreign key and no foreign key references it', "
            + (
                "NULL FROM lint_relations s JOIN catalog_tables t ON t.id = s.id "
                if scoped
                else "NULL FROM catalog_tables t "
            )
            + f"WHERE t.source_id = :sid AND t.removed_at IS NULL AND t.kind IN {TABLE_KINDS} "
            "AND NOT EXISTS (SELECT 1 FROM catalog_foreign_keys f WHERE f.table_id = t.id) "
            "AND NOT EXISTS (SELECT 1 FROM catalog_foreign_keys f WHERE f.source_id = :sid "
            "AND f.referenced_schema = t.schema_name AND f.referenced_table = t.name)",
        ),
    ]
    return out


def run_lint(session: Session, source_id: int, engine: str, since_crawl_id: int | None = None) -> dict[str, float]:
    """Bring the source's findings up to date inside the caller's transaction,
    for the tables in `insights_scope`: those added or changed after crawl
    `since_crawl_id` (every live table when None). Returns seconds per rule."""
    params = {"sid": source_id, "since": since_crawl_id}
    started = time.perf_counter()
    scoped = False
    if since_crawl_id is None:
        session.execute(text("CREATE TEMP TABLE lint_fk_tables ON COMMIT DROP AS SELECT id FROM insights_scope"))
        session.execute(text("ANALYZE lint_fk_tables"))
        session.execute(text("DELETE FROM catalog_findings WHERE source_id = :sid"), params)
    else:
        scoped = _prepare_incremental(session, params)
    session.execute(text(LINT_INDEXES))
    session.execute(text("ANALYZE lint_indexes"))
    seconds: dict[str, float] = {"read_indexes": round(time.perf_counter() - started, 4)}
    for rule, sql in rule_statements(engine, scoped):
        started = time.perf_counter()
        session.execute(text(sql), params)
        seconds[rule] = round(seconds.get(rule, 0.0) + time.perf_counter() - started, 4)
    session.execute(text("DROP TABLE lint_indexes, lint_fk_tables"))
    if since_crawl_id is not None:
        session.execute(text("DROP TABLE lint_before"))
    if scoped:
        session.execute(text("DROP TABLE lint_names, lint_relations"))
    return seconds


def _prepare_incremental(session: Session, params: dict) -> bool:
    """Delete the findings an incremental run recomputes: those of the
    scope's tables and of the tables removed since, the fk_type_mismatch
    ones of `lint_fk_tables`, and those of the rules across tables that the
    changes can have moved. Returns whether those rules can be scoped (else
    they run over the whole source)."""
    for statement in (LINT_FK_TABLES, LINT_BEFORE):
        session.execute(text(statement), params)
    session.execute(text("ANALYZE lint_fk_tables, lint_before"))
    # one pass over the findings' (source_id, table_id) index
    session.execute(
        text(
            "DELETE FROM catalog_findings f USING (SELECT id, true AS every_rule FROM insights_scope "
            "UNION ALL SELECT id, true FROM insights_removed UNION ALL SELECT id, false FROM lint_fk_tables) x "
            "WHERE f.source_id = :sid AND f.table_id = x.id AND (x.every_rule OR f.rule = 'fk_type_mismatch')"
        ),
        params,
    )
    if session.execute(text(HISTORY_MISSING), params).scalar_one():
        rules = ", ".join(f"'{r}'" for r in CROSS_TABLE_RULES)
        session.execute(text(f"DELETE FROM catalog_findings WHERE source_id = :sid AND rule IN ({rules})"), params)
        return False
    session.execute(text(LINT_NAMES), params)
    session.execute(text(LINT_RELATIONS), params)
    session.execute(text("ANALYZE lint_names, lint_relations"))
    session.execute(
        text(
            "DELETE FROM catalog_findings f WHERE f.source_id = :sid AND f.table_id IS NULL "
            "AND f.rule = 'column_type_inconsistent' AND f.object IN (SELECT name FROM lint_names)"
        ),
        params,
    )
    session.execute(
        text(
            "DELETE FROM catalog_findings f USING lint_relations x "
            "WHERE f.source_id = :sid AND f.table_id = x.id AND f.rule = 'no_relations'"
        ),
        params,
    )
    return True


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
    # Two plain aggregates: whatever plan the statistics of the moment choose
    # (a GET may run while a crawl's apply is still being analyzed), neither
    # rescans an aggregate per table.
    tables = session.execute(
        text(
            "SELECT schema_name, count(*), count(*) FILTER (WHERE nullif(btrim(comment), '') IS NOT NULL) "
            "FROM catalog_tables WHERE source_id = :sid AND removed_at IS NULL GROUP BY schema_name"
        ),
        {"sid": source_id},
    ).all()
    columns = {
        r[0]: (r[1], r[2])
        for r in session.execute(
            text(
                "SELECT t.schema_name, count(*), count(*) FILTER (WHERE nullif(btrim(c.comment), '') IS NOT NULL) "
                "FROM catalog_columns c JOIN catalog_tables t ON t.id = c.table_id "
                "WHERE c.source_id = :sid AND t.removed_at IS NULL GROUP BY t.schema_name"
            ),
            {"sid": source_id},
        )
    }
    rows = [(r[0], r[1], r[2], *columns.get(r[0], (0, 0))) for r in sorted(tables)]

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
