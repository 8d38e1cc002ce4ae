"""Sources: the list, add / edit / delete forms, test connection, starting a
crawl and watching it, and a source's overview."""

from __future__ import annotations

import json

from flask import current_app, redirect, render_template, request
from flask_jwt_extended import current_user

from catalog import overview, reads
from catalog.curation import Target, object_curation
from catalog.db import Session, transaction
from catalog.jobs import ACTIVE_STATES, create_job
from catalog.models import CrawlJob, Source, Team
from catalog.sources import delete_source, list_sources
from catalog.teams import user_teams
from engines import ENGINES

from ..catalog_reads.freshness import cached
from ..connections.views import probe_view
from ..crawls.views import crawl_view
from ..diagrams.graph import catalog_version
from ..ownership import ADMIN, owned_job, owned_source
from ..pagination import decode_cursor, encode_cursor
from ..queue import enqueue_plan
from ..sources.service import SourceRefused, create_source, engine_enabled, transient_source, update_source
from ..sources.views import chosen_team, source_view
from . import blp, docs_site
from .charts import bar_chart
from .forms import (
    ENGINE_LABELS,
    engine_choices,
    engine_fields,
    engine_values,
    load_source_form,
    target_summary,
)
from .session import page
from .views_curation import box

# What a person can do about a failed crawl, by its error type.
ADVICE = {
    "connection_failed": "Check the host and port, and that this server may reach the database "
    "(firewall, security group). Then test the connection and crawl again.",
    "authentication_failed": "Check the user name and set the password again (edit the source).",
    "database_not_found": "Check the database name (edit the source).",
    "statement_timeout": "The database answered too slowly. Try again when it is less busy, or ask "
    "an operator to raise METACRAWL_STATEMENT_TIMEOUT.",
    "address_not_allowed": "This server does not crawl that address. Use another host, or ask an "
    "operator to allow private or loopback targets.",
    "settings_refused": "This server no longer accepts the source's settings (e.g. a file outside the "
    "directories it may read): edit the source, or ask an operator.",
    "credentials_unreadable": "The stored password cannot be decrypted: set it again (edit the source).",
    "removal_limit_exceeded": "Most tables seem gone: check the user's privileges and the schema "
    "filters. If they really were dropped, start a crawl that allows mass removal (API).",
    "queue_unavailable": "The task queue was down. Start the crawl again in a moment.",
    "time_limit_exceeded": "A worker may have been lost. Start the crawl again.",
    "interrupted": "metacrawl was upgraded during the crawl. Start it again.",
    "internal_error": "Something went wrong on our side; the operators' logs have the details. "
    "Start the crawl again, and tell an operator if it keeps failing.",
}


def _settings():
    return current_app.config["METACRAWL"]


def freshness(view: dict) -> str:
    if view["last_success_at"] is None:
        return "never crawled"
    return "stale" if view["stale"] else "fresh"


@blp.get("/sources")
@page
def sources():
    after = decode_cursor("ui-sources", request.args.get("cursor"), 1)
    rows = list_sources(Session(), current_user.id, after[0] if after else None, 101)
    next_cursor = encode_cursor("ui-sources", [rows[99].id]) if len(rows) > 100 else None
    views = [source_view(r) for r in rows[:100]]
    names = {t.id: t.name for t, _ in user_teams(Session(), current_user.id)}
    for v, r in zip(views, rows, strict=False):
        v["freshness"] = freshness(v)
        v["team_name"] = names.get(r.team_id) or f"team {r.team_id}"  # a site admin's view of others' teams
        v["target"] = target_summary(r.engine, r.settings or {})
    return render_template("sources.html", sources=views, next_cursor=next_cursor)


def _engine(source: Source | None, chosen: str | None) -> str:
    """The engine whose fields the form shows: the one chosen (a GET
    parameter, the select), else the stored one, else PostgreSQL."""
    if chosen in ENGINES and (engine_enabled(str(chosen)) or (source is not None and chosen == source.engine)):
        return str(chosen)
    return source.engine if source is not None and source.engine in ENGINES else "postgresql"


def _admin_teams() -> list[Team]:
    """The teams a new source may go to: those where the user is an admin, personal first."""
    return [t for t, role in user_teams(Session(), current_user.id) if role == ADMIN]


