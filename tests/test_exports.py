"""Schema exports (DBML, PlantUML, Mermaid, DOT, Markdown), each checked by a
real parser: pydbml, Graphviz's `dot`, PlantUML's `-syntax` check (Debian's
plantuml) and Mermaid's own parser (tests/parsers, run by Node). The target
is crawled once for the module; one inferred key is accepted."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from pydbml import PyDBML

from .conftest import ApiUser, truncate_catalog, wait_for_crawl
from .crawl_helpers import RICH_PG_TARGET, pg_source, wait_for_insights
from .export_parsers import PARSERS, dot_canon, mermaid_node, mermaid_type, plantuml_syntax
from .targets import pg_database, pg_execute

pytestmark = pytest.mark.shared_catalog

EXPORT_TARGET = (
    RICH_PG_TARGET
    + """
CREATE SCHEMA billing;
CREATE TYPE billing.currency AS ENUM ('EUR', 'USD');
CREATE TABLE billing.invoices (
    id int PRIMARY KEY,
    customer_id bigint NOT NULL,
    currency billing.currency NOT NULL DEFAULT 'EUR',
    "2fa" boolean,
    memo text DEFAULT 'a`b',
    total numeric(10, 2) CONSTRAINT invoices_total_positive CHECK (total > 0),
    CONSTRAINT invoices_memo_unique UNIQUE (memo)
);
COMMENT ON TABLE billing.invoices IS 'What we bill; ''quoted'' and "double"';
CREATE TABLE billing.payments (
    id int PRIMARY KEY,
    invoice_id int NOT NULL REFERENCES billing.invoices (id) ON DELETE CASCADE,
    payer bigint REFERENCES sales.customers (id)
);
CREATE INDEX payments_invoice ON billing.payments (invoice_id) WHERE payer IS NOT NULL;
"""
)
# every live table of the target, by schema
TABLES = {
    "sales": {"customers", "orders", "order_lines", "big_orders", "totals", "events", "events_2026"},
    "Mixed Case": {"with-hyphen", "dot.ted/slash"},
    "billing": {"invoices", "payments"},
}
ALL = {(s, t) for s, names in TABLES.items() for t in names}


@pytest.fixture(scope="module")
def exports_app(settings, redis_client, catalog_url):
    from api import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    truncate_catalog(catalog_url)


@pytest.fixture(scope="module")
def owner(exports_app):
    return ApiUser(exports_app.test_client(), "exporter@example.com")


@pytest.fixture(scope="module")
def source(owner, worker):
    """The target crawled, and the inferred key billing.invoices.customer_id → sales.customers accepted."""
    with pg_database("mc_export") as db:
        pg_execute(db, EXPORT_TARGET)
        s = pg_source(owner, db, name="shop")
        assert wait_for_crawl(owner, s["crawl"]["url"])["state"] == "succeeded"
        wait_for_insights(owner, s["id"], s["crawl"]["id"])
        keys = owner.get(f"/api/v1/sources/{s['id']}/inferred-keys?limit=1000").get_json()["inferred_keys"]
        wanted = [
            k
            for k in keys
            if (k["table"], k["column"], k["referenced_table"]) == ("invoices", "customer_id", "customers")
        ]
        assert wanted, keys
        assert owner.post(f"/api/v1/sources/{s['id']}/inferred-keys/{wanted[0]['id']}/accept").status_code == 200
        yield s["id"]


def _export(user, source_id, fmt, mimetype, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"format": fmt, **params}.items())
    r = user.get(f"/api/v1/sources/{source_id}/schema/export?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.is_streamed and r.mimetype == mimetype
    return r.get_data(as_text=True)


# --- DBML, parsed by pydbml ---


def test_dbml_parses_with_tables_refs_and_enums(owner, source):
    text = _export(owner, source, "dbml", "text/x-dbml")
    db = PyDBML(text)
    assert {(t.schema, t.name) for t in db.tables} == ALL
    assert {(e.schema, e.name) for e in db.enums} == {("sales", "status"), ("billing", "currency")}
    refs = {r.name: r for r in db.refs}
    self_ref = next(r for n, r in refs.items() if n.startswith("customers_referred_by"))
    assert self_ref.on_delete == "set null"
    lines = next(r for n, r in refs.items() if n.startswith("order_lines_"))
    assert [c.name for c in lines.col1] == ["region", "order_no"] and lines.on_update == "cascade"
    inferred = refs["inferred_customer_id_customers"]
    assert (inferred.col1[0].table.name, inferred.col2[0].table.name) == ("invoices", "customers")
    assert re.search(r'Ref "inferred_customer_id_customers".* // inferred', text)
    invoices = next(t for t in db.tables if t.name == "invoices")
    assert "invoices_total_positive" in invoices.note.text and "'quoted'" in invoices.note.text
    memo = next(c for c in invoices.columns if c.name == "memo")
    assert memo.unique and "a`b" in memo.note.text
    assert next(c for c in invoices.columns if c.name == "id").pk
    orders = next(t for t in db.tables if t.name == "orders")
    assert any(i.pk and [c.name for c in i.subjects] == ["region", "order_no"] for i in orders.indexes)
    assert any(i.name == "orders_lower_region" for i in orders.indexes)


def test_dbml_of_one_schema_comments_keys_leaving_it(owner, source):
    text = _export(owner, source, "dbml", "text/x-dbml", schema="billing")
    db = PyDBML(text)
    assert {(t.schema, t.name) for t in db.tables} == {("billing", "invoices"), ("billing", "payments")}
    assert {r.col2[0].table.name for r in db.refs} == {"invoices"}
    assert "references sales.customers, not in this export" in text
    assert [e.name for e in db.enums] == ["currency"]


# --- Graphviz DOT, parsed by dot ---


def test_dot_parses_with_every_table_and_key(owner, source):
    text = _export(owner, source, "dot", "text/vnd.graphviz")
    canon = dot_canon(text)
    assert len(re.findall(r"^\s*t_[0-9a-f]{16}\s+\[", canon, re.M)) == len(ALL)
    edges = re.findall(r"^\s*(t_[0-9a-f]{16})(?::\w+(?::\w+)?)?\s*->\s*(t_[0-9a-f]{16})", canon, re.M)
    # customers → customers, orders → customers, order_lines → orders, payments → invoices and → customers, inferred
    assert len(edges) == 6
    assert re.search(r"style=dashed", canon) and "inferred" in canon
    one = dot_canon(_export(owner, source, "dot", "text/vnd.graphviz", schema="sales"))
    assert len(re.findall(r"^\s*t_[0-9a-f]{16}\s+\[", one, re.M)) == len(TABLES["sales"])


# --- PlantUML, checked by PlantUML itself ---


def test_plantuml_parses_with_every_entity(owner, source):
    text = _export(owner, source, "plantuml", "text/x-plantuml")
    assert text.startswith("@startuml") and text.rstrip().endswith("@enduml")
    out = plantuml_syntax(text)
    assert out.split()[0] == "CLASS" and f"({len(ALL)} entities)" in out
    assert len(re.findall(r"^t_\w+ \}o(--|\.\.)(\|\||o\|) t_\w+ : ", text, re.M)) == 6
    assert re.search(r"^t_\w+ \}o\.\.\|\| t_\w+ : inferred: inferred_customer_id_customers", text, re.M)
    one = plantuml_syntax(_export(owner, source, "plantuml", "text/x-plantuml", schema="billing"))
    assert "(2 entities)" in one


def test_plantuml_text_cannot_break_out_of_an_entity():
    from catalog.exports.plantuml import _text

    assert _text("-- x") == "&#45;&#45; x" and _text("}") == "&#125;" and _text("a\nb") == "a&#92;nb"
    assert _text("customer_email (a-b.c)") == "customer_email (a-b.c)"


# --- Mermaid erDiagram, parsed by Mermaid ---


def test_mermaid_parses_with_every_entity(owner, source):
    text = _export(owner, source, "mermaid", "text/plain")
    assert mermaid_type(text) == "er"
    assert len(re.findall(r'^    t_[0-9a-f]{16}\["', text, re.M)) == len(ALL)
    assert len(re.findall(r"^    t_\w+ \|\|(--|\.\.)o\{ t_\w+ : ", text, re.M)) == 6
    assert "_2fa" in text  # a column name starting with a digit is still a Mermaid word
    assert mermaid_type(_export(owner, source, "mermaid", "text/plain", schema="Mixed Case")) == "er"


def test_mermaid_parser_refuses_bad_input():
    done = subprocess.run(
        [mermaid_node(), str(PARSERS / "mermaid-parse.mjs")],
        input=b"erDiagram\n  t {{\n",
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1 and "Parse error" in done.stderr.decode()


# --- Markdown, complete ---


def test_markdown_has_keys_indexes_constraints_references_and_enums(owner, source):
    md = _export(owner, source, "markdown", "text/markdown")
    assert "## Enums" in md and "| sales.status | new, paid |" in md and "| billing.currency | EUR, USD |" in md
    customers = md.split("## sales.customers (table)")[1].split("\n## ")[0]
    assert "| 2 | customer_email | character varying(320) | no |" in customers
    assert "| always |" in customers  # identity
    assert "### Referenced by" in customers and "| billing.payments |" in customers and "| sales.orders |" in customers
    assert re.search(
        r"\| customers_referred_by_fkey \| referred_by \| sales\.customers\(id\) \| NO ACTION \| SET NULL "
        r"\| FOREIGN KEY",
        customers,
    )
    assert "### Constraints" in customers and "| unique | customer_email |" in customers
    orders = md.split("## sales.orders (table)")[1].split("\n## ")[0]
    assert "### Indexes" in orders and "| orders_open | order_no | no | btree |" in orders and "WHERE" in orders
    assert "| check | total |" in orders
    invoices = md.split("## billing.invoices (table)")[1].split("\n## ")[0]
    assert "| inferred_customer_id_customers (inferred) | customer_id | sales.customers(id) |" in invoices
    lines = md.split("## sales.order_lines (table)")[1].split("\n## ")[0]
    assert "| CASCADE | CASCADE |" in lines
    one = _export(owner, source, "markdown", "text/markdown", schema="billing")
    assert "## sales." not in one and "| billing.currency |" in one and "sales.status" not in one


def test_json_and_ndjson_of_one_schema(owner, source):
    body = json.loads(_export(owner, source, "json", "application/json", schema="billing"))
    assert [t["name"] for t in body["tables"]] == ["invoices", "payments"]
    lines = _export(owner, source, "ndjson", "application/x-ndjson", schema="sales").splitlines()
    assert {json.loads(line)["name"] for line in lines} == TABLES["sales"]
    assert _export(owner, source, "dbml", "text/x-dbml", schema="nothing_here").count("Table ") == 0
