"""The one small interface every engine implements, and the records it returns.

An introspector connects to a target database, lists its tables in one cheap
query, and describes a batch of tables with a handful of bulk queries (never
one query per table). It returns plain dataclasses and knows nothing about
the catalog.
"""

from __future__ import annotations

import abc
import contextlib
import os
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, TypedDict, TypeVar

import marshmallow as ma


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


class TargetDatabaseNotVisible(TargetError):
    """The database exists or not, but the crawl user cannot see it: a crawl
    of it would see no tables and look like one of an empty database."""

    type = "database_not_visible"


class TargetTimeout(TargetError):
    type = "statement_timeout"


class TargetStalled(TargetError):
    """The server stopped answering: no reply within the client-side bound
    (a server that accepts the login, then never answers a query)."""

    type = "target_stalled"


class TargetAddressRefused(TargetError):
    type = "address_not_allowed"


class TargetSettingsRefused(TargetError):
    """The source's settings are not acceptable on this server (a file outside
    the allowed directories, a URL holding a password...). `field` names the
    setting, so the API can answer 422 on that field."""

    type = "settings_refused"

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- shared behaviour ---------------------------------------------------------------

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_DSN_SECRET = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def scrub(message: str, secrets: str | Iterable[str] | None) -> str:
    """Remove secrets from a message: `password=...` in a DSN, and each
    secret wherever it stands as a whole token or quoted value (not glued to
    letters, digits or _ on either side). A one-letter password `p` leaves
    "does not speak" alone but still hides `'p'`, `:p@` and ` p `."""
    message = _DSN_SECRET.sub("password=***", message)
    if isinstance(secrets, str):
        secrets = [secrets]
    for secret in sorted(set(secrets or ()), key=len, reverse=True):
        if secret:
            message = re.sub(r"(?<!\w)" + re.escape(secret) + r"(?!\w)", "***", message)
    return message


def scrubbed(err: TargetError, params: ConnectionParams) -> TargetError:
    """The same typed error with every secret of `params` scrubbed from it."""
    clean = scrub(err.message, params.secret_values())
    if clean == err.message:
        return err
    if isinstance(err, TargetSettingsRefused):
        return TargetSettingsRefused(err.field, clean)
    return type(err)(clean)


