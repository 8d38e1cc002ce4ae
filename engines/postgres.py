"""PostgreSQL introspector: pg_catalog read in a few bulk queries per batch.

Layout: each SQL text sits next to the pure function that turns its rows
(plain tuples) into records, so the parsing is unit-tested without a server.
The class at the bottom only runs the SQL and translates driver errors.

Choices worth knowing:
- The session is read-only (server-side default plus psycopg2's READ ONLY
  transactions), has statement/lock/idle timeouts, and a pinned
  `search_path=public`, so type names and expressions print the same way
  whatever search_path the role has configured: objects in `public` print
  bare (`mood`, `nextval('t_id_seq'::regclass)`), others schema-qualified
  (`sales.status`). A change of the role's settings never looks like a
  schema change.
- Each public method runs in one REPEATABLE READ transaction (one snapshot
  for all queries of a batch) and ends it at once, so no transaction stays
  open between batches.
- Sizes are estimated from pg_class alone, never with
  pg_total_relation_size(). That function opens the table, its TOAST table
  and TOAST index and each index, one after the other, each under an
  AccessShareLock (released as it closes it, so locks do not pile up), and
  stats every fork's files. Measured (bench/README.md, "Sizes and
  activity"): 3.5 s for 10,000 tables in one statement (2.3 s in batches of
  2,000) against 0.17 s for the estimate; and a table being altered or
  rewritten (ACCESS EXCLUSIVE) makes it wait until lock_timeout and fail
  the whole batch, while the ALTER and every query behind it queue behind
  our request on a production database. So: size = pages of the table, its
  TOAST table and TOAST index (estimated from the TOAST row count: nothing
  keeps its relpages current), and its indexes (relpages, as the planner
  sees them after VACUUM/ANALYZE), plus the free-space map and visibility
  map forks estimated from those relpages (_fork_pages: an FSM exists once
  a heap has 2 pages or was vacuumed; a VM once vacuum marked a page
  all-visible; a heap VACUUM truncated to 0 pages keeps 2 FSM pages,
  _EMPTIED_FSM; a BRIN index has an FSM from its build, _INDEX_PAGES). On a vacuumed and analyzed table this equals
  pg_total_relation_size() (10,000 of 10,000 generated tables, and
  tests/test_sizes_activity.py on a table of 3,000 rows); an index that
  grew after its table's last ANALYZE (relpages stale, e.g. VACUUM without
  ANALYZE) is counted at its old size. A table never vacuumed or analyzed
  (reltuples -1, PostgreSQL 14+) has size and rows None with
  row_estimate_source "never_analyzed": the planner would count its pages
  at query time (lseek per relation), which we do not do table by table.
- Usage statistics (pg_stat_user_tables) are read by activity(), one query
  per batch for every table, changed or not, and stored apart from the
  definition (catalog_table_activity): never signed, never a change. The
  same query reads the scan counters and each index's scans;
  pg_stat_statements, where installed and readable, is read once per crawl
  at plan time (engines/postgres_usage.py).
- Nothing here can be undescribable: PostgreSQL records what a view reads
  in pg_depend, so dropping its table is refused or drops the view
  (CASCADE); a view cannot outlive its table as it can on MariaDB, and
  `warnings` is never set.
- Index `columns` lists only key columns (indnkeyatts); INCLUDE columns are
  visible in `definition`. `parts` describe the same key elements with their
  order, collation and operator class (_INDEX_PARTS).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg2
import psycopg2.extensions

from .assemble import assemble, split_keys
from .base import (
    CAPABILITIES,
    SSLMODES,
    Column,
    ColumnStatistics,
    ConnectionParams,
    Constraint,
    EnumType,
    ForeignKey,
    Index,
    IndexActivity,
    IndexPart,
    Introspector,
    PrimaryKey,
    Routine,
    SequenceDef,
    Table,
    TableActivity,
    TableRef,
    TableSignature,
    TargetAuthFailed,
    TargetDatabaseMissing,
    TargetError,
    TargetTimeout,
    TargetUnreachable,
    TopStatements,
    Trigger,
    index_part,
    name_list,
    scrubbed,
    secs,
)
from .lineage_pg import VIEW_COLUMNS_READ_SQL, add_lineage
from .pg_statistics import STATISTICS_SQL, STATISTICS_VALUES_SQL, group_statistics, withheld_args
from .postgres_usage import read_top_statements
from .schema_objects import Collation, Domain, Extension, SchemaInfo, SchemaObject, TextSearchConfiguration

# What shows a table's top statements: the extension (loaded through
# shared_preload_libraries, then CREATE EXTENSION in the crawled database),
# and pg_read_all_stats for other roles' statements.
STATEMENTS_PRIVILEGE = "pg_stat_statements (shared_preload_libraries, CREATE EXTENSION) and pg_read_all_stats"

KINDS = {"r": "table", "p": "partitioned_table", "v": "view", "m": "materialized_view", "f": "foreign_table"}
FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
IDENTITY = {"a": "always", "d": "by default"}
CONSTRAINT_TYPES = {"u": "unique", "c": "check", "x": "exclusion"}
NO_PASSFILE = os.path.join(os.sep, "nonexistent", "metacrawl", "no-pgpass")


# --- connection settings -------------------------------------------------------


def _ms(seconds) -> int:
    """Seconds (int or float) to the integer milliseconds PostgreSQL settings take.
    0 stays 0 (PostgreSQL reads it as 'no limit'); anything positive is at least 1 ms."""
    if not seconds:
        return 0
    return max(1, int(round(float(seconds) * 1000)))


def session_options(params: ConnectionParams) -> str:
    """The `options` startup parameter: settings applied before our first query."""
    statement_ms = _ms(params.statement_timeout)
    return " ".join(
        [
            "-c default_transaction_read_only=on",
            f"-c statement_timeout={statement_ms}",
            f"-c lock_timeout={_ms(params.lock_timeout)}",
            # Transactions last one method call; anything idle longer is a bug or a
            # dead worker, and must not hold a snapshot on the target.
            f"-c idle_in_transaction_session_timeout={statement_ms}",
            "-c search_path=public",
            # Catalog queries are many and short; compiling them costs more than it saves.
            "-c jit=off",
        ]
    )


def schema_filter(params: ConnectionParams) -> dict:
    """Bound parameters for SCHEMA_FILTER. An empty include list means 'no include filter'."""
    opts = params.options or {}
    include = name_list(opts.get("include_schemas"), "include_schemas")
    exclude = name_list(opts.get("exclude_schemas"), "exclude_schemas")
    return {"include": include or None, "exclude": exclude}


def connect_timeout(params: ConnectionParams) -> int:
    """libpq's connect_timeout in whole seconds: it treats 0 as 'wait forever'
    and anything below 2 as 2, so say 2 here too and report what applies."""
    return max(2, int(params.connect_timeout or 0))


# A target that vanishes mid-query (network cut, host gone) is noticed within
# a minute instead of leaving the task and its catalog locks waiting.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def connect_kwargs(params: ConnectionParams) -> dict:
    """Arguments for psycopg2.connect."""
    opts = params.options or {}
    sslmode = opts.get("sslmode") or "prefer"
    if sslmode not in SSLMODES:
        raise TargetError(f'invalid sslmode "{sslmode}"; use one of {", ".join(SSLMODES)}')
    if "," in params.host:
        # libpq would read "a,b" as a list of hosts and try each in turn.
        raise TargetError(f'invalid host name "{params.host}"')
    kwargs = {
        "host": params.host,
        "port": int(params.port),
        "dbname": params.database,
        "user": params.username,
        # Always pass a password (even ""): if it is absent libpq falls back to
        # the worker's own PGPASSWORD; and a passfile that does not exist stops
        # it reading the worker's ~/.pgpass (libpq skips a missing file
        # silently, but warns about /dev/null). Neither may reach a target.
        "password": params.password or "",
        "passfile": NO_PASSFILE,
        "connect_timeout": connect_timeout(params),
        "sslmode": sslmode,
        "application_name": "metacrawl",
        "options": session_options(params),
        **KEEPALIVES,
    }
    if params.hostaddr:
        kwargs["hostaddr"] = params.hostaddr
    return kwargs


# --- error translation ---------------------------------------------------------

_LIBPQ_PREFIX = re.compile(r'^connection to server at "[^"]*"(?: \([^)]*\))?, port \d+ failed:\s*')
_SEVERITY = re.compile(r"^(FATAL|ERROR):\s+")


def server_message(message: str) -> str:
    """The first meaningful line of a libpq/server message, without libpq's
    'connection to server at ... failed:' prefix and the severity."""
    for line in (message or "").splitlines():
        line = _SEVERITY.sub("", _LIBPQ_PREFIX.sub("", line.strip())).strip()
        if line:
            return line
    return "unknown error"


def connect_error(message: str, params: ConnectionParams) -> TargetError:
    """Turn the text of a failed psycopg2.connect into a typed error a user can act on.

    libpq reports connection failures as text only (no SQLSTATE), so this
    matches on the English messages of libpq and the server.
    """
    hp = f"{params.host}:{params.port}"
    user, db = params.username, params.database
    text = message or ""
    low = text.lower()
    detail = server_message(text)
    err: TargetError
    if re.search(r'database ".*" does not exist', text):
        err = TargetDatabaseMissing(f'database "{db}" does not exist on {hp}')
    elif re.search(r'role ".*" does not exist', text):
        err = TargetAuthFailed(f'authentication failed for user "{user}" on {hp}: role "{user}" does not exist')
    elif "no password supplied" in low:
        err = TargetAuthFailed(f'authentication failed for user "{user}" on {hp}: the server requires a password')
    elif "authentication failed" in low:
        err = TargetAuthFailed(f'authentication failed for user "{user}" on {hp}')
    elif "pg_hba.conf" in low:
        err = TargetAuthFailed(
            f'the server at {hp} does not accept connections from this address for user "{user}" '
            f'and database "{db}" (pg_hba.conf); ask its administrator to allow it'
        )
    elif "permission denied for database" in low:
        err = TargetAuthFailed(f'user "{user}" may not connect to database "{db}" on {hp} (no CONNECT privilege)')
    elif "timeout expired" in low:
        err = TargetUnreachable(f"could not connect to {hp}: timeout after {connect_timeout(params)} s")
    elif "connection refused" in low:
        err = TargetUnreachable(f"could not connect to {hp}: connection refused")
    elif "could not translate host name" in low:
        err = TargetUnreachable(f'could not connect to {hp}: host name "{params.host}" could not be resolved')
    elif "no route to host" in low or "network is unreachable" in low:
        err = TargetUnreachable(f"could not connect to {hp}: no route to host")
    elif "does not support ssl" in low:
        err = TargetUnreachable(
            f"could not connect to {hp}: the server does not support SSL, but the source's sslmode requires it"
        )
    elif "invalid response to ssl negotiation" in low or "expected authentication request" in low:
        err = TargetUnreachable(
            f"could not connect to {hp}: the server there does not speak the PostgreSQL protocol (wrong port?)"
        )
    elif "too many clients" in low or "too many connections" in low:
        err = TargetUnreachable(f"could not connect to {hp}: the server has no free connection slots")
    else:
        err = TargetUnreachable(f"could not connect to {hp}: {detail}")
    return scrubbed(err, params)


def query_error(pgcode: str | None, message: str, params: ConnectionParams, what: str) -> TargetError:
    """Turn a failed catalog query into a typed error. `what` says what we were doing."""
    detail = server_message(message)
    err: TargetError
    if pgcode == "57014" and "statement timeout" in (message or ""):
        err = TargetTimeout(
            f"statement timeout after {secs(params.statement_timeout)} s while reading "
            f"the catalog ({what}); the server may be overloaded or the timeout too short"
        )
    elif pgcode == "55P03":
        err = TargetTimeout(
            f"lock timeout after {secs(params.lock_timeout)} s while reading the catalog "
            f"({what}): another session holds a conflicting lock"
        )
    elif pgcode == "42501":
        err = TargetError(f"permission denied while reading the catalog ({what}): {detail}")
    else:
        err = TargetError(f"reading the catalog failed ({what}): {detail}")
    return scrubbed(err, params)


def lost_connection_error(message: str, params: ConnectionParams, what: str) -> TargetError:
    return scrubbed(
        TargetUnreachable(
            f"lost the connection to {params.host}:{params.port} while reading the catalog ({what}): "
            f"{server_message(message)}"
        ),
        params,
    )


# Connection-level failures: the session is gone (server restart, terminated
# backend, dropped database, network). Everything else is a query error.
_LOST_CODES = {"57P01", "57P02", "57P03", "25P03"}


def _is_connection_lost(exc: psycopg2.Error, conn) -> bool:
    if isinstance(exc, psycopg2.InterfaceError):
        return True
    if conn is None or conn.closed:
        return True
    code = exc.pgcode or ""
    return code in _LOST_CODES or code.startswith("08")


# --- the SQL and its row parsers -------------------------------------------------

# Everything in pg_* (pg_catalog, pg_toast, pg_temp_N, pg_toast_temp_N) and
# information_schema is system; users cannot create pg_* schemas.
SCHEMA_FILTER = r"""
    n.nspname NOT LIKE 'pg\_%%' AND n.nspname <> 'information_schema'
    AND (%(include)s::text[] IS NULL OR n.nspname = ANY(%(include)s::text[]))
    AND NOT (n.nspname = ANY(%(exclude)s::text[]))
