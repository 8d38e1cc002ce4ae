"""The docs site's done-when (issue #25): a 1,000-table PostgreSQL source,
crawled by a real worker, written by `metacrawl docs` (the installed
console script), opens from disk (file://) in a real headless Chromium
(tests/browser_helpers.py): its index lists the 1,000 tables, its search
finds a table by a name with one letter changed and the hit's link opens
that table's page with its diagram, and at 1280 and 390 px nothing is wider
than the screen. (The rest of the site: tests/test_docs_site.py.)"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .browser_helpers import chromium as chromium  # the module fixture: one Chromium for these tests
from .browser_helpers import expect
from .conftest import wait_for_crawl
from .crawl_helpers import pg_source
from .targets import pg_database, pg_execute
from .ui_helpers import register
from .ui_helpers import ui_app as ui_app  # the module fixture

pytestmark = pytest.mark.shared_catalog

METACRAWL = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "metacrawl")
TABLES = 1000
SCHEMAS = ("sales", "stock", "people", "money")
WORDS = (
    "invoice",
    "customer",
    "shipment",
    "warehouse",
    "payment",
    "product",
    "supplier",
    "employee",
    "ledger",
    "account",
)


def table_name(i: int) -> tuple[str, str]:
    return SCHEMAS[i % len(SCHEMAS)], f"{WORDS[i % 10]}_{WORDS[(i // 10) % 10]}_{i:03d}"


def thousand_tables() -> str:
    """1,000 tables in 4 schemas, each referencing the one before: one transaction."""
    statements = ["BEGIN;", *(f"CREATE SCHEMA {s};" for s in SCHEMAS)]
    for i in range(TABLES):
        schema, name = table_name(i)
        parent = f" REFERENCES {'.'.join(table_name(i - 1))} (id)" if i else ""
        statements.append(
            f"CREATE TABLE {schema}.{name} (id bigint PRIMARY KEY, parent_id bigint{parent}, "
            "label text NOT NULL, amount numeric(12, 2), created_at timestamptz DEFAULT now());"
        )
    statements.append("COMMIT;")
    return "\n".join(statements)


@pytest.fixture(scope="module")
def site(ui_app, worker, test_env, tmp_path_factory) -> Path:
    alice = register(ui_app.test_client(), "thousand@docs-site.example")
    with pg_database("mc_docs_thousand") as target:
        pg_execute(target, thousand_tables())
        source = pg_source(alice.api, target, name="thousand")
        assert wait_for_crawl(alice.api, source["crawl"]["url"], timeout=300)["state"] == "succeeded"
    out = tmp_path_factory.mktemp("thousand") / "site"
    done = subprocess.run(
        [METACRAWL, "docs", "thousand", "-o", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, **test_env},
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr
    assert f"{TABLES} table pages" in done.stdout
    print(f"\n{done.stdout.strip()}")  # for the record (README's figures; `pytest -s` shows it), never asserted
    return out


def nothing_wider(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", [1280, 390])
def test_the_site_opens_from_disk_and_finds_a_table_by_a_typo(chromium, site, width):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((site / "index.html").as_uri())
        expect(page.get_by_role("heading", level=1)).to_have_text("thousand")
        expect(page.locator("table.site-tables tbody tr")).to_have_count(TABLES)
        nothing_wider(page, width)

        schema, name = table_name(417)  # people.employee_customer_417
        typo = name.replace("customer", "custamer")
        page.get_by_label("Search tables and columns").fill(typo)
        hit = page.locator("#site-results a", has_text=f"{schema}.{name}")
        expect(hit).to_have_count(1)
        nothing_wider(page, width)
        hit.click()

        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        assert page.url.startswith(site.as_uri() + "/tables/") and page.url.endswith(".html")
        expect(page.locator("#columns")).to_contain_text("parent_id")
        expect(page.locator("#diagram svg")).to_be_visible()
        expect(page.locator("#keys")).to_contain_text(".".join(table_name(416)))
        nothing_wider(page, width)

        page.get_by_role("link", name="thousand").first.click()  # the header's link back to the index
        expect(page.locator("table.site-tables tbody tr")).to_have_count(TABLES)
        assert errors == []
    finally:
        context.close()
