"""What a connection test takes and answers."""

from __future__ import annotations

import marshmallow as ma

from ..sources.schemas import ENGINE_FIELD_NAMES, SourceCreateSchema


class ConnectionSchema(SourceCreateSchema):
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
        },
        required=True,
    )
    message = ma.fields.String(required=True)


class ProbeSchema(ma.Schema):
    ok = ma.fields.Boolean(required=True)
    elapsed_ms = ma.fields.Integer(required=True)
    error = ma.fields.Nested(ProbeErrorSchema, allow_none=True, required=True)
