import marshmallow as ma

from ..pagination import PageArgs
from ..timestamps import Timestamp

KINDS = ("table", "view", "materialized_view", "partitioned_table", "foreign_table")
# engines.base.ROW_ESTIMATE_SOURCES
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
    kind = ma.fields.String(
        validate=ma.validate.OneOf(("table", "column", "routine", "sequence", "trigger")),
        metadata={
            "description": "table or column (without kind: both); routine, sequence or trigger searches those "
            "instead, by name (and a routine's comment), with the same tiers."
        },
    )
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
    on_update = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "MySQL/MariaDB: the column's ON UPDATE expression (current_timestamp()); null "
            "elsewhere, absent in definitions crawled before it was reported"
        },
    )
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


class IndexPartSchema(DocumentSchema):
    column = ma.fields.String(allow_none=True, metadata={"description": "Column name; null for an expression"})
    expression = ma.fields.String(
        allow_none=True, metadata={"description": "SQL text of an expression element; null for a column"}
    )
    prefix_length = ma.fields.Integer(
        allow_none=True, metadata={"description": "MySQL/MariaDB: leading characters (bytes) indexed (SUB_PART)"}
    )
    direction = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "asc or desc; null where the index keeps no order (GIN, GiST, hash, FULLTEXT, SPATIAL)"
        },
    )
    nulls = ma.fields.String(
        allow_none=True, metadata={"description": "PostgreSQL ordered indexes: first or last; null elsewhere"}
    )
    collation = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "PostgreSQL: the collation when it is not the column's own (for an expression: not "
            "its type's default); null otherwise"
        },
    )
    opclass = ma.fields.String(
        allow_none=True,
        metadata={"description": "PostgreSQL: the operator class (text_pattern_ops) when it is not the type's default"},
    )


class IndexSchema(DocumentSchema):
    name = _req(ma.fields.String)
    columns = _req(
        ma.fields.List, ma.fields.String(), metadata={"description": "Column names; an expression is its SQL text"}
    )
    unique = _req(ma.fields.Boolean)
    method = ma.fields.String(allow_none=True)
    definition = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "SQL that creates the index, valid for the engine (PostgreSQL: pg_get_indexdef; "
            "MySQL/MariaDB: built, CREATE INDEX or ALTER TABLE ... ADD PRIMARY KEY)"
        },
    )
    predicate = ma.fields.String(allow_none=True, metadata={"description": "WHERE clause of a partial index"})
    parts = ma.fields.List(
        ma.fields.Nested(IndexPartSchema),
        allow_none=True,
        metadata={
            "description": "PostgreSQL and MySQL/MariaDB: the key elements in order, with direction, prefix "
            "length, collation and operator class; null for other engines, absent in definitions crawled "
            "before they were reported"
        },
    )


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

    read_at = _req(
        Timestamp,
        metadata={
            "description": "When a crawl last read these figures from the target (the source's last successful crawl)"
        },
    )
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
    triggers = ma.fields.List(
        ma.fields.Nested("TableTriggerSchema"),
        metadata={"description": "Table detail only: the triggers on this table, by name"},
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
    sequences = _req(ma.fields.List, ma.fields.Nested("SequenceSchema"), metadata={"description": "After the tables"})
    triggers = _req(ma.fields.List, ma.fields.Nested("TriggerSchema"), metadata={"description": "After the sequences"})
    routines = _req(
        ma.fields.List,
        ma.fields.Nested("RoutineSchema"),
        metadata={"description": "After the triggers; without bodies (read them with GET .../routines?body=true)"},
    )


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
    kind = ma.fields.String(metadata={"description": "table, column, routine, sequence or trigger"})
    object_kind = ma.fields.String(
        metadata={
            "description": "routine, sequence and trigger hits: function, procedure, aggregate, window, "
            "sequence or trigger"
        }  # fmt: skip
    )
    source_id = ma.fields.Integer()
    source_name = ma.fields.String(metadata={"description": "the name of the source the hit is in"})
    schema = ma.fields.String()
    table = ma.fields.String(
        allow_none=True, metadata={"description": "the table; a trigger's table; null for a routine or sequence"}
    )
    name = ma.fields.String(metadata={"description": "routine, sequence and trigger hits: the object's name"})
    arguments = ma.fields.String(
        allow_none=True, metadata={"description": "routine hits: its arguments (which tell overloads apart)"}
    )
    column = ma.fields.String(allow_none=True)
    type = ma.fields.String(allow_none=True)
    comment = ma.fields.String(allow_none=True)
    score = ma.fields.Float()
    match = ma.fields.String(metadata={"description": "exact, prefix, substring, comment or near"})
    crawled_at = Timestamp()
    table_id = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "the table's catalog id (a trigger's table's); null for a routine or sequence"
        },  # fmt: skip
    )
    url = ma.fields.String(
        metadata={
            "description": "the table's URL by id, `/api/v1/tables/{table_id}` (a trigger: its table's, whose "
            "detail lists its triggers); a routine or sequence: its source's list filtered to it, "
            "`/api/v1/sources/{id}/routines?schema=&q=`"
        }
    )


class SearchResultSchema(ma.Schema):
    query = ma.fields.String()
    results = ma.fields.List(ma.fields.Nested(SearchHitSchema))


# --- sequences, triggers, routines ---------------------------------------------


