"""Curation in the pages: a source's, a schema's, a table's and each
column's description (Markdown shown as safe HTML), tags and owners, with
their history, and the page of everything carrying a tag.

One object's box is addressed by its source and query arguments (`schema`,
or `table` (its catalog id) and optionally `column`; none: the source).
A curator's Edit is a link to the edit page (a plain form: POST, then back
to the object's page); htmx instead fetches the form fragment into the box
and posts it, and gets the box back, or the form with its problems (422)."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlencode

from flask import abort, redirect, render_template, request
from flask_jwt_extended import current_user

from catalog import curation
from catalog.curation import CurationError, Target
from catalog.db import Session
from catalog.models import Source
from catalog.sources import source_names
from catalog.teams import at_least, team_tags

from ..diagrams.graph import table_page
from ..ownership import CURATOR, VIEWER, owned_source, role_in
from ..pagination import decode_cursor, encode_cursor
from . import blp
from .session import page

HISTORY_SHOWN = 20


def target_of(args) -> Target:
    """The object the query arguments name (404 for arguments that name none)."""
    table, schema, column = args.get("table"), args.get("schema"), args.get("column")
    if table:
        if not table.isdigit() or len(table) > 18:
            abort(404, description="No such table.")
        return Target.column(int(table), column) if column else Target.table(int(table))
    if column:
        abort(404, description="A column is named with its table.")
    return Target.schema(schema) if schema else Target.source()


def query_of(target: Target) -> str:
    """The query arguments of an object's box (target_of's inverse)."""
    if target.kind == "source":
        return ""
    if target.kind == "schema":
        return urlencode({"schema": target.schema_name})
    args = {"table": target.table_id, **({"column": target.column_name} if target.kind == "column" else {})}
    return urlencode(args)


def may_curate(source: Source) -> bool:
    return at_least(role_in(source.team_id), CURATOR)


def _uid(target: Target) -> str:
    """A short id for an object's inputs, unique on a page whatever its names hold."""
    return "c" + hashlib.sha256(f"{target}".encode()).hexdigest()[:10]


def box(source: Source, target: Target, cur: dict | None, label: str, comment: str | None = None) -> dict:
    """What a curation box shows: the object's curation (or none yet, with
    its database comment), a name for it and whether the current user may edit it."""
    return {
        "source_id": source.id,
        "query": query_of(target),
        "uid": _uid(target),
        "kind": target.kind,
        "label": label,
        "cur": cur or curation.empty_view(comment),
        "can_edit": may_curate(source),
        "compact": target.kind == "column",
    }


def _object(source: Source, target: Target) -> tuple[dict, str, str]:
    """The object's curation, a name for it and the page it is shown on."""
    try:
        found = curation.presence(Session(), source.id, target)
        cur = curation.object_curation(Session(), source.id, target)
    except CurationError as e:
        abort(404, description=str(e))
    if target.kind == "source":
        return cur, f"source {source.name}", f"/sources/{source.id}"
    if target.kind == "schema":
        return cur, f"schema {target.schema_name}", f"/sources/{source.id}/tables?{query_of(target)}"
    url = table_page(source.id, (found.schema_name or "", found.table_name or ""))
    if target.kind == "table":
        return cur, f"table {found.schema_name}.{found.table_name}", url
    return cur, f"column {found.table_name}.{target.column_name}", url + "#columns"


def history_rows(source_id: int, target: Target) -> list[dict]:
    """The object's audit list as people read it, newest first."""
    try:
        rows = curation.history(Session(), source_id, target, limit=HISTORY_SHOWN)
    except CurationError:
        return []
    for r in rows:
        r["before_text"], r["after_text"] = _shown(r["field"], r["before"]), _shown(r["field"], r["after"])
    return rows


def _shown(field: str, value) -> str:
    if value in (None, [], ""):
        return "(none)"
    if field == "owners":
        return ", ".join(str(o.get("name") or o.get("id")) for o in value)
    if field == "tags":
        return ", ".join(value)
    text = str(value)
    return text if len(text) <= 300 else text[:300] + "…"


def _form_context(source: Source, target: Target, cur: dict, errors: dict, sent=None) -> dict:
    owners = ", ".join(o["name"] if o["kind"] == "user" else f"team:{o['name']}" for o in cur["owners"])
    values = {
        "description": cur["description"] or "",
        "tags": [t["name"] for t in cur["tags"]],
        "owners": owners,
    }
    if sent is not None:
        values = {
            "description": sent.get("description", ""),
            "tags": sent.getlist("tags"),
            "owners": sent.get("owners", ""),
        }
    return {
        "source_id": source.id,
        "query": query_of(target),
        "kind": target.kind,
        "shown": values,  # not "values": Jinja would find the dict's method
        "errors": errors,
        "uid": _uid(target),
        "team_tags": team_tags(Session(), source.team_id),
        "compact": target.kind == "column",
    }


