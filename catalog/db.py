"""Engine and session setup for the catalog database.

Nothing connects at import time: the web app and the worker each call
`configure()` once per process with their settings.
"""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
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
