"""Curation in the web UI (Flask test client, a SQLite source crawled by a
real worker): descriptions, tags and owners of the source, a schema, a
table and its columns, as a curator edits them with plain forms (POST,
redirect) or htmx fragments, what viewers see, the history of a
description, and the page of a tag. alice admins "data" (bob a viewer,
carol a curator); dave is in no team of hers."""

from __future__ import annotations

import re
from html import unescape

import pytest

from .crawl_helpers import sqlite_file
from .ui_helpers import crawl_done, team_of_four

HX = {"HX-Request": "true"}


@pytest.fixture
def shop(app, worker, files_dir):
    people, data = team_of_four(app)
    alice = people["alice"]
    alice.post(f"/teams/{data}/tags", {"tag": "pii", "colour": "#c62828"})
    alice.post(f"/teams/{data}/tags", {"tag": "finance", "colour": "#ffe082"})
    form = {"name": "shop", "engine": "sqlite", "shown_engine": "sqlite", "path": sqlite_file(files_dir)}
    r = alice.post("/sources/new", {**form, "team_id": data, "schedule": ""})
    assert r.status_code == 303, r.get_data(as_text=True)
    crawl_done(alice.client, int(r.headers["Location"].rsplit("/", 1)[1]))
    source = int(re.search(r'href="/sources/(\d+)"', alice.get("/sources").get_data(as_text=True)).group(1))
    orders = f"/sources/{source}/table?schema=main&name=orders"
    html = alice.get(orders).get_data(as_text=True)
    table = int(re.search(r"/curation/edit\?table=(\d+)\"", html).group(1))
    return {**people, "source": source, "orders": orders, "table": table, "data": data}


def box_of(html: str, kind: str, nth: int = 0) -> str:
    """The text of the nth curation box (data-curation=kind) on a page, tags and all."""
    pattern = rf'<div class="curation[^"]*" id="\w+" data-curation="{kind}">(.*?<p class="curation-actions">.*?</p>)'
    boxes = re.findall(pattern, html, re.S)
    assert len(boxes) > nth, f"no {kind} box"
    return boxes[nth]


