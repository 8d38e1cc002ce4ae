"""catalog_enums.comment (issue #26): an enum type's COMMENT ON TYPE, null
where it has none and for types crawled before comments were read (the
first crawl that reads them records no change of comment).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalog_enums", sa.Column("comment", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("catalog_enums", "comment")
