"""Insights answers built once for the API's routes and the web UI's pages:
a page of findings with counts and coverage, the ignore list's changes and
a decision on an inferred key."""

from __future__ import annotations

from flask_smorest import abort

from catalog.db import Session, transaction
from catalog.insights import inferred, lint
from catalog.reads import insight_run

from ..ownership import CURATOR, owned_source
from ..pagination import decode_cursor, encode_cursor, next_link_headers

FILTERS = ("rule", "severity", "schema", "table")


def insights_page(args, source_id: int):
    """A page of the source's findings (the caller has checked the source),
    with its counts by rule and coverage; returns the body and its Link headers."""
    filters = {k: args.get(k) for k in FILTERS}
    scope = f"insights:{source_id}:" + ":".join(str(v) for v in filters.values())
    after = decode_cursor(scope, args["cursor"], 1)
    session = Session()
    rows = lint.findings_page(
        session, source_id, after_id=after[0] if after else None, limit=args["limit"] + 1, **filters
    )
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    next_cursor = encode_cursor(scope, [rows[-1]["id"]]) if more else None
    run = insight_run(session, source_id)
    body = {
        "source_id": source_id,
        "computed_at": run.computed_at if run else None,
        "crawl_id": run.crawl_id if run else None,
        "counts": lint.finding_counts(session, source_id),
        "coverage": lint.coverage(session, source_id),
        "findings": rows,
        "next_cursor": next_cursor,
    }
    return body, next_link_headers(next_cursor)


def check_ignore_entry(rule: str | None, pattern: str | None) -> tuple[str, str]:
    """An ignore entry as the API's schema takes it: 422 naming the field otherwise."""
    if rule not in ("*", *lint.RULES):
        abort(422, message=f"rule: must be * or one of {', '.join(lint.RULES)}")
    if not pattern or len(pattern) > 500 or "\x00" in pattern:
        abort(422, message="pattern: a glob of 1 to 500 characters (* any characters, ? one)")
    return str(rule), str(pattern)


def ignore(source_id: int, rule: str | None, pattern: str | None, add: bool) -> None:
    """Add an entry to the source's ignore list or take one off (curators and up)."""
    owned_source(source_id, CURATOR)
    rule, pattern = check_ignore_entry(rule, pattern)
    with transaction() as session:
        if add:
            lint.add_ignore(session, source_id, rule, pattern)
        elif not lint.remove_ignore(session, source_id, rule, pattern):
            abort(404, message=f"{rule} {pattern} is not on the ignore list of source {source_id}")


def decide(source_id: int, candidate_id: int, decision: str) -> dict:
    """Accept or reject an inferred key (curators and up): 404 when the
    source has no such candidate."""
    owned_source(source_id, CURATOR)
    with transaction() as session:
        row = inferred.decide(session, source_id, candidate_id, decision)
    if row is None:
        abort(404, message=f"no inferred key {candidate_id} in source {source_id}")
        raise AssertionError("abort raises")
    return row
