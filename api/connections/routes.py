"""Test a connection the way a crawl opens it (worker/probe.py): the same
network policy, introspector and timeouts; nothing is stored or read."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app

from catalog.models import Source
from catalog.vault import Vault
from worker.probe import probe

from ..extensions import Blueprint
from ..ownership import owned_source
from ..sources.schemas import SourceSchema

blp = Blueprint("connections", __name__, url_prefix="/api/v1", description="Connection tests")

FIELDS = ("engine", "host", "port", "database", "username", "password", "options")


class ConnectionSchema(SourceSchema):
    """The connection fields of a source (name and schedule are not needed)."""

    class Meta:
        fields = FIELDS


class ConnectionPatchSchema(ConnectionSchema):
    """The same fields, each optional (loaded with partial=True)."""


class ProbeErrorSchema(ma.Schema):
    type = ma.fields.String(
        metadata={
            "description": "connection_failed, authentication_failed, database_not_found, statement_timeout, "
            "address_not_allowed, credentials_unreadable, ..."
        }
    )
    message = ma.fields.String()


class ProbeSchema(ma.Schema):
    ok = ma.fields.Boolean()
    elapsed_ms = ma.fields.Integer()
    error = ma.fields.Nested(ProbeErrorSchema, allow_none=True)


def transient_source(fields: dict, stored: Source | None = None) -> Source:
    """A Source never added to the session: the stored one's values (if
    any) overridden by `fields`; the password encrypted as the vault does."""
    values = {k: getattr(stored, k) for k in FIELDS if k != "password"} if stored else {}
    values.update({k: v for k, v in fields.items() if k != "password"})
    source = Source(**values)
    keys = current_app.config["METACRAWL"].fernet_keys
    if fields.get("password") is not None:
        source.password_encrypted = Vault(keys).encrypt(fields["password"])
    elif stored is not None:
        source.password_encrypted = stored.password_encrypted
    else:
        source.password_encrypted = Vault(keys).encrypt("")
    return source


def probe_view(source: Source) -> dict:
    r = probe(source, current_app.config["METACRAWL"])
    return {
        "ok": r.ok,
        "elapsed_ms": r.elapsed_ms,
        "error": None if r.ok else {"type": r.error_type, "message": r.message},
    }


@blp.post("/sources/test-connection")
@blp.login_required
@blp.arguments(ConnectionSchema)
@blp.response(200, ProbeSchema)
def test_new(data):
    """Try connecting with these values (not stored): `ok`, or the typed reason it failed"""
    return probe_view(transient_source(data))


@blp.post("/sources/<int:source_id>/test-connection")
@blp.login_required
@blp.arguments(ConnectionPatchSchema(partial=True), required=False)
@blp.response(200, ProbeSchema)
@blp.alt_response(404, description="No such source of yours")
def test_stored(data, source_id):
    """Try connecting to a source, optionally with some values changed (not stored)"""
    return probe_view(transient_source(data or {}, owned_source(source_id)))
