"""Accounts, sources (registered databases, each a team's) and revoked tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint, false, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, ts


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = ts(server_default=func.now())


class Source(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # the team the source belongs to (its members reach it, by role); a team
    # with sources cannot be deleted
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    # who registered it (kept when the account goes)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    engine: Mapped[str] = mapped_column(String(20))
    # The engine's connection settings as its settings schema validated them
    # (host, port, database, username, options; a path; a URL...), and its
    # secret fields, each a Fernet token (catalog.vault) keyed by field name.
    settings: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    secrets: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    schedule: Mapped[str | None] = mapped_column(String(100))
    next_crawl_at: Mapped[datetime | None] = ts()
    last_crawled_at: Mapped[datetime | None] = ts()
    last_crawl_id: Mapped[int | None] = mapped_column(BigInteger)
    last_success_at: Mapped[datetime | None] = ts()
    catalog_changed_at: Mapped[datetime | None] = ts()
    # the earliest crawl whose schema catalog_table_versions can rebuild: the
    # last successful crawl when history began to be kept (migration 0013),
    # else the source's first successful crawl
    history_from_crawl_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = ts(server_default=func.now())
    updated_at: Mapped[datetime] = ts(server_default=func.now(), onupdate=func.now())

    __table_args__ = (
        UniqueConstraint("team_id", "name", name="uq_sources_team_id_name"),
        Index("ix_sources_next_crawl_at", "next_crawl_at", postgresql_where=text("next_crawl_at IS NOT NULL")),
    )


class RevokedToken(Base):
    """A token or a session revoked by logout (`jti`: a token's jti or a
    session's sid, which is its refresh token's jti), kept until no token it
    names can still be valid, so that a Redis restart cannot undo a logout;
    Redis only caches these (api/auth/tokens.py)."""

    __tablename__ = "revoked_tokens"
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = ts(index=True)
    revoked_at: Mapped[datetime] = ts(server_default=func.now())


# Expression indexes, declared once the columns they use exist.
Index("uq_users_email_lower", func.lower(User.email), unique=True)
