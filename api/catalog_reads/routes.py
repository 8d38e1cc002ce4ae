"""Catalog reads and search: answered from the catalog, never the target."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from flask import Response, request
from flask_jwt_extended import current_user
from flask_smorest import abort
from marshmallow import ValidationError

from catalog import reads
from catalog.db import Session
from catalog.jobs import active_job
from catalog.models import CrawlJob
from catalog.search import OBJECT_GROUPS, search, search_objects
from catalog.sources import user_source_ids

from ..changes.schemas import ChangePageSchema
from ..changes.views import history_page
from ..crawls.views import crawl_ref
from ..extensions import Blueprint
from ..ownership import owned_source
from ..pagination import PageArgs, decode_cursor, next_link_headers
from ..paths import raw_path_segments
from ..tables import table_id_url
from .freshness import cached, conditional_json, curated_tag, version_tag
from .schemas import (
    CollationListSchema,
    DomainListSchema,
    EnumListSchema,
    ExportArgs,
    ExportPathArgs,
    ExportSchema,
    ExtensionListSchema,
    ObjectArgs,
    RoutineArgs,
    RoutineListSchema,
    SchemaArgs,
    SchemaListSchema,
    SchemaPageSchema,
    SearchArgs,
    SearchResultSchema,
    SequenceListSchema,
    TableSchema,
    TextSearchConfigurationListSchema,
    TriggerArgs,
    TriggerListSchema,
)
from .views import (
    EXPORT_TYPES,
    INLINE_ENUM_ENGINES,
    export_response,
    json_with_raw,
    object_page,
    routine_kinds,
    schema_object_page,
    schema_rows,
    trigger_filters,
)

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="Catalog reads and search")


def table_url(source_id: int, schema: str, table: str) -> str:
    return f"/api/v1/sources/{source_id}/tables/{quote(schema, safe='')}/{quote(table, safe='')}"


def _active_job(source_id: int):
    return active_job(Session(), source_id)


_PAGE_TOP = SchemaPageSchema(exclude=("tables",))


@blp.get("/sources/<int:source_id>/schema")
@blp.login_required
@blp.arguments(SchemaArgs, location="query")
@blp.response(200, SchemaPageSchema)
@blp.alt_response(304, description="Not modified since the ETag / date you sent")
@blp.alt_response(404, description="No such source of yours")
def source_schema(args, source_id):
    """A source's tables with columns, keys, indexes and freshness, by schema then name"""
    source = owned_source(source_id)
    scope = f"schema:{source_id}:{args.get('schema')}:{args.get('kind')}:{args.get('q')}"
    if args["partitions"]:
        scope += ":partitions"
    after = decode_cursor(scope, args["cursor"], 2)
    active = _active_job(source_id)
    last = Session.get(CrawlJob, source.last_crawl_id) if source.last_crawl_id else None
    limit = args["limit"]

    def page() -> str:
        rows, next_cursor = schema_rows(source_id, args, scope, after, limit)
        return json.dumps(next_cursor) + "\n[" + ",".join(r[2] for r in rows) + "]"

    stamp = curated_tag(source, None)
    key = f"{source_id}:{version_tag(source, None, stamp, request.query_string)}"
    next_cursor_json, tables_json = cached(key, page).split("\n", 1)
    next_cursor = json.loads(next_cursor_json)
    top = {
        "source_id": source_id,
        "last_crawled_at": source.last_success_at,
        "crawl_state": shown.state if (shown := active or last) is not None else None,
        "crawl": crawl_ref(active),
        "next_cursor": next_cursor,
    }
    if args.get("schema") is not None:
        top["schema_comment"] = reads.schema_comment(Session(), source_id, args["schema"])
    etag = version_tag(source, active, stamp, request.query_string)
    response = conditional_json(
        lambda: json_with_raw(_PAGE_TOP, top, {"tables": tables_json}), etag, source.last_success_at
    )
    response.headers.update(next_link_headers(next_cursor))
    return response


@blp.get("/sources/<int:source_id>/tables/<schema>/<path:table>")
@blp.login_required
@blp.response(200, TableSchema)
@blp.alt_response(304, description="Not modified since the ETag / date you sent")
@blp.alt_response(404, description="No such source of yours, or no such table in its catalog")
def table_by_name(source_id, schema, table):
    """One table in full, by its schema and name, each one path segment: percent-encode a '/' inside a
    name (%2F), as generated clients do"""
    source = owned_source(source_id)
    segments = raw_path_segments(f"/sources/{source_id}/tables/")
    if len(segments) == 3 and segments[2] == "history":  # a name with an encoded '/' missed the history route
        try:
            args = PageArgs().load(request.args)
        except ValidationError as e:
            abort(422, errors={"query": e.messages})
        body, headers = history_page(args, source_id, segments[:2])
        return ChangePageSchema().dump(body), 200, headers
    if len(segments) != 2 or not all(segments) or any("\x00" in s for s in segments):
        abort(404, message="expected /tables/{schema}/{table}, with '/' inside a name sent as %2F")
    schema_name, table_name = segments
    body = reads.table_detail(Session(), source_id, schema_name, table_name)
    if body is None:
        abort(
            404,
            message=f"table {schema_name}.{table_name} is not in the catalog of source {source_id}"
            + ("" if source.last_success_at else " (the source has not been crawled yet)"),
        )
    return conditional_json(lambda: body, curated_tag(source, None, schema_name, table_name), source.last_success_at)


