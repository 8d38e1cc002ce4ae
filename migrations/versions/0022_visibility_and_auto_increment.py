"""What a crawl's account could not see (issue #26): crawl_jobs.warnings, a
list of {kind, privilege, message}; and the next AUTO_INCREMENT value of a
MySQL/MariaDB table, a figure that moves without DDL, kept with the table's
activity (catalog_table_activity and its staging), never in its definition.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_jobs", sa.Column("warnings", JSONB, server_default=sa.text("'[]'::jsonb"), nullable=False))
    for table in ("catalog_table_activity", "crawl_staged_activity"):
        op.add_column(table, sa.Column("next_auto_increment", sa.BigInteger, nullable=True))


def downgrade() -> None:
    for table in ("catalog_table_activity", "crawl_staged_activity"):
        op.drop_column(table, "next_auto_increment")
    op.drop_column("crawl_jobs", "warnings")
