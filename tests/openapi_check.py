"""Every answer the suite receives from /api/v1 is checked against the
OpenAPI document the app serves: its status must be documented for that
operation (or fall under `default`), and a JSON body (NDJSON: every line)
must validate against the documented schema. A mismatch fails the test that
made the request, at that request."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed, NotFound

PREFIX = "/api/v1/"
_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects to JSON Schema: `nullable` becomes an explicit null."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k not in ("nullable", "example", "discriminator")}
    for key in ("properties", "schemas", "responses"):  # maps of names, not schema keywords
        if isinstance(node.get(key), dict):
            out[key] = {name: to_json_schema(sub) for name, sub in node[key].items()}
    if "required" in out:  # a response need not carry write-only (request) fields
        props = node.get("properties", {})
        out["required"] = [r for r in out["required"] if not props.get(r, {}).get("writeOnly")]
        if not out["required"]:
            del out["required"]
    if node.get("nullable"):
        return {"anyOf": [{"type": "null"}, out]}
    return out


class SpecChecker:
    def __init__(self, spec: dict, url_map):
        self.spec = spec
        self.components = to_json_schema(spec.get("components", {}))
        self.adapter = url_map.bind("localhost")
        self.checked = 0

    def operation(self, path: str, method: str) -> tuple[str, dict] | None:
        try:
            rule, _ = self.adapter.match(path, method, return_rule=True)
        except (NotFound, MethodNotAllowed):
            return None
        template = _RULE_ARG.sub(r"{\1}", rule.rule)
        op = self.spec["paths"].get(template, {}).get(method.lower())
        return (f"{method} {template}", op) if op else None

    def _response(self, op: dict, status: int) -> dict | None:
        doc = op["responses"].get(str(status)) or op["responses"].get("default")
        while doc and "$ref" in doc:
            doc = self.spec["components"]["responses"][doc["$ref"].rsplit("/", 1)[1]]
        return doc

    def _validate(self, schema: dict, value: Any, where: str) -> None:
        root = {**to_json_schema(schema), "components": self.components}
        errors = sorted(jsonschema.Draft7Validator(root).iter_errors(value), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:10]]
            raise AssertionError(f"{where}: response does not match the OpenAPI document:\n  " + "\n  ".join(lines))

    def check(self, method: str, path: str, response) -> None:
        if not path.startswith(PREFIX) or path == PREFIX + "openapi.json" or method == "OPTIONS":
            return
        found = self.operation(path, method)
        status = response.status_code
        if found is None:
            # No such operation: only a JSON error body is acceptable.
            if status < 400:
                raise AssertionError(f"{method} {path} answered {status} but is not in the OpenAPI document")
            self._validate({"$ref": "#/components/schemas/Error"}, response.get_json(silent=True), f"{method} {path}")
            self.checked += 1
            return
        name, op = found
        where = f"{name} -> {status}"
        doc = self._response(op, status)
        if doc is None:
            raise AssertionError(f"{where}: status {status} is not documented for this operation")
        mimetype = response.mimetype
        streamed = response.is_streamed
        body = response.get_data()
        if streamed:  # hand the test a response that still streams what was read here
            response.response = iter([body])
        content = doc.get("content") or {}
        if not body:
            if content and status not in (204, 304) and method != "HEAD":
                raise AssertionError(f"{where}: empty body, documented {sorted(content)}")
            self.checked += 1
            return
        if mimetype not in content:
            raise AssertionError(f"{where}: answered {mimetype}, documented {sorted(content) or 'no body'}")
        schema = content[mimetype].get("schema")
        if schema is None:
            self.checked += 1
            return
        if mimetype == "application/json":
            self._validate(schema, json.loads(body), where)
        elif mimetype == "application/x-ndjson":
            for i, line in enumerate(body.decode().splitlines()):
                self._validate(schema, json.loads(line), f"{where} line {i + 1}")
        self.checked += 1


class CheckedClient(FlaskClient):
    """The Flask test client, validating every /api/v1 answer against the app's own OpenAPI document."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        checker = self.application.extensions.get("metacrawl_spec_checker")
        if checker is None:
            spec = FlaskClient(self.application).get(PREFIX + "openapi.json").get_json()
            checker = self.application.extensions["metacrawl_spec_checker"] = SpecChecker(
                spec, self.application.url_map
            )
        checker.check(request.method, request.path, response)
        return response
