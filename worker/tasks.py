"""Crawl tasks. Each takes ids only (never credentials) and is safe to run
twice: plan → batch × N (any worker) → finish; plus the beat-driven
dispatcher and reaper.

The last batch to finish enqueues `finish`, decided by a counter on the job
row updated in the same transaction that marks the batch done, so exactly one
batch sees the count reach the total. (A Celery chord would need a result
backend and does not survive a worker killed mid-chord as simply.)
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from sqlalchemy import select, text

from catalog.crawl_write import (
    apply_crawl,
    claim_batch,
    known_tables,
    removal_refused,
    stage_batch,
    unchanged_by_signature,
)
from catalog.db import Session, engine, transaction
from catalog.jobs import create_job, drop_staging, fail_job, job_progress, sweep_staging
from catalog.models import CrawlJob, Source
from catalog.schedules import next_run
from catalog.vault import VaultError

from . import runtime
from .app import app
from .documents import table_document
from .introspect import TargetError
from .introspect.base import TableRef
from .targets import open_introspector

log = logging.getLogger("metacrawl.crawl")

# A crawl that added, changed or removed at least this many tables refreshes the
# catalog's planner statistics when it ends.
ANALYZE_AFTER_TABLES = 1000
SEARCHED_TABLES = ("catalog_tables", "catalog_columns", "catalog_column_names")


def _fail(job_id: int, error_type: str, message: str) -> None:
    with transaction() as session:
        if fail_job(session, job_id, error_type, message):
            log.warning("crawl failed: %s", message, extra={"job_id": job_id, "error_type": error_type})


def _report(task, job_id: int, step: str, **details) -> None:
    """What the task is doing now, as Celery's PROGRESS state (Flower, AsyncResult)."""
    if task.request.id:  # absent when a task function is called in-process
        task.update_state(state="PROGRESS", meta={"job_id": job_id, "step": step, **details})


def _outcome(job_id: int, **details) -> dict:
    """A crawl task's result: the job's state and progress exactly as its
    status URL shows them, so Flower and the API agree."""
    job = Session.get(CrawlJob, job_id)
    if job is None:
        return {"job_id": job_id, "state": "deleted", **details}
    Session.refresh(job)
    out = {"job_id": job_id, "state": job.state, "progress": job_progress(job), **details}
    if job.stats is not None:
        out["stats"] = job.stats
    if job.error_type is not None:
        out["error_type"] = job.error_type
    Session.commit()
    return out


def _running_job(session, job_id: int) -> tuple[CrawlJob, Source] | None:
    job = session.get(CrawlJob, job_id)
    if job is None or job.state != "running":
        return None
    return job, session.get(Source, job.source_id)


class CrawlTask(app.Task):
    """Target and vault errors end the job with a message for its owner; the
    catalog session is cleaned up after every task."""

    abstract = True

    def __call__(self, job_id, *args, **kwargs):
        runtime.settings()
        try:
            return super().__call__(job_id, *args, **kwargs)
        except TargetError as e:
            Session.rollback()
            _fail(job_id, e.type, e.message)
        except VaultError as e:
            Session.rollback()
            _fail(job_id, "credentials_unreadable", str(e))
        except Exception:
            Session.rollback()
            log.exception("crawl task crashed", extra={"job_id": job_id})
            _fail(
                job_id,
                "internal_error",
                f"an internal error stopped crawl {job_id}; the operators' logs have the details",
            )
        finally:
            Session.remove()
        # The job's message is for its owner (status URL); the task result names the type only.
        try:
            return _outcome(job_id)
        finally:
            Session.remove()


@app.task(name="crawl.plan", base=CrawlTask, bind=True, ignore_result=False)
def plan(self, job_id: int) -> dict:
    """List the target's tables (one streamed query) and fan out the batches."""
    with transaction() as session:
        started = session.execute(
            text(
                "UPDATE crawl_jobs SET state = 'running', started_at = coalesce(started_at, now()), "
                "heartbeat_at = now() WHERE id = :id AND state IN ('queued', 'running') RETURNING batches_total"
            ),
            {"id": job_id},
        ).first()
    if started is None:
        return _outcome(job_id)
    if started.batches_total is not None:  # planned already: this is a redelivery
        _fan_out(job_id)
        return _outcome(job_id)
    _report(self, job_id, "listing tables")
    settings = runtime.settings()
    job = Session.get(CrawlJob, job_id)
    source = Session.get(Source, job.source_id) if job is not None else None
    Session.commit()
    if source is None:  # deleted since the claim: the job went with it
        return _outcome(job_id)
    log.info("crawl planning", extra={"job_id": job_id, "source_id": source.id})
    tables = batches = 0
    with transaction() as session:
        # Claim the plan: a redelivered plan running beside this one waits on
        # the row, then finds it planned and leaves the fan-out to us.
        claimed = session.execute(
            text("SELECT id FROM crawl_jobs WHERE id = :id AND batches_total IS NULL FOR UPDATE"), {"id": job_id}
        ).scalar()
        if claimed is None:
            return _outcome(job_id)
        # The listing streams in batch-sized chunks, each stored as it comes,
        # so planning memory does not grow with the number of tables.
        with open_introspector(source, settings) as target:
            for refs in target.stream_tables(settings.batch_size):
                batches += 1
                tables += len(refs)
                session.execute(
                    text(
                        "INSERT INTO crawl_batches (job_id, batch_no, tables, table_count) "
                        "VALUES (:id, :no, CAST(:tables AS jsonb), :n)"
                    ),
                    {
                        "id": job_id,
                        "no": batches,
                        "n": len(refs),
                        "tables": json.dumps([[r.schema, r.name, r.kind] for r in refs]),
                    },
                )
            enums = [{"schema": e.schema, "name": e.name, "values": e.values} for e in target.list_enums()]
        session.execute(
            text(
                "UPDATE crawl_jobs SET tables_total = :t, batches_total = :b, enums = CAST(:e AS jsonb), "
                "heartbeat_at = now() WHERE id = :id"
            ),
            {"id": job_id, "t": tables, "b": batches, "e": json.dumps(enums)},
        )
    log.info("crawl planned: %d tables in %d batches", tables, batches, extra={"job_id": job_id})
    _fan_out(job_id)
    return _outcome(job_id)


