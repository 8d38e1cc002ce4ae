"""A recrawl lints only the tables it added or changed (and reruns the rules
across tables): what the API shows afterwards must be exactly what a whole
recompute finds, for fixed findings, new ones, dropped tables and a change
to a referenced table that settles a finding of an unchanged one."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from catalog import insights

from .conftest import wait_for_crawl
from .crawl_helpers import crawl_now, pg_source, wait_for_insights
from .targets import pg_database, pg_execute
from .test_insights import BAD_PG, all_findings, by_rule

CHANGES = """
ALTER TABLE nopk ADD PRIMARY KEY (a);
DROP TABLE wide;
ALTER TABLE child ADD COLUMN extra json;
DROP INDEX child_a_again;
ALTER TABLE parent ALTER COLUMN id TYPE integer;
CREATE TABLE other (id bigint PRIMARY KEY, code bigint);
"""


def _shown(user, source_id) -> set[tuple]:
    return {(f["rule"], f["object"], f["message"], f["fix"]) for f in all_findings(user, source_id)}


def test_a_recrawl_relints_what_changed_and_matches_a_whole_run(alice, worker, catalog_url):
    with pg_database("mc_lint_inc") as target:
        pg_execute(target, BAD_PG)
        source = pg_source(alice, target)
        sid = source["id"]
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        wait_for_insights(alice, sid, source["crawl"]["id"])
        before = by_rule(all_findings(alice, sid))
        assert "public.nopk" in before["no_primary_key"] and "public.wide" in before["too_many_columns"]
        assert "public.child.child_a_again" in before["duplicate_index"]
        assert "public.child.parent_id" in before["fk_type_mismatch"]

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
        codes = [f for f in all_findings(alice, sid, "&rule=column_type_inconsistent") if f["object"] == "code"]
        assert "3 types" in codes[0]["message"], codes
        incremental = _shown(alice, sid)

        engine = create_engine(catalog_url, poolclass=NullPool)
        with Session(engine) as session:
            insights.refresh(session, sid, second["id"], whole=True)
            session.commit()
        engine.dispose()
        assert _shown(alice, sid) == incremental
