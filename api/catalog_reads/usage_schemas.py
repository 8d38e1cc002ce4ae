"""The table detail's `usage`: how much the table and its indexes are used
(catalog/usage/read.py builds it)."""

import marshmallow as ma

from ..timestamps import Timestamp

_COUNT = "PostgreSQL: pg_stat_user_tables"


class DocumentSchema(ma.Schema):
    """Built by PostgreSQL from what the crawls stored; every field is in
    every answer (`required`), fields may be added, never renamed."""

    class Meta:
        unknown = ma.INCLUDE


class UsageGrowthSchema(DocumentSchema):
    """The counters' growth between the crawl that read them before (`from`)
    and the last one."""

    class Meta(DocumentSchema.Meta):
        include = {
            "from": Timestamp(
                required=True, metadata={"description": "When the crawl before read the counters this grew from"}
            )
        }

    counters_reset = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "The target's counters were reset in between (a counter went down, or "
            "pg_stat_database.stats_reset moved): each figure is then the count since that reset, never negative"
        },
    )
    seq_scans = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "Sequential scans"})
    seq_rows_read = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Rows sequential scans read"}
    )
    index_scans = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Index scans, all indexes"}
    )
    index_rows_fetched = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Rows fetched by index scans"}
    )
    rows_written = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Rows inserted, updated and deleted"}
    )


class IndexUsageSchema(DocumentSchema):
    name = ma.fields.String(
        required=True,
    )
    scans = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Scans since the counters' reset (idx_scan)"}
    )
    scans_since_last_crawl = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Scans between the last two crawls (after a reset: since it); null on its first"},
    )
    last_scan_at = Timestamp(
        required=True, allow_none=True, metadata={"description": "PostgreSQL 16+: its last scan (last_idx_scan)"}
    )
    idle_since = Timestamp(
        required=True,
        allow_none=True,
        metadata={
            "description": "The crawl since which no scan was counted (null while it is used); the unused_index "
            "rule fires once this is METACRAWL_UNUSED_INDEX_DAYS old"
        },
    )


class StatementUsageSchema(DocumentSchema):
    query = ma.fields.String(
        required=True,
        metadata={"description": "Normalised text: constants are $n or ?, never parameters; comments removed"},
    )
    calls = ma.fields.Integer(
        required=True,
    )
    total_ms = ma.fields.Float(required=True, metadata={"description": "Total execution time, milliseconds"})
    rows = ma.fields.Integer(required=True, metadata={"description": "Rows returned or affected, all calls"})
    read_at = Timestamp(required=True, metadata={"description": "When the crawl read pg_stat_statements"})


class UsageSchema(DocumentSchema):
    """How much a table is used: counters since the target's last reset and
    their growth between the last two crawls; never part of the definition."""

    read_at = Timestamp(
        required=True, metadata={"description": "When these were read (the source's last successful crawl)"}
    )
    stats_reset_at = Timestamp(
        required=True,
        allow_none=True,
        metadata={"description": "When the target's counters were last reset (null: never)"},
    )
    seq_scans = ma.fields.Integer(required=True, allow_none=True, metadata={"description": f"{_COUNT}.seq_scan"})
    seq_rows_read = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": f"{_COUNT}.seq_tup_read"}
    )
    index_scans = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": f"{_COUNT}.idx_scan (0: no index)"}
    )
    index_rows_fetched = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": f"{_COUNT}.idx_tup_fetch"}
    )
    rows_written = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "n_tup_ins + n_tup_upd + n_tup_del"}
    )
    since_last_crawl = ma.fields.Nested(
        UsageGrowthSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Growth since the crawl before; null until two crawls have read the table"},
    )
    indexes = ma.fields.List(
        ma.fields.Nested(IndexUsageSchema), required=True, metadata={"description": "Each index, by name"}
    )
    statements = ma.fields.List(
        ma.fields.Nested(StatementUsageSchema),
        required=True,
        metadata={
            "description": "PostgreSQL with pg_stat_statements installed and readable: the statements among the "
            "crawl's top ones by total time (METACRAWL_TOP_STATEMENTS) whose text names this table (a "
            "conservative name match on the text, not a parse), at most 10, most total time first; empty otherwise"
        },
    )