def _reached(source_id: int, need: str) -> tuple[Source, Target, dict, str, str]:
    """The source (at least `need`), the object the query names, its curation, its name and page."""
    source = owned_source(source_id, need)
    target = target_of(request.args)
    return source, target, *_object(source, target)


@blp.get("/sources/<int:source_id>/curation")
@page
def curation_box(source_id: int):
    """An object's box (htmx: Cancel on the form, or after saving)."""
    source, target, cur, name, back = _reached(source_id, VIEWER)
    if not request.headers.get("HX-Request"):
        return redirect(back, 303)
    return render_template("_curation_box.html", b=box(source, target, cur, name))


@blp.get("/sources/<int:source_id>/curation/history")
@page
def curation_history(source_id: int):
    """History of an object's description, tags and owners (anyone who reads the source)."""
    source, target, _, name, back = _reached(source_id, VIEWER)
    return _object_page(source, target, name, back, None)


@blp.get("/sources/<int:source_id>/curation/edit")
@page
def curation_edit(source_id: int):
    """The form: a fragment for htmx, else a page of its own with the object's history."""
    source, target, cur, name, back = _reached(source_id, CURATOR)
    form = _form_context(source, target, cur, {})
    if request.headers.get("HX-Request"):
        return render_template("_curation_form.html", f=form, hx=True)
    return _object_page(source, target, name, back, form)


def _object_page(source: Source, target: Target, name: str, back: str, form: dict | None, status: int = 200):
    """The edit page (with `form`) or the history page of an object."""
    history = history_rows(source.id, target)
    return (
        render_template("curation.html", source=source, name=name, back=back, f=form, history=history, hx=False),
        status,
    )


@blp.post("/sources/<int:source_id>/curation")
@page
def curation_save(source_id: int):
    """Save the form: back to the object's page (htmx: its box), or the form with its problems (422)."""
    source = owned_source(source_id, CURATOR)
    target = target_of(request.args)
    owners = [o for o in re.split(r"[,\n]+", request.form.get("owners") or "") if o.strip()]
    changes = {
        "description": request.form.get("description") or None,
        "tags": request.form.getlist("tags"),
        "owners": owners,
    }
    try:
        curation.curate(Session(), source, target, changes, current_user.id)
    except CurationError as e:
        Session.rollback()
        cur, name, back = _object(source, target)
        form = _form_context(source, target, cur, {e.field: [str(e)]}, request.form)
        if request.headers.get("HX-Request"):
            return render_template("_curation_form.html", f=form, hx=True), 422
        return _object_page(source, target, name, back, form, 422)
    Session.commit()
    cur, name, back = _object(source, target)
    if request.headers.get("HX-Request"):
        return render_template("_curation_box.html", b=box(source, target, cur, name))
    return redirect(back, 303)


def tagged_url(item: dict) -> str | None:
    """The page showing a tagged object (None when it is gone)."""
    if item["orphaned"]:
        return None
    sid = item["source_id"]
    if item["kind"] == "source":
        return f"/sources/{sid}"
    if item["kind"] == "schema":
        return f"/sources/{sid}/tables?{urlencode({'schema': item['schema']})}"
    url = table_page(sid, (item["schema"], item["table"]))
    return url if item["kind"] == "table" else url + "#columns"


@blp.get("/tags/<tag>")
@page
def tag_page(tag: str):
    """Everything tagged `tag` in the sources of your teams, by curation id, 100 a page."""
    names = source_names(Session(), current_user.id)
    scope = f"ui-tag:{tag}"
    after = decode_cursor(scope, request.args.get("cursor") or None, 1)
    rows = curation.tagged(Session(), list(names), tag, after[0] if after else None, 101)
    next_cursor = encode_cursor(scope, [rows[99]["id"]]) if len(rows) > 100 else None
    items = [{**r, "url": tagged_url(r), "source_name": names.get(r["source_id"], "")} for r in rows[:100]]
    colour = next((t["colour"] for r in items for t in r["tags"] if t["name"] == tag and t["colour"]), None)
    return render_template("tag.html", tag=tag, colour=colour, items=items, next_cursor=next_cursor)
