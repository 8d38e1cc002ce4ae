"""Crawl tasks: Celery's side of the crawl's steps (crawl/steps.py). Each
takes ids only (never credentials) and is safe to run twice: plan → batch ×
N (any worker) → finish; plus the beat-driven dispatcher and reaper. Every
change of a job's state goes through catalog.jobs (the state machine); these
tasks hold no SQL of their own.

The last batch to finish enqueues `finish`, decided by a counter on the job
row updated in the same transaction that marks the batch done, so exactly one
batch sees the count reach the total. (A Celery chord would need a result
backend and does not survive a worker killed mid-chord as simply.)

Failures: a target or vault error ends the crawl with its typed reason; a
transient catalog error (deadlock, serialization failure, lost connection)
retries the task with backoff, and only when the retries are spent does the
crawl fail. The task that ends a crawl as failed ends in Celery's FAILURE
state with the error type only (CrawlFailed); the message, which may quote
the target, stays on the job row for its owner.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from celery.utils.time import get_exponential_backoff_interval
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import select

from catalog import insights, jobs, locks
from catalog.db import Session, engine, is_transient, transaction
from catalog.jobs import CrawlState
from catalog.models import CrawlJob
from catalog.schedules import claim_due
from catalog.vault import VaultError
from catalog.webhooks import outbox
from crawl import steps
from engines.base import TargetError, TargetStalled

from . import runtime, webhooks
from .app import app

log = logging.getLogger("metacrawl.crawl")

RETRY_BACKOFF_MAX = 60  # seconds between two tries of a task, at most
OWNER_WAIT_SECONDS = 2  # a task whose owner has no free slot is tried again this much later


class CrawlFailed(Exception):
    """Raised by the crawl task that ended its crawl as failed; its only
    argument is the error type, so Celery's FAILURE state (Flower, the result
    backend) never carries the message."""


class CatalogUnavailable(Exception):
    """The reason recorded with a RETRY: the catalog error's kind, no text."""


def _fail(job_id: int, error_type: str, message: str) -> bool:
    with transaction() as session:
        failed = jobs.fail_job(session, job_id, error_type, message)
    if failed:
        log.warning("crawl failed: %s", message, extra={"job_id": job_id, "error_type": error_type})
    return failed


# The broker (Redis) is unreachable: sending a task or a state failed.
BROKER_ERRORS = (BrokerError, RedisConnectionError, RedisTimeoutError, ConnectionError)


def _report(task, job_id: int, step: str, **details) -> None:
    """What the task is doing now, as Celery's PROGRESS state (Flower,
    AsyncResult); a broker that is down does not stop the crawl for it."""
    if task.request.id:  # absent when a task function is called in-process
        try:
            task.update_state(state="PROGRESS", meta={"job_id": job_id, "step": step, **details})
        except BROKER_ERRORS:
            log.warning("could not report the task's progress: the broker is unreachable", extra={"job_id": job_id})


class _Heartbeat:
    """While a crawl task works, its job's heartbeat_at moves every
    METACRAWL_HEARTBEAT_SECONDS (on a connection of its own), so the reaper
    can tell a slow crawl from one whose worker vanished within
    METACRAWL_CRAWL_LOST_AFTER instead of waiting for a batch to finish."""

    def __init__(self, job_id: int, every: float):
        self.job_id, self.every = job_id, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(5)

    def _run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with engine().begin() as conn:
                    jobs.heartbeat(conn, self.job_id)
            except Exception as e:  # the catalog is down: the task itself meets it and retries
                log.warning("crawl heartbeat failed (%s)", type(e).__name__, extra={"job_id": self.job_id})


def _outcome(job_id: int, **details) -> dict:
    """A crawl task's result: the job's state and progress exactly as its
    status URL shows them, so Flower and the API agree."""
    job = Session.get(CrawlJob, job_id)
    if job is None:
        return {"job_id": job_id, "state": "deleted", **details}
    Session.refresh(job)
    out = {"job_id": job_id, "state": job.state, "progress": jobs.job_progress(job), **details}
    if job.stats is not None:
        out["stats"] = job.stats
    if job.error_type is not None:
        out["error_type"] = job.error_type
    Session.commit()
    return out