"""

# The tables in scope whose columns this account may read none of: pg_stats
# shows no statistics for them (it filters by column privilege).
UNREADABLE_TABLES_SQL = f"""
SELECT count(*), min(quote_ident(n.nspname) || '.' || quote_ident(c.relname))
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND {SCHEMA_FILTER}
  AND NOT has_any_column_privilege(c.oid, 'SELECT')
"""

LIST_TABLES_SQL = f"""
SELECT n.nspname, c.relname, c.relkind
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {SCHEMA_FILTER}
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
"""


def table_ref_from_row(row: Sequence) -> TableRef:
    schema, name, relkind = row
    return TableRef(schema=schema, name=name, kind=KINDS[relkind])


# What describe() reports of a relation beyond its columns and keys, as
# correlated lookups on the catalogs' own indexes (only views and partitioned
# tables or partitions do any work): a view's SQL (pg_get_viewdef) and the
# relations its rewrite rule depends on (pg_depend), a partitioned table's key
# (pg_get_partkeydef), a partition's parent (pg_inherits) and bounds
# (pg_get_expr(relpartbound)). DETAILS_SQL reads them.
_RELATION_EXTRA = [
    "CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END",
    """CASE WHEN c.relkind IN ('v', 'm') THEN (
       SELECT coalesce(jsonb_agg(jsonb_build_object('schema', x.nspname, 'table', x.relname)
                                 ORDER BY x.nspname COLLATE "C", x.relname COLLATE "C"), '[]')
       FROM (SELECT DISTINCT dn.nspname, dc.relname
             FROM pg_rewrite rw
             JOIN pg_depend dp ON dp.classid = 'pg_rewrite'::regclass AND dp.objid = rw.oid
                              AND dp.refclassid = 'pg_class'::regclass AND dp.refobjid <> c.oid
             JOIN pg_class dc ON dc.oid = dp.refobjid
             JOIN pg_namespace dn ON dn.oid = dc.relnamespace
             WHERE rw.ev_class = c.oid) x) END""",
    "CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END",
    """CASE WHEN c.relispartition THEN (
       SELECT jsonb_build_object('schema', pn.nspname, 'table', pc.relname)
       FROM pg_inherits ih JOIN pg_class pc ON pc.oid = ih.inhparent
       JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE ih.inhrelid = c.oid LIMIT 1) END""",
    "CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END",
]
_RELATION_EXTRA_LIST = ",\n       ".join(_RELATION_EXTRA)


def _fork_pages(r: str) -> str:
    """SQL: pages of relation `r` (a pg_class alias) with its free-space map
    and visibility map estimated from relpages. FSM: PostgreSQL creates it
    when an insert leaves a full page (so a heap of 2+ pages) or at VACUUM;
    its tree is a root, one inner page per 4,069^2 and one leaf per 4,069
    heap pages, addressed depth first, so the last leaf k = (pages-1)/4069
    sits at block k + k/4069 + k/4069^2 + 2. VM: created when VACUUM marks a
    page all-visible (relallvisible > 0), 32,672 heap pages per VM page."""
    return f"""(COALESCE({r}.relpages, 0)::bigint
        + CASE WHEN {r}.relpages >= 2 OR {r}.relallvisible > 0 THEN
            ({r}.relpages - 1) / 4069 + ({r}.relpages - 1) / 16556761 + ({r}.relpages - 1) / 67369260609 + 3
          ELSE 0 END
        + CASE WHEN {r}.relallvisible > 0 THEN ({r}.relpages - 1) / 32672 + 1 ELSE 0 END
        + {_EMPTIED_FSM.format(r=r)})"""


# A heap VACUUM truncated to 0 pages keeps 2 FSM pages (root and first inner
# page: FreeSpaceMapPrepareTruncateRel) and no VM page, which relpages 0
# cannot tell from a table that never held a row (no FSM). The cumulative
# statistics can: rows were deleted and it was vacuumed since they were
# reset. (A table whose rows were deleted and later TRUNCATEd is counted
# 16 KB too large; one emptied before a statistics reset 16 KB too small.)
_EMPTIED_FSM = """CASE WHEN {r}.relpages = 0 AND {r}.reltuples >= 0 AND pg_stat_get_tuples_deleted({r}.oid) > 0
            AND pg_stat_get_vacuum_count({r}.oid) + pg_stat_get_autovacuum_count({r}.oid) > 0 THEN 2 ELSE 0 END"""

# An index's pages: relpages, and a BRIN index's free-space map, which BRIN
# creates at build (the tree above its pages, as a heap's: _fork_pages).
# Other access methods make an FSM only when VACUUM frees a page, which
# relpages does not tell (see the module docstring).
_INDEX_PAGES = """(ic.relpages + CASE WHEN ic.relam = (SELECT am.oid FROM pg_am am WHERE am.amname = 'brin')
    THEN (GREATEST(ic.relpages, 1) - 1) / 4069 + (GREATEST(ic.relpages, 1) - 1) / 16556761 + 3 ELSE 0 END)"""


# Pages of a table and its TOAST table and TOAST index, forks included;
# its indexes are added by the callers (see the module docstring). ANALYZE
# skips TOAST, and VACUUM rarely rescans an insert-only TOAST index, so that
# index's relpages stays at its creation's 1 page: it is estimated from the
# TOAST table's row count instead (a btree on (chunk_id, chunk_seq): 366
# entries per leaf filled to 90%, a metapage, inner pages above one leaf),
# measured within 1% at 80,000 chunks.
SIZE_PAGES = f"""{_fork_pages("c")} + COALESCE({_fork_pages("t")}, 0)
       + COALESCE((SELECT sum(GREATEST(ti.relpages, CASE WHEN t.reltuples > 0 THEN
                        1 + ceil(t.reltuples / 366) + CASE WHEN t.reltuples > 366 THEN ceil(t.reltuples / 366 / 366)
                        ELSE 0 END ELSE 0 END))::bigint
                   FROM pg_index ti_i JOIN pg_class ti ON ti.oid = ti_i.indexrelid
                   WHERE ti_i.indrelid = t.oid), 0)"""

# A collation's or operator class's name as the document prints it: bare
# when in pg_catalog (as documents always printed them), else quoted and
# schema-qualified as pg_get_indexdef prints a name outside the path
# (`public.gin_trgm_ops`, `"we.ird"."x"`). {ns}: its namespace oid (11 is
# pg_catalog's in every version: PG_CATALOG_NAMESPACE, a fixed oid).
_QUALIFIED_NAME = """CASE WHEN {ns} = 11 THEN {name}::text
    ELSE quote_ident((SELECT qn.nspname FROM pg_namespace qn WHERE qn.oid = {ns})) || '.' || quote_ident({name}) END"""
# A column's collation when it is not its type's default (null otherwise,
# and for types without one): attcollation 0 has none, 100 (the database's
# default) on a built-in type is the default, so pg_type is read only for
# the rest (a domain's collation, an explicit COLLATE).
_COLUMN_COLLATION = f"""CASE WHEN a.attcollation = 0 OR (a.attcollation = 100 AND a.atttypid < 16384) THEN NULL
    WHEN a.attcollation <> (SELECT ct.typcollation FROM pg_type ct WHERE ct.oid = a.atttypid) THEN
      (SELECT {_QUALIFIED_NAME.format(ns="co.collnamespace", name="co.collname")}
       FROM pg_collation co WHERE co.oid = a.attcollation) END"""
# A view's options (reloptions: check_option, security_barrier, security_invoker).
_VIEW_OPTIONS = "CASE WHEN c.relkind = 'v' THEN c.reloptions END"
SIGNATURE_PREFIX = "pg6:"
# A table's signature (pg6:) is the version of every catalog row its
# description is read from: an md5 of their row versions (xmin). DDL writes a
# new version of each catalog row it changes, with a new xmin; ANALYZE and
# VACUUM (FREEZE too: the frozen flag is in the row header, the xmin stays)
# write relpages and reltuples in place, and so does CREATE INDEX on its
# table's row, so they move none (measured on 15, tests/test_crawl_signatures.py).
# Covered: the table's pg_class and pg_namespace rows, its columns, defaults,
# constraints, indexes (pg_index and their pg_class rows), comments,
# partition parent (pg_inherits and the parent's rows) and a view's rewrite
# rule; and every object these depend on in pg_depend (types, sequences
# named in a default, a foreign key's referenced table and columns,
# functions, operator classes, collations, the relations and columns a view
# reads) with its namespace, so that a rename elsewhere, which a definition
# prints, moves it too. The dependency rows themselves are hashed, so a
# dependency dropped or added moves it. Pinned (built-in) objects have no
# pg_depend rows: renaming a built-in type or collation is not seen.
# It moves on some changes that describe nothing new (GRANT, SET STATISTICS,
# TRUNCATE and VACUUM FULL, which give the table a new file): such a table is
# described again, and its fingerprint finds it unchanged. Until pg5 the
# signature hashed what describe() prints (format_type, pg_get_indexdef,
# pg_get_constraintdef, ...): at 100,000 tables that query cost more than
# the floor's whole read; this one about half of it (bench/README.md).
_REFERENCED_VERSION = """CASE dp.refclassid
         WHEN 'pg_class'::regclass THEN (SELECT r.xmin || '/' || rn.xmin FROM pg_class r
                JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = dp.refobjid)
              || CASE WHEN dp.refobjsubid > 0 THEN '/' || (SELECT ra.xmin FROM pg_attribute ra
                   WHERE ra.attrelid = dp.refobjid AND ra.attnum = dp.refobjsubid) ELSE '' END
         WHEN 'pg_type'::regclass THEN (SELECT r.xmin || '/' || rn.xmin FROM pg_type r
                JOIN pg_namespace rn ON rn.oid = r.typnamespace WHERE r.oid = dp.refobjid)
         WHEN 'pg_proc'::regclass THEN (SELECT r.xmin || '/' || rn.xmin FROM pg_proc r
                JOIN pg_namespace rn ON rn.oid = r.pronamespace WHERE r.oid = dp.refobjid)
         WHEN 'pg_collation'::regclass THEN (SELECT r.xmin || '/' || rn.xmin FROM pg_collation r
                JOIN pg_namespace rn ON rn.oid = r.collnamespace WHERE r.oid = dp.refobjid)
         WHEN 'pg_opclass'::regclass THEN (SELECT r.xmin || '/' || rn.xmin FROM pg_opclass r
                JOIN pg_namespace rn ON rn.oid = r.opcnamespace WHERE r.oid = dp.refobjid)
         WHEN 'pg_namespace'::regclass THEN (SELECT r.xmin::text FROM pg_namespace r WHERE r.oid = dp.refobjid)
         WHEN 'pg_constraint'::regclass THEN (SELECT r.xmin::text FROM pg_constraint r WHERE r.oid = dp.refobjid)
         ELSE '?' END"""


def _dependencies(classid: str, objid: str) -> str:
    """SQL: the pg_depend rows of one object, each with the version of what
    it references (the table's own rows are hashed already)."""
    return f"""COALESCE((SELECT string_agg(dp.refclassid::oid || '.' || dp.refobjid || '.' || dp.refobjsubid
                  || dp.deptype::text || '=' || ({_REFERENCED_VERSION}), ';'
                  ORDER BY dp.refclassid, dp.refobjid, dp.refobjsubid, dp.deptype)
         FROM pg_depend dp WHERE dp.classid = '{classid}'::regclass AND dp.objid = {objid}
           AND NOT (dp.refclassid = 'pg_class'::regclass AND dp.refobjid = c.oid)), '')"""


# An index references other objects than its table's columns only through
# expressions, a predicate, or an operator class or collation not built in
# (oids below 16384 are initdb's).
_INDEX_REFERENCES = """(i.indexprs IS NOT NULL OR i.indpred IS NOT NULL
         OR 16384 <= ANY(i.indclass::oid[]) OR 16384 <= ANY(i.indcollation::oid[]))"""
VERSION_SQL = f"""md5(concat_ws(' ', c.xmin, n.xmin,
       (SELECT string_agg(a.xmin::text, ',' ORDER BY a.attnum) FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0),
       (SELECT string_agg(ad.oid || '=' || ad.xmin || {_dependencies("pg_attrdef", "ad.oid")}, ',' ORDER BY ad.oid)
        FROM pg_attrdef ad WHERE ad.adrelid = c.oid),
       (SELECT string_agg(k.oid || '=' || k.xmin
                          || CASE WHEN k.contype IN ('f', 'c', 'x') THEN {_dependencies("pg_constraint", "k.oid")}
                             ELSE '' END, ',' ORDER BY k.oid)
        FROM pg_constraint k WHERE k.conrelid = c.oid),
       (SELECT string_agg(i.indexrelid || '=' || i.xmin || '/' || ic.xmin
                          || CASE WHEN {_INDEX_REFERENCES} THEN {_dependencies("pg_class", "i.indexrelid")}
                             ELSE '' END, ',' ORDER BY i.indexrelid)
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid),
       (SELECT string_agg(d.objsubid || '=' || d.xmin, ',' ORDER BY d.objsubid) FROM pg_description d
        WHERE d.objoid = c.oid AND d.classoid = 'pg_class'::regclass),
       (SELECT string_agg(ih.inhparent || '=' || ih.xmin || '/' || pc.xmin || '/' || pn.xmin, ',')
        FROM pg_inherits ih JOIN pg_class pc ON pc.oid = ih.inhparent
        JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE ih.inhrelid = c.oid),
       (SELECT string_agg(rw.oid || '=' || rw.xmin || {_dependencies("pg_rewrite", "rw.oid")}, ',' ORDER BY rw.oid)
        FROM pg_rewrite rw WHERE rw.ev_class = c.oid),
       {_dependencies("pg_class", "c.oid")}))"""


# The batch arrives as two parallel arrays; the oids found here key the other
# queries. Size is SIZE_PAGES here, plus its indexes' relpages from
# INDEXES_SQL (add_index_pages), so nothing opens the relations themselves
# (see the module docstring).
DETAILS_SQL = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples,
       {SIZE_PAGES},
       current_setting('block_size')::int,
       d.description,
       {_RELATION_EXTRA_LIST},
       {_VIEW_OPTIONS},
       '{SIGNATURE_PREFIX}' || {VERSION_SQL}
FROM unnest(%(schemas)s::text[], %(names)s::text[]) AS b(nspname, relname)
JOIN pg_namespace n ON n.nspname = b.nspname::name
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = b.relname::name
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""


# Expressions describe() and the signature both read, written once so the two
# cannot drift apart (signature_of_rows relies on their values being equal).
_COLUMN_DEFAULT = """CASE WHEN a.atthasdef THEN (SELECT pg_get_expr(ad.adbin, ad.adrelid) FROM pg_attrdef ad
                                   WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum) END"""
_COLUMN_COMMENT = """(SELECT d.description FROM pg_description d
        WHERE d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum)"""
_PARENT_CONSTRAINT_TABLE = "(SELECT p.conrelid FROM pg_constraint p WHERE p.oid = {c}.conparentid)"
# Each key element of index `i` (pg_class `ic`) as JSON text, in key order:
# direction and nulls from indoption (bit 1 DESC, bit 2 NULLS FIRST) where
# the access method keeps an order (btree; not GIN, GiST, hash); the
# collation only when it is not the column's (for an expression: not its
# type's default, as the expression's own collation cannot be read here);
# the operator class only when it is not the default one for its type.
_INDEX_PARTS = f"""(SELECT jsonb_agg(jsonb_build_object(
         'direction', CASE WHEN NOT pg_indexam_has_property(ic.relam, 'can_order') THEN NULL
                           WHEN i.indoption[k] & 1 = 1 THEN 'desc' ELSE 'asc' END,
         'nulls', CASE WHEN NOT pg_indexam_has_property(ic.relam, 'can_order') THEN NULL
                       WHEN i.indoption[k] & 2 = 2 THEN 'first' ELSE 'last' END,
         'collation', (SELECT {_QUALIFIED_NAME.format(ns="co.collnamespace", name="co.collname")}
                       FROM pg_collation co WHERE co.oid = i.indcollation[k]
                       AND co.oid IS DISTINCT FROM COALESCE(
                         (SELECT a.attcollation FROM pg_attribute a
                          WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k] AND i.indkey[k] <> 0),
                         (SELECT t.typcollation FROM pg_attribute ia JOIN pg_type t ON t.oid = ia.atttypid
                          WHERE ia.attrelid = i.indexrelid AND ia.attnum = k + 1))),
         'opclass', (SELECT {_QUALIFIED_NAME.format(ns="oc.opcnamespace", name="oc.opcname")}
                     FROM pg_opclass oc WHERE oc.oid = i.indclass[k] AND NOT oc.opcdefault))
         ORDER BY k)
       FROM generate_series(0, i.indnkeyatts - 1) AS k)::text"""
# Each table's signature (VERSION_SQL, as describe() reads it) and the
# figures that move without the definition: its row estimate and pages (SIZE_PAGES
# plus its indexes, as describe() counts them).
SIGNATURES_SQL = f"""
SELECT n.nspname, c.relname, c.relkind, c.reltuples,
       {SIZE_PAGES}
         + COALESCE((SELECT sum({_INDEX_PAGES}) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                     WHERE i.indrelid = c.oid), 0),
       current_setting('block_size')::int,
       '{SIGNATURE_PREFIX}' || {VERSION_SQL},
       c.oid::bigint
FROM unnest(%(schemas)s::text[], %(names)s::text[]) AS b(nspname, relname)
JOIN pg_namespace n ON n.nspname = b.nspname::name
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = b.relname::name
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""


def signature_from_row(row: Sequence) -> tuple[tuple[str, str], TableSignature]:
    schema, name, relkind, reltuples, pages, block_size, signature, oid = row
    return (schema, name), TableSignature(
        signature=signature,
        row_estimate=row_estimate(relkind, reltuples),
        size_bytes=size_bytes(relkind, reltuples, pages, block_size),
        row_estimate_source=row_estimate_source(relkind, reltuples),
        object_id=int(oid),
    )


def row_estimate_source(relkind: str, reltuples) -> str:
    """Why row_estimate is what it is (base.ROW_ESTIMATE_SOURCES). A
    partitioned table's reltuples is -1 until its partitions are analyzed
    through it (ANALYZE on the parent)."""
    if relkind == "v":
        return "not_applicable"
    if reltuples is None or reltuples < 0:
        return "never_analyzed"
    return "statistics"


def row_estimate(relkind: str, reltuples) -> int | None:
    """reltuples is -1 until the first VACUUM/ANALYZE (unknown); views have no rows of their own."""
    if relkind == "v" or reltuples is None or reltuples < 0:
        return None
    return max(0, int(round(reltuples)))


def size_bytes(relkind: str, reltuples, pages, block_size) -> int | None:
    """Bytes on disk from SIZE_PAGES (table, TOAST and their forks; indexes
    are added later). Views and foreign tables have no storage here (None); a
    partitioned table stores nothing itself (0); a table never vacuumed or
    analyzed has relpages 0 whatever it holds, so its size is unknown (None)."""
    if relkind in ("v", "f") or pages is None:
        return None
    if relkind == "p":
        return 0
    if reltuples is None or reltuples < 0:
        return None
    return max(0, int(pages)) * int(block_size)


def details_from_row(row: Sequence) -> tuple[int, tuple[str, str], dict]:
    """(oid, (schema, name), details dict for assemble)."""
    oid, schema, name, relkind, reltuples, pages, block_size, comment = row[:8]
    viewdef, depends_on, partkey, parent, bounds = (*row[8:13], None, None, None, None, None)[:5]
    return (
        oid,
        (schema, name),
        {
            "kind": KINDS[relkind],
            "comment": comment,
            "row_estimate": row_estimate(relkind, reltuples),
            "row_estimate_source": row_estimate_source(relkind, reltuples),
            "size_bytes": size_bytes(relkind, reltuples, pages, block_size),
            "block_size": block_size,
            "definition": viewdef,
            "depends_on": depends_on,
            "partition": partition_key(partkey),
            "partition_of": parent,
            "bounds": bounds,
            # every view has it ({} without options), so a view's first crawl
            # after the upgrade tells no change and any later option does
            "view_options": (view_options(row[13] if len(row) > 13 else None) or {}) if relkind == "v" else None,
            "object_id": int(oid),
            "signature": row[14] if len(row) > 14 else None,  # VERSION_SQL's, as signatures() reads it
        },
    )


def view_options(reloptions: Sequence[str] | None) -> dict | None:
    """A view's options from its reloptions ('check_option=local',
    'security_barrier=true'): check_option as its word, the others as
    booleans; None when it has none."""
    out: dict = {}
    for option in reloptions or []:
        key, _, value = option.partition("=")
        out[key] = value if key == "check_option" else value.lower() in ("true", "on", "yes", "1")
    return out or None


STRATEGIES = {"RANGE": "range", "LIST": "list", "HASH": "hash"}


def partition_key(partkeydef: str | None) -> dict | None:
    """{"strategy", "key"} from pg_get_partkeydef's 'RANGE (created_at)'."""
    if not partkeydef:
        return None
    word, _, rest = partkeydef.partition(" ")
    rest = rest.strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    return {"strategy": STRATEGIES.get(word.upper(), word.lower()), "key": rest}


