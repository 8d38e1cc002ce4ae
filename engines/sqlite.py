"""SQLite introspector: a database file on the metacrawl server, read-only.

Off unless the operator names the directories whose files may be read
(METACRAWL_SQLITE_DIRS): a path outside them, a symbolic link leading out of
them, or a file that is not an SQLite database is refused at registration
(422 on `path`) and again before every crawl (TargetSettingsRefused).

Choices worth knowing:
- Opened through a `file:...?mode=ro` URI (SQLite refuses every write and
  never creates the file) of the resolved path, with `PRAGMA query_only`
  and `trusted_schema` off on top. The busy timeout is the connect timeout:
  a file another process holds an exclusive lock on fails after it.
- SQLite has no statement timeout: a progress handler interrupts any
  statement running past the statement timeout.
- Bulk, as the other engines: the table-valued pragma functions
  (pragma_table_xinfo, pragma_foreign_key_list, pragma_index_list,
  pragma_index_info) joined with sqlite_schema describe a whole batch in
  four queries, the batch's names bound as one JSON array.
- Every table is in schema `main`. SQLite does not report constraint names
  for primary and foreign keys, comments, row estimates, sizes or CHECK
  constraints through its pragmas: those are None/absent. A foreign key is
  named `<table>_<columns>_fkey`, as PostgreSQL would name it.
- A table's signature is a hash of its CREATE TABLE text and its indexes'
  CREATE INDEX texts (SQLite rewrites that text on every ALTER TABLE), so
  an unchanged table is not described again. Views are always described
  (their columns follow the tables they read).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import marshmallow as ma

from .assemble import Key, assemble
from .base import (
    Column,
    ConnectionParams,
    Constraint,
    ForeignKey,
    Index,
    Introspector,
    PrimaryKey,
    Table,
    TableRef,
    TableSignature,
    Target,
    TargetDatabaseMissing,
    TargetError,
    TargetSettingsRefused,
    TargetTimeout,
    TargetUnreachable,
    check_file,
    secs,
)
from .lineage_sql import add_lineage, tables_read

SCHEMA = "main"
HEADER = b"SQLite format 3\x00"
SIGNATURE_PREFIX = "sq1:"
KINDS = {"table": "table", "view": "view"}


class SQLiteSettings(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    path = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Length(min=1, max=4096),
            ma.validate.Regexp(r"^/", error="must be an absolute path on the metacrawl server"),
        ],
        metadata={"description": "Absolute path of the database file, inside a directory the operator allows."},
    )


# --- the file ------------------------------------------------------------------------


def check_path(path: str, allowed_dirs: Sequence[str], missing: type[TargetError] | None = None) -> str:
    """The resolved path of an SQLite database file this server may read (see
    base.check_file); a file that is not SQLite is refused too."""
    real = check_file(path, allowed_dirs, "path", missing)
    try:
        with open(real, "rb") as f:
            header = f.read(len(HEADER))
    except OSError:
        raise TargetSettingsRefused("path", f"{path} cannot be read by the metacrawl server") from None
    if header != HEADER:
        raise TargetSettingsRefused("path", f"{path} is not an SQLite database")
    return real


# --- the SQL and its row parsers ---------------------------------------------------

# The batch's names arrive as one JSON array: no limit on bound variables.
IN_BATCH = "m.name IN (SELECT value FROM json_each(:names))"
TABLES = "m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"

LIST_TABLES_SQL = f"SELECT m.name, m.type FROM sqlite_schema m WHERE {TABLES} ORDER BY m.name"

# Each table with what its signature is computed from.
DETAILS_SQL = f"""
SELECT m.name, m.type, m.sql,
       (SELECT json_group_array(i.sql) FROM (SELECT sql FROM sqlite_schema
         WHERE type = 'index' AND tbl_name = m.name AND sql IS NOT NULL ORDER BY name) i)
FROM sqlite_schema m WHERE {TABLES} AND {IN_BATCH}
"""

COLUMNS_SQL = f"""
SELECT m.name, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden
FROM sqlite_schema m JOIN pragma_table_xinfo(m.name) p
WHERE {TABLES} AND {IN_BATCH}
"""

FOREIGN_KEYS_SQL = f"""
SELECT m.name, f.id, f.seq, f."table", f."from", f."to", f.on_update, f.on_delete,
       (SELECT json_group_array(r.name) FROM (SELECT name FROM pragma_table_info(f."table")
         WHERE pk > 0 ORDER BY pk) r)
FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND {IN_BATCH}
"""

INDEXES_SQL = f"""
SELECT m.name, il.name, il."unique", il.origin, il.partial, ii.seqno, ii.name, s.sql
FROM sqlite_schema m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii
LEFT JOIN sqlite_schema s ON s.type = 'index' AND s.name = il.name
WHERE m.type = 'table' AND {IN_BATCH}
"""


# The columns of the tables (and views) some views read, in order.
COLUMNS_OF_SQL = f"""
SELECT m.name, p.name FROM sqlite_schema m JOIN pragma_table_info(m.name) p
WHERE {TABLES} AND {IN_BATCH} ORDER BY m.name, p.cid
"""


def batch_args(tables: Iterable[TableRef]) -> dict:
    return {"names": json.dumps([t.name for t in tables if t.schema == SCHEMA])}


def signature_of(type_: str, sql: str | None, index_sql: str | None) -> str:
    text = "\0".join([type_, sql or "", *json.loads(index_sql or "[]")])
    return SIGNATURE_PREFIX + hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def details_from_row(row: Sequence) -> tuple[Key, dict]:
    name, type_, sql, index_sql = row
    return (SCHEMA, name), {
        "kind": KINDS[type_],
        "signature": signature_of(type_, sql, index_sql) if type_ == "table" else None,
        "autoincrement": "AUTOINCREMENT" in (sql or "").upper(),
    }


def columns_from_rows(rows: Iterable[Sequence], details: Mapping[Key, dict]):
    """((schema, table), Column) per column, and the primary keys from the
    pk positions. Hidden columns of virtual tables are left out."""
    columns: list[tuple[Key, Column]] = []
    pk_parts: dict[Key, list[tuple[int, str]]] = {}
    for table, cid, name, type_, notnull, default, pk, hidden in rows:
        key = (SCHEMA, table)
        if hidden == 1:
            continue
        auto = details.get(key, {}).get("autoincrement") and pk == 1 and (type_ or "").upper() == "INTEGER"
        columns.append(
            (
                key,
                Column(
                    name=name,
                    ordinal=int(cid) + 1,
                    type=type_ or "",
                    nullable=not notnull and not pk,
                    default=default,
                    identity="autoincrement" if auto else None,
                    generated="(generated)" if hidden in (2, 3) else None,
                ),
            )
        )
        if pk:
            pk_parts.setdefault(key, []).append((int(pk), name))
    pks = [(key, PrimaryKey(name=None, columns=[n for _, n in sorted(parts)])) for key, parts in pk_parts.items()]
    return columns, pks


def foreign_keys_from_rows(rows: Iterable[Sequence]) -> list[tuple[Key, ForeignKey]]:
    groups: dict[tuple[str, int], list[Sequence]] = {}
    for row in rows:
        groups.setdefault((row[0], int(row[1])), []).append(row)
    out = []
    for (table, _id), parts in sorted(groups.items()):
        parts.sort(key=lambda r: int(r[2]))
        columns = [r[4] for r in parts]
        referenced = [r[5] for r in parts]
        if any(c is None for c in referenced):  # REFERENCES t without columns: t's primary key
            referenced = json.loads(parts[0][8] or "[]")
        out.append(
            (
                (SCHEMA, table),
                ForeignKey(
                    name=f"{table}_{'_'.join(columns)}_fkey",
                    columns=columns,
                    referenced_schema=SCHEMA,
                    referenced_table=parts[0][3],
                    referenced_columns=referenced,
                    on_update=parts[0][6],
                    on_delete=parts[0][7],
                ),
            )
        )
    return out


def indexes_from_rows(rows: Iterable[Sequence]) -> tuple[list[tuple[Key, Index]], list[tuple[Key, Constraint]]]:
    """Indexes (every kind, the primary key's and UNIQUE constraints' too), and
    a unique Constraint for each UNIQUE constraint's index."""
    groups: dict[tuple[str, str], list[Sequence]] = {}
    for row in rows:
        groups.setdefault((row[0], row[1]), []).append(row)
    indexes, uniques = [], []
    for (table, name), parts in groups.items():
        parts.sort(key=lambda r: int(r[5]))
        first = parts[0]
        columns = [r[6] if r[6] is not None else "(expression)" for r in parts]
        key = (SCHEMA, table)
        indexes.append((key, Index(name=name, columns=columns, unique=bool(first[2]), definition=first[7])))
        if first[3] == "u":
            uniques.append((key, Constraint(name=name, type="unique", columns=columns)))
    return indexes, uniques


# --- the introspector ------------------------------------------------------------------


