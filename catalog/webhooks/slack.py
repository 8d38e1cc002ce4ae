"""A delivery's body in Slack's incoming-webhook form (a subscription's
`format: slack`): `{"text": summary, "blocks": [...]}`, with links to the
web UI's table pages under METACRAWL_PUBLIC_URL. Built from the stored
payload, so every attempt sends the same body."""

from __future__ import annotations

from urllib.parse import urlencode

MAX_LINES = 20  # changes or findings listed; the rest are counted


def _escape(value: object) -> str:
    """Slack's mrkdwn control characters as entities (names come from targets)."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table_link(base: str, source_id: int, schema: str | None, table: str | None) -> str:
    return f"{base}/sources/{source_id}/table?{urlencode({'schema': schema or '', 'name': table or ''})}"


def _change_line(base: str, source_id: int, change: dict) -> str:
    name = f"{change.get('schema') or ''}.{change.get('table') or ''}".strip(".")
    hazard = f" [{change['hazard']}]" if change.get("hazard") else ""
    what = _escape(change["event"].replace("_", " "))
    if change.get("table") and change["event"] != "table_removed":
        return f"• {what}: <{table_link(base, source_id, change['schema'], change['table'])}|{_escape(name)}>{hazard}"
    return f"• {what}: {_escape(name) or '-'}{hazard}"


def _lines(payload: dict, base: str) -> tuple[str, list[str]]:
    source = payload["source"]
    label = _escape(source.get("name") or f"source {source['id']}")
    data = payload["data"]
    event = payload["type"]
    if event == "schema_change":
        head = f"{data['total']} schema change(s) in {label} (crawl {payload['crawl_id']})"
        return head, [_change_line(base, source["id"], c) for c in data["changes"][:MAX_LINES]]
    if event == "crawl_failed":
        return f"A crawl of {label} failed ({_escape(data['error_type'])})", [_escape(data["message"])]
    if event == "lint_findings":
        head = f"{data['total']} new lint finding(s) in {label}"
        return head, [
            f"• {_escape(f['severity'])} {_escape(f['rule'])}: {_escape(f['object'])}"
            for f in data["findings"][:MAX_LINES]
        ]
    return f"Test event for {label}", [_escape(data.get("message", ""))]


def slack_body(payload: dict, public_url: str) -> dict:
    base = public_url.rstrip("/")
    head, lines = _lines(payload, base)
    data = payload["data"]
    shown = len(data.get("changes") or data.get("findings") or [])
    more = (data.get("total") or 0) - min(shown, MAX_LINES)
    if more > 0:
        lines.append(f"…and {more} more")
    source_link = f"{base}/sources/{payload['source']['id']}"
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*"}}]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{source_link}|Open in metacrawl>"}]})
    return {"text": head, "blocks": blocks}
