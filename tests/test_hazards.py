"""Hazard labels on change events: the pure rules, then through a real
recrawl after ALTERs, and the change feed's hazard filter."""

from __future__ import annotations

import pytest

from catalog.insights.hazards import hazard_of, widened

from .conftest import wait_for_crawl
from .crawl_helpers import crawl_now, pg_source
from .targets import pg_database, pg_execute


@pytest.mark.parametrize(
    ("old", "new", "wider"),
    [
        ("integer", "bigint", True),
        ("bigint", "integer", False),
        ("int(11)", "bigint(20)", True),
        ("int(10) unsigned", "bigint(20)", True),
        ("int(11)", "bigint(20) unsigned", False),
        ("character varying(10)", "character varying(20)", True),
        ("character varying(20)", "character varying(10)", False),
        ("character varying(20)", "text", True),
        ("numeric(10,2)", "numeric(12,2)", True),
        ("numeric(10,2)", "numeric(10,3)", False),
        ("numeric(10,2)", "numeric", True),
        ("text", "integer", False),
    ],
)
def test_widened(old, new, wider):
    assert widened(old, new) is wider


def test_hazard_of_details():
    assert hazard_of({"comment": {"from": None, "to": "x"}}) == ("safe", ["safe: table comment changed"])
    label, reasons = hazard_of({"columns_removed": ["a"], "indexes_added": ["i"]})
    assert label == "breaking" and reasons == ["breaking: column a removed", "safe: index i added"]
    added = {"columns_added": ["n"]}
    assert hazard_of(added, [{"name": "n", "nullable": False, "default": None}])[0] == "breaking"
    assert hazard_of(added, [{"name": "n", "nullable": False, "default": "0"}])[0] == "safe"
    assert hazard_of(added, [{"name": "n", "nullable": True}])[0] == "safe"
    assert hazard_of({"indexes_added": ["i"], "indexes_removed": ["i"]})[0] == "risky"
    assert hazard_of({"constraints_added": ["c"]})[0] == "risky"
    assert hazard_of({})[0] == "safe"


BEFORE = """
CREATE TABLE a_drop_col (id int PRIMARY KEY, gone text);
CREATE TABLE b_narrow (id int PRIMARY KEY, v varchar(10));
CREATE TABLE c_notnull (id int PRIMARY KEY, v text);
CREATE TABLE d_rename (id int PRIMARY KEY, old_name text);
CREATE TABLE e_dropidx (id int PRIMARY KEY, v text);
CREATE INDEX e_v ON e_dropidx (v);
CREATE TABLE f_pk (id int PRIMARY KEY, v int NOT NULL);
CREATE TABLE g_addcol (id int PRIMARY KEY);
CREATE TABLE h_comment (id int PRIMARY KEY);
CREATE TABLE i_addidx (id int PRIMARY KEY, v text);
CREATE TABLE j_widen (id int PRIMARY KEY, v varchar(10), n integer);
CREATE TABLE k_gone (id int);
"""

AFTER = """
ALTER TABLE a_drop_col DROP COLUMN gone;
ALTER TABLE b_narrow ALTER COLUMN v TYPE varchar(5);
ALTER TABLE c_notnull ALTER COLUMN v SET NOT NULL;
ALTER TABLE d_rename RENAME COLUMN old_name TO new_name;
DROP INDEX e_v;
ALTER TABLE f_pk DROP CONSTRAINT f_pk_pkey, ADD PRIMARY KEY (id, v);
ALTER TABLE g_addcol ADD COLUMN note text;
COMMENT ON TABLE h_comment IS 'now documented';
CREATE INDEX i_v ON i_addidx (v);
ALTER TABLE j_widen ALTER COLUMN v TYPE varchar(20), ALTER COLUMN n TYPE bigint;
DROP TABLE k_gone;
CREATE TABLE l_new (id int PRIMARY KEY);
"""

EXPECTED = {
    "a_drop_col": "breaking",
    "b_narrow": "breaking",
    "c_notnull": "breaking",
    "d_rename": "breaking",
    "e_dropidx": "risky",
    "f_pk": "risky",
    "g_addcol": "safe",
    "h_comment": "safe",
    "i_addidx": "safe",
    "j_widen": "risky",
    "k_gone": "breaking",
    "l_new": "safe",
}


def test_recrawl_after_alters_labels_every_change(alice, worker):
    with pg_database("mc_hazard") as target:
        pg_execute(target, BEFORE)
        source = pg_source(alice, target)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        pg_execute(target, AFTER)
        second = crawl_now(alice, source["id"])
        assert second["state"] == "succeeded"
    url = f"/api/v1/sources/{source['id']}/changes"
    feed = alice.get(url).get_json()["changes"]
    labels = {c["table"]: c["hazard"] for c in feed if c["crawl_id"] == second["id"]}
    assert labels == EXPECTED
    baseline = [c for c in feed if c["event"] == "source_crawled"]
    assert baseline[0]["hazard"] is None
    reasons = {c["table"]: c["hazard_reasons"] for c in feed if c["crawl_id"] == second["id"]}
    assert reasons["b_narrow"] == ["breaking: column v narrowed from character varying(10) to character varying(5)"]
    # PostgreSQL keeps the column's attnum: a column_renamed event, not a removal and an addition
    assert reasons["d_rename"] == ["breaking: column old_name renamed to new_name: readers of the old name fail"]
    renamed = [c for c in feed if c["crawl_id"] == second["id"] and c["table"] == "d_rename"]
    assert [(c["event"], c["details"]) for c in renamed] == [
        ("column_renamed", {"column": {"from": "old_name", "to": "new_name"}})
    ]
    assert reasons["e_dropidx"] == ["risky: index e_v dropped"]
    assert reasons["j_widen"] == [
        "risky: column v widened from character varying(10) to character varying(20)",
        "risky: column n widened from integer to bigint",
    ]
    for hazard in ("breaking", "risky", "safe"):
        only = alice.get(f"{url}?hazard={hazard}").get_json()["changes"]
        assert {c["table"] for c in only} == {t for t, h in EXPECTED.items() if h == hazard}
    assert alice.get(f"{url}?hazard=scary").status_code == 422
