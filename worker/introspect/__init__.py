"""One introspector per engine, registered here."""

from .base import ConnectionParams, Introspector, TargetError  # noqa: F401
from .mysql import MySQLIntrospector
from .postgres import PostgresIntrospector

INTROSPECTORS: dict[str, type[Introspector]] = {
    "postgresql": PostgresIntrospector,
    "mysql": MySQLIntrospector,
    "mariadb": MySQLIntrospector,
}