def add_index_pages(details: dict, index_pages: int) -> None:
    """Add an index's pages to its table's size (only where the size is known)."""
    if details.get("size_bytes") is not None and details["kind"] != "partitioned_table":
        details["size_bytes"] += max(0, int(index_pages or 0)) * int(details["block_size"])


# Defaults and comments are correlated lookups on the catalogs' own unique
# indexes, not joins: with joins the plan depends on the target's catalog
# statistics, and on a target whose catalogs were never analyzed PostgreSQL
# chose a nested loop that took 3.2 s for 2,000 tables instead of 60 ms.
# format_type prints the type as PostgreSQL does ("character varying(50)").
COLUMNS_SQL = f"""
SELECT a.attrelid, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       {_COLUMN_DEFAULT}, a.attidentity, a.attgenerated, {_COLUMN_COMMENT}, {_COLUMN_COLLATION}
FROM pg_attribute a
WHERE a.attrelid = ANY(%(oids)s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
"""


def column_from_row(row: Sequence) -> tuple[int, Column]:
    """(table oid, Column). A generated column's expression lives in pg_attrdef
    like a default; it is reported as `generated`, not as a default."""
    oid, name, attnum, type_, nullable, expr, identity, generated, comment, collation = (*row, None)[:10]
    is_generated = bool(generated)  # attgenerated is '' or 's' (stored)
    return oid, Column(
        name=name,
        ordinal=attnum,
        type=type_,
        nullable=nullable,
        default=None if is_generated else expr,
        comment=comment,
        identity=IDENTITY.get(identity) if identity else None,
        generated=expr if is_generated else None,
        collation=collation,
    )


