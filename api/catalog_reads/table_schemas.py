"""The table document: what every read of a table answers (schema pages,
table detail, exports), part by part. flask-smorest names each schema in the
OpenAPI document by its class name."""

import copy

import marshmallow as ma

from ..timestamps import Timestamp
from .statistics_schemas import ColumnStatisticsSchema, SensitiveMarkSchema, TableStatisticsSchema
from .usage_schemas import UsageSchema

KINDS = ("table", "view", "materialized_view", "partitioned_table", "foreign_table")
# engines.base.ROW_ESTIMATE_SOURCES
ROW_ESTIMATE_SOURCES = ("statistics", "never_analyzed", "not_applicable")


class DocumentSchema(ma.Schema):
    """A part of a table document. Documents are built by PostgreSQL from what
    the crawl stored; fields may be added (by an engine, a later version), never
    renamed, so a reader must accept fields it does not know."""

    class Meta:
        unknown = ma.INCLUDE


def req(field_cls, *args, **kw):
    """A field every answer holds."""
    return field_cls(*args, required=True, **kw)


def answered(*optional: str):
    """Class decorator for a response schema: every field is required (each
    answer holds it) but those named in `optional`. Inherited fields are
    copied first, so the parent schema keeps its own."""

    def mark(cls):
        for name, field in list(cls._declared_fields.items()):
            if name not in optional and not field.required:
                cls._declared_fields[name] = field = copy.copy(field)
                field.required = True
        return cls

    return mark


_names = ma.fields.List(ma.fields.String())


class TagRefSchema(ma.Schema):
    name = ma.fields.String(metadata={"description": "lowercase-words"})
    colour = ma.fields.String(
        allow_none=True, metadata={"description": "#rrggbb from the team's tag list; null once dropped from it"}
    )


class OwnerRefSchema(ma.Schema):
    kind = ma.fields.String(validate=ma.validate.OneOf(("user", "team")))
    id = ma.fields.Integer()
    name = ma.fields.String(metadata={"description": "A user's email, a team's name"})


class UserRefSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String(allow_none=True)


class CurationViewSchema(ma.Schema):
    """What a team wrote about an object, shown before the database's comment."""

    description = ma.fields.String(allow_none=True, metadata={"description": "Markdown, as written"})
    description_html = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "The description rendered: CommonMark without raw HTML (it prints as text), "
            "links and images only to http, https and mailto"
        },
    )
    tags = ma.fields.List(ma.fields.Nested(TagRefSchema))
    owners = ma.fields.List(ma.fields.Nested(OwnerRefSchema))
    comment = ma.fields.String(allow_none=True, metadata={"description": "The database's own comment, as crawled"})
    orphaned = ma.fields.Boolean(
        metadata={
            "description": "The object is gone from the catalog (table removed, column absent, schema empty); "
            "the curation waits and shows again when it returns"
        }
    )
    updated_at = ma.fields.String(allow_none=True, metadata={"format": "date-time"})
    updated_by = ma.fields.Nested(UserRefSchema, allow_none=True)


