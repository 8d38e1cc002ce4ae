import marshmallow as ma
from flask import current_app

from catalog.schedules import ScheduleError, check

ENGINES = ("postgresql", "mysql", "mariadb")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _cron(value):
    if value is None:
        return
    try:
        check(value, current_app.config["METACRAWL"].min_schedule_interval_minutes)
    except ScheduleError as e:
        raise ma.ValidationError(str(e)) from None


_schema_names = ma.fields.List(
    ma.fields.String(validate=ma.validate.Length(min=1, max=255)), validate=ma.validate.Length(max=1000)
)


class SourceOptionsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    sslmode = ma.fields.String(validate=ma.validate.OneOf(SSLMODES))
    include_schemas = _schema_names
    exclude_schemas = _schema_names


class CrawlRefSchema(ma.Schema):
    id = ma.fields.Integer()
    state = ma.fields.String()
    url = ma.fields.String()


class SourceSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    engine = ma.fields.String(required=True, validate=ma.validate.OneOf(ENGINES))
    host = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Length(min=1, max=255),
            ma.validate.Regexp(r"[A-Za-z0-9.\-_:\[\]%]+\Z", error="not a valid host name or address"),
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
    password = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(min=1, max=1024),
        metadata={"description": "Write-only: stored encrypted, never returned."},
    )
    options = ma.fields.Nested(SourceOptionsSchema, load_default=dict)
    schedule = ma.fields.String(
        allow_none=True,
        validate=[ma.validate.Length(max=100), _cron],
        metadata={
            "description": "Cron (UTC) for recrawls; null for none. Default: nightly at 02:00. Runs must be at "
            "least METACRAWL_MIN_SCHEDULE_INTERVAL_MINUTES (default 15) apart."
        },
    )
    owner_id = ma.fields.Integer(dump_only=True, attribute="user_id")
    next_crawl_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    last_crawled_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    last_success_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    stale = ma.fields.Boolean(dump_only=True)
    last_crawl = ma.fields.Nested(CrawlRefSchema, dump_only=True, allow_none=True)
    crawl = ma.fields.Nested(
        CrawlRefSchema, dump_only=True, metadata={"description": "On creation: the first crawl, already queued."}
    )
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class SourceListArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000))
    all = ma.fields.Boolean(load_default=False, metadata={"description": "Admins: every user's sources."})


class SourcePageSchema(ma.Schema):
    sources = ma.fields.List(ma.fields.Nested(SourceSchema))
    next_cursor = ma.fields.String(allow_none=True)


class SourcePatchSchema(SourceSchema):
    """The same fields, each optional (loaded with partial=True)."""
