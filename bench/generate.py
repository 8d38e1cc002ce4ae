"""Synthetic target databases for the benchmark.

A target is N tables that look like a real application schema: names from
word lists (customer_orders_0042, created_at, customer_email, ...), 5 to 15
columns of mixed types, a primary key on every table, a foreign key on ~30%
of them, an extra index on ~50%, comments on ~20% of tables and on some
columns. Everything is derived from the seed, so two builds with the same
arguments are identical.

The DDL is sent in blocks of BLOCK tables, one transaction (PostgreSQL) or one
multi-statement round trip (MariaDB) per block, over WORKERS connections in
parallel. A foreign key only points to an earlier table of the same block, so
blocks are independent of each other.

Usage:
    python -m bench.generate postgres --tables 10000 --database bench_10k [--drop]
    python -m bench.generate mariadb --tables 10000 --prefix bench_10k [--databases 5]
    python -m bench.generate mutate-postgres --database bench_10k --percent 1
    python -m bench.generate drop-postgres --database bench_10k
    python -m bench.generate drop-mariadb --prefix bench_10k [--databases 5]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlparse

import psycopg2
import pymysql

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MARIADB_URL = "mysql://root@127.0.0.1:3306/"

BLOCK = 500  # tables per batch; foreign keys stay inside a block
WORKERS = 2  # parallel connections (the machine has 2 cores)
SCHEMAS = 10  # PostgreSQL tables are spread over s00..s09

TABLE_WORDS = [
    "customer",
    "account",
    "order",
    "product",
    "invoice",
    "payment",
    "shipment",
    "supplier",
    "employee",
    "inventory",
    "warehouse",
    "campaign",
    "session",
    "ticket",
    "subscription",
    "contract",
    "ledger",
    "store",
    "partner",
    "user",
]
TABLE_SUFFIXES = [
    "orders",
    "events",
    "history",
    "details",
    "items",
    "logs",
    "snapshots",
    "summary",
    "notes",
    "profiles",
    "addresses",
    "settings",
    "metrics",
    "archive",
    "staging",
    "links",
    "balances",
    "requests",
    "reviews",
    "audit",
]

# (name, PostgreSQL type, default or None). MariaDB types are derived from these.
COLUMN_POOL = [
    ("customer_email", "varchar(255)", None),
    ("email", "varchar(255)", None),
    ("first_name", "varchar(100)", None),
    ("last_name", "varchar(100)", None),
    ("full_name", "text", None),
    ("display_name", "varchar(120)", None),
    ("phone_number", "varchar(32)", None),
    ("country_code", "varchar(2)", None),
    ("city", "varchar(80)", None),
    ("postal_code", "varchar(16)", None),
    ("street_address", "text", None),
    ("status", "varchar(32)", "'new'"),
    ("description", "text", None),
    ("notes", "text", None),
    ("title", "varchar(200)", None),
    ("amount", "numeric(12,2)", None),
    ("total_amount", "numeric(14,2)", None),
    ("unit_price", "numeric(10,2)", None),
    ("discount_rate", "numeric(5,4)", None),
    ("tax_amount", "numeric(12,2)", None),
    ("currency", "varchar(3)", "'EUR'"),
    ("quantity", "integer", "0"),
    ("item_count", "integer", None),
    ("priority", "integer", None),
    ("version", "integer", "1"),
    ("row_version", "bigint", None),
    ("external_ref", "uuid", None),
    ("session_token", "uuid", None),
    ("is_active", "boolean", "true"),
    ("is_deleted", "boolean", "false"),
    ("metadata", "jsonb", None),
    ("payload", "jsonb", None),
    ("attributes", "jsonb", None),
    ("tags", "text[]", None),
    ("scores", "integer[]", None),
    ("birth_date", "date", None),
    ("due_date", "date", None),
    ("valid_from", "date", None),
    ("created_at", "timestamptz", "now()"),
    ("updated_at", "timestamptz", None),
    ("shipped_at", "timestamptz", None),
    ("last_login_at", "timestamptz", None),
    ("sku", "varchar(40)", None),
    ("order_number", "varchar(40)", None),
    ("invoice_number", "varchar(40)", None),
    ("ip_address", "varchar(45)", None),
    ("user_agent", "text", None),
    ("rating", "integer", None),
    ("latitude", "numeric(9,6)", None),
    ("longitude", "numeric(9,6)", None),
]

COLUMN_COMMENTS = {
    "customer_email": "Email address of the customer",
    "email": "Contact email address",
    "status": "Lifecycle status: new, active, closed",
    "amount": "Amount in the row currency",
    "total_amount": "Total including tax",
    "created_at": "When the row was created",
    "updated_at": "When the row was last changed",
    "external_ref": "Identifier in the upstream system",
    "metadata": "Free-form attributes as JSON",
    "country_code": "ISO 3166-1 alpha-2 country code",
    "currency": "ISO 4217 currency code",
    "is_deleted": "Soft-delete flag",
}

NOT_INDEXABLE = ("text", "jsonb", "text[]", "integer[]")


# ---------------------------------------------------------------- the spec


def make_spec(tables: int, seed: int = 1, groups: int = 1) -> list[dict]:
    """Describe `tables` tables, deterministically from `seed`.

    Table i belongs to group i % groups (a MariaDB database); a foreign key
    points to an earlier table of the same block and the same group.
    Each table is a dict: index, name, columns [(name, type, default, not_null,
    comment)], pk [column names], fk (column, referenced table index,
    on_delete_cascade) or None, index (column, unique) or None, comment.
    """
    rng = random.Random(seed)
    spec: list[dict] = []
    for i in range(tables):
        word = "customer" if i == 0 else rng.choice(TABLE_WORDS)
        name = f"{word}_{rng.choice(TABLE_SUFFIXES)}_{i:04d}"

        # Primary key: mostly a bigint id, sometimes a uuid, sometimes composite.
        r = rng.random()
        if r < 0.85:
            columns = [("id", "bigint", None, True, None)]
        elif r < 0.93:
            columns = [("id", "uuid", None, True, None)]
        else:
            columns = [("parent_id", "bigint", None, True, None), ("line_no", "integer", None, True, None)]
        pk = [c[0] for c in columns]

        # Foreign key on ~30% of tables, to an earlier single-column-PK table.
        fk = None
        if rng.random() < 0.30:
            block_start = i - i % BLOCK
            candidates = [j for j in range(block_start, i) if j % groups == i % groups and len(spec[j]["pk"]) == 1]
            if candidates:
                ref = spec[rng.choice(candidates)]
                ref_type = ref["columns"][0][1]
                column = ref["name"].split("_")[0] + "_id"
                columns.append((column, ref_type, None, rng.random() < 0.5, None))
                fk = (column, ref["index"], rng.random() < 0.3)

        # Fill up to 5..15 columns from the pool; customer tables always get customer_email.
        wanted = rng.randint(5, 15) - len(columns)
        if word == "customer":
            picked = rng.sample(COLUMN_POOL[1:], wanted - 1) + [COLUMN_POOL[0]]
        else:
            picked = rng.sample(COLUMN_POOL, wanted)
        for col_name, col_type, default in picked:
            comment = None
            if rng.random() < 0.10:
                comment = COLUMN_COMMENTS.get(col_name, col_name.replace("_", " ").capitalize() + f" of the {word}")
            columns.append((col_name, col_type, default, default is not None or rng.random() < 0.2, comment))

        # An extra index on ~50% of tables, on a column both dialects can index.
        index = None
        if rng.random() < 0.50:
            indexable = [c[0] for c in columns[len(pk) :] if c[1] not in NOT_INDEXABLE]
            if indexable:
                index = (rng.choice(indexable), rng.random() < 0.15)

        comment = None
        if rng.random() < 0.20:
            comment = f"{name.rsplit('_', 1)[0].replace('_', ' ').capitalize()}, one row per {word}"

        spec.append(dict(index=i, name=name, columns=columns, pk=pk, fk=fk, index_on=index, comment=comment))
    return spec


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _blocks(items: list, size: int) -> list[list]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def _run_parallel(batches: list, work) -> None:
    """Run work(worker_number, batches_of_that_worker) on WORKERS threads."""
    workers = min(WORKERS, len(batches)) or 1
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(work, w, batches[w::workers]) for w in range(workers)]
        for f in futures:
            f.result()


# ---------------------------------------------------------------- PostgreSQL


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
    sql = [f"CREATE TABLE {qualified} (\n" + ",\n".join(lines) + "\n);"]
    if table["index_on"]:
        column, unique = table["index_on"]
        sql.append(f"CREATE {'UNIQUE ' if unique else ''}INDEX {name}_{column}_idx ON {qualified} ({column});")
    if table["comment"]:
        sql.append(f"COMMENT ON TABLE {qualified} IS {_quote(table['comment'])};")
    for col_name, _, _, _, comment in table["columns"]:
        if comment:
            sql.append(f"COMMENT ON COLUMN {qualified}.{col_name} IS {_quote(comment)};")
    return "\n".join(sql)


def pg_connect(url: str, database: str | None = None):
    """Connect to the server of `url`, to `database` if given (else the URL's own)."""
    if database is None:
        return psycopg2.connect(url)
    return psycopg2.connect(url, dbname=database)


def drop_postgres(url: str, database: str) -> None:
    conn = pg_connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        conn.close()


def build_postgres(url: str, database: str, tables: int, seed: int = 1) -> dict:
    """Create `database` on the server of `url` and fill it with `tables` tables."""
    started = time.perf_counter()
    spec = make_spec(tables, seed)

    conn = pg_connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{database}"')
    finally:
        conn.close()

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

    _run_parallel(_blocks(spec, BLOCK), work)
    return _summary(spec, time.perf_counter() - started)


def _summary(spec: list[dict], seconds: float) -> dict:
    return dict(
        tables=len(spec),
        columns=sum(len(t["columns"]) for t in spec),
        foreign_keys=sum(1 for t in spec if t["fk"]),
        indexes=sum(1 for t in spec if t["index_on"]),
        table_comments=sum(1 for t in spec if t["comment"]),
        seconds=round(seconds, 2),
    )


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
            cur.execute("""
                SELECT c.oid, n.nspname, c.relname
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
                ORDER BY n.nspname, c.relname""")
            all_tables = cur.fetchall()
            if not all_tables or percent <= 0:
                return 0
            count = min(len(all_tables), max(1, round(len(all_tables) * percent / 100)))
            rng = random.Random(seed)
            chosen = rng.sample(all_tables, count)

            cur.execute(
                """
                SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),
                       col_description(a.attrelid, a.attnum),
                       EXISTS (SELECT 1 FROM pg_constraint k
                               WHERE k.conrelid = a.attrelid AND a.attnum = ANY (k.conkey))
                FROM pg_attribute a
                WHERE a.attrelid = ANY (%s) AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attrelid, a.attnum""",
                ([t[0] for t in chosen],),
            )
            columns: dict[int, list[tuple]] = {}
            for oid, name, col_type, comment, constrained in cur.fetchall():
                columns.setdefault(oid, []).append((name, col_type, comment, constrained))

            statements = []
            for k, (oid, schema, table) in enumerate(chosen):
                qualified = f"{schema}.{table}"
                cols = columns[oid]
                action = ("add_column", "alter_type", "comment")[k % 3]
                if action == "add_column":
                    names = {c[0] for c in cols}
                    n = 1
                    while f"added_col_{n}" in names:
                        n += 1
                    col_type = rng.choice(["text", "integer", "timestamptz", "numeric(10,2)"])
                    statements.append(f"ALTER TABLE {qualified} ADD COLUMN added_col_{n} {col_type}")
                    continue
                if action == "alter_type":
                    changes = [(c[0], _wider_type(c[1])) for c in cols if not c[3] and _wider_type(c[1])]
                    if changes:
                        col_name, new_type = rng.choice(changes)
                        statements.append(f"ALTER TABLE {qualified} ALTER COLUMN {col_name} TYPE {new_type}")
                        continue
                col_name, _, old_comment, _ = rng.choice(cols)
                statements.append(
                    f"COMMENT ON COLUMN {qualified}.{col_name} IS {_quote(_revised_comment(old_comment, col_name))}"
                )
            cur.execute(";\n".join(statements))
        conn.commit()
        return len(chosen)
    finally:
        conn.close()


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


# ---------------------------------------------------------------- MariaDB


def mariadb_type(pg_type: str) -> str:
    if pg_type.endswith("[]"):
        return "json"
    if pg_type.startswith("numeric"):
        return "decimal" + pg_type[len("numeric") :]
    return {"integer": "int", "timestamptz": "datetime(6)", "jsonb": "json"}.get(pg_type, pg_type)


def mariadb_default(pg_default: str) -> str:
    return "current_timestamp(6)" if pg_default == "now()" else pg_default


def mariadb_table_ddl(table: dict, spec: list[dict]) -> str:
    name = table["name"]
    lines = []
    for col_name, col_type, default, not_null, comment in table["columns"]:
        line = f"  `{col_name}` {mariadb_type(col_type)} {'NOT NULL' if not_null else 'NULL'}"
        if default is not None:
            line += f" DEFAULT {mariadb_default(default)}"
        if comment:
            line += f" COMMENT {_quote(comment)}"
        lines.append(line)
    lines.append(f"  PRIMARY KEY ({', '.join(f'`{c}`' for c in table['pk'])})")
    if table["index_on"]:
        column, unique = table["index_on"]
        lines.append(f"  {'UNIQUE ' if unique else ''}KEY `{name}_{column}_idx` (`{column}`)")
    if table["fk"]:
        column, ref_index, cascade = table["fk"]
        ref = spec[ref_index]
        lines.append(
            f"  CONSTRAINT `{name}_{column}_fk` FOREIGN KEY (`{column}`) "
            f"REFERENCES `{ref['name']}` (`{ref['pk'][0]}`)" + (" ON DELETE CASCADE" if cascade else "")
        )
    sql = f"CREATE TABLE `{name}` (\n" + ",\n".join(lines) + "\n) ENGINE=InnoDB"
    if table["comment"]:
        sql += f" COMMENT={_quote(table['comment'])}"
    return sql + ";"


def mariadb_connect(url: str):
    u = urlparse(url)
    return pymysql.connect(
        host=u.hostname or "127.0.0.1",
        port=u.port or 3306,
        user=unquote(u.username or "root"),
        password=unquote(u.password or ""),
        autocommit=True,
        client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS,
    )


def _mariadb_script(conn, sql: str) -> None:
    """Run a multi-statement script, reading every result (errors surface here)."""
    with conn.cursor() as cur:
        cur.execute(sql)
        while cur.nextset():
            pass


def mariadb_database_names(prefix: str, databases: int) -> list[str]:
    return [f"{prefix}_{g}" for g in range(databases)]


def drop_mariadb(url: str, prefix: str, databases: int = 5) -> None:
    conn = mariadb_connect(url)
    try:
        for name in mariadb_database_names(prefix, databases):
            _mariadb_script(conn, f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def build_mariadb(url: str, prefix: str, tables: int, databases: int = 5, seed: int = 1) -> dict:
    """Create databases {prefix}_0.. and spread `tables` tables over them (table i in i % databases)."""
    started = time.perf_counter()
    spec = make_spec(tables, seed, groups=databases)
    names = mariadb_database_names(prefix, databases)

    conn = mariadb_connect(url)
    try:
        _mariadb_script(conn, ";".join(f"CREATE DATABASE `{n}`" for n in names))
    finally:
        conn.close()

    # One batch per (block, database): a USE and that database's tables of the block.
    batches = []
    for block in _blocks(spec, BLOCK):
        for g, name in enumerate(names):
            members = [t for t in block if t["index"] % databases == g]
            if members:
                batches.append((name, members))

    def work(worker: int, my_batches: list) -> None:
        conn = mariadb_connect(url)
        try:
            _mariadb_script(conn, "SET foreign_key_checks = 0; SET unique_checks = 0")
            for name, members in my_batches:
                _mariadb_script(conn, f"USE `{name}`;\n" + "\n".join(mariadb_table_ddl(t, spec) for t in members))
        finally:
            conn.close()

    _run_parallel(batches, work)
    return _summary(spec, time.perf_counter() - started)


# ---------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("postgres", help="build a PostgreSQL target")
    p.add_argument("--tables", type=int, required=True)
    p.add_argument("--database", required=True)
    p.add_argument("--url", default=PG_URL, help="server URL (its database is used for CREATE DATABASE)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--drop", action="store_true", help="drop the database first if it exists")

    p = sub.add_parser("mariadb", help="build a MariaDB target over several databases")
    p.add_argument("--tables", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--databases", type=int, default=5)
    p.add_argument("--url", default=MARIADB_URL)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--drop", action="store_true", help="drop the databases first if they exist")

    p = sub.add_parser("mutate-postgres", help="alter a percentage of a PostgreSQL target's tables")
    p.add_argument("--database", required=True)
    p.add_argument("--percent", type=float, default=1)
    p.add_argument("--url", default=PG_URL)
    p.add_argument("--seed", type=int, default=1)

    p = sub.add_parser("drop-postgres", help="drop a PostgreSQL target")
    p.add_argument("--database", required=True)
    p.add_argument("--url", default=PG_URL)

    p = sub.add_parser("drop-mariadb", help="drop a MariaDB target's databases")
    p.add_argument("--prefix", required=True)
    p.add_argument("--databases", type=int, default=5)
    p.add_argument("--url", default=MARIADB_URL)

    args = parser.parse_args(argv)
    if args.command == "postgres":
        if args.drop:
            drop_postgres(args.url, args.database)
        result = build_postgres(args.url, args.database, args.tables, args.seed)
        print(_format(result))
    elif args.command == "mariadb":
        if args.drop:
            drop_mariadb(args.url, args.prefix, args.databases)
        result = build_mariadb(args.url, args.prefix, args.tables, args.databases, args.seed)
        print(_format(result))
    elif args.command == "mutate-postgres":
        changed = mutate_postgres(args.url, args.database, args.percent, args.seed)
        print(f"changed {changed} tables")
    elif args.command == "drop-postgres":
        drop_postgres(args.url, args.database)
    elif args.command == "drop-mariadb":
        drop_mariadb(args.url, args.prefix, args.databases)


def _format(result: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in result.items())


if __name__ == "__main__":
    main()