def key_names(attnums: Sequence[int] | None, oid: int, names: dict, expressions: Sequence | None = None) -> list[str]:
    """Column names for the attnums of a key, in key order. attnum 0 is an
    expression element: its text is at the same position in `expressions`.
    `names` maps (table oid, attnum) to the column name (from COLUMNS_SQL)."""
    out = []
    for pos, attnum in enumerate(attnums or []):
        if attnum == 0:
            out.append(expressions[pos] if expressions and pos < len(expressions) else "(expression)")
        else:
            out.append(names.get((oid, attnum), str(attnum)))  # same snapshot: always found
    return out


# conkey (the table's columns, in key order) is resolved to names in Python
# from the columns already fetched: far cheaper than a name subquery per
# constraint. The referenced columns of a foreign key live on another table,
# often outside the batch, so those are resolved here, for 'f' rows only.
# The Constraint records (u, c, x) use pg_get_constraintdef; it is fetched for
# every row, with the parent's table, because the signature covers them.
CONSTRAINTS_SQL = f"""
SELECT c.oid, c.conrelid, c.conname, c.contype, c.conkey, c.conparentid,
       fn.nspname, fc.relname,
       CASE WHEN c.contype = 'f' THEN
         ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
               ORDER BY k.ord) END,
       c.confupdtype, c.confdeltype,
       pg_get_constraintdef(c.oid),
       CASE WHEN c.contype = 'x' AND 0 = ANY(c.conkey) THEN
         ARRAY(SELECT pg_get_indexdef(c.conindid, k, true)
               FROM generate_series(1, cardinality(c.conkey)) AS k) END,
       {_PARENT_CONSTRAINT_TABLE.format(c="c")},
       c.convalidated, c.condeferrable, c.condeferred
FROM pg_constraint c
LEFT JOIN pg_class fc ON fc.oid = c.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE c.conrelid = ANY(%(oids)s::oid[]) AND c.contype IN ('p', 'f', 'u', 'c', 'x')
"""


