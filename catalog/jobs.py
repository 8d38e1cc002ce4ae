"""A crawl job's life in one place: its states, the transitions allowed
between them, and one function per transition. The crawl tasks, the reaper,
the dispatcher and the API call these; nothing else writes a job's or a
batch's state.

    (none) --queue--> queued --start--> running --succeed--> succeeded
                        |                  |
                        |                  +---fail-----> failed
                        +------fail------------------->   (either active state)
                        +------cancel----------------> cancelled
    requeue (the reaper re-sends a lost crawl) and record_batch (progress and
    heartbeat) leave the state as it is.

A job is *active* while queued or running (at most one per source: the
partial unique index uq_crawl_jobs_one_active); every other state is an end.
Each transition is one guarded UPDATE (`WHERE state IN <its from-states>`),
so two processes racing to end a job cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, bindparam, delete, func, insert, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from .models import CrawlBatch, CrawlJob, Source
from .staging import drop_staging, jobs_with_staging
from .webhooks import outbox


class CrawlState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BatchState(StrEnum):
    QUEUED = "queued"
    DONE = "done"


ACTIVE_STATES = (CrawlState.QUEUED, CrawlState.RUNNING)
ENDED_STATES = tuple(s for s in CrawlState if s not in ACTIVE_STATES)

# transition: (the states it may start from, the state it leaves the job in;
# None: unchanged). "queue" starts from no job at all.
TRANSITIONS: dict[str, tuple[tuple[CrawlState, ...], CrawlState | None]] = {
    "queue": ((), CrawlState.QUEUED),
    "start": (ACTIVE_STATES, CrawlState.RUNNING),  # running → running: a redelivered plan
    "record_batch": ((CrawlState.RUNNING,), None),
    "succeed": ((CrawlState.RUNNING,), CrawlState.SUCCEEDED),
    "fail": (ACTIVE_STATES, CrawlState.FAILED),
    "cancel": (ACTIVE_STATES, CrawlState.CANCELLED),
    "requeue": (ACTIVE_STATES, None),
}


def _from(transition: str):
    """The WHERE clause that guards a transition."""
    return CrawlJob.state.in_(TRANSITIONS[transition][0])


def _to(transition: str) -> CrawlState:
    to = TRANSITIONS[transition][1]
    assert to is not None, transition
    return to


# Progress is a heartbeat, and clears a stall a task noted (note_stall): a
# lost worker after it reads as `lost`, not as that stall.
_PROGRESS = {"heartbeat_at": func.now(), "error_type": None, "error_message": None}
_SYNC = {"synchronize_session": False}  # readers refresh the row (no stale ORM state is trusted)
# A crawl's bookkeeping on its source is not an edit of the source (updated_at stays).
_NOT_AN_EDIT = {"updated_at": Source.updated_at}


# --- queue -----------------------------------------------------------------


def create_job(
    session: Session, source_id: int, trigger: str, allow_mass_removal: bool = False
) -> tuple[CrawlJob, bool]:
    """queue: a crawl of `source_id` unless one is already active.

    Returns (job, created). The partial unique index uq_crawl_jobs_one_active
    makes this safe under concurrency: of two simultaneous calls one inserts,
    the other gets the existing job.
    """
    new_id = session.execute(
        pg_insert(CrawlJob)
        .values(source_id=source_id, state=_to("queue"), trigger=trigger, allow_mass_removal=allow_mass_removal)
        .on_conflict_do_nothing(index_elements=["source_id"], index_where=CrawlJob.state.in_(ACTIVE_STATES))
        .returning(CrawlJob.id)
    ).scalar()
    if new_id is not None:
        return session.get_one(CrawlJob, new_id), True
    active = active_job(session, source_id)
    if active is None:  # the other crawl ended between our two statements: try once more
        return create_job(session, source_id, trigger, allow_mass_removal)
    return active, False


def active_job(session: Session, source_id: int) -> CrawlJob | None:
    return session.scalar(select(CrawlJob).where(CrawlJob.source_id == source_id, CrawlJob.state.in_(ACTIVE_STATES)))


# --- start and plan --------------------------------------------------------


@dataclass(frozen=True)
class Started:
    planned: bool  # the batches exist already: this start is a redelivery


def start_job(session: Session, job_id: int) -> Started | None:
    """start: the job is running (again). None when it has ended or is gone."""
    row = session.execute(
        update(CrawlJob)
        .where(CrawlJob.id == job_id, _from("start"))
        .values(state=_to("start"), started_at=func.coalesce(CrawlJob.started_at, func.now()), heartbeat_at=func.now())
        .returning(CrawlJob.batches_total),
        execution_options=_SYNC,
    ).first()
    return None if row is None else Started(planned=row.batches_total is not None)


def _planning(job_id: int):
    """The guard of every plan write: the job is running and not planned yet."""
    return and_(CrawlJob.id == job_id, CrawlJob.state == CrawlState.RUNNING, CrawlJob.batches_total.is_(None))


def restart_plan(session: Session, job_id: int) -> bool:
    """Start planning afresh: drop batches an interrupted plan stored.
    False when the job is no longer running and unplanned."""
    if session.execute(select(CrawlJob.id).where(_planning(job_id))).scalar() is None:
        return False
    session.execute(delete(CrawlBatch).where(CrawlBatch.job_id == job_id))
    return True


def add_batch(session: Session, job_id: int, batch_no: int, tables: list[list[str]]) -> bool:
    """Store one planned batch: [schema, name, kind] per table. False (and
    nothing stored) when the job was cancelled, failed or deleted meanwhile."""
    stored = session.execute(
        insert(CrawlBatch)
        .from_select(
            ["job_id", "batch_no", "tables", "table_count"],
            select(
                CrawlJob.id,
                literal(batch_no),
                literal(tables, type_=CrawlBatch.__table__.c.tables.type),
                literal(len(tables)),
            ).where(_planning(job_id)),
        )
        .returning(CrawlBatch.batch_no)
    ).scalar()
    return stored is not None


def record_plan(
    session: Session, job_id: int, tables: int, batches: int, enums: list[dict], objects: list[dict] | None = None
) -> bool:
    """The plan's totals, what it listed besides tables (enums; sequences,
    triggers and routines), and a heartbeat. False when the job was ended
    (or planned by another) meanwhile."""
    return (
        session.execute(
            update(CrawlJob)
            .where(_planning(job_id))
            .values(tables_total=tables, batches_total=batches, enums=enums, objects=objects, **_PROGRESS)
            .returning(CrawlJob.id),
            execution_options=_SYNC,
        ).scalar()
        is not None
    )


def note_stall(session: Session, job_id: int, error_type: str, message: str) -> None:
    """A crawl task gave up on a target that stopped answering and left the
    job to the reaper: the reason is kept (shown only if the job fails)."""
    session.execute(
        update(CrawlJob)
        .where(CrawlJob.id == job_id, CrawlJob.state == CrawlState.RUNNING)
        .values(error_type=error_type, error_message=message),
        execution_options=_SYNC,
    )


def pending_batches(session: Session, job_id: int) -> list[int]:
    return list(
        session.execute(
            select(CrawlBatch.batch_no)
            .where(CrawlBatch.job_id == job_id, CrawlBatch.state != BatchState.DONE)
            .order_by(CrawlBatch.batch_no)
        ).scalars()
    )


# --- batches: progress and heartbeat ----------------------------------------


def running_job(session: Session, job_id: int) -> tuple[CrawlJob, Source] | None:
    job = session.get(CrawlJob, job_id)
    if job is None:
        return None
    session.refresh(job)
    if job.state != CrawlState.RUNNING:
        return None
    source = session.get(Source, job.source_id)
    return None if source is None else (job, source)


def batch_to_do(session: Session, job_id: int, batch_no: int) -> list[list[str]] | None:
    """The tables of a batch not done yet, or None (done, or no such batch)."""
    row = session.execute(
        select(CrawlBatch.tables, CrawlBatch.state).where(CrawlBatch.job_id == job_id, CrawlBatch.batch_no == batch_no)
    ).first()
    return None if row is None or row.state == BatchState.DONE else row.tables


def claim_batch(session: Session, job_id: int, batch_no: int) -> bool:
    """Lock the job, then the batch row, for this transaction. False when the
    job is no longer running (failed, cancelled, or its source deleted, while
    the batch described) or the batch is already done (a redelivered batch
    running beside the first waits here, then stages nothing). The job comes
    first, as in a source's deletion, and only FOR KEY SHARE, so batches of
    one job still stage side by side."""
    running = session.execute(
        select(CrawlJob.id)
        .where(CrawlJob.id == job_id, _from("record_batch"))
        .with_for_update(key_share=True, read=True)
    ).scalar()
    if running is None:
        return False
    state = session.execute(
        select(CrawlBatch.state).where(CrawlBatch.job_id == job_id, CrawlBatch.batch_no == batch_no).with_for_update()
    ).scalar()
    return state is not None and state != BatchState.DONE


def record_batch(session: Session, job_id: int, batch_no: int) -> None:
    """record_batch: a claimed batch is done; the job's progress and heartbeat move."""
    done = session.execute(
        update(CrawlBatch)
        .where(CrawlBatch.job_id == job_id, CrawlBatch.batch_no == batch_no)
        .values(state=BatchState.DONE, finished_at=func.now())
        .returning(CrawlBatch.table_count),
        execution_options=_SYNC,
    ).scalar_one()
    session.execute(
        update(CrawlJob)
        .where(CrawlJob.id == job_id)
        .values(batches_done=CrawlJob.batches_done + 1, tables_done=CrawlJob.tables_done + done, **_PROGRESS),
        execution_options=_SYNC,
    )


