"""The web UI's pages over HTTP (`python -m bench.run --ui`): the sources
list, a schema browser page, table pages, diagrams, and the diagram of the
most-referenced table, at the largest source of the run.

The browser session is the owner's access token in the UI's cookie (the same
token the API takes as a bearer). Before measuring, a hub is added to the
target (`bench_hub.hub`, referenced by HUB_SPOKES tables) and the source is
recrawled, so "the most-referenced table" is a real hub. Times are the
client's, on loopback: request sent to last byte read.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from bench.api_client import Api
from bench.common import log
from bench.context import Bench
from bench.crawls import recrawl
from bench.databases import pg_admin, server_url
from bench.stats import latency_figures

HUB_SPOKES = 300


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


def pages_to_time(catalog: str, source_id: int) -> tuple[str, list[tuple], tuple]:
    """From the catalog: the source's first schema, 10 tables with foreign keys, and its most-referenced
    table (schema, name, how many keys point at it)."""
    [(schema,)] = pg_admin(
        catalog, "SELECT min(schema_name) FROM catalog_tables WHERE source_id = %s", (source_id,), fetch=True
    )
    tables = pg_admin(
        catalog,
        "SELECT schema_name, name FROM catalog_tables WHERE source_id = %s AND removed_at IS NULL "
        "AND definition->'foreign_keys' <> '[]' ORDER BY schema_name, name LIMIT 10",
        (source_id,),
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

    def timed(name: str, paths: list[str], headers: dict | None = None, bust: str | None = None) -> None:
        times = []
        for i in range(n):
            if bust:
                bench.bust_cache(bust)
            status, body, elapsed = client.get(paths[i % len(paths)], headers)
            if status != 200:
                raise RuntimeError(f"GET {paths[i % len(paths)]} answered {status}: {body[:500]}")
            times.append(elapsed)
        out[name] = latency_figures([t * 1000 for t in times])
        log(f"    ui {name}: p50 {out[name]['p50_ms']} ms, p95 {out[name]['p95_ms']} ms")

    schema, tables, (hub_schema, hub_name, hub_refs) = pages_to_time(bench.catalog_admin_url(), source_id)
    out["most_referenced"] = {"table": f"{hub_schema}.{hub_name}", "referenced_by": hub_refs}

    def page(key) -> str:
        return f"/sources/{source_id}/table?{urlencode({'schema': key[0], 'name': key[1]})}"

    def diagram(key) -> str:
        return f"/sources/{source_id}/table/diagram?{urlencode({'schema': key[0], 'name': key[1]})}"

    hx = {"HX-Request": "true"}
    # The first table page after a crawl (inbound keys come from the catalog's edge table: nothing to build).
    status, _, elapsed = client.get(page(tables[0]))
    out["first_table_page_after_crawl_ms"] = round(elapsed * 1000, 2)
    log(f"    ui first table page after a crawl: {out['first_table_page_after_crawl_ms']} ms")

    timed("sources_list", ["/sources"])
    browse = f"/sources/{source_id}/tables?{urlencode({'schema': schema})}"
    timed("schema_browser_first_page", [browse])
    status, html, _ = client.get(browse)
    deep = browse
    for _ in range(50):  # follow the next links 50 pages deep
        m = re.search(r'rel="next" href="\?([^"]+)"', html)
        if not m:
            break
        deep = f"/sources/{source_id}/tables?" + m.group(1).replace("&amp;", "&")
        status, html, _ = client.get(deep)
    timed("schema_browser_page_51", [deep])
    timed("schema_browser_name_filter", [f"/sources/{source_id}/tables?{urlencode({'q': 'customer'})}"])
    timed("table_page", [page(k) for k in tables])
    timed("diagram_cold", [diagram(k) for k in tables], hx, bust="metacrawl:read:diagram:*")
    timed("diagram_cached", [diagram(k) for k in tables], hx)
    timed("diagram_depth2_cold", [diagram(k) + "&depth=2" for k in tables], hx, bust="metacrawl:read:diagram:*")
    hub = (hub_schema, hub_name)
    timed("hub_table_page", [page(hub)])
    timed("hub_diagram_cold", [diagram(hub)], hx, bust="metacrawl:read:diagram:*")
    timed("hub_diagram_cached", [diagram(hub)], hx)
    timed(
        "search_as_you_type",
        [f"/search?{urlencode({'q': q, 'suggest': 1})}" for q in ("custmer", "ord", "invoice")],
        hx,
    )
    return out


def render(ui: dict) -> list[str]:
    lines = [
        "",
        f"## Web UI (source {ui['source_id']}; most-referenced table {ui['most_referenced']['table']}, "
        f"referenced by {ui['most_referenced']['referenced_by']})",
        "",
        "| page | p50 ms | p95 ms | max ms |",
        "| --- | --- | --- | --- |",
    ]
    for name, f in ui.items():
        if isinstance(f, dict) and "p95_ms" in f:
            lines.append(f"| {name.replace('_', ' ')} | {f['p50_ms']} | {f['p95_ms']} | {f['max_ms']} |")
    lines.append(f"\nfirst table page after a crawl: {ui['first_table_page_after_crawl_ms']} ms")
    return lines
