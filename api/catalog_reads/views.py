"""Answers of the catalog reads built once: a page of a source's schema (for
the schema route and the web UI's table browser alike: the same keyset paging
over the same catalog read), a page of its sequences, triggers, routines and
schema objects (the object routes and the web UI's object pages alike), and
the streamed exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import quote

import marshmallow as ma
from flask import Response, stream_with_context
from sqlalchemy.engine import Connection

from catalog import reads
from catalog.db import Session, engine
from catalog.models import Source

from ..pagination import decode_cursor, encode_cursor
from .schemas import EXPORT_FORMATS, ExportSchema, RoutineSchema, SequenceSchema, TriggerSchema

# Engines whose enums are inline column types (enum(...), set(...)).
INLINE_ENUM_ENGINES = ("mysql", "mariadb")

_EXPORT_TOP = ExportSchema(exclude=("tables", "sequences", "triggers", "routines"))
_OBJECT_LISTS = {
    "sequences": SequenceSchema(many=True),
    "triggers": TriggerSchema(many=True),
    "routines": RoutineSchema(many=True),
}


def json_with_raw(schema: ma.Schema, values: dict, raw: dict[str, str]) -> str:
    """A JSON object: `values` serialised through the declared `schema`, then
    the fields in `raw`, whose JSON text PostgreSQL already built (a page of
    1,000 table documents is never parsed and re-serialised in Python). The
    documents' own schema (TableSchema) is checked by the test suite against
    every answer it receives."""
    dumped = schema.dump(values)
    parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in dumped.items()]
    parts += [f"{json.dumps(k)}: {text}" for k, text in raw.items()]
    return "{" + ", ".join(parts) + "}"


def schema_rows(
    source_id: int, args: dict, scope: str, after: list | None, limit: int
) -> tuple[list[tuple[str, str, str]], str | None]:
    """Up to `limit` (schema, name, document JSON) rows after the key `after`,
    filtered by the schema arguments (schema, kind, q, partitions), and the
    cursor of the next page (None on the last)."""
    rows = reads.schema_page(
        Session(),
        source_id,
        schema=args.get("schema"),
        kind=args.get("kind"),
        q=args.get("q"),
        after=tuple(after) if after else None,
        limit=limit + 1,
        partitions=args["partitions"],
    )
    next_cursor = encode_cursor(scope, list(rows[limit - 1][:2])) if len(rows) > limit else None
    return rows[:limit], next_cursor


def object_page(source: Source, field: str, kinds: tuple[str, ...], args: dict, **filters) -> dict:
    """One page of a source's sequences, triggers, routines or schema objects
    (`field`, of these catalog `kinds`), filtered by `args` (schema, q) and
    `filters` (table, body), after `args["cursor"]`, `args["limit"]` long:
    keyset pagination like the other lists, its `next_cursor` in the body."""
    source_id = source.id
    scope = f"{field}:{source_id}:{kinds}:{args.get('schema')}:{args.get('q')}:{sorted(filters.items())}"
    after = decode_cursor(scope, args["cursor"], len(reads.OBJECT_ORDER))
    limit = args["limit"]
    rows = reads.list_objects(
        Session(),
        source_id,
        kinds,
        schema=args.get("schema"),
        q=args.get("q"),
        after=tuple(after) if after else None,
        limit=limit + 1,
        **filters,
    )
    next_cursor = encode_cursor(scope, rows[limit - 1]["_key"]) if len(rows) > limit else None
    return {
        "source_id": source_id,
        "last_crawled_at": source.last_success_at,
        "next_cursor": next_cursor,
        field: rows[:limit],
    }


def schema_object_page(source: Source, field: str, kind: str, args: dict) -> dict:
    """A page of one kind of engines/schema_objects.py's objects, each
    without the catalog's key parts that it does not have."""
    body = object_page(source, field, (kind,), args)
    for item in body[field]:
        del item["kind"]
        if kind == "schema":
            del item["schema"]
    return body


def routine_kinds(args: dict) -> tuple[str, ...]:
    """The routine kinds a routines page lists: the one asked for, else all."""
    return (args["kind"],) if args.get("kind") else reads.ROUTINE_KINDS


def trigger_filters(args: dict) -> tuple[dict, dict]:
    """The triggers arguments with `table` read as `schema.name` (split at the
    first '.') or, beside `schema`, as a bare name: the arguments and the
    filters for object_page. A bare name without a schema is a
    ValidationError naming `table`."""
    if args.get("table") is None:
        return args, {}
    table = args["table"]
    if args.get("schema") is None:
        if "." not in table:
            raise ma.ValidationError({"table": ["expected schema.name (or give schema as well)"]})
        schema, table = table.split(".", 1)
        args = {**args, "schema": schema}
    return args, {"table": table}


