"""Catalog pages: schema browser, table page with its diagram and starter
query, search as you type, and the change feed."""

from __future__ import annotations

import json

import marshmallow as ma
from flask import abort, render_template, request
from flask_jwt_extended import current_user
from markupsafe import Markup

from catalog import overview, reads
from catalog.changes import EVENTS, change_events, table_id
from catalog.curation import CurationError, Target, object_curation
from catalog.db import Session
from catalog.exports.svg import DiagramUnavailable
from catalog.insights.hazards import HAZARDS
from catalog.lineage import table_lineage
from catalog.models import Source
from catalog.search import search
from catalog.sources import source_names

from ..catalog_reads.freshness import cached
from ..catalog_reads.schemas import KINDS, SchemaArgs, SearchArgs
from ..catalog_reads.views import schema_rows
from ..changes.views import change_page
from ..diagrams.graph import catalog_version, diagram, key_graph, table_page
from ..diagrams.schemas import StarterQueryArgs
from ..diagrams.views import starter_query_view
from ..ownership import owned_source
from ..pagination import decode_cursor
from . import blp
from .forms import load_with
from .lineage_svg import lineage_diagram
from .session import page
from .views_curation import box, history_rows
from .views_insights import table_findings
from .views_objects import object_hits

PAGE_SIZE = 100


def _schemas(source: Source) -> list[dict]:
    version = catalog_version(source)
    return json.loads(
        cached(f"ui-schemas:{source.id}:{version}", lambda: json.dumps(overview.schemas(Session(), source.id)))
    )


@blp.get("/sources/<int:source_id>/tables")
@page
def browse(source_id: int):
    """Schemas, then a schema's tables in keyset pages, filtered by kind and name. As in the API,
    a partitioned table is listed once with its partition count unless `partitions` is on."""
    source = owned_source(source_id)
    raw = {k: v for k, v in request.args.items() if k in ("schema", "kind", "q", "partitions") and v}
    args, errors = load_with(SchemaArgs(), raw)
    if errors:
        args = {"partitions": False}
    partitions = args["partitions"]
    scope = f"ui-tables:{source_id}:{args.get('schema')}:{args.get('kind')}:{args.get('q')}:{partitions}"
    after = decode_cursor(scope, request.args.get("cursor") or None, 2)
    rows, next_cursor = schema_rows(source_id, args, scope, after, PAGE_SIZE)
    tables = []
    for _schema, _name, doc in rows:
        t = json.loads(doc)
        tables.append(
            {
                "schema": t["schema"],
                "name": t["name"],
                "kind": t["kind"],
                "comment": t.get("comment"),
                "columns": len(t.get("columns") or []),
                "row_estimate": t.get("row_estimate"),
                "size_bytes": t.get("size_bytes"),
                "changed_at": t.get("changed_at"),
                "url": table_page(source_id, (t["schema"], t["name"])),
                "partition_count": t.get("partition_count"),
                "partition_of": t.get("partition_of"),
                "curation": t.get("curation"),
            }
        )
    return render_template(
        "tables.html",
        schema_box=_schema_box(source, args.get("schema")),
        schema_comment=reads.schema_comment(Session(), source.id, args["schema"]) if args.get("schema") else None,
        source=source,
        schemas=_schemas(source),
        tables=tables,
        args=args,
        errors=errors,
        kinds=KINDS,
        next_cursor=next_cursor,
        first_page=after is None,
    )


def _schema_box(source: Source, schema: str | None) -> dict | None:
    """The curation box of the schema a page lists (None for all schemas, or a schema gone)."""
    if not schema:
        return None
    try:
        cur = object_curation(Session(), source.id, Target.schema(schema))
    except CurationError:
        return None
    return box(source, Target.schema(schema), cur, f"schema {schema}")


def _table_curation(source: Source, t: dict) -> dict:
    """The boxes of a table and its columns (the table document carries their curation), and its history."""
    target = Target.table(t["table_id"])
    name = f"table {t['schema']}.{t['name']}"
    return {
        "table_box": box(source, target, t.get("curation"), name, t.get("comment")),
        "column_boxes": {
            c["name"]: box(
                source,
                Target.column(t["table_id"], c["name"]),
                c.get("curation"),
                f"column {c['name']}",
                c.get("comment"),
            )
            for c in t["columns"]
        },
        "curation_history": history_rows(source.id, target),
    }


class TableArgs(ma.Schema):
    schema = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))


def _table_key(source_id: int) -> tuple[str, str]:
    args, errors = load_with(TableArgs(), {k: request.args.get(k) for k in ("schema", "name") if request.args.get(k)})
    if errors or "\x00" in args["schema"] + args["name"]:
        abort(404, description="Which table? This page needs a schema and a table name.")
    return args["schema"], args["name"]