class SQLiteIntrospector(Introspector):
    """Reads sqlite_schema and the pragma functions over one read-only sqlite3 connection."""

    title = "SQLite"
    settings_schema = SQLiteSettings
    files_only = True
    driver_errors = (sqlite3.Error,)
    # SQLite keeps no comments and has no prefix indexes. Its pragmas give no
    # constraint names, check constraints, generation expressions, index
    # predicates, expression texts or directions: those are in the CREATE
    # text (`Index.definition`), which this module does not parse (yet).
    capabilities = frozenset({"views", "identity_columns", "generated_columns", "fk_actions"})

    def __init__(self, params: ConnectionParams):
        super().__init__(params)
        self._conn: sqlite3.Connection | None = None
        self._deadline = 0.0

    @classmethod
    def address(cls, settings: Mapping[str, Any]) -> Target | None:
        return None  # a local file: no network

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any], allowed_dirs: Sequence[str]) -> None:
        check_path(settings.get("path") or "", allowed_dirs)

    @property
    def path(self) -> str:
        return str(self.params.settings.get("path") or "")

    # connection ----------------------------------------------------------------

    def connect(self) -> None:
        self.close()
        real = check_path(self.path, self.params.allowed_dirs, missing=TargetDatabaseMissing)
        wait = max(0.1, float(self.params.connect_timeout or 0))
        try:
            conn = sqlite3.connect(
                f"file:{quote(real)}?mode=ro", uri=True, timeout=wait, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self._open_error(exc) from None
        try:
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA trusted_schema = OFF")
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()  # reads the header: locked? corrupt?
        except sqlite3.Error as exc:
            conn.close()
            raise self._open_error(exc) from None
        conn.set_progress_handler(self._past_deadline, 1000)
        self._conn = conn

    def _open_error(self, exc: sqlite3.Error) -> TargetError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return TargetUnreachable(
                f"could not open {self.path}: timeout after {secs(self.params.connect_timeout)} s "
                "(another process holds a lock on the file)"
            )
        return TargetUnreachable(f"could not open {self.path}: {text}")

    def _dbapi_connection(self) -> Any:
        return self._conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _past_deadline(self) -> int:
        return 1 if self._deadline and time.monotonic() > self._deadline else 0

    # queries -------------------------------------------------------------------

    def _run(self, sql: str, args: Any) -> list[tuple]:
        if self._conn is None:
            self.connect()
        if self._conn is None:
            raise TargetError("no connection to the target")
        timeout = float(self.params.statement_timeout or 0)
        self._deadline = time.monotonic() + timeout if timeout else 0.0
        try:
            return self._conn.execute(sql, args or ()).fetchall()
        finally:
            self._deadline = 0.0

    def _is_lost(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.ProgrammingError) and "closed" in str(exc)

    def _query_error(self, exc: BaseException, what: str) -> TargetError:
        text = str(exc)
        if text == "interrupted":
            return TargetTimeout(
                f"statement timeout after {secs(self.params.statement_timeout)} s while {what} in {self.path}"
            )
        if "locked" in text or "busy" in text:
            return TargetTimeout(f"the file {self.path} stayed locked by another process while {what}")
        return TargetError(f"reading the catalog failed while {what} in {self.path}: {text}")

    # the interface -------------------------------------------------------------

    def list_tables(self) -> list[TableRef]:
        rows = self._query(LIST_TABLES_SQL, what="listing tables")
        return [TableRef(SCHEMA, name, KINDS[type_]) for name, type_ in rows]

    def describe(self, tables: list[TableRef]) -> list[Table]:
        args = batch_args(tables)
        if args["names"] == "[]":
            return []
        what = f"describing {len(tables)} tables"
        rows = self._query(DETAILS_SQL, args, what)
        details = dict(details_from_row(r) for r in rows)
        if not details:
            return []
        columns, pks = columns_from_rows(self._columns(args, what), details)
        fks = foreign_keys_from_rows(self._query(FOREIGN_KEYS_SQL, args, what))
        indexes, uniques = indexes_from_rows(self._query(INDEXES_SQL, args, what))
        described = assemble(
            tables, details, columns, primary_keys=pks, foreign_keys=fks, indexes=indexes, constraints=uniques
        )
        view_sql = {(SCHEMA, name): sql for name, type_, sql, _ in rows if type_ == "view"}
        if not view_sql:
            return described
        known = self._columns_of(tables_read(view_sql.values(), "sqlite"), what)
        return add_lineage(described, "sqlite", lambda schema, table: known.get(table), view_sql)

    def _columns_of(self, names: set[str], what: str) -> dict[str, list[str]]:
        """The columns of the tables the batch's views read, in one query, for
        their `*` and unqualified names (none where it cannot be read: those
        views' lineage then says what it could not resolve)."""
        out: dict[str, list[str]] = {}
        with contextlib.suppress(TargetError):
            for table, column in self._query(COLUMNS_OF_SQL, {"names": json.dumps(sorted(names))}, what):
                out.setdefault(table, []).append(column)
        return out

    def _columns(self, args: dict, what: str) -> list[tuple]:
        """Every column of the batch in one query; should a broken view (one
        whose table has gone) fail it, each table on its own, the broken ones
        without columns."""
        try:
            return self._query(COLUMNS_SQL, args, what)
        except TargetTimeout:
            raise
        except TargetError:
            rows: list[tuple] = []
            for name in json.loads(args["names"]):
                with contextlib.suppress(TargetError):
                    rows += self._query(COLUMNS_SQL, {"names": json.dumps([name])}, what)
            return rows

    def signatures(self, tables: list[TableRef]) -> dict[tuple[str, str], TableSignature]:
        args = batch_args(tables)
        rows = self._query(DETAILS_SQL, args, f"hashing {len(tables)} table definitions")
        return {
            (SCHEMA, name): TableSignature(signature_of(type_, sql, index_sql), None, None)
            for name, type_, sql, index_sql in rows
            if type_ == "table"
        }
