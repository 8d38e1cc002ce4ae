"""Sources: the list, add / edit / delete forms, test connection, starting a
crawl and watching it, and a source's overview."""

from __future__ import annotations

import json

from flask import current_app, redirect, render_template, request
from flask_jwt_extended import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from catalog import overview
from catalog.db import Session, transaction
from catalog.jobs import ACTIVE_STATES, create_job, drop_staging
from catalog.models import CrawlJob, Source
from catalog.netpolicy import AddressRefused, check_literal
from catalog.schedules import next_run
from catalog.vault import Vault

from ..catalog_reads.freshness import cached
from ..connections.routes import probe_view, transient_source
from ..crawls.routes import crawl_view
from ..diagrams.graph import catalog_version
from ..ownership import owned_job, owned_source
from ..pagination import decode_cursor, encode_cursor
from ..queue import enqueue_plan
from ..sources.routes import source_view
from . import blp
from .charts import bar_chart
from .forms import DEFAULT_PORTS, ENGINE_OPTIONS, ENGINES, SSLMODES, load_source
from .session import page

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
    query = select(Source).where(Source.user_id == current_user.id).order_by(Source.id).limit(101)
    if after:
        query = query.where(Source.id > after[0])
    rows = Session.scalars(query).all()
    next_cursor = encode_cursor("ui-sources", [rows[99].id]) if len(rows) > 100 else None
    views = [source_view(r) for r in rows[:100]]
    for v in views:
        v["freshness"] = freshness(v)
    return render_template("sources.html", sources=views, next_cursor=next_cursor)


def _form_values(source: Source | None = None, form=None) -> dict:
    """What the form shows: the submitted values, else the stored ones; never a password."""
    if form is not None:
        values = {k: form.get(k, "") for k in ("name", "engine", "host", "port", "database", "username", "schedule")}
        values.update({k: form.get(k, "") for k in ("sslmode", "include_schemas", "exclude_schemas")})
        return values
    if source is None:
        return {"engine": "postgresql", "port": "5432", "schedule": _settings().default_schedule, "sslmode": ""}
    options = source.options or {}
    return {
        "name": source.name,
        "engine": source.engine,
        "host": source.host,
        "port": source.port,
        "database": source.database,
        "username": source.username,
        "schedule": source.schedule or "",
        "sslmode": options.get("sslmode", ""),
        "include_schemas": ", ".join(options.get("include_schemas", [])),
        "exclude_schemas": ", ".join(options.get("exclude_schemas", [])),
    }


def _render_form(source: Source | None, values: dict, errors: dict, probe: dict | None = None, status: int = 200):
    return (
        render_template(
            "source_form.html",
            source=source,
            values=values,
            errors=errors,
            probe=probe,
            engines=ENGINES,
            sslmodes=SSLMODES,
            default_ports=DEFAULT_PORTS,
            engine_options=ENGINE_OPTIONS,
        ),
        status,
    )


def _host_error(host: str) -> str | None:
    s = _settings()
    try:
        check_literal(host, s.allow_loopback_targets, s.allow_private_targets)
    except AddressRefused as e:
        return str(e)
    return None


def _probe_form(source: Source | None, data: dict) -> dict:
    fields = {k: v for k, v in data.items() if k in ("engine", "host", "port", "database", "username", "options")}
    if data.get("password"):
        fields["password"] = data["password"]
    return probe_view(transient_source(fields, source))


