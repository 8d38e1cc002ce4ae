import marshmallow as ma

from ..timestamps import Timestamp

KINDS = ("table", "view", "materialized_view", "partitioned_table", "foreign_table")
# worker.introspect.base.ROW_ESTIMATE_SOURCES
ROW_ESTIMATE_SOURCES = ("statistics", "never_analyzed", "not_applicable")


def no_nul(value: str):
    if "\x00" in value:
        raise ma.ValidationError("must not contain NUL characters")


def _text(max_len: int, **kw):
    return ma.fields.String(validate=[ma.validate.Length(min=1, max=max_len), no_nul], **kw)


class SchemaArgs(ma.Schema):
    schema = _text(255, metadata={"description": "Only this schema (MySQL: database)."})
    kind = ma.fields.String(validate=ma.validate.OneOf(KINDS))
    q = _text(255, metadata={"description": "Table name substring, case-insensitive; % and _ match literally."})
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000))
    partitions = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "Also list partitions (PostgreSQL tables with partition_of). By default a "
            "partitioned table is listed once, with its partition_count."
        },
    )


class SearchArgs(ma.Schema):
    q = _text(
        255,
        required=True,
        metadata={
            "description": "Search term (1-255 characters). Terms under 3 "
            "characters match names exactly or by prefix only."
        },
    )
    kind = ma.fields.String(validate=ma.validate.OneOf(("table", "column")))
    source_id = ma.fields.Integer(strict=False, validate=ma.validate.Range(min=1, max=2**63 - 1))
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


EXPORT_FORMATS = ("json", "ndjson", "markdown", "dbml", "plantuml", "mermaid", "dot")


class ExportArgs(ma.Schema):
    format = ma.fields.String(
        load_default="json",
        validate=ma.validate.OneOf(EXPORT_FORMATS),
        metadata={
            "description": "json, ndjson (a table per line), markdown, dbml, plantuml (IE entity diagram), "
            "mermaid (erDiagram) or dot (Graphviz)."
        },
    )
    schema = _text(255, metadata={"description": "Only this schema (MySQL: database)."})


class DocumentSchema(ma.Schema):
    """A part of a table document. Documents are built by PostgreSQL from what
    the crawl stored; fields may be added (by an engine, a later version), never
    renamed, so a reader must accept fields it does not know."""

    class Meta:
        unknown = ma.INCLUDE


def _req(field_cls, *args, **kw):
    return field_cls(*args, required=True, **kw)


_names = ma.fields.List(ma.fields.String())


class ColumnSchema(DocumentSchema):
    name = _req(ma.fields.String)
    ordinal = _req(ma.fields.Integer)
    type = _req(ma.fields.String, metadata={"description": "As the engine prints it: character varying(50), int(11)"})
    nullable = _req(ma.fields.Boolean)
    default = ma.fields.String(allow_none=True)
    comment = ma.fields.String(allow_none=True)
    identity = ma.fields.String(allow_none=True, metadata={"description": "always, by default, auto_increment"})
    generated = ma.fields.String(allow_none=True, metadata={"description": "Generation expression"})
    enum_values = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "Table detail only, a column whose type is an enum: its values (a PostgreSQL enum "
            "type of the source; MySQL/MariaDB: the values of its enum(...) or set(...) type)"
        },
    )


class PrimaryKeySchema(DocumentSchema):
    name = ma.fields.String(allow_none=True)
    columns = _req(ma.fields.List, ma.fields.String())


class ForeignKeySchema(DocumentSchema):
    name = _req(ma.fields.String)
    columns = _req(ma.fields.List, ma.fields.String())
    referenced_schema = _req(ma.fields.String)
    referenced_table = _req(ma.fields.String)
    referenced_columns = _req(ma.fields.List, ma.fields.String())
    on_update = ma.fields.String(metadata={"description": "NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT"})
    on_delete = ma.fields.String()
    definition = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "The key as the engine prints it (PostgreSQL: pg_get_constraintdef, with NOT VALID "
            "and DEFERRABLE; MySQL/MariaDB: built in the same shape)"
        },
    )
    validated = ma.fields.Boolean(
        allow_none=True, metadata={"description": "false: NOT VALID (existing rows unchecked); null: not known"}
    )
    deferrable = ma.fields.Boolean(allow_none=True, metadata={"description": "DEFERRABLE; null: not known"})
    deferred = ma.fields.Boolean(allow_none=True, metadata={"description": "INITIALLY DEFERRED; null: not known"})