def _form_context(source: Source | None, engine: str, form=None) -> dict:
    """What the form shows: the submitted values, else the stored ones (for the
    stored engine), else the defaults; never a secret."""
    teams = _admin_teams() if source is None else []
    if form is not None:
        common = {k: form.get(k, "") for k in ("name", "schedule", "team_id")}
    elif source is not None:
        common = {"name": source.name, "schedule": source.schedule or ""}
    else:
        common = {"name": "", "schedule": _settings().default_schedule}
        common["team_id"] = str(teams[0].id) if teams else ""
    stored = source is not None and source.engine == engine
    if form is not None:
        values = engine_values(engine, form=form)
    else:
        values = engine_values(engine, settings=(source.settings or {}) if stored and source else None)
    return {
        "engine": engine,
        "fields": engine_fields(engine),
        "values": {**common, **values, "engine": engine},
        "teams": teams,
        # secrets this source has stored for this engine: left blank, they stay
        "stored_secrets": set((source.secrets or {}) if stored and source else ()),
    }


def _render_form(
    source: Source | None, ctx: dict, errors: dict, probe: dict | None = None, status: int = 200, notice: str = ""
):
    return (
        render_template(
            "source_form.html",
            source=source,
            errors=errors,
            probe=probe,
            engines=engine_choices(source.engine if source else None),
            notice=notice,
            **ctx,
        ),
        status,
    )


def _submit(source: Source | None):
    """A posted add or edit form: change engine, test the connection, or save."""
    form = request.form
    engine = _engine(source, form.get("engine"))
    ctx = _form_context(source, engine, form)
    shown = form.get("shown_engine")
    if shown and form.get("engine") == engine != shown:
        # without JavaScript: the engine changed, so the form comes back with its fields
        return _render_form(source, ctx, {}, notice=f"Fill in the fields of {ENGINE_LABELS.get(engine, engine)}.")
    testing = form.get("action") == "test"
    common, settings, secrets, errors = load_source_form(form, source, test_only=testing)
    team = _team_chosen(form.get("team_id"), errors) if source is None and not testing else None
    if testing and request.headers.get("HX-Request"):
        return _test_fragment(source, ctx, engine, settings, secrets, errors)
    if errors:
        return _render_form(source, ctx, errors, status=422)
    if testing:
        probe = probe_view(transient_source(engine, settings, secrets, source))
        typed = [f.label for f in ctx["fields"] if f.kind == "secret" and form.get(f.name)]
        # without JavaScript the whole form comes back, and no page holds a secret
        notice = f"Type the {' and '.join(typed).lower()} again before saving: it is never sent back." if typed else ""
        return _render_form(source, ctx, {}, probe=probe, notice=notice)
    try:
        if source is None:
            _, job = create_source(current_user.id, chosen_team(team), settings=settings, secrets=secrets, **common)
            return redirect(f"/crawls/{job.id}", 303)
        update_source(source, common, settings, secrets)
    except SourceRefused as e:
        return _render_form(source, ctx, e.errors, status=e.status)
    return redirect(f"/sources/{source.id}", 303)


def _test_fragment(source: Source | None, ctx: dict, engine: str, settings: dict, secrets: dict, errors: dict):
    """Test connection with htmx: only the result comes back (the form, and
    the password typed in it, stay as the browser has them); fields that keep
    the test from running are named in it."""
    if errors:
        labels = {f.name: f.label for f in ctx["fields"]} | {"engine": "Engine"}
        message = " ".join(f"{labels.get(k, k)}: {' '.join(v)}" for k, v in errors.items())
        probe = {"ok": False, "error": {"type": "invalid_settings", "message": message}}
        return render_template("_probe.html", probe=probe), 422
    return render_template("_probe.html", probe=probe_view(transient_source(engine, settings, secrets, source)))


def _team_chosen(sent: str | None, errors: dict[str, list[str]]) -> int | None:
    """The team the new-source form chose, one where the user is an admin
    (chosen_team checks again); none sent: the personal team."""
    if not sent:
        return None
    admin_of = {str(t.id): t.id for t in _admin_teams()}
    if sent not in admin_of:
        errors["team_id"] = ["Choose one of the teams where you are an admin."]
        return None
    return admin_of[sent]


@blp.route("/sources/new", methods=["GET", "POST"])
@page
def source_new():
    if request.method == "GET":
        return _render_form(None, _form_context(None, _engine(None, request.args.get("engine"))), {})
    return _submit(None)


@blp.route("/sources/<int:source_id>/edit", methods=["GET", "POST"])
@page
def source_edit(source_id: int):
    source = owned_source(source_id, ADMIN)
    if request.method == "GET":
        return _render_form(source, _form_context(source, _engine(source, request.args.get("engine"))), {})
    return _submit(source)


@blp.get("/sources/new/fields")
@page
def source_new_fields():
    """The chosen engine's fields, for htmx to swap into the form (GET: the select's value only, never a secret)."""
    return render_template(
        "_engine_fields.html", errors={}, **_form_context(None, _engine(None, request.args.get("engine")))
    )