def constraints_from_rows(
    rows: Iterable[Sequence], names: dict
) -> list[tuple[int, PrimaryKey | ForeignKey | Constraint]]:
    """(table oid, PrimaryKey | ForeignKey | Constraint) for each declared constraint.

    When a foreign key references a partitioned table, PostgreSQL adds one
    internal clone per partition of the referenced table, on the same table,
    with the declared key as parent (conparentid). Nobody declared those;
    they are dropped. (A partition's copy of its parent table's foreign key
    has its parent on another table and is kept: it is a real constraint of
    the partition.)
    """
    rows = list(rows)
    owner = {row[0]: row[1] for row in rows}  # constraint oid -> table oid
    out = []
    for row in rows:
        reloid, contype, parent = row[1], row[3], row[5]
        if contype == "f" and parent and owner.get(parent) == reloid:
            continue
        out.append(constraint_from_row(row, names))
    return out


def constraint_from_row(row: Sequence, names: dict) -> tuple[int, PrimaryKey | ForeignKey | Constraint]:
    (
        _conoid,
        oid,
        name,
        contype,
        conkey,
        _parent,
        ref_schema,
        ref_table,
        ref_columns,
        upd,
        dele,
        definition,
        expressions,
        _parent_table,  # signed only
        validated,
        deferrable,
        deferred,
    ) = row
    columns = key_names(conkey, oid, names, expressions)
    if contype == "p":
        return oid, PrimaryKey(name=name, columns=columns)
    if contype == "f":
        return oid, ForeignKey(
            name=name,
            columns=columns,
            referenced_schema=ref_schema,
            referenced_table=ref_table,
            referenced_columns=list(ref_columns or []),
            on_update=FK_ACTIONS.get(upd, "NO ACTION"),
            on_delete=FK_ACTIONS.get(dele, "NO ACTION"),
            definition=definition,
            validated=bool(validated),
            deferrable=bool(deferrable),
            deferred=bool(deferred),
        )
    return oid, Constraint(name=name, type=CONSTRAINT_TYPES[contype], columns=columns, definition=definition)


# indkey (an int2vector) comes back as an int2[]; only the first indnkeyatts
# are key columns, the rest are INCLUDE columns. Expression elements have
# attnum 0; their text comes from pg_get_indexdef(oid, k, true), fetched
# only for indexes that have expressions. relpages feeds the table's size.
# _INDEX_PARTS gives each key element's order, collation and operator class
# as JSON text (the signature hashes the same text).
INDEXES_SQL = f"""
SELECT i.indrelid, ic.relname, i.indisunique, am.amname, pg_get_indexdef(i.indexrelid),
       pg_get_expr(i.indpred, i.indrelid), i.indkey::int2[], i.indnkeyatts,
       CASE WHEN i.indexprs IS NOT NULL THEN
         ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
               FROM generate_series(1, i.indnkeyatts::int) AS k) END,
       {_INDEX_PARTS},
       {_INDEX_PAGES}
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
LEFT JOIN pg_am am ON am.oid = ic.relam
WHERE i.indrelid = ANY(%(oids)s::oid[])
"""


def index_from_row(row: Sequence, names: dict) -> tuple[int, Index]:
    oid, name, unique, method, definition, predicate, indkey, nkeys, expressions, parts_json, _pages = row
    attnums = list(indkey or [])[:nkeys]
    columns = key_names(attnums, oid, names, expressions)
    return oid, Index(
        name=name,
        columns=columns,
        unique=bool(unique),
        method=method,
        definition=definition,
        predicate=predicate,
        parts=index_parts(attnums, columns, json.loads(parts_json or "[]")),
    )


def index_parts(attnums: list[int], columns: list[str], options: list[dict]) -> list[IndexPart]:
    """The key elements: a column's name, or an expression's text (attnum 0),
    with _INDEX_PARTS's order, collation and operator class."""
    return [
        index_part(
            column=None if attnum == 0 else column,
            expression=column if attnum == 0 else None,
            direction=o.get("direction"),
            nulls=o.get("nulls"),
            collation=o.get("collation"),
            opclass=o.get("opclass"),
        )
        for attnum, column, o in zip(attnums, columns, options, strict=False)
    ]


