import marshmallow as ma

from catalog.jobs import CrawlState

from ..timestamps import Timestamp


class ProgressSchema(ma.Schema):
    tables_total = ma.fields.Integer(allow_none=True, required=True)
    tables_done = ma.fields.Integer(required=True)
    batches_total = ma.fields.Integer(allow_none=True, required=True)
    batches_done = ma.fields.Integer(required=True)


class StatsSchema(ma.Schema):
    added = ma.fields.Integer(required=True)
    changed = ma.fields.Integer(required=True)
    removed = ma.fields.Integer(required=True)
    unchanged = ma.fields.Integer(required=True)
    renamed = ma.fields.Integer(
        metadata={
            "description": "Tables renamed, kept as the same catalog table by the target's stable ids "
            "(PostgreSQL); also counted in changed; absent when none"
        }
    )
    probable_renames = ma.fields.Integer(
        metadata={"description": "Probable renames found (engines without stable ids), for a curator; absent when none"}
    )
    with_warnings = ma.fields.Integer(
        metadata={
            "description": "How many of the source's tables and views the target could not fully describe after "
            "this crawl (they carry `warnings`, e.g. a MariaDB view whose table was dropped); absent on crawls "
            "made before metacrawl counted them"
        }
    )


class CrawlErrorSchema(ma.Schema):
    type = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class VisibilityWarningSchema(ma.Schema):
    """A kind of object the crawl's account could not see (catalog/crawl_warnings.py)."""

    kind = ma.fields.String(
        required=True,
        metadata={"description": "What it could not see: routines, triggers (and statistics or usage where read)"},
    )
    privilege = ma.fields.String(
        required=True, metadata={"description": "The privilege that would show it, as the engine names it"}
    )
    message = ma.fields.String(required=True, metadata={"description": "Both, in a sentence its owner can act on"})


class CrawlStartSchema(ma.Schema):
    allow_mass_removal = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "let this crawl remove more than METACRAWL_MAX_REMOVED_PERCENT (default 50%) of the "
            "source's tables, when more than 100 are gone; without it such a crawl fails and "
            "changes nothing"
        },
    )


class CrawlSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    source_id = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)
    state = ma.fields.Enum(
        CrawlState, by_value=True, metadata={"description": "the crawl's state (catalog/jobs.py)"}, required=True
    )
    trigger = ma.fields.String(
        # the values catalog.jobs.create_job is called with (crawl_jobs.trigger)
        validate=ma.validate.OneOf(("register", "api", "ui", "schedule")),
        metadata={
            "description": "what started it: register (a new source's first crawl), api (POST "
            "/sources/{id}/crawls), ui (the web UI's Crawl now) or schedule (its cron)"
        },
        required=True,
    )
    allow_mass_removal = ma.fields.Boolean(required=True)
    progress = ma.fields.Nested(ProgressSchema, required=True)
    queued_at = Timestamp(required=True)
    started_at = Timestamp(allow_none=True, required=True)
    finished_at = Timestamp(allow_none=True, required=True)
    stats = ma.fields.Nested(StatsSchema, allow_none=True, required=True)
    error = ma.fields.Nested(CrawlErrorSchema, allow_none=True, required=True)
    warnings = ma.fields.List(
        ma.fields.Nested(VisibilityWarningSchema),
        required=True,
        metadata={
            "description": "What the crawl's account lacks the privilege to see, one entry per kind: those lists "
            "in the catalog are incomplete, not empty by fact; [] when it saw everything it reads"
        },
    )


class CrawlPageSchema(ma.Schema):
    crawls = ma.fields.List(ma.fields.Nested(CrawlSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


class CrawlConflictSchema(ma.Schema):
    code = ma.fields.Integer()
    status = ma.fields.String()
    message = ma.fields.String()
    crawl = ma.fields.Nested(CrawlSchema)
