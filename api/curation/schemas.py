"""Curation as the API takes and answers it."""

from __future__ import annotations

import marshmallow as ma

from catalog.curation import DESCRIPTION_MAX, OWNERS_MAX, TAGS_MAX

from ..catalog_reads.schemas import no_nul
from ..catalog_reads.table_schemas import CurationViewSchema, TagRefSchema, UserRefSchema, answered
from ..pagination import PageArgs

OWNERS_DOC = (
    "Who owns it: `user:<email>` (or `user:<id>`; a bare email is a user), a member of the source's team; "
    "`team:<name>`, a team you are in. The list replaces the owners; [] clears them."
)


class CurationPatchSchema(ma.Schema):
    """Only the fields sent change; each replaces what was there."""

    description = ma.fields.String(
        allow_none=True,
        metadata={
            "description": f"Markdown, at most {DESCRIPTION_MAX} characters; null or blank clears it. "
            "Raw HTML is shown as text, links only to http, https and mailto"
        },
    )
    tags = ma.fields.List(
        ma.fields.String(validate=no_nul),
        validate=ma.validate.Length(max=TAGS_MAX),
        metadata={"description": "lowercase-words from the source's team's tag list; replaces the tags, [] clears"},
    )
    owners = ma.fields.List(
        ma.fields.String(validate=[ma.validate.Length(min=1, max=330), no_nul]),
        validate=ma.validate.Length(max=OWNERS_MAX),
        metadata={"description": OWNERS_DOC},
    )


@answered("changed")
class CurationSchema(CurationViewSchema):
    kind = ma.fields.String(metadata={"description": "source, schema, table or column"})
    source_id = ma.fields.Integer()
    schema = ma.fields.String(allow_none=True)
    table_id = ma.fields.Integer(allow_none=True)
    table = ma.fields.String(allow_none=True)
    column = ma.fields.String(allow_none=True)
    changed = ma.fields.List(
        ma.fields.String(), metadata={"description": "PATCH only: the fields that changed (each has an audit entry)"}
    )


@answered()
class AuditEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    field = ma.fields.String(metadata={"description": "description, tags or owners"})
    before = ma.fields.Raw(
        allow_none=True, metadata={"description": "The value before: a string, a list of tags, a list of owners"}
    )
    after = ma.fields.Raw(allow_none=True)
    changed_at = ma.fields.String(metadata={"format": "date-time"})
    user = ma.fields.Nested(UserRefSchema, allow_none=True, metadata={"description": "Who changed it"})


@answered()
class HistoryPageSchema(ma.Schema):
    changes = ma.fields.List(ma.fields.Nested(AuditEntrySchema))
    next_cursor = ma.fields.String(allow_none=True)


@answered()
class CuratedObjectSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "source, schema, table or column"})
    source_id = ma.fields.Integer()
    source_name = ma.fields.String()
    schema = ma.fields.String(allow_none=True)
    table_id = ma.fields.Integer(allow_none=True)
    table = ma.fields.String(allow_none=True)
    column = ma.fields.String(allow_none=True)
    description = ma.fields.String(allow_none=True)
    tags = ma.fields.List(ma.fields.Nested(TagRefSchema))
    orphaned = ma.fields.Boolean()
    url = ma.fields.String(metadata={"description": "Where its curation is read"})


@answered()
class CuratedPageSchema(ma.Schema):
    objects = ma.fields.List(ma.fields.Nested(CuratedObjectSchema))
    next_cursor = ma.fields.String(allow_none=True)


HistoryArgs = PageArgs