# Usage statistics of the batch's tables: the functions pg_stat_user_tables
# is made of (n_tup_ins is pg_stat_get_tuples_inserted(oid), ...), called
# for the batch's own pg_class rows. The view itself aggregates over every
# table of the database (a GROUP BY for its index scan counts) before any
# join: 0.15 s per batch of 2,000 at 26,000 tables, growing with the
# database, where this reads only the batch. No lock, no file read. Views
# and foreign tables keep no such statistics and get no activity; a
# partitioned table's are its partitions' (PARTITIONED_ACTIVITY_SQL).
# The same statement reads the usage counters (seq_scan, seq_tup_read, and
# idx_scan, idx_tup_fetch summed over the table's indexes as the view does),
# the database's last counter reset, and each index's scans (with PostgreSQL
# 16+'s time of its last scan: `{last_scan}`) as one JSON array per table.
ACTIVITY_SQL = """
SELECT n.nspname, c.relname, pg_stat_get_tuples_inserted(c.oid), pg_stat_get_tuples_updated(c.oid),
       pg_stat_get_tuples_deleted(c.oid), pg_stat_get_live_tuples(c.oid), pg_stat_get_dead_tuples(c.oid),
       pg_stat_get_last_vacuum_time(c.oid), pg_stat_get_last_autovacuum_time(c.oid),
       pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid),
       pg_stat_get_numscans(c.oid), pg_stat_get_tuples_returned(c.oid), coalesce(x.scans, 0),
       coalesce(x.fetched, 0) + pg_stat_get_tuples_fetched(c.oid),
       pg_stat_get_db_stat_reset_time((SELECT oid FROM pg_database WHERE datname = current_database())),
       coalesce(x.indexes, '[]')
FROM unnest(%(schemas)s::text[], %(names)s::text[]) AS b(nspname, relname)
JOIN pg_namespace n ON n.nspname = b.nspname::name
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = b.relname::name
LEFT JOIN LATERAL (
    SELECT sum(pg_stat_get_numscans(i.indexrelid))::bigint AS scans,
           sum(pg_stat_get_tuples_fetched(i.indexrelid))::bigint AS fetched,
           json_agg(json_build_array(ic.relname, pg_stat_get_numscans(i.indexrelid), {last_scan})
                    ORDER BY ic.relname) AS indexes
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid) x ON true
WHERE c.relkind IN ('r', 'm')
"""


def activity_sql(server_version: int) -> str:
    """ACTIVITY_SQL for the server: pg_stat_get_lastscan exists from 16 on."""
    return ACTIVITY_SQL.format(last_scan="pg_stat_get_lastscan(i.indexrelid)" if server_version >= 160000 else "NULL")


# A partitioned table keeps no statistics of its own: its figures are the
# sums of its leaf partitions' (pg_partition_tree, every level), read by
# the same functions; its times stay null (the partitions' vacuums and
# analyzes are each their own: no one time is the table's), and so do its
# usage counters (each partition's scans are its own; the table page of a
# partition shows them).
PARTITIONED_ACTIVITY_SQL = """
SELECT n.nspname, c.relname, x.ins, x.upd, x.del, x.live, x.dead, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL,
       pg_stat_get_db_stat_reset_time((SELECT oid FROM pg_database WHERE datname = current_database())),
       '[]'::json
FROM unnest(%(schemas)s::text[], %(names)s::text[]) AS b(nspname, relname)
JOIN pg_namespace n ON n.nspname = b.nspname::name
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = b.relname::name
CROSS JOIN LATERAL (
    SELECT coalesce(sum(pg_stat_get_tuples_inserted(p.relid)), 0)::bigint AS ins,
           coalesce(sum(pg_stat_get_tuples_updated(p.relid)), 0)::bigint AS upd,
           coalesce(sum(pg_stat_get_tuples_deleted(p.relid)), 0)::bigint AS del,
           coalesce(sum(pg_stat_get_live_tuples(p.relid)), 0)::bigint AS live,
           coalesce(sum(pg_stat_get_dead_tuples(p.relid)), 0)::bigint AS dead
    FROM pg_partition_tree(c.oid) p WHERE p.isleaf) x
WHERE c.relkind = 'p'
"""


def activity_from_row(row: Sequence, read_at: datetime) -> tuple[tuple[str, str], TableActivity]:
    schema, name, ins, upd, dele, live, dead, vacuum, autovacuum, analyze, autoanalyze = row[:11]
    seq_scans, seq_read, idx_scans, idx_fetched, reset_at, indexes = row[11:]
    return (schema, name), TableActivity(
        seq_scans=seq_scans,
        seq_rows_read=seq_read,
        index_scans=idx_scans,
        index_rows_fetched=idx_fetched,
        stats_reset_at=reset_at,
        indexes=[
            IndexActivity(index, scans, datetime.fromisoformat(last) if last else None)
            for index, scans, last in indexes
        ],
        read_at=read_at,
        rows_inserted=ins,
        rows_updated=upd,
        rows_deleted=dele,
        live_rows=live,
        dead_rows=dead,
        last_vacuum_at=vacuum,
        last_autovacuum_at=autovacuum,
        last_analyze_at=analyze,
        last_autoanalyze_at=autoanalyze,
    )


ENUMS_SQL = f"""
SELECT n.nspname, t.typname,
       COALESCE(array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
                FILTER (WHERE e.enumlabel IS NOT NULL), '{{}}'),
       (SELECT d.description FROM pg_description d
        WHERE d.classoid = 'pg_type'::regclass AND d.objoid = t.oid AND d.objsubid = 0)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.typtype = 'e' AND {SCHEMA_FILTER}
GROUP BY n.nspname, t.typname, t.oid
ORDER BY n.nspname COLLATE "C", t.typname COLLATE "C"
"""


def enum_from_row(row: Sequence) -> EnumType:
    schema, name, values, comment = (*row, None)[:4]
    return EnumType(schema=schema, name=name, values=list(values or []), comment=comment)


# Objects an extension installed (pg_depend deptype 'e') are the extension's,
# not the schema's: they are left out like system schemas.
NOT_EXTENSION_MEMBER = """NOT EXISTS (SELECT 1 FROM pg_depend x
    WHERE x.classid = '{catalog}'::regclass AND x.objid = {oid} AND x.deptype = 'e')"""

# A sequence's owner column: OWNED BY (serial: deptype 'a') or an identity
# column (deptype 'i').
SEQUENCES_SQL = f"""
SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcycle, tn.nspname, tc.relname, a.attname
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
     AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class tc ON tc.oid = d.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE {SCHEMA_FILTER} AND {NOT_EXTENSION_MEMBER.format(catalog="pg_class", oid="c.oid")}
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
"""


def sequence_from_row(row: Sequence) -> SequenceDef:
    schema, name, data_type, start, increment, min_value, max_value, cycle, o_schema, o_table, o_column = row
    owned_by = {"schema": o_schema, "table": o_table, "column": o_column} if o_column else None
    return SequenceDef(schema, name, data_type, start, increment, min_value, max_value, bool(cycle), owned_by)


# Internal triggers (foreign keys' RI triggers, deferred unique checks) are
# the engine's machinery, not the schema's.
# A partitioned table's trigger is cloned onto each of its partitions, which
# depend on it with deptype 'P' (PostgreSQL 11+; from 13 the clones are no
# longer internal): listed once, on the table it was created on.
NOT_PARTITION_CLONE = """NOT EXISTS (SELECT 1 FROM pg_depend pd WHERE pd.classid = 'pg_trigger'::regclass
    AND pd.objid = t.oid AND pd.refclassid = 'pg_trigger'::regclass AND pd.deptype = 'P')"""

TRIGGERS_SQL = f"""
SELECT n.nspname, c.relname, t.tgname, t.tgtype, fn.nspname, f.proname, t.tgenabled <> 'D',
       pg_get_triggerdef(t.oid)
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc f ON f.oid = t.tgfoid
JOIN pg_namespace fn ON fn.oid = f.pronamespace
WHERE NOT t.tgisinternal AND {SCHEMA_FILTER}
  AND {NOT_EXTENSION_MEMBER.format(catalog="pg_class", oid="c.oid")}
  AND {NOT_PARTITION_CLONE}
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C", t.tgname COLLATE "C"
"""

# pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h)
TRIGGER_ROW, TRIGGER_BEFORE, TRIGGER_INSERT, TRIGGER_DELETE = 1, 2, 4, 8
TRIGGER_UPDATE, TRIGGER_TRUNCATE, TRIGGER_INSTEAD = 16, 32, 64


