"""Teams and roles through the API, with three users in two teams: alice
admins "data" (bob a viewer, later a curator), carol admins "finance". A
non-member meets 404 for everything of a team, a member below the role an
action needs meets 403, and secrets stay write-only for every role."""

from __future__ import annotations

import pytest

from .crawl_helpers import SECRET, source_body


def _team(user, name: str) -> int:
    r = user.post("/api/v1/teams", json={"name": name})
    assert r.status_code == 201, r.get_json()
    assert r.headers["Location"].endswith(f"/api/v1/teams/{r.get_json()['id']}")
    return r.get_json()["id"]


def _source(user, team_id: int, name: str = "warehouse") -> int:
    r = user.post("/api/v1/sources", json=source_body(name=name, team_id=team_id))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


@pytest.fixture
def teams(alice, bob, carol):
    data, finance = _team(alice, "data"), _team(carol, "finance")
    r = alice.post(f"/api/v1/teams/{data}/members", json={"email": "BOB@example.com", "role": "viewer"})
    assert r.status_code == 201, r.get_json()
    return {"data": data, "finance": finance, "shop": _source(alice, data), "ledger": _source(carol, finance, "ledger")}


def test_every_user_has_a_personal_team_that_holds_their_sources(alice):
    [mine] = alice.get("/api/v1/teams").get_json()["teams"]
    assert mine["personal"] and mine["name"] == "alice@example.com" and mine["role"] == "admin"
    r = alice.post("/api/v1/sources", json=source_body())
    assert r.get_json()["team_id"] == mine["id"] and r.get_json()["role"] == "admin"
    assert r.get_json()["registered_by"] == alice.id
    assert alice.get(f"/api/v1/teams/{mine['id']}").get_json()["sources"] == 1


def test_a_member_reads_the_teams_sources_and_search_honours_membership(teams, alice, bob, carol):
    assert [s["id"] for s in bob.get("/api/v1/sources").get_json()["sources"]] == [teams["shop"]]
    assert bob.get(f"/api/v1/sources/{teams['shop']}").get_json()["role"] == "viewer"
    assert [s["id"] for s in carol.get("/api/v1/sources").get_json()["sources"]] == [teams["ledger"]]
    only = alice.get(f"/api/v1/sources?team_id={teams['finance']}").get_json()["sources"]
    assert only == []
    listed = {t["name"]: t for t in bob.get("/api/v1/teams").get_json()["teams"]}
    assert listed["data"]["role"] == "viewer" and listed["data"]["members"] == 2 and "finance" not in listed


def test_a_non_member_gets_404_for_everything_of_the_team(teams, bob):
    ledger, finance = teams["ledger"], teams["finance"]
    member = {"email": "bob@example.com", "role": "admin"}
    for method, url, json in [
        ("get", f"/api/v1/sources/{ledger}", None),
        ("patch", f"/api/v1/sources/{ledger}", {"name": "x"}),
        ("delete", f"/api/v1/sources/{ledger}", None),
        ("post", f"/api/v1/sources/{ledger}/crawls", {}),
        ("get", f"/api/v1/sources/{ledger}/crawls", None),
        ("get", f"/api/v1/sources/{ledger}/schemas", None),
        ("get", f"/api/v1/sources/{ledger}/changes", None),
        ("get", f"/api/v1/sources/{ledger}/insights", None),
        ("post", f"/api/v1/sources/{ledger}/test-connection", {}),
        ("get", f"/api/v1/teams/{finance}", None),
        ("patch", f"/api/v1/teams/{finance}", {"name": "x"}),
        ("delete", f"/api/v1/teams/{finance}", None),
        ("get", f"/api/v1/teams/{finance}/members", None),
        ("post", f"/api/v1/teams/{finance}/members", member),
        ("patch", f"/api/v1/teams/{finance}/members/{bob.id}", {"role": "admin"}),
        ("get", f"/api/v1/teams/{finance}/tags", None),
        ("put", f"/api/v1/teams/{finance}/tags/pii", {"colour": "#aa0000"}),
    ]:
        r = getattr(bob, method)(url, json=json) if json is not None else getattr(bob, method)(url)
        assert r.status_code == 404, (method, url, r.status_code)


def test_a_viewer_reads_but_every_edit_is_403(teams, bob):
    shop, data = teams["shop"], teams["data"]
    assert bob.get(f"/api/v1/sources/{shop}").status_code == 200
    for method, url, json in [
        ("patch", f"/api/v1/sources/{shop}", {"name": "renamed"}),
        ("delete", f"/api/v1/sources/{shop}", None),
        ("post", f"/api/v1/sources/{shop}/crawls", {}),
        ("post", f"/api/v1/sources/{shop}/test-connection", {}),
        ("patch", f"/api/v1/teams/{data}", {"name": "mine now"}),
        ("post", f"/api/v1/teams/{data}/members", {"email": "carol@example.com", "role": "admin"}),
        ("put", f"/api/v1/teams/{data}/tags/pii", {"colour": "#aa0000"}),
    ]:
        r = getattr(bob, method)(url, json=json) if json is not None else getattr(bob, method)(url)
        assert r.status_code == 403, (method, url, r.status_code)
        assert "role" in r.get_json()["message"]
    assert bob.get(f"/api/v1/sources/{shop}").get_json()["name"] == "warehouse"


