"""The web UI's pages over HTTP (`python -m bench.run --ui`): the sources
list, a schema browser page, table pages, diagrams, and the diagram of the
most-referenced table, and the whole-schema diagram (its first view, a
schema's clusters and one cluster's tables, cold: the source's cached map
deleted before each request, then warm), the source's overview, search,
insights, inferred keys, change feed, exports, diff and object pages, at
the largest source of the run.

The browser session is the owner's access token in the UI's cookie (the same
token the API takes as a bearer). Before measuring, a hub is added to the
target (`bench_hub.hub`, referenced by HUB_SPOKES tables) and the source is
recrawled, so "the most-referenced table" is a real hub. Then the source is
curated through the API as a team would (`curate`): tags with colours, the
source, the schema, the timed tables, the hub and every column of them
described, tagged and owned, and the first BULK_TABLES tables of the schema's
first page described and tagged, so every page is timed with curation shown.
Times are the client's, on loopback: request sent to last byte read.
"""

from __future__ import annotations

import re
import time
from urllib.parse import quote, urlencode

from bench.api_client import Api
from bench.common import log
from bench.context import Bench
from bench.crawls import recrawl
from bench.databases import pg_admin, server_url
from bench.stats import latency_figures

HUB_SPOKES = 300
# The team's tags and their colours (a team's list: objects carry only these).
TEAM_TAGS = {
    "core": "#1f6feb",
    "finance": "#2da44e",
    "pii": "#cf222e",
    "customer-data": "#bf8700",
    "reporting": "#8250df",
    "deprecated": "#6e7781",
}
TABLE_TAGS = (("core", "finance"), ("core", "customer-data", "pii"), ("reporting", "finance", "core"))
COLUMN_TAGS = ("pii", "core", "finance", "customer-data")
BULK_TABLES = 100  # tables of the schema browser's first page described and tagged


def add_hub(target_url: str, spokes: int = HUB_SPOKES) -> None:
    """A table referenced by `spokes` tables, in a schema of its own."""
    sql = [
        "DROP SCHEMA IF EXISTS bench_hub CASCADE",
        "CREATE SCHEMA bench_hub",
        "CREATE TABLE bench_hub.hub (id bigint PRIMARY KEY, name text, created_at timestamptz)",
    ]
    sql += [
        f"CREATE TABLE bench_hub.spoke_{i:03d} (id bigint PRIMARY KEY, hub_id bigint REFERENCES bench_hub.hub (id), "
        f"amount numeric, note text)"
        for i in range(spokes)
    ]
    pg_admin(target_url, ";\n".join(sql))


class UiClient:
    def __init__(self, port: int, token: str):
        self.api = Api(port)
        self.cookie = f"metacrawl_session={token}"

    def get(self, path: str, headers: dict | None = None) -> tuple[int, str, float]:
        resp, body, elapsed = self.api.exchange("GET", path, None, {"Cookie": self.cookie, **(headers or {})})
        return resp.status, body.decode("utf-8", errors="replace"), elapsed


def measure_ui(bench: Bench) -> dict:
    """Add a hub to the largest source's target, recrawl it, then time the UI's pages there."""
    largest = max(bench.result["postgres"], key=lambda e: e["tables"])
    source_id, database = largest["source_id"], largest["target"]["database"]
    bench.api.token = bench.tokens[source_id]
    log(f"  ui: adding a hub referenced by {HUB_SPOKES} tables to {database}, recrawling")
    add_hub(server_url(bench.args.pg_url, database))
    recrawl(bench, source_id)
    return measure(bench, source_id, max(bench.args.reads, 50))


def _markdown(what: str, name: str) -> str:
    """A few paragraphs of Markdown, as a team writes them: a heading, emphasis, a list, a link."""
    return (
        f"## {name}\n\n"
        f"The **{what}** `{name}` is maintained by the data platform team. It is loaded every night "
        "from the operational database and is the reference for *finance* and *reporting* work.\n\n"
        "- Rows are never deleted: closed records keep their last state.\n"
        "- Amounts are in the account's currency, with two decimals.\n"
        "- Personal data is masked outside the production catalog.\n\n"
        f"See the [data dictionary](https://wiki.example.com/data/{quote(name)}) for the history of "
        "this object and the questions to ask before changing it; contact the owners below."
    )


