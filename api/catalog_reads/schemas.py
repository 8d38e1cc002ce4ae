import marshmallow as ma

KINDS = ("table", "view", "materialized_view", "partitioned_table", "foreign_table")


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
    source_id = ma.fields.Integer(strict=False, validate=ma.validate.Range(min=1))
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class ExportArgs(ma.Schema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "ndjson", "markdown")))


class ColumnSchema(ma.Schema):
    name = ma.fields.String()
    ordinal = ma.fields.Integer()
    type = ma.fields.String()
    nullable = ma.fields.Boolean()
    default = ma.fields.String(allow_none=True)
    comment = ma.fields.String(allow_none=True)
    identity = ma.fields.String(allow_none=True)
    generated = ma.fields.String(allow_none=True)


class TableSchema(ma.Schema):
    schema = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    comment = ma.fields.String(allow_none=True)
    row_estimate = ma.fields.Integer(allow_none=True)
    size_bytes = ma.fields.Integer(allow_none=True)
    columns = ma.fields.List(ma.fields.Nested(ColumnSchema))
    primary_key = ma.fields.Dict(allow_none=True)
    foreign_keys = ma.fields.List(ma.fields.Dict())
    indexes = ma.fields.List(ma.fields.Dict())
    constraints = ma.fields.List(ma.fields.Dict())
    first_seen_at = ma.fields.DateTime()
    crawled_at = ma.fields.DateTime()
    changed_at = ma.fields.DateTime()


class ActiveCrawlSchema(ma.Schema):
    id = ma.fields.Integer()
    state = ma.fields.String()
    url = ma.fields.String()


class SchemaPageSchema(ma.Schema):
    source_id = ma.fields.Integer()
    last_crawled_at = ma.fields.DateTime(allow_none=True)
    crawl_state = ma.fields.String(allow_none=True)
    crawl = ma.fields.Nested(
        ActiveCrawlSchema, allow_none=True, metadata={"description": "The active crawl, when one is queued or running."}
    )
    tables = ma.fields.List(ma.fields.Nested(TableSchema))
    next_cursor = ma.fields.String(allow_none=True)


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
    crawled_at = ma.fields.DateTime()
    url = ma.fields.String()


class SearchResultSchema(ma.Schema):
    query = ma.fields.String()
    results = ma.fields.List(ma.fields.Nested(SearchHitSchema))