class ColumnSchema(DocumentSchema):
    name = req(ma.fields.String)
    ordinal = req(ma.fields.Integer)
    type = req(ma.fields.String, metadata={"description": "As the engine prints it: character varying(50), int(11)"})
    nullable = req(ma.fields.Boolean)
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
    charset = ma.fields.String(
        metadata={"description": "MySQL/MariaDB: the column's character set, only when not its table's default"}
    )
    collation = ma.fields.String(
        metadata={
            "description": "The column's collation, present only when not the default (PostgreSQL: its type's, "
            'schema-qualified outside pg_catalog: public."de-x-icu"; MySQL/MariaDB: its table\'s)'
        }
    )
    generated_storage = ma.fields.String(
        validate=ma.validate.OneOf(("virtual", "stored")),
        metadata={"description": "A MySQL/MariaDB generated column: VIRTUAL (computed when read) or STORED"},
    )
    invisible = ma.fields.Boolean(
        metadata={"description": "MySQL/MariaDB: true for an INVISIBLE column (SELECT * leaves it out); else absent"}
    )
    enum_values = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "Table detail only, a column whose type is an enum: its values (a PostgreSQL enum "
            "type of the source; MySQL/MariaDB: the values of its enum(...) or set(...) type)"
        },
    )
    curation = ma.fields.Nested(
        CurationViewSchema,
        allow_none=True,
        metadata={"description": "Table detail only: the column's curation, null when nobody curated it"},
    )
    statistics = ma.fields.Nested(
        ColumnStatisticsSchema,
        allow_none=True,
        metadata={"description": "Table detail only: the column's statistics, null when the engine keeps none"},
    )
    sensitive = ma.fields.Nested(
        SensitiveMarkSchema,
        allow_none=True,
        metadata={"description": "Table detail only: the suggestion that the column is sensitive, null when none"},
    )


class PrimaryKeySchema(DocumentSchema):
    name = ma.fields.String(allow_none=True)
    columns = req(ma.fields.List, ma.fields.String())


class ForeignKeySchema(DocumentSchema):
    name = req(ma.fields.String)
    columns = req(ma.fields.List, ma.fields.String())
    referenced_schema = req(ma.fields.String)
    referenced_table = req(ma.fields.String)
    referenced_columns = req(ma.fields.List, ma.fields.String())
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

    schema = req(ma.fields.String, metadata={"description": "Schema of the referencing table"})
    table = req(ma.fields.String, metadata={"description": "The referencing table"})
    name = req(ma.fields.String, metadata={"description": "The key's name"})
    columns = req(ma.fields.List, ma.fields.String(), metadata={"description": "The referencing columns"})
    referenced_columns = req(ma.fields.List, ma.fields.String(), metadata={"description": "This table's columns"})
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
            "its type's default), schema-qualified when not in pg_catalog; null otherwise"
        },
    )
    opclass = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "PostgreSQL: the operator class (text_pattern_ops) when it is not the type's default, "
            "schema-qualified when not in pg_catalog (public.gin_trgm_ops)"
        },
    )


class IndexSchema(DocumentSchema):
    name = req(ma.fields.String)
    columns = req(
        ma.fields.List, ma.fields.String(), metadata={"description": "Column names; an expression is its SQL text"}
    )
    unique = req(ma.fields.Boolean)
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
    name = req(ma.fields.String)
    type = req(ma.fields.String, metadata={"description": "unique, check or exclusion"})
    columns = req(ma.fields.List, ma.fields.String())
    definition = ma.fields.String(allow_none=True)


class RelationRefSchema(DocumentSchema):
    schema = req(ma.fields.String)
    table = req(ma.fields.String)


class PartitioningSchema(DocumentSchema):
    strategy = req(
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
    bounds = ma.fields.List(
        ma.fields.Nested("PartitionBoundsSchema"),
        metadata={
            "description": "MySQL/MariaDB RANGE and LIST partitioning: each partition's bounds, in order "
            "(PostgreSQL's partitions are tables, each with its own `bounds`)"
        },
    )


class PartitionBoundsSchema(DocumentSchema):
    name = req(ma.fields.String, metadata={"description": "The partition"})
    bounds = req(
        ma.fields.String,
        metadata={"description": "As CREATE TABLE writes them: VALUES LESS THAN (10), VALUES IN (1,2)"},
    )


class ViewOptionsSchema(DocumentSchema):
    algorithm = ma.fields.String(metadata={"description": "MariaDB: ALGORITHM (UNDEFINED, MERGE, TEMPTABLE)"})
    security = ma.fields.String(metadata={"description": "SQL SECURITY: DEFINER or INVOKER"})
    definer = ma.fields.String(
        metadata={"description": "DEFINER, the account the view runs as with SQL SECURITY DEFINER"}
    )
    check_option = ma.fields.String(
        metadata={
            "description": "WITH CHECK OPTION: MySQL/MariaDB NONE, CASCADED or LOCAL; "
            "PostgreSQL local or cascaded (absent without)"
        }
    )
    security_barrier = ma.fields.Boolean(metadata={"description": "PostgreSQL: true for a security_barrier view"})
    security_invoker = ma.fields.Boolean(metadata={"description": "PostgreSQL: true for a security_invoker view"})


class ActivitySchema(DocumentSchema):
    """A table's usage statistics, read by every crawl apart from its definition."""

    read_at = req(
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
    next_auto_increment = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "MySQL/MariaDB: the next AUTO_INCREMENT value (TABLES.AUTO_INCREMENT) of a table with "
            "an auto_increment column; it moves with inserts, so it is read beside the definition, never a change"
        },
    )


