from datetime import UTC, datetime, timedelta

from flask import current_app, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import abort
from marshmallow import ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from catalog.db import Session, transaction
from catalog.jobs import ACTIVE_STATES, cancel_job, create_job, drop_staging
from catalog.models import CrawlJob, Source
from catalog.netpolicy import AddressRefused, check_registration, policy_for
from catalog.schedules import next_run
from catalog.vault import Vault, encrypt_secrets
from worker.introspect import ENGINES
from worker.introspect.base import TargetError, TargetSettingsRefused

from ..extensions import Blueprint
from ..ownership import owned_source
from ..pagination import decode_cursor, encode_cursor, next_link_headers
from ..queue import crawl_ref, enqueue_plan
from .schemas import SourceListArgs, SourcePageSchema, SourcePatchSchema, SourceSchema, load_engine_settings

blp = Blueprint("sources", __name__, url_prefix="/api/v1/sources", description="Registered databases")


def _settings():
    return current_app.config["METACRAWL"]


def source_view(source: Source, crawl=None) -> dict:
    """The public face of a source; the password never leaves the vault."""
    s = _settings()
    last = Session.get(CrawlJob, source.last_crawl_id) if source.last_crawl_id else None
    stale_before = datetime.now(UTC) - timedelta(hours=s.stale_after_hours)
    secret = set(ENGINES[source.engine].secret_fields()) if source.engine in ENGINES else set()
    # the engine's settings sit beside the common fields, as they are sent; secrets never
    view = {k: v for k, v in (source.settings or {}).items() if k not in secret}
    view |= {
        k: getattr(source, k)
        for k in (
            "id",
            "name",
            "engine",
            "schedule",
            "user_id",
            "next_crawl_at",
            "last_crawled_at",
            "last_success_at",
            "created_at",
            "updated_at",
        )
    }
    view["stale"] = source.last_success_at is None or source.last_success_at < stale_before
    view["last_crawl"] = crawl_ref(last)
    if crawl is not None:
        view["crawl"] = crawl_ref(crawl)
    return view


def _check_settings(engine: str, settings: dict) -> None:
    """This server's rules for the engine's settings (allowed directories, a
    URL without a password...) and the network policy for a literal address;
    each refusal a 422 naming the field. The worker checks again at crawl time."""
    s = _settings()
    cls = ENGINES[engine]
    try:
        cls.check_settings(settings, s.sqlite_dirs)
    except TargetSettingsRefused as e:
        abort(422, message=e.message, errors={"json": {e.field: [e.message]}})
    except TargetError as e:  # defensive: every refusal names a field
        abort(422, message=e.message, errors={"json": {"engine": [e.message]}})
    address = cls.address(settings)
    if address is not None:
        # the same check the crawl makes (without DNS here); a host is stored normalised
        try:
            normalised = check_registration(address[0], address[1], settings.get("database"), policy_for(s))
        except AddressRefused as e:
            field = "host" if "host" in cls.settings_schema._declared_fields else "url"
            abort(422, message=str(e), errors={"json": {field: [str(e)]}})
            raise AssertionError("abort raises") from None
        if "host" in settings:
            settings["host"] = normalised


def _duplicate_name():
    abort(
        409,
        message="you already have a source with this name",
        errors={"json": {"name": ["a source with this name already exists"]}},
    )


