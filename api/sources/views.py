"""A source as the API answers it, and a refusal as the API's error; the
sources and connections routes and the web UI's source pages call these."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_smorest import abort

from catalog.db import Session
from catalog.models import CrawlJob, Source
from engines import ENGINES

from ..crawls.views import crawl_ref
from .service import SourceRefused


def source_view(source: Source, crawl=None) -> dict:
    """The public face of a source; the password never leaves the vault."""
    s = current_app.config["METACRAWL"]
    last = Session.get(CrawlJob, source.last_crawl_id) if source.last_crawl_id else None
    stale_before = datetime.now(UTC) - timedelta(hours=s.stale_after_hours)
    secret = set(ENGINES[source.engine].secret_fields()) if source.engine in ENGINES else set()
    # the engine's settings sit beside the common fields, as they are sent; secrets never
    view = {k: v for k, v in (source.settings or {}).items() if k not in secret}
    view |= {
        k: getattr(source, k)
        for k in (
            "id",
            "name",
            "engine",
            "schedule",
            "user_id",
            "next_crawl_at",
            "last_crawled_at",
            "last_success_at",
            "created_at",
            "updated_at",
        )
    }
    view["stale"] = source.last_success_at is None or source.last_success_at < stale_before
    view["last_crawl"] = crawl_ref(last)
    if crawl is not None:
        view["crawl"] = crawl_ref(crawl)
    return view


def refused(e: SourceRefused):
    """A refusal as the API's JSON error: the problems under their fields."""
    abort(e.status, message=e.message, errors={"json": e.errors})
