"""Sensitive-column suggestions (issue #26): made after every crawl from the
columns' names, types, comments and statistics, with their reasons; they
stay suggestions until a curator confirms one (the column is tagged
`sensitive`) or dismisses it; through the API and the table page."""

from __future__ import annotations

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import crawl_now, detail, pg_source
from .targets import pg_database, pg_execute
from .ui_helpers import Browser

TARGET = """
CREATE TABLE customers (id int PRIMARY KEY, first_name text, email text, email_count int, product text,
                        contact text);
COMMENT ON COLUMN customers.contact IS 'Personal e-mail of the customer';
INSERT INTO customers SELECT g, 'n' || g, 'c' || g || '@example.com', g % 3, 'p' || (g % 5),
                             'k' || g || '@example.net' FROM generate_series(1, 500) g;
ANALYZE customers;
"""


@pytest.fixture
def target():
    with pg_database("mc_sensitive") as name:
        pg_execute(name, TARGET)
        yield name


def _suggestions(user, sid, **query) -> dict:
    r = user.get(f"/api/v1/sources/{sid}/sensitive-columns", query_string=query)
    assert r.status_code == 200, r.get_json()
    return {s["column"]: s for s in r.get_json()["suggestions"]}


def test_suggestions_with_reasons_confirm_and_dismiss(alice, worker, target):
    source = pg_source(alice, target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    found = _suggestions(alice, sid)
    assert set(found) == {"first_name", "email"}  # email_count is a count; contact's comment alone is not enough
    email = found["email"]
    assert email["status"] == "pending" and email["table"] == "customers" and email["schema"] == "public"
    assert email["reasons"] == ["name suggests email", "nearly every value is distinct"] and email["score"] == 80
    # the table document carries each column's suggestion
    cols = {c["name"]: c for c in detail(alice, sid, "public", "customers")["columns"]}
    assert cols["email"]["sensitive"]["id"] == email["id"] and cols["product"]["sensitive"] is None

    r = alice.post(f"/api/v1/sources/{sid}/sensitive-columns/{email['id']}/confirm")
    assert r.status_code == 200 and r.get_json()["status"] == "confirmed"
    cols = {c["name"]: c for c in detail(alice, sid, "public", "customers")["columns"]}
    assert [t["name"] for t in cols["email"]["curation"]["tags"]] == ["sensitive"]  # a tag, with its audit row
    history = alice.get(f"/api/v1/tables/{email['table_id']}/columns/email/curation/history").get_json()
    assert history["changes"][0]["field"] == "tags"

    name = found["first_name"]
    r = alice.post(f"/api/v1/sources/{sid}/sensitive-columns/{name['id']}/dismiss")
    assert r.status_code == 200 and r.get_json()["status"] == "dismissed"
    assert set(_suggestions(alice, sid, status="pending")) == set()

    # re-evaluated on every crawl: decisions stay; a column that now scores is suggested
    pg_execute(target, "ALTER TABLE customers ADD COLUMN phone_number text")
    assert crawl_now(alice, sid)["state"] == "succeeded"
    after = _suggestions(alice, sid)
    assert {c: s["status"] for c, s in after.items()} == {
        "email": "confirmed",
        "first_name": "dismissed",
        "phone_number": "pending",
    }
    # and a column that is gone takes its suggestion with it
    pg_execute(target, "ALTER TABLE customers DROP COLUMN phone_number")
    assert crawl_now(alice, sid)["state"] == "succeeded"
    assert set(_suggestions(alice, sid)) == {"email", "first_name"}


def test_unknown_suggestion_is_404_and_viewers_may_not_decide(alice, bob, worker, target):
    team = alice.post("/api/v1/teams", json={"name": "data"}).get_json()["id"]
    r = alice.post(f"/api/v1/teams/{team}/members", json={"email": bob.email, "role": "viewer"})
    assert r.status_code == 201, r.get_json()
    source = pg_source(alice, target, team_id=team)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    assert alice.post(f"/api/v1/sources/{sid}/sensitive-columns/999999/confirm").status_code == 404
    assert alice.post(f"/api/v1/sources/{sid}/sensitive-columns/999999/dismiss").status_code == 404
    some = next(iter(_suggestions(bob, sid).values()))
    assert bob.post(f"/api/v1/sources/{sid}/sensitive-columns/{some['id']}/confirm").status_code == 403
    assert _suggestions(alice, sid)[some["column"]]["status"] == "pending"


def test_a_bad_status_filter_is_a_422_naming_it(alice, target):
    source = pg_source(alice, target)
    r = alice.get(f"/api/v1/sources/{source['id']}/sensitive-columns", query_string={"status": "maybe"})
    assert r.status_code == 422 and "status" in str(r.get_json())


def test_the_table_page_shows_suggestions_and_a_curator_confirms_there(alice, worker, target):
    source = pg_source(alice, target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    page = browser.get(f"/sources/{sid}/table?schema=public&name=customers").get_data(as_text=True)
    assert 'id="statistics"' in page and "name suggests email" in page and "pending, score 80" in page
    email = _suggestions(alice, sid)["email"]
    r = browser.post(f"/sources/{sid}/sensitive-columns/{email['id']}/confirm")
    assert r.status_code == 303 and "#statistics" in r.headers["Location"]
    page = browser.get(r.headers["Location"]).get_data(as_text=True)
    assert "confirmed, score 80" in page


def test_a_decision_or_the_setting_moves_the_table_etag(alice, worker, target):
    source = pg_source(alice, target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    url = f"/api/v1/sources/{sid}/tables/public/customers"
    etag = alice.get(url).headers["ETag"]
    assert alice.get(url, headers={"If-None-Match": etag}).status_code == 304
    email = _suggestions(alice, sid)["email"]
    assert alice.post(f"/api/v1/sources/{sid}/sensitive-columns/{email['id']}/dismiss").status_code == 200
    r = alice.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and {c["name"]: c for c in r.get_json()["columns"]}["email"]["sensitive"]["status"] == (
        "dismissed"
    )
    etag = r.headers["ETag"]
    assert alice.patch(f"/api/v1/sources/{sid}", json={"statistics_values": True}).status_code == 200
    r = alice.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.get_json()["statistics"]["values_allowed"] is True
