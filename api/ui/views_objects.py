"""A source's objects other than tables, one page per kind: routines (their
bodies highlighted), sequences, triggers, enums, extensions, domains,
collations and text-search configurations, with
the API's filters and keyset pages (api/catalog_reads/views.py, the same
builders as the API's routes), each object under a stable anchor that search
hits link to."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import marshmallow as ma
from flask import render_template, request
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import MySqlLexer, PostgresLexer, SqlLexer

from catalog import reads
from catalog.db import Session
from catalog.models import Source
from catalog.search import search_objects

from ..catalog_reads.schemas import ObjectArgs, RoutineArgs, TriggerArgs
from ..catalog_reads.views import INLINE_ENUM_ENGINES, object_page, routine_kinds, schema_object_page, trigger_filters
from ..diagrams.graph import table_page
from ..ownership import owned_source
from . import blp
from .forms import load_with
from .session import page

PAGE_SIZE = 50
# The kinds with a page, by the last part of its path: its title and the API's arguments it takes
PAGES = {
    "routines": ("Routines", RoutineArgs),
    "sequences": ("Sequences", ObjectArgs),
    "triggers": ("Triggers", TriggerArgs),
    "enums": ("Enums", ObjectArgs),
    "extensions": ("Extensions", ObjectArgs),
    "domains": ("Domains", ObjectArgs),
    "collations": ("Collations", ObjectArgs),
    "text_search_configurations": ("Text-search configurations", ObjectArgs),
}
# a search group (catalog.search.OBJECT_GROUPS) -> the page its hits are on and their anchors' kind
SEARCH_PAGES = {
    "routine": "routines",
    "sequence": "sequences",
    "trigger": "triggers",
    "domain": "domains",
    "extension": "extensions",
    "enum": "enums",
}
# Bodies longer than this are shown as plain (escaped) text: highlighting
# a body of megabytes would hold the page up.
HIGHLIGHT_MAX = 200_000
_FORMATTER = HtmlFormatter(cssclass="hl", wrapcode=True)


def anchor(kind: str, *parts: str) -> str:
    """A stable id for an object: its kind and key parts, each percent-encoded
    with '-' encoded too, so the '-' between them is never ambiguous and the id
    holds no character a URL fragment would change."""
    return "-".join([kind, *(quote(p, safe="").replace("-", "%2D") for p in parts)])


def highlighted(sql: str | None, engine: str) -> Markup | None:
    """SQL as HTML: Pygments escapes every character of the text it writes
    (& < > " '), so its output is the only markup here; a body too long to
    highlight is returned as None and shown as plain, autoescaped text."""
    if sql is None or len(sql) > HIGHLIGHT_MAX:
        return None
    if engine == "postgresql":
        lexer = PostgresLexer()  # it lexes a $$ body by its LANGUAGE (plpgsql...)
    elif engine in INLINE_ENUM_ENGINES:
        lexer = MySqlLexer()
    else:
        lexer = SqlLexer()
    return Markup(highlight(sql, lexer, _FORMATTER))  # noqa: S704 Pygments' escaped output


def object_url(source_id: int, kind_page: str, ident: str, **filters: str | None) -> str:
    """An object's place on its kind's page: filtered to it, at its anchor."""
    query = urlencode({k: v for k, v in filters.items() if v})
    return f"/sources/{source_id}/{kind_page}?{query}#{ident}"


def _routine(source: Source, r: dict) -> dict:
    return {
        **r,
        "anchor": anchor("routine", r["schema"], r["name"], r["arguments"]),
        "body_html": highlighted(r.get("body"), source.engine),
    }


def _trigger(source: Source, t: dict) -> dict:
    function_url = None
    if t.get("function") and "." in t["function"]:
        schema, name = t["function"].split(".", 1)  # a trigger function takes no arguments
        function_url = object_url(source.id, "routines", anchor("routine", schema, name, ""), schema=schema, q=name)
    return {
        **t,
        "anchor": anchor("trigger", t["schema"], t["table"], t["name"]),
        "table_url": table_page(source.id, (t["schema"], t["table"])),
        "function_url": function_url,
        "definition_html": highlighted(t["definition"], source.engine),
    }


def _sequence(source: Source, s: dict) -> dict:
    owner = s.get("owned_by")
    return {
        **s,
        "anchor": anchor("sequence", s["schema"], s["name"]),
        "owner_url": table_page(source.id, (owner["schema"], owner["table"])) + "#columns" if owner else None,
    }


def _enums(source: Source, args: dict) -> list[dict]:
    """The source's enums as the API lists them (not paged there either),
    filtered by schema and name (for an enum or set column: its table's or
    column's name too)."""
    q = (args.get("q") or "").lower()
    out = []
    for e in reads.source_enums(Session(), source.id, inline=source.engine in INLINE_ENUM_ENGINES):
        if args.get("schema") is not None and e["schema"] != args["schema"]:
            continue
        if q and not any(q in (v or "").lower() for v in (e["name"], e["table"], e["column"])):
            continue
        if e["table"]:
            e["anchor"] = anchor("enum", e["schema"], e["table"], e["column"])
            e["table_url"] = table_page(source.id, (e["schema"], e["table"]))
        else:
            e["anchor"] = anchor("enum", e["schema"], e["name"])
        out.append(e)
    return out


def _named(kind: str, items: list[dict]) -> list[dict]:
    return [{**i, "anchor": anchor(kind, i["schema"], i["name"])} for i in items]


def _page_of(source: Source, kind_page: str, args: dict) -> tuple[list[dict], str | None]:
    """The objects of one page, each with its anchor (and links, highlighted SQL), and the next page's cursor."""
    if kind_page == "enums":
        return _enums(source, args), None
    if kind_page == "routines":
        body = object_page(source, "routines", routine_kinds(args), args, body=True)
        return [_routine(source, r) for r in body["routines"]], body["next_cursor"]
    if kind_page == "triggers":
        args, filters = trigger_filters(args)
        body = object_page(source, "triggers", ("trigger",), args, **filters)
        return [_trigger(source, t) for t in body["triggers"]], body["next_cursor"]
    if kind_page == "sequences":
        body = object_page(source, "sequences", ("sequence",), args)
        return [_sequence(source, s) for s in body["sequences"]], body["next_cursor"]
    kind = kind_page.removesuffix("s")
    body = schema_object_page(source, kind_page, kind, args)
    return _named(kind, body[kind_page]), body["next_cursor"]


FILTERS = ("schema", "q", "kind", "table", "limit", "cursor")


@blp.get("/sources/<int:source_id>/<any(" + ",".join(PAGES) + "):kind_page>")
@page
def objects(source_id: int, kind_page: str):
    """One kind's objects with the API's filters and pages; a bad filter is
    the page again with its message under the field, answered 422."""
    source = owned_source(source_id)
    title, schema = PAGES[kind_page]
    raw = {k: v for k in FILTERS if k in schema().fields and (v := request.args.get(k))}
    raw.setdefault("limit", str(PAGE_SIZE))
    args, errors = load_with(schema(), raw)
    items: list[dict] = []
    next_cursor = None
    if not errors:
        try:
            items, next_cursor = _page_of(source, kind_page, args)
        except ma.ValidationError as e:
            errors = {k: list(v) for k, v in e.normalized_messages().items()}
    shown = {k: v for k, v in raw.items() if k != "cursor" and not (k == "limit" and v == str(PAGE_SIZE))}
    return (
        render_template(
            "objects.html",
            source=source,
            kind_page=kind_page,
            title=title,
            fields=schema().fields,
            args=raw,
            errors=errors,
            items=items,
            first_page="cursor" not in raw,
            filters=sorted(shown.items()),
            next_cursor=next_cursor,
            routine_kinds=reads.ROUTINE_KINDS,
        ),
        422 if errors else 200,
    )


def object_hits(source_names: dict[int, str], q: str, limit: int) -> list[dict]:
    """Search hits among the sources' routines, sequences, triggers, domains,
    extensions and enum types (catalog.search.search_objects, one query per group), each
    linked to its anchor on its kind's page."""
    hits = []
    for group, kind_page in SEARCH_PAGES.items():
        for h in search_objects(Session(), list(source_names), q, group, limit):
            if group == "routine":
                ident = anchor(group, h["schema"], h["name"], h["arguments"] or "")
                filters = {"schema": h["schema"], "q": h["name"]}
            elif group == "trigger":
                ident = anchor(group, h["schema"], h["table"] or "", h["name"])
                filters = {"schema": h["schema"], "table": h["table"], "q": h["name"]}
            else:
                ident = anchor(group, h["schema"], h["name"])
                filters = {"schema": h["schema"], "q": h["name"]}
            h["source_name"] = source_names.get(h["source_id"], "")
            h["url"] = object_url(h["source_id"], kind_page, ident, **filters)
            hits.append(h)
    return hits