class TableSchema(DocumentSchema):
    schema = req(ma.fields.String, metadata={"description": "Schema name (MySQL/MariaDB: the database)"})
    name = req(ma.fields.String)
    kind = req(ma.fields.String, metadata={"description": ", ".join(KINDS)})
    comment = ma.fields.String(allow_none=True)
    curation = ma.fields.Nested(
        CurationViewSchema,
        allow_none=True,
        metadata={
            "description": "What the team wrote about the table, null when nobody did: in table detail the "
            "whole curation; in schema pages and exports only its description and tags"
        },
    )
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
            "pg_stat_user_tables (a partitioned table: its leaf partitions' row counts summed, its times null); "
            "MySQL/MariaDB: UPDATE_TIME only"
        },
    )
    usage = ma.fields.Nested(
        UsageSchema,
        allow_none=True,
        metadata={
            "description": "Table detail only: how much the table and its indexes are used, and the statements "
            "that name it: counters since the target's reset and their growth between the last two crawls, "
            "never part of the definition. PostgreSQL only (MySQL/MariaDB keep no such counters without userstat "
            "or performance_schema, which metacrawl does not read): null there, for views, and before a crawl "
            "read any"
        },
    )
    statistics = ma.fields.Nested(
        TableStatisticsSchema,
        metadata={"description": "Table detail only: whether statistics' values may be shown, the estimate's age"},
    )
    columns = req(ma.fields.List, ma.fields.Nested(ColumnSchema))
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
    lineage = ma.fields.Nested(
        "ViewLineageSchema",
        metadata={
            "description": "Views and materialized views: each output column's source columns and every "
            "column read (`GET /tables/{id}/lineage` adds what reads this table's columns)"
        },
    )
    partition = ma.fields.Nested(
        PartitioningSchema, metadata={"description": "A partitioned table: how it is partitioned"}
    )
    engine = ma.fields.String(
        metadata={"description": "MySQL/MariaDB tables: the storage engine (InnoDB, MyISAM, Aria...)"}
    )
    collation = ma.fields.String(
        metadata={
            "description": "MySQL/MariaDB tables: the table's default collation (its character set is its first word)"
        }
    )
    view_options = ma.fields.Nested(
        ViewOptionsSchema,
        metadata={
            "description": "A view's options. MySQL/MariaDB: ALGORITHM, SQL SECURITY, DEFINER, CHECK OPTION; "
            "PostgreSQL: check_option, security_barrier, security_invoker, those it has ({} for none)"
        },
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
    first_seen_at = req(Timestamp)
    crawled_at = req(
        Timestamp,
        metadata={"description": "The last crawl that confirmed this table (its source's last success)"},
    )
    changed_at = req(Timestamp, metadata={"description": "When its definition last changed"})
    table_id = req(ma.fields.Integer, metadata={"description": "The table's catalog id"})
    url = req(
        ma.fields.String,
        metadata={"description": "The table by id, `/api/v1/tables/{table_id}`: one URL whatever its names hold"},
    )