def _rollback() -> None:
    with contextlib.suppress(Exception):  # the connection may be gone; the pool replaces it
        Session.rollback()


class CrawlTask(app.Task):
    """Target and vault errors end the job with a message for its owner;
    transient catalog errors retry the task; the catalog session is cleaned
    up after every task."""

    abstract = True
    # an expected end: FAILURE state, logged without a traceback
    throws = (CrawlFailed,)
    # plan and batches wait on targets: they take one of the owner's slots
    talks_to_target = True

    def __call__(self, job_id, *args, **kwargs):
        settings = runtime.settings()
        if not self.talks_to_target or self.request.called_directly:
            return self._run(settings, job_id, *args, **kwargs)
        with locks.owner_slot(job_id, settings.owner_concurrency) as free:
            if free:
                return self._run(settings, job_id, *args, **kwargs)
        return self._defer(job_id, *args, **kwargs)

    def _defer(self, job_id, *args, **kwargs) -> dict:
        """Every slot of the owner is taken (METACRAWL_OWNER_CONCURRENCY):
        try again in a moment, leaving this worker slot to other owners'
        crawls. The job is alive meanwhile, so the reaper leaves it be."""
        try:
            with engine().begin() as conn:
                jobs.waiting(conn, job_id)
            self.apply_async(args=(job_id, *args), kwargs=kwargs, countdown=OWNER_WAIT_SECONDS)
        except BROKER_ERRORS:  # the job stays silent: the reaper sends it again
            log.warning("could not defer a crawl task: the broker is unreachable", extra={"job_id": job_id})
        finally:
            Session.remove()
        return {"job_id": job_id, "state": "deferred", "reason": "owner_concurrency"}

    def _run(self, settings, job_id, *args, **kwargs):
        try:
            with _Heartbeat(job_id, settings.heartbeat_seconds):
                return super().__call__(job_id, *args, **kwargs)
        except CrawlFailed:
            raise
        except BROKER_ERRORS as e:
            # Nothing can be sent now (no next task, no retry); the job stays
            # active without a heartbeat, and the reaper sends it again once
            # the broker is back (METACRAWL_CRAWL_LOST_AFTER).
            _rollback()
            log.warning(
                "crawl task could not reach the broker (%s); the reaper will send the crawl again",
                type(e).__name__,
                extra={"job_id": job_id},
            )
            Session.remove()
            return {"job_id": job_id, "state": "broker_unavailable"}
        except Exception as e:
            _rollback()
            retries = 0 if self.request.called_directly else settings.catalog_retries
            ending = _ending(e, job_id, self.request.retries, retries)
        finally:
            Session.remove()
        # Raised here, outside the handlers, so nothing Celery records (state,
        # traceback) chains the original error and its text.
        if ending.stalled is not None:
            return _leave_to_reaper(job_id, ending.stalled)
        if ending.retry_after is not None:
            raise self.retry(
                exc=CatalogUnavailable(ending.kind), countdown=ending.retry_after, max_retries=settings.catalog_retries
            )
        if ending.failure is not None and _fail_recorded(job_id, ending.failure):
            raise CrawlFailed(ending.failure[0])
        try:
            return _outcome(job_id)
        finally:
            Session.remove()


@dataclass(frozen=True)
class _Ending:
    """How a crawl task that raised ends: its crawl failed with (error type,
    message), left to the reaper for a stalled target (`stalled`), or the
    task retried after `retry_after` seconds for a catalog error of `kind`."""

    failure: tuple[str, str] | None = None
    stalled: tuple[str, str] | None = None
    retry_after: float | None = None
    kind: str = ""


