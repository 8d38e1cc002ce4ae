"""Webhooks: a source's subscriptions (`subscriptions`), the outbox of their
deliveries written in the transaction that recorded each event (`outbox`),
the deliveries' state machine the workers drive (`deliveries`), and the
body's two forms: signed JSON (`signing`) and a Slack-compatible summary
(`slack`). Sending is the worker's (worker/webhooks.py); the URL's egress
policy is engines/webhook_egress.py, which the catalog does not import."""

from __future__ import annotations

# What a subscription can ask for. A schema change is one crawl's change
# events (filtered by kind, hazard label and an object glob); a crawl failure
# is a crawl that ended failed; lint findings are the findings an insights
# refresh added; `test` is what "send a test event" queues.
EVENT_TYPES = ("schema_change", "crawl_failed", "lint_findings")
TEST_EVENT = "test"
FORMATS = ("json", "slack")
STATES = ("pending", "delivering", "succeeded", "failed")
