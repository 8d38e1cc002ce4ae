"""The one small interface every engine implements.

An introspector connects to a target database, lists its tables in one cheap
query, and describes a batch of tables with a handful of bulk queries (never
one query per table). It returns plain dataclasses (engines/records.py),
raises typed errors (engines/errors.py) and knows nothing about the catalog.
Its settings are a marshmallow schema (engines/settings.py).

Every name other modules import from here stays importable from here.
"""

from __future__ import annotations

import abc
import contextlib
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple, TypeVar

import marshmallow as ma

from .errors import (  # noqa: F401  (re-exported: engines.base is where other modules import them from)
    TargetAddressRefused,
    TargetAuthFailed,
    TargetDatabaseMissing,
    TargetDatabaseNotVisible,
    TargetError,
    TargetSettingsRefused,
    TargetStalled,
    TargetTimeout,
    TargetUnreachable,
    local_file_refused,
    scrub,
    scrubbed,
)
from .records import (  # noqa: F401  (re-exported)
    ROW_ESTIMATE_SOURCES,
    USAGE_KINDS,
    Activities,
    Column,
    ColumnStatistics,
    ConnectionParams,
    Constraint,
    EnumType,
    ForeignKey,
    Index,
    IndexActivity,
    IndexPart,
    PrimaryKey,
    Routine,
    SequenceDef,
    StatementStat,
    Table,
    TableActivity,
    TableRef,
    TableSignature,
    TopStatements,
    Trigger,
    VisibilityWarning,
    index_part,
)
from .schema_objects import SchemaObject
from .settings import (  # noqa: F401  (re-exported)
    SSLMODES,
    SchemaFilterOptions,
    ServerOptions,
    ServerSettings,
    secret,
)


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


class Target(NamedTuple):
    """Where a connection goes: what the network policy and the catalog rule check."""

    host: str
    port: int
    database: str | None


# What describe() can report, by name. Each Introspector lists those it
# reports (`capabilities`); what it leaves out is what its engine cannot
# express, or what this module does not read yet. tests/test_reflection.py
# compares every engine's records with one expected description and skips,
# saying so, exactly the comparisons an engine's list leaves out.
CAPABILITIES: dict[str, str] = {
    "views": "views listed and described with their columns",
    "comments": "table and column comments",
    "identity_columns": "identity and auto-increment columns flagged (Column.identity)",
    "generated_columns": "generated columns told apart from defaults (Column.generated)",
    "generation_expressions": "a generated column's expression as text",
    "primary_key_names": "the primary key's name as declared",
    "constraint_names": "foreign key, unique and check constraint names as declared",
    "fk_actions": "ON DELETE and ON UPDATE of foreign keys",
    "check_constraints": "check constraints",
    "check_columns": "the columns a check constraint reads",
    "index_expressions": "expression key parts of indexes, with their text",
    "descending_index_parts": "Index.parts with each key part's direction",
    "index_prefixes": "prefix lengths of key parts (Index.parts)",
    "partial_indexes": "the predicate of a partial index",
}


class Introspector(abc.ABC):
    """One engine: its settings schema, how it connects, lists, signs and
    describes tables. Use as a context manager: `with Engine(params) as i:
    i.describe(refs)`. Every public method raises TargetError subclasses only.

    Adding an engine is one module with a subclass of this (its
    `capabilities` listed) and one line in the registry
    (engines/__init__.py); a target of it in tests/engine_helpers.py then
    runs the contract suite (tests/test_engine_contract.py) and the
    reflection suite (tests/test_reflection.py) against it.
    """

    #: what the engine is called in messages and the API documentation
    title: ClassVar[str] = "database"
    #: its connection settings (marshmallow); secret fields carry metadata secret=True
    settings_schema: ClassVar[type[ma.Schema]] = ServerSettings
    #: driver exceptions that _run may raise (translated by _query_error)
    driver_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    #: reads only database files on this server: off while the operator names no directory (METACRAWL_SQLITE_DIRS)
    files_only: ClassVar[bool] = False
    #: what describe() reports (names of CAPABILITIES); the rest it cannot
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: ConnectionParams):
        self.params = params
        # What this account could not see, noted by any read (warn) and by
        # check_visibility; the crawl's steps copy it onto the job.
        self.warnings: list[VisibilityWarning] = []

    def warn(self, kind: str, privilege: str, message: str) -> None:
        """Note that the account lacks `privilege` to see `kind` (once per
        kind and privilege). A read that finds nothing because it may not
        look calls this instead of answering an empty list alone."""
        if not any(w.kind == kind and w.privilege == privilege for w in self.warnings):
            self.warnings.append(VisibilityWarning(kind, privilege, message))

    def check_visibility(self) -> None:
        """At plan time: warn() for each kind of object this account lacks
        the privilege to see (routines, triggers...), found cheaply from its
        own grants. An engine without such limits keeps this."""
        return None

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
    def capabilities_for(cls, settings: Mapping[str, Any]) -> frozenset[str]:
        """What describe() reports for a source with these settings: the
        class's list, narrowed by an engine that reaches several databases
        (the sqlalchemy engine, by dialect)."""
        return cls.capabilities

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
    def _bounded(
        self, what: str, bound: float | None = None, connection: Callable[[], Any] | None = None
    ) -> Iterator[None]:
        """Bound one wait on the target on this side: past `bound` seconds
        (default params.read_timeout) the connection (default: the open one;
        during a login, the one being opened) is cut with `sever`, so a server
        that went silent, or trickles a byte at a time, or a network that drops
        packets without a reset, cannot hold the task and its worker slot."""
        bound = float(self.params.read_timeout or 0) if bound is None else bound
        if bound <= 0:
            yield
            return
        cut = threading.Event()
        done = threading.Lock()  # held by whichever comes first: the call's end or the cut

        def fire() -> None:
            if done.acquire(blocking=False):  # the call has not ended: cut it
                cut.set()
                sever((connection or self._dbapi_connection)())

        timer = threading.Timer(bound, fire)
        timer.daemon = True
        timer.start()
        try:
            yield
        except Exception:
            if not cut.is_set():
                raise
        finally:
            # once the call has ended the timer may no longer cut; if it
            # already holds the lock, the cut has happened (or is happening)
            ended_first = done.acquire(blocking=False)
            timer.cancel()
        if not ended_first:
            timer.join()
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

    def list_schema_objects(self) -> list[SchemaObject]:
        """Extensions, domains, collations, text-search configurations and
        schemas (engines/schema_objects.py): PostgreSQL's."""
        return []

    def activity(self, tables: list[TableRef]) -> dict[tuple[str, str], TableActivity]:
        """One query: usage statistics of these tables, keyed by (schema, name).
        Read every crawl for every table (data freshness, not definition);
        empty for an engine that keeps none. An engine that knows which kinds
        of usage it could not read answers an `Activities` naming them."""
        return {}

    def top_statements(self, limit: int) -> TopStatements | None:
        """One query at plan time: the `limit` statements with the most total
        time, with the tables each names. None for an engine that keeps no
        statement statistics."""
        return None

    def statistics(
        self, tables: list[TableRef], values: bool = False, withheld: frozenset[tuple[str, str, str]] = frozenset()
    ) -> dict[tuple[str, str], list[ColumnStatistics]]:
        """One query: the planner's statistics of these tables' columns, keyed
        by (schema, name); read every crawl like activity(). The value lists
        (real data) only with `values`, and never for a `withheld` (schema,
        table, column); without `values` the query must not read them at
        all. Empty for an engine that keeps none or when the account cannot
        read them (no statistics, not an error)."""
        return {}
