"""Lint through real crawls: a purpose-built PostgreSQL target where every
rule must find what it is about, a clean one where none may find anything,
and the same for MariaDB with the rules that apply to it; the ignore list,
pages, filters, coverage and ownership through the API."""

from __future__ import annotations

import pytest

from catalog.insights.lint import RULES
from catalog.insights.rules import RUNTIME_ORDER

from .conftest import ApiUser, truncate_catalog, wait_for_crawl
from .crawl_helpers import SECRET, pg_source, wait_for_insights
from .insight_helpers import BAD_PG, WIDE, all_findings, by_rule
from .targets import mysql_databases, mysql_execute, mysql_params, pg_database, pg_execute

pytestmark = pytest.mark.shared_catalog


CLEAN_PG = """
CREATE TABLE authors (id bigint PRIMARY KEY, name text NOT NULL, meta jsonb);
CREATE TABLE books (id bigint PRIMARY KEY, author_id bigint NOT NULL REFERENCES authors (id),
    isbn text NOT NULL UNIQUE);
CREATE INDEX books_author_id ON books (author_id);
CREATE VIEW book_list AS SELECT b.id, b.isbn FROM books b;
COMMENT ON TABLE authors IS 'People who write';
COMMENT ON TABLE books IS 'What they write';
COMMENT ON VIEW book_list IS 'Books by number';
COMMENT ON COLUMN authors.id IS 'Key';
COMMENT ON COLUMN authors.name IS 'Full name';
COMMENT ON COLUMN authors.meta IS 'Anything else';
COMMENT ON COLUMN books.id IS 'Key';
COMMENT ON COLUMN books.author_id IS 'Who wrote it';
COMMENT ON COLUMN books.isbn IS 'ISBN-13';
COMMENT ON COLUMN book_list.id IS 'Key';
COMMENT ON COLUMN book_list.isbn IS 'ISBN-13';
"""

# Rules that cannot fire on MariaDB: InnoDB indexes every foreign key itself; no json/jsonb.
NOT_ON_MARIADB = {"fk_without_index", "json_not_jsonb"}


def _bad_maria(db: str) -> str:
    return f"""
CREATE TABLE `{db}`.nopk (a int);
CREATE TABLE `{db}`.parent (id int PRIMARY KEY, code varchar(20), `order` int, UNIQUE KEY parent_code (code));
CREATE TABLE `{db}`.child (id int PRIMARY KEY, parent_code varchar(10), a int, b int, code int,
    KEY child_a (a), KEY child_a_again (a), KEY child_a_b (a, b),
    CONSTRAINT child_parent FOREIGN KEY (parent_code) REFERENCES `{db}`.parent (code));
CREATE TABLE `{db}`.`Bad Name` (id int PRIMARY KEY);
CREATE TABLE `{db}`.wide (id int PRIMARY KEY, {WIDE});
"""


def _clean_maria(db: str) -> str:
    return f"""
CREATE TABLE `{db}`.authors (id int PRIMARY KEY COMMENT 'Key', name varchar(100) NOT NULL COMMENT 'Full name')
    COMMENT 'People who write';
CREATE TABLE `{db}`.books (id int PRIMARY KEY COMMENT 'Key', author_id int NOT NULL COMMENT 'Who wrote it',
    isbn varchar(13) NOT NULL UNIQUE COMMENT 'ISBN-13',
    FOREIGN KEY (author_id) REFERENCES `{db}`.authors (id)) COMMENT 'What they write';
"""


@pytest.fixture(scope="module")
def insights_app(settings, redis_client, catalog_url):
    from api import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    truncate_catalog(catalog_url)


@pytest.fixture(scope="module")
def owner(insights_app):
    return ApiUser(insights_app.test_client(), "linter@example.com")


@pytest.fixture(scope="module")
def stranger(insights_app):
    return ApiUser(insights_app.test_client(), "stranger@example.com")


