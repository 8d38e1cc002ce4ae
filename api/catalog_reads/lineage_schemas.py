"""Column lineage through views, as the table document's `lineage` part and
as `GET /api/v1/tables/{id}/lineage` answers it (catalog/lineage.py)."""

import marshmallow as ma

from .table_schemas import DocumentSchema, answered

STATUSES = ("resolved", "partial", "unresolved")
COLUMN_STATUSES = ("resolved", "constant", "partial", "unresolved")
FOUND = ("catalog", "parsed")
_STATUS_HELP = (
    "`resolved`: every output column's sources are known; `partial`: some are not fully; `unresolved`: the "
    "parser could not map the view (`reason` says why): its column lists are then empty because unknown, "
    "never because the view reads nothing"
)


@answered("table_id")
class LineageEdgeSchema(DocumentSchema):
    schema = ma.fields.String()
    table = ma.fields.String()
    column = ma.fields.String()
    found = ma.fields.String(
        validate=ma.validate.OneOf(FOUND),
        metadata={
            "description": "How the edge was found: `catalog` (PostgreSQL's pg_depend records that the view "
            "reads this column; the SQL parse only says which output column it feeds) or `parsed` (from the "
            "view's SQL: MySQL/MariaDB, SQLite)"
        },
    )
    table_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "Lineage answers only: the source table's catalog id, null if not in the catalog"},
    )


@answered()
class LineageColumnSchema(DocumentSchema):
    name = ma.fields.String(metadata={"description": "The view's output column"})
    status = ma.fields.String(
        validate=ma.validate.OneOf(COLUMN_STATUSES),
        metadata={
            "description": "`resolved`; `constant` (computed from no column); `partial` (calls a function the "
            "parser does not know, or names a column the database does not record: its sources may miss some); "
            "`unresolved` (see reason)"
        },
    )
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why not resolved; null when resolved"})
    sources = ma.fields.List(ma.fields.Nested(LineageEdgeSchema))


@answered()
class ViewLineageSchema(DocumentSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES), metadata={"description": _STATUS_HELP})
    reason = ma.fields.String(allow_none=True)
    columns = ma.fields.List(
        ma.fields.Nested(LineageColumnSchema), metadata={"description": "Each output column, in order"}
    )
    reads = ma.fields.List(
        ma.fields.Nested(LineageEdgeSchema),
        metadata={"description": "Every column the view reads, in its WHERE and joins too"},
    )


@answered()
class ReadBySchema(ma.Schema):
    column = ma.fields.String(metadata={"description": "This table's column"})
    view_id = ma.fields.Integer(metadata={"description": "The reading view's catalog id"})
    view_schema = ma.fields.String()
    view_name = ma.fields.String()
    view_column = ma.fields.String(
        allow_none=True, metadata={"description": "The view's output column it feeds; null: read to filter or join"}
    )
    found = ma.fields.String(validate=ma.validate.OneOf(FOUND))


@answered()
class LineageSchema(ma.Schema):
    table_id = ma.fields.Integer()
    schema = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    status = ma.fields.String(
        allow_none=True,
        metadata={"description": "Views: " + _STATUS_HELP + "; null for a table, which reads nothing"},
    )
    reason = ma.fields.String(allow_none=True)
    columns = ma.fields.List(ma.fields.Nested(LineageColumnSchema), metadata={"description": "Views only"})
    reads = ma.fields.List(ma.fields.Nested(LineageEdgeSchema), metadata={"description": "Views only"})
    read_by = ma.fields.List(
        ma.fields.Nested(ReadBySchema),
        metadata={"description": "The live views reading this table's (or view's) columns, by column"},
    )