def _fan_out(job_id: int) -> None:
    pending = (
        Session.execute(
            text("SELECT batch_no FROM crawl_batches WHERE job_id = :id AND state <> 'done' ORDER BY batch_no"),
            {"id": job_id},
        )
        .scalars()
        .all()
    )
    Session.commit()
    if not pending:
        finish.delay(job_id)
    for no in pending:
        batch.delay(job_id, no)


@app.task(name="crawl.batch", base=CrawlTask, bind=True, ignore_result=False)
def batch(self, job_id: int, batch_no: int) -> dict:
    """Describe one batch of tables and stage what it found."""
    found = _running_job(Session(), job_id)
    if found is None:
        Session.commit()
        return _outcome(job_id, batch_no=batch_no)
    job, source = found
    row = Session.execute(
        text("SELECT tables, state FROM crawl_batches WHERE job_id = :j AND batch_no = :b"),
        {"j": job_id, "b": batch_no},
    ).first()
    Session.commit()
    if row is None:
        return _outcome(job_id, batch_no=batch_no)
    if row.state != "done":
        refs = [TableRef(*t) for t in row.tables]
        known = known_tables(Session(), source.id, [(r.schema, r.name) for r in refs])
        Session.commit()
        _report(self, job_id, "describing tables", batch_no=batch_no, tables=len(refs))
        with open_introspector(source, runtime.settings()) as target:
            # Only tables the catalog has can be unchanged; for a batch of new
            # ones (a first crawl) describe computes the signatures itself.
            signatures = target.signatures(refs) if any(not k.removed for k in known.values()) else None
            same = unchanged_by_signature(known, signatures)
            tables = target.describe([r for r in refs if (r.schema, r.name) not in same])
        _report(self, job_id, "staging tables", batch_no=batch_no, tables=len(refs))
        described = [(table_document(t), t.signature) for t in tables]
        with transaction() as session:
            if claim_batch(session, job_id, batch_no):
                staged = stage_batch(session, job_id, batch_no, known, same, described)
                done = session.execute(
                    text(
                        "UPDATE crawl_batches SET state = 'done', finished_at = now() "
                        "WHERE job_id = :j AND batch_no = :b RETURNING table_count"
                    ),
                    {"j": job_id, "b": batch_no},
                ).scalar()
                session.execute(
                    text(
                        "UPDATE crawl_jobs SET batches_done = batches_done + 1, tables_done = tables_done + :n, "
                        "heartbeat_at = now() WHERE id = :j"
                    ),
                    {"j": job_id, "n": done},
                )
                log.info(
                    "crawl batch %d staged: %d unchanged (%d by signature), %d new or changed",
                    batch_no,
                    staged["seen"],
                    len(same),
                    staged["staged"],
                    extra={"job_id": job_id},
                )
    outcome = _outcome(job_id, batch_no=batch_no)
    progress = outcome.get("progress") or {}
    if outcome["state"] == "running" and progress["batches_done"] == progress["batches_total"]:
        finish.delay(job_id)
    return outcome


