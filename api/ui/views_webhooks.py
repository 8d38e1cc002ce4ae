"""A source's webhooks, for its team's admins: the subscriptions with how
their last delivery went, a form to add one (its secret shown once, on the
page that answers the form: it is never shown again), and per subscription
its delivery log, "Send a test event", a new secret and delete. Plain POST
forms: answered by a redirect, or the page again with problems under their
fields (422); the API's webhook views do the work."""

from __future__ import annotations

from flask import redirect, render_template, request
from flask_jwt_extended import current_user

from catalog.changes import EVENTS as CHANGE_KINDS
from catalog.insights.hazards import HAZARDS
from catalog.webhooks import EVENT_TYPES, FORMATS

from ..ownership import ADMIN, owned_source
from ..webhooks import views
from ..webhooks.schemas import WebhookInput
from . import blp
from .forms import load_with
from .session import page


def _list_page(source, values=None, errors=None, created=None, status=200):
    return (
        render_template(
            "webhooks.html",
            source=source,
            hooks=views.of_source(source.id),
            values=values or {},
            errors=errors or {},
            created=created,
            event_types=EVENT_TYPES,
            formats=FORMATS,
            hazards=HAZARDS,
            change_kinds=CHANGE_KINDS,
            done=request.args.get("done"),
        ),
        status,
    )


def _form_fields() -> dict:
    form = request.form
    return {
        "url": (form.get("url") or "").strip(),
        "events": form.getlist("events"),
        "change_kinds": form.getlist("change_kinds"),
        "hazards": form.getlist("hazards"),
        "object_glob": (form.get("object_glob") or "").strip() or None,
        "format": form.get("format") or "json",
    }


@blp.route("/sources/<int:source_id>/webhooks", methods=["GET", "POST"])
@page
def webhooks_page(source_id: int):
    source = owned_source(source_id, ADMIN)
    if request.method == "GET":
        return _list_page(source)
    data, errors = load_with(WebhookInput(), _form_fields())
    if not errors:
        try:
            created = views.create(source_id, data, current_user.id)
        except views.Refused as e:
            errors = {e.field: [e.message]}
        else:
            return _list_page(source, created=created, status=201)
    return _list_page(source, _form_fields(), errors, status=422)


@blp.get("/sources/<int:source_id>/webhooks/<int:webhook_id>")
@page
def webhook_page(source_id: int, webhook_id: int):
    source = owned_source(source_id, ADMIN)
    hook = views.one(source_id, webhook_id)
    log, _headers = views.delivery_page(source_id, webhook_id, {"cursor": None, "limit": 100})
    return render_template(
        "webhook.html", source=source, hook=hook, deliveries=log["deliveries"], done=request.args.get("done")
    )


@blp.post("/sources/<int:source_id>/webhooks/<int:webhook_id>/<any(test, delete, rotate, enable, disable):action>")
@page
def webhook_action(source_id: int, webhook_id: int, action: str):
    source = owned_source(source_id, ADMIN)
    if action == "delete":
        views.remove(source_id, webhook_id)
        return redirect(f"/sources/{source_id}/webhooks?done=deleted", 303)
    if action == "rotate":
        created = views.rotate(source_id, webhook_id)
        return _list_page(source, created=created)
    if action == "test":
        views.send_test(source_id, webhook_id)
    else:
        views.update(source_id, webhook_id, {"enabled": action == "enable"})
    done = {"test": "test-queued", "enable": "enabled", "disable": "disabled"}[action]
    return redirect(f"/sources/{source_id}/webhooks/{webhook_id}?done={done}", 303)
