from flask import current_app, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.db import Session
from catalog.sources import delete_source, list_sources

from ..extensions import Blueprint
from ..ownership import ADMIN, owned_source
from ..pagination import decode_cursor, encode_cursor, next_link_headers
from .schemas import SourceCreateSchema, SourceListArgs, SourcePageSchema, SourcePatchSchema, SourceSchema
from .service import SourceRefused, create_source, engine_settings, update_source
from .views import chosen_team, refused, source_view

blp = Blueprint("sources", __name__, url_prefix="/api/v1/sources", description="Registered databases")


def _settings():
    return current_app.config["METACRAWL"]


@blp.route("")
class Sources(MethodView):
    @blp.login_required
    @blp.arguments(SourceListArgs, location="query")
    @blp.response(200, SourcePageSchema)
    def get(self, args):
        """List the sources of your teams (admins: `all=true` for everyone's), by id"""
        after = decode_cursor("sources", args["cursor"], 1)
        everyone = args["all"] and current_user.is_admin
        rows = list_sources(
            Session(),
            None if everyone else current_user.id,
            after[0] if after else None,
            args["limit"] + 1,
            team_id=args["team_id"],
        )
        next_cursor = encode_cursor("sources", [rows[args["limit"] - 1].id]) if len(rows) > args["limit"] else None
        return (
            {"sources": [source_view(r) for r in rows[: args["limit"]]], "next_cursor": next_cursor},
            next_link_headers(next_cursor),
        )

    @blp.login_required
    @blp.arguments(SourceCreateSchema)
    @blp.response(201, SourceSchema)
    @blp.alt_response(409, description="The team already has a source with this name")
    @blp.alt_response(403, description="You are not an admin of the team in `team_id`")
    def post(self, data):
        """Register a database; its first crawl is queued at once"""
        try:
            source, job = create_source(
                current_user.id,
                chosen_team(data.pop("team_id", None)),
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
    @blp.alt_response(404, description="No such source in your teams")
    def get(self, source_id):
        """One source of your teams"""
        return source_view(owned_source(source_id))

    @blp.login_required
    @blp.arguments(SourcePatchSchema(partial=True))
    @blp.response(200, SourceSchema)
    @blp.alt_response(404, description="No such source in your teams")
    @blp.alt_response(409, description="The team already has a source with this name")
    @blp.needs_role("admin")
    def patch(self, data, source_id):
        """Change a source; send `password` to replace the stored one.

        A change of what a crawl connects to (`engine` or any engine field)
        cancels the source's active crawl, if any: a crawl reads the settings it
        started with, or nothing. Start a crawl to read the new ones."""
        source = owned_source(source_id, ADMIN)
        if data.get("team_id", source.team_id) != source.team_id:
            data["team_id"] = chosen_team(data["team_id"])
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
    @blp.alt_response(404, description="No such source in your teams")
    @blp.needs_role("admin")
    def delete(self, source_id):
        """Forget a source, its credentials, crawls and catalog"""
        delete_source(Session(), owned_source(source_id, ADMIN))
