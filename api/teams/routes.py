"""Teams: yours, their members and roles, and their tags."""

from __future__ import annotations

import marshmallow as ma
from flask import url_for
from flask_jwt_extended import current_user
from flask_smorest import abort

from catalog import teams
from catalog.db import Session
from catalog.models import User

from ..extensions import Blueprint
from ..ownership import ADMIN, CURATOR, VIEWER, member_team
from .schemas import (
    TAG_NAME,
    MemberInputSchema,
    MemberListSchema,
    MemberSchema,
    RoleSchema,
    TagInputSchema,
    TagListSchema,
    TagSchema,
    TeamInputSchema,
    TeamListSchema,
    TeamSchema,
)
from .views import member_view, team_refused, team_view, team_views

blp = Blueprint("teams", __name__, url_prefix="/api/v1/teams", description="Teams, members, roles and tags")

NOT_YOURS = "No such team of yours"


@blp.get("")
@blp.login_required
@blp.response(200, TeamListSchema)
def list_teams():
    """Your teams with your role in each, your personal team first"""
    return {"teams": team_views([t for t, _ in teams.user_teams(Session(), current_user.id)])}


@blp.post("")
@blp.login_required
@blp.arguments(TeamInputSchema)
@blp.response(201, TeamSchema)
@blp.alt_response(409, description="A team with this name exists")
def create_team(data):
    """Create a team; you are its admin"""
    try:
        team = teams.create_team(Session(), data["name"], current_user.id)
    except teams.TeamError as e:
        team_refused(e)
    Session.commit()
    return team_view(team), {"Location": url_for("teams.get_team", team_id=team.id)}


@blp.get("/<int:team_id>")
@blp.login_required
@blp.response(200, TeamSchema)
@blp.alt_response(404, description=NOT_YOURS)
def get_team(team_id):
    """One of your teams"""
    return team_view(member_team(team_id))


@blp.patch("/<int:team_id>")
@blp.login_required
@blp.arguments(TeamInputSchema)
@blp.response(200, TeamSchema)
@blp.alt_response(404, description=NOT_YOURS)
@blp.alt_response(409, description="A team with this name exists, or the team is personal")
@blp.needs_role("admin")
def rename_team(data, team_id):
    """Rename a team"""
    team = member_team(team_id, ADMIN)
    try:
        teams.rename_team(Session(), team, data["name"])
    except teams.TeamError as e:
        team_refused(e)
    Session.commit()
    return team_view(team)


@blp.delete("/<int:team_id>")
@blp.login_required
@blp.response(204)
@blp.alt_response(404, description=NOT_YOURS)
@blp.alt_response(409, description="The team still has sources, or is personal")
@blp.needs_role("admin")
def delete_team(team_id):
    """Delete a team that has no sources left"""
    try:
        teams.delete_team(Session(), member_team(team_id, ADMIN))
    except teams.TeamError as e:
        team_refused(e)
    Session.commit()


@blp.get("/<int:team_id>/members")
@blp.login_required
@blp.response(200, MemberListSchema)
@blp.alt_response(404, description=NOT_YOURS)
def list_members(team_id):
    """The team's members and their roles, by email"""
    member_team(team_id)
    return {"members": [member_view(m, email) for m, email in teams.members(Session(), team_id)]}


@blp.post("/<int:team_id>/members")
@blp.login_required
@blp.arguments(MemberInputSchema)
@blp.response(201, MemberSchema)
@blp.alt_response(404, description=NOT_YOURS)
@blp.alt_response(409, description="Already a member, or the team is personal")
@blp.needs_role("admin")
def add_member(data, team_id):
    """Add an existing account, by email, with a role"""
    team = member_team(team_id, ADMIN)
    try:
        m = teams.add_member(Session(), team, data["email"], data["role"])
    except teams.TeamError as e:
        team_refused(e, "email" if "no account" in str(e) else None)
    Session.commit()
    return member_view(m, data["email"].strip())


def _member(team_id: int, user_id: int):
    m = teams.member(Session(), team_id, user_id)
    if m is None:
        abort(404, message=f"user {user_id} is not a member of team {team_id}")
    return m


@blp.patch("/<int:team_id>/members/<int:user_id>")
@blp.login_required
@blp.arguments(RoleSchema)
@blp.response(200, MemberSchema)
@blp.alt_response(404, description="No such team of yours, or no such member")
@blp.alt_response(409, description="The team's last admin keeps the role")
@blp.needs_role("admin")
def set_role(data, team_id, user_id):
    """Change a member's role"""
    member_team(team_id, ADMIN)
    m = _member(team_id, user_id)
    try:
        teams.set_role(Session(), m, data["role"])
    except teams.TeamError as e:
        team_refused(e)
    Session.commit()
    return member_view(m, Session.get_one(User, user_id).email)


@blp.delete("/<int:team_id>/members/<int:user_id>")
@blp.login_required
@blp.response(204)
@blp.alt_response(404, description="No such team of yours, or no such member")
@blp.alt_response(409, description="The team's last admin cannot leave")
@blp.needs_role("admin")
def remove_member(team_id, user_id):
    """Remove a member (admins), or leave the team (anyone, for themselves)"""
    member_team(team_id, VIEWER if user_id == current_user.id else ADMIN)
    try:
        teams.remove_member(Session(), _member(team_id, user_id))
    except teams.TeamError as e:
        team_refused(e)
    Session.commit()


@blp.get("/<int:team_id>/tags")
@blp.login_required
@blp.response(200, TagListSchema)
@blp.alt_response(404, description=NOT_YOURS)
def list_tags(team_id):
    """The team's tags, by name"""
    member_team(team_id)
    return {"tags": teams.team_tags(Session(), team_id)}


@blp.put("/<int:team_id>/tags/<tag>")
@blp.login_required
@blp.arguments(TagInputSchema)
@blp.response(200, TagSchema)
@blp.alt_response(404, description=NOT_YOURS)
@blp.alt_response(422, description="The tag's name is not lowercase-words")
@blp.needs_role("curator")
def put_tag(data, team_id, tag):
    """Add a tag to the team's list, or change its colour and description"""
    member_team(team_id, CURATOR)
    try:
        TAG_NAME(tag)
    except ma.ValidationError as e:
        abort(422, message=f"invalid tag name: {e}", errors={"path": {"tag": [str(e)]}})
    done = teams.put_tag(Session(), team_id, tag, data["colour"], data.get("description"))
    Session.commit()
    return done


@blp.delete("/<int:team_id>/tags/<tag>")
@blp.login_required
@blp.response(204)
@blp.alt_response(404, description="No such team of yours, or no such tag")
@blp.needs_role("curator")
def delete_tag(team_id, tag):
    """Remove a tag from the team's list, and from every object of the team's sources that carries it
    (each with an audit entry)"""
    member_team(team_id, CURATOR)
    if not teams.delete_tag(Session(), team_id, tag, current_user.id):
        abort(404, message=f"team {team_id} has no tag {tag!r}")
    Session.commit()