class ReferenceSchema(DocumentSchema):
    """A foreign key of another table (or of this one, referencing itself) that points at this table."""

    schema = _req(ma.fields.String, metadata={"description": "Schema of the referencing table"})
    table = _req(ma.fields.String, metadata={"description": "The referencing table"})
    name = _req(ma.fields.String, metadata={"description": "The key's name"})
    columns = _req(ma.fields.List, ma.fields.String(), metadata={"description": "The referencing columns"})
    referenced_columns = _req(ma.fields.List, ma.fields.String(), metadata={"description": "This table's columns"})
    on_update = ma.fields.String(allow_none=True)
    on_delete = ma.fields.String(allow_none=True)
    definition = ma.fields.String(allow_none=True, metadata={"description": "The key as the engine prints it"})
    validated = ma.fields.Boolean(allow_none=True)
    deferrable = ma.fields.Boolean(allow_none=True)
    deferred = ma.fields.Boolean(allow_none=True)


class IndexSchema(DocumentSchema):
    name = _req(ma.fields.String)
    columns = _req(
        ma.fields.List, ma.fields.String(), metadata={"description": "Column names; an expression is its SQL text"}
    )
    unique = _req(ma.fields.Boolean)
    method = ma.fields.String(allow_none=True)
    definition = ma.fields.String(allow_none=True)
    predicate = ma.fields.String(allow_none=True, metadata={"description": "WHERE clause of a partial index"})


class ConstraintSchema(DocumentSchema):
    name = _req(ma.fields.String)
    type = _req(ma.fields.String, metadata={"description": "unique, check or exclusion"})
    columns = _req(ma.fields.List, ma.fields.String())
    definition = ma.fields.String(allow_none=True)


class RelationRefSchema(DocumentSchema):
    schema = _req(ma.fields.String)
    table = _req(ma.fields.String)


class PartitioningSchema(DocumentSchema):
    strategy = _req(
        ma.fields.String,
        metadata={"description": "range, list, hash (PostgreSQL); MySQL/MariaDB: its PARTITION_METHOD, lower-cased"},
    )
    key = ma.fields.String(
        allow_none=True,
        metadata={"description": "The partition key as the engine prints it (PostgreSQL: pg_get_partkeydef)"},
    )
    partitions = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "MySQL/MariaDB: the partitions' names, in order (they are not tables there)"},
    )


class ActivitySchema(DocumentSchema):
    """A table's usage statistics, read by every crawl apart from its definition."""

    read_at = _req(Timestamp, metadata={"description": "When the crawl read these figures from the target"})
    rows_inserted = ma.fields.Integer(
        allow_none=True, metadata={"description": "PostgreSQL: rows inserted since statistics were reset (n_tup_ins)"}
    )
    rows_updated = ma.fields.Integer(allow_none=True, metadata={"description": "PostgreSQL: n_tup_upd"})
    rows_deleted = ma.fields.Integer(allow_none=True, metadata={"description": "PostgreSQL: n_tup_del"})
    live_rows = ma.fields.Integer(
        allow_none=True, metadata={"description": "PostgreSQL: estimated live rows (n_live_tup)"}
    )
    dead_rows = ma.fields.Integer(
        allow_none=True, metadata={"description": "PostgreSQL: estimated dead rows awaiting VACUUM (n_dead_tup)"}
    )
    last_vacuum_at = Timestamp(allow_none=True, metadata={"description": "PostgreSQL: last manual VACUUM"})
    last_autovacuum_at = Timestamp(allow_none=True, metadata={"description": "PostgreSQL: last autovacuum"})
    last_analyze_at = Timestamp(allow_none=True, metadata={"description": "PostgreSQL: last manual ANALYZE"})
    last_autoanalyze_at = Timestamp(allow_none=True, metadata={"description": "PostgreSQL: last autoanalyze"})
    last_update_at = Timestamp(
        allow_none=True,
        metadata={
            "description": "MySQL/MariaDB: information_schema.TABLES.UPDATE_TIME, the last write the engine "
            "remembers (InnoDB forgets it at a server restart)"
        },
    )