# A job's sign of life without progress: it skips a job row locked by its
# own task's transaction, or anyone's, rather than wait, so it can neither
# deadlock nor pile up.
BEAT = text(
    "UPDATE crawl_jobs SET heartbeat_at = now() WHERE id = ("
    "SELECT id FROM crawl_jobs WHERE id = :job AND state IN :states FOR NO KEY UPDATE SKIP LOCKED)"
).bindparams(bindparam("states", expanding=True))


def heartbeat(connection, job_id: int) -> None:
    """record_batch's heartbeat alone: the job (running) is alive, though no
    batch finished (worker/tasks.py beats from a thread while a task works)."""
    connection.execute(BEAT, {"job": job_id, "states": [CrawlState.RUNNING.value]})


def waiting(connection, job_id: int) -> None:
    """An active job (queued or running) waits on purpose for a slot of its
    owner: alive, so the reaper does not take it for lost."""
    connection.execute(BEAT, {"job": job_id, "states": [s.value for s in ACTIVE_STATES]})


def job_progress(job: CrawlJob) -> dict:
    """How far a crawl has got, as its status URL and its Celery tasks both report it."""
    return {
        "tables_total": job.tables_total,
        "tables_done": job.tables_done,
        "batches_total": job.batches_total,
        "batches_done": job.batches_done,
    }