def _maria_source(user, name, db):
    p = mysql_params()
    reader = "mc_lint_" + db[-8:]
    mysql_execute(
        f"CREATE USER '{reader}'@'%' IDENTIFIED BY '{SECRET}';"
        f"CREATE USER '{reader}'@'localhost' IDENTIFIED BY '{SECRET}';"
        f"GRANT SELECT, REFERENCES ON `{db}`.* TO '{reader}'@'%';"
        f"GRANT SELECT, REFERENCES ON `{db}`.* TO '{reader}'@'localhost';"
    )
    body = {
        "name": name,
        "engine": "mariadb",
        "host": p["host"],
        "port": p["port"],
        "database": db,
        "username": reader,
        "password": SECRET,
    }
    r = user.post("/api/v1/sources", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json(), reader


@pytest.fixture(scope="module")
def sources(owner, worker):
    """Crawl the four targets once for the module: {name: source id}."""
    with pg_database("mc_lint") as bad, pg_database("mc_lint") as clean, mysql_databases(2, "mc_lint") as (mb, mc):
        pg_execute(bad, BAD_PG)
        pg_execute(clean, CLEAN_PG)
        mysql_execute(_bad_maria(mb))
        mysql_execute(_clean_maria(mc))
        made = {"bad": pg_source(owner, bad, name="bad"), "clean": pg_source(owner, clean, name="clean")}
        readers = []
        for key, db in (("maria_bad", mb), ("maria_clean", mc)):
            made[key], reader = _maria_source(owner, key, db)
            readers.append(reader)
        try:
            for source in made.values():
                assert wait_for_crawl(owner, source["crawl"]["url"])["state"] == "succeeded"
                wait_for_insights(owner, source["id"], source["crawl"]["id"])
        finally:
            for reader in readers:
                mysql_execute(f"DROP USER IF EXISTS '{reader}'@'%'; DROP USER IF EXISTS '{reader}'@'localhost';")
        yield {k: v["id"] for k, v in made.items()}


# The runtime rules read usage between crawls: tests/test_usage.py crawls for them.
RUNTIME = {m.RULE.name for m in RUNTIME_ORDER}


def test_every_rule_finds_its_case_on_postgresql(owner, sources):
    found = by_rule(all_findings(owner, sources["bad"]))
    assert set(found) - RUNTIME == set(RULES) - RUNTIME
    assert found["no_primary_key"] == {"public.nopk"}
    assert found["fk_without_index"] == {"public.child.child_parent_id_fkey"}
    assert found["duplicate_index"] == {"public.child.child_a_again"}
    assert found["redundant_index"] == {"public.child.child_a", "public.child.child_a_again"}
    assert found["fk_type_mismatch"] == {"public.child.parent_id"}
    assert found["nullable_in_unique"] == {"public.parent.parent_code_key"}
    assert found["json_not_jsonb"] == {"public.parent.doc"}
    assert found["column_type_inconsistent"] == {"code"}
    assert found["no_relations"] == {"public.nopk", "public.Bad Name", "public.wide"}
    assert found["identifier_needs_quoting"] == {"public.Bad Name", "public.parent.(columns)"}
    assert found["too_many_columns"] == {"public.wide"}
    assert "public.child" in found["table_without_comment"] and "public.child" in found["column_without_comment"]


def test_findings_carry_messages_and_fixes(owner, sources):
    findings = {(f["rule"], f["object"]): f for f in all_findings(owner, sources["bad"])}
    fk = findings[("fk_without_index", "public.child.child_parent_id_fkey")]
    assert fk["fix"] == "CREATE INDEX ON public.child (parent_id);" and fk["severity"] == "warning"
    assert fk["schema"] == "public" and fk["table"] == "child" and fk["name"] == "child_parent_id_fkey"
    assert findings[("duplicate_index", "public.child.child_a_again")]["fix"] == "DROP INDEX public.child_a_again;"
    mismatch = findings[("fk_type_mismatch", "public.child.parent_id")]
    assert "integer" in mismatch["message"] and "bigint" in mismatch["message"]
    assert mismatch["fix"] == "ALTER TABLE public.child ALTER COLUMN parent_id TYPE bigint;"
    assert findings[("nullable_in_unique", "public.parent.parent_code_key")]["fix"] == (
        "ALTER TABLE public.parent ALTER COLUMN code SET NOT NULL;"
    )
    assert findings[("json_not_jsonb", "public.parent.doc")]["fix"] == (
        "ALTER TABLE public.parent ALTER COLUMN doc TYPE jsonb USING doc::jsonb;"
    )
    quoting = findings[("identifier_needs_quoting", "public.parent.(columns)")]["message"]
    assert "Name" in quoting and "order" in quoting and "code" not in quoting
    inconsistent = findings[("column_type_inconsistent", "code")]["message"]
    assert "text (1 table: public.parent)" in inconsistent and "integer (1 table: public.child)" in inconsistent


def test_a_clean_target_has_no_findings(owner, sources):
    for key in ("clean", "maria_clean"):
        body = owner.get(f"/api/v1/sources/{sources[key]}/insights").get_json()
        assert body["findings"] == [] and body["counts"] == {}, key
        assert body["coverage"]["tables_share"] == 1 and body["coverage"]["columns_share"] == 1
        assert body["computed_at"] and body["crawl_id"]


def test_mariadb_rules(owner, sources):
    found = by_rule(all_findings(owner, sources["maria_bad"]))
    assert set(found) == set(RULES) - NOT_ON_MARIADB - RUNTIME
    db = next(iter(found["no_primary_key"])).split(".")[0]
    assert found["duplicate_index"] == {f"{db}.child.child_a_again"}
    assert found["redundant_index"] == {f"{db}.child.child_a", f"{db}.child.child_a_again"}
    assert found["fk_type_mismatch"] == {f"{db}.child.parent_code"}
    assert found["nullable_in_unique"] == {f"{db}.parent.parent_code"}
    assert found["column_type_inconsistent"] == {"code"}
    assert found["identifier_needs_quoting"] == {f"{db}.Bad Name", f"{db}.parent.(columns)"}
    findings = {(f["rule"], f["object"]): f for f in all_findings(owner, sources["maria_bad"])}
    assert findings[("duplicate_index", f"{db}.child.child_a_again")]["fix"] == (
        f"DROP INDEX `child_a_again` ON `{db}`.`child`;"
    )


def test_counts_filters_and_coverage(owner, sources):
    base = f"/api/v1/sources/{sources['bad']}/insights"
    body = owner.get(base).get_json()
    assert body["counts"]["redundant_index"] == 2 and sum(body["counts"].values()) == len(
        all_findings(owner, sources["bad"])
    )
    assert {f["rule"] for f in all_findings(owner, sources["bad"], "&rule=no_primary_key")} == {"no_primary_key"}
    assert {f["table"] for f in all_findings(owner, sources["bad"], "&table=child")} == {"child"}
    assert {f["severity"] for f in all_findings(owner, sources["bad"], "&severity=warning")} == {"warning"}
    cov = body["coverage"]
    assert (cov["tables"], cov["tables_commented"], cov["tables_share"]) == (5, 0, 0)
    assert cov["columns"] == 1 + 5 + 5 + 1 + 102 and cov["schemas"][0]["schema"] == "public"
    assert owner.get(f"{base}?rule=nope").status_code == 422
    assert owner.get(f"{base}?cursor=forged").status_code == 400


def test_ignore_list_hides_findings_at_once(owner, sources):
    url = f"/api/v1/sources/{sources['bad']}/insights/ignore"
    assert owner.get(url).get_json() == {"ignore": []}
    entries = [{"rule": "*", "pattern": "public.wide"}, {"rule": "redundant_index", "pattern": "public.child.*"}]
    r = owner.client.put(url, headers=owner.headers, json={"ignore": entries})
    assert r.status_code == 200 and len(r.get_json()["ignore"]) == 2
    found = by_rule(all_findings(owner, sources["bad"]))
    assert "redundant_index" not in found and "too_many_columns" not in found
    assert "public.wide" not in found["no_relations"] and "public.nopk" in found["no_relations"]
    counts = owner.get(f"/api/v1/sources/{sources['bad']}/insights").get_json()["counts"]
    assert "redundant_index" not in counts
    bad = owner.client.put(url, headers=owner.headers, json={"ignore": [{"rule": "nope", "pattern": "x"}]})
    assert bad.status_code == 422
    assert owner.client.put(url, headers=owner.headers, json={"ignore": []}).get_json() == {"ignore": []}
    assert "redundant_index" in by_rule(all_findings(owner, sources["bad"]))


def test_someone_elses_source_is_404(stranger, sources):
    sid = sources["bad"]
    assert stranger.get(f"/api/v1/sources/{sid}/insights").status_code == 404
    assert stranger.get(f"/api/v1/sources/{sid}/insights/ignore").status_code == 404
    r = stranger.client.put(f"/api/v1/sources/{sid}/insights/ignore", headers=stranger.headers, json={"ignore": []})
    assert r.status_code == 404
