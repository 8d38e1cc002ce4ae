"""A connection test's answer, for the connections routes and the web UI's
source forms alike."""

from __future__ import annotations

from flask import current_app

from catalog.models import Source
from crawl.source import probe_source

from ..sources.service import engine_settings, transient_source


def probe_view(source: Source) -> dict:
    r = probe_source(source, current_app.config["METACRAWL"])
    return {
        "ok": r.ok,
        "elapsed_ms": r.elapsed_ms,
        "error": None if r.ok else {"type": r.error_type, "message": r.message},
    }


def stored_probe_source(source: Source, data: dict) -> Source:
    """The stored source with the changes sent (validated by its engine's
    schema, never stored); its secrets are used where none is sent."""
    sent = data.get("settings") or {}
    engine = data.get("engine", source.engine)
    if not sent and engine == source.engine:
        return transient_source(engine, source.settings or {}, {}, source)
    settings, secrets = engine_settings(engine, sent, source, check=False)
    return transient_source(engine, settings, secrets, source)