def _ending(e: Exception, job_id: int, tries: int, retries: int) -> _Ending:
    """The ending an error calls for; `tries`: the task's retries so far,
    `retries`: how many it may have (0 when called in-process). Called in
    the error's handler, so a logged traceback is the error's."""
    if isinstance(e, TargetStalled):
        # Like a lost worker: the job stays active, this task ends (so
        # its slot is free) and the reaper sends the crawl again; after
        # METACRAWL_MAX_REQUEUES it fails with this reason.
        return _Ending(stalled=(e.type, e.message))
    if isinstance(e, TargetError):
        return _Ending(failure=(e.type, e.message))
    if isinstance(e, VaultError):
        return _Ending(failure=("credentials_unreadable", str(e)))
    if is_transient(e) and tries < retries:
        retry_after = get_exponential_backoff_interval(1, tries, RETRY_BACKOFF_MAX, full_jitter=False)
        log.warning(
            "crawl task met a transient catalog error (%s); retry %d of %d in %d s",
            type(e).__name__,
            tries + 1,
            retries,
            retry_after,
            extra={"job_id": job_id},
        )
        return _Ending(retry_after=retry_after, kind=type(getattr(e, "orig", None) or e).__name__)
    if is_transient(e):
        log.exception("crawl task gave up on the catalog", extra={"job_id": job_id})
        return _Ending(
            failure=(
                "catalog_unavailable",
                f"the metacrawl catalog database failed {tries + 1} times in a row while running crawl "
                f"{job_id} (deadlocks or lost connections); start the crawl again, and if it fails the same "
                "way the operators' logs have the details",
            )
        )
    log.exception("crawl task crashed", extra={"job_id": job_id})
    return _Ending(
        failure=("internal_error", f"an internal error stopped crawl {job_id}; the operators' logs have the details")
    )


def _leave_to_reaper(job_id: int, stalled: tuple[str, str]) -> dict:
    """Note why the target stalled on the job, which stays active for the reaper."""
    try:
        with transaction() as session:
            jobs.note_stall(session, job_id, *stalled)
    finally:
        Session.remove()
    log.warning("crawl task left its crawl to the reaper: %s", stalled[1], extra={"job_id": job_id})
    return {"job_id": job_id, "state": "stalled"}


def _fail_recorded(job_id: int, failure: tuple[str, str]) -> bool:
    """Fail the crawl; False when it had ended already, or when its failure
    could not be recorded (the job stays active; the reaper sends it again
    or fails it)."""
    try:
        return _fail(job_id, *failure)
    except Exception:
        log.exception("could not record the crawl's failure", extra={"job_id": job_id})
        return False
    finally:
        Session.remove()


def _reporter(task, job_id: int, **fixed):
    """A step's report(step, **details) as this task's PROGRESS state."""
    return lambda step, **details: _report(task, job_id, step, **fixed, **details)


@app.task(name="crawl.plan", base=CrawlTask, bind=True, ignore_result=False)
def plan(self, job_id: int) -> dict:
    """List the target's tables (one streamed query) and fan out the batches."""
    if steps.plan(job_id, runtime.settings(), _reporter(self, job_id)):
        _fan_out(job_id)
    return _outcome(job_id)


def _fan_out(job_id: int) -> None:
    pending = jobs.pending_batches(Session(), job_id)
    Session.commit()
    if not pending:
        finish.delay(job_id)
    for no in pending:
        batch.delay(job_id, no)


@app.task(name="crawl.batch", base=CrawlTask, bind=True, ignore_result=False)
def batch(self, job_id: int, batch_no: int) -> dict:
    """Describe one batch of tables and stage what it found; the batch that
    completes the crawl sends its finish."""
    steps.batch(job_id, batch_no, runtime.settings(), _reporter(self, job_id, batch_no=batch_no))
    outcome = _outcome(job_id, batch_no=batch_no)
    progress = outcome.get("progress") or {}
    if outcome["state"] == CrawlState.RUNNING and progress["batches_done"] == progress["batches_total"]:
        finish.delay(job_id)
    return outcome


@app.task(name="crawl.finish", base=CrawlTask, bind=True, ignore_result=False, talks_to_target=False)
def finish(self, job_id: int) -> dict:
    """Apply the staged crawl to the catalog in one transaction."""
    done = steps.finish(job_id, runtime.settings(), _reporter(self, job_id))
    if done.redo:
        log.warning(
            "the catalog server restarted during this crawl (its staging may be lost): crawling its batches again",
            extra={"job_id": job_id},
        )
        _fan_out(job_id)
    elif done.refused is not None:
        if _fail(job_id, *done.refused):
            raise CrawlFailed(done.refused[0])
    elif done.applied:
        for delivery_id in done.deliveries:
            webhooks.send(delivery_id)
        _queue_insights(job_id, done.changed)
    return _outcome(job_id)


