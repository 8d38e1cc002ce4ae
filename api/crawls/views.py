"""A crawl job as the API answers it; the crawls routes and the web UI's
crawl pages build their answers here."""

from __future__ import annotations

from flask import url_for

from catalog.jobs import CrawlState, job_progress
from catalog.models import CrawlJob


def crawl_url(job_id: int) -> str:
    return url_for("crawls.crawl", job_id=job_id)


def crawl_ref(job) -> dict | None:
    if job is None:
        return None
    return {"id": job.id, "state": job.state, "url": crawl_url(job.id)}


def crawl_view(job: CrawlJob) -> dict:
    return {
        "id": job.id,
        "source_id": job.source_id,
        "url": crawl_url(job.id),
        "state": CrawlState(job.state),
        "trigger": job.trigger,
        "allow_mass_removal": job.allow_mass_removal,
        "queued_at": job.queued_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "stats": job.stats,
        "progress": job_progress(job),
        "error": {"type": job.error_type, "message": job.error_message} if job.state == CrawlState.FAILED else None,
        "warnings": job.warnings or [],
    }
