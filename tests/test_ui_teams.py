"""Teams and roles in the web UI (Flask test client, cookie sessions, real
catalog), with three people in two teams: alice admins "data" (bob a
viewer there), carol admins "finance". What each sees: the teams page, the
team page's members and tags, the forms their role allows; another team's
pages are the 404 page, a POST above one's role the 403 page, and every
form works as a plain POST with its problems next to its fields."""

from __future__ import annotations

import re

import pytest

from .crawl_helpers import source_body
from .ui_helpers import Browser, error_of, register


def row_of(html: str, attr: str, value: str) -> str:
    """The <tr> or <li> of a member (data-member) or a tag (data-tag), as HTML."""
    m = re.search(rf'<(tr|li) data-{attr}="{re.escape(value)}">(.*?)</\1>', html, re.S)
    assert m, f"no {attr} {value} on the page"
    return m.group(2)


def team_id(r) -> int:
    """The id of the team a form created, from where it redirects."""
    assert r.status_code == 303, r.get_data(as_text=True)
    return int(re.search(r"/teams/(\d+)", r.headers["Location"]).group(1))


@pytest.fixture
def people(app):
    """alice, bob and carol, each signed in with a browser of their own."""
    return {name: register(app.test_client(), f"{name}@example.com") for name in ("alice", "bob", "carol")}


@pytest.fixture
def world(people):
    """ "data" (alice admin, bob viewer) with the source shop; "finance" (carol) with ledger."""
    alice, carol = people["alice"], people["carol"]
    data = team_id(alice.post("/teams", {"name": "data"}))
    finance = team_id(carol.post("/teams", {"name": "finance"}))
    r = alice.post(f"/teams/{data}/members", {"email": "bob@example.com", "role": "viewer"})
    assert r.status_code == 303
    shop = alice.api.post("/api/v1/sources", json=source_body(name="shop", team_id=data)).get_json()["id"]
    ledger = carol.api.post("/api/v1/sources", json=source_body(name="ledger", team_id=finance)).get_json()["id"]
    return {**people, "data": data, "finance": finance, "shop": shop, "ledger": ledger}


def test_the_teams_page_lists_your_teams_with_role_and_counts(world):
    html = world["bob"].get("/teams").get_data(as_text=True)
    assert '<a href="/teams">Teams</a>' in html  # in the navigation
    rows = re.findall(r"<tr><td><a href=\"/teams/(\d+)\">([^<]+)</a>.*?</tr>", html, re.S)
    assert [name for _, name in rows] == ["bob@example.com", "data"]  # personal first
    data_row = re.search(r'<a href="/teams/\d+">data</a>.*?</tr>', html, re.S).group(0)
    assert "role-viewer" in data_row and re.findall(r'class="n">(\d+)<', data_row) == ["2", "1"]
    assert "finance" not in html


def test_creating_a_team_shows_problems_next_to_the_name(people):
    alice = people["alice"]
    r = alice.post("/teams", {"name": ""})
    assert r.status_code == 422 and error_of(r.get_data(as_text=True), "name")
    r = alice.post("/teams", {"name": "has @ sign"})
    assert r.status_code == 422 and "no @" in error_of(r.get_data(as_text=True), "name")
    team_id(alice.post("/teams", {"name": "Data"}))
    r = alice.post("/teams", {"name": "data"})  # names are unique ignoring case
    assert r.status_code == 422 and "exists" in error_of(r.get_data(as_text=True), "name")
    assert 'value="data"' in r.get_data(as_text=True)  # the form keeps what was typed


def test_another_teams_pages_are_the_404_page(world):
    bob, carol = world["bob"], world["carol"]
    for url in (
        f"/teams/{world['finance']}",
        f"/sources/{world['ledger']}",
        f"/sources/{world['ledger']}/edit",
        f"/sources/{world['ledger']}/tables",
    ):
        r = bob.get(url)
        assert r.status_code == 404, url
        assert "<h1>Not found</h1>" in r.get_data(as_text=True)
    r = bob.post(f"/teams/{world['finance']}/members", {"email": "bob@example.com", "role": "admin"})
    assert r.status_code == 404
    assert carol.get(f"/teams/{world['data']}").status_code == 404
    assert "shop" not in carol.get("/sources").get_data(as_text=True)


