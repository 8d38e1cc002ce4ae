"""PostgreSQL's statement statistics (pg_stat_statements), read once per
crawl at plan time: the statements with the most total execution time in the
crawled database, their normalised text (literals blanked again: a utility
statement's text is kept as sent) and the tables each names
(engines/statement_tables.py).

The extension may be absent (not created in this database), created but not
loaded (it needs shared_preload_libraries: reading it then fails), or
unreadable (another role's statements show as `<insufficient privilege>`
without pg_read_all_stats, and are left out). Absent or failing, the answer
says so (`unreadable`, `reason`) and the crawl goes on: usage is then
unknown, never an empty list that looks complete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .errors import TargetError, TargetStalled, TargetUnreachable
from .records import StatementStat, TopStatements
from .statement_tables import blank_literals, named_tables

EXTENSION_SQL = """
SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_stat_statements'
"""

# This database's statements only (dbid), top by total time; PostgreSQL 13+
# names the column total_exec_time. {schema}: the extension's, quoted.
STATEMENTS_SQL = """
SELECT queryid::text, query, calls, total_exec_time, rows FROM {schema}.pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND queryid IS NOT NULL AND query <> '<insufficient privilege>'
ORDER BY total_exec_time DESC LIMIT %(limit)s
"""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def statement_from_row(row: Sequence) -> StatementStat:
    query_id, query, calls, total_ms, rows = row
    text = blank_literals(query)
    return StatementStat(
        query_id=query_id,
        query=text,
        calls=calls,
        total_ms=round(float(total_ms), 3),
        rows=rows,
        tables=named_tables(text),
    )


def read_top_statements(query: Callable[..., list[tuple]], end: Callable[[], None], limit: int) -> TopStatements:
    """The top `limit` statements through `query` (the introspector's
    _query), ending the transaction with `end`. A lost connection still
    raises; any other failure of the read is an unreadable answer."""
    try:
        found = query(EXTENSION_SQL, None, "looking for pg_stat_statements")
        if not found:
            return _unreadable("the pg_stat_statements extension is not installed in this database")
        args: Any = {"limit": limit}
        rows = query(STATEMENTS_SQL.format(schema=quote_ident(found[0][0])), args, "reading pg_stat_statements")
    except (TargetUnreachable, TargetStalled):
        raise
    except TargetError as exc:
        return _unreadable(f"pg_stat_statements could not be read: {exc}")
    finally:
        end()
    return TopStatements(statements=[statement_from_row(r) for r in rows])


def _unreadable(reason: str) -> TopStatements:
    return TopStatements(unreadable=frozenset({"statements"}), reason=reason)