# --- the ends: succeed, fail, cancel ----------------------------------------


def claim_finish(session: Session, job_id: int) -> CrawlJob | None:
    """Lock a running job whose batches are all done, for its finish; None otherwise."""
    job = session.execute(
        select(CrawlJob).where(CrawlJob.id == job_id).with_for_update().execution_options(populate_existing=True)
    ).scalar()
    if job is None or job.state not in TRANSITIONS["succeed"][0] or job.batches_done != job.batches_total:
        return None
    return job


def redo_if_catalog_restarted(session: Session, job_id: int) -> bool:
    """Staging is UNLOGGED (cheap to write), so a catalog server that crashed
    and recovered comes back with it empty. Called on a job claimed for its
    finish: if the catalog server started after one of the job's batches was
    done, what those batches staged may be gone, so the job forgets all it
    staged and every batch is to do again (its progress with it); the caller
    sends them. False when no batch predates the server's start."""
    restarted = session.execute(
        select(func.count())
        .select_from(CrawlBatch)
        .where(
            CrawlBatch.job_id == job_id,
            CrawlBatch.state == BatchState.DONE,
            CrawlBatch.finished_at < func.pg_postmaster_start_time(),
        )
    ).scalar_one()
    if not restarted:
        return False
    drop_staging(session, job_id)
    session.execute(
        update(CrawlBatch).where(CrawlBatch.job_id == job_id).values(state=BatchState.QUEUED, finished_at=None),
        execution_options=_SYNC,
    )
    session.execute(
        update(CrawlJob).where(CrawlJob.id == job_id).values(batches_done=0, tables_done=0, heartbeat_at=func.now()),
        execution_options=_SYNC,
    )
    return True


def succeed_job(session: Session, job_id: int, source_id: int, stats: dict, now: datetime, changed: bool) -> None:
    """succeed: the crawl (applied in this transaction at `now`) is the
    source's last good one; finished_at is when it became visible."""
    session.execute(
        update(Source)
        .where(Source.id == source_id)
        .values(
            last_crawled_at=now,
            last_success_at=now,
            last_crawl_id=job_id,
            catalog_changed_at=now if changed else func.coalesce(Source.catalog_changed_at, now),
            **_NOT_AN_EDIT,
        ),
        execution_options=_SYNC,
    )
    session.execute(
        update(CrawlJob)
        .where(CrawlJob.id == job_id, _from("succeed"))
        .values(
            state=_to("succeed"), stats=stats, finished_at=func.clock_timestamp(), error_type=None, error_message=None
        ),
        execution_options=_SYNC,
    )


def _end(session: Session, job_id: int, transition: str, **values) -> int | None:
    """End an active job, point its source at it and drop what it staged:
    its source's id. None when it had already ended (or is gone)."""
    source_id = session.execute(
        update(CrawlJob)
        .where(CrawlJob.id == job_id, _from(transition))
        .values(state=_to(transition), finished_at=func.now(), **values)
        .returning(CrawlJob.source_id),
        execution_options=_SYNC,
    ).scalar()
    if source_id is None:
        return None
    session.execute(
        update(Source)
        .where(Source.id == source_id)
        .values(last_crawled_at=func.now(), last_crawl_id=job_id, **_NOT_AN_EDIT),
        execution_options=_SYNC,
    )
    drop_staging(session, job_id)
    return source_id


