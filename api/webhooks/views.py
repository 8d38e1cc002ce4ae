"""Webhooks of a source: the functions the API's routes and the UI's pages
call (the caller checked the role: api/ownership.py). The URL is checked by
the egress policy here and again by the worker at every delivery; the
secret is made here, encrypted with the vault and answered once."""

from __future__ import annotations

import logging

from flask import current_app
from flask_smorest import abort

from catalog.db import Session, transaction
from catalog.vault import Vault
from catalog.webhooks import deliveries, outbox, signing, subscriptions
from engines.netpolicy import AddressRefused
from engines.webhook_egress import BadURL, check_url, webhook_policy

from ..pagination import decode_cursor, encode_cursor, next_link_headers

log = logging.getLogger(__name__)


class Refused(Exception):
    """A field the server refuses (422 in the API, a message under the field in the UI)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def url_problem(url: str) -> str | None:
    """Why this server will not deliver to `url` (None: it may)."""
    try:
        check_url(url, webhook_policy(current_app.config["METACRAWL"]))
    except BadURL as e:
        return str(e)
    except AddressRefused as e:
        return f"refused by this server's egress policy: {e}"
    return None


def _checked(fields: dict) -> dict:
    if "url" in fields:
        problem = url_problem(fields["url"])
        if problem is not None:
            raise Refused("url", problem)
    return fields


def _encrypted(secret: str) -> str:
    return Vault(current_app.config["METACRAWL"].fernet_keys).encrypt(secret).decode("ascii")


def create(source_id: int, fields: dict, user_id: int) -> dict:
    """A new subscription and, this once, its secret. Refused: a bad field."""
    secret = signing.new_secret()
    with transaction() as session:
        row = subscriptions.create(session, source_id, _encrypted(secret), user_id, **_checked(fields))
    return {**row, "secret": secret}


def update(source_id: int, subscription_id: int, fields: dict) -> dict:
    with transaction() as session:
        row = subscriptions.update(session, source_id, subscription_id, **_checked(fields))
    return _found(row, subscription_id)


def rotate(source_id: int, subscription_id: int) -> dict:
    secret = signing.new_secret()
    with transaction() as session:
        row = subscriptions.set_secret(session, source_id, subscription_id, _encrypted(secret))
    return {**_found(row, subscription_id), "secret": secret}


def one(source_id: int, subscription_id: int) -> dict:
    row = subscriptions.get(Session(), source_id, subscription_id)
    Session.commit()
    return _found(row, subscription_id)


def of_source(source_id: int) -> list[dict]:
    rows = subscriptions.of_source(Session(), source_id)
    Session.commit()
    return rows


def remove(source_id: int, subscription_id: int) -> None:
    with transaction() as session:
        done = subscriptions.remove(session, source_id, subscription_id)
    if not done:
        _found(None, subscription_id)


def send_test(source_id: int, subscription_id: int) -> dict:
    """Queue a test event (the outbox row first; when the broker is down the
    worker's sweep sends it)."""
    with transaction() as session:
        row = _found(subscriptions.get(session, source_id, subscription_id), subscription_id)
        new_id = outbox.for_test(session, row)
    # read before it is sent: the answer is the delivery as queued (pending),
    # never whatever a fast worker has made of it meanwhile
    rows = deliveries.log(Session(), subscription_id, before_id=new_id + 1, limit=1)
    Session.commit()
    try:
        current_app.extensions["metacrawl_celery"].send_task("webhooks.deliver", args=[new_id], queue="webhooks")
    except Exception as e:  # the row is there: the sweep sends it
        log.warning("test delivery not queued (%s); the sweep will send it", type(e).__name__)
    return rows[0]


def delivery_page(source_id: int, subscription_id: int, args: dict):
    one(source_id, subscription_id)
    scope = f"webhook-deliveries:{subscription_id}"
    after = decode_cursor(scope, args["cursor"], 1)
    rows = deliveries.log(Session(), subscription_id, after[0] if after else None, args["limit"] + 1)
    Session.commit()
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    next_cursor = encode_cursor(scope, [rows[-1]["id"]]) if more else None
    return {"deliveries": rows, "next_cursor": next_cursor}, next_link_headers(next_cursor)


def _found(row: dict | None, subscription_id: int) -> dict:
    if row is None:
        abort(404, message=f"webhook {subscription_id} not found")
        raise AssertionError("abort raises")
    return row
