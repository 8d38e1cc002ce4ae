"""Revoked tokens and sessions, as the catalog keeps them (Redis caches them
in front: api/auth/tokens.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from .models import RevokedToken


def store_revocations(session: Session, rows: list[dict]) -> None:
    """Record these revocations ({jti, user_id, expires_at}); what has
    expired needs no revocation any more, so it goes."""
    session.execute(insert(RevokedToken).values(rows).on_conflict_do_nothing())
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < datetime.now(UTC)))


def revoked_among(session: Session, ids: list[str]) -> dict[str, datetime]:
    """Which of these token or session ids are revoked, with their expiry."""
    rows = session.execute(select(RevokedToken.jti, RevokedToken.expires_at).where(RevokedToken.jti.in_(ids))).all()
    return {jti: expires_at for jti, expires_at in rows}
