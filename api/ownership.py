"""Object-level permissions written once: a user reaches only their own
sources and jobs; anything else, existing or not, is the same 404."""

from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import abort

from catalog.db import Session
from catalog.models import CrawlJob, Source


def owned_source(source_id: int) -> Source:
    source = Session.get(Source, source_id)
    if source is None or (source.user_id != current_user.id and not current_user.is_admin):
        abort(404, message=f"source {source_id} not found")
        raise AssertionError("abort raises")
    return source


def owned_job(job_id: int) -> CrawlJob:
    job = Session.get(CrawlJob, job_id)
    if job is not None:
        source = Session.get(Source, job.source_id)
        if source is not None and (source.user_id == current_user.id or current_user.is_admin):
            return job
    abort(404, message=f"crawl {job_id} not found")
    raise AssertionError("abort raises")
