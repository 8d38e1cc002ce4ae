"""A source's routines, sequences, triggers, enums, extensions and domains in
the web UI (Flask test client; a PostgreSQL and a MariaDB target crawled by a
real worker): what each kind's page shows, its filters and pages, the
highlighted bodies, search hits linked to an object's anchor, hostile names
as text, another user's source a 404. alice admins "data" (bob a viewer);
dave is in no team of hers."""

from __future__ import annotations

import re
from html import unescape

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import ROUTINES_PG_TARGET, SECRET, mariadb_reader, mariadb_source
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute, pg_params
from .ui_helpers import error_of, team_of_four
from .ui_helpers import ui_app as ui_app  # the module fixture

pytestmark = pytest.mark.shared_catalog

HOSTILE = """<script>alert('x')</script>"""
PG_TARGET = (
    ROUTINES_PG_TARGET
    + f"""
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
COMMENT ON TYPE app.mood IS 'How it feels';
CREATE DOMAIN app.price AS numeric(10,2) DEFAULT 0 NOT NULL CONSTRAINT price_positive CHECK (VALUE >= 0);
ALTER TABLE app.items ADD COLUMN mood app.mood, ADD COLUMN cost app.price;
CREATE COLLATION app.bytewise FROM "C";
COMMENT ON COLLATION app.bytewise IS 'Byte by byte';
CREATE TEXT SEARCH CONFIGURATION app.plain (COPY = pg_catalog.simple);
COMMENT ON TEXT SEARCH CONFIGURATION app.plain IS 'Plain words';
CREATE FUNCTION app."{HOSTILE}"() RETURNS text LANGUAGE sql
    AS $$ SELECT '<script>alert("body")</script>'::text $$;
"""
)


def crawled(user, body: dict) -> int:
    r = user.api.post("/api/v1/sources", json=body)
    assert r.status_code == 201, r.get_json()
    source = r.get_json()
    assert wait_for_crawl(user.api, source["crawl"]["url"])["state"] == "succeeded"
    return source["id"]


@pytest.fixture(scope="module")
def shop(ui_app, worker):
    people, data = team_of_four(ui_app, "objects.example")
    p = pg_params()
    with pg_database("mc_ui_objects") as target:
        pg_execute(target, PG_TARGET)
        body = {"name": "shop", "engine": "postgresql", "host": p["host"], "port": p["port"], "database": target}
        sid = crawled(people["alice"], {**body, "username": p["username"], "password": SECRET, "team_id": data})
    return {**people, "source": sid}


KINDS = (
    "routines",
    "sequences",
    "triggers",
    "enums",
    "extensions",
    "domains",
    "collations",
    "text_search_configurations",
)


def html_of(user, url: str, status: int = 200) -> str:
    r = user.get(url)
    assert r.status_code == status, r.get_data(as_text=True)[:2000]
    return r.get_data(as_text=True)


