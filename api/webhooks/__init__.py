"""Webhook subscriptions of a source, their secrets and delivery logs (issue #24)."""