def test_a_viewers_posts_are_the_403_page_and_change_nothing(world):
    bob, data, shop = world["bob"], world["data"], world["shop"]
    html = bob.get(f"/teams/{data}").get_data(as_text=True)
    assert "Add a member" not in html and "Add a tag" not in html and "Change role" not in html
    assert "Leave this team" in html
    alice_id = world["alice"].api.id
    for url, form in [
        (f"/teams/{data}/members", {"email": "carol@example.com", "role": "viewer"}),
        (f"/teams/{data}/members/{alice_id}/role", {"role": "viewer"}),
        (f"/teams/{data}/members/{alice_id}/remove", {}),
        (f"/teams/{data}/tags", {"tag": "pii", "colour": "#ff0000"}),
        (f"/sources/{shop}/crawl", {}),
        (f"/sources/{shop}/test", {}),
        (f"/sources/{shop}/delete", {}),
        (f"/sources/{shop}/edit", {"name": "mine now", "engine": "postgresql"}),
    ]:
        r = bob.post(url, form)
        assert r.status_code == 403, url
        page = r.get_data(as_text=True)
        assert "<h1>Not allowed</h1>" in page and "needs the" in page and "yours is viewer" in page, url
    html = bob.get(f"/teams/{data}").get_data(as_text=True)
    assert "carol@example.com" not in html and "pii" not in html
    assert "role-admin" in row_of(html, "member", "alice@example.com")
    assert bob.get(f"/sources/{shop}/edit").status_code == 403


def test_members_added_role_changed_and_removed_show_on_the_page(world):
    alice, bob, carol, data = world["alice"], world["bob"], world["carol"], world["data"]
    r = alice.post(f"/teams/{data}/members", {"email": "nobody@example.com", "role": "viewer"})
    assert r.status_code == 422 and "no account" in error_of(r.get_data(as_text=True), "email")
    r = alice.post(f"/teams/{data}/members", {"email": "BOB@example.com", "role": "viewer"})
    assert r.status_code == 422 and "already a member" in error_of(r.get_data(as_text=True), "email")
    r = alice.post(f"/teams/{data}/members", {"email": "carol@example.com", "role": "curator"})
    assert r.status_code == 303 and r.headers["Location"] == f"/teams/{data}#members"
    html = alice.get(f"/teams/{data}").get_data(as_text=True)
    assert '<option value="curator" selected>' in row_of(html, "member", "carol@example.com")
    # carol sees the team and its source now, with her role
    assert "role-curator" in re.search(r">data</a>.*?</tr>", carol.get("/teams").get_data(as_text=True), re.S).group(0)
    assert "shop" in carol.get("/sources").get_data(as_text=True)
    # bob becomes an admin
    bob_id = bob.api.id
    assert alice.post(f"/teams/{data}/members/{bob_id}/role", {"role": "admin"}).status_code == 303
    assert '<option value="admin" selected>' in row_of(
        alice.get(f"/teams/{data}").get_data(as_text=True), "member", "bob@example.com"
    )
    assert "Add a member" in bob.get(f"/teams/{data}").get_data(as_text=True)
    # bob removes carol
    assert bob.post(f"/teams/{data}/members/{carol.api.id}/remove").status_code == 303
    html = alice.get(f"/teams/{data}").get_data(as_text=True)
    assert "carol@example.com" not in html
    assert carol.get(f"/teams/{data}").status_code == 404


def test_the_last_admin_keeps_the_role_and_anyone_can_leave(world):
    alice, bob, data = world["alice"], world["bob"], world["data"]
    r = alice.post(f"/teams/{data}/members/{alice.api.id}/role", {"role": "viewer"})
    assert r.status_code == 409
    assert "last admin keeps the role" in re.search(r'role="alert">([^<]*)<', r.get_data(as_text=True)).group(1)
    r = alice.post(f"/teams/{data}/members/{alice.api.id}/remove")
    assert r.status_code == 409 and "last admin cannot leave" in r.get_data(as_text=True)
    r = bob.post(f"/teams/{data}/members/{bob.api.id}/remove")  # a viewer leaves
    assert r.status_code == 303 and r.headers["Location"] == "/teams"
    assert "data" not in re.findall(r'<a href="/teams/\d+">([^<]+)</a>', bob.get("/teams").get_data(as_text=True))
    assert bob.get(f"/teams/{data}").status_code == 404
    assert "bob@example.com" not in alice.get(f"/teams/{data}").get_data(as_text=True)