def test_a_curator_curates_but_cannot_see_or_change_credentials(teams, alice, bob):
    shop, data = teams["shop"], teams["data"]
    r = alice.patch(f"/api/v1/teams/{data}/members/{bob.id}", json={"role": "curator"})
    assert r.status_code == 200 and r.get_json()["role"] == "curator"
    assert bob.put(f"/api/v1/teams/{data}/tags/pii", json={"colour": "#aa0000"}).status_code == 200
    assert bob.patch(f"/api/v1/sources/{shop}", json={"password": "stolen"}).status_code == 403
    assert bob.post(f"/api/v1/sources/{shop}/test-connection", json={}).status_code == 403
    for url in ("/api/v1/sources", f"/api/v1/sources/{shop}"):
        body = bob.get(url).get_data(as_text=True)
        assert SECRET not in body and '"password"' not in body


def test_an_admin_of_both_teams_moves_a_source_and_others_cannot(teams, alice, bob, carol):
    shop, finance = teams["shop"], teams["finance"]
    r = alice.patch(f"/api/v1/sources/{shop}", json={"team_id": finance})
    assert r.status_code == 422 and "team_id" in r.get_json()["errors"]["json"]
    carol.post(f"/api/v1/teams/{finance}/members", json={"email": "alice@example.com", "role": "viewer"})
    r = alice.patch(f"/api/v1/sources/{shop}", json={"team_id": finance})
    assert r.status_code == 403 and "team_id" in r.get_json()["errors"]["json"]
    carol.patch(f"/api/v1/teams/{finance}/members/{alice.id}", json={"role": "admin"})
    r = alice.patch(f"/api/v1/sources/{shop}", json={"team_id": finance})
    assert r.status_code == 200 and r.get_json()["team_id"] == finance, r.get_json()
    assert bob.get(f"/api/v1/sources/{shop}").status_code == 404
    assert carol.get(f"/api/v1/sources/{shop}").status_code == 200


def test_bad_input_names_the_field(teams, alice):
    data = teams["data"]
    cases = [
        ("post", "/api/v1/teams", {"name": "a@b"}, "name"),
        ("post", "/api/v1/teams", {"name": ""}, "name"),
        ("post", f"/api/v1/teams/{data}/members", {"email": "carol@example.com", "role": "owner"}, "role"),
        ("post", f"/api/v1/teams/{data}/members", {"email": "nobody@example.com", "role": "viewer"}, "email"),
        ("post", f"/api/v1/teams/{data}/members", {"email": "not an email", "role": "viewer"}, "email"),
        ("patch", f"/api/v1/teams/{data}/members/1", {"role": "superuser"}, "role"),
        ("put", f"/api/v1/teams/{data}/tags/pii", {"colour": "red"}, "colour"),
        ("put", f"/api/v1/teams/{data}/tags/pii", {"colour": "#aa0000\n"}, "colour"),  # was a 500: too long to store
        ("post", "/api/v1/sources", source_body(team_id=999999), "team_id"),
    ]
    for method, url, json, field in cases:
        r = getattr(alice, method)(url, json=json)
        assert r.status_code == 422, (url, json, r.status_code)
        assert field in r.get_json()["errors"]["json"], (url, r.get_json())
    for tag in ("PII", "has space", "-lead", "a--b", "x" * 51, "pii%0A"):
        r = alice.put(f"/api/v1/teams/{data}/tags/{tag}", json={"colour": "#aa0000"})
        assert r.status_code == 422 and "tag" in r.get_json()["errors"]["path"], tag


def test_conflicts_are_409_and_say_why(teams, alice, bob):
    data = teams["data"]
    assert alice.post("/api/v1/teams", json={"name": "DATA"}).status_code == 409
    r = alice.post(f"/api/v1/teams/{data}/members", json={"email": "bob@example.com", "role": "admin"})
    assert r.status_code == 409 and "already a member" in r.get_json()["message"]
    r = alice.patch(f"/api/v1/teams/{data}/members/{alice.id}", json={"role": "viewer"})
    assert r.status_code == 409 and "last admin" in r.get_json()["message"]
    assert alice.delete(f"/api/v1/teams/{data}/members/{alice.id}").status_code == 409
    r = alice.delete(f"/api/v1/teams/{data}")
    assert r.status_code == 409 and "1 sources" in r.get_json()["message"]
    personal = alice.get("/api/v1/teams").get_json()["teams"][0]["id"]
    r = alice.post(f"/api/v1/teams/{personal}/members", json={"email": "bob@example.com", "role": "viewer"})
    assert r.status_code == 409


def test_a_member_leaves_and_loses_the_teams_sources(teams, bob):
    assert bob.delete(f"/api/v1/teams/{teams['data']}/members/{bob.id}").status_code == 204
    assert bob.get(f"/api/v1/sources/{teams['shop']}").status_code == 404
    assert bob.get(f"/api/v1/teams/{teams['data']}").status_code == 404


def test_tags_list_with_colours(teams, alice, bob):
    data = teams["data"]
    for name, colour in (("pii", "#b00020"), ("finance", "#1f4e79")):
        assert alice.put(f"/api/v1/teams/{data}/tags/{name}", json={"colour": colour}).status_code == 200
    assert [(t["name"], t["colour"]) for t in bob.get(f"/api/v1/teams/{data}/tags").get_json()["tags"]] == [
        ("finance", "#1f4e79"),
        ("pii", "#b00020"),
    ]
    assert alice.delete(f"/api/v1/teams/{data}/tags/pii").status_code == 204
    assert alice.delete(f"/api/v1/teams/{data}/tags/pii").status_code == 404
