"""Handing crawl jobs to the workers. Only the job id travels through the
broker: the worker reads and decrypts the credentials itself."""

from __future__ import annotations

import logging

from flask import current_app
from flask_smorest import abort
from kombu.exceptions import OperationalError

from catalog.db import transaction
from catalog.jobs import fail_job

log = logging.getLogger(__name__)


def enqueue_plan(job_id: int) -> None:
    try:
        current_app.extensions["metacrawl_celery"].send_task("crawl.plan", args=[job_id])
    except (OperationalError, ConnectionError, OSError):
        log.error("could not enqueue crawl", extra={"job_id": job_id})
        with transaction() as session:
            fail_job(session, job_id, "queue_unavailable", "the task queue is unavailable; try again shortly")
        abort(503, message="the task queue is unavailable; the crawl was not started, try again shortly")