@blp.get("/sources/<int:source_id>/edit/fields")
@page
def source_edit_fields(source_id: int):
    source = owned_source(source_id, ADMIN)
    return render_template(
        "_engine_fields.html", errors={}, **_form_context(source, _engine(source, request.args.get("engine")))
    )


@blp.post("/sources/<int:source_id>/test")
@page
def source_test(source_id: int):
    """Test the stored connection: a fragment for htmx, else the overview with the result."""
    source = owned_source(source_id, ADMIN)
    probe = probe_view(transient_source(source.engine, source.settings or {}, {}, source))
    if request.headers.get("HX-Request"):
        return render_template("_probe.html", probe=probe)
    return _overview(source, probe=probe)


@blp.route("/sources/<int:source_id>/delete", methods=["GET", "POST"])
@page
def source_delete(source_id: int):
    source = owned_source(source_id, ADMIN)
    if request.method == "GET":
        return render_template("source_delete.html", source=source)
    delete_source(Session(), source)
    return redirect("/sources", 303)


@blp.post("/sources/<int:source_id>/crawl")
@page
def source_crawl(source_id: int):
    owned_source(source_id, ADMIN)
    with transaction() as session:
        job, created = create_job(session, source_id, "ui")
    if created:
        enqueue_plan(job.id)
    return redirect(f"/crawls/{job.id}", 303)


def _crawl_context(job: CrawlJob) -> dict:
    view = crawl_view(job)
    p = view["progress"]
    view["active"] = job.state in ACTIVE_STATES
    view["percent"] = int(100 * p["tables_done"] / p["tables_total"]) if p["tables_total"] else 0
    if job.state == "succeeded":
        view["percent"] = 100
    view["advice"] = ADVICE.get(job.error_type or "", ADVICE["internal_error"]) if job.state == "failed" else None
    return view


@blp.get("/crawls/<int:job_id>")
@page
def crawl(job_id: int):
    job = owned_job(job_id)
    source = Session.get(Source, job.source_id)
    return render_template("crawl.html", crawl=_crawl_context(job), source=source)


@blp.get("/crawls/<int:job_id>/progress")
@page
def crawl_progress(job_id: int):
    """The progress fragment htmx polls; it stops polling once the crawl has ended."""
    job = owned_job(job_id)
    return render_template("_crawl_progress.html", crawl=_crawl_context(job), source=Session.get(Source, job.source_id))


def _overview(source: Source, probe: dict | None = None):
    view = source_view(source)
    view["freshness"] = freshness(view)
    view["target"] = target_summary(source.engine, source.settings or {})
    version = catalog_version(source)

    def summary() -> str:
        return json.dumps(
            {
                "kinds": overview.counts_by_kind(Session(), source.id),
                "schemas": overview.schemas(Session(), source.id),
                "by_size": overview.largest_tables(Session(), source.id, "size_bytes"),
                "by_rows": overview.largest_tables(Session(), source.id, "row_estimate"),
            }
        )

    data = json.loads(cached(f"ui-overview:{source.id}:{version}", summary))
    crawls = overview.recent_crawls(Session(), source.id)
    sizes = [(f"{t['schema_name']}.{t['name']}", t["size_bytes"]) for t in data["by_size"]]
    estimates = [(f"{t['schema_name']}.{t['name']}", t["row_estimate"]) for t in data["by_rows"]]
    durations = [(f"#{c['id']}", c["seconds"] or 0) for c in crawls if c["seconds"] is not None]
    changes = [(f"#{c['id']}", c["changes"]) for c in crawls if c["state"] == "succeeded"]
    charts = {
        "by_size": bar_chart(sizes, "bytes", "Largest tables by size", ("Table", "Size")),
        "by_rows": bar_chart(estimates, "rows", "Largest tables by rows (estimate)", ("Table", "Rows")),
        "durations": bar_chart(durations, "s", "Crawl durations", ("Crawl", "Duration")),
        "changes": bar_chart(changes, "", "Changes per crawl", ("Crawl", "Changes")),
    }
    return render_template(
        "source.html",
        source=view,
        team_name=Session.get_one(Team, source.team_id).name,
        source_box=box(source, Target.source(), object_curation(Session(), source.id, Target.source()), "the source"),
        data=data,
        crawls=crawls,
        charts=charts,
        probe=probe,
        total=sum(data["kinds"].values()),
        docs_zip_max=docs_site.ZIP_MAX_TABLES,
        schema_objects=reads.schema_objects(Session(), source.id),
    )


@blp.get("/sources/<int:source_id>")
@page
def source(source_id: int):
    return _overview(owned_source(source_id))
