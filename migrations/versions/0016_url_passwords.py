"""sources: a `sqlalchemy` source's URL stored with a password in it (in its
user part, or as a query parameter such as `?password=`, which registration
accepted before) loses it: the password was kept and shown in clear. Such a
source fails its next crawl with `settings_refused` until its owner sends the
password in the password field, which is kept encrypted.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import make_url

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# as engines/generic_url.py SECRET_PARAMETERS (a migration stands alone)
SECRET_PARAMETERS = frozenset({"password", "passwd", "pwd", "pass", "secret"})


def _without_password(text: str) -> str | None:
    """The URL without any password, or None when it holds none (or is no URL)."""
    try:
        url = make_url(text)
    except Exception:
        return None
    secret = [k for k in url.query if k.lower() in SECRET_PARAMETERS]
    if not url.password and not secret:
        return None
    return url._replace(password=None).difference_update_query(secret).render_as_string(hide_password=False)


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, settings FROM sources WHERE engine = 'sqlalchemy' AND settings ? 'url'")
    ).all()
    for source_id, settings in rows:
        clean = _without_password(str(settings.get("url") or ""))
        if clean is not None:
            conn.execute(
                sa.text("UPDATE sources SET settings = CAST(:s AS jsonb) WHERE id = :id"),
                {"s": json.dumps({**settings, "url": clean}), "id": source_id},
            )


def downgrade() -> None:
    pass  # a password removed is not put back
