"""Advisory locks a crawl task holds on a connection of its own while it
waits on a target: the job's one planner (`planning`) and one of its
owner's crawl-task slots (`owner_slot`). Session-level locks, never locks on
a row: the reaper, cancel and delete never wait on a target, and a process
that dies frees its locks with its connection."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select, text

from .db import engine
from .models import CrawlJob, Source

# Advisory lock keys (classid, objid): one planner per job; one slot of an
# owner's crawl tasks per (OWNER_SLOT + n, owner id).
PLAN_LOCK = 7301
OWNER_SLOT = 7400


@contextmanager
def planning(job_id: int) -> Iterator[bool]:
    """Whether this process is the job's one planner, for the `with` block.

    A session-level advisory lock on a connection of its own, not a lock on
    the job row: the plan waits on its target while it holds it, and the
    reaper, cancel and delete must never wait on a target. A redelivered
    plan that finds the lock taken leaves the planning to the first; a
    planner that dies drops its connection and the lock with it."""
    with engine().connect() as conn:
        mine = bool(
            conn.execute(text("SELECT pg_try_advisory_lock(:k, :job)"), {"k": PLAN_LOCK, "job": job_id}).scalar()
        )
        conn.commit()
        try:
            yield mine
        finally:
            if mine:
                with contextlib.suppress(Exception):  # a lost connection has dropped the lock already
                    conn.execute(text("SELECT pg_advisory_unlock(:k, :job)"), {"k": PLAN_LOCK, "job": job_id})
                    conn.commit()


@contextmanager
def owner_slot(job_id: int, slots: int) -> Iterator[bool]:
    """Whether one of the `slots` crawl-task slots of the job's owner (its
    source's team) is free
    (and now this task's, for the `with` block): session-level advisory
    locks, one per slot, on a connection of their own, so a worker process
    that dies frees its slot with its connection."""
    with engine().connect() as conn:
        owner = conn.execute(
            select(Source.team_id).join(CrawlJob, CrawlJob.source_id == Source.id).where(CrawlJob.id == job_id)
        ).scalar()
        taken = None
        if owner is not None:
            for n in range(slots):
                got = conn.execute(text("SELECT pg_try_advisory_lock(:k, :o)"), {"k": OWNER_SLOT + n, "o": owner})
                if got.scalar():
                    taken = n
                    break
        conn.commit()
        try:
            yield owner is None or taken is not None
        finally:
            if taken is not None:
                with contextlib.suppress(Exception):
                    conn.execute(text("SELECT pg_advisory_unlock(:k, :o)"), {"k": OWNER_SLOT + taken, "o": owner})
                    conn.commit()