@blp.route("")
class Sources(MethodView):
    @blp.login_required
    @blp.arguments(SourceListArgs, location="query")
    @blp.response(200, SourcePageSchema)
    def get(self, args):
        """List your sources (admins: `all=true` for everyone's), by id"""
        after = decode_cursor("sources", args["cursor"], 1)
        query = select(Source).order_by(Source.id).limit(args["limit"] + 1)
        if not (args["all"] and current_user.is_admin):
            query = query.where(Source.user_id == current_user.id)
        if after:
            query = query.where(Source.id > after[0])
        rows = Session.scalars(query).all()
        next_cursor = encode_cursor("sources", [rows[args["limit"] - 1].id]) if len(rows) > args["limit"] else None
        return (
            {"sources": [source_view(r) for r in rows[: args["limit"]]], "next_cursor": next_cursor},
            next_link_headers(next_cursor),
        )

    @blp.login_required
    @blp.arguments(SourceSchema)
    @blp.response(201, SourceSchema)
    @blp.alt_response(409, description="You already have a source with this name")
    def post(self, data):
        """Register a database; its first crawl is queued at once"""
        _check_settings(data["engine"], data["settings"])
        secrets = data.pop("secrets")
        schedule = data.pop("schedule", _settings().default_schedule)
        with transaction() as session:
            source = Source(
                user_id=current_user.id,
                secrets=encrypt_secrets(Vault(_settings().fernet_keys), secrets),
                schedule=schedule,
                next_crawl_at=next_run(schedule),
                **data,
            )
            session.add(source)
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                _duplicate_name()
            job, _ = create_job(session, source.id, "register")
        enqueue_plan(job.id)
        return source_view(source, crawl=job), {"Location": url_for("sources.SourceById", source_id=source.id)}


@blp.route("/<int:source_id>")
class SourceById(MethodView):
    @blp.login_required
    @blp.response(200, SourceSchema)
    @blp.alt_response(404, description="No such source of yours")
    def get(self, source_id):
        """One of your sources"""
        return source_view(owned_source(source_id))

    @blp.login_required
    @blp.arguments(SourcePatchSchema(partial=True))
    @blp.response(200, SourceSchema)
    @blp.alt_response(404, description="No such source of yours")
    @blp.alt_response(409, description="You already have a source with this name")
    def patch(self, data, source_id):
        """Change a source; send `password` to replace the stored one.

        A change of what a crawl connects to (`engine` or any engine field)
        cancels the source's active crawl, if any: a crawl reads the settings it
        started with, or nothing. Start a crawl to read the new ones."""
        source = owned_source(source_id)
        sent = data.pop("settings", {})
        engine = data.get("engine", source.engine)
        if sent or engine != source.engine:
            # the job first, then the source: the order a crawl's finish locks them in
            active = Session.scalars(
                select(CrawlJob.id)
                .where(CrawlJob.source_id == source_id, CrawlJob.state.in_(ACTIVE_STATES))
                .with_for_update()
            ).all()
            for job_id in active:
                cancel_job(Session(), job_id)
            # The stored settings with the sent ones on top (a new engine starts
            # afresh), validated whole by the engine's schema; stored secrets stay
            # unless sent again.
            same = engine == source.engine
            merged = {**(source.settings if same else {}), **sent}
            kept = tuple(source.secrets or {}) if same else ()
            try:
                settings, secrets = load_engine_settings(engine, merged, stored_secrets=kept)
            except ValidationError as e:
                abort(422, message="invalid settings for this engine", errors={"json": e.messages})
            _check_settings(engine, settings)
            source.settings = settings
            fresh = encrypt_secrets(Vault(_settings().fernet_keys), secrets)
            source.secrets = {**((source.secrets or {}) if same else {}), **fresh}
        if "schedule" in data:
            source.next_crawl_at = next_run(data["schedule"])
        for key, value in data.items():
            setattr(source, key, value)
        try:
            Session.commit()
        except IntegrityError:
            Session.rollback()
            _duplicate_name()
        Session.refresh(source)  # a cancelled crawl moved its last_crawl
        return source_view(source)

    @blp.login_required
    @blp.response(204)
    @blp.alt_response(404, description="No such source of yours")
    def delete(self, source_id):
        """Forget a source, its credentials, crawls and catalog"""
        source = owned_source(source_id)
        # Lock its jobs before the source, the order the worker uses (job, then
        # source), so deleting during a crawl cannot deadlock with it.
        jobs = Session.execute(select(CrawlJob.id).where(CrawlJob.source_id == source_id).with_for_update())
        # Staging and columns carry no foreign key (a key check per row would
        # double a crawl's write cost), so they go explicitly; the rest cascades.
        # A batch staging now holds its job FOR KEY SHARE, so it has committed
        # before we get here, and one that claims later finds no job.
        drop_staging(Session(), *jobs.scalars())
        Session.execute(text("DELETE FROM catalog_columns WHERE source_id = :id"), {"id": source_id})
        Session.delete(source)
        Session.commit()
