"""Webhook tasks, on the `webhooks` queue (a worker of its own in the
Procfile, so a slow receiver never takes a crawl's worker slot):

- `webhooks.deliver(delivery id)`: claim the row (catalog/webhooks/
  deliveries.py), sign and POST its body (engines/webhook_egress.py: the URL
  checked and its resolved address pinned at every attempt, connect and
  read bounded), record the outcome; a failed attempt is sent again after
  its backoff, until the retry window closes and it is recorded as failed.
  No catalog transaction is open while the receiver is asked.
- `webhooks.sweep` (beat, every METACRAWL_WEBHOOK_SWEEP_INTERVAL): sends
  every delivery that is due and whose turn it is, among them those whose
  worker was lost mid-attempt (lease run out) and those written by a
  process that died before sending them: the outbox row, not the broker
  message, is the truth (at least once; the receiver sees the same
  X-Metacrawl-Delivery on a repeat).

Arguments are ids only; the secret is decrypted here, used to sign, and
never logged or passed on.
"""

from __future__ import annotations

import json
import logging
import time

from catalog.db import Session, transaction
from catalog.vault import Vault, VaultError
from catalog.webhooks import deliveries, signing
from catalog.webhooks.slack import slack_body
from engines.netpolicy import AddressRefused
from engines.webhook_egress import Answer, BadURL, post, webhook_policy

from . import runtime
from .app import app

log = logging.getLogger("metacrawl.webhooks")

QUEUE = "webhooks"


def body_of(claimed: deliveries.Claimed, public_url: str) -> bytes:
    """The bytes sent, the same on every attempt (built from the stored payload)."""
    document = slack_body(claimed.payload, public_url) if claimed.format == "slack" else claimed.payload
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def attempt(claimed: deliveries.Claimed, settings) -> tuple[Answer, bool]:
    """One POST: (its answer, whether no retry can help: the policy refused
    the address, the URL or the secret is unusable, the subscription was
    disabled)."""
    if not claimed.enabled:
        return Answer(None, "the subscription is disabled", 0), True
    try:
        secret = Vault(settings.fernet_keys).decrypt(claimed.secret.encode("ascii"))
    except VaultError as e:
        return Answer(None, str(e), 0), True
    body = body_of(claimed, settings.public_url)
    headers = {
        signing.SIGNATURE_HEADER: signing.signature(secret, int(time.time()), body),
        signing.DELIVERY_HEADER: claimed.delivery_id,
        signing.EVENT_HEADER: claimed.event,
        "User-Agent": "metacrawl-webhooks/1",
    }
    try:
        return post(claimed.url, body, headers, webhook_policy(settings), settings.webhook_timeout), False
    except (AddressRefused, BadURL) as e:
        return Answer(None, f"refused by this server's egress policy: {e}", 0), True


@app.task(name="webhooks.deliver", acks_late=True, reject_on_worker_lost=True)
def deliver(delivery_id: int) -> None:
    settings = runtime.settings()
    try:
        with transaction() as session:
            claimed = deliveries.claim(session, delivery_id, settings.webhook_lease_seconds)
        if claimed is None:
            return
        answer, final = attempt(claimed, settings)
        with transaction() as session:
            recorded = deliveries.record(
                session,
                claimed,
                answer.status,
                answer.error,
                answer.ms,
                first_backoff=settings.webhook_backoff_seconds,
                retry_seconds=settings.webhook_retry_seconds,
                final=final,
            )
            following = deliveries.next_of(session, claimed.subscription_id) if recorded.state else None
    finally:
        Session.remove()
    extra = {"delivery": claimed.delivery_id, "subscription_id": claimed.subscription_id, "attempt": claimed.attempt}
    if recorded.state == "succeeded":
        log.info("webhook delivered (%s)", answer.status, extra=extra)
    else:
        log.warning("webhook attempt failed: %s; now %s", answer.error, recorded.state, extra=extra)
    if recorded.retry_in is not None:
        send(claimed.id, countdown=recorded.retry_in)
    if following is not None:
        send(following)


def send(delivery_id: int, countdown: float | None = None) -> None:
    """Queue a delivery; when the broker is down the sweep sends it later."""
    try:
        deliver.apply_async(args=[delivery_id], countdown=countdown, queue=QUEUE)
    except Exception as e:
        log.warning("webhook delivery not queued (%s); the sweep will send it", type(e).__name__)


@app.task(name="webhooks.sweep")
def sweep() -> int:
    """Send what is due and whose turn it is (see the module's docstring)."""
    runtime.settings()
    try:
        due = deliveries.due(Session())
        Session.commit()
    finally:
        Session.remove()
    for delivery_id in due:
        send(delivery_id)
    return len(due)
