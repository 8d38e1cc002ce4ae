"""HTML forms checked by the API's own marshmallow schemas, so a rule is
written once; errors come back per field, to be shown next to it.

A source's form is generated from its engine's settings schema
(engines/<engine>.py): one input per field, a nested schema's
fields (options) flattened beside the others, a OneOf field as a select, a
list as names separated by commas, a secret field as a write-only password
input. A new engine in the registry gets its form with no change here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import marshmallow as ma
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict

from catalog.models import Source
from engines import ENGINES

from ..sources.schemas import SourceCreateSchema
from ..sources.service import SourceRefused, enabled_engines, engine_settings

# How people read the engines' names in the select; an engine missing here shows its `title`.
ENGINE_LABELS = {
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "sqlite": "SQLite (a file on the metacrawl server)",
    "sqlalchemy": "Other (a SQLAlchemy URL)",
}
# Labels and hints of settings fields; a field missing here shows its name and the schema's description.
LABELS = {
    "host": "Host",
    "port": "Port",
    "database": "Database",
    "username": "User",
    "password": "Password",
    "sslmode": "TLS (sslmode)",
    "include_schemas": "Only these schemas",
    "exclude_schemas": "Not these schemas",
    "path": "Database file",
    "url": "SQLAlchemy URL",
}
HINTS = {
    ("mysql", "database"): "The database to connect to; every database the user can read is crawled.",
    ("mariadb", "database"): "The database to connect to; every database the user can read is crawled.",
    ("mysql", "include_schemas"): "Optional: databases, separated by commas.",
    ("mariadb", "include_schemas"): "Optional: databases, separated by commas.",
    ("mysql", "exclude_schemas"): "Optional: databases, separated by commas.",
    ("mariadb", "exclude_schemas"): "Optional: databases, separated by commas.",
}
# What a new source's form starts with, per engine.
DEFAULTS = {"postgresql": {"port": "5432"}, "mysql": {"port": "3306"}, "mariadb": {"port": "3306"}}


@dataclass(frozen=True)
class FormField:
    name: str  # the input's name (flat: a nested field goes by its own name)
    path: tuple[str, ...]  # where it sits in the settings: ("host",), ("options", "sslmode")
    label: str
    kind: str  # text, integer, select, list, checkbox, secret
    required: bool
    hint: str = ""
    choices: tuple[str, ...] = ()


def engine_choices(kept: str | None = None) -> list[tuple[str, str]]:
    """The engines this server offers (SQLite only where the operator allows
    directories), and `kept`, an edited source's own engine, even if now off."""
    offered = set(enabled_engines()) | {kept}
    return [(name, ENGINE_LABELS.get(name, cls.title)) for name, cls in ENGINES.items() if name in offered]


def _nested_fields(field: ma.fields.Nested) -> dict[str, ma.fields.Field]:
    nested = field.nested
    if isinstance(nested, ma.Schema):
        return dict(nested.declared_fields)
    if isinstance(nested, type) and issubclass(nested, ma.Schema):
        return dict(nested._declared_fields)
    if callable(nested):
        made = nested()
        if isinstance(made, ma.Schema):
            return dict(made.declared_fields)
        if isinstance(made, type) and issubclass(made, ma.Schema):
            return dict(made._declared_fields)
    return {}


def _kind(field: ma.fields.Field) -> tuple[str, tuple[str, ...]]:
    if field.metadata.get("secret"):
        return "secret", ()
    for v in field.validators:
        if isinstance(v, ma.validate.OneOf):
            return "select", tuple(str(c) for c in v.choices)
    if isinstance(field, ma.fields.Integer):
        return "integer", ()
    if isinstance(field, ma.fields.Boolean):
        return "checkbox", ()
    if isinstance(field, ma.fields.List):
        return "list", ()
    return "text", ()


def engine_fields(engine: str) -> list[FormField]:
    """The inputs of an engine's settings, in the schema's order."""
    out: list[FormField] = []

    def walk(fields: Mapping[str, ma.fields.Field], prefix: tuple[str, ...]) -> None:
        for name, field in fields.items():
            if isinstance(field, ma.fields.Nested):
                walk(_nested_fields(field), (*prefix, name))
                continue
            kind, choices = _kind(field)
            hint = HINTS.get((engine, name)) or str(field.metadata.get("description") or "")
            if kind == "list" and not hint:
                hint = "Optional, separated by commas."
            if kind == "secret":
                hint = ""  # the template says what a secret field does
            label = LABELS.get(name) or name.replace("_", " ").capitalize()
            out.append(FormField(name, (*prefix, name), label, kind, bool(field.required), hint, choices))

    walk(ENGINES[engine].settings_schema._declared_fields, ())
    names = [f.name for f in out]
    assert len(names) == len(set(names)), f"{engine}: two settings fields share a name: {names}"
    return out


