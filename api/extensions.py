"""flask-smorest's Api and Blueprint, subclassed once so that cross-cutting
concerns (auth, error bodies) are written and documented in one place."""

from __future__ import annotations

import http

import flask_smorest
from flask_jwt_extended import JWTManager, jwt_required

jwt = JWTManager()


class Api(flask_smorest.Api):
    def init_app(self, app, *, spec_kwargs=None):
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})

    def handle_http_exception(self, error):
        payload, code, headers = super().handle_http_exception(error)
        # Every error body says what went wrong in words, never a traceback.
        payload.setdefault("message", error.description)
        data = getattr(error, "data", None) or {}
        if "crawl" in data:  # 409 on a second crawl: which crawl is already active
            payload["crawl"] = data["crawl"]
        return payload, code, headers


class Blueprint(flask_smorest.Blueprint):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_auth_doc)

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
