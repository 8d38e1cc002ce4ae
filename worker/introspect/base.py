"""The one small interface every engine implements, and the records it returns.

An introspector connects to a target database, lists its tables in one cheap
query, and describes a batch of tables with a handful of bulk queries (never
one query per table). It returns plain dataclasses and knows nothing about
the catalog.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple


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


@dataclass
class Index:
    name: str
    columns: list[str]  # column names; an expression element is its SQL text
    unique: bool
    method: str | None = None  # btree, hash, gin, gist, FULLTEXT, SPATIAL...
    definition: str | None = None  # full CREATE INDEX text where the engine gives one
    predicate: str | None = None  # WHERE clause of a partial index


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
    columns: list[Column] = field(default_factory=list)
    primary_key: PrimaryKey | None = None
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    # What signatures() would answer for this definition, when describe can
    # compute it from its own rows (then a first crawl need not ask for it).
    signature: str | None = None


class TableSignature(NamedTuple):
    """A hash the target computes over everything describe() reports of a
    table, with the figures that move without the definition changing."""

    signature: str
    row_estimate: int | None
    size_bytes: int | None


@dataclass
class EnumType:
    schema: str
    name: str
    values: list[str]


@dataclass(frozen=True)
class ConnectionParams:
    host: str
    port: int
    database: str
    username: str
    password: str = field(repr=False)
    options: dict = field(default_factory=dict)  # sslmode, include_schemas, exclude_schemas
    connect_timeout: int = 10  # seconds
    statement_timeout: int = 60  # seconds
    lock_timeout: int = 5  # seconds
    hostaddr: str | None = None  # the address already checked by the network policy


class TargetError(Exception):
    """A failure talking to a target, worded for the user who owns it.

    `type` is a stable machine-readable name; str(self) is the message. Neither
    may ever contain the password.
    """

    type = "target_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TargetUnreachable(TargetError):
    type = "connection_failed"


class TargetAuthFailed(TargetError):
    type = "authentication_failed"


class TargetDatabaseMissing(TargetError):
    type = "database_not_found"


class TargetTimeout(TargetError):
    type = "statement_timeout"


class TargetAddressRefused(TargetError):
    type = "address_not_allowed"


class Introspector(abc.ABC):
    """Use as a context manager: `with Engine(params) as i: i.describe(refs)`."""

    def __init__(self, params: ConnectionParams):
        self.params = params

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    @abc.abstractmethod
    def connect(self) -> None:
        """Open a read-only session with connect, statement and lock timeouts."""

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def list_tables(self) -> list[TableRef]:
        """Every table, view, materialized view and partitioned table in the
        schemas the source includes, ordered by schema then name. One query."""

    def stream_tables(self, chunk: int) -> Iterator[list[TableRef]]:
        """list_tables() in lists of at most `chunk`, in the same order. An
        engine that can read its listing through a server-side cursor
        overrides this, so planning a crawl of any size takes flat memory."""
        tables = self.list_tables()
        for start in range(0, len(tables), chunk):
            yield tables[start : start + chunk]

    @abc.abstractmethod
    def describe(self, tables: list[TableRef]) -> list[Table]:
        """Describe a batch of tables with bulk queries. A table that vanished
        since list_tables is simply absent from the result."""

    def signatures(self, tables: list[TableRef]) -> dict[tuple[str, str], TableSignature] | None:
        """One cheap query: a signature per (schema, name) that changes
        whenever describe() would return a different definition, so a recrawl
        describes only the tables whose signature moved. None when the engine
        has no such query: then every table is described and compared."""
        return None

    def list_enums(self) -> list[EnumType]:
        return []
