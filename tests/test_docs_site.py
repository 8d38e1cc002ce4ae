"""The published docs site (api/ui/docs_site.py): `metacrawl docs SOURCE -o
DIR` run as the installed console script against a PostgreSQL target
crawled by a real worker, and the source page's zip download. The site's
index lists every table; a table page shows its columns, keys, description
and its neighbourhood diagram drawn in; hostile names give safe file names
and escaped HTML; every link is relative. alice admins "data"; dave is in
no team of hers. (Chromium opening a 1,000-table site from disk:
tests/test_docs_site_browser.py.)"""

from __future__ import annotations

import io
import os
import re
import subprocess
import zipfile
from html import unescape
from pathlib import Path

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import pg_source
from .targets import pg_database, pg_execute
from .ui_helpers import team_of_four
from .ui_helpers import ui_app as ui_app  # the module fixture

pytestmark = pytest.mark.shared_catalog

METACRAWL = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "metacrawl")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
LONG = "l" * 63  # PostgreSQL's longest name
TARGET = f"""
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id bigint PRIMARY KEY, email text NOT NULL);
COMMENT ON TABLE shop.customers IS 'People who buy';
COMMENT ON COLUMN shop.customers.email IS 'Where the receipts go';
CREATE TABLE shop.orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES shop.customers (id), total numeric);
CREATE INDEX orders_by_customer ON shop.orders (customer_id);
CREATE TABLE public."../x" (id int PRIMARY KEY);
CREATE TABLE public."{SCRIPT}" (id int REFERENCES public."../x" (id), "{IMG}" text);
COMMENT ON TABLE public."{SCRIPT}" IS '<b>not bold</b>';
CREATE SCHEMA "../etc";
CREATE TABLE "../etc"."/abs\\path" (a int);
CREATE TABLE public."{LONG}" (a int);
CREATE TABLE public."nul. dots..." (a int);
"""
TABLES = {
    ("shop", "customers"),
    ("shop", "orders"),
    ("public", "../x"),
    ("public", SCRIPT),
    ("../etc", "/abs\\path"),
    ("public", LONG),
    ("public", "nul. dots..."),
}
SAFE_FILE = re.compile(r"^[a-z0-9_-]{0,48}-[0-9a-f]{12}\.html$")


@pytest.fixture(scope="module")
def shop(ui_app, worker):
    people, data = team_of_four(ui_app, "docs-site.example")
    alice = people["alice"]
    with pg_database("mc_docs_site") as target:
        pg_execute(target, TARGET)
        source = pg_source(alice.api, target, name="shop docs", team_id=data)
        assert wait_for_crawl(alice.api, source["crawl"]["url"])["state"] == "succeeded"
    orders = alice.api.get(f"/api/v1/sources/{source['id']}/tables/shop/orders").get_json()
    r = alice.api.patch(f"/api/v1/tables/{orders['table_id']}/curation", json={"description": "What *they* ordered"})
    assert r.status_code == 200, r.get_json()
    return {**people, "source": source["id"]}


