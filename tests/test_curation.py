"""Curation through the API on a real crawl: alice admins the team "data"
(bob a viewer), carol the team "finance" with a source of its own. Sources,
schemas, tables and columns get descriptions, tags and owners; reads show
the curated description first and the database comment beside it; every
change has its audit entry; bad input is a 4xx naming the field; curation
waits, orphaned, while its table is gone and shows again when it returns."""

from __future__ import annotations

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import crawl_now, pg_source
from .targets import pg_database, pg_execute

TARGET = """
CREATE SCHEMA sales;
CREATE TABLE sales.customers (id bigint PRIMARY KEY, email text, "a/b" int);
COMMENT ON TABLE sales.customers IS 'People who buy';
COMMENT ON COLUMN sales.customers.email IS 'Contact address';
CREATE TABLE sales.orders (id bigint PRIMARY KEY, customer_id bigint);
"""


@pytest.fixture
def shop(alice, bob, carol, worker):
    data = alice.post("/api/v1/teams", json={"name": "data"}).get_json()["id"]
    finance = carol.post("/api/v1/teams", json={"name": "finance"}).get_json()["id"]
    assert (
        alice.post(f"/api/v1/teams/{data}/members", json={"email": "bob@example.com", "role": "viewer"}).status_code
        == 201
    )
    for team, user in ((data, alice), (finance, carol)):
        for tag, colour in (("pii", "#b00020"), ("finance", "#1f4e79")):
            assert user.put(f"/api/v1/teams/{team}/tags/{tag}", json={"colour": colour}).status_code == 200
    with pg_database() as db, pg_database() as other:
        pg_execute(db, TARGET)
        pg_execute(other, "CREATE TABLE ledger (id int, amount numeric);")
        source = pg_source(alice, db, team_id=data)
        theirs = pg_source(carol, other, team_id=finance)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        assert wait_for_crawl(carol, theirs["crawl"]["url"])["state"] == "succeeded"
        tables = {
            t["name"]: t["table_id"] for t in alice.get(f"/api/v1/sources/{source['id']}/schema").get_json()["tables"]
        }
        ledger = carol.get(f"/api/v1/sources/{theirs['id']}/schema").get_json()["tables"][0]["table_id"]
        yield {
            "db": db,
            "sid": source["id"],
            "theirs": theirs["id"],
            "ledger": ledger,
            "data": data,
            "finance": finance,
            **tables,
        }


def _url(shop, what: str) -> str:
    return {
        "source": f"/api/v1/sources/{shop['sid']}/curation",
        "schema": f"/api/v1/sources/{shop['sid']}/schemas/sales/curation",
        "table": f"/api/v1/tables/{shop['customers']}/curation",
        "email": f"/api/v1/tables/{shop['customers']}/columns/email/curation",
        "slash": f"/api/v1/tables/{shop['customers']}/columns/a%2Fb/curation",
    }[what]


def test_describe_tag_and_own_every_kind_and_read_it_back(shop, alice, bob):
    for what in ("source", "schema", "table", "email", "slash"):
        r = alice.patch(
            _url(shop, what),
            json={
                "description": f"**{what}** notes",
                "tags": ["pii", "finance", "pii"],
                "owners": ["user:bob@example.com", "team:data"],
            },
        )
        assert r.status_code == 200, (what, r.get_json())
        assert sorted(r.get_json()["changed"]) == ["description", "owners", "tags"]
        got = bob.get(_url(shop, what)).get_json()
        assert got["description"] == f"**{what}** notes"
        assert got["description_html"] == f"<p><strong>{what}</strong> notes</p>\n"
        assert got["tags"] == [{"name": "finance", "colour": "#1f4e79"}, {"name": "pii", "colour": "#b00020"}]
        assert {(o["kind"], o["name"]) for o in got["owners"]} == {("user", "bob@example.com"), ("team", "data")}
        assert got["orphaned"] is False and got["updated_by"]["email"] == "alice@example.com"
    assert bob.get(_url(shop, "table")).get_json()["comment"] == "People who buy"
    assert bob.get(_url(shop, "email")).get_json()["comment"] == "Contact address"
    assert bob.get(_url(shop, "slash")).get_json()["column"] == "a/b"
    # the table document: curation beside the comment, for the table and each column
    doc = bob.get(f"/api/v1/tables/{shop['customers']}").get_json()
    assert doc["comment"] == "People who buy" and doc["curation"]["description"] == "**table** notes"
    columns = {c["name"]: c for c in doc["columns"]}
    assert columns["email"]["comment"] == "Contact address"
    assert columns["email"]["curation"]["description"] == "**email** notes"
    assert columns["email"]["curation"]["comment"] == "Contact address"
    assert columns["id"]["curation"] is None
    # schema pages carry descriptions and tags
    page = bob.get(f"/api/v1/sources/{shop['sid']}/schema").get_json()["tables"]
    listed = {t["name"]: t["curation"] for t in page}
    assert listed["customers"]["description"] == "**table** notes" and listed["orders"] is None
    assert [t["name"] for t in listed["customers"]["tags"]] == ["finance", "pii"]