def json_export(conn: Connection, source_id: int, only: str | None, header: dict, ndjson: bool) -> Iterator[str]:
    """A source's tables as JSON documents: one per line (NDJSON), or one
    object, the header's fields (with the source's and schemas' curation)
    then the tables, sequences, triggers and routines."""
    from catalog.exports.curation import scope_curation
    from catalog.exports.source import OBJECT_FIELDS, objects, stream_documents

    texts = stream_documents(conn, source_id, only)
    if ndjson:
        for doc in texts:
            yield doc + "\n"
        return
    # the object up to its tables array, left open: the tables stream after it
    header = {**header, "curation": scope_curation(conn, source_id, only)}
    yield json_with_raw(_EXPORT_TOP, header, {"tables": "["}).removesuffix("}")
    for i, doc in enumerate(texts):
        yield ("," if i else "") + doc
    yield "]"
    for field in OBJECT_FIELDS:  # the source's sequences, triggers and routines, after its tables
        yield f", {json.dumps(field)}: " + json.dumps(_OBJECT_LISTS[field].dump(objects(conn, source_id, field, only)))
    yield "}\n"


def text_export(conn: Connection, source: Source, fmt: str, only: str | None) -> Iterator[str]:
    """A source's tables written as Markdown, DBML, PlantUML, Mermaid, DOT or dbt sources."""
    from catalog.exports import dbml, dbt, erd, markdown, plantuml
    from catalog.exports.curation import scope_curation
    from catalog.exports.source import objects, stream_enums, stream_export

    source_id = source.id
    curated = fmt in ("markdown", "dbml", "dbt")
    curation = scope_curation(conn, source_id, only) if curated else {}
    tables = stream_export(conn, source_id, only, referenced_by=fmt == "markdown", curated=curated)
    if fmt == "dbt":
        yield from dbt.write(curation, tables)
    elif fmt == "markdown":
        yield from markdown.write(
            source.name,
            source.last_success_at,
            stream_enums(conn, source_id, only),
            tables,
            objects(conn, source_id, "sequences", only),
            objects(conn, source_id, "routines", only),
            curation,
        )
    elif fmt == "dbml":
        yield from dbml.write(source.name, source.engine, stream_enums(conn, source_id, only), tables, curation)
    elif fmt == "plantuml":
        yield from plantuml.write(source.name, lambda: stream_export(conn, source_id, only))
    elif fmt == "mermaid":
        yield from erd.write_mermaid(tables)
    else:
        yield from erd.write_dot(source.name, tables)


class ExportType(NamedTuple):
    """How an export format is served: its media type, the end of the
    downloaded file's name, its name for people and what it is for."""

    mimetype: str
    ending: str
    label: str
    purpose: str


# Every format the export routes take (schemas.EXPORT_FORMATS), in that order.
EXPORT_TYPES = {
    name: ExportType(*spec)
    for name, spec in zip(
        EXPORT_FORMATS,
        (
            ("application/json", "schema.json", "JSON", "The full catalog document: for scripts and the CI gate."),
            ("application/x-ndjson", "schema.ndjson", "NDJSON", "One table document per line: for streaming tools."),
            ("text/markdown", "schema.md", "Markdown", "Readable documentation, table by table, with curation."),
            ("text/x-dbml", "schema.dbml", "DBML", "For dbdiagram.io and other DBML tools, with notes."),
            ("text/x-plantuml", "schema.puml", "PlantUML", "An entity diagram to render with PlantUML."),
            ("text/plain", "schema.mmd", "Mermaid", "An erDiagram for Mermaid (GitHub, GitLab, wikis)."),
            ("text/vnd.graphviz", "schema.dot", "Graphviz DOT", "A graph to render with Graphviz dot."),
            ("application/yaml", "sources.yml", "dbt sources", "A dbt sources.yml: a source per schema."),
        ),
        strict=True,
    )
}


def export_response(source: Source, fmt: str, only: str | None) -> Response:
    """A source's export (one schema of it: `only`) in format `fmt`, streamed
    as a download (the source already checked as the caller's)."""
    header = {
        "source_id": source.id,
        "name": source.name,
        "engine": source.engine,
        "last_crawled_at": source.last_success_at,
    }

    def generate():
        with engine().connect() as conn:
            if fmt in ("json", "ndjson"):
                yield from json_export(conn, source.id, only, header, ndjson=fmt == "ndjson")
            else:
                yield from text_export(conn, source, fmt, only)

    kind = EXPORT_TYPES[fmt]
    suffix = f"-{quote(only, safe='')}" if only else ""
    return Response(
        stream_with_context(generate()),
        mimetype=kind.mimetype,
        headers={"Content-Disposition": f'attachment; filename="source-{source.id}{suffix}-{kind.ending}"'},
    )