def trigger_events(tgtype: int) -> tuple[str, list[str], str]:
    """(timing, events, level) of a pg_trigger.tgtype."""
    timing = "INSTEAD OF" if tgtype & TRIGGER_INSTEAD else "BEFORE" if tgtype & TRIGGER_BEFORE else "AFTER"
    bits = (("INSERT", TRIGGER_INSERT), ("UPDATE", TRIGGER_UPDATE), ("DELETE", TRIGGER_DELETE))
    events = [e for e, bit in (*bits, ("TRUNCATE", TRIGGER_TRUNCATE)) if tgtype & bit]
    return timing, events, "row" if tgtype & TRIGGER_ROW else "statement"


def trigger_from_row(row: Sequence) -> Trigger:
    schema, table, name, tgtype, f_schema, f_name, enabled, definition = row
    timing, events, level = trigger_events(tgtype)
    return Trigger(schema, table, name, timing, events, level, f"{f_schema}.{f_name}", bool(enabled), definition)


ROUTINE_KINDS = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window"}
VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}

# The body: the whole CREATE statement as pg_get_functiondef prints it
# (aggregates have none).
ROUTINES_SQL = f"""
SELECT n.nspname, p.proname, p.prokind, pg_get_function_identity_arguments(p.oid),
       CASE WHEN p.prokind <> 'p' THEN pg_get_function_result(p.oid) END, l.lanname, p.provolatile,
       d.description, CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_language l ON l.oid = p.prolang
LEFT JOIN pg_description d ON d.classoid = 'pg_proc'::regclass AND d.objoid = p.oid AND d.objsubid = 0
WHERE {SCHEMA_FILTER} AND {NOT_EXTENSION_MEMBER.format(catalog="pg_proc", oid="p.oid")}
ORDER BY n.nspname COLLATE "C", p.proname COLLATE "C",
         pg_get_function_identity_arguments(p.oid) COLLATE "C"
"""


def routine_from_row(row: Sequence) -> Routine:
    schema, name, prokind, arguments, result, language, volatility, comment, body = row
    kind = ROUTINE_KINDS.get(prokind, "function")
    return Routine(schema, name, kind, arguments or "", result, language, VOLATILITY.get(volatility), comment, body)


# --- extensions, domains, collations, text-search configurations, schemas ---
# (engines/schema_objects.py). Extensions are the database's, listed whatever
# the schema filters; the others are the included schemas', extension
# members left out as for routines.

EXTENSIONS_SQL = """
SELECT n.nspname, e.extname, e.extversion, d.description
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
LEFT JOIN pg_description d ON d.classoid = 'pg_extension'::regclass AND d.objoid = e.oid AND d.objsubid = 0
ORDER BY e.extname COLLATE "C"
"""

# A domain's NOT NULL is typnotnull; its CHECKs are pg_constraint rows on
# the type (contypid), by name.
DOMAINS_SQL = f"""
SELECT n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod), t.typdefault, t.typnotnull,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('name', k.conname, 'definition', pg_get_constraintdef(k.oid))
                                  ORDER BY k.conname COLLATE "C"), '[]')
        FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c')::text,
       CASE WHEN t.typcollation <> bt.typcollation THEN
         (SELECT {_QUALIFIED_NAME.format(ns="co.collnamespace", name="co.collname")}
          FROM pg_collation co WHERE co.oid = t.typcollation) END,
       d.description
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_description d ON d.classoid = 'pg_type'::regclass AND d.objoid = t.oid AND d.objsubid = 0
WHERE t.typtype = 'd' AND {SCHEMA_FILTER} AND {NOT_EXTENSION_MEMBER.format(catalog="pg_type", oid="t.oid")}
ORDER BY n.nspname COLLATE "C", t.typname COLLATE "C"
"""

# The ICU locale's column was renamed (colliculocale, PostgreSQL 15-16;
# colllocale, 17+): read through to_jsonb so one text serves every version.
COLLATIONS_SQL = f"""
SELECT n.nspname, c.collname, c.collprovider::text,
       coalesce(to_jsonb(c)->>'colllocale', to_jsonb(c)->>'colliculocale'), c.collcollate::text, c.collctype::text,
       c.collisdeterministic, d.description
FROM pg_collation c
JOIN pg_namespace n ON n.oid = c.collnamespace
LEFT JOIN pg_description d ON d.classoid = 'pg_collation'::regclass AND d.objoid = c.oid AND d.objsubid = 0
WHERE {SCHEMA_FILTER} AND {NOT_EXTENSION_MEMBER.format(catalog="pg_collation", oid="c.oid")}
ORDER BY n.nspname COLLATE "C", c.collname COLLATE "C"
"""

TEXT_SEARCH_CONFIGURATIONS_SQL = f"""
SELECT n.nspname, c.cfgname, quote_ident(pn.nspname) || '.' || quote_ident(p.prsname), d.description
FROM pg_ts_config c
JOIN pg_namespace n ON n.oid = c.cfgnamespace
JOIN pg_ts_parser p ON p.oid = c.cfgparser
JOIN pg_namespace pn ON pn.oid = p.prsnamespace
LEFT JOIN pg_description d ON d.classoid = 'pg_ts_config'::regclass AND d.objoid = c.oid AND d.objsubid = 0
WHERE {SCHEMA_FILTER} AND {NOT_EXTENSION_MEMBER.format(catalog="pg_ts_config", oid="c.oid")}
ORDER BY n.nspname COLLATE "C", c.cfgname COLLATE "C"
"""

SCHEMAS_SQL = f"""
SELECT n.nspname, d.description
FROM pg_namespace n
LEFT JOIN pg_description d ON d.classoid = 'pg_namespace'::regclass AND d.objoid = n.oid AND d.objsubid = 0
WHERE {SCHEMA_FILTER}
ORDER BY n.nspname COLLATE "C"
"""

COLLATION_PROVIDERS = {"c": "libc", "i": "icu", "b": "builtin", "d": "default"}


def domain_from_row(row: Sequence) -> Domain:
    schema, name, base_type, default, not_null, checks, collation, comment = row
    return Domain(schema, name, base_type, default, bool(not_null), json.loads(checks or "[]"), collation, comment)


def collation_from_row(row: Sequence) -> Collation:
    schema, name, provider, locale, lc_collate, lc_ctype, deterministic, comment = row
    if locale is None and lc_collate is not None and lc_collate == lc_ctype:
        locale = lc_collate
    return Collation(
        schema, name, COLLATION_PROVIDERS.get(provider, provider), locale, lc_collate, lc_ctype,
        bool(deterministic), comment,
    )  # fmt: skip


def build_tables(
    refs: list[TableRef],
    details_rows: Iterable[Sequence],
    column_rows: Iterable[Sequence],
    constraint_rows: Iterable[Sequence],
    index_rows: Iterable[Sequence],
) -> list[Table]:
    """Turn the rows of the four describe queries into Table records, in the
    order of `refs`; tables absent from details_rows (vanished) are dropped."""
    keys: dict[int, tuple[str, str]] = {}
    details: dict[tuple[str, str], dict] = {}
    for row in details_rows:
        oid, key, d = details_from_row(row)
        keys[oid], details[key] = key, d
    constraint_rows = list(constraint_rows)

    columns, names = [], {}
    for row in column_rows:
        oid, column = column_from_row(row)
        names[(oid, column.ordinal)] = column.name
        if oid in keys:
            columns.append((keys[oid], column))

    pks, fks, others = split_keys(
        (keys[oid], record) for oid, record in constraints_from_rows(constraint_rows, names) if oid in keys
    )

    indexes = []
    for row in index_rows:
        oid, index = index_from_row(row, names)
        if oid in keys:
            indexes.append((keys[oid], index))
            add_index_pages(details[keys[oid]], row[-1])

    for d in details.values():
        d.pop("block_size", None)
    return assemble(refs, details, columns, primary_keys=pks, foreign_keys=fks, indexes=indexes, constraints=others)


# --- the introspector ------------------------------------------------------------


