"""PostgreSQL targets: a spec (bench.spec) built as DDL over parallel
connections in the schemas s00..s09, a percentage of its tables altered for
the changed recrawl, and the database dropped."""

from __future__ import annotations

import random
import re
import time

from bench.databases import pg_admin, pg_connect
from bench.shapes import PARTITION_WIDTH, make_shaped_spec
from bench.spec import BLOCK, blocks, run_parallel, sql_quote, summary

SCHEMAS = 10  # PostgreSQL tables are spread over s00..s09


def pg_schema(index: int) -> str:
    return f"s{index % SCHEMAS:02d}"


def pg_table_ddl(table: dict, spec: list[dict]) -> str:
    """CREATE TABLE, index and comments of one table, as one SQL string."""
    schema, name = pg_schema(table["index"]), table["name"]
    qualified = f"{schema}.{name}"
    lines = []
    for col_name, col_type, default, not_null, _ in table["columns"]:
        line = f"  {col_name} {col_type}"
        if not_null:
            line += " NOT NULL"
        if default is not None:
            line += f" DEFAULT {default}"
        lines.append(line)
    lines.append(f"  CONSTRAINT {name}_pkey PRIMARY KEY ({', '.join(table['pk'])})")
    if table["fk"]:
        column, ref_index, cascade = table["fk"]
        ref = spec[ref_index]
        lines.append(
            f"  CONSTRAINT {name}_{column}_fkey FOREIGN KEY ({column}) "
            f"REFERENCES {pg_schema(ref_index)}.{ref['name']} ({ref['pk'][0]})"
            + (" ON DELETE CASCADE" if cascade else "")
        )
    partitions = table.get("partitions", 0)
    partitioned = f" PARTITION BY RANGE ({table['pk'][0]})" if partitions else ""
    sql = [f"CREATE TABLE {qualified} (\n" + ",\n".join(lines) + f"\n){partitioned};"]
    for p in range(partitions):
        sql.append(
            f"CREATE TABLE {schema}.{name}_p{p:02d} PARTITION OF {qualified} "
            f"FOR VALUES FROM ({p * PARTITION_WIDTH}) TO ({(p + 1) * PARTITION_WIDTH});"
        )
    if table["index_on"]:
        column, unique = table["index_on"]
        sql.append(f"CREATE {'UNIQUE ' if unique else ''}INDEX {name}_{column}_idx ON {qualified} ({column});")
    for k, (columns, unique) in enumerate(table.get("indexes", ())):
        sql.append(f"CREATE {'UNIQUE ' if unique else ''}INDEX {name}_ix{k} ON {qualified} ({', '.join(columns)});")
    if table["comment"]:
        sql.append(f"COMMENT ON TABLE {qualified} IS {sql_quote(table['comment'])};")
    for col_name, _, _, _, comment in table["columns"]:
        if comment:
            sql.append(f"COMMENT ON COLUMN {qualified}.{col_name} IS {sql_quote(comment)};")
    return "\n".join(sql)


LOCKS_PER_TABLE = 4  # relations a default table creates, at most: table, TOAST, key, one index


def _locks_per_table(table: dict) -> int:
    """Relations (each a lock until commit) that creating `table` makes, partitions and indexes included."""
    indexes = 1 + (1 if table["index_on"] else 0) + len(table.get("indexes", ()))
    return (1 + table.get("partitions", 0)) * (2 + indexes)


