"""Teams: yours with your role, a team's members and tags. Every form is a
plain POST answered by a redirect (or the page again with its problems,
422, or a refusal of catalog.teams, 409); htmx posts the same forms and
swaps the team's part of the page. Who may do what is api/ownership.py's:
a non-member meets the 404 page, a role too low the 403 page."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, redirect, render_template, request
from flask_jwt_extended import current_user
from werkzeug.datastructures import MultiDict

from catalog import teams
from catalog.db import Session
from catalog.models import ROLES, Team

from ..ownership import ADMIN, CURATOR, VIEWER, member_team, role_in
from ..teams.schemas import TAG_NAME, MemberInputSchema, RoleSchema, TagInputSchema, TeamInputSchema
from ..teams.views import team_view, team_views
from . import blp
from .forms import load_with
from .session import page

Errors = dict[str, list[str]]


def _teams_page(values: MultiDict | None = None, errors: Errors | None = None, status: int = 200):
    mine = team_views([t for t, _ in teams.user_teams(Session(), current_user.id)])
    return (
        render_template("teams.html", teams=mine, values=values or MultiDict(), errors=errors or {}),
        status,
    )


@blp.route("/teams", methods=["GET", "POST"])
@page
def teams_page():
    """Your teams; the form creates one, of which you are the admin."""
    if request.method == "GET":
        return _teams_page()
    data, errors = load_with(TeamInputSchema(), {"name": (request.form.get("name") or "").strip()})
    if errors:
        return _teams_page(request.form, errors, 422)
    try:
        team = teams.create_team(Session(), data["name"], current_user.id)
    except teams.TeamError as e:
        return _teams_page(request.form, {"name": [str(e)]}, 422)
    Session.commit()
    return redirect(f"/teams/{team.id}", 303)


def _team_page(
    team: Team, values: MultiDict | None = None, errors: Errors | None = None, problem: str = "", status=200
):
    """The team page: the team, its members and its tags, and the forms the
    current user's role allows (the server checks the role again on POST)."""
    role = role_in(team.id)
    return (
        render_template(
            "team.html",
            team=team_view(team),
            members=[(m, email) for m, email in teams.members(Session(), team.id)],
            tags=teams.team_tags(Session(), team.id),
            roles=ROLES,
            is_admin=teams.at_least(role, ADMIN),
            is_curator=teams.at_least(role, CURATOR),
            me=current_user.id,
            values=values or MultiDict(),
            errors=errors or {},
            problem=problem,
        ),
        status,
    )


def _done(team_id: int, anchor: str):
    return redirect(f"/teams/{team_id}#{anchor}", 303)


@blp.get("/teams/<int:team_id>")
@page
def team_page(team_id: int):
    return _team_page(member_team(team_id))


@blp.post("/teams/<int:team_id>/members")
@page
def team_add_member(team_id: int):
    """Add an existing account by email, with a role (admins)."""
    team = member_team(team_id, ADMIN)
    sent = {"email": (request.form.get("email") or "").strip(), "role": request.form.get("role") or ""}
    data, errors = load_with(MemberInputSchema(), sent)
    if not errors:
        try:
            teams.add_member(Session(), team, data["email"], data["role"])
        except teams.TeamError as e:
            if team.personal:
                return _team_page(team, problem=str(e), status=409)
            errors = {"email": [str(e)]}  # no such account, or already a member
    if errors:
        return _team_page(team, request.form, errors, status=422)
    Session.commit()
    return _done(team_id, "members")


def _member_of(team: Team, user_id: int):
    m = teams.member(Session(), team.id, user_id)
    if m is None:
        abort(404, description=f"That account is not a member of {team.name}.")
    return m


@blp.post("/teams/<int:team_id>/members/<int:user_id>/role")
@page
def team_set_role(team_id: int, user_id: int):
    """Change a member's role (admins); the team's last admin keeps the role."""
    team = member_team(team_id, ADMIN)
    m = _member_of(team, user_id)
    data, errors = load_with(RoleSchema(), {"role": request.form.get("role") or ""})
    if errors:
        return _team_page(team, problem="Choose viewer, curator or admin.", status=422)
    try:
        teams.set_role(Session(), m, data["role"])
    except teams.TeamError as e:
        Session.rollback()
        return _team_page(team, problem=str(e), status=409)
    Session.commit()
    return _done(team_id, "members")


@blp.post("/teams/<int:team_id>/members/<int:user_id>/remove")
@page
def team_remove_member(team_id: int, user_id: int):
    """Remove a member (admins), or leave the team (anyone, for themselves)."""
    leaving = user_id == current_user.id
    team = member_team(team_id, VIEWER if leaving else ADMIN)
    try:
        teams.remove_member(Session(), _member_of(team, user_id))
    except teams.TeamError as e:
        Session.rollback()
        return _team_page(team, problem=str(e), status=409)
    Session.commit()
    return redirect("/teams", 303) if leaving else _done(team_id, "members")


@blp.post("/teams/<int:team_id>/tags")
@page
def team_put_tag(team_id: int):
    """Add a tag to the team's list, or change its colour and description (curators)."""
    team = member_team(team_id, CURATOR)
    name = (request.form.get("tag") or "").strip()
    errors: Errors = {}
    try:
        TAG_NAME(name)
    except ma.ValidationError as e:
        errors["tag"] = list(e.messages)
    description = (request.form.get("description") or "").strip() or None
    data, more = load_with(
        TagInputSchema(), {"colour": (request.form.get("colour") or "").lower(), "description": description}
    )
    errors |= more
    if errors:
        return _team_page(team, request.form, errors, status=422)
    teams.put_tag(Session(), team.id, name, data["colour"], data["description"])
    Session.commit()
    return _done(team_id, "tags")


@blp.post("/teams/<int:team_id>/tags/<tag>/delete")
@page
def team_delete_tag(team_id: int, tag: str):
    """Remove a tag from the team's list (curators)."""
    team = member_team(team_id, CURATOR)
    if not teams.delete_tag(Session(), team.id, tag, current_user.id):
        return _team_page(team, problem=f"The team has no tag {tag!r}.", status=409)
    Session.commit()
    return _done(team_id, "tags")