def text_of(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_a_curator_describes_a_table_with_a_plain_form(shop):
    carol, bob, source, table = shop["carol"], shop["bob"], shop["source"], shop["table"]
    html = carol.get(shop["orders"]).get_data(as_text=True)
    assert "No description yet." in text_of(box_of(html, "table"))
    edit = carol.get(f"/sources/{source}/curation/edit?table={table}")
    page = edit.get_data(as_text=True)
    assert edit.status_code == 200 and "Describe table main.orders" in page and 'name="description"' in page
    r = carol.post(
        f"/sources/{source}/curation?table={table}",
        {
            "description": "**Orders** of the shop <script>alert(1)</script>",
            "tags": ["pii", "finance"],
            "owners": "alice@example.com, team:data",
        },
    )
    assert r.status_code == 303 and r.headers["Location"] == shop["orders"]
    html = bob.get(shop["orders"]).get_data(as_text=True)  # a viewer sees it, rendered and safe
    shown = box_of(html, "table")
    assert "<strong>Orders</strong> of the shop &lt;script&gt;" in shown and "<script>" not in shown
    assert 'href="/tags/finance" style="background: #ffe082' in shown and 'href="/tags/pii"' in shown
    assert "Owners: alice@example.com, team data" in text_of(shown)
    assert "Edit" not in text_of(shown)  # a viewer cannot edit
    history = re.search(r'<section id="curation-history">(.*?)</section>', html, re.S).group(1)
    assert "carol@example.com changed the description" in text_of(history)
    assert "carol@example.com changed the tags: (none) → finance, pii" in text_of(history)


def test_problems_are_shown_next_to_their_field_with_422(shop):
    carol, source, table = shop["carol"], shop["source"], shop["table"]
    url = f"/sources/{source}/curation?table={table}"
    r = carol.post(url, {"description": "kept", "tags": ["gdpr"]})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "not in the team's tag list: gdpr" in text_of(
        re.search(r'id="e-tags-\w+">(.*?)</p>', page).group(1)
    )
    assert ">kept</textarea>" in page  # what was typed stays
    r = carol.post(url, {"description": "x" * 20_001})
    assert r.status_code == 422 and re.search(
        r'id="e-description-\w+">a description is at most 20000', r.get_data(as_text=True)
    )
    r = carol.post(url, {"owners": "dave@example.com"})
    assert r.status_code == 422 and "not a member of the source's team" in text_of(r.get_data(as_text=True))
    r = carol.post(url, {"owners": "x"}, headers=HX)  # htmx: the form fragment comes back
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and page.lstrip().startswith("<form") and "an owner is user:" in page
    assert "No description yet." in carol.get(shop["orders"]).get_data(as_text=True)  # nothing was saved


def test_htmx_swaps_the_form_in_and_the_description_back(shop):
    alice, source, table = shop["alice"], shop["source"], shop["table"]
    form = alice.get(f"/sources/{source}/curation/edit?column=customer_id&table={table}", headers=HX)
    fragment = form.get_data(as_text=True)
    assert fragment.lstrip().startswith("<form") and 'hx-post="/sources/' in fragment and "<html" not in fragment
    r = alice.post(
        f"/sources/{source}/curation?table={table}&column=customer_id", {"description": "Who _ordered_."}, headers=HX
    )
    fragment = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-curation="column"' in fragment and "<em>ordered</em>" in fragment
    html = alice.get(shop["orders"]).get_data(as_text=True)
    row = re.search(r"<tr><td class=\"n\">\d+</td>\s*<td><strong>customer_id</strong>.*?</tr>", html, re.S).group(0)
    assert "Who <em>ordered</em>." in row
    cancel = alice.get(f"/sources/{source}/curation?table={table}&column=customer_id", headers=HX)
    assert "<em>ordered</em>" in cancel.get_data(as_text=True)


def test_source_and_schema_descriptions(shop):
    alice, bob, source = shop["alice"], shop["bob"], shop["source"]
    assert (
        alice.post(f"/sources/{source}/curation", {"description": "The shop's database."}).headers["Location"]
        == f"/sources/{source}"
    )
    assert "The shop's database." in text_of(box_of(bob.get(f"/sources/{source}").get_data(as_text=True), "source"))
    r = alice.post(f"/sources/{source}/curation?schema=main", {"description": "Everything", "tags": ["finance"]})
    assert r.headers["Location"] == f"/sources/{source}/tables?schema=main"
    shown = box_of(bob.get(f"/sources/{source}/tables?schema=main").get_data(as_text=True), "schema")
    assert "Everything" in shown and "finance" in shown
    r = alice.post(f"/sources/{source}/curation?schema=nowhere", {"description": "x"})
    assert r.status_code == 404
    history = bob.get(f"/sources/{source}/curation/history?schema=main").get_data(as_text=True)
    assert "History of this description" in history and "alice@example.com changed the tags" in text_of(history)


def test_viewers_and_other_teams_cannot_curate(shop):
    bob, dave, source, table = shop["bob"], shop["dave"], shop["source"], shop["table"]
    for url in (f"/sources/{source}/curation/edit?table={table}",):
        assert bob.get(url).status_code == 403
        assert dave.get(url).status_code == 404
    r = bob.post(f"/sources/{source}/curation?table={table}", {"description": "mine"})
    assert r.status_code == 403 and "<h1>Not allowed</h1>" in r.get_data(as_text=True)
    r = dave.post(f"/sources/{source}/curation?table={table}", {"description": "mine"})
    assert r.status_code == 404 and "<h1>Not found</h1>" in r.get_data(as_text=True)
    assert dave.get(f"/sources/{source}/curation/history?table={table}").status_code == 404
    assert "mine" not in bob.get(shop["orders"]).get_data(as_text=True)


def test_the_tag_page_lists_what_carries_it_in_your_teams(shop):
    alice, bob, dave, source, table = shop["alice"], shop["bob"], shop["dave"], shop["source"], shop["table"]
    alice.post(f"/sources/{source}/curation?table={table}", {"tags": ["pii"]})
    alice.post(
        f"/sources/{source}/curation?table={table}&column=customer_id", {"tags": ["pii"], "description": "buyer"}
    )
    html = bob.get("/tags/pii").get_data(as_text=True)
    rows = [text_of(r) for r in re.findall(r"<tr><td>.*?</tr>", html, re.S)]
    assert rows == ["table main.orders shop", "column main.orders.customer_id shop buyer"]
    assert f'href="/sources/{source}/table?schema=main&amp;name=orders#columns"' in html
    assert "Nothing carries this tag" in dave.get("/tags/pii").get_data(as_text=True)
    # the tag chip on the table page leads there; the tables list shows it too
    assert 'href="/tags/pii"' in bob.get(f"/sources/{source}/tables?schema=main").get_data(as_text=True)
    # a tag the team drops is taken off what carried it
    assert alice.post(f"/teams/{shop['data']}/tags/pii/delete").status_code == 303
    assert "Nothing carries this tag" in bob.get("/tags/pii").get_data(as_text=True)


def test_the_search_page_filters_by_tag_and_shows_descriptions_and_tags(shop):
    alice, bob, dave, source, table = shop["alice"], shop["bob"], shop["dave"], shop["source"], shop["table"]
    alice.post(f"/sources/{source}/curation?table={table}", {"tags": ["pii"], "description": "What was bought"})
    html = bob.get("/search", query_string={"q": "tag:pii"}).get_data(as_text=True)
    hits = [text_of(h) for h in re.findall(r"<li><a .*?</li>", html, re.S)]
    assert len(hits) == 1 and "main.orders" in hits[0] and "pii" in hits[0], hits
    assert "What was bought" in hits[0]
    assert 'class="tag" style="background: #c62828' in html
    html = bob.get("/search", query_string={"q": "bought"}).get_data(as_text=True)
    assert "main.orders" in text_of(html) and "description" in text_of(html)
    assert "Nothing matches" in dave.get("/search", query_string={"q": "tag:pii"}).get_data(as_text=True)
