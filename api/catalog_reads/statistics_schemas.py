"""The table document's column statistics and sensitive-column suggestions
(table detail only), and the sensitive-column routes' answers."""

import marshmallow as ma

from ..timestamps import Timestamp

VALUES_NOTE = (
    "Real data from the table: null unless the source's `statistics_values` setting is on, and always null for a "
    "column tagged sensitive (`pii`, `sensitive`, `pii-*`, `sensitive-*`) or suggested sensitive (not dismissed)"
)


class _Part(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE


class ColumnStatisticsSchema(_Part):
    """A column's statistics as the planner keeps them (PostgreSQL pg_stats; MariaDB mysql.column_stats after
    ANALYZE TABLE ... PERSISTENT FOR ALL), read by every crawl without scanning a row; never a change"""

    null_fraction = ma.fields.Float(required=True, allow_none=True, metadata={"description": "Share of rows NULL"})
    distinct_estimate = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Estimated distinct non-null values"}
    )
    distinct_fraction = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Distinct values as a share of the rows (1: every row's value differs)"},
    )
    avg_width = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "Average bytes per value"})
    correlation = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "PostgreSQL: how well the physical order follows the value order (-1 to 1)"},
    )
    gathered_at = Timestamp(
        required=True,
        allow_none=True,
        metadata={"description": "PostgreSQL: the table's last ANALYZE or autoanalyze; MariaDB keeps no time: null"},
    )
    most_common_values = ma.fields.List(
        ma.fields.String(), required=True, allow_none=True, metadata={"description": f"At most 10. {VALUES_NOTE}"}
    )
    most_common_freqs = ma.fields.List(
        ma.fields.Float(), required=True, allow_none=True, metadata={"description": "Their shares of the rows"}
    )
    histogram_bounds = ma.fields.List(
        ma.fields.String(),
        required=True,
        allow_none=True,
        metadata={"description": f"About 10 bounds, evenly spaced (MariaDB: the minimum and maximum). {VALUES_NOTE}"},
    )


class SensitiveMarkSchema(_Part):
    """A suggestion that the column is sensitive, with its reasons"""

    id = ma.fields.Integer(required=True, metadata={"description": "The suggestion, to confirm or dismiss"})
    score = ma.fields.Integer(required=True, metadata={"description": "0-100; suggested from 50"})
    reasons = ma.fields.List(ma.fields.String(), required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(("pending", "confirmed", "dismissed")))


class TableStatisticsSchema(_Part):
    values_allowed = ma.fields.Boolean(
        required=True, metadata={"description": "Whether the source's `statistics_values` setting is on"}
    )
    row_estimate_gathered_at = Timestamp(
        required=True,
        allow_none=True,
        metadata={"description": "When row_estimate was gathered: the table's last ANALYZE or autoanalyze"},
    )


class SuggestionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    table_id = ma.fields.Integer(required=True)
    schema = ma.fields.String(required=True, attribute="schema_name")
    table = ma.fields.String(required=True, attribute="table_name")
    column = ma.fields.String(required=True, attribute="column_name")
    score = ma.fields.Integer(required=True)
    reasons = ma.fields.List(ma.fields.String(), required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(("pending", "confirmed", "dismissed")))
    found_at = Timestamp(required=True)
    decided_at = Timestamp(required=True, allow_none=True)


class SuggestionPageSchema(ma.Schema):
    suggestions = ma.fields.List(ma.fields.Nested(SuggestionSchema), required=True)
    next_cursor = ma.fields.String(required=True, allow_none=True)


class SuggestionListArgs(ma.Schema):
    status = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(("pending", "confirmed", "dismissed")), allow_none=True
    )
    table_id = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=2**63 - 1))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000))
