import marshmallow as ma

from ..pagination import PageArgs
from ..timestamps import Timestamp
from .table_schemas import KINDS, CurationViewSchema, TableSchema, TagRefSchema, req


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
            "characters match names exactly or by prefix only. Curated descriptions are searched too. "
            "Filters combine with the text and each other: `tag:pii` (curated tag), `owner:alice` (an "
            "owner's email, its part before @, or an owning team's name), `team:finance` (sources of that "
            "team); e.g. `tag:pii owner:alice email`."
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


EXPORT_FORMATS = ("json", "ndjson", "markdown", "dbml", "plantuml", "mermaid", "dot", "dbt")


class ExportArgs(ma.Schema):
    format = ma.fields.String(
        load_default="json",
        validate=ma.validate.OneOf(EXPORT_FORMATS),
        metadata={
            "description": "json, ndjson (a table per line), markdown, dbml, plantuml (IE entity diagram), "
            "mermaid (erDiagram), dot (Graphviz) or dbt (a dbt `sources.yml`: a source per schema)."
        },
    )
    schema = _text(255, metadata={"description": "Only this schema (MySQL: database)."})


class ExportPathArgs(ma.Schema):
    schema = _text(255, metadata={"description": "Only this schema (MySQL: database)."})


class ActiveCrawlSchema(ma.Schema):
    id = ma.fields.Integer()
    state = ma.fields.String()
    url = ma.fields.String()


class SchemaPageSchema(ma.Schema):
    source_id = req(ma.fields.Integer)
    last_crawled_at = req(
        Timestamp, allow_none=True, metadata={"description": "The last successful crawl; null: never"}
    )
    crawl_state = req(
        ma.fields.String, allow_none=True, metadata={"description": "State of the active, else the last, crawl"}
    )
    crawl = req(
        ma.fields.Nested,
        ActiveCrawlSchema,
        allow_none=True,
        metadata={"description": "The active crawl, when one is queued or running."},
    )
    tables = req(ma.fields.List, ma.fields.Nested(TableSchema))
    next_cursor = req(ma.fields.String, allow_none=True)
    schema_comment = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "With `schema`: that schema's comment (PostgreSQL's COMMENT ON SCHEMA) as the last "
            "crawl read it; null without one"
        },
    )


class ExportCurationSchema(ma.Schema):
    source = req(ma.fields.Nested, CurationViewSchema, allow_none=True)
    schemas = req(
        ma.fields.Dict,
        keys=ma.fields.String(),
        values=ma.fields.Nested(CurationViewSchema),
        metadata={"description": "The curated schemas (only the exported one), by name"},
    )


class ExportSchema(ma.Schema):
    """format=json: the source, then every live table (streamed)."""

    source_id = req(ma.fields.Integer)
    name = req(ma.fields.String)
    engine = req(ma.fields.String)
    last_crawled_at = req(Timestamp, allow_none=True)
    curation = req(
        ma.fields.Nested,
        ExportCurationSchema,
        metadata={
            "description": "What the team curated about the source and its schemas; tables and columns "
            "carry their own (`curation`)"
        },
    )
    tables = req(ma.fields.List, ma.fields.Nested(TableSchema))
    sequences = req(ma.fields.List, ma.fields.Nested("SequenceSchema"), metadata={"description": "After the tables"})
    triggers = req(ma.fields.List, ma.fields.Nested("TriggerSchema"), metadata={"description": "After the sequences"})
    routines = req(
        ma.fields.List,
        ma.fields.Nested("RoutineSchema"),
        metadata={"description": "After the triggers; without bodies (read them with GET .../routines?body=true)"},
    )


class EnumSchema(ma.Schema):
    kind = req(
        ma.fields.String,
        metadata={
            "description": "enum (a PostgreSQL enum type, or a MySQL/MariaDB enum column) or set (MySQL/MariaDB)"
        },
    )
    schema = req(ma.fields.String, metadata={"description": "The type's schema (MySQL/MariaDB: the table's database)"})
    name = req(
        ma.fields.String,
        metadata={"description": "The type's name; MySQL/MariaDB: the column's type as printed, enum('a','b')"},
    )
    values = req(ma.fields.List, ma.fields.String(), metadata={"description": "In declaration order"})
    table = req(ma.fields.String, allow_none=True, metadata={"description": "MySQL/MariaDB: the table of the column"})
    column = req(ma.fields.String, allow_none=True, metadata={"description": "MySQL/MariaDB: the column"})
    comment = req(
        ma.fields.String, allow_none=True, metadata={"description": "PostgreSQL: the type's comment (COMMENT ON TYPE)"}
    )


class EnumListSchema(ma.Schema):
    source_id = req(ma.fields.Integer)
    last_crawled_at = req(ma.fields.DateTime, allow_none=True)
    enums = req(ma.fields.List, ma.fields.Nested(EnumSchema))


class SearchHitSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "table, column, routine, sequence or trigger"}, required=True)
    object_kind = ma.fields.String(
        metadata={
            "description": "routine, sequence and trigger hits: function, procedure, aggregate, window, "
            "sequence or trigger"
        }  # fmt: skip
    )
    source_id = ma.fields.Integer(required=True)
    source_name = ma.fields.String(metadata={"description": "the name of the source the hit is in"}, required=True)
    schema = ma.fields.String(required=True)
    table = ma.fields.String(
        allow_none=True,
        metadata={"description": "the table; a trigger's table; null for a routine or sequence"},
        required=True,
    )
    name = ma.fields.String(metadata={"description": "routine, sequence and trigger hits: the object's name"})
    arguments = ma.fields.String(
        allow_none=True, metadata={"description": "routine hits: its arguments (which tell overloads apart)"}
    )
    column = ma.fields.String(allow_none=True, required=True)
    type = ma.fields.String(allow_none=True, required=True)
    comment = ma.fields.String(allow_none=True, required=True)
    score = ma.fields.Float(required=True)
    match = ma.fields.String(
        metadata={"description": "exact, prefix, substring, comment, description (a curated one) or near"},
        required=True,
    )
    description = ma.fields.String(
        allow_none=True, metadata={"description": "table and column hits: the curated description (a snippet)"}
    )
    tags = ma.fields.List(
        ma.fields.Nested(TagRefSchema), metadata={"description": "table and column hits: the curated tags"}
    )
    crawled_at = Timestamp(required=True)
    table_id = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "the table's catalog id (a trigger's table's); null for a routine or sequence"
        },  # fmt: skip,
        required=True,
    )
    url = ma.fields.String(
        metadata={
            "description": "the table's URL by id, `/api/v1/tables/{table_id}` (a trigger: its table's, whose "
            "detail lists its triggers); a routine or sequence: its source's list filtered to it, "
            "`/api/v1/sources/{id}/routines?schema=&q=`"
        },
        required=True,
    )


class SearchResultSchema(ma.Schema):
    query = ma.fields.String(required=True)
    results = ma.fields.List(ma.fields.Nested(SearchHitSchema), required=True)


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
    schema = req(ma.fields.String)
    table = req(ma.fields.String)
    column = req(ma.fields.String)


def _big(description: str):
    return req(ma.fields.Integer, allow_none=True, metadata={"description": description})


class SequenceSchema(ma.Schema):
    schema = req(ma.fields.String, metadata={"description": "Its schema (MySQL/MariaDB: database)"})
    name = req(ma.fields.String)
    data_type = req(ma.fields.String, allow_none=True, metadata={"description": "bigint, integer, smallint"})
    start = _big("The start value; null where the engine's attributes could not be read (MariaDB, no SELECT)")
    increment = _big("The increment; null as `start`")
    min_value = _big("The minimum value; null as `start`")
    max_value = _big("The maximum value; null as `start`")
    cycle = req(ma.fields.Boolean, allow_none=True, metadata={"description": "Whether it wraps round at its limit"})
    owned_by = req(
        ma.fields.Nested,
        OwnerColumnSchema,
        allow_none=True,
        metadata={"description": "PostgreSQL: the column it belongs to (serial OWNED BY, or an identity column)"},
    )


class TriggerSchema(ma.Schema):
    schema = req(ma.fields.String, metadata={"description": "Its table's schema (MySQL/MariaDB: database)"})
    table = req(ma.fields.String, metadata={"description": "The table (or view) it is on"})
    name = req(ma.fields.String)
    timing = req(ma.fields.String, metadata={"description": "BEFORE, AFTER or INSTEAD OF"})
    events = req(
        ma.fields.List,
        ma.fields.String(),
        metadata={"description": "Of INSERT, UPDATE, DELETE, TRUNCATE, in that order"},
    )
    level = req(ma.fields.String, metadata={"description": "row or statement"})
    function = req(
        ma.fields.String,
        allow_none=True,
        metadata={
            "description": "PostgreSQL: the trigger function, schema.name; MySQL/MariaDB: null (the body is "
            "the definition)"
        },  # fmt: skip
    )
    enabled = req(ma.fields.Boolean, metadata={"description": "PostgreSQL: false when DISABLEd; MySQL: always true"})
    definition = req(
        ma.fields.String,
        metadata={"description": "PostgreSQL: pg_get_triggerdef; MySQL/MariaDB: the action statement"},
    )


class TableTriggerSchema(TriggerSchema):
    class Meta:
        exclude = ("schema", "table")


