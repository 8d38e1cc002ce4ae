"""Insights over a source's catalog: lint findings with fixes, counts by
rule and documentation coverage, the source's ignore list; inferred keys
and the owner's decisions on them."""

from __future__ import annotations

import marshmallow as ma

from catalog.db import Session, transaction
from catalog.insights import inferred, lint

from ..catalog_reads.schemas import no_nul
from ..catalog_reads.table_schemas import answered
from ..extensions import Blueprint
from ..ownership import CURATOR, owned_source
from ..pagination import PageArgs, decode_cursor, encode_cursor, next_link_headers
from ..timestamps import Timestamp
from .views import decide, insights_page

blp = Blueprint("insights", __name__, url_prefix="/api/v1", description="Lint findings, hazards, inferred keys")

_RULE_DOC = "; ".join(f"{rule} ({severity}): {what}" for rule, (severity, what) in lint.RULES.items())


def _name(**kw):
    return ma.fields.String(validate=[ma.validate.Length(min=1, max=255), no_nul], **kw)


class FindingArgs(PageArgs):
    rule = ma.fields.String(validate=ma.validate.OneOf(tuple(lint.RULES)), metadata={"description": _RULE_DOC})
    severity = ma.fields.String(validate=ma.validate.OneOf(lint.SEVERITIES))
    schema = _name(metadata={"description": "Only findings on tables of this schema (MySQL: database)."})
    table = _name(metadata={"description": "Only findings on tables of this name."})


@answered()
class FindingSchema(ma.Schema):
    id = ma.fields.Integer()
    rule = ma.fields.String()
    severity = ma.fields.String(metadata={"description": "warning or info"})
    schema = ma.fields.String(attribute="schema_name", allow_none=True)
    table = ma.fields.String(attribute="table_name", allow_none=True)
    name = ma.fields.String(
        attribute="object_name", allow_none=True, metadata={"description": "The index, key or column concerned"}
    )
    object = ma.fields.String(
        metadata={"description": "schema.table[.name], or a bare column name: what ignore patterns match"}
    )
    message = ma.fields.String()
    fix = ma.fields.String(allow_none=True, metadata={"description": "SQL that fixes it, where one can be written"})


@answered()
class CoverageFiguresSchema(ma.Schema):
    tables = ma.fields.Integer()
    tables_commented = ma.fields.Integer(metadata={"description": "With a database comment"})
    tables_documented = ma.fields.Integer(metadata={"description": "With a database comment or a curated description"})
    tables_share = ma.fields.Float(
        allow_none=True, metadata={"description": "Documented tables, 0 to 1; null without tables"}
    )
    columns = ma.fields.Integer()
    columns_commented = ma.fields.Integer(metadata={"description": "With a database comment"})
    columns_documented = ma.fields.Integer(metadata={"description": "With a database comment or a curated description"})
    columns_share = ma.fields.Float(allow_none=True, metadata={"description": "Documented columns, 0 to 1"})


@answered()
class SchemaCoverageSchema(CoverageFiguresSchema):
    schema = ma.fields.String()


@answered()
class CoverageSchema(CoverageFiguresSchema):
    schemas = ma.fields.List(ma.fields.Nested(SchemaCoverageSchema))


@answered()
class InsightsPageSchema(ma.Schema):
    source_id = ma.fields.Integer()
    computed_at = Timestamp(
        allow_none=True, metadata={"description": "When the findings were computed; null before the first crawl"}
    )
    crawl_id = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "The newest crawl the findings reflect; null before the first run, or while "
            "a crawl applied during the last run awaits the next (a whole one)"
        },
    )
    counts = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), metadata={"description": "Findings per rule, ignored not"}
    )
    coverage = ma.fields.Nested(
        CoverageSchema, metadata={"description": "Documentation coverage (comments and curated descriptions)"}
    )
    findings = ma.fields.List(ma.fields.Nested(FindingSchema))
    next_cursor = ma.fields.String(allow_none=True)


class IgnoreEntrySchema(ma.Schema):
    rule = ma.fields.String(
        required=True, validate=ma.validate.OneOf(("*", *lint.RULES)), metadata={"description": "A rule, or *"}
    )
    pattern = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=500), no_nul],
        metadata={
            "description": "A glob over the finding's object: * any characters, ? one, \\ the next character "
            "literally (audit.*, *.tmp_*, public.a\\*b)"
        },
    )


class IgnoreListSchema(ma.Schema):
    ignore = ma.fields.List(ma.fields.Nested(IgnoreEntrySchema), required=True, validate=ma.validate.Length(max=1000))