def fail_job(session: Session, job_id: int, error_type: str, message: str) -> bool:
    """fail: with a typed reason and a message its owner can act on (and its webhooks, in this transaction)."""
    source_id = _end(session, job_id, "fail", error_type=error_type, error_message=message)
    if source_id is not None:
        outbox.for_failed_crawl(session, job_id, source_id, error_type, message)
    return source_id is not None


def cancel_job(session: Session, job_id: int) -> bool:
    """cancel: no further batch stages anything, and the catalog stays as the
    last good crawl left it. False when the job had already ended."""
    return _end(session, job_id, "cancel") is not None


# --- the reaper: lost, overdue and stuck crawls ------------------------------


def lost_message(requeues: int, lost_after: timedelta) -> str:
    return (
        f"no worker picked up or finished this crawl, though it was sent again {requeues} times "
        f"{int(lost_after.total_seconds())} s apart; check that the workers are running and reach the "
        "broker, then start a new crawl"
    )


def requeue_lost(
    session: Session, lost_after: timedelta, max_requeues: int, queued_after: timedelta | None = None
) -> tuple[list[int], list[int]]:
    """requeue: active jobs without a sign of life (running without a
    heartbeat for `lost_after`: their worker or broker message was lost; or
    queued and not picked up for `queued_after`, by default `lost_after`) get
    their requeue counted and their heartbeat reset; the caller sends them
    again. Those already sent again `max_requeues` times are failed as
    `lost`. Returns (to send again, failed)."""
    queued_after = lost_after if queued_after is None else queued_after
    silent_since = func.coalesce(CrawlJob.heartbeat_at, CrawlJob.queued_at)
    lost = session.execute(
        select(CrawlJob.id, CrawlJob.requeues, CrawlJob.error_type, CrawlJob.error_message)
        .where(
            _from("requeue"),
            or_(
                and_(CrawlJob.state == CrawlState.RUNNING, silent_since < func.now() - lost_after),
                and_(CrawlJob.state == CrawlState.QUEUED, silent_since < func.now() - queued_after),
            ),
        )
        .order_by(CrawlJob.id)
        .with_for_update(skip_locked=True)
    ).all()
    again = [job_id for job_id, n, _type, _message in lost if n < max_requeues]
    if again:
        session.execute(
            update(CrawlJob)
            .where(CrawlJob.id.in_(again))
            .values(requeues=CrawlJob.requeues + 1, heartbeat_at=func.now()),
            execution_options=_SYNC,
        )
    failed = [
        job_id
        for job_id, n, noted_type, noted in lost
        if n >= max_requeues and fail_job(session, job_id, *_lost_reason(n, lost_after, noted_type, noted))
    ]
    return again, failed


def _lost_reason(requeues: int, lost_after: timedelta, noted_type: str | None, noted: str | None) -> tuple[str, str]:
    """Why a job sent again `requeues` times is failed: the stall a task
    noted (its target stopped answering), or a lost worker."""
    if noted_type and noted:
        return noted_type, f"{noted}; the crawl was sent again {requeues} times and the target never answered"
    return "lost", lost_message(requeues, lost_after)


def overdue_jobs(session: Session, limit: timedelta) -> list[tuple[int, str]]:
    """Active jobs started (or queued) longer than `limit` ago: (id, state)."""
    return [
        (r.id, r.state)
        for r in session.execute(
            select(CrawlJob.id, CrawlJob.state).where(
                CrawlJob.state.in_(ACTIVE_STATES),
                func.coalesce(CrawlJob.started_at, CrawlJob.queued_at) < func.now() - limit,
            )
        )
    ]


def stuck_in_finish(session: Session, quiet: timedelta = timedelta(minutes=2)) -> list[int]:
    """Running jobs whose batches are all done but whose finish was lost."""
    return list(
        session.execute(
            select(CrawlJob.id).where(
                CrawlJob.state == CrawlState.RUNNING,
                CrawlJob.batches_done == CrawlJob.batches_total,
                CrawlJob.heartbeat_at < func.now() - quiet,
            )
        ).scalars()
    )


def sweep_staging(session: Session) -> list[int]:
    """Drop staging left by crawls that ended in the last day: a batch that
    committed just after its job ended, or a finish whose worker died between
    its commit and its clean-up. Returns the jobs swept."""
    ended = list(
        session.execute(
            select(CrawlJob.id).where(
                CrawlJob.state.in_(ENDED_STATES), CrawlJob.finished_at > func.now() - timedelta(days=1)
            )
        ).scalars()
    )
    if not ended:
        return []
    left = sorted(jobs_with_staging(session, ended))
    if left:
        drop_staging(session, *left)
    return left
