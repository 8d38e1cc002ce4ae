import copy
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import current_app

from catalog.schedules import ScheduleError, check
from engines import ENGINES

from ..crawls.schemas import VisibilityWarningSchema
from ..timestamps import Timestamp

ENGINE_NAMES = tuple(ENGINES)


def _cron(value):
    if value is None:
        return
    try:
        check(value, current_app.config["METACRAWL"].min_schedule_interval_minutes)
    except ScheduleError as e:
        raise ma.ValidationError(str(e)) from None


def engine_fields() -> dict[str, ma.fields.Field]:
    """Every engine's settings fields, flat beside the common ones (so POST
    /sources with host/port/... keeps working), each optional here and
    documented with the engines that take it; the engine's own settings
    schema then validates what was sent (_SourceInput._engine_settings)."""
    fields: dict[str, ma.fields.Field] = {}
    users: dict[str, list[str]] = {}
    for engine, cls in ENGINES.items():
        for name, field in cls.settings_schema._declared_fields.items():
            users.setdefault(name, []).append(engine)
            if name not in fields:
                union = copy.deepcopy(field)
                union.required = False
                union.load_default = ma.missing
                fields[name] = union
    for name, field in fields.items():
        said = field.metadata.get("description", "")
        field.metadata = {**field.metadata, "description": f"{said} Engines: {', '.join(users[name])}.".strip()}
        field.metadata.pop("secret", None)
    return fields


class CrawlRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    state = ma.fields.String(required=True)
    url = ma.fields.String(required=True)


class _SourceInput(ma.Schema):
    """What registering a source takes (PATCH: each optional); the answer is a Source."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    engine = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(ENGINE_NAMES),
        metadata={"description": "Which engine; it decides the other settings the source takes."},
    )
    schedule = ma.fields.String(
        allow_none=True,
        validate=[ma.validate.Length(max=100), _cron],
        metadata={
            "description": "Cron (UTC) for recrawls; null for none. Default: nightly at 02:00. Runs must be at "
            "least METACRAWL_MIN_SCHEDULE_INTERVAL_MINUTES (default 15) apart."
        },
    )
    team_id = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**63 - 1),
        metadata={
            "description": "The team the source belongs to: its members reach it, by role. Default: your personal "
            "team. Sending another moves the source: you must be an admin of both teams."
        },
    )

    @ma.post_load(pass_original=True)
    def _engine_settings(self, data, original, partial=False, **kwargs):
        """Split the engine's settings from the common fields: `settings`
        (raw as sent; for a PATCH the route merges and validates them) or,
        on creation, validated by the engine's own schema into `settings`
        and `secrets`."""
        names = ENGINE_FIELD_NAMES
        sent = {k: v for k, v in (original or {}).items() if k in names}
        out = {k: v for k, v in data.items() if k not in names}
        if partial:
            out["settings"] = sent
            return out
        out["settings"], out["secrets"] = load_engine_settings(data["engine"], sent)
        return out


def _doc(name: str) -> Mapping[str, Any]:
    return _SourceInput._declared_fields[name].metadata


class _SourceAnswer(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    engine = ma.fields.String(required=True, validate=ma.validate.OneOf(ENGINE_NAMES), metadata=_doc("engine"))
    schedule = ma.fields.String(required=True, allow_none=True, metadata=_doc("schedule"))
    team_id = ma.fields.Integer(required=True, metadata={"description": "The team the source belongs to."})
    registered_by = ma.fields.Integer(
        required=True, allow_none=True, attribute="user_id", metadata={"description": "Who registered it."}
    )
    role = ma.fields.String(
        required=True, metadata={"description": "Your role in the source's team: viewer, curator or admin."}
    )
    next_crawl_at = Timestamp(required=True, allow_none=True)
    last_crawled_at = Timestamp(required=True, allow_none=True)
    last_success_at = Timestamp(required=True, allow_none=True)
    stale = ma.fields.Boolean(required=True)
    last_crawl = ma.fields.Nested(CrawlRefSchema, required=True, allow_none=True)
    warnings = ma.fields.List(
        ma.fields.Nested(VisibilityWarningSchema),
        required=True,
        metadata={
            "description": "What the account lacked the privilege to see at the source's last crawl (its "
            "`warnings`): the catalog's lists of those kinds are incomplete; [] when none or never crawled"
        },
    )
    crawl = ma.fields.Nested(CrawlRefSchema, metadata={"description": "On creation: the first crawl, already queued."})
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


ENGINE_FIELD_NAMES = frozenset(engine_fields())
# the body of POST /sources (and, each optional, of PATCH)
SourceCreateSchema = type("SourceCreateSchema", (_SourceInput,), engine_fields())
# what a source's reads answer: the common fields, and its engine's settings (never a secret)
SourceSchema = type("SourceSchema", (_SourceAnswer,), {k: f for k, f in engine_fields().items() if not f.load_only})


def load_engine_settings(engine: str, sent: dict, stored_secrets: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """Validate `sent` with the engine's settings schema; return (settings,
    secrets). Secret fields already stored need not be sent again."""
    cls = ENGINES[engine]
    loaded = cls.settings_schema().load(sent, partial=tuple(n for n in stored_secrets if n not in sent))
    secret = set(cls.secret_fields())
    return {k: v for k, v in loaded.items() if k not in secret}, {k: v for k, v in loaded.items() if k in secret}


class SourceListArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=2000))
    all = ma.fields.Boolean(load_default=False, metadata={"description": "Admins: every user's sources."})
    team_id = ma.fields.Integer(
        load_default=None, validate=ma.validate.Range(min=1), metadata={"description": "Only this team's sources."}
    )


class SourcePageSchema(ma.Schema):
    sources = ma.fields.List(ma.fields.Nested(SourceSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


class SourcePatchSchema(SourceCreateSchema):  # type: ignore[valid-type,misc]
    """The same fields, each optional (loaded with partial=True)."""
