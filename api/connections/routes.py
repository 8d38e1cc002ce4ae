"""Test a connection the way a crawl opens it (engines/probe.py): the same
network policy, introspector and timeouts; nothing is stored or read."""

from __future__ import annotations

from ..extensions import Blueprint
from ..ownership import ADMIN, owned_source
from ..sources.service import SourceRefused, transient_source
from ..sources.views import refused
from .schemas import ConnectionPatchSchema, ConnectionSchema, ProbeSchema
from .views import probe_view, stored_probe_source

blp = Blueprint("connections", __name__, url_prefix="/api/v1", description="Connection tests")


@blp.post("/sources/test-connection")
@blp.login_required
@blp.arguments(ConnectionSchema)
@blp.response(200, ProbeSchema)
def test_new_connection(data):
    """Try connecting with these values (not stored): `ok`, or the typed reason it failed"""
    return probe_view(transient_source(data["engine"], data["settings"], data["secrets"]))


@blp.post("/sources/<int:source_id>/test-connection")
@blp.login_required
@blp.arguments(ConnectionPatchSchema(partial=True), required=False)
@blp.response(200, ProbeSchema)
@blp.alt_response(404, description="No such source of yours")
@blp.needs_role("admin")
def test_source_connection(data, source_id):
    """Try connecting to a source, optionally with some values changed (not stored)"""
    source = owned_source(source_id, ADMIN)
    try:
        return probe_view(stored_probe_source(source, data or {}))
    except SourceRefused as e:
        refused(e)
