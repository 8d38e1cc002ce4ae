"""Insights in the web UI (Flask test client, a PostgreSQL target crawled
twice by a real worker): the insights page's findings grouped by severity
and rule with their explanations, fixes and coverage; a table's findings on
its page; ignore and un-ignore; the inferred keys a curator accepts or
rejects; the change feed's hazard badges and filter. alice admins "data"
(bob a viewer, carol a curator); dave is in no team of hers."""

from __future__ import annotations

import re
from html import unescape

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import wait_for_insights
from .insight_helpers import BAD_PG
from .targets import pg_database, pg_execute, pg_params
from .ui_helpers import team_of_four
from .ui_helpers import ui_app as ui_app  # the module fixture

pytestmark = pytest.mark.shared_catalog

TARGET = (
    BAD_PG
    + """
CREATE TABLE customer (id bigint PRIMARY KEY, name text);
CREATE TABLE invoice (id bigint PRIMARY KEY, customer_id bigint);
CREATE TABLE artist (id bigint PRIMARY KEY);
CREATE TABLE album (id bigint PRIMARY KEY, artist_id bigint);
CREATE TABLE "<b>odd</b>" (a int);
CREATE TABLE "star*k" (a int);
CREATE TABLE "starXk" (a int);
"""
    + "".join(f"CREATE TABLE extra_{i:02d} (id bigint PRIMARY KEY);\n" for i in range(60))  # pages of findings
)
# the second crawl: one breaking change (a column removed), one safe (a nullable column added)
ALTER = """ALTER TABLE parent DROP COLUMN "order"; ALTER TABLE customer ADD COLUMN note text;"""


@pytest.fixture(scope="module")
def shop(ui_app, worker):
    people, data = team_of_four(ui_app, "insights.example")
    alice = people["alice"]
    p = pg_params()
    with pg_database("mc_ui_insights") as target:
        pg_execute(target, TARGET)
        body = {
            "name": "shop",
            "engine": "postgresql",
            "host": p["host"],
            "port": p["port"],
            "database": target,
            "username": p["username"],
            "password": "pw-insights",
            "team_id": data,
        }
        r = alice.api.post("/api/v1/sources", json=body)
        assert r.status_code == 201, r.get_json()
        source = r.get_json()
        assert wait_for_crawl(alice.api, source["crawl"]["url"])["state"] == "succeeded"
        wait_for_insights(alice.api, source["id"], source["crawl"]["id"])
        pg_execute(target, ALTER)
        crawl = alice.api.post(f"/api/v1/sources/{source['id']}/crawls").get_json()
        assert wait_for_crawl(alice.api, crawl["url"])["state"] == "succeeded"
        wait_for_insights(alice.api, source["id"], crawl["id"])
    return {**people, "source": source["id"]}


