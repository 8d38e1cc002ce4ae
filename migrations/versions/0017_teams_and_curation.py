"""teams and curation: a source belongs to a team (every user gets a
personal team, named by their email, as its admin, and each source moves to
its registrant's personal team, so everything reads as before); a team's
tags; curation (descriptions, tags, owners) and its audit list.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _ts(name: str, **kw) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def _teams() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.String(320), nullable=False),
        sa.Column("personal", sa.Boolean, nullable=False, server_default=sa.false()),
        _ts("created_at", nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
    )
    op.execute("CREATE UNIQUE INDEX uq_teams_name_lower ON teams (lower(name))")
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        _ts("added_at", nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_team_members"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_team_members_team_id_teams", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_team_members_user_id_users", ondelete="CASCADE"),
        sa.CheckConstraint("role IN ('viewer', 'curator', 'admin')", name=op.f("ck_team_members_role")),
    )
    op.create_index("ix_team_members_user_id", "team_members", ["user_id"])
    op.create_table(
        "team_tags",
        sa.Column("team_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("colour", sa.String(7), nullable=False),
        sa.Column("description", sa.Text),
        sa.PrimaryKeyConstraint("team_id", "name", name="pk_team_tags"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_team_tags_team_id_teams", ondelete="CASCADE"),
    )


def _sources_to_teams() -> None:
    op.execute("INSERT INTO teams (name, personal, created_at) SELECT email, true, created_at FROM users ORDER BY id")
    op.execute(
        "INSERT INTO team_members (team_id, user_id, role, added_at) "
        "SELECT t.id, u.id, 'admin', u.created_at FROM users u JOIN teams t ON t.name = u.email AND t.personal"
    )
    op.add_column("sources", sa.Column("team_id", sa.BigInteger))
    op.execute(
        "UPDATE sources s SET team_id = m.team_id FROM team_members m JOIN teams t ON t.id = m.team_id AND t.personal "
        "WHERE m.user_id = s.user_id"
    )
    op.alter_column("sources", "team_id", nullable=False)
    op.create_foreign_key("fk_sources_team_id_teams", "sources", "teams", ["team_id"], ["id"])
    op.drop_constraint("uq_sources_user_id_name", "sources", type_="unique")
    op.create_unique_constraint("uq_sources_team_id_name", "sources", ["team_id", "name"])
    op.alter_column("sources", "user_id", nullable=True)
    op.drop_constraint("fk_sources_user_id_users", "sources", type_="foreignkey")
    op.create_foreign_key("fk_sources_user_id_users", "sources", "users", ["user_id"], ["id"], ondelete="SET NULL")


def _curation() -> None:
    empty = sa.text("'{}'")
    op.create_table(
        "catalog_curation",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("source_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("schema_name", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("table_id", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("column_name", sa.Text, nullable=False, server_default=sa.text("''")),
        sa.Column("description", sa.Text),
        sa.Column("tags", ARRAY(sa.Text), nullable=False, server_default=empty),
        sa.Column("owner_user_ids", ARRAY(sa.BigInteger), nullable=False, server_default=empty),
        sa.Column("owner_team_ids", ARRAY(sa.BigInteger), nullable=False, server_default=empty),
        _ts("updated_at", nullable=False),
        sa.Column("updated_by", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_curation"),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_catalog_curation_source_id_sources", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name="fk_catalog_curation_updated_by_users", ondelete="SET NULL"
        ),
        sa.CheckConstraint("kind IN ('source', 'schema', 'table', 'column')", name=op.f("ck_catalog_curation_kind")),
        sa.UniqueConstraint(
            "source_id", "kind", "table_id", "schema_name", "column_name", name="uq_catalog_curation_key"
        ),
    )
    for column in ("tags", "owner_user_ids", "owner_team_ids"):
        op.create_index(f"ix_catalog_curation_{column}", "catalog_curation", [column], postgresql_using="gin")
    op.execute(
        "CREATE INDEX ix_catalog_curation_description_trgm ON catalog_curation "
        "USING gin (lower(description) gin_trgm_ops) WHERE description IS NOT NULL"
    )
    op.create_table(
        "catalog_curation_audit",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("curation_id", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.BigInteger),
        _ts("changed_at", nullable=False),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("before", JSONB),
        sa.Column("after", JSONB),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_curation_audit"),
        sa.ForeignKeyConstraint(
            ["curation_id"],
            ["catalog_curation.id"],
            name="fk_catalog_curation_audit_curation_id_catalog_curation",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_catalog_curation_audit_user_id_users", ondelete="SET NULL"
        ),
    )
    op.execute("CREATE INDEX ix_catalog_curation_audit_curation_id_id ON catalog_curation_audit (curation_id, id DESC)")


def upgrade() -> None:
    _teams()
    _sources_to_teams()
    _curation()


def downgrade() -> None:
    op.drop_table("catalog_curation_audit")
    op.drop_table("catalog_curation")
    # A source whose registrant is gone goes back to an admin of its team; one
    # with no member left is dropped (no user could reach it); a name taken
    # twice by one user (two teams) keeps its id in the second.
    op.execute(
        "UPDATE sources s SET user_id = (SELECT m.user_id FROM team_members m WHERE m.team_id = s.team_id "
        "ORDER BY m.role = 'admin' DESC, m.user_id LIMIT 1) WHERE s.user_id IS NULL"
    )
    op.execute("DELETE FROM sources WHERE user_id IS NULL")
    op.execute(
        "UPDATE sources s SET name = left(s.name, 180) || ' (' || s.id || ')' WHERE EXISTS "
        "(SELECT 1 FROM sources o WHERE o.user_id = s.user_id AND o.name = s.name AND o.id < s.id)"
    )
    op.drop_constraint("fk_sources_user_id_users", "sources", type_="foreignkey")
    op.create_foreign_key("fk_sources_user_id_users", "sources", "users", ["user_id"], ["id"], ondelete="CASCADE")
    op.alter_column("sources", "user_id", nullable=False)
    op.drop_constraint("uq_sources_team_id_name", "sources", type_="unique")
    op.create_unique_constraint("uq_sources_user_id_name", "sources", ["user_id", "name"])
    op.drop_constraint("fk_sources_team_id_teams", "sources", type_="foreignkey")
    op.drop_column("sources", "team_id")
    op.drop_table("team_tags")
    op.drop_table("team_members")
    op.drop_table("teams")
