"""Teams: a user's personal team, teams shared by several users, their
members and roles, and a team's tags. The API's routes and the web UI's
pages call these; who may call which is api/ownership.py's business."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import ROLES, Source, Team, TeamMember, TeamTag, User

# A tag is `lowercase-words` (pii, finance, deprecated, gdpr-art-9); a
# colour is #rrggbb; a team's name never holds `@` (personal teams are named
# by an email, so no team can take a future user's name).
TAG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
TAG_MAX = 50
# (not `$`, which Python's re.match lets a trailing newline through; this
# reads the same in the OpenAPI document's ECMA dialect)
COLOUR_PATTERN = r"^#[0-9a-f]{6}(?![\s\S])"
TEAM_NAME_PATTERN = r"^[^@\x00-\x1f\x7f]+$"
TEAM_NAME_MAX = 100
TAG_RULE = "a tag is lowercase-words: a-z, 0-9 and single hyphens"


def is_tag(name: str) -> bool:
    """Whether `name` is a tag: lowercase-words, at most TAG_MAX characters
    (the whole text: a trailing newline is no part of a tag)."""
    return len(name) <= TAG_MAX and re.fullmatch(TAG_PATTERN, name) is not None


class TeamError(Exception):
    """A change a team refuses; the message says why, for the caller's 4xx."""


class NameTaken(TeamError):
    pass


def at_least(role: str | None, need: str) -> bool:
    """Whether `role` allows what `need` allows (viewer < curator < admin)."""
    return role is not None and ROLES.index(role) >= ROLES.index(need)


def create_personal_team(session: Session, user: User) -> Team:
    """The user's own team, named by their email (team names never hold
    `@` otherwise, so it is free), with the user as its admin."""
    team = Team(name=user.email, personal=True)
    session.add(team)
    session.flush()
    session.add(TeamMember(team_id=team.id, user_id=user.id, role="admin"))
    session.flush()
    return team


def personal_team_id(session: Session, user_id: int) -> int | None:
    return session.scalar(
        select(Team.id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user_id, Team.personal)
    )


def roles_of(session: Session, user_id: int) -> dict[int, str]:
    """The user's role in each of their teams, by team id."""
    return dict(session.execute(select(TeamMember.team_id, TeamMember.role).where(TeamMember.user_id == user_id)).all())


def user_teams(session: Session, user_id: int) -> list[tuple[Team, str]]:
    """The user's teams with their role in each, personal first, then by name."""
    rows = session.execute(
        select(Team, TeamMember.role)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user_id)
        .order_by(Team.personal.desc(), func.lower(Team.name))
    ).all()
    return [(team, role) for team, role in rows]


def create_team(session: Session, name: str, creator_id: int) -> Team:
    team = Team(name=name.strip(), personal=False)
    session.add(team)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise NameTaken(f"a team named {name.strip()!r} exists") from None
    session.add(TeamMember(team_id=team.id, user_id=creator_id, role="admin"))
    session.flush()
    return team


def rename_team(session: Session, team: Team, name: str) -> None:
    if team.personal:
        raise TeamError("a personal team is named by its owner's email")
    team.name = name.strip()
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise NameTaken(f"a team named {name.strip()!r} exists") from None


def delete_team(session: Session, team: Team) -> None:
    if team.personal:
        raise TeamError("a personal team goes with its account")
    count = session.scalar(select(func.count()).select_from(Source).where(Source.team_id == team.id))
    if count:
        raise TeamError(f"the team has {count} sources: delete them or move them to another team first")
    session.delete(team)
    session.flush()


def members(session: Session, team_id: int) -> Sequence[tuple[TeamMember, str]]:
    """The team's members with their emails, by email."""
    rows = session.execute(
        select(TeamMember, User.email)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id == team_id)
        .order_by(func.lower(User.email))
    ).all()
    return [(m, email) for m, email in rows]


def add_member(session: Session, team: Team, email: str, role: str) -> TeamMember:
    """Add the account with this email (an invitation needs no mail server:
    the account must exist)."""
    if team.personal:
        raise TeamError("a personal team has one member; create a team to share sources")
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise TeamError(f"no account has the email {email.strip()!r}")
    if session.get(TeamMember, (team.id, user.id)) is not None:
        raise TeamError(f"{user.email} is already a member")
    member = TeamMember(team_id=team.id, user_id=user.id, role=role)
    session.add(member)
    session.flush()
    return member


def _admins(session: Session, team_id: int) -> int:
    admins = (
        select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team_id, TeamMember.role == "admin")
    )
    return session.scalar(admins) or 0


def set_role(session: Session, member: TeamMember, role: str) -> None:
    if member.role == "admin" and role != "admin" and _admins(session, member.team_id) == 1:
        raise TeamError("the team's last admin keeps the role: make another member admin first")
    member.role = role
    session.flush()


def remove_member(session: Session, member: TeamMember) -> None:
    if member.role == "admin" and _admins(session, member.team_id) == 1:
        raise TeamError("the team's last admin cannot leave: make another member admin first")
    session.delete(member)
    session.flush()


def team_tags(session: Session, team_id: int) -> Sequence[TeamTag]:
    return session.scalars(select(TeamTag).where(TeamTag.team_id == team_id).order_by(TeamTag.name)).all()


def put_tag(session: Session, team_id: int, name: str, colour: str, description: str | None) -> TeamTag:
    tag = session.get(TeamTag, (team_id, name))
    if tag is None:
        tag = TeamTag(team_id=team_id, name=name)
        session.add(tag)
    tag.colour, tag.description = colour, description
    session.flush()
    return tag


def delete_tag(session: Session, team_id: int, name: str, user_id: int | None = None) -> bool:
    """Drop a tag from the team's list and take it off every object of the
    team's sources that carries it, with an audit row each (by `user_id`):
    curation only ever carries tags of its team's list, and the audit keeps
    where it was."""
    from .curation import strip_tag  # curation reads this module's tag pattern

    done = session.execute(delete(TeamTag).where(TeamTag.team_id == team_id, TeamTag.name == name))
    if not getattr(done, "rowcount", 0):
        return False
    strip_tag(session, team_id, name, user_id)
    return True


def team_counts(session: Session, team_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each team's number of members and of sources, by team id."""
    members = dict(
        session.execute(
            select(TeamMember.team_id, func.count())
            .where(TeamMember.team_id.in_(team_ids))
            .group_by(TeamMember.team_id)
        ).all()
    )
    sources = dict(
        session.execute(
            select(Source.team_id, func.count()).where(Source.team_id.in_(team_ids)).group_by(Source.team_id)
        ).all()
    )
    return {t: (members.get(t, 0), sources.get(t, 0)) for t in team_ids}


def member(session: Session, team_id: int, user_id: int) -> TeamMember | None:
    return session.get(TeamMember, (team_id, user_id))
