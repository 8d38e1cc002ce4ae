"""A source's schema compared in the browser: with another of your sources,
or with itself as a past crawl left it (a crawl, or a date: the last crawl
finished by the end of that day, UTC). The changes are read from the other
side to this source and labelled breaking, risky or safe as the crawl labels
its change events (catalog.schema_diff.stream_hazards); the downloads are
the API's diff documents (api/schema_diff/views.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import abort, render_template, request
from flask_jwt_extended import current_user
from werkzeug.exceptions import HTTPException

from catalog.db import Session, engine
from catalog.insights.hazards import HAZARDS
from catalog.models import CrawlJob, Source
from catalog.schema_diff import as_of_refused, stream_hazards
from catalog.sources import last_success_by, source_crawls, source_names

from ..diagrams.graph import table_page
from ..ownership import owned_job, owned_source
from ..schema_diff.views import DIFF_TYPES, diff_response
from . import blp
from .session import page

MAX_TABLES = 500  # tables listed on the page; the counts and the downloads hold them all
CRAWL_CHOICES = 50


class Refused(Exception):
    """A field of the diff form that cannot be used: its name, the message
    shown next to it, and the page's status."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def _number(field: str) -> int | None:
    raw = (request.args.get(field) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise Refused(field, f"{field} must be a number")
    return int(raw)


def _crawl(source: Source, crawl_id: int, field: str) -> int:
    """A crawl of this source whose schema the catalog can rebuild."""
    try:
        job = owned_job(crawl_id)
    except HTTPException:
        raise Refused(field, f"crawl #{crawl_id} not found", 404) from None
    problem = as_of_refused(source.id, source.history_from_crawl_id, job.id, job.source_id, job.state)
    if problem:
        raise Refused(field, problem)
    return job.id


def _on_date(source: Source) -> int:
    raw = request.args.get("date", "").strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise Refused("date", f"{raw!r} is not a date: expected YYYY-MM-DD") from None
    job = last_success_by(Session(), source.id, datetime.combine(day + timedelta(days=1), time(), UTC))
    if job is None:
        raise Refused("date", f"no crawl of this source had succeeded by the end of {day} (UTC): nothing to compare")
    return _crawl(source, job.id, "date")


def other_side(source: Source) -> tuple[Source, int | None] | None:
    """The other side the query asks for: (another source, None) or (this
    source, a past crawl's id); None when it asks for none."""
    wanted = [f for f in ("against", "date", "crawl") if request.args.get(f, "").strip()]
    if len(wanted) > 1:
        raise Refused(wanted[0], "compare with one thing: another source, a date or a past crawl")
    if not wanted:
        return None
    if wanted[0] == "date":
        return source, _on_date(source)
    number = _number(wanted[0])
    assert number is not None
    if wanted[0] == "crawl":
        return source, _crawl(source, number, "crawl")
    try:
        return owned_source(number), None
    except HTTPException:
        raise Refused("against", f"source #{number} not found", 404) from None


def _changes(source: Source, against: Source, as_of: int | None, hazard: str | None) -> dict:
    """The differing tables (up to MAX_TABLES shown, those with a change of
    `hazard` when given), each with its page's link, and the counts."""
    counts = dict.fromkeys(HAZARDS, 0)
    tables: list[dict] = []
    total = 0
    with engine().connect() as conn:
        for entry in stream_hazards(conn, source.id, against.id, as_of):
            for f in entry["findings"]:
                counts[f.label] += 1
            shown = [f for f in entry["findings"] if hazard in (None, f.label)]
            if not shown:
                continue
            total += 1
            if len(tables) < MAX_TABLES:
                side = against if entry["status"] == "only_in_against" else source
                url = table_page(side.id, (entry["schema"], entry["table"]))
                tables.append({**entry, "findings": shown, "url": url})
    return {"counts": counts, "tables": tables, "total": total}


def _choices(source: Source) -> dict:
    crawls = [
        c
        for c in source_crawls(Session(), source.id, None, CRAWL_CHOICES)
        if c.state == "succeeded" and source.history_from_crawl_id and c.id >= source.history_from_crawl_id
    ]
    names = source_names(Session(), current_user.id)
    return {"crawls": crawls, "sources": sorted(names.items(), key=lambda kv: (kv[1].lower(), kv[0]))}


@blp.get("/sources/<int:source_id>/diff")
@page
def diff(source_id: int):
    source = owned_source(source_id)
    hazard = request.args.get("hazard") if request.args.get("hazard") in HAZARDS else None
    errors: dict[str, list[str]] = {}
    status, result, side = 200, None, None
    try:
        side = other_side(source)
    except Refused as e:
        errors, status = {e.field: [e.message]}, e.status
    if side is not None:
        result = _changes(source, side[0], side[1], hazard)
    as_of = side[1] if side else None
    return (
        render_template(
            "diff.html",
            source=source,
            errors=errors,
            args=request.args,
            hazard=hazard,
            hazards=HAZARDS,
            against=side[0] if side else None,
            as_of=Session.get(CrawlJob, as_of) if as_of else None,
            result=result,
            downloads=list(DIFF_TYPES),
            **_choices(source),
        ),
        status,
    )


@blp.get("/sources/<int:source_id>/diff/<any(" + ",".join(DIFF_TYPES) + "):fmt>")
@page
def diff_download(source_id: int, fmt: str):
    source = owned_source(source_id)
    try:
        side = other_side(source)
    except Refused as e:
        abort(e.status, f"{e.field}: {e.message}")
    if side is None:
        abort(422, "against, date or crawl: say what to compare this source with")
    against, as_of = side
    return diff_response(source, against, as_of, None, None, fmt, disposition="attachment")