@blp.route("/sources/new", methods=["GET", "POST"])
@page
def source_new():
    if request.method == "GET":
        return _render_form(None, _form_values(), {})
    data, errors = load_source(request.form, editing=False)
    values = _form_values(form=request.form)
    if data.get("host") and "host" not in errors and (problem := _host_error(data["host"])):
        errors = {**errors, "host": [problem]}
    if errors:
        return _render_form(None, values, errors, status=422)
    if request.form.get("action") == "test":
        return _render_form(None, values, {}, probe=_probe_form(None, data))
    password = data.pop("password")
    schedule = data.pop("schedule", None)
    with transaction() as session:
        source = Source(
            user_id=current_user.id,
            password_encrypted=Vault(_settings().fernet_keys).encrypt(password),
            schedule=schedule,
            next_crawl_at=next_run(schedule),
            **data,
        )
        session.add(source)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return _render_form(None, values, {"name": ["You already have a source with this name."]}, status=409)
        job, _ = create_job(session, source.id, "register")
    enqueue_plan(job.id)
    return redirect(f"/crawls/{job.id}", 303)


@blp.route("/sources/<int:source_id>/edit", methods=["GET", "POST"])
@page
def source_edit(source_id: int):
    source = owned_source(source_id)
    if request.method == "GET":
        return _render_form(source, _form_values(source), {})
    data, errors = load_source(request.form, editing=True)
    values = _form_values(form=request.form)
    if data.get("host") and "host" not in errors and (problem := _host_error(data["host"])):
        errors = {**errors, "host": [problem]}
    if errors:
        return _render_form(source, values, errors, status=422)
    if request.form.get("action") == "test":
        return _render_form(source, values, {}, probe=_probe_form(source, data))
    if "password" in data:
        source.password_encrypted = Vault(_settings().fernet_keys).encrypt(data.pop("password"))
    source.next_crawl_at = next_run(data.get("schedule"))
    for key, value in data.items():
        setattr(source, key, value)
    try:
        Session.commit()
    except IntegrityError:
        Session.rollback()
        return _render_form(source, values, {"name": ["You already have a source with this name."]}, status=409)
    return redirect(f"/sources/{source_id}", 303)


@blp.post("/sources/<int:source_id>/test")
@page
def source_test(source_id: int):
    """Test the stored connection: a fragment for htmx, else the overview with the result."""
    source = owned_source(source_id)
    probe = probe_view(transient_source({}, source))
    if request.headers.get("HX-Request"):
        return render_template("_probe.html", probe=probe)
    return _overview(source, probe=probe)


@blp.route("/sources/<int:source_id>/delete", methods=["GET", "POST"])
@page
def source_delete(source_id: int):
    source = owned_source(source_id)
    if request.method == "GET":
        return render_template("source_delete.html", source=source)
    # As the API's DELETE: lock the source's jobs first (the worker's order),
    # drop staging and the columns (no foreign keys), the rest cascades.
    jobs = Session.execute(select(CrawlJob.id).where(CrawlJob.source_id == source_id).with_for_update())
    drop_staging(Session(), *jobs.scalars())
    Session.execute(text("DELETE FROM catalog_columns WHERE source_id = :id"), {"id": source_id})
    Session.delete(source)
    Session.commit()
    return redirect("/sources", 303)


@blp.post("/sources/<int:source_id>/crawl")
@page
def source_crawl(source_id: int):
    owned_source(source_id)
    with transaction() as session:
        job, created = create_job(session, source_id, "api")
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
    charts = {
        "by_size": bar_chart([(f"{t['schema_name']}.{t['name']}", t["size_bytes"]) for t in data["by_size"]], "bytes"),
        "by_rows": bar_chart([(f"{t['schema_name']}.{t['name']}", t["row_estimate"]) for t in data["by_rows"]], "rows"),
        "durations": bar_chart([(f"#{c['id']}", c["seconds"] or 0) for c in crawls if c["seconds"] is not None], "s"),
        "changes": bar_chart([(f"#{c['id']}", c["changes"]) for c in crawls if c["state"] == "succeeded"], ""),
    }
    return render_template(
        "source.html",
        source=view,
        data=data,
        crawls=crawls,
        charts=charts,
        probe=probe,
        total=sum(data["kinds"].values()),
    )


@blp.get("/sources/<int:source_id>")
@page
def source(source_id: int):
    return _overview(owned_source(source_id))