class TableSchema(DocumentSchema):
    schema = _req(ma.fields.String, metadata={"description": "Schema name (MySQL/MariaDB: the database)"})
    name = _req(ma.fields.String)
    kind = _req(ma.fields.String, metadata={"description": ", ".join(KINDS)})
    comment = ma.fields.String(allow_none=True)
    row_estimate = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "Rows as the engine's statistics estimate them; null says why in row_estimate_source"},
    )
    row_estimate_source = ma.fields.String(
        allow_none=True,
        validate=ma.validate.OneOf(ROW_ESTIMATE_SOURCES),
        metadata={
            "description": "Where row_estimate comes from: `statistics` (PostgreSQL: reltuples of the last "
            "VACUUM/ANALYZE; MySQL/MariaDB: TABLE_ROWS), `never_analyzed` (PostgreSQL: the table was never "
            "vacuumed or analyzed, so there is no estimate and no size yet; the planner would count its pages "
            "at query time), `not_applicable` (views hold no rows). Null where the engine keeps no estimate "
            "(SQLite, other SQLAlchemy engines) or before the table's first crawl by this version"
        },
    )
    size_bytes = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "Bytes on disk, table and indexes. PostgreSQL: pages of the table, its TOAST table "
            "and index and its indexes from pg_class, with the free-space and visibility map forks estimated "
            "from them: equal to pg_total_relation_size() after VACUUM and ANALYZE, read without locking or "
            "opening any table; null while never analyzed. MySQL/MariaDB: DATA_LENGTH + INDEX_LENGTH"
        },
    )
    warnings = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "What the target could not describe, in the engine's words; absent when nothing. "
            "MariaDB/MySQL: a view that reads a table or column dropped since has no columns and carries the "
            "engine's error. PostgreSQL tracks dependencies (DROP refuses or cascades), so its objects have none"
        },
    )
    activity = ma.fields.Nested(
        ActivitySchema,
        allow_none=True,
        metadata={
            "description": "Table detail only: usage statistics read by the last crawl, kept apart from the "
            "definition (never a change); null for views and before a crawl read any. PostgreSQL: "
            "pg_stat_user_tables; MySQL/MariaDB: UPDATE_TIME only"
        },
    )
    columns = _req(ma.fields.List, ma.fields.Nested(ColumnSchema))
    primary_key = ma.fields.Nested(PrimaryKeySchema, allow_none=True)
    foreign_keys = ma.fields.List(ma.fields.Nested(ForeignKeySchema))
    indexes = ma.fields.List(ma.fields.Nested(IndexSchema))
    constraints = ma.fields.List(ma.fields.Nested(ConstraintSchema))
    definition = ma.fields.String(
        metadata={
            "description": "Views and materialized views: their SQL as the engine prints it (PostgreSQL: "
            "pg_get_viewdef; MySQL/MariaDB: information_schema.VIEWS.VIEW_DEFINITION)"
        }
    )
    depends_on = ma.fields.List(
        ma.fields.Nested(RelationRefSchema),
        metadata={
            "description": "Views: the relations their SQL reads (PostgreSQL: pg_depend of the view's rewrite "
            "rule; MySQL 8: VIEW_TABLE_USAGE); absent where the engine cannot say"
        },
    )
    partition = ma.fields.Nested(
        PartitioningSchema, metadata={"description": "A partitioned table: how it is partitioned"}
    )
    partition_of = ma.fields.Nested(
        RelationRefSchema, metadata={"description": "A partition (PostgreSQL): its parent table"}
    )
    bounds = ma.fields.String(
        metadata={"description": "A partition (PostgreSQL): its bounds, pg_get_expr(relpartbound)"}
    )
    partition_count = ma.fields.Integer(
        metadata={"description": "Schema pages and table detail, partitioned tables only: how many partitions it has"}
    )
    referenced_by = ma.fields.List(
        ma.fields.Nested(ReferenceSchema),
        metadata={
            "description": "Table detail only: the foreign keys of the source's tables that reference this "
            "one, ordered by referencing schema, table and key"
        },
    )
    first_seen_at = _req(Timestamp)
    crawled_at = _req(
        Timestamp,
        metadata={"description": "The last crawl that confirmed this table (its source's last success)"},
    )
    changed_at = _req(Timestamp, metadata={"description": "When its definition last changed"})
    table_id = _req(ma.fields.Integer, metadata={"description": "The table's catalog id"})
    url = _req(
        ma.fields.String,
        metadata={"description": "The table by id, `/api/v1/tables/{table_id}`: one URL whatever its names hold"},
    )


