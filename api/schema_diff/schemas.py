import marshmallow as ma

from ..catalog_reads.schemas import no_nul


def _schema_name(**kw) -> ma.fields.String:
    return ma.fields.String(validate=[ma.validate.Length(min=1, max=255), no_nul], **kw)


class DiffNdjsonArgs(ma.Schema):
    """What the diff takes; /diff also takes `format`, /diff/ndjson answers NDJSON."""

    against = ma.fields.Integer(
        strict=False,
        validate=ma.validate.Range(min=1, max=2**63 - 1),
        metadata={
            "description": "The other source (yours), e.g. staging when this one is production. "
            "Give exactly one of `against` and `as_of`."
        },
    )
    as_of = ma.fields.Integer(
        strict=False,
        validate=ma.validate.Range(min=1, max=2**63 - 1),
        metadata={
            "description": "A successful crawl of this source: compare the source now with its schema as that "
            "crawl left it, rebuilt from the definitions the catalog kept (the other side is the past). A crawl "
            "from before the catalog kept this source's history is refused (422, saying from which crawl it is kept)."
        },
    )
    schema = _schema_name(metadata={"description": "Only this schema of the source (MySQL/MariaDB: database)."})
    against_schema = _schema_name(
        metadata={
            "description": "Compare `schema` with this schema of the other source (default: the same name): "
            "`shop` against `shop_staging`. Its foreign keys into itself count as keys into `schema`."
        }
    )

    @ma.validates_schema
    def _against_or_as_of(self, data, **kwargs):
        if data.get("against") is not None and data.get("as_of") is not None:
            raise ma.ValidationError("give either against (another source) or as_of (a crawl), not both", "as_of")
        if data.get("against") is None and data.get("as_of") is None:
            raise ma.ValidationError("give against (another source) or as_of (an earlier crawl of this one)", "against")

    @ma.validates_schema
    def _against_schema_needs_schema(self, data, **kwargs):
        if data.get("against_schema") is not None and data.get("schema") is None:
            raise ma.ValidationError("against_schema needs schema", "against_schema")


class DiffArgs(DiffNdjsonArgs):
    format = ma.fields.String(
        load_default="json",
        validate=ma.validate.OneOf(("json", "ndjson")),
        metadata={"description": "json (one object, tables streamed, counts at the end) or ndjson (a table per line)."},
    )


class SidesSchema(ma.Schema):
    """One value on each side: `source` (this source) and `against` (the other)."""

    source = ma.fields.Raw(allow_none=True)
    against = ma.fields.Raw(allow_none=True)


_changes = ma.fields.Dict(
    keys=ma.fields.String(),
    values=ma.fields.Nested(SidesSchema),
    metadata={"description": "field name → its value on each side"},
)


class ItemDiffSchema(ma.Schema):
    name = ma.fields.String(required=True, allow_none=True)
    changes = _changes


class RenamedSchema(ma.Schema):
    """The same key, index or constraint under another name."""

    source = ma.fields.String(allow_none=True)
    against = ma.fields.String(allow_none=True)


class PartDiffSchema(ma.Schema):
    only_in_source = ma.fields.List(ma.fields.Dict(), metadata={"description": "the items as stored"})
    only_in_against = ma.fields.List(ma.fields.Dict())
    different = ma.fields.List(ma.fields.Nested(ItemDiffSchema), metadata={"description": "same name, differing"})
    renamed = ma.fields.List(ma.fields.Nested(RenamedSchema), metadata={"description": "differing only by name"})


class TableDiffSchema(ma.Schema):
    schema = ma.fields.String(required=True, metadata={"description": "Schema name (on the source's side)"})
    table = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "only_in_source, only_in_against or different"})
    kind = ma.fields.String(required=True, metadata={"description": "The table's kind (the source's when in both)"})
    kind_different = ma.fields.Nested(SidesSchema)
    comment_different = ma.fields.Nested(SidesSchema)
    columns_only_in_source = ma.fields.List(ma.fields.String())
    columns_only_in_against = ma.fields.List(ma.fields.String())
    columns_different = ma.fields.List(
        ma.fields.Nested(ItemDiffSchema),
        metadata={"description": "type, nullable, default, comment, identity, generated, on_update"},
    )
    primary_key = ma.fields.Nested(SidesSchema, metadata={"description": "columns (or name) differ"})
    foreign_keys = ma.fields.Nested(PartDiffSchema)
    indexes = ma.fields.Nested(PartDiffSchema)
    constraints = ma.fields.Nested(PartDiffSchema)


class DiffSummarySchema(ma.Schema):
    only_in_source = ma.fields.Integer(required=True)
    only_in_against = ma.fields.Integer(required=True)
    different = ma.fields.Integer(required=True)
    same = ma.fields.Integer(required=True)


class DiffSchema(ma.Schema):
    """format=json: the two sides, the differing tables (streamed), then the counts."""

    source_id = ma.fields.Integer(required=True)
    against_id = ma.fields.Integer(
        required=True, metadata={"description": "The other side's source (this one again with `as_of`)"}
    )
    as_of = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The crawl whose schema is the other side, or null when comparing two sources"},
    )
    schema = ma.fields.String(required=True, allow_none=True)
    against_schema = ma.fields.String(required=True, allow_none=True)
    tables = ma.fields.List(ma.fields.Nested(TableDiffSchema), required=True)
    summary = ma.fields.Nested(DiffSummarySchema, required=True)
