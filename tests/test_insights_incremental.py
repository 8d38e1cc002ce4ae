"""A recrawl lints only the tables it added or changed (and reruns the rules
across tables): what the API shows afterwards must be exactly what a whole
recompute finds, for fixed findings, new ones, dropped tables and a change
to a referenced table that settles a finding of an unchanged one; and the
inferred keys of an unchanged table towards a new and a dropped one."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from catalog import insights

from .conftest import wait_for_crawl
from .crawl_helpers import crawl_now, pg_source, wait_for_insights
from .targets import pg_database, pg_execute
from .test_insights import BAD_PG, all_findings, by_rule

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