class ActiveCrawlSchema(ma.Schema):
    id = ma.fields.Integer()
    state = ma.fields.String()
    url = ma.fields.String()


class SchemaPageSchema(ma.Schema):
    source_id = _req(ma.fields.Integer)
    last_crawled_at = _req(
        Timestamp, allow_none=True, metadata={"description": "The last successful crawl; null: never"}
    )
    crawl_state = _req(
        ma.fields.String, allow_none=True, metadata={"description": "State of the active, else the last, crawl"}
    )
    crawl = _req(
        ma.fields.Nested,
        ActiveCrawlSchema,
        allow_none=True,
        metadata={"description": "The active crawl, when one is queued or running."},
    )
    tables = _req(ma.fields.List, ma.fields.Nested(TableSchema))
    next_cursor = _req(ma.fields.String, allow_none=True)


class ExportSchema(ma.Schema):
    """format=json: the source, then every live table (streamed)."""

    source_id = _req(ma.fields.Integer)
    name = _req(ma.fields.String)
    engine = _req(ma.fields.String)
    last_crawled_at = _req(Timestamp, allow_none=True)
    tables = _req(ma.fields.List, ma.fields.Nested(TableSchema))


class EnumSchema(ma.Schema):
    kind = _req(
        ma.fields.String,
        metadata={
            "description": "enum (a PostgreSQL enum type, or a MySQL/MariaDB enum column) or set (MySQL/MariaDB)"
        },
    )
    schema = _req(ma.fields.String, metadata={"description": "The type's schema (MySQL/MariaDB: the table's database)"})
    name = _req(
        ma.fields.String,
        metadata={"description": "The type's name; MySQL/MariaDB: the column's type as printed, enum('a','b')"},
    )
    values = _req(ma.fields.List, ma.fields.String(), metadata={"description": "In declaration order"})
    table = _req(ma.fields.String, allow_none=True, metadata={"description": "MySQL/MariaDB: the table of the column"})
    column = _req(ma.fields.String, allow_none=True, metadata={"description": "MySQL/MariaDB: the column"})


class EnumListSchema(ma.Schema):
    source_id = _req(ma.fields.Integer)
    last_crawled_at = _req(ma.fields.DateTime, allow_none=True)
    enums = _req(ma.fields.List, ma.fields.Nested(EnumSchema))


class SearchHitSchema(ma.Schema):
    kind = ma.fields.String()
    source_id = ma.fields.Integer()
    source_name = ma.fields.String(metadata={"description": "the name of the source the hit is in"})
    schema = ma.fields.String()
    table = ma.fields.String()
    column = ma.fields.String(allow_none=True)
    type = ma.fields.String(allow_none=True)
    comment = ma.fields.String(allow_none=True)
    score = ma.fields.Float()
    match = ma.fields.String(metadata={"description": "exact, prefix, substring, comment or near"})
    crawled_at = Timestamp()
    table_id = ma.fields.Integer(metadata={"description": "the table's catalog id"})
    url = ma.fields.String(metadata={"description": "the table's URL by id, `/api/v1/tables/{table_id}`"})


class SearchResultSchema(ma.Schema):
    query = ma.fields.String()
    results = ma.fields.List(ma.fields.Nested(SearchHitSchema))