@blp.get("/sources/<int:source_id>/enums")
@blp.login_required
@blp.response(200, EnumListSchema)
@blp.alt_response(404, description="No such source of yours")
def enums(source_id):
    """A source's enums: PostgreSQL enum types, MySQL/MariaDB enum and set columns, with their values"""
    source = owned_source(source_id)
    return {
        "source_id": source_id,
        "last_crawled_at": source.last_success_at,
        "enums": reads.source_enums(Session(), source_id, inline=source.engine in INLINE_ENUM_ENGINES),
    }


def _object_page(source_id: int, field: str, kinds: tuple[str, ...], args: dict, **filters) -> tuple[dict, int, dict]:
    """One page of a source's sequences, triggers or routines (`field`), as
    the body and its Link header."""
    body = object_page(owned_source(source_id), field, kinds, args, **filters)
    return body, 200, next_link_headers(body["next_cursor"])


@blp.get("/sources/<int:source_id>/sequences")
@blp.login_required
@blp.arguments(ObjectArgs, location="query")
@blp.response(200, SequenceListSchema)
@blp.alt_response(404, description="No such source of yours")
def sequences(args, source_id):
    """A source's sequences (PostgreSQL; MariaDB 10.3+), by schema and name, from its last successful crawl"""
    return _object_page(source_id, "sequences", ("sequence",), args)


@blp.get("/sources/<int:source_id>/triggers")
@blp.login_required
@blp.arguments(TriggerArgs, location="query")
@blp.response(200, TriggerListSchema)
@blp.alt_response(404, description="No such source of yours")
def triggers(args, source_id):
    """A source's triggers (internal ones left out), by schema, table and name, from its last successful crawl"""
    try:
        args, filters = trigger_filters(args)
    except ValidationError as e:
        abort(422, errors={"query": e.messages})
    return _object_page(source_id, "triggers", ("trigger",), args, **filters)


@blp.get("/sources/<int:source_id>/routines")
@blp.login_required
@blp.arguments(RoutineArgs, location="query")
@blp.response(200, RoutineListSchema)
@blp.alt_response(404, description="No such source of yours")
def routines(args, source_id):
    """A source's functions and procedures (and PostgreSQL aggregates and window functions), by schema, name
    and arguments, from its last successful crawl; extension-owned ones left out. `body=true` adds the bodies"""
    return _object_page(source_id, "routines", routine_kinds(args), args, body=args["body"])


def _schema_object_page(source_id: int, field: str, kind: str, args: dict) -> tuple[dict, int, dict]:
    body = schema_object_page(owned_source(source_id), field, kind, args)
    return body, 200, next_link_headers(body["next_cursor"])


@blp.get("/sources/<int:source_id>/extensions")
@blp.login_required
@blp.arguments(ObjectArgs, location="query")
@blp.response(200, ExtensionListSchema)
@blp.alt_response(404, description="No such source of yours")
def extensions(args, source_id):
    """A source's installed extensions (PostgreSQL; the database's, whatever its schema filters) with their
    versions, by schema and name, from its last successful crawl; other engines list none"""
    return _schema_object_page(source_id, "extensions", "extension", args)


@blp.get("/sources/<int:source_id>/domains")
@blp.login_required
@blp.arguments(ObjectArgs, location="query")
@blp.response(200, DomainListSchema)
@blp.alt_response(404, description="No such source of yours")
def domains(args, source_id):
    """A source's domain types (PostgreSQL) with base type, default, NOT NULL and checks, by schema and name,
    from its last successful crawl; extension-owned ones left out"""
    return _schema_object_page(source_id, "domains", "domain", args)


@blp.get("/sources/<int:source_id>/collations")
@blp.login_required
@blp.arguments(ObjectArgs, location="query")
@blp.response(200, CollationListSchema)
@blp.alt_response(404, description="No such source of yours")
def collations(args, source_id):
    """A source's user-defined collations (PostgreSQL), by schema and name, from its last successful crawl"""
    return _schema_object_page(source_id, "collations", "collation", args)