def _queue_insights(job_id: int, changed: bool) -> None:
    """Insights run in their own task, after the crawl has succeeded: the
    crawl's outcome never waits for them. Lost if the broker is down now; the
    next changing crawl's refresh covers what this one would have."""
    try:
        refresh_insights.delay(job_id, changed)
    except Exception:
        log.exception("insights refresh not queued", extra={"job_id": job_id})


@app.task(name="insights.refresh")
def refresh_insights(job_id: int, changed: bool) -> None:
    """Lint and inferred keys of the crawl's source (after a changing crawl),
    and its runtime insights (after every crawl), in their own transaction."""
    runtime.settings()  # this pool process may not have run a crawl task yet: bind the catalog
    started = time.perf_counter()
    try:
        with transaction() as session:
            source_id = session.execute(select(CrawlJob.source_id).where(CrawlJob.id == job_id)).scalar()
            if source_id is None:
                return
            # the runtime rules read usage, which moves at every crawl: always
            days = runtime.settings().unused_index_days
            if not insights.needs_refresh(session, source_id, changed):
                seconds = insights.refresh_runtime(session, source_id, days)
                new = []
            else:
                noted = outbox.findings_before(session, source_id)
                seconds = insights.refresh(session, source_id, job_id)
                seconds.update(insights.refresh_runtime(session, source_id, days))
                new = outbox.for_new_findings(session, source_id, job_id) if noted else []
    except Exception:
        log.exception("insights not refreshed", extra={"job_id": job_id})
        return
    finally:
        Session.remove()
    for delivery_id in new:
        webhooks.send(delivery_id)
    log.info(
        "insights refreshed in %.2f s: %s",
        time.perf_counter() - started,
        json.dumps(seconds),
        extra={"job_id": job_id},
    )


@app.task(name="crawl.reap")
def reap() -> None:
    """End or revive crawls that can no longer end by themselves: past the
    time limit, failed; lost (queued, or running without a heartbeat, for
    METACRAWL_CRAWL_LOST_AFTER), sent again a few times, then failed as
    `lost`; finished batches whose finish was lost, finished. And drop
    staging that ended crawls left behind."""
    settings = runtime.settings()
    limit = timedelta(seconds=settings.crawl_time_limit)
    try:
        overdue = jobs.overdue_jobs(Session(), limit)
        Session.commit()
        for job_id, state in overdue:
            what = "was not picked up by a worker" if state == CrawlState.QUEUED else "did not finish"
            _fail(
                job_id,
                "time_limit_exceeded",
                f"the crawl {what} within {settings.crawl_time_limit} s (a worker may have been lost); "
                "start a new crawl",
            )
        with transaction() as session:
            again, lost = jobs.requeue_lost(
                session,
                timedelta(seconds=settings.crawl_lost_after),
                settings.max_requeues,
                timedelta(seconds=settings.queued_lost_after),
            )
        stuck = jobs.stuck_in_finish(Session(), timedelta(seconds=settings.crawl_lost_after))
        Session.commit()
        with transaction() as session:
            swept = jobs.sweep_staging(session)
    finally:
        Session.remove()
    for job_id in again:
        # plan picks up where the crawl got to: plans it, or sends its pending batches (or its finish)
        log.warning("crawl lost: sending it again", extra={"job_id": job_id})
        plan.delay(job_id)
    for job_id in lost:
        log.warning("crawl lost: failed after %d requeues", settings.max_requeues, extra={"job_id": job_id})
    for job_id in stuck:
        finish.delay(job_id)
    if swept:
        log.info("dropped staging left by ended crawls %s", swept)


@app.task(name="crawl.dispatch_due")
def dispatch_due() -> int:
    """Queue a crawl of every source whose cron time has come.

    Due sources are claimed with FOR UPDATE SKIP LOCKED and their next time is
    advanced in the same transaction, so two beat processes started by mistake
    still queue one crawl per due source; a source with a crawl already active
    is skipped (create_job). Each gets a stable jitter so a thousand sources
    due at 02:00 do not all start the same second.
    """
    settings = runtime.settings()
    queued = []
    try:
        with transaction() as session:
            for source_id in claim_due(session):
                job, created = jobs.create_job(session, source_id, "schedule")
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
