"""A recrawl lints only the tables it added or changed (and reruns the rules
across tables): what the API shows afterwards must be exactly what a whole
recompute finds, for fixed findings, new ones, dropped tables and a change
to a referenced table that settles a finding of an unchanged one; and the
inferred keys of an unchanged table towards a new and a dropped one."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from catalog import insights

from .conftest import wait_for_crawl
from .crawl_helpers import crawl_now, pg_source, wait_for_insights
from .insight_helpers import BAD_PG, all_findings, by_rule
from .targets import pg_database, pg_execute

# orders stays unchanged: its candidates towards a new and a dropped table must follow
EXTRA = """
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, gadget_id bigint, note text);
CREATE TABLE gadgets (id bigint PRIMARY KEY, note integer);
"""

CHANGES = """
CREATE TABLE customers (id bigint PRIMARY KEY);
DROP TABLE gadgets;
ALTER TABLE nopk ADD PRIMARY KEY (a);
DROP TABLE wide;
ALTER TABLE child ADD COLUMN extra json;
DROP INDEX child_a_again;
ALTER TABLE parent ALTER COLUMN id TYPE integer;
CREATE TABLE other (id bigint PRIMARY KEY, code bigint);
"""


def _shown(user, source_id) -> set[tuple]:
    return {(f["rule"], f["object"], f["message"], f["fix"]) for f in all_findings(user, source_id)}


def _inferred(user, source_id) -> set[tuple]:
    body = user.get(f"/api/v1/sources/{source_id}/inferred-keys?limit=1000").get_json()
    return {
        (k["table"], k["column"], k["referenced_table"], k["referenced_column"], k["score"], k["reason"])
        for k in body["inferred_keys"]
    }


def test_a_recrawl_relints_what_changed_and_matches_a_whole_run(alice, worker, catalog_url):
    with pg_database("mc_lint_inc") as target:
        pg_execute(target, BAD_PG + EXTRA)
        source = pg_source(alice, target)
        sid = source["id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        wait_for_insights(alice, sid, source["crawl"]["id"])
        before = by_rule(all_findings(alice, sid))
        assert "public.nopk" in before["no_primary_key"] and "public.wide" in before["too_many_columns"]
        assert "public.child.child_a_again" in before["duplicate_index"]
        assert "public.child.parent_id" in before["fk_type_mismatch"]
        assert {(k[0], k[1], k[2]) for k in _inferred(alice, sid)} == {("orders", "gadget_id", "gadgets")}
        assert "note" in before["column_type_inconsistent"]

        pg_execute(target, CHANGES)
        second = crawl_now(alice, sid)
        assert second["state"] == "succeeded"
        wait_for_insights(alice, sid, second["id"])
        after = by_rule(all_findings(alice, sid))
        assert "public.nopk" not in after.get("no_primary_key", set())
        assert "public.wide" not in after.get("too_many_columns", set())
        assert "public.child.child_a_again" not in after.get("duplicate_index", set())
        assert "public.child.extra" in after["json_not_jsonb"]
        # child did not change; parent's key type did, and the mismatch is gone
        assert "public.child.parent_id" not in after.get("fk_type_mismatch", set())
        # gadgets (dropped) held the other type of `note`: the name is consistent again
        assert "note" not in after["column_type_inconsistent"]
        codes = [f for f in all_findings(alice, sid, "&rule=column_type_inconsistent") if f["object"] == "code"]
        assert "3 types" in codes[0]["message"], codes
        incremental = _shown(alice, sid)
        inferred = _inferred(alice, sid)
        assert {(k[0], k[1], k[2]) for k in inferred} == {("orders", "customer_id", "customers")}

        engine = create_engine(catalog_url, poolclass=NullPool)
        with Session(engine) as session:
            insights.refresh(session, sid, second["id"], whole=True)
            session.commit()
        engine.dispose()
        assert _shown(alice, sid) == incremental
        assert _inferred(alice, sid) == inferred


# The rules across tables, recrawl by recrawl: each change below can move a
# finding of a table or column name the recrawl did not touch.
CROSS = """
CREATE TABLE a1 (id bigint PRIMARY KEY, v text, k text);
CREATE TABLE a2 (id bigint PRIMARY KEY, v text, k text);
CREATE TABLE b1 (id bigint PRIMARY KEY, w text);
CREATE TABLE b2 (id bigint PRIMARY KEY, w integer);
CREATE TABLE c1 (id bigint PRIMARY KEY, x text);
CREATE TABLE c2 (id bigint PRIMARY KEY, x integer);
CREATE TABLE d1 (id bigint PRIMARY KEY, y text);
CREATE TABLE d2 (id bigint PRIMARY KEY, y integer);
CREATE TABLE e1 (id bigint PRIMARY KEY, z text);
CREATE TABLE e2 (id bigint PRIMARY KEY, z integer);
CREATE TABLE e3 (id bigint PRIMARY KEY, z integer);
CREATE TABLE p (id bigint PRIMARY KEY);
CREATE TABLE q (id bigint PRIMARY KEY, p_id bigint CONSTRAINT q_p REFERENCES p (id));
CREATE TABLE r (id bigint PRIMARY KEY);
CREATE TABLE s (id bigint PRIMARY KEY, r_id bigint REFERENCES r (id));
CREATE TABLE u (id bigint PRIMARY KEY);
"""

RECRAWLS = [
    # (a) inconsistencies appear: a type changes, a new table brings another type
    (
        "ALTER TABLE a2 ALTER COLUMN v TYPE varchar(10); CREATE TABLE a3 (id bigint PRIMARY KEY, k integer);",
        {"v", "k"},
        set(),
    ),
    # (b) one goes by a type change; another's message changes (a type loses a table)
    ("ALTER TABLE b2 ALTER COLUMN w TYPE text; ALTER TABLE e3 ALTER COLUMN z TYPE text;", set(), {"w"}),
    # (c) by dropping the column, by removing the table
    ("ALTER TABLE c2 DROP COLUMN x; DROP TABLE d2;", set(), {"x", "y"}),
    # (d) p loses its only incoming key (q, changed), r its only referencing
    # table (s, removed); u gains one from a new table
    (
        "ALTER TABLE q DROP CONSTRAINT q_p; DROP TABLE s; CREATE TABLE w (id bigint PRIMARY KEY, "
        "u_id bigint REFERENCES u (id));",
        set(),
        set(),
    ),
]


def _recrawl_then_whole(user, sid, catalog_url) -> dict[str, set[str]]:
    """Recrawl, wait for its incremental refresh, and check that a whole
    recompute of the same catalog shows exactly the same findings."""
    crawl = crawl_now(user, sid)
    assert crawl["state"] == "succeeded"
    wait_for_insights(user, sid, crawl["id"])
    incremental = _shown(user, sid)
    _whole(catalog_url, sid, crawl["id"])
    assert _shown(user, sid) == incremental
    return by_rule(all_findings(user, sid))


def _whole(catalog_url, sid, crawl_id):
    engine = create_engine(catalog_url, poolclass=NullPool)
    with Session(engine) as session:
        insights.refresh(session, sid, crawl_id, whole=True)
        session.commit()
    engine.dispose()


def test_recrawls_move_the_rules_across_tables_as_a_whole_run_would(alice, worker, catalog_url):
    with pg_database("mc_lint_cross") as target:
        pg_execute(target, CROSS)
        source = pg_source(alice, target)
        sid = source["id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        wait_for_insights(alice, sid, source["crawl"]["id"])
        found = by_rule(all_findings(alice, sid))
        assert found["column_type_inconsistent"] == {"w", "x", "y", "z"}
        assert found["no_relations"] >= {"public.u"}
        assert not found["no_relations"] & {"public.p", "public.q", "public.r", "public.s"}
        z = [f for f in all_findings(alice, sid, "&rule=column_type_inconsistent") if f["object"] == "z"]
        assert "integer (2 tables" in z[0]["message"], z

        for sql, appear, gone in RECRAWLS:
            before = found["column_type_inconsistent"]
            pg_execute(target, sql)
            found = _recrawl_then_whole(alice, sid, catalog_url)
            assert found["column_type_inconsistent"] == (before | appear) - gone, sql
        assert {"public.p", "public.q", "public.r"} <= found["no_relations"]
        assert not found["no_relations"] & {"public.u", "public.w"}
        z = [f for f in all_findings(alice, sid, "&rule=column_type_inconsistent") if f["object"] == "z"]
        assert "integer (1 table:" in z[0]["message"], z


def test_without_past_versions_the_rules_across_tables_run_over_the_whole_source(alice, worker, catalog_url):
    """A changed table without its past version (history from before
    versions were kept): nothing says which keys it had, so both rules
    across tables run over the whole source, and p, whose only incoming key
    went with q's change, is found."""
    with pg_database("mc_lint_nohist") as target:
        pg_execute(target, CROSS)
        source = pg_source(alice, target)
        sid, first = source["id"], source["crawl"]["id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        wait_for_insights(alice, sid, first)
        assert "public.p" not in by_rule(all_findings(alice, sid))["no_relations"]
        engine = create_engine(catalog_url, poolclass=NullPool)
        with Session(engine) as session:
            # q loses its key the way an apply writes it, but no past version is kept
            q = {"sid": sid, "crawl": first + 1}
            session.execute(
                text(
                    "DELETE FROM catalog_foreign_keys f USING catalog_tables t "
                    "WHERE t.id = f.table_id AND t.source_id = :sid AND t.name = 'q'"
                ),
                q,
            )
            session.execute(
                text(
                    "UPDATE catalog_tables SET changed_crawl_id = :crawl, "
                    "definition = jsonb_set(definition, '{foreign_keys}', '[]') WHERE source_id = :sid AND name = 'q'"
                ),
                q,
            )
            insights.refresh(session, sid, first + 1)
            session.commit()
        engine.dispose()
        incremental = _shown(alice, sid)
        assert {"public.p", "public.q"} <= by_rule(all_findings(alice, sid))["no_relations"]
        _whole(catalog_url, sid, first + 1)
        assert _shown(alice, sid) == incremental


def _mark(catalog_url, sid) -> int | None:
    engine = create_engine(catalog_url, poolclass=NullPool)
    with engine.connect() as conn:
        mark = conn.execute(text("SELECT crawl_id FROM catalog_insight_runs WHERE source_id = :s"), {"s": sid})
        value = mark.scalar()
    engine.dispose()
    return value


def test_a_late_refresh_is_marked_with_the_newest_crawl_it_saw(alice, worker, catalog_url):
    """A refresh queued by crawl A that runs only after crawl B was applied
    sees B's tables: it must be marked B, or a table B added and a later crawl
    drops would never be taken out of the findings across tables."""
    with pg_database("mc_lint_late") as target:
        pg_execute(target, "CREATE TABLE t1 (code text); CREATE TABLE t2 (code text);")
        source = pg_source(alice, target)
        sid, a = source["id"], source["crawl"]["id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        wait_for_insights(alice, sid, a)
        pg_execute(target, "CREATE TABLE t3 (code integer);")
        b = crawl_now(alice, sid)["id"]
        wait_for_insights(alice, sid, b)
        assert "code" in by_rule(all_findings(alice, sid))["column_type_inconsistent"]

        # as it stands when B's own refresh was lost and A's ran only now
        engine = create_engine(catalog_url, poolclass=NullPool)
        with Session(engine) as session:
            session.execute(
                text("UPDATE catalog_insight_runs SET crawl_id = :a WHERE source_id = :s"), {"a": a, "s": sid}
            )
            insights.refresh(session, sid, a)
            session.commit()
        engine.dispose()
        assert _mark(catalog_url, sid) == b

        pg_execute(target, "DROP TABLE t3;")
        c = crawl_now(alice, sid)["id"]
        wait_for_insights(alice, sid, c)
        incremental = _shown(alice, sid)
        assert "code" not in by_rule(all_findings(alice, sid)).get("column_type_inconsistent", set())
        _whole(catalog_url, sid, c)
        assert _shown(alice, sid) == incremental
