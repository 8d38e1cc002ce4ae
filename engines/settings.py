"""Connection settings schemas: each engine declares its settings as a
marshmallow schema (as Redash's query runners declare theirs); a field with
metadata secret=True is encrypted at rest, write-only in the API and
scrubbed from every message."""

from __future__ import annotations

import marshmallow as ma

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def secret(field: ma.fields.Field) -> ma.fields.Field:
    """Mark a settings field as secret."""
    field.load_only = True
    field.metadata = {**field.metadata, "secret": True}
    return field


SCHEMA_NAMES = ma.fields.List(
    ma.fields.String(validate=ma.validate.Length(min=1, max=255)), validate=ma.validate.Length(max=1000)
)


# Whether a crawl reads the statistics' value lists (most common values,
# histogram bounds), which hold real data: off unless an admin turns it on,
# and even then never for a column tagged or suggested sensitive.
STATISTICS_VALUES = ma.fields.Boolean(
    metadata={
        "description": "Read the column statistics' most common values and histogram bounds (real data from the "
        "table) at each crawl. Off by default; never for a column tagged or suggested sensitive."
    }
)


class SchemaFilterOptions(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    include_schemas = SCHEMA_NAMES
    exclude_schemas = SCHEMA_NAMES


class ServerOptions(SchemaFilterOptions):
    sslmode = ma.fields.String(validate=ma.validate.OneOf(SSLMODES))


class ServerSettings(ma.Schema):
    """A database server reached over the network with a user name and password."""

    class Meta:
        unknown = ma.RAISE

    host = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Length(min=1, max=255),
            ma.validate.Regexp(r"^[A-Za-z0-9.\-_:\[\]%]+(?![\s\S])", error="not a valid host name or address"),
        ],
        metadata={
            "description": "Host name or IP address (IPv6 with or without brackets; stored normalised). Numeric "
            "forms other than a dotted quad are refused; link-local and cloud metadata addresses always, "
            "loopback and private ranges unless the server allows them."
        },
    )
    port = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=65535))
    database = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    password = secret(
        ma.fields.String(
            required=True,
            validate=ma.validate.Length(min=1, max=1024),
            metadata={"description": "Write-only: stored encrypted, never returned."},
        )
    )
    options = ma.fields.Nested(ServerOptions, load_default=dict)
    statistics_values = STATISTICS_VALUES