def text_of(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def code_of(fragment: str) -> str:
    """Highlighted code as the reader sees it: the text of its spans, joined."""
    return unescape(re.sub(r"<[^>]+>", "", fragment))


def block(html: str, ident: str) -> str:
    """The article or table row with this id."""
    m = re.search(rf'<(article|tr) (?:class="object" )?id="{re.escape(ident)}">(.*?)</\1>', html, re.S)
    assert m, f"no object {ident} on the page"
    return m.group(2)


def anchors(html: str) -> list[str]:
    return re.findall(r'<(?:article class="object"|tr) id="([^"]+)"', html)


def test_the_routines_page_shows_each_signature_and_its_highlighted_body(shop):
    bob, sid = shop["bob"], shop["source"]
    html = html_of(bob, f"/sources/{sid}/routines")
    assert anchors(html) == [
        "routine-app-%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E-",
        "routine-app-add-a%20integer%2C%20b%20integer",
        "routine-app-add-a%20numeric%2C%20b%20numeric",
        "routine-app-archive-IN%20days%20integer",
        "routine-app-touch-",
    ]
    add = block(html, "routine-app-add-a%20integer%2C%20b%20integer")
    assert text_of(add).startswith(
        "app.add(a integer, b integer) function Returns integer Language sql Volatility immutable Adds two integers"
    )
    # the body highlighted by Pygments: keywords and strings in their own spans, in a box of its own
    body = re.search(r'<div class="hl"><pre>(.*?)</pre></div>', add, re.S)
    assert body, add
    assert '<span class="k">CREATE</span>' in body.group(1) and '<span class="k">FUNCTION</span>' in body.group(1)
    assert "CREATE OR REPLACE FUNCTION app.add(a integer, b integer)" in code_of(body.group(1))
    assert "SELECT a + b" in code_of(body.group(1))
    touch = block(html, "routine-app-touch-")
    assert "Returns trigger Language plpgsql Volatility volatile" in text_of(touch)
    assert "NEW.updated_at := now();" in code_of(touch)  # the plpgsql body inside the $$ quotes
    archive = block(html, "routine-app-archive-IN%20days%20integer")
    assert "procedure Returns — Language plpgsql" in text_of(archive)


def test_a_hostile_routine_name_and_body_are_text(shop):
    alice, sid = shop["alice"], shop["source"]
    html = html_of(alice, f"/sources/{sid}/routines")
    # no element from the target's text: Pygments escapes & < > (quotes are text in a text node), Jinja all five
    assert "<script>alert" not in html and "</script>'" not in html and '</script>"' not in html
    hostile = block(html, "routine-app-%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E-")
    assert "<code>app.&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;()</code>" in hostile
    assert """<span class="s1">'&lt;script&gt;alert("body")&lt;/script&gt;'</span>""" in hostile  # Pygments'
    assert """SELECT '<script>alert("body")</script>'::text""" in code_of(hostile)
    assert text_of(hostile).startswith(f"app.{HOSTILE}() function Returns text")
    # search shows it escaped too, linked to its anchor
    found = html_of(alice, "/search?q=script")
    assert "<script>alert" not in found
    assert "#routine-app-%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E-" in found


def test_routines_filter_by_name_schema_and_kind(shop):
    bob, sid = shop["bob"], shop["source"]
    page = f"/sources/{sid}/routines"
    assert [a.split("-")[2] for a in anchors(html_of(bob, f"{page}?q=ADD"))] == ["add", "add"]
    assert anchors(html_of(bob, f"{page}?kind=procedure")) == ["routine-app-archive-IN%20days%20integer"]
    html = html_of(bob, f"{page}?kind=procedure&q=add")
    assert anchors(html) == [] and "No routines match these filters." in text_of(html)
    assert anchors(html_of(bob, f"{page}?schema=public")) == []
    assert len(anchors(html_of(bob, f"{page}?schema=app"))) == 5
    # the form shows the filters it was sent
    html = html_of(bob, f"{page}?kind=procedure&q=arch")
    assert '<option value="procedure" selected>' in html and 'name="q" type="search" value="arch"' in html


def test_pages_follow_the_api_keyset(shop):
    bob, sid = shop["bob"], shop["source"]
    url, seen, pages = f"/sources/{sid}/routines?limit=2", [], 0
    while url:
        html = html_of(bob, url)
        pages += 1
        seen += anchors(html)
        m = re.search(r'<a rel="next" href="\?([^"]+)">Next page</a>', html)
        url = f"/sources/{sid}/routines?{unescape(m.group(1))}" if m else None
        if pages > 1:
            assert "First page" in html
    assert pages == 3 and seen == anchors(html_of(bob, f"/sources/{sid}/routines"))
    api = bob.api.get(f"/api/v1/sources/{sid}/routines").get_json()["routines"]
    whole = html_of(bob, f"/sources/{sid}/routines")
    signatures = [unescape(re.search(r"<h3><a [^>]+><code>(.*?)</code>", block(whole, a)).group(1)) for a in seen]
    assert signatures == [f"{r['schema']}.{r['name']}({r['arguments']})" for r in api]  # the API's order


def test_bad_filters_are_a_422_naming_the_field(shop):
    bob, sid = shop["bob"], shop["source"]
    html = html_of(bob, f"/sources/{sid}/routines?kind=trigger", 422)
    assert "Must be one of" in error_of(html, "kind") and "kind: Must be one of" in text_of(html)
    html = html_of(bob, f"/sources/{sid}/sequences?limit=0", 422)
    assert "limit: Must be greater than or equal to 1" in text_of(html)
    html = html_of(bob, f"/sources/{sid}/triggers?table=items", 422)
    assert "expected schema.name" in error_of(html, "table")
    html = html_of(bob, f"/sources/{sid}/domains?q={'x' * 300}", 422)
    assert "Length must be between 1 and 255" in error_of(html, "q")
    html = html_of(bob, f"/sources/{sid}/routines?cursor=forged", 400)
    assert "cursor is invalid or expired" in text_of(html)


def test_another_users_source_is_a_404(shop):
    dave, sid = shop["dave"], shop["source"]
    for kind in KINDS:
        assert dave.get(f"/sources/{sid}/{kind}").status_code == 404
        assert shop["bob"].get(f"/sources/{sid}/{kind}").status_code == 200


def test_the_sequences_page_links_the_owning_column(shop):
    bob, sid = shop["bob"], shop["source"]
    html = html_of(bob, f"/sources/{sid}/sequences")
    assert anchors(html) == ["sequence-app-items_id_seq", "sequence-app-ticket"]
    assert text_of(block(html, "sequence-app-ticket")) == "app.ticket bigint 100 5 1 9,223,372,036,854,775,807 yes —"
    owned = block(html, "sequence-app-items_id_seq")
    assert text_of(owned).startswith("app.items_id_seq integer 1 1 1 2,147,483,647 no app.items . id")
    assert f'href="/sources/{sid}/table?schema=app&amp;name=items#columns"' in owned


def test_the_triggers_page_links_table_and_function(shop):
    bob, sid = shop["bob"], shop["source"]
    html = html_of(bob, f"/sources/{sid}/triggers")
    trigger = block(html, "trigger-app-items-items_touch")
    assert text_of(trigger).startswith(
        "items_touch on app.items Timing BEFORE Events INSERT, UPDATE Level for each row Function app.touch"
    )
    assert f'href="/sources/{sid}/table?schema=app&amp;name=items"' in trigger
    assert f'href="/sources/{sid}/routines?schema=app&amp;q=touch#routine-app-touch-"' in trigger
    assert '<div class="hl"><pre>' in trigger and '<span class="k">TRIGGER</span>' in trigger
    # the function's link lands on it
    assert "routine-app-touch-" in anchors(html_of(bob, f"/sources/{sid}/routines?schema=app&q=touch"))
    assert anchors(html_of(bob, f"/sources/{sid}/triggers?table=app.items")) == ["trigger-app-items-items_touch"]
    assert anchors(html_of(bob, f"/sources/{sid}/triggers?schema=app&table=items")) == ["trigger-app-items-items_touch"]
    assert anchors(html_of(bob, f"/sources/{sid}/triggers?table=app.other")) == []


def test_enums_extensions_and_domains(shop):
    bob, sid = shop["bob"], shop["source"]
    html = html_of(bob, f"/sources/{sid}/enums")
    mood = block(html, "enum-app-mood")
    assert re.findall(r"<li><code>(\w+)</code></li>", mood) == ["sad", "ok", "happy"]  # in their order
    assert text_of(mood) == "app.mood sad ok happy How it feels"
    assert anchors(html_of(bob, f"/sources/{sid}/enums?q=zzz")) == []
    html = html_of(bob, f"/sources/{sid}/extensions")
    version = bob.api.get(f"/api/v1/sources/{sid}/extensions").get_json()["extensions"][0]["version"]
    assert text_of(block(html, "extension-app-pg_trgm")).startswith(f"pg_trgm {version} app")
    assert anchors(html) == ["extension-app-pg_trgm", "extension-pg_catalog-plpgsql"]
    html = html_of(bob, f"/sources/{sid}/domains")
    assert text_of(block(html, "domain-app-price")) == (
        "app.price numeric(10,2) 0 yes price_positive : CHECK ((VALUE >= (0)::numeric))"
    )


def test_collations_and_text_search_configurations(shop):
    bob, sid = shop["bob"], shop["source"]
    [api] = bob.api.get(f"/api/v1/sources/{sid}/collations").get_json()["collations"]
    html = html_of(bob, f"/sources/{sid}/collations")
    shown = text_of(block(html, "collation-app-bytewise"))
    assert shown.startswith(f"app.bytewise {api['provider']} ") and shown.endswith("yes Byte by byte")
    html = html_of(bob, f"/sources/{sid}/text_search_configurations")
    assert text_of(block(html, "text_search_configuration-app-plain")) == 'app.plain pg_catalog."default" Plain words'


def test_the_source_page_links_each_kind(shop):
    bob, sid = shop["bob"], shop["source"]
    html = html_of(bob, f"/sources/{sid}")
    nav = re.search(r'<nav class="object-tabs" aria-label="Objects">(.*?)</nav>', html, re.S).group(1)
    # extensions: pg_trgm and plpgsql
    assert text_of(nav) == "Routines Sequences Triggers Enums 1 Extensions 2 Domains 1 Collations 1 Text search 1"
    for kind in KINDS:
        assert f'href="/sources/{sid}/{kind}"' in nav
    page = html_of(bob, f"/sources/{sid}/triggers")
    assert f'<a href="/sources/{sid}/triggers" aria-current="page">Triggers</a>' in page
    assert f'<a href="/sources/{sid}/routines" aria-current="page">Objects</a>' in page  # the source's tab


def test_search_links_object_hits_to_their_anchor(shop):
    bob, sid = shop["bob"], shop["source"]
    html = html_of(bob, "/search?q=add")
    links = re.findall(r'<a href="([^"]+)"><span class="badge kind-routine">routine</span>', html)
    assert [unescape(u) for u in links] == [
        f"/sources/{sid}/routines?schema=app&q=add#routine-app-add-a%20integer%2C%20b%20integer",
        f"/sources/{sid}/routines?schema=app&q=add#routine-app-add-a%20numeric%2C%20b%20numeric",
    ]
    assert "app. add (a integer, b integer) exact · function · Adds two integers · shop" in text_of(html)
    path, ident = unescape(links[0]).split("#")
    assert ident in anchors(html_of(bob, path))  # the link lands on the object
    for q, kind, target in (
        ("ticket", "sequence", f"/sources/{sid}/sequences?schema=app&q=ticket#sequence-app-ticket"),
        (
            "items_touch",
            "trigger",
            f"/sources/{sid}/triggers?schema=app&table=items&q=items_touch#trigger-app-items-items_touch",
        ),
        ("price", "domain", f"/sources/{sid}/domains?schema=app&q=price#domain-app-price"),
        ("mood", "enum", f"/sources/{sid}/enums?schema=app&q=mood#enum-app-mood"),
        ("pg_trgm", "extension", f"/sources/{sid}/extensions?schema=app&q=pg_trgm#extension-app-pg_trgm"),
    ):
        html = html_of(bob, f"/search?q={q}")
        [link] = re.findall(rf'<a href="([^"]+)"><span class="badge kind-{kind}">{kind}</span>', html)
        assert unescape(link) == target
        path, ident = target.split("#")
        assert ident in anchors(html_of(bob, path))
    assert "kind-routine" not in html_of(shop["dave"], "/search?q=add")  # only your own sources' objects


# --- MariaDB ---


@pytest.fixture(scope="module")
def maria(ui_app, worker, shop):
    alice = shop["alice"]
    with mysql_databases(1, "mc_ui_objects") as (db,):
        mysql_execute(
            """
            CREATE TABLE items (id int PRIMARY KEY, size enum('s','m','l'), touched int);
            CREATE SEQUENCE ticket START WITH 100 INCREMENT BY 5 CYCLE;
            CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW SET NEW.touched = 1;
            CREATE FUNCTION add_two(a int, b int) RETURNS int DETERMINISTIC SQL SECURITY INVOKER COMMENT 'Adds'
                RETURN a + b;
            """,
            db,
        )
        extra = "GRANT SELECT ON mysql.proc TO '{reader}'@'{h}';"
        with mariadb_reader(db, "SELECT, REFERENCES, SHOW VIEW, TRIGGER, EXECUTE", extra) as reader:
            source = mariadb_source(alice.api, db, reader)
            assert wait_for_crawl(alice.api, source["crawl"]["url"])["state"] == "succeeded"
            yield db, source["id"]


def test_mariadb_objects(shop, maria):
    alice = shop["alice"]
    db, sid = maria
    html = html_of(alice, f"/sources/{sid}/routines")
    fn = block(html, f"routine-{db}-add_two-a%20int%2811%29%2C%20b%20int%2811%29")
    assert text_of(fn).startswith(
        f"{db}.add_two(a int(11), b int(11)) function Returns int(11) Language SQL Volatility deterministic "
        "Security invoker Data access contains sql Adds"
    )
    assert re.search(r'<div class="hl"><pre>.*<span class="k">RETURN</span>', fn, re.S)
    html = html_of(alice, f"/sources/{sid}/triggers")
    trigger = block(html, f"trigger-{db}-items-items_touch")
    assert "Function — (the definition is its body)" in text_of(trigger) and "SET NEW.touched = 1" in code_of(trigger)
    html = html_of(alice, f"/sources/{sid}/sequences")
    assert text_of(block(html, f"sequence-{db}-ticket")).startswith(f"{db}.ticket")
    html = html_of(alice, f"/sources/{sid}/enums")
    column = block(html, f"enum-{db}-items-size")
    assert text_of(column) == f"enum column {db}.items . size s m l"
    assert f'href="/sources/{sid}/table?schema={db}&amp;name=items"' in column