def test_tags_with_their_colours(world):
    alice, bob, carol, data = world["alice"], world["bob"], world["carol"], world["data"]
    r = alice.post(f"/teams/{data}/tags", {"tag": "Not A Tag", "colour": "red"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "lowercase-words" in error_of(html, "tag") and "#rrggbb" in error_of(html, "colour")
    r = alice.post(f"/teams/{data}/tags", {"tag": "pii", "colour": "#C62828", "description": "personal data"})
    assert r.status_code == 303 and r.headers["Location"] == f"/teams/{data}#tags"
    tag = row_of(bob.get(f"/teams/{data}").get_data(as_text=True), "tag", "pii")  # a viewer sees it
    assert 'style="background: #c62828; color: #ffffff">pii</span>' in tag and "personal data" in tag
    assert "<form" not in tag  # but has no form to change it
    # a curator changes its colour, then removes it
    alice.post(f"/teams/{data}/members", {"email": "carol@example.com", "role": "curator"})
    assert carol.post(f"/teams/{data}/tags", {"tag": "pii", "colour": "#ffe082"}).status_code == 303
    tag = row_of(carol.get(f"/teams/{data}").get_data(as_text=True), "tag", "pii")
    assert 'style="background: #ffe082; color: #000000">pii</span>' in tag
    assert carol.post(f"/teams/{data}/tags/pii/delete").status_code == 303
    assert 'data-tag="pii"' not in carol.get(f"/teams/{data}").get_data(as_text=True)
    assert carol.post(f"/teams/{data}/tags/pii/delete").status_code == 409


def test_htmx_posts_get_the_page_to_swap_and_problems_with_422(world):
    alice, data = world["alice"], world["data"]
    hx = {"HX-Request": "true"}
    r = alice.post(f"/teams/{data}/members", {"email": "nobody@example.com", "role": "viewer"}, headers=hx)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="team"' in html and "no account" in error_of(html, "email")
    form = re.search(r'<form method="post" action="/teams/\d+/members" hx-post="[^"]+"', html)
    assert form and 'hx-select="#team"' in html


def test_a_personal_team_has_no_member_forms(people):
    alice = people["alice"]
    html = alice.get("/teams").get_data(as_text=True)
    personal = re.search(r'<a href="/teams/(\d+)">alice@example.com</a>', html).group(1)
    html = alice.get(f"/teams/{personal}").get_data(as_text=True)
    assert "Add a member" not in html and "Leave this team" not in html and "Create a team" in html
    r = alice.post(f"/teams/{personal}/members", {"email": "bob@example.com", "role": "viewer"})
    assert r.status_code == 409 and "personal team has one member" in r.get_data(as_text=True)


def test_a_form_without_its_csrf_value_changes_nothing(world):
    alice: Browser = world["alice"]
    r = alice.post("/teams", {"name": "sneaky"}, csrf=False)
    assert r.status_code == 400 and "This form has expired" in r.get_data(as_text=True)
    assert "sneaky" not in alice.get("/teams").get_data(as_text=True)


def test_a_new_source_goes_to_a_team_you_admin(world, app):
    alice, bob, data = world["alice"], world["bob"], world["data"]
    html = alice.get("/sources/new").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]+)</option>', html)
    assert [(name, bool(sel)) for _, sel, name in options] == [("alice@example.com (personal)", True), ("data", False)]
    # bob is a viewer of data: only his personal team is offered, and data is refused
    html = bob.get("/sources/new").get_data(as_text=True)
    assert [name for _, _, name in re.findall(r'<option value="(\d+)"( selected)?>([^<]+)</option>', html)] == [
        "bob@example.com (personal)"
    ]
    form = {"name": "sneaky", "engine": "sqlite", "shown_engine": "sqlite", "path": "/nowhere.db", "team_id": data}
    r = bob.post("/sources/new", form)
    assert r.status_code == 422 and "teams where you are an admin" in error_of(r.get_data(as_text=True), "team_id")


def test_sources_show_their_team_and_pages_only_what_the_role_allows(world):
    alice, bob, shop = world["alice"], world["bob"], world["shop"]
    listed = re.search(r'<a href="/sources/\d+">shop</a>.*?</tr>', bob.get("/sources").get_data(as_text=True), re.S)
    assert f'<a href="/teams/{world["data"]}">data</a>' in listed.group(0) and "viewer" in listed.group(0)
    html = bob.get(f"/sources/{shop}").get_data(as_text=True)
    team = r'<dt>Team</dt><dd><a href="/teams/\d+">data</a> · your role <span class="badge role-viewer"'
    assert re.search(team, html)
    for hidden in ("Crawl now", "Test connection", ">Settings</a>", f"/sources/{shop}/edit"):
        assert hidden not in html, hidden
    assert "need the admin role" in html
    assert f"/sources/{shop}/edit" not in bob.get(f"/sources/{shop}/tables").get_data(as_text=True)
    html = alice.get(f"/sources/{shop}").get_data(as_text=True)
    assert "Crawl now" in html and "Test connection" in html and ">Settings</a>" in html and "role-admin" in html
