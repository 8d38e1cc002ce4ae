"""Object-level permissions written once. A source belongs to a team; a
member reaches it with their role in that team (viewer < curator < admin,
catalog/models/teams.py), a site admin as an admin. Anything a user does not
reach, existing or not, is the same 404; something they reach with too low
a role is a 403 that names the role needed."""

from __future__ import annotations

from flask import g
from flask_jwt_extended import current_user
from flask_smorest import abort

from catalog.db import Session
from catalog.models import CrawlJob, Source, Team
from catalog.reads import table_source_id
from catalog.teams import at_least, roles_of

VIEWER, CURATOR, ADMIN = "viewer", "curator", "admin"


def roles() -> dict[int, str]:
    """The current user's role in each of their teams, read once per request."""
    if "team_roles" not in g:
        g.team_roles = roles_of(Session(), current_user.id)
    return g.team_roles


def role_in(team_id: int) -> str | None:
    """The current user's role in the team: a site admin is an admin of every team."""
    return ADMIN if current_user.is_admin else roles().get(team_id)


def _reached(team_id: int | None, need: str, missing: str) -> None:
    """404 (`missing`) unless the current user is in the team (None: no such
    object); 403 when their role there is below `need`."""
    role = role_in(team_id) if team_id is not None else None
    if role is None:
        abort(404, message=missing)
    if not at_least(role, need):
        abort(403, message=f"this needs the {need} role in its team; yours is {role}")


def owned_source(source_id: int, need: str = VIEWER) -> Source:
    """The source, if the current user reaches it with at least `need`."""
    source = Session.get(Source, source_id)
    _reached(source.team_id if source else None, need, f"source {source_id} not found")
    return source  # type: ignore[return-value]


def owned_job(job_id: int, need: str = VIEWER) -> CrawlJob:
    """The crawl, if the current user reaches its source with at least `need`."""
    job = Session.get(CrawlJob, job_id)
    source = Session.get(Source, job.source_id) if job is not None else None
    _reached(source.team_id if source else None, need, f"crawl {job_id} not found")
    return job  # type: ignore[return-value]


def member_team(team_id: int, need: str = VIEWER) -> Team:
    """The team, if the current user is a member with at least `need`."""
    team = Session.get(Team, team_id)
    _reached(team.id if team else None, need, f"team {team_id} not found")
    return team  # type: ignore[return-value]


def owned_table(table_id: int, need: str = VIEWER) -> Source:
    """The source of a table (live or removed) by its catalog id, if the
    current user reaches it with at least `need`."""
    source_id = table_source_id(Session(), table_id)
    source = Session.get(Source, source_id) if source_id is not None else None
    _reached(source.team_id if source else None, need, f"table {table_id} not found")
    return source  # type: ignore[return-value]
