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
    # The target's stable id of the table, which a rename keeps (PostgreSQL:
    # pg_class.oid; there a column's ordinal is its attnum, which a column
    # rename keeps too); None where the engine has none. Never part of the
    # document compared or fingerprinted: the catalog stores it beside it.
    object_id: int | None = None


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


@dataclass
class EnumType:
    schema: str
    name: str
    values: list[str]


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
