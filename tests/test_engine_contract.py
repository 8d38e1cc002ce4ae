"""The one contract every registered engine keeps about its session, run
against a real target of each (tests/engine_targets.py): listing, bounded
statements, timeouts, reconnecting, read-only sessions, typed errors and
secrets. What describe() returns is the reflection suite's
(tests/test_reflection.py). Engine-specific behaviour stays in
tests/introspect/.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engines import ENGINES
from engines.base import TableRef, TargetError, TargetTimeout, TargetUnreachable
from tests.engine_targets import FACTORIES, SECRET


@pytest.fixture(params=sorted(FACTORIES))
def target(request, tmp_path):
    with FACTORIES[request.param](tmp_path) as t:
        yield t


def test_every_engine_has_a_target():
    """Adding an engine to the registry without a target here fails the suite."""
    covered = {name.split("-")[0] for name in FACTORIES} | {"mysql"}  # mysql and mariadb: one class
    assert set(ENGINES) <= covered
    assert ENGINES["mysql"] is ENGINES["mariadb"]


def names(n: int, prefix: str = "t") -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


# --- the contract --------------------------------------------------------------------------


def test_streaming_listing(target):
    target.create_tables(names(10))
    with target.intro() as intro:
        refs = intro.list_tables()
        chunks = list(intro.stream_tables(3))
    assert [r.name for r in refs] == names(10)
    assert all(r.schema == target.schema and r.kind == "table" for r in refs)
    assert [r for c in chunks for r in c] == refs
    assert [len(c) for c in chunks] == [3, 3, 3, 1]


def test_table_dropped_between_listing_and_describing(target):
    target.create_tables(["a", "b", "c"])
    with target.intro() as intro:
        refs = intro.list_tables()
        target.execute('DROP TABLE "b"' if target.engine != "mariadb" else "DROP TABLE `b`")
        tables = intro.describe(refs)
        assert [t.name for t in tables] == ["a", "c"]
        assert intro.describe([]) == []
        assert intro.describe([TableRef(target.schema, "never_there", "table")]) == []


def test_bounded_statements_per_batch(target):
    target.create_tables(names(60))
    with target.intro() as intro:
        refs = intro.list_tables()
        with target.count_statements(intro) as counted:
            tables = intro.describe(refs)
    assert len(tables) == 60
    assert counted[0] <= target.max_statements(60), counted


def test_objects_other_than_tables_are_lists(target):
    """Sequences, triggers and routines: every engine answers lists (the base
    class's [] where it reads none), each listing one statement per kind."""
    target.create_tables(["a"])
    with target.intro() as intro, target.count_statements(intro) as counted:
        found = [intro.list_sequences(), intro.list_triggers(), intro.list_routines()]
    assert all(isinstance(f, list) for f in found)
    if target.engine in ("sqlite", "sqlalchemy"):
        assert found == [[], [], []]
    assert counted[0] <= 4, counted  # MariaDB: one more to read its sequences' attributes, when it has some


def test_activity_is_one_statement_and_keyed_by_table(target):
    """Usage statistics: one statement per batch whatever its size, keyed by
    (schema, name) of tables of the batch only, each with when it was read
    (an engine that keeps none answers {})."""
    target.create_tables(names(30))
    with target.intro() as intro:
        refs = intro.list_tables()
        with target.count_statements(intro) as counted:
            found = intro.activity(refs)
        assert intro.activity([]) == {}
    assert set(found) <= {(r.schema, r.name) for r in refs}
    assert all(a.read_at.tzinfo is not None for a in found.values())
    assert counted[0] <= 1, counted
    if target.engine in ("postgres", "mariadb"):
        assert len(found) == 30


def test_read_only_session(target):
    with target.intro() as intro:
        with pytest.raises(TargetError):
            intro._query(target.write_sql)
        assert [r.name for r in intro.list_tables()] == []  # nothing was created, and the session still works


def test_connect_timeout(target):
    with target.unreachable() as params, pytest.raises(TargetUnreachable) as info:
        ENGINES[target.engine](params).connect()
    assert f"timeout after {params.connect_timeout:g} s" in str(info.value)


def test_statement_timeout(target):
    target.create_tables(["a"])
    with target.intro(statement_timeout=0.5) as intro:
        with pytest.raises(TargetTimeout, match="statement timeout after 0.5 s"):
            intro._query(target.slow_sql, what="listing tables")
        assert [r.name for r in intro.list_tables()] == ["a"]  # the session survives


def test_reconnect_after_a_lost_session(target):
    target.create_tables(["a", "b"])
    with target.intro() as intro:
        refs = intro.list_tables()
        target.lose_session(intro)
        assert [t.name for t in intro.describe(refs)] == ["a", "b"]  # reconnected once, carried on


def test_secrets_never_in_an_error(target):
    cls = ENGINES[target.engine]
    if not cls.secret_fields():
        pytest.skip(f"{target.engine} has no secret settings")
    errors = []
    # the secret as one of the source's secrets (the session itself logs in as the target allows)
    params = replace(target.params, secrets={**target.params.secrets, "password": SECRET})
    with ENGINES[target.engine](params) as intro:
        for sql in (f'SELECT * FROM "{SECRET}"', f"SELECT * FROM `{SECRET}`", f"SELECT '{SECRET}' FROM nothing_here"):
            with pytest.raises(TargetError) as info:
                intro._query(sql)
            errors.append(info.value)
    if target.engine in ("postgresql", "mariadb"):
        with pytest.raises(TargetError) as info:
            ENGINES[target.engine](replace(params, username="mc_nobody_contract", password=SECRET)).connect()
        errors.append(info.value)
    for e in errors:
        assert SECRET not in str(e) and SECRET not in repr(e.args) and SECRET not in e.message


def test_typed_errors_only(target):
    """Every failure is a TargetError with no driver exception attached."""
    failures = []
    with target.intro() as intro:
        for sql in ("SELECT * FROM no_such_table_anywhere", "THIS IS NOT SQL"):
            with pytest.raises(TargetError) as info:
                intro._query(sql)
            failures.append(info.value)
        intro.close()
        assert intro.list_tables() == []  # a closed introspector reconnects lazily
        intro.close()
        intro.close()  # closing twice is fine
    for e in failures:
        assert isinstance(e, TargetError) and e.__cause__ is None and e.__suppress_context__


def test_settings_schema_marks_secrets_write_only(target):
    cls = ENGINES[target.engine]
    for name in cls.secret_fields():
        assert cls.settings_schema._declared_fields[name].load_only, name
    dumped = cls.settings_schema().dump({**target.params.settings, "password": SECRET})
    assert SECRET not in str(dumped)