def run_docs(test_env, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **test_env}
    return subprocess.run([METACRAWL, "docs", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def site(shop, test_env, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "site"
    done = run_docs(test_env, "shop docs", "-o", str(out))  # by name
    assert done.returncode == 0, done.stderr
    assert "7 table pages" in done.stdout, done.stdout
    return out


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def page_of(site: Path, schema: str, name: str) -> str:
    """The table page the index links for (schema, name)."""
    index = (site / "index.html").read_text()
    for section in index.split("<section id=")[1:]:
        heading = text_of(section.split("</h2>")[0].split("<h2>")[1])
        if heading != f"schema {schema}":
            continue
        for href, label in re.findall(r'<td><a href="([^"]+)">([^<]*)</a></td>', section):
            if unescape(label) == name:
                return (site / href).read_text()
    raise AssertionError(f"the index does not link {schema}.{name}")


def test_the_index_lists_every_table_with_kind_rows_and_comment(site):
    index = (site / "index.html").read_text()
    for schema, name in TABLES:
        assert page_of(site, schema, name)
    words = text_of(index)
    assert "7 tables and views in 3 schemas" in words
    assert "customers table" in words and "People who buy" in words
    assert "orders table" in words
    listed = re.findall(r'<td><a href="(tables/[^"]+)">', index)
    assert len(listed) == len(TABLES) == len(list((site / "tables").iterdir()))


def test_a_table_page_shows_columns_keys_description_and_its_diagram(site):
    orders = page_of(site, "shop", "orders")
    words = text_of(orders)
    for column in ("id", "customer_id", "total"):
        assert f"{column} " in words
    assert "What they ordered" in words and "<em>they</em>" in orders  # the curated description, as Markdown
    assert "orders_by_customer" in words  # indexes
    assert "Foreign key" in words and "(customer_id) → shop.customers (id)" in words
    diagram = orders.split('<section id="diagram">')[1].split("</section>")[0]
    assert "<svg" in diagram and "customers" in diagram
    customers_file = re.search(r'href="(shop-customers-[0-9a-f]{12}\.html)"', orders).group(1)
    assert f'xlink:href="{customers_file}"' in diagram or f'href="{customers_file}"' in diagram
    customers = page_of(site, "shop", "customers")
    referenced = text_of(customers.split('<section id="referenced-by">')[1].split("</section>")[0])
    assert "Referenced by (1)" in referenced and "shop.orders (customer_id)" in referenced
    assert "Where the receipts go" in text_of(customers)  # a column's comment


def test_the_site_needs_no_server(site):
    """Links are relative (nothing from /), no htmx, no forms, no sign-in, no edit links."""
    for path in site.rglob("*.html"):
        html = path.read_text()
        assert not re.search(r'(?:href|src|action)="/', html), path
        assert "hx-" not in html and "<form method" not in html and "csrf" not in html, path
        assert "Edit" not in text_of(html).split() and "Starter query" not in html, path
    assert (site / "assets" / "app.css").exists() and (site / "assets" / "site.js").exists()
    index = (site / "assets" / "search-index.js").read_text()
    assert index.startswith("window.metacrawlSearch = [") and '"customer_id"' in index


def test_hostile_names_give_safe_files_and_escaped_html(site):
    root = site.resolve()
    for path in root.rglob("*"):
        assert path.resolve().is_relative_to(root)
    names = [p.name for p in (site / "tables").iterdir()]
    assert all(SAFE_FILE.match(n) for n in names), names
    assert len(set(names)) == len(TABLES)
    assert {p.name for p in site.iterdir()} == {"index.html", "assets", "tables"}
    hostile = page_of(site, "public", SCRIPT)
    for page in [hostile, (site / "index.html").read_text(), page_of(site, "public", "../x")]:
        assert SCRIPT not in page and IMG not in page and "<b>not bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    assert "&lt;img src=x onerror=alert(2)&gt;" in hostile
    assert "&lt;b&gt;not bold&lt;/b&gt;" in hostile
    assert f"public.{SCRIPT}" in text_of(page_of(site, "public", "../x"))  # referenced by, escaped
    assert page_of(site, "../etc", "/abs\\path") and page_of(site, "public", LONG)


def test_a_missing_source_exits_2_with_a_message(shop, test_env, tmp_path):
    for wanted in ("no such source", "999999"):
        done = run_docs(test_env, wanted, "-o", str(tmp_path / "out"))
        assert done.returncode == 2, done
        assert f"no source has the id or name '{wanted}'" in done.stderr
        assert not (tmp_path / "out").exists()


def test_the_source_by_id_too(shop, test_env, tmp_path):
    done = run_docs(test_env, str(shop["source"]), "-o", str(tmp_path / "by-id"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "by-id" / "index.html").exists()


def test_the_source_page_offers_the_zip_of_the_same_site(shop, site):
    alice = shop["alice"]
    page = alice.get(f"/sources/{shop['source']}").get_data(as_text=True)
    assert f'href="/sources/{shop["source"]}/docs-site.zip"' in page
    r = alice.get(f"/sources/{shop['source']}/docs-site.zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert "shop-docs-docs.zip" in r.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(r.get_data()))
    names = archive.namelist()
    assert all(n.startswith("shop-docs-docs/") and ".." not in n.split("/") for n in names)
    on_disk = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}
    assert {n.removeprefix("shop-docs-docs/") for n in names} == on_disk
    index = archive.read("shop-docs-docs/index.html").decode()
    assert text_of(index).count(" table ") >= 6 and "People who buy" in index


def test_another_users_zip_is_404(shop):
    assert shop["dave"].get(f"/sources/{shop['source']}/docs-site.zip").status_code == 404
    assert shop["dave"].get("/sources/999999/docs-site.zip").status_code == 404


def test_a_source_too_large_for_the_zip_names_the_command_instead(shop, monkeypatch):
    import api.ui.docs_site

    monkeypatch.setattr(api.ui.docs_site, "ZIP_MAX_TABLES", 5)
    alice, source = shop["alice"], shop["source"]
    page = text_of(alice.get(f"/sources/{source}").get_data(as_text=True))
    assert "docs-site.zip" not in page
    assert (
        "too large to write while you wait (at most 5): the server's operator writes it with "
        f"metacrawl docs {source} -o site/" in page
    )
    r = alice.get(f"/sources/{source}/docs-site.zip")
    assert r.status_code == 409 and r.mimetype == "text/html"
    assert f"metacrawl docs {source} -o site/" in text_of(r.get_data(as_text=True))