def name_list(value, option: str, what: str = "schema") -> list[str]:
    """include_schemas/exclude_schemas as a list of names (a single string is one name)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(v, str) for v in value):
        raise TargetError(f"option {option} must be a list of {what} names")
    return list(value)


T = TypeVar("T")


def check_file(
    path: str, allowed_dirs: Sequence[str], field: str = "path", missing: type[TargetError] | None = None
) -> str:
    """The resolved path of a database file this server may read: inside a
    directory the operator allows (METACRAWL_SQLITE_DIRS), also once every
    symbolic link is followed, and a regular readable file.

    Raises TargetSettingsRefused naming `field` (or `engine` when no directory
    is allowed at all); a file that does not exist raises `missing` when given
    (TargetDatabaseMissing at crawl time) instead."""
    if not allowed_dirs:
        raise TargetSettingsRefused(
            "engine",
            "database files are off on this server: the operator has named no directories (METACRAWL_SQLITE_DIRS)",
        )
    dirs = [os.path.realpath(d) for d in allowed_dirs]
    given = os.path.abspath(path)
    real = os.path.realpath(path)

    def inside(p: str, d: str) -> bool:
        return os.path.commonpath([p, d]) == d

    if not any(inside(real, d) for d in dirs):
        if any(inside(given, d) for d in dirs):
            raise TargetSettingsRefused(field, f"{path} is a symbolic link leading outside the allowed directories")
        raise TargetSettingsRefused(
            field, f"{path} is outside the directories this server may read ({', '.join(allowed_dirs)})"
        )
    if not os.path.exists(real):
        if missing is not None:
            raise missing(f"the database file {path} does not exist")
        raise TargetSettingsRefused(field, f"no such file: {path}")
    if not os.path.isfile(real):
        raise TargetSettingsRefused(field, f"{path} is not a file")
    if not os.access(real, os.R_OK):
        raise TargetSettingsRefused(field, f"{path} cannot be read by the metacrawl server")
    return real


def secs(seconds) -> str:
    """'60' for 60, '0.05' for 0.05: how a timeout reads in a message."""
    return f"{float(seconds):g}"


def sever(dbapi_connection: Any) -> None:
    """Cut a DB-API connection from another thread, so a call blocked on it
    returns: shut its socket down (psycopg2 through its descriptor, PyMySQL
    through its socket), or interrupt an in-process engine (SQLite, DuckDB)."""
    if dbapi_connection is None:
        return
    fileno = getattr(dbapi_connection, "fileno", None)
    sock = getattr(dbapi_connection, "_sock", None)  # PyMySQL keeps its socket here
    if callable(fileno):
        # a duplicate of the descriptor: shutting it down shuts the one socket both name
        with contextlib.suppress(OSError, ValueError), socket.socket(fileno=os.dup(fileno())) as dup:
            dup.shutdown(socket.SHUT_RDWR)
    elif isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    elif callable(getattr(dbapi_connection, "interrupt", None)):
        with contextlib.suppress(Exception):
            dbapi_connection.interrupt()


def local_file_refused(where: str) -> TargetError:
    """A server asked this client for a local file (LOAD DATA LOCAL INFILE),
    which no query of a crawl calls for: a hostile or broken server. PyMySQL,
    with local_infile off, refuses with a RuntimeError mid-protocol."""
    return TargetError(
        f"the server at {where} asked for a file of the metacrawl server (LOAD DATA LOCAL INFILE); "
        "metacrawl never sends files and stopped reading this target"
    )


class Target(NamedTuple):
    """Where a connection goes: what the network policy and the catalog rule check."""

    host: str
    port: int
    database: str | None


# --- connection settings schemas ------------------------------------------------------
# Each engine declares its settings as a marshmallow schema (as Redash's query
# runners declare theirs); a field with metadata secret=True is encrypted at
# rest, write-only in the API and scrubbed from every message.


def secret(field: ma.fields.Field) -> ma.fields.Field:
    """Mark a settings field as secret."""
    field.load_only = True
    field.metadata = {**field.metadata, "secret": True}
    return field


SCHEMA_NAMES = ma.fields.List(
    ma.fields.String(validate=ma.validate.Length(min=1, max=255)), validate=ma.validate.Length(max=1000)
)


class SchemaFilterOptions(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    include_schemas = SCHEMA_NAMES
    exclude_schemas = SCHEMA_NAMES


class ServerOptions(SchemaFilterOptions):
    sslmode = ma.fields.String(validate=ma.validate.OneOf(SSLMODES))


class ServerSettings(ma.Schema):
    """A database server reached over the network with a user name and password."""

    class Meta:
        unknown = ma.RAISE

    host = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Length(min=1, max=255),
            ma.validate.Regexp(r"[A-Za-z0-9.\-_:\[\]%]+\Z", error="not a valid host name or address"),
        ],
        metadata={
            "description": "Host name or IP address (IPv6 with or without brackets; stored normalised). Numeric "
            "forms other than a dotted quad are refused; link-local and cloud metadata addresses always, "
            "loopback and private ranges unless the server allows them."
        },
    )
    port = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=65535))
    database = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    password = secret(
        ma.fields.String(
            required=True,
            validate=ma.validate.Length(min=1, max=1024),
            metadata={"description": "Write-only: stored encrypted, never returned."},
        )
    )
    options = ma.fields.Nested(ServerOptions, load_default=dict)


class Introspector(abc.ABC):
    """One engine: its settings schema, how it connects, lists, signs and
    describes tables. Use as a context manager: `with Engine(params) as i:
    i.describe(refs)`. Every public method raises TargetError subclasses only.

    Adding an engine is one module with a subclass of this and one line in
    the registry (engines/__init__.py); tests/test_engine_contract.py
    then runs the shared contract suite against it.
    """

    #: what the engine is called in messages and the API documentation
    title: ClassVar[str] = "database"
    #: its connection settings (marshmallow); secret fields carry metadata secret=True
    settings_schema: ClassVar[type[ma.Schema]] = ServerSettings
    #: driver exceptions that _run may raise (translated by _query_error)
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(self, params: ConnectionParams):
        self.params = params

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    # --- the engine's settings (used by the API and the worker alike) ----------

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        return tuple(name for name, f in cls.settings_schema._declared_fields.items() if f.metadata.get("secret"))

    @classmethod
    def address(cls, settings: Mapping[str, Any]) -> Target | None:
        """The (host, port, database) a connection goes to, which the network
        policy and the catalog rule check; None for an engine that reads
        local files."""
        host = settings.get("host")
        return Target(host, int(settings.get("port") or 0), settings.get("database")) if host else None

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any], allowed_dirs: Sequence[str]) -> None:
        """Refuse settings this server may not use (raise TargetSettingsRefused
        naming the field). Run at registration and again before every crawl."""
        return None

    @classmethod
    def connection_params(
        cls, settings: Mapping[str, Any], secrets: Mapping[str, str], **limits: Any
    ) -> ConnectionParams:
        """ConnectionParams from a source's stored settings and decrypted secrets;
        `limits` are timeouts, hostaddr and allowed_dirs."""
        return ConnectionParams(
            host=settings.get("host") or "",
            port=int(settings.get("port") or 0),
            database=settings.get("database") or "",
            username=settings.get("username") or "",
            password=secrets.get("password", ""),
            options=dict(settings.get("options") or {}),
            settings=dict(settings),
            secrets=dict(secrets),
            **limits,
        )

    # --- the session ----------------------------------------------------------------

    @abc.abstractmethod
    def connect(self) -> None:
        """Open a read-only session with connect, statement and lock timeouts."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def _run(self, sql: str, args: Any) -> list[tuple]:
        """Execute one statement on the live session and fetch its rows;
        raises driver errors (self.driver_errors)."""
        raise NotImplementedError

    def _is_lost(self, exc: BaseException) -> bool:
        """Whether the session is gone (reconnect and retry) rather than the statement failing."""
        return False

    def _retry_lost(self, exc: BaseException) -> bool:
        """Whether a lost session may be retried (not when the target did not answer in time)."""
        return True

    def _query_error(self, exc: BaseException, what: str) -> TargetError:
        return TargetError(f"reading the catalog failed while {what}: {exc}")

    def _lost_error(self, exc: BaseException, what: str) -> TargetError:
        return self._query_error(exc, what)

    def _end_statement(self) -> None:
        """After a failed statement: leave the session usable (e.g. roll back)."""
        return None

    def _dbapi_connection(self) -> Any:
        """The open DB-API connection, for `sever`; None when there is none."""
        return None

    def _where(self) -> str:
        """The target as messages name it."""
        return f"{self.params.host}:{self.params.port}"

    @contextlib.contextmanager
    def _bounded(self, what: str) -> Iterator[None]:
        """Bound one wait on the target on this side: past params.read_timeout
        the connection is cut (`sever`), so a server that accepted the login
        and went silent (or a network that drops packets without a reset)
        cannot hold the task, and its worker slot, for ever."""
        bound = float(self.params.read_timeout or 0)
        if bound <= 0:
            yield
            return
        fired = threading.Event()

        def fire() -> None:
            fired.set()
            sever(self._dbapi_connection())

        timer = threading.Timer(bound, fire)
        timer.daemon = True
        timer.start()
        try:
            yield
        except Exception:
            if not fired.is_set():
                raise
        finally:
            timer.cancel()
        if fired.is_set():  # cut: the session is unusable, whatever the call returned
            self.close()
            raise TargetStalled(
                f"the server at {self._where()} stopped answering: no reply within {secs(bound)} s while {what}"
            )

    def _query(self, sql: str, args: Any = None, what: str = "reading the catalog") -> list[tuple]:
        """Run one query and fetch all rows; the one place SQL is executed.

        Raises TargetError subclasses only, with every secret scrubbed. A lost
        session is reconnected once (which tells a dropped database apart from
        a network problem) and the query retried once.
        """
        return self._attempt(lambda: self._run(sql, args), what)

    def _attempt(self, call: Callable[[], T], what: str) -> T:
        """`call` (which talks to the target) under _query's rules."""
        for attempt in (1, 2):
            try:
                with self._bounded(what):
                    return call()
            except self.driver_errors as exc:
                if not self._is_lost(exc):
                    self._end_statement()
                    raise scrubbed(self._query_error(exc, what), self.params) from None
                self.close()
                if attempt == 2 or not self._retry_lost(exc):
                    raise scrubbed(self._lost_error(exc, what), self.params) from None
                self.connect()  # raises TargetDatabaseMissing etc. if the target is gone
        raise AssertionError("unreachable")

    def ping(self) -> None:
        """One trivial query: the server answers queries, not just logins."""
        self._query("SELECT 1", what="testing the connection")
        self._end_statement()

    # --- the interface ----------------------------------------------------------------

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

    # Database objects other than tables, each listed by one query at plan
    # time. An engine without them (or that cannot read them) keeps these.

    def list_sequences(self) -> list[SequenceDef]:
        return []

    def list_triggers(self) -> list[Trigger]:
        return []

    def list_routines(self) -> list[Routine]:
        return []

    def activity(self, tables: list[TableRef]) -> dict[tuple[str, str], TableActivity]:
        """One query: usage statistics of these tables, keyed by (schema, name).
        Read every crawl for every table (data freshness, not definition);
        empty for an engine that keeps none."""
        return {}