def test_a_changed_curation_moves_the_etag_of_table_reads(shop, alice):
    r = alice.get(f"/api/v1/tables/{shop['orders']}")
    alice.patch(f"/api/v1/tables/{shop['orders']}/curation", json={"description": "what they ordered"})
    again = alice.get(f"/api/v1/tables/{shop['orders']}", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 200 and again.get_json()["curation"]["description"] == "what they ordered"


def test_description_html_is_safe(shop, alice):
    text = "<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com) <img src=x onerror=alert(1)>"
    r = alice.patch(_url(shop, "table"), json={"description": text})
    html = r.get_json()["description_html"]
    assert "<script" not in html and "<img" not in html and "javascript:" not in html.replace("(javascript:", "")
    assert 'href="javascript' not in html and '<a href="https://example.com">ok</a>' in html
    assert "&lt;script&gt;" in html


def test_the_audit_list_shows_who_changed_what_before_and_after(shop, alice):
    url = _url(shop, "email")
    alice.patch(url, json={"description": "first", "tags": ["pii"]})
    alice.patch(url, json={"description": "second", "tags": ["pii"]})  # tags unchanged: no entry
    same = alice.patch(url, json={"description": "second"})
    assert same.get_json()["changed"] == []
    alice.patch(url, json={"owners": ["alice@example.com"]})
    changes = alice.get(url + "/history").get_json()["changes"]
    assert [(c["field"], c["before"], c["after"]) for c in changes] == [
        ("owners", [], [{"kind": "user", "id": alice.id, "name": "alice@example.com"}]),
        ("description", "first", "second"),
        ("tags", [], ["pii"]),
        ("description", None, "first"),
    ]
    assert {c["user"]["email"] for c in changes} == {"alice@example.com"}
    first = alice.get(url + "/history?limit=1")
    assert len(first.get_json()["changes"]) == 1 and first.get_json()["next_cursor"]
    rest = alice.get(url + "/history", query_string={"limit": 10, "cursor": first.get_json()["next_cursor"]})
    assert [c["id"] for c in rest.get_json()["changes"]] == [c["id"] for c in changes[1:]]


def _refused(user, url, body, field, status=422):
    r = user.patch(url, json=body)
    assert r.status_code == status, r.get_json()
    assert field in str(r.get_json()["errors"]), r.get_json()


def test_an_unknown_tag_names_tags(shop, alice):
    _refused(alice, _url(shop, "table"), {"tags": ["secret"]}, "tags")


def test_a_tag_outside_the_format_names_tags(shop, alice):
    _refused(alice, _url(shop, "table"), {"tags": ["Not A Tag"]}, "tags")


def test_a_description_too_long_names_description(shop, alice):
    _refused(alice, _url(shop, "table"), {"description": "x" * 20_001}, "description")


def test_an_owner_not_a_member_names_owners(shop, alice):
    _refused(alice, _url(shop, "table"), {"owners": ["user:carol@example.com"]}, "owners")


def test_an_unknown_owner_team_names_owners(shop, alice):
    _refused(alice, _url(shop, "table"), {"owners": ["team:nobody"]}, "owners")


def test_a_team_the_curator_is_not_in_is_refused_as_if_unknown(shop, alice):
    """carol's team "finance" exists, but alice is not in it: the same
    refusal as for no team at all, so names of other teams do not leak."""
    r = alice.patch(_url(shop, "table"), json={"owners": ["team:finance"]})
    unknown = alice.patch(_url(shop, "table"), json={"owners": ["team:nobody"]})
    assert r.status_code == unknown.status_code == 422
    assert r.get_json()["errors"]["json"]["owners"][0].replace("finance", "X") == unknown.get_json()["errors"]["json"][
        "owners"
    ][0].replace("nobody", "X")


def test_a_column_that_does_not_exist_is_404_naming_column(shop, alice):
    _refused(alice, f"/api/v1/tables/{shop['customers']}/columns/nope/curation", {"description": "x"}, "column", 404)
    assert alice.get(f"/api/v1/tables/{shop['customers']}/columns/nope/curation").status_code == 404


def test_another_teams_table_or_source_is_404(shop, alice):
    assert alice.patch(f"/api/v1/tables/{shop['ledger']}/curation", json={"description": "x"}).status_code == 404
    assert alice.get(f"/api/v1/tables/{shop['ledger']}/curation").status_code == 404
    assert alice.get(f"/api/v1/sources/{shop['theirs']}/curation").status_code == 404


def test_a_viewer_reads_but_cannot_change(shop, bob):
    assert bob.get(_url(shop, "table")).status_code == 200
    r = bob.patch(_url(shop, "table"), json={"description": "mine"})
    assert r.status_code == 403 and "curator" in r.get_json()["message"]


def test_curation_is_orphaned_while_the_table_is_gone_and_back_when_it_returns(shop, alice):
    url = _url(shop, "table")
    alice.patch(url, json={"description": "who buys"})
    alice.patch(_url(shop, "email"), json={"description": "where to write"})
    pg_execute(shop["db"], "DROP TABLE sales.customers;")
    assert crawl_now(alice, shop["sid"])["state"] == "succeeded"
    gone = alice.get(url).get_json()
    assert gone["orphaned"] is True and gone["description"] == "who buys"
    assert alice.get(_url(shop, "email")).get_json()["orphaned"] is True
    orphans = alice.get(f"/api/v1/sources/{shop['sid']}/curation/orphaned").get_json()["objects"]
    assert {(o["kind"], o["table"], o["column"]) for o in orphans} == {
        ("table", "customers", None),
        ("column", "customers", "email"),
    }
    pg_execute(shop["db"], "CREATE TABLE sales.customers (id bigint PRIMARY KEY, email text);")
    assert crawl_now(alice, shop["sid"])["state"] == "succeeded"
    back = alice.get(url).get_json()
    assert back["orphaned"] is False and back["description"] == "who buys"
    doc = alice.get(f"/api/v1/tables/{shop['customers']}").get_json()
    assert doc["curation"]["description"] == "who buys"
    assert {c["name"]: c["curation"] for c in doc["columns"]}["email"]["description"] == "where to write"
    assert alice.get(f"/api/v1/sources/{shop['sid']}/curation/orphaned").get_json()["objects"] == []


def test_the_tag_page_lists_everything_tagged_in_your_teams_only(shop, alice, carol):
    alice.patch(_url(shop, "table"), json={"tags": ["pii"]})
    alice.patch(_url(shop, "email"), json={"tags": ["pii"]})
    alice.patch(_url(shop, "schema"), json={"tags": ["pii"]})
    carol.patch(f"/api/v1/tables/{shop['ledger']}/curation", json={"tags": ["pii"]})
    objects = alice.get("/api/v1/tags/pii").get_json()["objects"]
    assert [(o["kind"], o["table"], o["column"]) for o in objects] == [
        ("table", "customers", None),
        ("column", "customers", "email"),
        ("schema", None, None),
    ]
    assert all(o["source_id"] == shop["sid"] for o in objects)
    assert [o["table"] for o in carol.get("/api/v1/tags/pii").get_json()["objects"]] == ["ledger"]
    assert alice.get("/api/v1/tags/Not%20a%20tag").status_code == 422


def test_dropping_a_team_tag_strips_it_with_an_audit_entry(shop, alice):
    alice.patch(_url(shop, "table"), json={"tags": ["finance", "pii"]})
    assert alice.delete(f"/api/v1/teams/{shop['data']}/tags/pii").status_code == 204
    assert [t["name"] for t in alice.get(_url(shop, "table")).get_json()["tags"]] == ["finance"]
    [last, *_] = alice.get(_url(shop, "table") + "/history").get_json()["changes"]
    assert (last["field"], last["before"], last["after"]) == ("tags", ["finance", "pii"], ["finance"])


def _hits(user, q, **kw) -> list[tuple]:
    r = user.get("/api/v1/search", query_string={"q": q, **kw})
    assert r.status_code == 200, r.get_json()
    return [(h["kind"], h["table"], h["column"]) for h in r.get_json()["results"]]


def test_search_by_tag_owner_and_team_combined_with_text(shop, alice, carol):
    alice.patch(_url(shop, "table"), json={"tags": ["pii"], "owners": ["alice@example.com"]})
    alice.patch(_url(shop, "email"), json={"tags": ["pii"], "owners": ["team:data"]})
    alice.patch(f"/api/v1/tables/{shop['orders']}/curation", json={"tags": ["finance"]})
    carol.patch(f"/api/v1/tables/{shop['ledger']}/curation", json={"tags": ["pii"], "owners": ["carol@example.com"]})
    assert sorted(_hits(alice, "tag:pii")) == [("column", "customers", "email"), ("table", "customers", None)]
    assert _hits(alice, "tag:pii email") == [("column", "customers", "email")]
    assert _hits(alice, "tag:pii", kind="table") == [("table", "customers", None)]
    assert _hits(alice, "owner:alice") == [("table", "customers", None)]
    assert _hits(alice, "owner:alice@example.com tag:pii") == [("table", "customers", None)]
    assert _hits(alice, "owner:data") == [("column", "customers", "email")]
    assert _hits(alice, "tag:finance tag:pii") == []
    assert ("table", "orders", None) in _hits(alice, "team:data orders")
    assert _hits(alice, "team:finance orders") == []
    # another team's tagged objects never come back, whatever the filter
    assert all(t != "ledger" for _, t, _ in _hits(alice, "tag:pii"))
    assert _hits(alice, "owner:carol") == [] and _hits(alice, "team:finance ledger") == []
    assert _hits(carol, "tag:pii") == [("table", "ledger", None)]
    hit = alice.get("/api/v1/search", query_string={"q": "tag:pii customers"}).get_json()["results"][0]
    assert hit["tags"] == [{"name": "pii", "colour": "#b00020"}]


def test_search_finds_curated_descriptions(shop, alice, carol):
    alice.patch(_url(shop, "email"), json={"description": "The GDPR lawful basis is consent"})
    carol.patch(f"/api/v1/tables/{shop['ledger']}/curation", json={"description": "lawful basis: contract"})
    hits = alice.get("/api/v1/search", query_string={"q": "lawful basis"}).get_json()["results"]
    assert [(h["table"], h["column"], h["match"]) for h in hits] == [("customers", "email", "description")]
    assert hits[0]["description"] == "The GDPR lawful basis is consent"


def test_coverage_counts_a_curated_description(shop, alice):
    def figures():
        cov = alice.get(f"/api/v1/sources/{shop['sid']}/insights").get_json()["coverage"]
        return cov["tables_commented"], cov["tables_documented"], cov["columns_commented"], cov["columns_documented"]

    assert figures() == (1, 1, 1, 1)
    alice.patch(f"/api/v1/tables/{shop['orders']}/curation", json={"description": "what they ordered"})
    alice.patch(f"/api/v1/tables/{shop['orders']}/columns/id/curation", json={"description": "order number"})
    alice.patch(_url(shop, "email"), json={"description": "commented and described: counted once"})
    assert figures() == (1, 2, 1, 2)