@blp.get("/sources/<int:source_id>/insights")
@blp.login_required
@blp.arguments(FindingArgs, location="query")
@blp.response(200, InsightsPageSchema)
@blp.alt_response(404, description="No such source of yours")
def insights(args, source_id):
    """Lint findings of a source's catalog (its ignore list applied), counts by rule, documentation coverage"""
    owned_source(source_id)
    body, headers = insights_page(args, source_id)
    return body, 200, headers


@blp.get("/sources/<int:source_id>/insights/ignore")
@blp.login_required
@blp.response(200, IgnoreListSchema)
@blp.alt_response(404, description="No such source of yours")
def get_ignore(source_id):
    """The source's ignore list: findings it hides"""
    owned_source(source_id)
    return {"ignore": lint.ignore_list(Session(), source_id)}


@blp.put("/sources/<int:source_id>/insights/ignore")
@blp.login_required
@blp.arguments(IgnoreListSchema)
@blp.response(200, IgnoreListSchema)
@blp.alt_response(404, description="No such source of yours")
@blp.needs_role("curator")
def put_ignore(data, source_id):
    """Replace the source's ignore list (rule or *, and a glob over the finding's object)"""
    owned_source(source_id, CURATOR)
    with transaction() as session:
        lint.replace_ignore_list(session, source_id, data["ignore"])
    return {"ignore": lint.ignore_list(Session(), source_id)}


# --- inferred keys -------------------------------------------------------------


class InferredArgs(PageArgs):
    decision = ma.fields.String(
        validate=ma.validate.OneOf(("undecided", *inferred.DECISIONS)),
        metadata={"description": "Only undecided, accepted or rejected candidates."},
    )


@answered()
class InferredKeySchema(ma.Schema):
    id = ma.fields.Integer()
    schema = ma.fields.String(attribute="schema_name")
    table = ma.fields.String(attribute="table_name")
    column = ma.fields.String(attribute="column_name")
    referenced_schema = ma.fields.String()
    referenced_table = ma.fields.String()
    referenced_column = ma.fields.String()
    score = ma.fields.Float(metadata={"description": "0.5 to 1: how much the names and types agree"})
    reason = ma.fields.String()
    decision = ma.fields.String(allow_none=True, metadata={"description": "null (undecided), accepted or rejected"})
    decided_at = Timestamp(allow_none=True)


@answered()
class InferredPageSchema(ma.Schema):
    inferred_keys = ma.fields.List(ma.fields.Nested(InferredKeySchema))
    next_cursor = ma.fields.String(allow_none=True)


@blp.get("/sources/<int:source_id>/inferred-keys")
@blp.login_required
@blp.arguments(InferredArgs, location="query")
@blp.response(200, InferredPageSchema)
@blp.alt_response(404, description="No such source of yours")
def inferred_keys(args, source_id):
    """Columns that look like keys of another table without a declared foreign key, best score first"""
    owned_source(source_id)
    scope = f"inferred:{source_id}:{args.get('decision')}"
    after = decode_cursor(scope, args["cursor"], 2)
    rows = inferred.candidates(
        Session(),
        source_id,
        decision=args.get("decision"),
        after=(float(after[0]), int(after[1])) if after else None,
        limit=args["limit"] + 1,
    )
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    next_cursor = encode_cursor(scope, [rows[-1]["score"], rows[-1]["id"]]) if more else None
    return {"inferred_keys": rows, "next_cursor": next_cursor}, 200, next_link_headers(next_cursor)


@blp.post("/sources/<int:source_id>/inferred-keys/<int:candidate_id>/accept")
@blp.login_required
@blp.response(200, InferredKeySchema)
@blp.alt_response(404, description="No such source of yours, or no such candidate")
@blp.needs_role("curator")
def accept_inferred_key(source_id, candidate_id):
    """Accept a candidate (kept across recrawls while its columns and the referenced key exist)"""
    return decide(source_id, candidate_id, "accepted")


@blp.post("/sources/<int:source_id>/inferred-keys/<int:candidate_id>/reject")
@blp.login_required
@blp.response(200, InferredKeySchema)
@blp.alt_response(404, description="No such source of yours, or no such candidate")
@blp.needs_role("curator")
def reject_inferred_key(source_id, candidate_id):
    """Reject a candidate (kept across recrawls while its columns and the referenced key exist)"""
    return decide(source_id, candidate_id, "rejected")