@blp.get("/sources/<int:source_id>/table")
@page
def table(source_id: int):
    source = owned_source(source_id)
    key = _table_key(source_id)
    doc = reads.table_detail(Session(), source_id, *key)
    if doc is None:
        abort(
            404,
            description=f"Table {key[0]}.{key[1]} is not in the catalog of {source.name}"
            + ("." if source.last_success_at else " (it has not been crawled yet)."),
        )
    t = json.loads(doc)
    graph = key_graph(source)
    referenced_by = graph.inbound([key])[key]
    enum_types = sorted({c["type"] for c in t["columns"] if c.get("type")})
    enums = overview.enum_values(Session(), source_id, enum_types)
    tid = table_id(Session(), source_id, *key)
    history = change_events(Session(), source_id, table_id=tid, limit=20) if tid else []
    neighbours = {(fk["referenced_schema"], fk["referenced_table"]) for fk in t.get("foreign_keys", [])}
    neighbours |= {e.source for e in referenced_by}
    neighbours.discard(key)
    depth = 2 if request.args.get("depth") == "2" else 1
    lineage = table_lineage(Session(), source_id, t)
    return render_template(
        "table.html",
        lineage=lineage,
        lineage_svg=lineage_diagram(lineage, key, lambda k: table_page(source_id, k)),
        **_table_curation(source, t),
        source=source,
        t=t,
        key=key,
        referenced_by=referenced_by,
        enums=enums,
        history=history,
        neighbours=sorted(neighbours),
        depth=depth,
        table_page=table_page,
        query=None,
        findings=table_findings(source_id, tid),
    )


@blp.get("/sources/<int:source_id>/table/diagram")
@page
def table_diagram(source_id: int):
    """The diagram as an inline SVG fragment (htmx), or as an SVG document."""
    source = owned_source(source_id)
    key = _table_key(source_id)
    depth = 2 if request.args.get("depth") == "2" else 1
    try:
        svg = diagram(source, key, depth, "svg")
    except DiagramUnavailable as e:
        return render_template("_diagram.html", svg=None, problem=str(e))
    if svg is None:
        abort(404, description=f"Table {key[0]}.{key[1]} is not in the catalog of {source.name}.")
    if request.headers.get("HX-Request"):
        return render_template("_diagram.html", svg=Markup(svg), problem=None)  # noqa: S704 Graphviz output of escaped labels
    return svg, 200, {"Content-Type": "image/svg+xml; charset=utf-8"}


@blp.get("/sources/<int:source_id>/table/query")
@page
def table_query(source_id: int):
    """The starter query for the tables ticked on the table page."""
    source = owned_source(source_id)
    key = _table_key(source_id)
    join = []
    for raw in request.args.getlist("join"):
        try:
            s, n = json.loads(raw)
            join.append({"schema": str(s), "table": str(n)})
        except (ValueError, TypeError):
            continue
    other = (request.args.get("other") or "").strip()
    if other and "." in other:
        s, n = other.split(".", 1)
        join.append({"schema": s, "table": n})
    args, errors = load_with(StarterQueryArgs(), {"schema": key[0], "table": key[1], "join": join})
    query = None if errors else starter_query_view(source, args)
    if query is None and not errors:
        abort(404, description=f"Table {key[0]}.{key[1]} is not in the catalog of {source.name}.")
    if request.headers.get("HX-Request"):
        return render_template("_query.html", query=query, errors=errors)
    return render_template("query.html", source=source, key=key, query=query, errors=errors, table_page=table_page)


def _user_sources() -> dict[int, str]:
    return source_names(Session(), current_user.id)


@blp.get("/search")
@page
def search_page():
    """Search as you type (htmx asks for the `suggest` fragment), or a full page without JavaScript, which
    after the tables and columns lists routines, sequences, triggers, domains, extensions and enum types,
    each linked to its place on its kind's page."""
    q = (request.args.get("q") or "").strip()
    hits: list[dict] = []
    errors: dict = {}
    if q:
        args, errors = load_with(SearchArgs(), {"q": q, "limit": 20 if request.args.get("suggest") else 50})
        if not errors:
            names = _user_sources()
            hits = search(Session(), list(names), args["q"], ("table", "column"), args["limit"])
            for h in hits:
                h["source_name"] = names.get(h["source_id"], "")
                h["url"] = table_page(h["source_id"], (h["schema"], h["table"]))
            if not request.args.get("suggest"):  # the typed-ahead list stays one query
                hits += object_hits(names, args["q"], 20)
    if request.args.get("suggest") and request.headers.get("HX-Request"):
        return render_template("_search_results.html", hits=hits, q=q, errors=errors, suggest=True)
    return render_template("search.html", hits=hits, q=q, errors=errors)


EVENT_LABELS = {
    "table_added": "added",
    "table_changed": "changed",
    "table_removed": "removed",
    "table_renamed": "renamed",
    "column_renamed": "column renamed",
    "table_probable_rename": "probable rename",
    "enum_added": "enum added",
    "enum_changed": "enum changed",
    "enum_removed": "enum removed",
    **{
        f"{group}_{what}": f"{group} {what}"
        for group in ("sequence", "trigger", "routine")
        for what in ("added", "changed", "removed")
    },
    "source_crawled": "first crawl",
}


@blp.get("/sources/<int:source_id>/changes")
@page
def changes(source_id: int):
    source = owned_source(source_id)
    event = request.args.get("event") or None
    if event not in (None, *EVENTS):
        event = None
    hazard = request.args.get("hazard") if request.args.get("hazard") in HAZARDS else None
    paging = {"cursor": request.args.get("cursor") or None, "limit": 50}
    scope = f"ui-changes:{source_id}:{event}:{hazard}"
    feed, _ = change_page(paging, scope, source_id=source_id, event=event, hazard=hazard, live=True)
    rows = feed["changes"]
    for r in rows:
        r["url"] = table_page(source_id, (r["schema_name"], r["table_name"])) if r["live"] and r["table_name"] else None
    return render_template(
        "changes.html",
        source=source,
        rows=rows,
        event=event,
        hazard=hazard,
        hazards=HAZARDS,
        labels=EVENT_LABELS,
        next_cursor=feed["next_cursor"],
    )
