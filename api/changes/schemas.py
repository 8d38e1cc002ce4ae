"""The change feed's arguments and answers, shared by the changes and tables areas."""

from __future__ import annotations

import marshmallow as ma

from catalog.insights.hazards import HAZARDS

from ..catalog_reads.table_schemas import answered
from ..crawls.views import crawl_url
from ..inputs import BoundedAwareDateTime
from ..pagination import PageArgs
from ..tables import table_history_url, table_id_url
from ..timestamps import Timestamp


class ChangesArgs(PageArgs):
    since = BoundedAwareDateTime(
        default_timezone=None,
        metadata={"description": "Only changes seen at or after this time (ISO 8601 with a timezone)."},
    )
    hazard = ma.fields.String(
        validate=ma.validate.OneOf(HAZARDS),
        metadata={"description": "Only changes with this hazard label: breaking, risky or safe."},
    )


@answered()
class ChangeSchema(ma.Schema):
    id = ma.fields.Integer()
    event = ma.fields.String(
        metadata={
            "description": "source_crawled (a first crawl's baseline), table_added, table_changed, table_removed, "
            "table_renamed (the same catalog table under a new name: kept by PostgreSQL's stable ids, or a "
            "probable rename a curator confirmed; details {from: {schema, name}, to: {schema, name}}, and "
            "candidate_id, confirmed_by when confirmed), column_renamed (details {column: {from, to}}), "
            "table_probable_rename (an engine without stable ids saw one table removed and one added with the "
            "same definition: details {candidate_id, from: {schema, name, table_id}, to: {schema, name, "
            "table_id}}; confirm or reject it under /sources/{id}/renames), "
            "or enum_added, enum_changed, enum_removed (a PostgreSQL enum type: `schema` is its schema, `table` "
            "null, details {type, values, values_added, values_removed}), or sequence_, trigger_ and routine_ "
            "added, changed, removed (`schema` is the object's schema, `table` a trigger's table, else null; "
            "details {kind, name, changes: {field: {from, to}}, a changed body as body: {changed: true}}), "
            "or extension_, domain_, collation_, text_search_configuration_ and schema_ added, changed, removed, "
            "and extension_upgraded (a new version; PostgreSQL: details as for routines; an extension's and a "
            "schema's name is its own, unqualified)"
        }
    )
    schema = ma.fields.String(attribute="schema_name", allow_none=True)
    table = ma.fields.String(attribute="table_name", allow_none=True)
    details = ma.fields.Dict(
        allow_none=True,
        metadata={
            "description": "For table_changed: columns_added/removed/altered, primary_key, foreign_keys_added/"
            "removed, indexes_added/removed, constraints_added/removed, comment, kind; definition and "
            "depends_on (a view's SQL and dependencies), partition, partition_of, bounds (each {from, to})."
        },
    )
    hazard = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "breaking (table or column removed, renamed or probably renamed, type changed or "
            "narrowed, NOT NULL added), risky (index, constraint or key dropped, primary key changed, type widened, "
            "default changed) or safe (table, nullable column or index added, comment changed); null for a baseline. "
            "Sequences, triggers, routines: breaking (routine removed, return type changed), risky (trigger or "
            "sequence removed, other changes), safe (added, comment changed)"
        },
    )
    hazard_reasons = ma.fields.List(
        ma.fields.String(), allow_none=True, metadata={"description": "Why, worst first: 'breaking: column x removed'"}
    )
    table_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The table's catalog id; null for a baseline"}
    )
    url = ma.fields.Function(
        lambda e: table_id_url(e["table_id"]) if e.get("table_id") is not None else None,
        allow_none=True,
        metadata={
            "description": "The table by id, `/api/v1/tables/{table_id}` (404 once the table has been removed); "
            "null for a baseline"
        },
    )
    history_url = ma.fields.Function(
        lambda e: table_history_url(e["table_id"]) if e.get("table_id") is not None else None,
        allow_none=True,
        metadata={"description": "The table's history by id, `/api/v1/tables/{table_id}/history`, also once removed"},
    )
    crawl_id = ma.fields.Integer()
    crawl_url = ma.fields.Function(lambda e: crawl_url(e["crawl_id"]))
    occurred_at = Timestamp()


@answered()
class ChangePageSchema(ma.Schema):
    changes = ma.fields.List(ma.fields.Nested(ChangeSchema))
    next_cursor = ma.fields.String(allow_none=True)
