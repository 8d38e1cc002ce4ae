"""Webhooks of a source: team admins subscribe URLs to its events, read
the delivery logs and send test events. Admins only, listing too: a URL
may carry a token."""

from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import abort

from ..extensions import Blueprint
from ..ownership import ADMIN, owned_source
from . import views
from .schemas import (
    DeliveryArgs,
    DeliveryPageSchema,
    DeliverySchema,
    WebhookInput,
    WebhookListSchema,
    WebhookPatch,
    WebhookSchema,
    WebhookWithSecretSchema,
)

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/sources/<int:source_id>/webhooks",
    description="Signed webhooks on a source's schema changes, crawl failures and new lint findings (team admins)",
)

NOT_FOUND = "No such source of yours, or no such webhook"
REFUSED = "A field is refused (named in errors.json): a bad URL or one the egress policy refuses, an unknown kind"


def _refused(e: views.Refused):
    abort(422, message=e.message, errors={"json": {e.field: [e.message]}})


@blp.get("")
@blp.login_required
@blp.response(200, WebhookListSchema)
@blp.alt_response(404, description="No such source of yours")
@blp.needs_role("admin")
def list_webhooks(source_id):
    """A source's webhook subscriptions (never their secrets)"""
    owned_source(source_id, ADMIN)
    return {"webhooks": views.of_source(source_id)}


@blp.post("")
@blp.login_required
@blp.arguments(WebhookInput)
@blp.response(201, WebhookWithSecretSchema)
@blp.alt_response(404, description="No such source of yours")
@blp.alt_response(422, description=REFUSED)
@blp.needs_role("admin")
def create_webhook(fields, source_id):
    """Subscribe a URL to the source's events; the answer carries the signing secret, this once"""
    owned_source(source_id, ADMIN)
    try:
        return views.create(source_id, fields, current_user.id)
    except views.Refused as e:
        _refused(e)


@blp.get("/<int:webhook_id>")
@blp.login_required
@blp.response(200, WebhookSchema)
@blp.alt_response(404, description=NOT_FOUND)
@blp.needs_role("admin")
def get_webhook(source_id, webhook_id):
    """One subscription, with how its last delivery went"""
    owned_source(source_id, ADMIN)
    return views.one(source_id, webhook_id)


@blp.patch("/<int:webhook_id>")
@blp.login_required
@blp.arguments(WebhookPatch)
@blp.response(200, WebhookSchema)
@blp.alt_response(404, description=NOT_FOUND)
@blp.alt_response(422, description=REFUSED)
@blp.needs_role("admin")
def patch_webhook(fields, source_id, webhook_id):
    """Change a subscription's URL, filters, format or whether it is enabled"""
    owned_source(source_id, ADMIN)
    try:
        return views.update(source_id, webhook_id, fields)
    except views.Refused as e:
        _refused(e)


@blp.delete("/<int:webhook_id>")
@blp.login_required
@blp.response(204)
@blp.alt_response(404, description=NOT_FOUND)
@blp.needs_role("admin")
def delete_webhook(source_id, webhook_id):
    """Delete a subscription and its delivery log (what is pending is not sent)"""
    owned_source(source_id, ADMIN)
    views.remove(source_id, webhook_id)


@blp.post("/<int:webhook_id>/rotate-secret")
@blp.login_required
@blp.response(200, WebhookWithSecretSchema)
@blp.alt_response(404, description=NOT_FOUND)
@blp.needs_role("admin")
def rotate_secret(source_id, webhook_id):
    """A new signing secret, answered this once; deliveries from now on are signed with it"""
    owned_source(source_id, ADMIN)
    return views.rotate(source_id, webhook_id)


@blp.post("/<int:webhook_id>/test")
@blp.login_required
@blp.response(202, DeliverySchema)
@blp.alt_response(404, description=NOT_FOUND)
@blp.needs_role("admin")
def test_webhook(source_id, webhook_id):
    """Queue a test event (whatever the filters); the answer is its delivery, pending"""
    owned_source(source_id, ADMIN)
    return views.send_test(source_id, webhook_id)


@blp.get("/<int:webhook_id>/deliveries")
@blp.login_required
@blp.arguments(DeliveryArgs, location="query")
@blp.response(200, DeliveryPageSchema)
@blp.alt_response(404, description=NOT_FOUND)
@blp.needs_role("admin")
def webhook_deliveries(args, source_id, webhook_id):
    """A subscription's delivery log, newest first: state, attempts with their status and error, timestamps"""
    owned_source(source_id, ADMIN)
    return views.delivery_page(source_id, webhook_id, args)
