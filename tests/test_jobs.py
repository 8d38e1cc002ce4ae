"""The crawl job state machine (catalog/jobs.py), transition by transition,
against the real catalog and without Celery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from catalog import jobs, locks
from catalog.jobs import ACTIVE_STATES, ENDED_STATES, TRANSITIONS, CrawlState
from catalog.models import ACTIVE_STATES_SQL, CrawlJob, Source, User
from catalog.teams import create_personal_team

from .crawl_helpers import catalog_rows


@pytest.fixture
def session(catalog_url):
    engine = create_engine(catalog_url, poolclass=NullPool)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


@pytest.fixture
def source_id(session):
    user = User(email="jobs@example.com", password_hash="-")
    session.add(user)
    session.flush()
    source = Source(
        team_id=create_personal_team(session, user).id,
        user_id=user.id, name="s", engine="postgresql",
        settings={"host": "h", "port": 1, "database": "d", "username": "u", "options": {}}, secrets={"password": "x"},
    )  # fmt: skip
    session.add(source)
    session.commit()
    return source.id


def state(session, job_id: int) -> CrawlState:
    return CrawlState(session.execute(text("SELECT state FROM crawl_jobs WHERE id = :j"), {"j": job_id}).scalar())


def test_the_transition_table():
    assert set(ACTIVE_STATES) | set(ENDED_STATES) == set(CrawlState)
    # every state but the first is reached by some transition, and no transition leaves an end
    reached = {to for _, to in TRANSITIONS.values() if to is not None}
    assert reached == set(CrawlState)
    assert all(not set(frm) & set(ENDED_STATES) for frm, _ in TRANSITIONS.values())
    # the database's one-active-crawl index is built on the same active states
    assert "state IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE_STATES)) == ACTIVE_STATES_SQL


def test_queue_once_per_source(session, source_id):
    job, created = jobs.create_job(session, source_id, "api")
    again, created_again = jobs.create_job(session, source_id, "schedule")
    assert created and not created_again and again.id == job.id
    assert state(session, job.id) == CrawlState.QUEUED


def test_start_run_succeed(session, source_id):
    job, _ = jobs.create_job(session, source_id, "api")
    assert jobs.start_job(session, job.id) == jobs.Started(planned=False)
    assert jobs.restart_plan(session, job.id)
    assert jobs.add_batch(session, job.id, 1, [["s", "t", "table"]])
    assert jobs.record_plan(session, job.id, 1, 1, [])
    assert not jobs.record_plan(session, job.id, 1, 1, [])  # planned once
    assert jobs.start_job(session, job.id) == jobs.Started(planned=True)  # a redelivered plan
    assert jobs.pending_batches(session, job.id) == [1]
    assert jobs.claim_batch(session, job.id, 1)
    jobs.record_batch(session, job.id, 1)
    assert jobs.pending_batches(session, job.id) == [] and not jobs.claim_batch(session, job.id, 1)
    finishing = jobs.claim_finish(session, job.id)
    assert finishing is not None and jobs.job_progress(finishing)["batches_done"] == 1
    now = session.execute(text("SELECT now()")).scalar()
    jobs.succeed_job(session, job.id, source_id, {"added": 1}, now, True)
    session.commit()
    assert state(session, job.id) == CrawlState.SUCCEEDED
    # an ended job goes nowhere
    assert jobs.start_job(session, job.id) is None
    assert not jobs.fail_job(session, job.id, "x", "y")
    assert not jobs.cancel_job(session, job.id)
    assert state(session, job.id) == CrawlState.SUCCEEDED


def test_the_plans_listings_are_read_only_by_the_finish(session, source_id):
    """A batch task or a status read loads the job without the plan's enums and
    objects (routine bodies can run to megabytes); the finish reads them."""
    from sqlalchemy import event

    job, _ = jobs.create_job(session, source_id, "api")
    jobs.start_job(session, job.id)
    body = "SELECT 1; " * 10_000
    jobs.record_plan(session, job.id, 0, 0, [{"schema": "s", "name": "e", "values": ["a"]}], [{"body": body}])
    session.commit()
    session.expunge_all()
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(session.get_bind(), "before_cursor_execute", listener)
    try:
        job_row, _ = jobs.running_job(session, job.id)
        assert job_row.state == CrawlState.RUNNING
        assert statements and not any("objects" in s or "enums" in s for s in statements), statements
        assert job_row.objects == [{"body": body}] and job_row.enums[0]["name"] == "e"  # loaded when asked
        assert any("objects" in s for s in statements)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listener)


def test_fail_records_the_reason_and_frees_the_source(session, source_id):
    job, _ = jobs.create_job(session, source_id, "api")
    assert jobs.fail_job(session, job.id, "connection_failed", "could not connect")
    session.commit()
    row = session.get_one(CrawlJob, job.id)
    session.refresh(row)
    assert (row.state, row.error_type, row.error_message) == ("failed", "connection_failed", "could not connect")
    assert row.finished_at is not None
    assert session.get_one(Source, source_id).last_crawl_id == job.id
    assert jobs.create_job(session, source_id, "api")[1]  # a new crawl may start


def test_cancel_stops_batches_and_drops_staging(session, source_id, catalog_url):
    job, _ = jobs.create_job(session, source_id, "api")
    jobs.start_job(session, job.id)
    jobs.add_batch(session, job.id, 1, [["s", "t", "table"]])
    session.execute(text("INSERT INTO crawl_seen (job_id, batch_no, table_id) VALUES (:j, 1, 1)"), {"j": job.id})
    session.commit()
    assert jobs.cancel_job(session, job.id)
    session.commit()
    assert state(session, job.id) == CrawlState.CANCELLED
    assert jobs.running_job(session, job.id) is None
    assert not jobs.claim_batch(session, job.id, 1)  # a batch in flight stages nothing
    assert jobs.claim_finish(session, job.id) is None
    assert catalog_rows(catalog_url, "SELECT count(*) FROM crawl_seen")[0][0] == 0
    assert not jobs.cancel_job(session, job.id)
    assert jobs.create_job(session, source_id, "api")[1]


def test_requeue_lost_then_fail_as_lost(session, source_id):
    job, _ = jobs.create_job(session, source_id, "api")
    session.commit()
    lost_after = timedelta(minutes=10)
    assert jobs.requeue_lost(session, lost_after, 2) == ([], [])  # fresh: not lost
    session.execute(text("UPDATE crawl_jobs SET queued_at = now() - interval '11 minutes'"))
    assert jobs.requeue_lost(session, lost_after, 2) == ([job.id], [])
    assert jobs.requeue_lost(session, lost_after, 2) == ([], [])  # its heartbeat was reset
    # running, then silent again: sent a second time
    jobs.start_job(session, job.id)
    session.execute(text("UPDATE crawl_jobs SET heartbeat_at = now() - interval '11 minutes'"))
    assert jobs.requeue_lost(session, lost_after, 2) == ([job.id], [])
    session.execute(text("UPDATE crawl_jobs SET heartbeat_at = now() - interval '11 minutes'"))
    assert jobs.requeue_lost(session, lost_after, 2) == ([], [job.id])
    session.commit()
    row = session.get_one(CrawlJob, job.id)
    session.refresh(row)
    assert (row.state, row.error_type, row.requeues) == ("failed", "lost", 2)
    assert "sent again 2 times" in (row.error_message or "") and "workers" in (row.error_message or "")


def test_queued_and_running_lost_after_apart(session, source_id):
    """A queued crawl may wait behind others for long; a running one beats."""
    job, _ = jobs.create_job(session, source_id, "api")
    session.execute(text("UPDATE crawl_jobs SET queued_at = now() - interval '2 minutes'"))
    short, long = timedelta(minutes=1), timedelta(minutes=10)
    assert jobs.requeue_lost(session, short, 3, long) == ([], [])  # queued 2 min: still waiting its turn
    jobs.start_job(session, job.id)
    session.execute(text("UPDATE crawl_jobs SET heartbeat_at = now() - interval '2 minutes'"))
    assert jobs.requeue_lost(session, short, 3, long) == ([job.id], [])  # running, silent 2 min: lost
    session.execute(text("UPDATE crawl_jobs SET heartbeat_at = now() - interval '2 minutes'"))
    jobs.heartbeat(session.connection(), job.id)
    assert jobs.requeue_lost(session, short, 3, long) == ([], [])
    session.rollback()


def test_overdue_and_stuck(session, source_id):
    job, _ = jobs.create_job(session, source_id, "api")
    jobs.start_job(session, job.id)
    jobs.record_plan(session, job.id, 0, 0, [])
    assert jobs.overdue_jobs(session, timedelta(hours=1)) == []
    session.execute(text("UPDATE crawl_jobs SET started_at = now() - interval '2 hours'"))
    assert jobs.overdue_jobs(session, timedelta(hours=1)) == [(job.id, "running")]
    assert jobs.stuck_in_finish(session) == []
    session.execute(text("UPDATE crawl_jobs SET heartbeat_at = now() - interval '3 minutes'"))
    assert jobs.stuck_in_finish(session) == [job.id]
    session.rollback()


def test_plan_writes_stop_once_the_job_has_ended(session, source_id):
    """The plan writes chunk by chunk without locking the job: a cancel in
    between leaves nothing more stored and no totals."""
    job, _ = jobs.create_job(session, source_id, "api")
    jobs.start_job(session, job.id)
    assert jobs.restart_plan(session, job.id)
    assert jobs.add_batch(session, job.id, 1, [["s", "t", "table"]])
    assert jobs.cancel_job(session, job.id)
    assert not jobs.add_batch(session, job.id, 2, [["s", "u", "table"]])
    assert not jobs.record_plan(session, job.id, 2, 2, [])
    assert not jobs.restart_plan(session, job.id)
    assert jobs.pending_batches(session, job.id) == [1]


def test_an_interrupted_plan_starts_afresh(session, source_id):
    job, _ = jobs.create_job(session, source_id, "api")
    jobs.start_job(session, job.id)
    jobs.restart_plan(session, job.id)
    jobs.add_batch(session, job.id, 1, [["s", "t", "table"]])
    assert jobs.restart_plan(session, job.id)  # the reaper sent it again: the partial listing goes
    assert jobs.pending_batches(session, job.id) == []


def test_one_planner_per_job_and_its_lock_goes_with_it(app):
    with locks.planning(7) as first, locks.planning(7) as second, locks.planning(8) as other:
        assert first and not second and other
    with locks.planning(7) as again:
        assert again


def test_an_owners_slots_are_counted_across_tasks(app, session, source_id):
    job, _ = jobs.create_job(session, source_id, "api")
    session.commit()
    with locks.owner_slot(job.id, 2) as a, locks.owner_slot(job.id, 2) as b, locks.owner_slot(job.id, 2) as c:
        assert a and b and not c
    with locks.owner_slot(job.id, 1) as freed:
        assert freed


def test_progress_clears_a_noted_stall(session, source_id):
    """A stall a task noted is the reason the reaper gives only while nothing
    has moved since: a batch done after it clears it, so a worker lost later
    fails the crawl as `lost` (found by review)."""
    from datetime import timedelta

    job, _ = jobs.create_job(session, source_id, "api")
    jobs.start_job(session, job.id)
    jobs.note_stall(session, job.id, "target_stalled", "the server stopped answering")
    assert jobs.restart_plan(session, job.id)
    jobs.add_batch(session, job.id, 1, [["s", "t", "table"]])
    jobs.record_plan(session, job.id, 1, 1, [])
    session.execute(text("UPDATE crawl_jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = :j"), {"j": job.id})
    again, failed = jobs.requeue_lost(session, timedelta(seconds=60), max_requeues=0)
    session.commit()
    assert (again, failed) == ([], [job.id])
    row = session.execute(text("SELECT error_type FROM crawl_jobs WHERE id = :j"), {"j": job.id}).one()
    assert row.error_type == "lost"
