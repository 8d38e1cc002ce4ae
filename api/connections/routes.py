"""Test a connection the way a crawl opens it (engines/probe.py): the same
network policy, introspector and timeouts; nothing is stored or read."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app

from catalog.models import Source
from crawl.source import probe_source

from ..extensions import Blueprint
from ..ownership import owned_source
from ..sources.routes import refused
from ..sources.schemas import ENGINE_FIELD_NAMES, SourceSchema
from ..sources.service import SourceRefused, engine_settings, transient_source

blp = Blueprint("connections", __name__, url_prefix="/api/v1", description="Connection tests")


class ConnectionSchema(SourceSchema):
    """The engine and its settings, as for a source (name and schedule are not needed)."""

    class Meta:
        fields = ("engine", *sorted(ENGINE_FIELD_NAMES))


class ConnectionPatchSchema(ConnectionSchema):
    """The same fields, each optional (loaded with partial=True); the stored
    source's settings lie under them and its secrets are used unless sent."""


class ProbeErrorSchema(ma.Schema):
    type = ma.fields.String(
        metadata={
            "description": "connection_failed, authentication_failed, database_not_found, statement_timeout, "
            "address_not_allowed, settings_refused, credentials_unreadable, ..."
        }
    )
    message = ma.fields.String()


class ProbeSchema(ma.Schema):
    ok = ma.fields.Boolean()
    elapsed_ms = ma.fields.Integer()
    error = ma.fields.Nested(ProbeErrorSchema, allow_none=True)


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


@blp.post("/sources/test-connection")
@blp.login_required
@blp.arguments(ConnectionSchema)
@blp.response(200, ProbeSchema)
def test_new(data):
    """Try connecting with these values (not stored): `ok`, or the typed reason it failed"""
    return probe_view(transient_source(data["engine"], data["settings"], data["secrets"]))


@blp.post("/sources/<int:source_id>/test-connection")
@blp.login_required
@blp.arguments(ConnectionPatchSchema(partial=True), required=False)
@blp.response(200, ProbeSchema)
@blp.alt_response(404, description="No such source of yours")
def test_stored(data, source_id):
    """Try connecting to a source, optionally with some values changed (not stored)"""
    source = owned_source(source_id)
    try:
        return probe_view(stored_probe_source(source, data or {}))
    except SourceRefused as e:
        refused(e)
