"""Probable renames: what the list takes and what it and a decision answer."""

from __future__ import annotations

import marshmallow as ma

from catalog.renames import STATUSES

from ..catalog_reads.table_schemas import answered
from ..pagination import PageArgs
from ..tables import table_id_url
from ..timestamps import Timestamp


class RenameArgs(PageArgs):
    status = ma.fields.String(
        load_default="pending",
        validate=ma.validate.OneOf((*STATUSES, "all")),
        metadata={"description": "pending (the default), confirmed, rejected, or all."},
    )


@answered()
class NameSchema(ma.Schema):
    schema = ma.fields.String()
    name = ma.fields.String()
    table_id = ma.fields.Integer()
    url = ma.fields.Function(
        lambda n: table_id_url(n["table_id"]),
        metadata={"description": "The table by id (404 once it is removed, or merged by a confirmation)"},
    )


@answered()
class RenameSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "pending, confirmed or rejected"})
    old = ma.fields.Function(
        lambda c: {"schema": c["old_schema"], "name": c["old_name"], "table_id": c["removed_table_id"]},
        metadata={"description": "The table the crawl removed (its id is the one kept on confirmation)"},
    )
    new = ma.fields.Function(
        lambda c: {"schema": c["new_schema"], "name": c["new_name"], "table_id": c["added_table_id"]},
        metadata={"description": "The table the crawl added with the same definition"},
    )
    crawl_id = ma.fields.Integer(metadata={"description": "The crawl that found it"})
    found_at = Timestamp()
    decided_by = ma.fields.Integer(allow_none=True, metadata={"description": "The user who decided; null if pending"})
    decided_at = Timestamp(allow_none=True)


@answered()
class RenamePageSchema(ma.Schema):
    renames = ma.fields.List(ma.fields.Nested(RenameSchema))
    next_cursor = ma.fields.String(allow_none=True)
