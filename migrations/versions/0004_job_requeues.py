"""crawl_jobs.requeues: the reaper re-enqueues a lost crawl a few times before failing it

A crawl that sat queued (its message lost from the broker) or running without
a heartbeat is sent again by the reaper, at most METACRAWL_MAX_REQUEUES times;
this counts how often. (The new `cancelled` state needs no DDL: states are
strings, the active ones are listed in the partial indexes of 0001.)

Revision ID: 0004_job_requeues
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_job_requeues"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_jobs", sa.Column("requeues", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    # the code before this revision knows no cancelled state
    op.execute("UPDATE crawl_jobs SET state = 'failed', error_type = 'cancelled' WHERE state = 'cancelled'")
    op.drop_column("crawl_jobs", "requeues")
