"""Teams: who shares which sources, members with a role, and a team's tags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, Text, false, func
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ts

# A member's role, least to most: a viewer reads; a curator also edits
# descriptions, tags and owners and reviews insights; an admin also manages
# sources, their credentials, crawls and members (api/ownership.py).
ROLES = ("viewer", "curator", "admin")


class Team(Base):
    """A team owns sources. Every user has a personal team (named by the
    user's email, `personal`), made with the account, so a source always
    belongs to a team."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(320))
    personal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = ts(server_default=func.now())


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    added_at: Mapped[datetime] = ts(server_default=func.now())

    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'curator', 'admin')", name="role"),
        # a user's teams: every request that checks membership
        Index("ix_team_members_user_id", "user_id"),
    )


class TeamTag(Base):
    """A tag the team uses (`lowercase-words`), with its colour. Curation
    may only carry the tags of its source's team."""

    __tablename__ = "team_tags"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    colour: Mapped[str] = mapped_column(String(7))
    description: Mapped[str | None] = mapped_column(Text)


# Expression indexes, declared once the columns they use exist.
Index("uq_teams_name_lower", func.lower(Team.name), unique=True)
