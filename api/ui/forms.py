"""HTML forms checked by the API's own marshmallow schemas, so a rule is
written once; errors come back per field, to be shown next to it."""

from __future__ import annotations

import re

import marshmallow as ma
from werkzeug.datastructures import MultiDict

from ..sources.schemas import ENGINES, SSLMODES, SourceSchema

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
# Options that apply to an engine; the form shows only these.
ENGINE_OPTIONS = {"postgresql": ("sslmode",), "mysql": (), "mariadb": ()}


def _names(raw: str) -> list[str]:
    return [n for n in re.split(r"[,\s]+", raw or "") if n]


def source_input(form: MultiDict, editing: bool) -> dict:
    """The form's values as the API's SourceSchema expects them. Blank fields
    are left out, so a missing required field is reported as missing; on an
    edit a blank password means "unchanged"."""
    data: dict = {}
    for key in ("name", "engine", "host", "database", "username"):
        value = (form.get(key) or "").strip()
        if value:
            data[key] = value
    port = (form.get("port") or "").strip()
    if port:
        data["port"] = int(port) if port.isdigit() and len(port) < 10 else port
    password = form.get("password") or ""
    if password:
        data["password"] = password
    options: dict = {}
    if data.get("engine", "postgresql") == "postgresql" and form.get("sslmode"):
        options["sslmode"] = form.get("sslmode")
    for key in ("include_schemas", "exclude_schemas"):
        names = _names(form.get(key, ""))
        if names:
            options[key] = names
    data["options"] = options
    schedule = (form.get("schedule") or "").strip()
    data["schedule"] = schedule or None
    return data


def load_source(form: MultiDict, editing: bool) -> tuple[dict, dict[str, list[str]]]:
    """(data, errors): the loaded data, or the errors per field."""
    data = source_input(form, editing)
    schema = SourceSchema(partial=("password",)) if editing else SourceSchema()
    try:
        return schema.load(data), {}
    except ma.ValidationError as e:
        return data, _flatten(e.messages)


def _flatten(messages) -> dict[str, list[str]]:
    """{'options': {'sslmode': [...]}} → {'sslmode': [...]}, and the API's
    wording for people ("Missing data for required field." → "Required.")."""
    out: dict[str, list[str]] = {}
    for key, value in (messages or {}).items():
        if isinstance(value, dict):
            for sub, msgs in _flatten(value).items():
                out[sub] = msgs
        else:
            msgs = value if isinstance(value, list) else [str(value)]
            out[key] = [_human(m) for m in msgs]
    return out


def _human(message) -> str:
    message = str(message)
    return {
        "Missing data for required field.": "Required.",
        "Not a valid integer.": "Must be a whole number.",
    }.get(message, message)


def load_with(schema: ma.Schema, data: dict) -> tuple[dict, dict[str, list[str]]]:
    try:
        return schema.load(data), {}
    except ma.ValidationError as e:
        return data, _flatten(e.messages)


__all__ = ["DEFAULT_PORTS", "ENGINES", "ENGINE_OPTIONS", "SSLMODES", "load_source", "load_with", "source_input"]
