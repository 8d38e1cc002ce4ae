"""The OpenAPI document a generator reads: valid (openapi-spec-validator),
every operation named by a unique operationId, every response described,
the main objects' fields required, nullable nested objects their own schema
or null, every path callable as documented. Each check is shown to fail on a
copy of the document broken the way it guards against."""

from __future__ import annotations

import copy
import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from api import create_app
from api.sources.schemas import ENGINE_FIELD_NAMES

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The objects a client reads most: every field the API always answers with is required.
# (schema: the properties it may leave out, and why)
ALWAYS_ANSWERED = {
    "Tokens": {},
    "AccessToken": {},
    "Crawl": {},
    "CrawlPage": {},
    "CrawlRef": {},
    "Progress": {},
    "Stats": {"renamed": "absent when none", "probable_renames": "absent when none", "with_warnings": "older crawls"},
    "CrawlError": {},
    "Usage": {},
    "UsageGrowth": {},
    "IndexUsage": {},
    "StatementUsage": {},
    "Source": {"crawl": "on creation only"} | {name: "its engine's settings only" for name in ENGINE_FIELD_NAMES},
    "SourcePage": {},
    "SearchResult": {},
    "SearchHit": {
        "object_kind": "routine, sequence and trigger hits only",
        "name": "routine, sequence and trigger hits only",
        "arguments": "routine hits only",
        "description": "table and column hits only",
        "tags": "table and column hits only",
    },
    "Probe": {},
    "ProbeError": {},
    "Team": {},
    "TeamList": {},
    "Member": {},
    "MemberList": {},
    "Tag": {},
    "TagList": {},
    "Curation": {"changed": "PATCH answers only"},
    "AuditEntry": {},
    "HistoryPage": {},
    "CuratedObject": {},
    "CuratedPage": {},
    "Rename": {},
    "RenamePage": {},
    "Webhook": {},
    "WebhookWithSecret": {},
    "WebhookList": {},
    "Delivery": {},
    "Attempt": {},
    "DeliveryPage": {},
    "InsightsPage": {},
    "Finding": {},
    "Coverage": {},
    "SchemaCoverage": {},
    "InferredKey": {},
    "InferredPage": {},
    "Change": {},
    "ChangePage": {},
    "Lineage": {},
    "ViewLineage": {},
    "LineageColumn": {},
    "LineageEdge": {"table_id": "lineage answers only, not the table document's part"},
    "ReadBy": {},
}


@pytest.fixture(scope="module")
def document() -> dict:
    app = create_app()
    return app.test_client().get("/api/v1/openapi.json").get_json()


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", op


def problems(doc: dict) -> list[str]:
    """Everything in `doc` a generated client would trip over (besides what openapi-spec-validator finds)."""
    found = []
    seen: dict[str, str] = {}
    for name, op in operations(doc):
        op_id = op.get("operationId")
        if not op_id or not re.fullmatch(r"[a-z]+(_[a-z0-9]+)+|[a-z]+", op_id):
            found.append(f"{name}: operationId {op_id!r} is missing or not snake_case")
        elif op_id in seen:
            found.append(f"{name}: operationId {op_id} also names {seen[op_id]}")
        else:
            seen[op_id] = name
        for status, response in op.get("responses", {}).items():
            if "$ref" not in response and not response.get("description"):
                found.append(f"{name} -> {status}: no description")
    for status, response in doc["components"].get("responses", {}).items():
        if not response.get("description"):
            found.append(f"components.responses.{status}: no description")
    schemas = doc["components"]["schemas"]
    for schema, optional in ALWAYS_ANSWERED.items():
        props = schemas[schema]["properties"]
        required = set(schemas[schema].get("required", ()))
        for prop in sorted(set(props) - required - set(optional)):
            found.append(f"{schema}.{prop}: always answered, not required")
    for schema, body in schemas.items():
        for prop, sub in body.get("properties", {}).items():
            variants = sub.get("anyOf", []) + sub.get("oneOf", [])
            if any("$ref" not in v for v in variants):
                found.append(f"{schema}.{prop}: a variant that is not a schema of its own: {variants}")
    return found


def test_the_document_validates(document):
    validate(document)


def test_no_problems_a_generator_trips_over(document):
    assert problems(document) == []


def test_operation_ids_read_as_what_they_do(document):
    ids = {name: op["operationId"] for name, op in operations(document)}
    assert ids["POST /api/v1/auth/login"] == "login"
    assert ids["GET /api/v1/sources"] == "list_sources"
    assert ids["POST /api/v1/sources"] == "create_source"
    assert ids["GET /api/v1/sources/{source_id}"] == "get_source"
    assert ids["PATCH /api/v1/sources/{source_id}"] == "update_source"
    assert ids["POST /api/v1/sources/{source_id}/crawls"] == "start_crawl"
    assert ids["GET /api/v1/crawls/{job_id}"] == "get_crawl"
    assert ids["GET /api/v1/search"] == "search_catalog"
    assert ids["GET /api/v1/sources/{source_id}/schema/export"] == "export_source"
    assert ids["GET /api/v1/sources/{source_id}/diff"] == "diff_source"
    assert ids["GET /api/v1/sources/{source_id}/diff/ndjson"] == "diff_source_ndjson"
    assert ids["PATCH /api/v1/tables/{table_id}/curation"] == "update_table_curation"


