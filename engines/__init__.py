"""One introspector per engine, registered here: the one registry the API
(validation, OpenAPI) and the worker both read. Adding an engine is a
module with an Introspector subclass and one line below."""

from .base import ConnectionParams, Introspector, TargetError  # noqa: F401
from .generic import GenericIntrospector
from .mysql import MySQLIntrospector
from .postgres import PostgresIntrospector
from .sqlite import SQLiteIntrospector

ENGINES: dict[str, type[Introspector]] = {
    "postgresql": PostgresIntrospector,
    "mysql": MySQLIntrospector,
    "mariadb": MySQLIntrospector,
    "sqlite": SQLiteIntrospector,
    "sqlalchemy": GenericIntrospector,
}