class PostgresIntrospector(Introspector):
    """Reads pg_catalog over one read-only psycopg2 connection.

    Every public method raises only TargetError subclasses. If the session is
    lost mid-way, it reconnects once (which tells a dropped database apart
    from a network problem) and retries the query once (Introspector._query).
    """

    title = "PostgreSQL"
    driver_errors = (psycopg2.Error,)
    # PostgreSQL has no prefix indexes; everything else is read.
    capabilities = frozenset(CAPABILITIES) - {"index_prefixes"}

    def __init__(self, params: ConnectionParams):
        super().__init__(params)
        self._conn: psycopg2.extensions.connection | None = None

    # connection ----------------------------------------------------------------

    def connect(self) -> None:
        self.close()
        kwargs = connect_kwargs(self.params)
        try:
            conn = psycopg2.connect(**kwargs)
        except psycopg2.Error as exc:
            raise connect_error(str(exc), self.params) from None
        try:
            # One snapshot per method call; READ ONLY on top of the server default.
            conn.set_session(
                isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True, autocommit=False
            )
        except psycopg2.Error as exc:
            conn.close()
            raise connect_error(str(exc), self.params) from None
        self._conn = conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg2.Error):  # a broken connection has nothing left to report
                conn.close()

    # queries -------------------------------------------------------------------

    def _end_transaction(self) -> None:
        """Roll back (nothing was written) so no snapshot stays open between calls."""
        if self._conn is not None and not self._conn.closed:
            try:
                with self._bounded("ending a transaction"):  # a round trip too: a server may not answer it
                    self._conn.rollback()
            except psycopg2.Error:
                self.close()

    def _live(self) -> psycopg2.extensions.connection:
        """The open session, connecting first when there is none."""
        if self._conn is None or self._conn.closed:
            self.connect()
        if self._conn is None:
            raise TargetError("no connection to the target")
        return self._conn

    def _run(self, sql: str, args: Any) -> list[tuple]:
        with self._live().cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def _is_lost(self, exc: BaseException) -> bool:
        return isinstance(exc, psycopg2.Error) and _is_connection_lost(exc, self._conn)

    def _query_error(self, exc: BaseException, what: str) -> TargetError:
        return query_error(getattr(exc, "pgcode", None), str(exc), self.params, what)

    def _lost_error(self, exc: BaseException, what: str) -> TargetError:
        return lost_connection_error(str(exc), self.params, what)

    def _end_statement(self) -> None:
        self._end_transaction()

    def _dbapi_connection(self) -> Any:
        return self._conn

    # the interface -------------------------------------------------------------

    def list_tables(self) -> list[TableRef]:
        try:
            rows = self._query(LIST_TABLES_SQL, schema_filter(self.params), what="listing tables")
        finally:
            self._end_transaction()
        return [table_ref_from_row(r) for r in rows]

    def stream_tables(self, chunk: int) -> Iterator[list[TableRef]]:
        what = "listing tables"
        try:
            conn = self._live()
            cur = conn.cursor(name="metacrawl_list_tables")  # server-side: rows arrive in chunks
            try:
                cur.itersize = chunk
                with self._bounded(what):
                    cur.execute(LIST_TABLES_SQL, schema_filter(self.params))
                while True:
                    with self._bounded(what):
                        rows = cur.fetchmany(chunk)
                    if not rows:
                        break
                    yield [table_ref_from_row(r) for r in rows]
            finally:
                # closing a server-side cursor is a round trip (CLOSE) as well
                with self._bounded(what), contextlib.suppress(psycopg2.Error):
                    if not conn.closed:
                        cur.close()
        except psycopg2.Error as exc:
            if _is_connection_lost(exc, self._conn):
                self.close()
                raise lost_connection_error(str(exc), self.params, what) from None
            self._end_transaction()
            raise query_error(exc.pgcode, str(exc), self.params, what) from None
        finally:
            self._end_transaction()

    def describe(self, tables: list[TableRef]) -> list[Table]:
        if not tables:
            return []
        what = f"describing {len(tables)} tables"
        try:
            batch = {"schemas": [t.schema for t in tables], "names": [t.name for t in tables]}
            details_rows = self._query(DETAILS_SQL, batch, what)
            if not details_rows:
                return []  # every table of the batch has gone
            oids = {"oids": [row[0] for row in details_rows]}
            column_rows = self._query(COLUMNS_SQL, oids, what)
            constraint_rows = self._query(CONSTRAINTS_SQL, oids, what)
            index_rows = self._query(INDEXES_SQL, oids, what)
            views = {"oids": [row[0] for row in details_rows if row[3] in ("v", "m")]}
            lineage_rows = self._query(VIEW_COLUMNS_READ_SQL, views, what) if views["oids"] else []
        finally:
            self._end_transaction()
        return add_lineage(build_tables(tables, details_rows, column_rows, constraint_rows, index_rows), lineage_rows)

    def signatures(self, tables: list[TableRef]) -> dict[tuple[str, str], TableSignature]:
        if not tables:
            return {}
        batch = {"schemas": [t.schema for t in tables], "names": [t.name for t in tables]}
        try:
            rows = self._query(SIGNATURES_SQL, batch, f"reading the versions of {len(tables)} table definitions")
        finally:
            self._end_transaction()
        return dict(signature_from_row(r) for r in rows)

    def activity(self, tables: list[TableRef]) -> dict[tuple[str, str], TableActivity]:
        if not tables:
            return {}
        batch = {"schemas": [t.schema for t in tables], "names": [t.name for t in tables]}
        read_at = datetime.now(UTC)
        try:
            sql = activity_sql(self._live().server_version)
            rows = self._query(sql, batch, f"reading activity of {len(tables)} tables")
            parted = [t for t in tables if t.kind == "partitioned_table"]
            if parted:
                parted_batch = {"schemas": [t.schema for t in parted], "names": [t.name for t in parted]}
                rows += self._query(PARTITIONED_ACTIVITY_SQL, parted_batch, "reading partitions' activity")
        finally:
            self._end_transaction()
        return dict(activity_from_row(r, read_at) for r in rows)

    def top_statements(self, limit: int) -> TopStatements:
        top = read_top_statements(self._query, self._end_transaction, limit)
        if top.unreadable and top.reason and "not installed" not in top.reason:
            # installed but unreadable: its tables' top statements would read as "none"
            self.warn("statements", STATEMENTS_PRIVILEGE, f"top statements not shown: {top.reason}")
        return top

    def statistics(
        self, tables: list[TableRef], values: bool = False, withheld: frozenset[tuple[str, str, str]] = frozenset()
    ) -> dict[tuple[str, str], list[ColumnStatistics]]:
        if not tables:
            return {}
        batch = {"schemas": [t.schema for t in tables], "names": [t.name for t in tables]}
        sql = STATISTICS_VALUES_SQL if values else STATISTICS_SQL
        args = {**batch, **withheld_args(withheld)} if values else batch
        try:
            rows = self._query(sql, args, f"reading column statistics of {len(tables)} tables")
        finally:
            self._end_transaction()
        return group_statistics(rows)

    def list_enums(self) -> list[EnumType]:
        try:
            rows = self._query(ENUMS_SQL, schema_filter(self.params), what="listing enum types")
        finally:
            self._end_transaction()
        return [enum_from_row(r) for r in rows]

    def _list(self, sql: str, what: str) -> list[tuple]:
        try:
            return self._query(sql, schema_filter(self.params), what=what)
        finally:
            self._end_transaction()

    def list_sequences(self) -> list[SequenceDef]:
        return [sequence_from_row(r) for r in self._list(SEQUENCES_SQL, "listing sequences")]

    def list_triggers(self) -> list[Trigger]:
        return [trigger_from_row(r) for r in self._list(TRIGGERS_SQL, "listing triggers")]

    def list_routines(self) -> list[Routine]:
        return [routine_from_row(r) for r in self._list(ROUTINES_SQL, "listing functions and procedures")]

    def check_visibility(self) -> None:
        """Warn when pg_stats will hide some tables' column statistics: the
        account may read none of their columns."""
        try:
            count, first = self._query(UNREADABLE_TABLES_SQL, schema_filter(self.params), "checking column privileges")[
                0
            ]
        finally:
            self._end_transaction()
        if count:
            self.warn(
                "statistics",
                "SELECT on the tables (or pg_read_all_data)",
                f"column statistics not shown for {count} table(s) this account may not read, {first} among them",
            )

    def list_schema_objects(self) -> list[SchemaObject]:
        out: list[SchemaObject] = [Extension(*r) for r in self._list(EXTENSIONS_SQL, "listing extensions")]
        out += [domain_from_row(r) for r in self._list(DOMAINS_SQL, "listing domains")]
        out += [collation_from_row(r) for r in self._list(COLLATIONS_SQL, "listing collations")]
        out += [TextSearchConfiguration(*r) for r in self._list(TEXT_SEARCH_CONFIGURATIONS_SQL,
                                                                "listing text-search configurations")]  # fmt: skip
        out += [SchemaInfo(schema, schema, comment) for schema, comment in self._list(SCHEMAS_SQL, "listing schemas")]
        return out