def test_media_types_are_documented_as_what_they_are(document):
    paths = document["paths"]
    export = paths["/api/v1/sources/{source_id}/schema/export"]["get"]["responses"]["200"]["content"]
    assert export["application/json"]["schema"] == {"$ref": "#/components/schemas/Export"}
    assert export["application/x-ndjson"]["schema"] == {"$ref": "#/components/schemas/Table"}
    assert export["text/markdown"]["schema"] == {"type": "string"}
    as_text = paths["/api/v1/sources/{source_id}/schema/export/{format}"]["get"]["responses"]["200"]["content"]
    assert "application/json" not in as_text and {"text/markdown", "application/yaml"} <= set(as_text)
    diagram = paths["/api/v1/sources/{source_id}/diagram"]["get"]["responses"]["200"]["content"]
    assert set(diagram) == {"image/svg+xml", "text/plain", "text/vnd.graphviz"}
    diff = paths["/api/v1/sources/{source_id}/diff"]["get"]["responses"]["200"]["content"]
    assert diff["application/x-ndjson"]["schema"] == {"$ref": "#/components/schemas/TableDiff"}
    as_lines = paths["/api/v1/sources/{source_id}/diff/ndjson"]["get"]["responses"]["200"]["content"]
    assert as_lines == {
        "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/TableDiff"}},
        "text/plain": {"schema": {"type": "string"}},
    }


def test_a_source_is_created_from_its_own_schema(document):
    """The answer requires what it always holds (`id`...); the body a generated create_source sends does not."""
    schemas = document["components"]["schemas"]
    body = document["paths"]["/api/v1/sources"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SourceCreate"}
    assert set(schemas["SourceCreate"]["required"]) == {"name", "engine"}
    assert "id" not in schemas["SourceCreate"]["properties"] and "id" in schemas["Source"]["required"]
    assert "password" in schemas["SourceCreate"]["properties"] and "password" not in schemas["Source"]["properties"]


def test_a_table_by_name_is_two_path_parameters(document):
    """A generated client percent-encodes each parameter (a '/' as %2F): the form the server reads."""
    item = document["paths"]["/api/v1/sources/{source_id}/tables/{schema}/{table}"]
    assert [p["name"] for p in item["parameters"]] == ["source_id", "schema", "table"]
    assert not any("{qualified}" in path for path in document["paths"])


def test_nullable_nested_objects_are_their_schema_or_null(document):
    props = document["components"]["schemas"]["Crawl"]["properties"]
    assert props["stats"] == {"anyOf": [{"$ref": "#/components/schemas/Stats"}], "nullable": True}
    table = document["components"]["schemas"]["Table"]["properties"]["primary_key"]
    assert table["anyOf"] == [{"$ref": "#/components/schemas/PrimaryKey"}] and table["nullable"] is True


@pytest.mark.parametrize(
    "break_it, expected",
    [
        (lambda d: d["components"]["schemas"]["Crawl"]["required"].remove("state"), "Crawl.state"),
        (lambda d: d["components"]["schemas"]["SearchHit"]["required"].remove("url"), "SearchHit.url"),
        (lambda d: d["components"]["schemas"]["Tokens"].pop("required"), "Tokens.access_token"),
        (
            lambda d: d["paths"]["/api/v1/sources"]["get"]["responses"]["200"].pop("description"),
            "GET /api/v1/sources -> 200: no description",
        ),
        (lambda d: d["paths"]["/api/v1/search"]["get"].pop("operationId"), "GET /api/v1/search: operationId"),
        (
            lambda d: d["paths"]["/api/v1/search"]["get"].update(operationId="list_sources"),
            "also names GET /api/v1/sources",
        ),
        (
            lambda d: d["components"]["schemas"]["Crawl"]["properties"]["stats"]["anyOf"].insert(
                0, {"type": "object", "nullable": True}
            ),
            "Crawl.stats: a variant",
        ),
    ],
)
def test_a_broken_document_fails(document, break_it, expected):
    broken = copy.deepcopy(document)
    break_it(broken)
    assert any(expected in p for p in problems(broken)), problems(broken)


def test_a_response_without_description_fails_validation(document):
    broken = copy.deepcopy(document)
    broken["paths"]["/api/v1/sources/{source_id}/diff"]["get"]["responses"]["200"].pop("description")
    with pytest.raises(OpenAPIValidationError, match=r"responses\"\]\[200\]"):
        validate(broken)
