"""Shared pieces of the insights tests: a PostgreSQL target on which every
lint rule finds something, and the findings read page by page."""

from __future__ import annotations

from urllib.parse import quote

WIDE = ", ".join(f"c{i} int" for i in range(1, 102))


BAD_PG = f"""
CREATE TABLE nopk (a int);
CREATE TABLE parent (id bigint PRIMARY KEY, doc json, code text, "Name" text, "order" int);
CREATE UNIQUE INDEX parent_code_key ON parent (code);
CREATE TABLE child (id bigint PRIMARY KEY, parent_id integer REFERENCES parent (id), a int, b int, code integer);
CREATE INDEX child_a ON child (a);
CREATE INDEX child_a_again ON child (a);
CREATE INDEX child_a_b ON child (a, b);
CREATE TABLE "Bad Name" (id bigint PRIMARY KEY);
CREATE TABLE wide (id bigint PRIMARY KEY, {WIDE});
"""


def all_findings(user, source_id, query="") -> list[dict]:
    url, found = f"/api/v1/sources/{source_id}/insights?limit=7{query}", []
    while url:
        r = user.get(url)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        found += body["findings"]
        url = (
            f"/api/v1/sources/{source_id}/insights?limit=7{query}&cursor={quote(body['next_cursor'])}"
            if body["next_cursor"]
            else None
        )
    return found


def by_rule(findings) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f["rule"], set()).add(f["object"])
    return out