def drop_postgres(url: str, database: str) -> None:
    pg_admin(url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def build_postgres(url: str, database: str, tables: int, seed: int = 1, shape: str = "default") -> dict:
    """Create `database` on the server of `url` and fill it with `tables` tables of `shape` (bench.shapes)."""
    started = time.perf_counter()
    spec = make_shaped_spec(tables, seed, shape=shape)

    pg_admin(url, f'CREATE DATABASE "{database}"')

    conn = pg_connect(url, database)
    try:
        with conn.cursor() as cur:
            cur.execute(";".join(f"CREATE SCHEMA s{k:02d}" for k in range(SCHEMAS)))
        conn.commit()
    finally:
        conn.close()

    def work(worker: int, batches: list[list[dict]]) -> None:
        conn = pg_connect(url, database)
        try:
            with conn.cursor() as cur:
                cur.execute("SET synchronous_commit = off")
                for batch in batches:
                    cur.execute("\n".join(pg_table_ddl(t, spec) for t in batch))
                    conn.commit()
        finally:
            conn.close()

    locks = max(_locks_per_table(t) for t in spec)
    if locks > LOCKS_PER_TABLE:
        # Every relation created takes a lock until commit (the shared lock table holds a few
        # thousand): smaller transactions, on one connection so that a foreign key's parent
        # (in the same block of BLOCK) is always committed first.
        run_parallel(blocks(spec, max(1, BLOCK * LOCKS_PER_TABLE // (2 * locks))), work, workers=1)
    else:
        run_parallel(blocks(spec, BLOCK), work)
    return {"shape": shape, **summary(spec, time.perf_counter() - started)}


def mutate_postgres(url: str, database: str, percent: float, seed: int = 1) -> int:
    """Alter `percent`% of the tables of `database` (at least one); return how many.

    The tables are picked by the seed and cycle through three changes: add a
    column, change the type of a column (int -> bigint, wider varchar or
    numeric), change a column's comment. A table with no column whose type can
    change gets a comment change instead. Running it again with the same seed
    changes the same tables again (a new column, a wider type, a new comment).
    """
    conn = pg_connect(url, database)
    try:
        with conn.cursor() as cur:
            rng = random.Random(seed)
            chosen = _pick_tables(cur, percent, rng)
            if not chosen:
                return 0
            columns = _columns_of(cur, [t[0] for t in chosen])
            statements = [
                _mutation(k, f"{schema}.{table}", columns[oid], rng, partition)
                for k, (oid, schema, table, partition) in enumerate(chosen)
            ]
            cur.execute(";\n".join(statements))
        conn.commit()
        return len(chosen)
    finally:
        conn.close()


def _pick_tables(cur, percent: float, rng: random.Random) -> list[tuple]:
    """`percent`% of the user tables (at least one, none if percent <= 0): (oid, schema, name, is a partition)."""
    cur.execute("""
        SELECT c.oid, n.nspname, c.relname, c.relispartition
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
        ORDER BY n.nspname, c.relname""")
    all_tables = cur.fetchall()
    if not all_tables or percent <= 0:
        return []
    count = min(len(all_tables), max(1, round(len(all_tables) * percent / 100)))
    return rng.sample(all_tables, count)


def _columns_of(cur, oids: list[int]) -> dict[int, list[tuple]]:
    """Each table's columns in order: (name, type, comment, in a constraint)."""
    cur.execute(
        """
        SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),
               col_description(a.attrelid, a.attnum),
               EXISTS (SELECT 1 FROM pg_constraint k
                       WHERE k.conrelid = a.attrelid AND a.attnum = ANY (k.conkey))
        FROM pg_attribute a
        WHERE a.attrelid = ANY (%s) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attrelid, a.attnum""",
        (oids,),
    )
    columns: dict[int, list[tuple]] = {}
    for oid, name, col_type, comment, constrained in cur.fetchall():
        columns.setdefault(oid, []).append((name, col_type, comment, constrained))
    return columns


def _mutation(k: int, qualified: str, cols: list[tuple], rng: random.Random, partition: bool = False) -> str:
    """The `k`th chosen table's change: a new column, a wider type, or a revised comment (always
    on a partition: its columns are its parent's)."""
    action = "comment" if partition else ("add_column", "alter_type", "comment")[k % 3]
    if action == "add_column":
        names = {c[0] for c in cols}
        n = 1
        while f"added_col_{n}" in names:
            n += 1
        col_type = rng.choice(["text", "integer", "timestamptz", "numeric(10,2)"])
        return f"ALTER TABLE {qualified} ADD COLUMN added_col_{n} {col_type}"
    if action == "alter_type":
        changes = [(c[0], _wider_type(c[1])) for c in cols if not c[3] and _wider_type(c[1])]
        if changes:
            col_name, new_type = rng.choice(changes)
            return f"ALTER TABLE {qualified} ALTER COLUMN {col_name} TYPE {new_type}"
    col_name, _, old_comment, _ = rng.choice(cols)
    return f"COMMENT ON COLUMN {qualified}.{col_name} IS {sql_quote(_revised_comment(old_comment, col_name))}"


def _wider_type(col_type: str) -> str | None:
    """A type the column can be altered to without data loss, or None."""
    if col_type == "integer":
        return "bigint"
    m = re.fullmatch(r"character varying\((\d+)\)", col_type)
    if m:
        return f"varchar({int(m.group(1)) * 2})"
    m = re.fullmatch(r"numeric\((\d+),(\d+)\)", col_type)
    if m and int(m.group(1)) < 900:
        return f"numeric({int(m.group(1)) + 2},{m.group(2)})"
    return None


def _revised_comment(old: str | None, column: str) -> str:
    """'x' -> 'x (rev 1)' -> 'x (rev 2)' ...; no comment -> 'column (rev 1)'."""
    base, rev = old or column.replace("_", " ").capitalize(), 0
    m = re.fullmatch(r"(.*) \(rev (\d+)\)", base)
    if m:
        base, rev = m.group(1), int(m.group(2))
    return f"{base} (rev {rev + 1})"