def text_of(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def section(html: str, ident: str) -> str:
    m = re.search(rf'<section id="{ident}">(.*?)</section>', html, re.S)
    assert m, f"no section {ident}"
    return m.group(1)


def rule_block(html: str, rule: str) -> str:
    m = re.search(rf'<div class="rule" id="rule-{rule}">(.*?)</div>', html, re.S)
    assert m, f"no rule {rule} on the page"
    return m.group(1)


def api_insights(user, source, query=""):
    r = user.api.get(f"/api/v1/sources/{source}/insights?limit=500{query}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_insights_page_groups_findings_with_their_explanation_fix_and_coverage(shop):
    bob, source = shop["bob"], shop["source"]
    r = bob.get(f"/sources/{source}")
    assert f'href="/sources/{source}/insights"' in r.get_data(as_text=True)  # linked from the source page
    r = bob.get(f"/sources/{source}/insights")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    api = api_insights(bob, source)
    findings = section(html, "findings")
    # severities in order, each rule under its own with its count and explanation
    severities = re.findall(r'<span class="badge severity-(\w+)">', findings)
    assert severities == sorted(set(severities), key=["error", "warning", "info"].index)
    for rule, count in api["counts"].items():
        block = rule_block(findings, rule)
        assert f"{count:,} finding" in text_of(block)
    nopk = rule_block(findings, "no_primary_key")
    assert "public.nopk" in text_of(nopk)
    assert f'href="/sources/{source}/table?schema=public&amp;name=nopk"' in nopk  # the object links to its table
    dup = rule_block(findings, "duplicate_index")
    fix = re.search(r'<pre class="sql" id="(fix-\d+)"><code>(.*?)</code></pre>', dup, re.S)
    assert fix and "DROP INDEX" in unescape(fix.group(2))
    assert f'data-copy="#{fix.group(1)}"' in dup  # its copy button
    # a hostile table name is text, never markup
    assert "&lt;b&gt;odd&lt;/b&gt;" in findings and "<b>odd</b>" not in html
    # coverage as the API computes it
    cov = api["coverage"]
    shown = text_of(section(html, "coverage"))
    assert f"{cov['tables_documented']} of {cov['tables']}" in shown
    assert f"{cov['columns_documented']} of {cov['columns']}" in shown
    # a viewer reads, but has no ignore buttons
    assert "/insights/ignore" not in html


def test_a_rule_page_pages_through_all_its_findings(shop):
    bob, source = shop["bob"], shop["source"]
    html = bob.get(f"/sources/{source}/insights").get_data(as_text=True)
    block = rule_block(html, "table_without_comment")
    assert len(re.findall(r'<li class="finding"', block)) == 10  # a few on the whole page
    assert "?rule=table_without_comment" in block
    expected = {f["object"] for f in api_insights(bob, source, "&rule=table_without_comment")["findings"]}
    assert len(expected) > 60
    url, seen = f"/sources/{source}/insights?rule=table_without_comment", set()
    while url:
        page = bob.get(url).get_data(as_text=True)
        seen |= set(
            unescape(o) for o in re.findall(r'<li class="finding" id="finding-\d+">\s*(?:<a[^>]*>)?<code>([^<]*)', page)
        )
        more = re.search(r'<a rel="next" href="\?([^"]+)">', page)
        url = f"/sources/{source}/insights?{unescape(more.group(1))}" if more else None
    assert seen == expected


def test_a_table_page_shows_that_tables_findings(shop):
    bob, source = shop["bob"], shop["source"]
    html = bob.get(f"/sources/{source}/table?schema=public&name=child").get_data(as_text=True)
    mine = section(html, "findings")
    api = {f["rule"] for f in api_insights(bob, source, "&table=child")["findings"]}
    assert {"duplicate_index", "fk_without_index"} <= api
    for rule in api:
        assert f"<code>{rule}</code>" in mine
    assert re.search(r'data-copy="#fix-\d+"', mine)
    other = section(bob.get(f"/sources/{source}/table?schema=public&name=nopk").get_data(as_text=True), "findings")
    assert "no_primary_key" in other and "duplicate_index" not in other


def test_a_curator_ignores_a_finding_and_takes_it_off_the_list(shop):
    carol, source = shop["carol"], shop["source"]
    html = carol.get(f"/sources/{source}/insights").get_data(as_text=True)
    assert "public.nopk" in text_of(rule_block(html, "no_primary_key"))
    r = carol.post(f"/sources/{source}/insights/ignore", {"rule": "no_primary_key", "pattern": "public.nopk"})
    assert r.status_code == 303
    html = carol.get(r.headers["Location"]).get_data(as_text=True)
    assert "The finding is ignored." in html
    assert "public.nopk" not in text_of(section(html, "findings"))
    assert "no_primary_key on public.nopk" in text_of(section(html, "ignored"))
    api = api_insights(carol, source, "&rule=no_primary_key")
    assert "public.nopk" not in {f["object"] for f in api["findings"]}
    ignore = carol.api.get(f"/api/v1/sources/{source}/insights/ignore").get_json()["ignore"]
    assert {"rule": "no_primary_key", "pattern": "public.nopk"} in ignore
    table = section(carol.get(f"/sources/{source}/table?schema=public&name=nopk").get_data(as_text=True), "findings")
    assert "no_primary_key" not in table
    r = carol.post(f"/sources/{source}/insights/unignore", {"rule": "no_primary_key", "pattern": "public.nopk"})
    assert r.status_code == 303
    html = carol.get(r.headers["Location"]).get_data(as_text=True)
    assert "public.nopk" in text_of(rule_block(html, "no_primary_key"))
    assert carol.api.get(f"/api/v1/sources/{source}/insights/ignore").get_json()["ignore"] == []


def test_ignoring_a_finding_on_a_name_with_a_star_ignores_it_alone(shop):
    carol, source = shop["carol"], shop["source"]
    block = rule_block(carol.get(f"/sources/{source}/insights").get_data(as_text=True), "no_primary_key")
    # the pattern the finding's own Ignore button sends
    pattern = unescape(re.search(r'name="pattern" value="(public\.star[^"]*k)"', block).group(1))
    assert pattern == "public.star\\*k"
    assert (
        carol.post(f"/sources/{source}/insights/ignore", {"rule": "no_primary_key", "pattern": pattern}).status_code
        == 303
    )
    objects = {f["object"] for f in api_insights(carol, source, "&rule=no_primary_key")["findings"]}
    assert "public.star*k" not in objects and "public.starXk" in objects
    assert (
        carol.post(f"/sources/{source}/insights/unignore", {"rule": "no_primary_key", "pattern": pattern}).status_code
        == 303
    )
    objects = {f["object"] for f in api_insights(carol, source, "&rule=no_primary_key")["findings"]}
    assert {"public.star*k", "public.starXk"} <= objects


def test_unignoring_what_is_not_ignored_is_404(shop):
    r = shop["carol"].post(f"/sources/{shop['source']}/insights/unignore", {"rule": "no_primary_key", "pattern": "x.y"})
    assert r.status_code == 404 and "is not on the ignore list" in r.get_data(as_text=True)


def test_a_bad_rule_is_refused_naming_the_field(shop):
    r = shop["carol"].post(f"/sources/{shop['source']}/insights/ignore", {"rule": "nope", "pattern": "public.nopk"})
    assert r.status_code == 422 and "rule: must be" in r.get_data(as_text=True)


def test_an_empty_pattern_is_refused_naming_the_field(shop):
    r = shop["carol"].post(f"/sources/{shop['source']}/insights/ignore", {"rule": "no_primary_key", "pattern": ""})
    assert r.status_code == 422 and "pattern: a glob" in r.get_data(as_text=True)


def _candidate(user, source, table) -> dict:
    rows = user.api.get(f"/api/v1/sources/{source}/inferred-keys?limit=100").get_json()["inferred_keys"]
    return next(c for c in rows if c["table"] == table)


def test_inferred_keys_show_their_evidence_and_a_curator_accepts_and_rejects(shop):
    carol, bob, source = shop["carol"], shop["bob"], shop["source"]
    invoice, album = _candidate(carol, source, "invoice"), _candidate(carol, source, "album")
    html = bob.get(f"/sources/{source}/inferred-keys").get_data(as_text=True)
    row = re.search(rf'<tr id="inferred-{invoice["id"]}">(.*?)</tr>', html, re.S).group(1)
    assert "public.invoice . customer_id" in text_of(row).replace(".customer_id", " . customer_id")
    assert "public.customer" in text_of(row) and invoice["reason"] in text_of(row)
    assert f'href="/sources/{source}/table?schema=public&amp;name=customer"' in row
    assert "/accept" not in html  # a viewer decides nothing
    r = carol.post(f"/sources/{source}/inferred-keys/{invoice['id']}/accept", {"back": "undecided"})
    assert r.status_code == 303
    html = carol.get(r.headers["Location"]).get_data(as_text=True)
    assert "The inferred key was accepted." in html and f'id="inferred-{invoice["id"]}"' not in html
    r = carol.post(f"/sources/{source}/inferred-keys/{album['id']}/reject", {"back": "undecided"})
    assert r.status_code == 303
    accepted = carol.get(f"/sources/{source}/inferred-keys?decision=accepted").get_data(as_text=True)
    assert f'id="inferred-{invoice["id"]}"' in accepted and f'id="inferred-{album["id"]}"' not in accepted
    assert _candidate(carol, source, "invoice")["decision"] == "accepted"
    assert _candidate(carol, source, "album")["decision"] == "rejected"


def test_a_notice_shows_only_what_happened(shop):
    bob, source = shop["bob"], shop["source"]
    html = bob.get(f"/sources/{source}/inferred-keys?done=hacked%20by%20someone").get_data(as_text=True)
    assert "hacked" not in html and 'class="notice"' not in html
    html = bob.get(f"/sources/{source}/insights?done=whatever").get_data(as_text=True)
    assert 'class="notice"' not in html


def test_deciding_an_unknown_candidate_is_404(shop):
    r = shop["carol"].post(f"/sources/{shop['source']}/inferred-keys/999999/accept")
    assert r.status_code == 404 and "no inferred key 999999" in r.get_data(as_text=True)


def test_a_viewer_gets_403_on_every_form(shop):
    bob, source = shop["bob"], shop["source"]
    candidate = _candidate(bob, source, "invoice")
    for url, form in (
        (f"/sources/{source}/insights/ignore", {"rule": "no_primary_key", "pattern": "public.nopk"}),
        (f"/sources/{source}/insights/unignore", {"rule": "no_primary_key", "pattern": "public.nopk"}),
        (f"/sources/{source}/inferred-keys/{candidate['id']}/accept", {}),
        (f"/sources/{source}/inferred-keys/{candidate['id']}/reject", {}),
    ):
        r = bob.post(url, form)
        assert r.status_code == 403, url
    assert bob.api.get(f"/api/v1/sources/{source}/insights/ignore").get_json()["ignore"] == []
    assert _candidate(bob, source, "invoice")["decision"] == candidate["decision"]


def test_another_users_source_is_the_404_page(shop):
    dave, source = shop["dave"], shop["source"]
    for url in (f"/sources/{source}/insights", f"/sources/{source}/inferred-keys"):
        r = dave.get(url)
        assert r.status_code == 404 and "Not found" in r.get_data(as_text=True), url
    r = dave.post(f"/sources/{source}/insights/ignore", {"rule": "no_primary_key", "pattern": "public.nopk"})
    assert r.status_code == 404
    assert dave.post(f"/sources/{source}/inferred-keys/1/accept").status_code == 404


def test_a_forged_form_without_csrf_is_refused(shop):
    carol, source = shop["carol"], shop["source"]
    r = carol.post(f"/sources/{source}/insights/ignore", {"rule": "*", "pattern": "*"}, csrf=False)
    assert r.status_code == 400 and "This form has expired" in r.get_data(as_text=True)
    assert carol.api.get(f"/api/v1/sources/{source}/insights/ignore").get_json()["ignore"] == []
    r = carol.post(f"/sources/{source}/inferred-keys/{_candidate(carol, source, 'album')['id']}/accept", csrf=False)
    assert r.status_code == 400


def test_the_change_feed_shows_hazard_badges_with_reasons_and_filters_by_them(shop):
    bob, source = shop["bob"], shop["source"]
    html = bob.get(f"/sources/{source}/changes").get_data(as_text=True)
    items = html.split('<li><span class="badge event-')[1:]  # one change each
    parent = next(i for i in items if ">public.parent</a>" in i)
    assert '<span class="badge hazard-breaking">breaking</span>' in parent
    assert "column order removed" in text_of(parent)
    assert f'href="/sources/{source}/table?schema=public&amp;name=parent"' in parent
    customer = next(i for i in items if ">public.customer</a>" in i)
    assert '<span class="badge hazard-safe">safe</span>' in customer and "column note added" in text_of(customer)
    for hazard in ("breaking", "safe"):
        page = bob.get(f"/sources/{source}/changes?hazard={hazard}").get_data(as_text=True)
        api = bob.api.get(f"/api/v1/sources/{source}/changes?hazard={hazard}").get_json()["changes"]
        assert api and len(re.findall(r'<span class="badge hazard-', page)) == len(api)
        assert all(f"badge hazard-{hazard}" in i for i in re.findall(r'<span class="badge hazard-\w+">', page))
        assert f'<option value="{hazard}" selected>' in page
    risky = bob.get(f"/sources/{source}/changes?hazard=risky").get_data(as_text=True)
    assert "No changes labelled risky" in risky