def curate(bench: Bench, source_id: int, schema: str, tables: list[tuple], hub: tuple) -> dict:
    """Curate the measured source through the API, as its team would, with the bench user's token:
    the team's tags with colours; the source and `schema` (and the hub's schema) described; each
    of `tables` and `hub` described (Markdown with a link), tagged and owned by the bench user, and
    every column of them described and tagged; the first BULK_TABLES tables of `schema`'s first
    page (the schema browser's order) described and tagged. What was curated, and how long it took."""
    api = Api(bench.port)
    api.token = bench.tokens[source_id]
    started = time.perf_counter()
    email = api.call("GET", "/api/v1/auth/me")["email"]
    team_id = api.call("GET", f"/api/v1/sources/{source_id}")["team_id"]
    for tag, colour in TEAM_TAGS.items():
        api.call("PUT", f"/api/v1/teams/{team_id}/tags/{tag}", {"colour": colour})
    counts = {"tables": 0, "columns": 0, "bulk_tables": 0}

    def patch(path: str, body: dict) -> None:
        api.call("PATCH", f"/api/v1{path}/curation", body)

    patch(f"/sources/{source_id}", {"description": _markdown("source", "bench"), "tags": ["core"]})
    for s in sorted({schema, hub[0]}):
        patch(f"/sources/{source_id}/schemas/{quote(s, safe='')}", {"description": _markdown("schema", s)})
    owners = [f"user:{email}"]
    detailed = [tuple(k[:2]) for k in tables] + [tuple(hub[:2])]
    for i, (sch, name) in enumerate(detailed):
        doc = api.call("GET", f"/api/v1/sources/{source_id}/tables/{quote(sch, safe='')}/{quote(name, safe='')}")
        tid = doc["table_id"]
        tags = list(TABLE_TAGS[i % len(TABLE_TAGS)])
        patch(f"/tables/{tid}", {"description": _markdown("table", f"{sch}.{name}"), "tags": tags, "owners": owners})
        counts["tables"] += 1
        for j, col in enumerate(doc["columns"]):
            body = {
                "description": f"The `{col['name']}` of a {name} row. *Required* by the nightly load; "
                f"see [the glossary](https://wiki.example.com/glossary#{quote(col['name'])}).",
                "tags": [COLUMN_TAGS[j % len(COLUMN_TAGS)]],
            }
            patch(f"/tables/{tid}/columns/{quote(col['name'], safe='')}", body)
            counts["columns"] += 1
    first_page = api.call("GET", f"/api/v1/sources/{source_id}/schema?{urlencode({'schema': schema, 'limit': 100})}")
    for t in first_page["tables"][:BULK_TABLES]:
        if (t["schema"], t["name"]) in detailed:
            continue  # curated in full above
        patch(
            f"/tables/{t['table_id']}",
            {"description": f"Part of the **{schema}** area; see the schema's description.", "tags": ["reporting"]},
        )
        counts["bulk_tables"] += 1
    counts["seconds"] = round(time.perf_counter() - started, 2)
    counts["team_tags"] = len(TEAM_TAGS)
    return counts


def shows_curation(client: UiClient, table_page: str, browse: str) -> None:
    """The pages timed show what `curate` wrote: a curated table's description and its columns', and
    the tags on the schema browser's first page (else the figures would not be "with curation")."""
    for path, marks in (
        (table_page, ('href="https://wiki.example.com/data/', 'href="https://wiki.example.com/glossary#')),
        (table_page, ('href="/tags/finance"', 'href="/tags/customer-data"')),
        (browse, ('href="/tags/reporting"', "area; see the schema")),
    ):
        status, html, _ = client.get(path)
        missing = [m for m in marks if m not in html]
        if status != 200 or missing:
            raise RuntimeError(f"GET {path} answered {status} without the curation {missing}")