@app.task(name="crawl.finish", base=CrawlTask, bind=True, ignore_result=False)
def finish(self, job_id: int) -> dict:
    """Apply the staged crawl to the catalog in one transaction."""
    _report(self, job_id, "applying to the catalog")
    with transaction() as session:
        job = session.execute(select(CrawlJob).where(CrawlJob.id == job_id).with_for_update()).scalar()
        if job is None or job.state != "running" or job.batches_done != job.batches_total:
            return _outcome(job_id)
        refused = (
            None
            if job.allow_mass_removal
            else removal_refused(session, job_id, job.source_id, runtime.settings().max_removed_percent)
        )
        if refused is None:
            result = apply_crawl(session, job_id, job.source_id, job.enums)
            session.execute(
                text(
                    "UPDATE sources SET last_crawled_at = :now, last_success_at = :now, last_crawl_id = :job, "
                    "catalog_changed_at = CASE WHEN :changed OR catalog_changed_at IS NULL THEN :now "
                    "ELSE catalog_changed_at END WHERE id = :sid"
                ),
                {"now": result["now"], "job": job_id, "sid": job.source_id, "changed": result["changed"]},
            )
            # finished_at is when the crawl became visible, not when its finish began
            job.state, job.stats = "succeeded", result["stats"]
            job.finished_at = session.execute(text("SELECT clock_timestamp()")).scalar()
    if refused is not None:
        _fail(job_id, "removal_limit_exceeded", refused)
        return _outcome(job_id)
    log.info("crawl succeeded: %s", json.dumps(result["stats"]), extra={"job_id": job_id})
    log.info("crawl applied in steps: %s", json.dumps(result["seconds"]), extra={"job_id": job_id})
    with transaction() as session:
        drop_staging(session, job_id)  # if this is lost, the reaper's sweep drops it
    tidy_catalog(job_id, result)
    return _outcome(job_id)


def tidy_catalog(job_id: int, result: dict) -> None:
    """After a crawl that changed the catalog, merge the trigram indexes'
    pending lists (GIN defers inserts to a list every search must scan: at
    100,000 new tables it doubled search latency), and ANALYZE after a large
    change so reads get good plans at once rather than whenever autovacuum
    comes round. Runs after the crawl committed; its time is not the crawl's."""
    stats = result["stats"]
    moved = stats["added"] + stats["changed"] + stats["removed"]
    if not moved:
        return
    started = time.perf_counter()
    with engine().connect() as conn:
        conn.execute(
            text(
                "SELECT gin_clean_pending_list(i.indexrelid::regclass) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
                "WHERE am.amname = 'gin' AND i.indrelid = ANY(CAST(:tables AS regclass[]))"
            ),
            {"tables": list(SEARCHED_TABLES)},
        )
        if moved >= ANALYZE_AFTER_TABLES:
            conn.execute(text(f"ANALYZE {', '.join(SEARCHED_TABLES)}"))
        conn.commit()
    log.info(
        "catalog tidied in %.2f s after %d tables moved", time.perf_counter() - started, moved, extra={"job_id": job_id}
    )


@app.task(name="crawl.reap")
def reap() -> None:
    """End crawls that can no longer end by themselves: past the time limit
    (their worker vanished), or finished batches whose finish was lost; and
    drop staging that ended crawls left behind."""
    settings = runtime.settings()
    limit = timedelta(seconds=settings.crawl_time_limit)
    try:
        overdue = Session.execute(
            text(
                "SELECT id, state FROM crawl_jobs WHERE state IN ('queued', 'running') "
                "AND coalesce(started_at, queued_at) < now() - :limit"
            ),
            {"limit": limit},
        ).all()
        stuck = (
            Session.execute(
                text(
                    "SELECT id FROM crawl_jobs WHERE state = 'running' AND batches_done = batches_total "
                    "AND heartbeat_at < now() - interval '2 minutes'"
                )
            )
            .scalars()
            .all()
        )
        Session.commit()
    finally:
        Session.remove()
    for job_id, state in overdue:
        what = "was not picked up by a worker" if state == "queued" else "did not finish"
        _fail(
            job_id,
            "time_limit_exceeded",
            f"the crawl {what} within {settings.crawl_time_limit} s (a worker may have been lost); start a new crawl",
        )
    for job_id in stuck:
        finish.delay(job_id)
    try:
        with transaction() as session:
            swept = sweep_staging(session)
    finally:
        Session.remove()
    if swept:
        log.info("dropped staging left by ended crawls %s", swept)


@app.task(name="crawl.dispatch_due")
def dispatch_due() -> int:
    """Queue a crawl of every source whose cron time has come.

    Due sources are claimed with FOR UPDATE SKIP LOCKED and their next time is
    advanced in the same transaction, so two beat processes started by mistake
    still queue one crawl per due source; a source with a crawl already queued
    or running is skipped (create_job). Each gets a stable jitter so a
    thousand sources due at 02:00 do not all start the same second.
    """
    settings = runtime.settings()
    queued = []
    try:
        with transaction() as session:
            due = session.execute(
                text(
                    "SELECT id, schedule FROM sources WHERE next_crawl_at <= now() ORDER BY next_crawl_at "
                    "LIMIT 1000 FOR UPDATE SKIP LOCKED"
                )
            ).all()
            for source_id, schedule in due:
                session.execute(
                    text("UPDATE sources SET next_crawl_at = :next WHERE id = :id"),
                    {"id": source_id, "next": next_run(schedule)},
                )
                job, created = create_job(session, source_id, "schedule")
                if created:
                    queued.append((job.id, source_id))
    finally:
        Session.remove()
    for job_id, source_id in queued:
        jitter = (source_id * 7919) % (settings.schedule_jitter_seconds + 1)
        plan.apply_async(args=[job_id], countdown=jitter)
    if queued:
        log.info("dispatched %d scheduled crawls", len(queued))
    return len(queued)