class RoutineSchema(ma.Schema):
    schema = req(ma.fields.String, metadata={"description": "Its schema (MySQL/MariaDB: database)"})
    name = req(ma.fields.String)
    kind = req(ma.fields.String, metadata={"description": "function, procedure, aggregate or window (PostgreSQL)"})
    arguments = req(
        ma.fields.String,
        metadata={
            "description": "As the engine prints them: PostgreSQL pg_get_function_identity_arguments (which tells "
            "overloads apart); MySQL/MariaDB the parameters, with IN/OUT/INOUT for procedures"
        },
    )
    return_type = req(ma.fields.String, allow_none=True, metadata={"description": "Functions: the result type"})
    language = req(ma.fields.String, allow_none=True, metadata={"description": "sql, plpgsql, c...; MySQL: SQL"})
    volatility = req(
        ma.fields.String,
        allow_none=True,
        metadata={
            "description": "PostgreSQL: immutable, stable or volatile; MySQL/MariaDB: deterministic or "
            "not deterministic"
        },  # fmt: skip
    )
    comment = req(ma.fields.String, allow_none=True)
    body = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Only with body=true. PostgreSQL: the CREATE statement as pg_get_functiondef prints "
            "it (null for aggregates); MySQL/MariaDB: ROUTINE_DEFINITION (null without the privilege to see it)"
        },
    )
    data_access = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "MySQL/MariaDB: SQL DATA ACCESS (CONTAINS SQL, NO SQL, READS SQL DATA, MODIFIES SQL "
            "DATA); null elsewhere, absent in routines crawled before it was reported"
        },
    )
    security = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "MySQL/MariaDB: SQL SECURITY, DEFINER or INVOKER; null elsewhere, absent in routines "
            "crawled before it was reported"
        },
    )


class _ObjectListSchema(ma.Schema):
    source_id = req(ma.fields.Integer)
    last_crawled_at = req(
        Timestamp, allow_none=True, metadata={"description": "The crawl these come from; null: never crawled"}
    )
    next_cursor = req(ma.fields.String, allow_none=True, metadata={"description": "The next page's cursor; null: last"})


class SequenceListSchema(_ObjectListSchema):
    sequences = req(ma.fields.List, ma.fields.Nested(SequenceSchema))


class TriggerListSchema(_ObjectListSchema):
    triggers = req(ma.fields.List, ma.fields.Nested(TriggerSchema))


class RoutineListSchema(_ObjectListSchema):
    routines = req(ma.fields.List, ma.fields.Nested(RoutineSchema))


# --- extensions, domains, collations, text-search configurations, schemas ------


class ExtensionSchema(ma.Schema):
    schema = req(ma.fields.String, metadata={"description": "The schema it installed its objects in"})
    name = req(ma.fields.String)
    version = req(ma.fields.String, metadata={"description": "The installed version (pg_extension.extversion)"})
    comment = req(ma.fields.String, allow_none=True)


class DomainCheckSchema(ma.Schema):
    name = req(ma.fields.String)
    definition = req(ma.fields.String, metadata={"description": "As pg_get_constraintdef prints it: CHECK (...)"})


class DomainSchema(ma.Schema):
    schema = req(ma.fields.String)
    name = req(ma.fields.String, metadata={"description": "The name a column of this type shows as its type"})
    base_type = req(ma.fields.String, metadata={"description": "As format_type prints it: numeric(10,2)"})
    default = req(ma.fields.String, allow_none=True)
    not_null = req(ma.fields.Boolean)
    checks = req(ma.fields.List, ma.fields.Nested(DomainCheckSchema), metadata={"description": "By name"})
    collation = req(
        ma.fields.String, allow_none=True, metadata={"description": "Only when not its base type's default"}
    )
    comment = req(ma.fields.String, allow_none=True)


class CollationSchema(ma.Schema):
    schema = req(ma.fields.String)
    name = req(ma.fields.String)
    provider = req(ma.fields.String, metadata={"description": "libc, icu or builtin"})
    locale = req(
        ma.fields.String,
        allow_none=True,
        metadata={"description": "The ICU locale; libc: LC_COLLATE where LC_CTYPE is the same"},
    )
    lc_collate = req(ma.fields.String, allow_none=True)
    lc_ctype = req(ma.fields.String, allow_none=True)
    deterministic = req(ma.fields.Boolean)
    comment = req(ma.fields.String, allow_none=True)


class TextSearchConfigurationSchema(ma.Schema):
    schema = req(ma.fields.String)
    name = req(ma.fields.String)
    parser = req(ma.fields.String, metadata={"description": 'Its parser, schema-qualified: pg_catalog."default"'})
    comment = req(ma.fields.String, allow_none=True)


class SchemaCommentSchema(ma.Schema):
    name = req(ma.fields.String, metadata={"description": "The schema's name"})
    comment = req(ma.fields.String, allow_none=True)


class ExtensionListSchema(_ObjectListSchema):
    extensions = req(ma.fields.List, ma.fields.Nested(ExtensionSchema))


class DomainListSchema(_ObjectListSchema):
    domains = req(ma.fields.List, ma.fields.Nested(DomainSchema))


class CollationListSchema(_ObjectListSchema):
    collations = req(ma.fields.List, ma.fields.Nested(CollationSchema))


class TextSearchConfigurationListSchema(_ObjectListSchema):
    text_search_configurations = req(ma.fields.List, ma.fields.Nested(TextSearchConfigurationSchema))


class SchemaListSchema(_ObjectListSchema):
    schemas = req(ma.fields.List, ma.fields.Nested(SchemaCommentSchema))
