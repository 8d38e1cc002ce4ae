"""flask-smorest's Api and Blueprint, subclassed once so that cross-cutting
concerns (auth, error bodies, input hygiene) are written and documented in one place."""

from __future__ import annotations

import http
import logging
import re

import flask_smorest
import marshmallow as ma
from flask.views import MethodView
from flask_jwt_extended import JWTManager, jwt_required
from werkzeug.routing import IntegerConverter

from .inputs import ArgumentsParser

jwt = JWTManager()
log = logging.getLogger(__name__)

# Ids are PostgreSQL bigints: a larger number in a path is no id (404), not an overflow.
MAX_ID = 2**63 - 1


class ErrorSchema(ma.Schema):
    """Every error body (4xx, 5xx): what went wrong, in words, and per field."""

    code = ma.fields.Integer(metadata={"description": "HTTP status code"})
    status = ma.fields.String(metadata={"description": "HTTP status name"})
    message = ma.fields.String(metadata={"description": "What went wrong, in words"})
    errors = ma.fields.Dict(
        metadata={"description": 'Per location and field: {"json": {"host": ["..."]}}, {"query": {...}}'}
    )


class IdConverter(IntegerConverter):
    """`<int:...>` path parts: 0 to the largest bigint; anything larger does not match (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


# operationIds: an operation is named for what it does, `verb_object`. A name
# that starts with one of these verbs is kept; any other gets its HTTP
# method's verb in front (`crawl` -> `get_crawl`, `schema_curation_patch` ->
# `update_schema_curation`).
VERBS = frozenset(
    [
        "get",
        "list",
        "create",
        "update",
        "delete",
        "replace",
        "put",
        "add",
        "remove",
        "set",
        "rename",
        "start",
        "cancel",
        "search",
        "export",
        "diff",
        "test",
        "accept",
        "reject",
        "confirm",
        "register",
        "login",
        "refresh",
        "logout",
    ]
)
METHOD_VERBS = {"get": "get", "post": "create", "patch": "update", "put": "replace", "delete": "delete"}


def operation_id(endpoint: str, method: str, rule: str | None = None, view_class: type | None = None) -> str:
    """The operationId of `method` on an endpoint: from the view function's name, or for a MethodView
    from its class (`Sources`: list_sources, create_source; `SourceById`: get_source, update_source...)."""
    method = method.lower()
    if view_class is not None:
        noun = re.sub(r"(?<!^)(?=[A-Z])", "_", view_class.__name__).lower().removesuffix("_by_id")
        collection = rule is not None and not rule.rstrip("/").endswith(">")
        if collection and method == "get":
            return f"list_{noun}"
        if collection:
            noun = noun.removesuffix("s")
        return f"{METHOD_VERBS.get(method, method)}_{noun}"
    name = endpoint.removesuffix(f"_{method}")
    if name.split("_", 1)[0] in VERBS:
        return name
    return f"{METHOD_VERBS.get(method, method)}_{name}"


def nullable_ref(self, field: ma.fields.Field, ret: dict, **kwargs) -> dict:
    """apispec writes a nullable nested schema (OpenAPI 3.0) as `anyOf: [{type: object, nullable: true},
    {$ref}]`: a generic object that any client would take first. Written instead as `anyOf: [{$ref}]`,
    `nullable: true`: that schema, or null."""
    variants = ret.get("anyOf")
    generic = {"type": "object", "nullable": True}
    if variants and generic in variants:
        ret["anyOf"] = [v for v in variants if v != generic]
        return {"nullable": True}
    return {}


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app, *, spec_kwargs=None):
        app.url_map.converters["int"] = IdConverter
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.ma_plugin.converter.add_attribute_function(nullable_ref)
        self.register_converter(IdConverter, lambda c: {"type": "integer", "minimum": 0, "maximum": MAX_ID})
        self.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})

    def handle_http_exception(self, error):
        payload, code, headers = super().handle_http_exception(error)
        # Every error body says what went wrong in words, never a traceback.
        payload.setdefault("message", error.description)
        data = getattr(error, "data", None) or {}
        if "crawl" in data:  # 409 on a second crawl: which crawl is already active
            payload["crawl"] = data["crawl"]
        # Headers werkzeug's exception carries (Allow on a 405, Retry-After...), except its HTML content type.
        merged = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        merged.update(headers or {})
        return payload, code, merged


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ArgumentsParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_auth_doc)
        self._prepare_doc_cbks.append(self._prepare_operation_id)

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)
        # Every operation gets its operationId here, for routes of any area (`@blp.doc(operationId=...)` wins).
        name = self._endpoints[-1]
        view_class = view_func if isinstance(view_func, type) and issubclass(view_func, MethodView) else None
        for method, doc in self._docs[name].items():
            if method != "parameters":
                doc["operation_id"] = operation_id(name, method, rule, view_class)

    def also_as(self, content_type: str, schema=None, status: int = 200):
        """Document another media type of the `status` answer (one response: its description is the
        `@blp.response`'s); `schema` defaults to a string (a text document)."""
        decorator = super().alt_response(status, schema=schema or {"type": "string"}, content_type=content_type)

        def wrap(func):
            wrapped = decorator(func)
            wrapped._apidoc["response"]["responses"][status][-1].pop("description", None)
            return wrapped

        return wrap

    def alt_response(self, status_code, response=None, *, schema=None, **kwargs):
        """An error response documented without a schema has the error body's."""
        if response is None and schema is None and int(status_code) >= 400:
            schema = ErrorSchema
        return super().alt_response(status_code, response, schema=schema, **kwargs)

    def needs_role(self, role: str):
        """Document the 403 of an operation that needs `role` in the team (api/ownership.py checks it)."""
        return self.alt_response(403, description=f"Your role in the team is below {role}")

    @staticmethod
    def login_required(func=None, **kwargs):
        """jwt_required, with the bearer security and the 401 response documented."""

        def decorator(function):
            function = jwt_required(**kwargs)(function)
            function._apidoc = getattr(function, "_apidoc", {})
            function._apidoc["auth"] = True
            return function

        return decorator(func) if func else decorator

    @staticmethod
    def _prepare_operation_id(doc, doc_info, **kwargs):
        if "operation_id" in doc_info:
            doc["operationId"] = doc_info["operation_id"]
        return doc

    @staticmethod
    def _prepare_auth_doc(doc, doc_info, *, app, **kwargs):
        if doc_info.get("auth", False):
            doc.setdefault("responses", {})["401"] = http.HTTPStatus(401).name
            doc["security"] = [{"bearerAuth": []}]
        return doc
