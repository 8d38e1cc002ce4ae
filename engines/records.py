"""The records every engine returns (plain dataclasses, no behaviour), and
what an introspector is given to connect (ConnectionParams).

Introspectors build these and know nothing about the catalog;
engines/documents.py turns a Table into the catalog's table document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypedDict


@dataclass(frozen=True, slots=True)
class TableRef:
    schema: str
    name: str
    kind: str  # table, view, materialized_view, partitioned_table, foreign_table


@dataclass
class Column:
    name: str
    ordinal: int
    type: str  # as the engine prints it: "character varying(50)", "int(11)"
    nullable: bool
    default: str | None = None
    comment: str | None = None
    identity: str | None = None  # "always", "by default", "auto_increment"
    generated: str | None = None  # generation expression of a generated column
    on_update: str | None = None  # MySQL/MariaDB ON UPDATE expression (current_timestamp())
    # Only where they apply (documents.OPTIONAL_COLUMN_PARTS: left out of the
    # document when None, so a column without them reads as it did):
    charset: str | None = None  # MySQL/MariaDB: only when not the table's default
    collation: str | None = None  # PostgreSQL: not its type's default; MySQL/MariaDB: not the table's
    generated_storage: str | None = None  # a generated column's "virtual" or "stored"
    invisible: bool | None = None  # True for a MySQL/MariaDB INVISIBLE column (SELECT * leaves it out)


@dataclass
class PrimaryKey:
    name: str | None
    columns: list[str]


@dataclass
class ForeignKey:
    name: str
    columns: list[str]
    referenced_schema: str
    referenced_table: str
    referenced_columns: list[str]
    on_update: str  # "NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"
    on_delete: str
    definition: str | None = None  # the key as the engine prints it (PostgreSQL: pg_get_constraintdef)
    validated: bool | None = None  # False: NOT VALID (existing rows unchecked); None: the engine does not say
    deferrable: bool | None = None
    deferred: bool | None = None  # INITIALLY DEFERRED


class IndexPart(TypedDict):
    """One key element of an index. A dict, not a dataclass, so the table
    document can hold it as it is (see engines/documents.py)."""

    column: str | None  # None for an expression
    expression: str | None  # its SQL text, for an expression element
    prefix_length: int | None  # MySQL/MariaDB: indexed leading characters (SUB_PART)
    direction: str | None  # "asc" or "desc"; None where the index keeps no order (GIN, FULLTEXT...)
    nulls: str | None  # PostgreSQL ordered indexes: "first" or "last"
    collation: str | None  # only when not the column's own
    opclass: str | None  # PostgreSQL: only when not the type's default operator class


def index_part(
    column: str | None = None,
    expression: str | None = None,
    prefix_length: int | None = None,
    direction: str | None = None,
    nulls: str | None = None,
    collation: str | None = None,
    opclass: str | None = None,
) -> IndexPart:
    return IndexPart(
        column=column,
        expression=expression,
        prefix_length=prefix_length,
        direction=direction,
        nulls=nulls,
        collation=collation,
        opclass=opclass,
    )


@dataclass
class Index:
    name: str
    columns: list[str]  # column names; an expression element is its SQL text
    unique: bool
    method: str | None = None  # btree, hash, gin, gist, FULLTEXT, SPATIAL...
    definition: str | None = None  # full CREATE INDEX text where the engine gives one
    predicate: str | None = None  # WHERE clause of a partial index
    parts: list[IndexPart] | None = None  # the key elements in order, where the engine says


@dataclass
class Constraint:
    name: str
    type: str  # unique, check, exclusion
    columns: list[str]
    definition: str | None = None


@dataclass
class Table:
    schema: str
    name: str
    kind: str
    comment: str | None = None
    row_estimate: int | None = None
    size_bytes: int | None = None
    # Where row_estimate comes from (ROW_ESTIMATE_SOURCES), so a None says why.
    row_estimate_source: str | None = None
    columns: list[Column] = field(default_factory=list)
    primary_key: PrimaryKey | None = None
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    # What signatures() would answer for this definition, when describe can
    # compute it from its own rows (then a first crawl need not ask for it).
    signature: str | None = None
    # Views and materialized views: their SQL as the engine prints it, and the
    # relations it reads ({"schema", "table"}; None where the engine cannot say).
    definition: str | None = None
    depends_on: list[dict] | None = None
    # A partitioned table: {"strategy", "key"} (MySQL/MariaDB also
    # "partitions": their names); a partition: its parent {"schema", "table"}
    # and its bounds as the engine prints them.
    partition: dict | None = None
    partition_of: dict | None = None
    bounds: str | None = None
    # What the engine could not describe, in its own words (a MariaDB view
    # whose table was dropped: no columns, and this says why); None when fine.
    warnings: list[str] | None = None
    # Views and materialized views: each output column's source columns
    # (engines/lineage.py says the shape); None for other tables.
    lineage: dict | None = None
    # The target's stable id of the table, which a rename keeps (PostgreSQL:
    # pg_class.oid; there a column's ordinal is its attnum, which a column
    # rename keeps too); None where the engine has none. Never part of the
    # document compared or fingerprinted: the catalog stores it beside it.
    object_id: int | None = None
    # MySQL/MariaDB, tables only: the storage engine (InnoDB, MyISAM...) and
    # the table's default collation. A view's ALGORITHM, SQL SECURITY,
    # DEFINER and CHECK OPTION as `view_options`. None where they do not apply.
    engine: str | None = None
    collation: str | None = None
    view_options: dict | None = None


# row_estimate_source: "statistics" (the engine's statistics: PostgreSQL
# reltuples from the last VACUUM/ANALYZE, MySQL/MariaDB TABLE_ROWS),
# "never_analyzed" (PostgreSQL: never vacuumed nor analyzed, so no estimate
# and no size: the planner would count its pages at query time),
# "not_applicable" (views and foreign tables hold no rows of their own).
ROW_ESTIMATE_SOURCES = ("statistics", "never_analyzed", "not_applicable")


class TableSignature(NamedTuple):
    """A hash the target computes over everything describe() reports of a
    table, with the figures that move without the definition changing."""

    signature: str
    row_estimate: int | None
    size_bytes: int | None
    row_estimate_source: str | None = None
    object_id: int | None = None  # as Table.object_id


@dataclass
class TableActivity:
    """How much a table is used, read apart from its definition: never part
    of the signature or fingerprint, never a change event. Fields the engine
    does not keep are None (MySQL/MariaDB only have last_update_at)."""

    read_at: datetime
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_deleted: int | None = None
    live_rows: int | None = None
    dead_rows: int | None = None
    last_vacuum_at: datetime | None = None
    last_autovacuum_at: datetime | None = None
    last_analyze_at: datetime | None = None
    last_autoanalyze_at: datetime | None = None
    last_update_at: datetime | None = None
    # Usage counters, cumulative since the engine's statistics were reset
    # (PostgreSQL: pg_stat_user_tables seq_scan, seq_tup_read, idx_scan,
    # idx_tup_fetch); the catalog turns them into counts between crawls.
    seq_scans: int | None = None
    seq_rows_read: int | None = None
    index_scans: int | None = None
    index_rows_fetched: int | None = None
    stats_reset_at: datetime | None = None  # when the database's counters were last reset (pg_stat_database)
    next_auto_increment: int | None = None  # MySQL/MariaDB: TABLES.AUTO_INCREMENT
    indexes: list[IndexActivity] = field(default_factory=list)


@dataclass
class IndexActivity:
    """One index's scans since the counters' reset (PostgreSQL idx_scan) and,
    where the engine keeps it (PostgreSQL 16+), the time of its last scan."""

    name: str
    scans: int | None
    last_scan_at: datetime | None = None


# The kinds of usage an engine may be unable to read (privileges, an extension
# or server option that is off); activity() and top_statements() name them.
USAGE_KINDS = ("table_scans", "index_scans", "rows_read", "rows_written", "statements")


class Activities(dict):
    """activity()'s answer: (schema, name) -> TableActivity, and `unreadable`,
    the USAGE_KINDS the engine could not read for these tables (their figures
    are None: unknown, not zero)."""

    def __init__(self, tables: Any = None, unreadable: frozenset[str] = frozenset()) -> None:
        super().__init__(tables or {})
        self.unreadable = frozenset(unreadable)


@dataclass
class StatementStat:
    """A statement from PostgreSQL's pg_stat_statements: its normalised text
    (constants replaced by $n; literals left in utility statements are
    blanked by engines/statement_tables.py), figures since the extension's
    reset, and the tables it names, as (schema or None, name): None when
    the statement names the table without its schema."""

    query_id: str
    query: str
    calls: int
    total_ms: float
    rows: int
    tables: list[tuple[str | None, str]]


@dataclass
class TopStatements:
    """top_statements()'s answer: the statements, most total time first, and
    `unreadable` ({"statements"} when the extension is missing or unreadable,
    with `reason` saying why in words a user can act on)."""

    statements: list[StatementStat] = field(default_factory=list)
    unreadable: frozenset[str] = frozenset()
    reason: str | None = None


@dataclass
class EnumType:
    schema: str
    name: str
    values: list[str]
    comment: str | None = None


@dataclass
class SequenceDef:
    """A sequence. MariaDB before 11.5 has no bulk view of a sequence's
    attributes: the figures are None when they could not be read."""

    schema: str
    name: str
    data_type: str | None = None
    start: int | None = None
    increment: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    cycle: bool | None = None
    owned_by: dict | None = None  # the column it belongs to (serial, identity): {"schema", "table", "column"}


@dataclass
class Trigger:
    schema: str
    table: str
    name: str
    timing: str  # BEFORE, AFTER, INSTEAD OF
    events: list[str]  # of INSERT, UPDATE, DELETE, TRUNCATE, in that order
    level: str  # row, statement
    function: str | None  # PostgreSQL: the trigger function, schema-qualified; MySQL: None (the body is inline)
    enabled: bool
    definition: str  # PostgreSQL: pg_get_triggerdef; MySQL/MariaDB: ACTION_STATEMENT


@dataclass
class Routine:
    schema: str
    name: str
    kind: str  # function, procedure, aggregate, window
    arguments: str  # as the engine prints them; with the name, what tells overloads apart
    return_type: str | None = None
    language: str | None = None
    volatility: str | None = None  # PostgreSQL: immutable, stable, volatile; MySQL: deterministic or not
    comment: str | None = None
    body: str | None = None
    # MySQL/MariaDB: SQL DATA ACCESS (CONTAINS SQL, NO SQL, READS SQL DATA,
    # MODIFIES SQL DATA) and SQL SECURITY (DEFINER, INVOKER); None elsewhere
    data_access: str | None = None
    security: str | None = None


@dataclass(frozen=True, slots=True)
class VisibilityWarning:
    """What the crawl's account could not see: the kind of object or fact
    ("routines", "triggers", "statistics", "usage"...), the privilege that
    would show it, and a sentence saying both. Never "none found" where the
    account cannot know."""

    kind: str
    privilege: str
    message: str


@dataclass(frozen=True)
class ConnectionParams:
    """What an introspector gets: its engine's settings (validated by the
    engine's settings schema), its secrets, and the operator's limits.

    Server engines read host/port/database/username/password/options; other
    engines read their own fields from `settings` (every non-secret field) and
    `secrets` (every secret field by name, the password included)."""

    host: str = ""
    port: int = 0
    database: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    options: dict = field(default_factory=dict)  # sslmode, include_schemas, exclude_schemas
    connect_timeout: float = 10  # seconds
    statement_timeout: float = 60  # seconds
    lock_timeout: float = 5  # seconds
    hostaddr: str | None = None  # the address already checked by the network policy
    # the client-side bound of every wait on the target (seconds; 0: none):
    # past it the connection is cut (Introspector._bounded)
    read_timeout: float = 0
    settings: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    allowed_dirs: tuple[str, ...] = ()  # directories whose database files may be read (METACRAWL_SQLITE_DIRS)

    def secret_values(self) -> list[str]:
        """Every value no message may ever show."""
        return [v for v in (self.password, *self.secrets.values()) if v]


@dataclass
class ColumnStatistics:
    """What the planner keeps about a column (PostgreSQL pg_stats, MariaDB
    mysql.column_stats), read without scanning a row; apart from the
    definition like TableActivity. `distinct` follows pg_stats' n_distinct:
    positive, an estimated count of distinct values; negative, minus their
    fraction of the rows. `gathered_at`: the table's last (auto)analyze
    where the engine records it. The value lists hold real data and are
    read only when the source's statistics_values setting allows (never for
    a withheld column); otherwise None."""

    column: str
    null_fraction: float | None = None
    distinct: float | None = None
    avg_width: int | None = None
    correlation: float | None = None
    gathered_at: datetime | None = None
    most_common_values: list[str] | None = None
    most_common_freqs: list[float] | None = None
    histogram_bounds: list[str] | None = None
