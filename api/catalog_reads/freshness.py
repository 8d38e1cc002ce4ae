"""ETag / Last-Modified / 304 and the Redis cache of catalog reads, written once.

Both are keyed by the source's last successful crawl and by when its catalog
last changed: when a crawl finishes (or a curator confirms a rename), every
read of that source gets a new ETag and a new cache key, so a stale answer
cannot be served. Reads that show curation are also keyed by the source's
curation (`curated_tag`).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from flask import Response, current_app, request
from werkzeug.http import http_date, parse_date

log = logging.getLogger(__name__)


def version_tag(source, active_job, *parts) -> str:
    raw = "|".join(
        str(p)
        for p in (
            source.id,
            source.last_crawl_id,
            source.last_success_at,
            # moved by a crawl that changed something and by a confirmed rename
            source.catalog_changed_at,
            active_job.id if active_job else None,
            active_job.state if active_job else None,
            *parts,
        )
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def curated_tag(source, active_job, *parts) -> str:
    """version_tag for a read that shows curation: it also moves when the
    source's curation (or its team's tag colours) changes, and with what
    decides whether statistics' values show (the source's settings, a
    curator's decision on a sensitive-column suggestion)."""
    from catalog.curation import curation_stamp
    from catalog.db import Session
    from catalog.sensitive import decision_stamp

    stamps = (curation_stamp(Session(), source.id), source.updated_at, decision_stamp(Session(), source.id))
    return version_tag(source, active_job, *stamps, *parts)


def not_modified(etag: str, last_modified: datetime | None) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains(etag)
    since = parse_date(request.headers.get("If-Modified-Since"))
    return bool(since and last_modified and last_modified.replace(microsecond=0) <= since)


def conditional_json(body_fn, etag: str, last_modified: datetime | None) -> Response:
    headers = {"ETag": f'"{etag}"', "Cache-Control": "private, no-cache"}
    if last_modified:
        headers["Last-Modified"] = http_date(last_modified)
    if not_modified(etag, last_modified):
        return Response(status=304, headers=headers)
    return Response(body_fn(), status=200, headers=headers, mimetype="application/json")


def cached(key: str, compute) -> str:
    """The cached string for `key`, or compute() stored for the configured TTL.
    Redis trouble degrades to computing, never to an error."""
    redis = current_app.extensions["metacrawl_redis"]
    full_key = f"metacrawl:read:{key}"
    try:
        hit = redis.get(full_key)
        if hit is not None:
            return hit.decode()
    except Exception:
        log.warning("read cache unavailable")
    value = compute()
    try:
        redis.set(full_key, value.encode(), ex=current_app.config["METACRAWL"].cache_seconds)
    except Exception:
        log.warning("read cache unavailable")  # the answer is still right, only uncached
    return value
