"""Teams as the API answers them, and a team's refusal as a 4xx."""

from __future__ import annotations

from flask_smorest import abort

from catalog.db import Session
from catalog.models import Team
from catalog.teams import TeamError, team_counts

from ..ownership import role_in


def team_views(teams: list[Team]) -> list[dict]:
    counts = team_counts(Session(), [t.id for t in teams])
    return [
        {
            "id": t.id,
            "name": t.name,
            "personal": t.personal,
            "role": role_in(t.id),
            "members": counts[t.id][0],
            "sources": counts[t.id][1],
            "created_at": t.created_at,
        }
        for t in teams
    ]


def team_view(team: Team) -> dict:
    return team_views([team])[0]


def member_view(m, email: str) -> dict:
    return {"user_id": m.user_id, "email": email, "role": m.role, "added_at": m.added_at}


def team_refused(e: TeamError, field: str | None = None):
    """A refused change: 422 naming the field when one is at fault, else 409."""
    if field is not None:
        abort(422, message=str(e), errors={"json": {field: [str(e)]}})
    abort(409, message=str(e))
