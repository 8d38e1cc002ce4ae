"""The crawl's write path without Celery or a target: stage_batch, apply_crawl
and table_changes against the real catalog, with hand-made table documents."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from catalog.apply import apply_crawl
from catalog.diff import table_changes
from catalog.jobs import create_job, start_job, succeed_job
from catalog.models import CatalogTable, ChangeEvent, Source, User
from catalog.staging import known_tables, stage_batch, unchanged_by_signature
from catalog.teams import create_personal_team


def doc(name: str, *columns: str, comment: str | None = None, kind: str = "table") -> dict:
    return {
        "schema": "s",
        "name": name,
        "kind": kind,
        "comment": comment,
        "row_estimate": 10,
        "size_bytes": 8192,
        "columns": [
            {"name": c, "ordinal": i, "type": "integer", "nullable": True, "default": None, "comment": None}
            for i, c in enumerate(columns, 1)
        ],
        "primary_key": None,
        "foreign_keys": [],
        "indexes": [],
        "constraints": [],
    }


@pytest.fixture
def session(catalog_url):
    engine = create_engine(catalog_url, poolclass=NullPool)
    with Session(engine) as s:
        yield s
    engine.dispose()


@pytest.fixture
def source_id(session):
    user = User(email="writer@example.com", password_hash="-")
    session.add(user)
    session.flush()
    source = Source(
        team_id=create_personal_team(session, user).id,
        user_id=user.id,
        name="s",
        engine="postgresql",
        settings={"host": "h", "port": 5432, "database": "d", "username": "u", "options": {}},
        secrets={"password": "x"},
    )
    session.add(source)
    session.commit()
    return source.id


def crawl(session, source_id: int, docs: list[dict], by_signature: dict | None = None) -> tuple[int, dict]:
    """One crawl of `docs` in a single batch, staged and applied as finish would."""
    job, _ = create_job(session, source_id, "api")
    assert start_job(session, job.id) is not None
    keys = [(d["schema"], d["name"]) for d in docs] + list(by_signature or {})
    known = known_tables(session, source_id, keys)
    staged = stage_batch(session, job.id, 1, known, by_signature or {}, [(d, None) for d in docs])
    result = apply_crawl(session, job.id, source_id, [{"schema": "s", "name": "mood", "values": ["ok"]}])
    succeed_job(session, job.id, source_id, result["stats"], result["now"], result["changed"])
    session.commit()
    return job.id, {**result, "staged": staged}


def test_stage_batch_allocates_ids_and_stages_only_what_changed(session, source_id):
    job, _ = create_job(session, source_id, "api")
    staged = stage_batch(session, job.id, 1, {}, {}, [(doc("a", "x", "y"), "sig-a"), (doc("b", "x"), None)])
    assert staged == {"seen": 0, "staged": 2}
    rows = session.execute(
        text("SELECT name, is_new, table_id, signature FROM crawl_staged_tables WHERE job_id = :j ORDER BY name"),
        {"j": job.id},
    ).all()
    assert [(r.name, r.is_new, r.signature) for r in rows] == [("a", True, "sig-a"), ("b", True, None)]
    assert len({r.table_id for r in rows}) == 2  # ids from catalog_tables' own sequence
    columns = session.execute(
        text("SELECT count(*) FROM crawl_staged_columns WHERE job_id = :j"), {"j": job.id}
    ).scalar()
    assert columns == 3
    assert session.scalar(select(CatalogTable.id)) is None  # staging only: the catalog is untouched
    session.rollback()


def test_first_crawl_applies_one_baseline(session, source_id):
    job, result = crawl(session, source_id, [doc("a", "x", "Customer_Email"), doc("b", "x")])
    assert result["stats"] == {"added": 2, "changed": 0, "removed": 0, "unchanged": 0, "with_warnings": 0}
    assert result["changed"] is True
    assert session.scalars(select(CatalogTable.name).order_by(CatalogTable.name)).all() == ["a", "b"]
    events = session.execute(select(ChangeEvent.event, ChangeEvent.details)).all()
    assert events == [("source_crawled", {"tables": 2})]
    names = session.execute(text("SELECT name FROM catalog_column_names ORDER BY name")).scalars().all()
    assert names == ["customer_email", "x"]
    assert session.execute(text('SELECT name, "values" FROM catalog_enums')).all() == [("mood", ["ok"])]


def test_recrawl_records_added_changed_removed_and_unchanged(session, source_id):
    crawl(session, source_id, [doc("same", "x"), doc("grows", "x"), doc("goes", "x"), doc("by_sig", "x")])
    sig = {("s", "by_sig"): ("sig-1", 99, 16384)}
    known = known_tables(session, source_id, list(sig))
    assert unchanged_by_signature(known, sig) == {}  # nothing stored yet to compare with
    job, result = crawl(session, source_id, [doc("same", "x"), doc("grows", "x", "y"), doc("new", "x")])
    assert result["stats"] == {"added": 1, "changed": 1, "removed": 2, "unchanged": 1, "with_warnings": 0}
    assert result["staged"] == {"seen": 1, "staged": 2}
    events = {
        name: (event, details)
        for name, event, details in session.execute(
            select(ChangeEvent.table_name, ChangeEvent.event, ChangeEvent.details).where(ChangeEvent.crawl_id == job)
        )
    }
    assert events["new"] == ("table_added", None)
    assert events["grows"] == ("table_changed", {"columns_added": ["y"]})
    assert events["goes"][0] == events["by_sig"][0] == "table_removed"
    live = session.scalars(
        select(CatalogTable.name).where(CatalogTable.removed_at.is_(None)).order_by(CatalogTable.name)
    ).all()
    assert live == ["grows", "new", "same"]
    # nothing is written for a table only confirmed by its signature
    session.execute(text("UPDATE catalog_tables SET signature = 'sig-1' WHERE name = 'same'"))
    known = known_tables(session, source_id, [("s", "same")])
    assert unchanged_by_signature(known, {("s", "same"): ("sig-1", 5, 1)}) == {("s", "same"): ("sig-1", 5, 1)}
    assert unchanged_by_signature(known, {("s", "same"): ("sig-2", 5, 1)}) == {}


def test_a_removed_table_that_comes_back_counts_as_added(session, source_id):
    crawl(session, source_id, [doc("a", "x"), doc("b", "x")])
    crawl(session, source_id, [doc("a", "x")])
    job, result = crawl(session, source_id, [doc("a", "x"), doc("b", "x")])
    assert result["stats"] == {"added": 1, "changed": 0, "removed": 0, "unchanged": 1, "with_warnings": 0}
    back = session.execute(
        select(CatalogTable.removed_at, CatalogTable.first_seen_crawl_id).where(CatalogTable.name == "b")
    ).one()
    assert back == (None, job)


def test_table_changes():
    old = doc("t", "a", "b")
    new = doc("t", "a", "c", comment="now commented")
    new["columns"][0]["type"] = "bigint"
    new["indexes"] = [{"name": "t_a_idx", "columns": ["a"], "unique": False, "definition": "..."}]
    assert table_changes(old, new) == {
        "comment": {"from": None, "to": "now commented"},
        "columns_added": ["c"],
        "columns_removed": ["b"],
        "columns_altered": [{"name": "a", "changes": {"type": {"from": "integer", "to": "bigint"}}}],
        "indexes_added": ["t_a_idx"],
    }
    assert table_changes(old, doc("t", "a", "b")) == {}
    assert table_changes(old, doc("t", "a", "b", kind="view")) == {"kind": {"from": "table", "to": "view"}}


def fk(name: str, to: str, columns=("x",), **extra) -> dict:
    return {
        "name": name,
        "columns": list(columns),
        "referenced_schema": "s",
        "referenced_table": to,
        "referenced_columns": ["x"] * len(columns),
        "on_update": "NO ACTION",
        "on_delete": "CASCADE",
        **extra,
    }


def edges(session, source_id: int) -> list[tuple]:
    return [
        tuple(r)
        for r in session.execute(
            text(
                "SELECT t.name, f.ordinal, f.name, f.referenced_table, f.on_delete, f.validated "
                "FROM catalog_foreign_keys f JOIN catalog_tables t ON t.id = f.table_id "
                "WHERE f.source_id = :sid ORDER BY t.name, f.ordinal"
            ),
            {"sid": source_id},
        )
    ]


def test_foreign_key_edges_follow_added_changed_and_removed_tables(session, source_id):
    from catalog.reads import referenced_by

    a, b, c = doc("a", "x"), doc("b", "x"), doc("c", "x")
    b["foreign_keys"] = [fk("b_a", "a")]
    c["foreign_keys"] = [fk("c_a", "a", validated=False), fk("c_b", "b")]
    crawl(session, source_id, [a, b, c])
    assert edges(session, source_id) == [
        ("b", 1, "b_a", "a", "CASCADE", None),
        ("c", 1, "c_a", "a", "CASCADE", False),
        ("c", 2, "c_b", "b", "CASCADE", None),
    ]
    refs = referenced_by(session, source_id, [("s", "a"), ("s", "c")])
    assert [(k["table"], k["name"]) for k in refs[("s", "a")]] == [("b", "b_a"), ("c", "c_a")]
    assert refs[("s", "c")] == []

    # c loses a key, b goes, a is untouched: only c's and b's edges are rewritten
    c2 = doc("c", "x")
    c2["foreign_keys"] = [fk("c_b", "b")]
    crawl(session, source_id, [a, c2])
    assert edges(session, source_id) == [("c", 1, "c_b", "b", "CASCADE", None)]
    # b comes back (a removed table's keys return with it)
    crawl(session, source_id, [a, b, c2])
    assert edges(session, source_id) == [("b", 1, "b_a", "a", "CASCADE", None), ("c", 1, "c_b", "b", "CASCADE", None)]


def test_an_upgrade_that_only_adds_reported_fields_is_no_change_event(session, source_id):
    """A definition stored by an older metacrawl (its keys without
    `validated`...) rewritten with the new fields: the table counts as changed
    once (its fingerprint moved) but no change event claims the database changed;
    a real change at the same time still has its event."""
    a, b = doc("a", "x"), doc("b", "x")
    a["foreign_keys"] = [fk("a_b", "b")]
    b["foreign_keys"] = [fk("b_b", "b")]
    crawl(session, source_id, [a, b])
    new_fields = {"definition": "FOREIGN KEY (x) REFERENCES s.b(x)", "validated": True, "deferrable": False}
    a2, b2 = doc("a", "x"), doc("b", "x", "y")
    a2["foreign_keys"] = [fk("a_b", "b", **new_fields)]
    b2["foreign_keys"] = [fk("b_b", "b", **new_fields)]
    job, result = crawl(session, source_id, [a2, b2])
    assert result["stats"] == {"added": 0, "changed": 2, "removed": 0, "unchanged": 0, "with_warnings": 0}
    events = session.execute(
        select(ChangeEvent.table_name, ChangeEvent.details).where(ChangeEvent.crawl_id == job)
    ).all()
    assert events == [("b", {"columns_added": ["y"]})]  # not foreign_keys_added/removed
    assert edges(session, source_id)[0] == ("a", 1, "a_b", "b", "CASCADE", True)
    # once stored, a change of a new field is a change
    a3 = doc("a", "x")
    a3["foreign_keys"] = [fk("a_b", "b", **{**new_fields, "validated": False})]
    job, _ = crawl(session, source_id, [a3, b2])
    events = session.execute(
        select(ChangeEvent.table_name, ChangeEvent.details).where(ChangeEvent.crawl_id == job)
    ).all()
    assert events == [("a", {"foreign_keys_added": ["a_b"], "foreign_keys_removed": ["a_b"]})]


def test_only_fields_added():
    from catalog.diff import only_fields_added

    assert only_fields_added({"a": [{"x": 1}]}, {"a": [{"x": 1, "y": 2}]})
    assert not only_fields_added({"a": [{"x": 1}]}, {"a": [{"x": 2, "y": 2}]})
    assert not only_fields_added({"a": [{"x": 1}]}, {"a": [{"x": 1}, {"x": 1}]})
    assert not only_fields_added({"a": None}, {"a": {"x": 1}})
