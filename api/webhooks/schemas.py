"""Webhooks: what a subscription takes and answers, and its delivery log."""

from __future__ import annotations

import marshmallow as ma

from catalog.changes import EVENTS as CHANGE_KINDS
from catalog.insights.hazards import HAZARDS
from catalog.webhooks import EVENT_TYPES, FORMATS, STATES

from ..catalog_reads.table_schemas import answered
from ..pagination import PageArgs
from ..timestamps import Timestamp

MAX_GLOB = 300


def _no_controls(value: str) -> None:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ma.ValidationError("must not hold control characters")


def _fields(required: bool) -> dict:
    """The changeable fields; on create with their defaults, on PATCH all optional."""

    def default(value):
        return {"load_default": value} if required else {}

    return {
        "url": ma.fields.String(
            required=required,
            metadata={
                "description": "Where deliveries are POSTed: https (or http) only; its address must be allowed by "
                "this server's egress policy (metadata and link-local never; loopback and private networks only "
                "where the operator allows), checked now and again at every delivery"
            },
        ),
        "events": ma.fields.List(
            ma.fields.String(validate=ma.validate.OneOf(EVENT_TYPES)),
            validate=ma.validate.Length(min=1, max=len(EVENT_TYPES)),
            metadata={"description": f"What to send: any of {', '.join(EVENT_TYPES)}"},
            **default(["schema_change"]),
        ),
        "change_kinds": ma.fields.List(
            ma.fields.String(validate=ma.validate.OneOf(CHANGE_KINDS)),
            validate=ma.validate.Length(max=len(CHANGE_KINDS)),
            metadata={"description": "Schema changes only of these change event kinds ([]: every kind)"},
            **default([]),
        ),
        "hazards": ma.fields.List(
            ma.fields.String(validate=ma.validate.OneOf(HAZARDS)),
            validate=ma.validate.Length(max=len(HAZARDS)),
            metadata={"description": "Schema changes only with these hazard labels ([]: any, unlabelled too)"},
            **default([]),
        ),
        "object_glob": ma.fields.String(
            allow_none=True,
            validate=[ma.validate.Length(min=1, max=MAX_GLOB), _no_controls],
            metadata={
                "description": "Schema changes only of objects whose schema.name matches this glob "
                "(* any characters, ? one; case-sensitive); null: any"
            },
            **default(None),
        ),
        "format": ma.fields.String(
            validate=ma.validate.OneOf(FORMATS),
            metadata={"description": "json (the event) or slack (a Slack-compatible summary with links)"},
            **default("json"),
        ),
        "enabled": ma.fields.Boolean(metadata={"description": "Disabled: nothing is queued or sent"}, **default(True)),
    }


WebhookInput = ma.Schema.from_dict(_fields(required=True), name="WebhookInput")
WebhookPatch = ma.Schema.from_dict(_fields(required=False), name="WebhookPatch")


@answered()
class WebhookSchema(ma.Schema):
    id = ma.fields.Integer()
    source_id = ma.fields.Integer()
    url = ma.fields.String()
    events = ma.fields.List(ma.fields.String())
    change_kinds = ma.fields.List(ma.fields.String())
    hazards = ma.fields.List(ma.fields.String())
    object_glob = ma.fields.String(allow_none=True)
    format = ma.fields.String()
    enabled = ma.fields.Boolean()
    created_by = ma.fields.Integer(allow_none=True)
    created_at = Timestamp()
    last_delivery_state = ma.fields.String(
        allow_none=True, metadata={"description": "How the last delivery that ended went: succeeded or failed"}
    )
    last_delivery_at = Timestamp(allow_none=True)
    last_error = ma.fields.String(allow_none=True, metadata={"description": "Why the last delivery failed"})
    deliveries_url = ma.fields.Function(
        lambda w: f"/api/v1/sources/{w['source_id']}/webhooks/{w['id']}/deliveries",
        metadata={"description": "Its delivery log"},
    )


@answered()
class WebhookWithSecretSchema(WebhookSchema):
    secret = ma.fields.String(
        metadata={
            "description": "The signing secret: shown here once (on creation and rotation), never again; "
            "X-Metacrawl-Signature is HMAC-SHA256 under it of '<t>.<body>'"
        }
    )


@answered()
class WebhookListSchema(ma.Schema):
    webhooks = ma.fields.List(ma.fields.Nested(WebhookSchema))


@answered()
class AttemptSchema(ma.Schema):
    attempt = ma.fields.Integer()
    at = ma.fields.String(metadata={"description": "RFC 3339 UTC"})
    status = ma.fields.Integer(allow_none=True, metadata={"description": "The receiver's HTTP status; null: none"})
    error = ma.fields.String(allow_none=True)
    ms = ma.fields.Integer()


@answered()
class DeliverySchema(ma.Schema):
    id = ma.fields.String(
        attribute="delivery_id",
        metadata={"description": "The delivery id (X-Metacrawl-Delivery), the same on every attempt"},
    )
    event = ma.fields.String(metadata={"description": f"{', '.join(EVENT_TYPES)} or test"})
    crawl_id = ma.fields.Integer(allow_none=True)
    state = ma.fields.String(metadata={"description": ", ".join(STATES)})
    attempts = ma.fields.Integer()
    next_attempt_at = Timestamp(metadata={"description": "When a pending delivery is tried next"})
    last_status = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    history = ma.fields.List(ma.fields.Nested(AttemptSchema), metadata={"description": "Every attempt"})
    created_at = Timestamp()
    delivered_at = Timestamp(allow_none=True)


@answered()
class DeliveryPageSchema(ma.Schema):
    deliveries = ma.fields.List(ma.fields.Nested(DeliverySchema))
    next_cursor = ma.fields.String(allow_none=True)


class DeliveryArgs(PageArgs):
    pass