def pages_to_time(catalog: str, source_id: int) -> tuple[str, list[tuple], tuple]:
    """From the catalog: the source's first generated schema (not the hub's, which sorts first and holds
    only HUB_SPOKES + 1 tables), 10 of its tables with foreign keys, and the source's most-referenced
    table (schema, name, how many keys point at it)."""
    [(schema,)] = pg_admin(
        catalog,
        "SELECT coalesce(min(schema_name) FILTER (WHERE schema_name <> 'bench_hub'), min(schema_name)) "
        "FROM catalog_tables WHERE source_id = %s",
        (source_id,),
        fetch=True,
    )
    tables = pg_admin(
        catalog,
        "SELECT schema_name, name FROM catalog_tables WHERE source_id = %s AND schema_name = %s "
        "AND removed_at IS NULL AND definition->'foreign_keys' <> '[]' ORDER BY name LIMIT 10",
        (source_id, schema),
        fetch=True,
    )
    [hub] = pg_admin(
        catalog,
        "SELECT fk->>'referenced_schema', fk->>'referenced_table', count(*) FROM catalog_tables t, "
        "jsonb_array_elements(t.definition->'foreign_keys') fk WHERE t.source_id = %s AND t.removed_at IS NULL "
        "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1",
        (source_id,),
        fetch=True,
    )
    return schema, tables, hub


def measure(bench: Bench, source_id: int, n: int) -> dict:
    """UI latencies at `source_id`."""
    client = UiClient(bench.port, bench.tokens[source_id])
    out: dict = {"source_id": source_id, "hub_spokes": HUB_SPOKES}

    def timed(
        name: str, paths: list[str], headers: dict | None = None, bust: str | None = None, before=None, times_n=n
    ) -> None:
        times = []
        for i in range(times_n):
            if bust:
                bench.bust_cache(bust)
            if before:
                before()
            status, body, elapsed = client.get(paths[i % len(paths)], headers)
            if status != 200:
                raise RuntimeError(f"GET {paths[i % len(paths)]} answered {status}: {body[:500]}")
            times.append(elapsed)
        out[name] = latency_figures([t * 1000 for t in times])
        log(f"    ui {name}: p50 {out[name]['p50_ms']} ms, p95 {out[name]['p95_ms']} ms")

    schema, tables, (hub_schema, hub_name, hub_refs) = pages_to_time(bench.catalog_admin_url(), source_id)
    out["most_referenced"] = {"table": f"{hub_schema}.{hub_name}", "referenced_by": hub_refs}
    log("  ui: curating the source through the API (tags, descriptions, owners)")
    out["curation"] = curate(bench, source_id, schema, tables, (hub_schema, hub_name))
    log(f"    curated: {out['curation']}")

    def page(key) -> str:
        return f"/sources/{source_id}/table?{urlencode({'schema': key[0], 'name': key[1]})}"

    def diagram(key) -> str:
        return f"/sources/{source_id}/table/diagram?{urlencode({'schema': key[0], 'name': key[1]})}"

    hx = {"HX-Request": "true"}
    # The first table page after a crawl (inbound keys come from the catalog's edge table: nothing to build).
    status, _, elapsed = client.get(page(tables[0]))
    out["first_table_page_after_crawl_ms"] = round(elapsed * 1000, 2)
    browse = f"/sources/{source_id}/tables?{urlencode({'schema': schema})}"
    shows_curation(client, page(tables[0]), browse)
    log(f"    ui first table page after a crawl: {out['first_table_page_after_crawl_ms']} ms")

    timed("sources_list", ["/sources"])
    timed("schema_browser_first_page", [browse])
    status, html, _ = client.get(browse)
    deep, out["schema_browser_deep_page"] = browse, 1
    for _ in range(50):  # follow the next links 50 pages deep
        m = re.search(r'rel="next" href="\?([^"]+)"', html)
        if not m:
            break
        deep = f"/sources/{source_id}/tables?" + m.group(1).replace("&amp;", "&")
        status, html, _ = client.get(deep)
        out["schema_browser_deep_page"] += 1
    timed("schema_browser_page_51", [deep])
    timed("schema_browser_name_filter", [f"/sources/{source_id}/tables?{urlencode({'q': 'customer'})}"])
    timed("table_page", [page(k) for k in tables])  # each curated, with every column's curation
    timed("diagram_cold", [diagram(k) for k in tables], hx, bust="metacrawl:read:diagram:*")
    timed("diagram_cached", [diagram(k) for k in tables], hx)
    timed("diagram_depth2_cold", [diagram(k) + "&depth=2" for k in tables], hx, bust="metacrawl:read:diagram:*")
    hub = (hub_schema, hub_name)
    timed("hub_table_page", [page(hub)])
    timed("hub_diagram_cold", [diagram(hub)], hx, bust="metacrawl:read:diagram:*")
    timed("hub_diagram_cached", [diagram(hub)], hx)
    schema_diagrams(bench, client, source_id, schema, timed)
    timed(
        "search_as_you_type",
        [f"/search?{urlencode({'q': q, 'suggest': 1})}" for q in ("custmer", "ord", "invoice")],
        hx,
    )
    timed("tag_page", [f"/tags/{tag}" for tag in ("core", "reporting", "pii")])
    timed("search_tag_filter", [f"/search?{urlencode({'q': q})}" for q in ("tag:pii", "tag:core customer")])
    source_pages(bench, source_id, timed)
    return out


