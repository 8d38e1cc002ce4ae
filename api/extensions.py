"""flask-smorest's Api and Blueprint, subclassed once so that cross-cutting
concerns (auth, error bodies, input hygiene) are written and documented in one place."""

from __future__ import annotations

import http
import logging

import flask_smorest
import marshmallow as ma
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


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app, *, spec_kwargs=None):
        app.url_map.converters["int"] = IdConverter
        super().init_app(app, spec_kwargs=spec_kwargs)
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
    def _prepare_auth_doc(doc, doc_info, *, app, **kwargs):
        if doc_info.get("auth", False):
            doc.setdefault("responses", {})["401"] = http.HTTPStatus(401).name
            doc["security"] = [{"bearerAuth": []}]
        return doc
