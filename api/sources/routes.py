from datetime import UTC, datetime, timedelta

from flask import current_app, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user
from flask_smorest import abort
from sqlalchemy import select

from catalog.db import Session
from catalog.models import CrawlJob, Source
from engines import ENGINES

from ..extensions import Blueprint
from ..ownership import owned_source
from ..pagination import decode_cursor, encode_cursor, next_link_headers
from ..queue import crawl_ref
from .schemas import SourceListArgs, SourcePageSchema, SourcePatchSchema, SourceSchema
from .service import SourceRefused, create_source, delete_source, engine_settings, update_source

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


def refused(e: SourceRefused):
    """A refusal as the API's JSON error: the problems under their fields."""
    abort(e.status, message=e.message, errors={"json": e.errors})


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
        try:
            source, job = create_source(
                current_user.id,
                name=data["name"],
                engine=data["engine"],
                settings=data["settings"],
                secrets=data["secrets"],
                schedule=data.get("schedule", _settings().default_schedule),
            )
        except SourceRefused as e:
            refused(e)
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
        try:
            if sent or engine != source.engine:
                # The stored settings with the sent ones on top (a new engine
                # starts afresh), validated whole by the engine's schema; stored
                # secrets stay unless sent again.
                settings, secrets = engine_settings(engine, sent, source)
                update_source(source, data, settings, secrets)
            else:
                update_source(source, data)
        except SourceRefused as e:
            refused(e)
        Session.refresh(source)  # a cancelled crawl moved its last_crawl
        return source_view(source)

    @blp.login_required
    @blp.response(204)
    @blp.alt_response(404, description="No such source of yours")
    def delete(self, source_id):
        """Forget a source, its credentials, crawls and catalog"""
        delete_source(owned_source(source_id))