def source_pages(bench: Bench, source_id: int, timed) -> None:
    """The source's other pages: its overview, the full search page, the insights and inferred keys,
    the change feed, the exports page, the diff with the crawl before the last, and the object kinds."""
    base = f"/sources/{source_id}"
    crawls = pg_admin(
        bench.catalog_admin_url(),
        "SELECT id FROM crawl_jobs WHERE source_id = %s AND state = 'succeeded' ORDER BY id DESC LIMIT 2",
        (source_id,),
        fetch=True,
    )
    timed("source_overview", [base])
    timed("search_page", [f"/search?{urlencode({'q': q})}" for q in ("customer", "custmer", "order_id")])
    timed("insights", [f"{base}/insights"])
    timed("inferred_keys", [f"{base}/inferred-keys"])
    timed("changes", [f"{base}/changes"])
    timed("exports", [f"{base}/export"])
    if len(crawls) == 2:
        timed("diff_with_the_crawl_before", [f"{base}/diff?{urlencode({'crawl': crawls[1][0]})}"], times_n=10)
    for kind in ("routines", "sequences", "triggers", "enums", "domains", "extensions"):
        timed(f"{kind}_page", [f"{base}/{kind}"])


def schema_diagrams(bench: Bench, client: UiClient, source_id: int, schema: str, timed) -> None:
    """The whole-schema diagram page: its first view, `schema`'s clusters and its first cluster's tables,
    cold (the source's cached map and drawings deleted before each request) and warm."""
    catalog = bench.catalog_admin_url()

    def drop_cache() -> None:
        pg_admin(catalog, "DELETE FROM catalog_diagram_cache WHERE source_id = %s", (source_id,))

    first = f"/sources/{source_id}/diagram"
    by_schema = f"{first}?{urlencode({'schema': schema})}"
    status, html, _ = client.get(by_schema)
    m = re.search(r'href="(/sources/\d+/diagram\?cluster=\d+)"', html)
    if status != 200 or not m:
        raise RuntimeError(f"GET {by_schema} answered {status} without a cluster link")
    cluster = m.group(1)
    cold = 10  # each cold request lays the drawing out again
    for name, path in (("schema_diagram_first_view", first), ("schema_diagram_schema", by_schema)):
        timed(f"{name}_cold", [path], before=drop_cache, times_n=cold)
        timed(f"{name}_cached", [path])
    timed("schema_diagram_cluster_cold", [cluster], before=drop_cache, times_n=cold)
    timed("schema_diagram_cluster_cached", [cluster])


def render(ui: dict) -> list[str]:
    lines = [
        "",
        f"## Web UI (source {ui['source_id']}; most-referenced table {ui['most_referenced']['table']}, "
        f"referenced by {ui['most_referenced']['referenced_by']})",
        "",
    ]
    cur = ui.get("curation")
    if cur:
        lines += [
            f"Timed with curation shown: {cur['team_tags']} team tags; the source and schema described; "
            f"{cur['tables']} tables (the timed ones and the hub) described, tagged and owned, their "
            f"{cur['columns']} columns described and tagged; {cur['bulk_tables']} more tables of the schema "
            f"browser's first page described and tagged (curated through the API in {cur['seconds']} s).",
            "",
        ]
    lines += [
        "| page | p50 ms | p95 ms | max ms |",
        "| --- | --- | --- | --- |",
    ]
    for name, f in ui.items():
        if isinstance(f, dict) and "p95_ms" in f:
            lines.append(f"| {name.replace('_', ' ')} | {f['p50_ms']} | {f['p95_ms']} | {f['max_ms']} |")
    lines.append(f"\nfirst table page after a crawl: {ui['first_table_page_after_crawl_ms']} ms")
    if "schema_browser_deep_page" in ui:
        lines.append(f"schema browser page 51: page {ui['schema_browser_deep_page']} reached by its next links")
    return lines
