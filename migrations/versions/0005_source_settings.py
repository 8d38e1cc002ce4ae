"""sources shaped by their engine: a JSONB `settings` (validated by the engine's
settings schema) and `secrets` (field name -> Fernet token) replace the
host/port/database/username/options/password_encrypted columns

Existing sources move without loss and without the keys: the password's
Fernet token is ASCII, so it moves as text into secrets->'password'.

Revision ID: 0005
Revises: 0004_job_requeues
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004_job_requeues"
branch_labels = None
depends_on = None

SERVER_ENGINES = ("postgresql", "mysql", "mariadb")


def upgrade() -> None:
    op.add_column("sources", sa.Column("settings", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")))
    op.add_column("sources", sa.Column("secrets", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")))
    op.execute(
        """
        UPDATE sources SET
          settings = jsonb_build_object('host', host, 'port', port, 'database', database,
                                        'username', username, 'options', options),
          secrets = jsonb_build_object('password', convert_from(password_encrypted, 'UTF8'))
        """
    )
    for column in ("host", "port", "database", "username", "password_encrypted", "options"):
        op.drop_column("sources", column)


def downgrade() -> None:
    conn = op.get_bind()
    others = conn.execute(
        sa.text("SELECT count(*) FROM sources WHERE engine <> ALL(:engines)"), {"engines": list(SERVER_ENGINES)}
    ).scalar()
    if others:
        raise RuntimeError(
            f"cannot downgrade below 0005: {others} source(s) use an engine that needs the settings column "
            f"(not one of {', '.join(SERVER_ENGINES)}); delete them first"
        )
    op.add_column("sources", sa.Column("host", sa.String(255)))
    op.add_column("sources", sa.Column("port", sa.Integer))
    op.add_column("sources", sa.Column("database", sa.String(255)))
    op.add_column("sources", sa.Column("username", sa.String(255)))
    op.add_column("sources", sa.Column("password_encrypted", sa.LargeBinary))
    op.add_column("sources", sa.Column("options", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")))
    op.execute(
        """
        UPDATE sources SET host = settings->>'host', port = (settings->>'port')::int,
          database = settings->>'database', username = settings->>'username',
          options = coalesce(settings->'options', '{}'::jsonb),
          password_encrypted = convert_to(secrets->>'password', 'UTF8')
        """
    )
    for column in ("host", "port", "database", "username", "password_encrypted"):
        op.alter_column("sources", column, nullable=False)
    op.drop_column("sources", "secrets")
    op.drop_column("sources", "settings")
