"""A source as the API answers it, and a refusal as the API's error; the
sources and connections routes and the web UI's source pages call these."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_jwt_extended import current_user
from flask_smorest import abort

from catalog.db import Session
from catalog.models import CrawlJob, Source
from catalog.teams import at_least, personal_team_id
from engines import ENGINES

from ..crawls.views import crawl_ref
from ..ownership import ADMIN, role_in
from .service import SourceRefused


def source_view(source: Source, crawl=None) -> dict:
    """The public face of a source; the password never leaves the vault."""
    s = current_app.config["METACRAWL"]
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
            "team_id",
            "user_id",
            "next_crawl_at",
            "last_crawled_at",
            "last_success_at",
            "created_at",
            "updated_at",
        )
    }
    view["role"] = role_in(source.team_id)
    view["stale"] = source.last_success_at is None or source.last_success_at < stale_before
    view["last_crawl"] = crawl_ref(last)
    view["warnings"] = (last.warnings or []) if last is not None else []
    if crawl is not None:
        view["crawl"] = crawl_ref(crawl)
    return view


def refused(e: SourceRefused):
    """A refusal as the API's JSON error: the problems under their fields."""
    abort(e.status, message=e.message, errors={"json": e.errors})


def chosen_team(team_id: int | None) -> int:
    """The team a source is registered in or moved to: the one sent, where
    the current user is an admin, or their personal team."""
    if team_id is None:
        mine = personal_team_id(Session(), current_user.id)
        if mine is None:  # an account made before teams, outside the migration
            abort(422, message="you have no personal team: send team_id", errors={"json": {"team_id": ["required"]}})
        return mine  # type: ignore[return-value]
    role = role_in(team_id)
    if role is None:
        abort(
            422, message="no team of yours has this id", errors={"json": {"team_id": ["no team of yours has this id"]}}
        )
    if not at_least(role, ADMIN):
        abort(
            403,
            message=f"registering or moving a source needs the admin role in the team; yours is {role}",
            errors={"json": {"team_id": [f"you are {role} of this team, not admin"]}},
        )
    return team_id