def _names(raw: str) -> list[str]:
    return [n for n in re.split(r"[,\s]+", raw or "") if n]


def engine_input(engine: str, form: MultiDict) -> dict:
    """The form's values of an engine's fields as its settings schema expects
    them (nested where the schema nests). Blank inputs are left out, so a
    missing required field is reported as missing and a blank secret means
    "unchanged" (or none)."""
    sent: dict = {}
    for f in engine_fields(engine):
        raw = form.get(f.name) or ""
        if f.kind != "secret":
            raw = raw.strip()
        value: object
        if f.kind == "checkbox":
            value = bool(raw)
        elif not raw:
            continue
        elif f.kind == "integer":
            value = int(raw) if raw.isdigit() and len(raw) < 10 else raw
        elif f.kind == "list":
            value = _names(raw)
        else:
            value = raw
        target = sent
        for part in f.path[:-1]:
            target = target.setdefault(part, {})
        target[f.path[-1]] = value
    return sent


def engine_values(engine: str, settings: Mapping | None = None, form: MultiDict | None = None) -> dict[str, str]:
    """What the engine's inputs show: the submitted values, else the stored
    settings, else the engine's defaults; never a secret."""
    values: dict[str, str] = {}
    for f in engine_fields(engine):
        if f.kind == "secret":
            continue
        if form is not None:
            values[f.name] = _without_password(form.get(f.name, ""))
            continue
        value: object = settings if settings is not None else DEFAULTS.get(engine, {})
        for part in f.path if settings is not None else f.path[-1:]:
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, list):
            value = ", ".join(value)
        values[f.name] = "" if value is None else str(value)
    return values


def _without_password(value: str) -> str:
    """A URL typed with a password (which the engine refuses) comes back without it."""
    if "://" not in value or "@" not in value:
        return value
    try:
        url = make_url(value)
    except Exception:
        return value.split("://", 1)[0] + "://***@" + value.rsplit("@", 1)[1]
    return url.render_as_string(hide_password=True) if url.password else value


def target_summary(engine: str, settings: Mapping) -> list[tuple[str, str]]:
    """(label, value) of a source's top-level, non-secret settings, for its overview and list."""
    if engine not in ENGINES:
        return []
    out = []
    for f in engine_fields(engine):
        if f.kind != "secret" and len(f.path) == 1 and settings.get(f.name) not in (None, ""):
            out.append((f.label, str(settings[f.name])))
    return out


def _form_errors(engine: str, messages) -> dict[str, list[str]]:
    """An engine's errors ({'options': {'sslmode': [...]}}) under the inputs' names."""
    by_path = {f.path: f.name for f in engine_fields(engine)} if engine in ENGINES else {}
    out: dict[str, list[str]] = {}

    def walk(value, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, (*path, str(key)))
            return
        msgs = value if isinstance(value, list) else [str(value)]
        name = by_path.get(path) or (path[0] if len(path) == 1 else ".".join(path))
        out.setdefault(name, []).extend(_human(m) for m in msgs)

    walk(messages or {}, ())
    return out


_COMMON = ma.Schema.from_dict({k: SourceCreateSchema().declared_fields[k] for k in ("name", "engine", "schedule")})


def load_source_form(
    form: MultiDict, source: Source | None = None, test_only: bool = False
) -> tuple[dict, dict, dict, dict[str, list[str]]]:
    """(common, settings, secrets, errors) from a source form: the common
    fields (name, engine, schedule) by the API's SourceCreateSchema, the engine's by
    its settings schema and this server's rules (api/sources/service.py), the
    stored source's secrets kept where the form leaves them blank. For a
    connection test only the engine's fields matter."""
    common_in: dict = {k: (form.get(k) or "").strip() for k in ("name", "engine")}
    common_in = {k: v for k, v in common_in.items() if v}
    common_in["schedule"] = (form.get("schedule") or "").strip() or None
    errors: dict[str, list[str]] = {}
    common: dict = common_in
    try:
        common = _COMMON().load(common_in)
    except ma.ValidationError as e:
        errors.update(_flatten(e.messages))
    if test_only:
        errors = {k: v for k, v in errors.items() if k == "engine"}
    engine = common_in.get("engine", "")
    settings: dict = {}
    secrets: dict = {}
    if engine in ENGINES:
        try:
            settings, secrets = engine_settings(engine, engine_input(engine, form), source, merge=False)
        except SourceRefused as e:
            for name, msgs in _form_errors(engine, e.errors).items():
                errors.setdefault(name, []).extend(msgs)
    return common, settings, secrets, errors


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