class ObjectArgs(PageArgs):
    schema = _text(255, metadata={"description": "Only this schema (MySQL: database)."})
    q = _text(255, metadata={"description": "Name substring, case-insensitive; % and _ match literally."})


class TriggerArgs(ObjectArgs):
    table = _text(
        511,
        metadata={
            "description": "Only the triggers of this table: `schema.name` (split at the first '.'), or its bare "
            "name when `schema` is given."
        },
    )


class RoutineArgs(ObjectArgs):
    kind = ma.fields.String(
        validate=ma.validate.OneOf(("function", "procedure", "aggregate", "window")),
        metadata={"description": "Only routines of this kind."},
    )
    body = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Also answer each routine's body (bodies can be large, so only on request)."},
    )


class OwnerColumnSchema(ma.Schema):
    schema = _req(ma.fields.String)
    table = _req(ma.fields.String)
    column = _req(ma.fields.String)


def _big(description: str):
    return _req(ma.fields.Integer, allow_none=True, metadata={"description": description})


class SequenceSchema(ma.Schema):
    schema = _req(ma.fields.String, metadata={"description": "Its schema (MySQL/MariaDB: database)"})
    name = _req(ma.fields.String)
    data_type = _req(ma.fields.String, allow_none=True, metadata={"description": "bigint, integer, smallint"})
    start = _big("The start value; null where the engine's attributes could not be read (MariaDB, no SELECT)")
    increment = _big("The increment; null as `start`")
    min_value = _big("The minimum value; null as `start`")
    max_value = _big("The maximum value; null as `start`")
    cycle = _req(ma.fields.Boolean, allow_none=True, metadata={"description": "Whether it wraps round at its limit"})
    owned_by = _req(
        ma.fields.Nested,
        OwnerColumnSchema,
        allow_none=True,
        metadata={"description": "PostgreSQL: the column it belongs to (serial OWNED BY, or an identity column)"},
    )


class TriggerSchema(ma.Schema):
    schema = _req(ma.fields.String, metadata={"description": "Its table's schema (MySQL/MariaDB: database)"})
    table = _req(ma.fields.String, metadata={"description": "The table (or view) it is on"})
    name = _req(ma.fields.String)
    timing = _req(ma.fields.String, metadata={"description": "BEFORE, AFTER or INSTEAD OF"})
    events = _req(
        ma.fields.List,
        ma.fields.String(),
        metadata={"description": "Of INSERT, UPDATE, DELETE, TRUNCATE, in that order"},
    )
    level = _req(ma.fields.String, metadata={"description": "row or statement"})
    function = _req(
        ma.fields.String,
        allow_none=True,
        metadata={
            "description": "PostgreSQL: the trigger function, schema.name; MySQL/MariaDB: null (the body is "
            "the definition)"
        },  # fmt: skip
    )
    enabled = _req(ma.fields.Boolean, metadata={"description": "PostgreSQL: false when DISABLEd; MySQL: always true"})
    definition = _req(
        ma.fields.String,
        metadata={"description": "PostgreSQL: pg_get_triggerdef; MySQL/MariaDB: the action statement"},
    )


class TableTriggerSchema(TriggerSchema):
    class Meta:
        exclude = ("schema", "table")


class RoutineSchema(ma.Schema):
    schema = _req(ma.fields.String, metadata={"description": "Its schema (MySQL/MariaDB: database)"})
    name = _req(ma.fields.String)
    kind = _req(ma.fields.String, metadata={"description": "function, procedure, aggregate or window (PostgreSQL)"})
    arguments = _req(
        ma.fields.String,
        metadata={
            "description": "As the engine prints them: PostgreSQL pg_get_function_identity_arguments (which tells "
            "overloads apart); MySQL/MariaDB the parameters, with IN/OUT/INOUT for procedures"
        },
    )
    return_type = _req(ma.fields.String, allow_none=True, metadata={"description": "Functions: the result type"})
    language = _req(ma.fields.String, allow_none=True, metadata={"description": "sql, plpgsql, c...; MySQL: SQL"})
    volatility = _req(
        ma.fields.String,
        allow_none=True,
        metadata={
            "description": "PostgreSQL: immutable, stable or volatile; MySQL/MariaDB: deterministic or "
            "not deterministic"
        },  # fmt: skip
    )
    comment = _req(ma.fields.String, allow_none=True)
    body = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Only with body=true. PostgreSQL: the CREATE statement as pg_get_functiondef prints "
            "it (null for aggregates); MySQL/MariaDB: ROUTINE_DEFINITION (null without the privilege to see it)"
        },
    )


class _ObjectListSchema(ma.Schema):
    source_id = _req(ma.fields.Integer)
    last_crawled_at = _req(
        Timestamp, allow_none=True, metadata={"description": "The crawl these come from; null: never crawled"}
    )
    next_cursor = _req(
        ma.fields.String, allow_none=True, metadata={"description": "The next page's cursor; null: last"}
    )


class SequenceListSchema(_ObjectListSchema):
    sequences = _req(ma.fields.List, ma.fields.Nested(SequenceSchema))


class TriggerListSchema(_ObjectListSchema):
    triggers = _req(ma.fields.List, ma.fields.Nested(TriggerSchema))


class RoutineListSchema(_ObjectListSchema):
    routines = _req(ma.fields.List, ma.fields.Nested(RoutineSchema))