@blp.get("/sources/<int:source_id>/text_search_configurations")
@blp.login_required
@blp.arguments(ObjectArgs, location="query")
@blp.response(200, TextSearchConfigurationListSchema)
@blp.alt_response(404, description="No such source of yours")
def text_search_configurations(args, source_id):
    """A source's text-search configurations (PostgreSQL, outside pg_catalog), by schema and name, from its
    last successful crawl"""
    return _schema_object_page(source_id, "text_search_configurations", "text_search_configuration", args)


@blp.get("/sources/<int:source_id>/schemas")
@blp.login_required
@blp.arguments(ObjectArgs, location="query")
@blp.response(200, SchemaListSchema)
@blp.alt_response(404, description="No such source of yours")
def schema_comments(args, source_id):
    """A source's schemas (PostgreSQL, those its filters include, with or without tables) and their comments,
    by name, from its last successful crawl"""
    return _schema_object_page(source_id, "schemas", "schema", args)


@blp.get("/search")
@blp.login_required
@blp.arguments(SearchArgs, location="query")
@blp.response(200, SearchResultSchema)
def search_catalog(args):
    """Search table and column names and comments across your sources, best match first; with
    kind=routine, sequence or trigger, their names (and routines' comments) instead"""
    source_ids = user_source_ids(Session(), current_user.id, args.get("source_id"))
    if args.get("source_id") and not source_ids:
        abort(404, message=f"source {args['source_id']} not found")
    kind = args.get("kind")
    if kind in OBJECT_GROUPS:
        hits = search_objects(Session(), source_ids, args["q"], kind, args["limit"])
        for h in hits:
            h["url"] = _object_url(h)
        return {"query": args["q"], "results": hits}
    hits = search(Session(), source_ids, args["q"], (kind,) if kind else ("table", "column"), args["limit"])
    for h in hits:
        h["url"] = table_id_url(h["table_id"])  # one URL whatever the names hold
    return {"query": args["q"], "results": hits}


def _object_url(hit: dict) -> str:
    """Where a sequence, trigger or routine hit is read: a trigger's table by
    id (its detail lists its triggers), else the source's list filtered to it."""
    if hit["table_id"] is not None:
        return table_id_url(hit["table_id"])
    query = urlencode({"schema": hit["schema"], "q": hit["name"]})
    return f"/api/v1/sources/{hit['source_id']}/{hit['kind']}s?{query}"


_TEXT_EXPORTS = sorted({f.mimetype for f in EXPORT_TYPES.values()} - {"application/json", "application/x-ndjson"})
# /schema/export/{format}: every format but JSON (whose document is `Export`, at /schema/export)
_FORMATS_BY_PATH = [f for f in EXPORT_TYPES if f != "json"]


_EXPORT_DESCRIPTION = (
    "The whole schema (or one schema of it), streamed: JSON, NDJSON (a table per line), Markdown "
    "(text/markdown), DBML (text/x-dbml), PlantUML (text/x-plantuml), Mermaid erDiagram (text/plain) or "
    "Graphviz DOT (text/vnd.graphviz), or dbt sources (application/yaml: `sources.yml`, a dbt source per "
    "schema). Foreign keys are drawn as declared; accepted inferred keys are marked `inferred`. JSON, Markdown, "
    "DBML and dbt carry what the team curated: descriptions, tags and owners."
)


def _also_as_exports(json_too: bool):
    """Document each media type an export answers with (NDJSON: a table per line)."""

    def decorate(func):
        for mimetype in reversed(_TEXT_EXPORTS):
            func = blp.also_as(mimetype)(func)
        func = blp.also_as("application/x-ndjson", TableSchema)(func)
        return blp.also_as("application/json", ExportSchema)(func) if json_too else func

    return decorate


@blp.get("/sources/<int:source_id>/schema/export")
@blp.login_required
@blp.arguments(ExportArgs, location="query")
@blp.response(200, ExportSchema, description=_EXPORT_DESCRIPTION)
@_also_as_exports(json_too=False)
@blp.alt_response(404, description="No such source of yours")
def export_source(args, source_id):
    """Export a source's whole schema (or one schema of it), streamed. Generated clients read the JSON
    (`Export`) here, and the other formats from /schema/export/{format}"""
    return _export(source_id, args["format"], args.get("schema"))


@blp.get("/sources/<int:source_id>/schema/export/<any(" + ",".join(_FORMATS_BY_PATH) + "):format>")
@blp.login_required
@blp.arguments(ExportPathArgs, location="query")
@blp.response(200, description=_EXPORT_DESCRIPTION)
@_also_as_exports(json_too=False)
@blp.alt_response(404, description="No such source of yours")
def export_source_as(args, source_id, format):
    """Export a source's whole schema (or one schema of it) in a text format, streamed: the same documents
    as /schema/export?format=, one media type each, which a generated client reads as text"""
    return _export(source_id, format, args.get("schema"))


def _export(source_id: int, fmt: str, only: str | None) -> Response:
    return export_response(owned_source(source_id), fmt, only)
