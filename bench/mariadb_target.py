"""MariaDB targets: a spec (bench.spec) spread over several databases
({prefix}_0, {prefix}_1, ...: table i in database i % databases), built as DDL
over parallel connections, and dropped."""

from __future__ import annotations

import time

from bench.databases import mariadb_connect, mariadb_execute
from bench.shapes import make_shaped_spec
from bench.spec import BLOCK, blocks, run_parallel, sql_quote, summary


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
            line += f" COMMENT {sql_quote(comment)}"
        lines.append(line)
    lines.append(f"  PRIMARY KEY ({', '.join(f'`{c}`' for c in table['pk'])})")
    if table["index_on"]:
        column, unique = table["index_on"]
        lines.append(f"  {'UNIQUE ' if unique else ''}KEY `{name}_{column}_idx` (`{column}`)")
    for k, (columns, unique) in enumerate(table.get("indexes", ())):
        lines.append(f"  {'UNIQUE ' if unique else ''}KEY `{name}_ix{k}` ({', '.join(f'`{c}`' for c in columns)})")
    if table["fk"]:
        column, ref_index, cascade = table["fk"]
        ref = spec[ref_index]
        lines.append(
            f"  CONSTRAINT `{name}_{column}_fk` FOREIGN KEY (`{column}`) "
            f"REFERENCES `{ref['name']}` (`{ref['pk'][0]}`)" + (" ON DELETE CASCADE" if cascade else "")
        )
    sql = f"CREATE TABLE `{name}` (\n" + ",\n".join(lines) + "\n) ENGINE=InnoDB"
    if table["comment"]:
        sql += f" COMMENT={sql_quote(table['comment'])}"
    return sql + ";"


def mariadb_database_names(prefix: str, databases: int) -> list[str]:
    return [f"{prefix}_{g}" for g in range(databases)]


def drop_mariadb(url: str, prefix: str, databases: int = 5) -> None:
    conn = mariadb_connect(url)
    try:
        for name in mariadb_database_names(prefix, databases):
            mariadb_execute(conn, f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def build_mariadb(
    url: str, prefix: str, tables: int, databases: int = 5, seed: int = 1, shape: str = "default"
) -> dict:
    """Create databases {prefix}_0.. and spread `tables` tables of `shape` over them (table i in i % databases).
    The `partition` shape is PostgreSQL's only (MariaDB refuses foreign keys on partitioned tables)."""
    if shape == "partition":
        raise ValueError("the partition shape is built for PostgreSQL only")
    started = time.perf_counter()
    spec = make_shaped_spec(tables, seed, groups=databases, shape=shape)
    names = mariadb_database_names(prefix, databases)

    conn = mariadb_connect(url)
    try:
        mariadb_execute(conn, ";".join(f"CREATE DATABASE `{n}`" for n in names))
    finally:
        conn.close()

    # One batch per (block, database): a USE and that database's tables of the block.
    batches = []
    for block in blocks(spec, BLOCK):
        for g, name in enumerate(names):
            members = [t for t in block if t["index"] % databases == g]
            if members:
                batches.append((name, members))

    def work(worker: int, my_batches: list) -> None:
        conn = mariadb_connect(url)
        try:
            mariadb_execute(conn, "SET foreign_key_checks = 0; SET unique_checks = 0")
            for name, members in my_batches:
                mariadb_execute(conn, f"USE `{name}`;\n" + "\n".join(mariadb_table_ddl(t, spec) for t in members))
        finally:
            conn.close()

    run_parallel(batches, work)
    return {"shape": shape, **summary(spec, time.perf_counter() - started)}
