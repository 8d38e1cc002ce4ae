"""Engine and session setup for the catalog database.

Nothing connects at import time: the web app and the worker each call
`configure()` once per process with their settings.
"""

from __future__ import annotations

from contextlib import contextmanager

import psycopg2
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import scoped_session, sessionmaker

Session = scoped_session(sessionmaker(expire_on_commit=False))
_engine: Engine | None = None


def configure(url: str, **engine_kw) -> Engine:
    global _engine
    if _engine is not None:
        _engine.dispose()
    engine_kw.setdefault("pool_pre_ping", True)
    engine_kw.setdefault("pool_size", 5)
    _engine = create_engine(url, **engine_kw)
    Session.remove()
    Session.configure(bind=_engine)
    return _engine


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("catalog.db.configure() has not been called in this process")
    return _engine


@contextmanager
def transaction():
    """A session in a transaction that commits on success and rolls back on error."""
    session = Session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


# Deadlock, serialization failure; administrator/crash shutdown, cannot connect now.
TRANSIENT_PGCODES = frozenset({"40P01", "40001", "57P01", "57P02", "57P03"})


def is_transient(exc: BaseException) -> bool:
    """Is this a catalog error that running the same work again may not meet:
    a deadlock, a serialization failure, or a lost connection (SQLAlchemy's
    connection_invalidated, connection exceptions of class 08, a server shut
    down under us, or a psycopg2 error with no server answer at all)?"""
    error: BaseException | None = exc
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        error = exc.orig
    if not isinstance(error, psycopg2.OperationalError | psycopg2.InterfaceError):
        return False
    code = getattr(error, "pgcode", None)
    if code is None:  # the server never answered: the connection is gone
        return True
    return code in TRANSIENT_PGCODES or code.startswith("08")
