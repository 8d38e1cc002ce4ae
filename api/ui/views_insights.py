"""A source's insights in the browser: lint findings grouped by severity and
rule with their explanations and fixes, the ignore list (a curator ignores
a finding or takes an entry off), documentation coverage, a table's own
findings, and the inferred keys a curator accepts or rejects. The pages call
the API's insights views (api/insights/views.py) and catalog/insights."""

from __future__ import annotations

from flask import redirect, render_template, request

from catalog.db import Session
from catalog.insights import inferred, lint

from ..diagrams.graph import table_page
from ..insights.views import decide, ignore, insights_page
from ..ownership import owned_source, role_in
from ..pagination import decode_cursor, encode_cursor
from . import blp
from .session import page

PER_RULE = 10  # findings shown under each rule on the whole page; its own page pages through the rest
PAGE_SIZE = 50
INFERRED_FILTERS = ("undecided", *inferred.DECISIONS, "all")


def _linked(source_id: int, rows: list[dict]) -> list[dict]:
    for r in rows:
        r["url"] = table_page(source_id, (r["schema_name"], r["table_name"])) if r.get("table_name") else None
    return rows


def _may_curate(source) -> bool:
    return role_in(source.team_id) in ("curator", "admin")


@blp.get("/sources/<int:source_id>/insights")
@page
def insights(source_id: int):
    source = owned_source(source_id)
    rule = request.args.get("rule") if request.args.get("rule") in lint.RULES else None
    args = {"rule": rule, "cursor": request.args.get("cursor") or None, "limit": PAGE_SIZE if rule else 1}
    body, _ = insights_page(args, source_id)
    counts = body["counts"]
    session = Session()
    if rule:
        shown = body["findings"]
    else:
        shown = lint.findings_by_rule(session, source_id, sorted(counts), PER_RULE)
    by_rule: dict[str, list[dict]] = {}
    for f in _linked(source_id, shown):
        by_rule.setdefault(f["rule"], []).append(f)
    groups = [
        (
            severity,
            [
                (r, meaning, counts[r], by_rule.get(r, []))
                for r, (sev, meaning) in lint.RULES.items()
                if sev == severity and counts.get(r) and (rule is None or r == rule)
            ],
        )
        for severity in lint.SEVERITIES
    ]
    return render_template(
        "insights.html",
        source=source,
        body=body,
        groups=[g for g in groups if g[1]],
        rule=rule,
        ignores=lint.ignore_list(session, source_id),
        undecided=len(inferred.candidates(session, source_id, decision="undecided", limit=101)),
        may_curate=_may_curate(source),
        done=request.args.get("done") if request.args.get("done") in ("ignored", "unignored") else None,
    )


def _back(source_id: int, done: str):
    rule = request.form.get("back_rule")
    to = f"/sources/{source_id}/insights?done={done}"
    return redirect(to + (f"&rule={rule}" if rule in lint.RULES else ""), 303)


@blp.post("/sources/<int:source_id>/insights/ignore")
@page
def ignore_finding(source_id: int):
    ignore(source_id, request.form.get("rule"), request.form.get("pattern"), add=True)
    return _back(source_id, "ignored")


@blp.post("/sources/<int:source_id>/insights/unignore")
@page
def unignore_finding(source_id: int):
    ignore(source_id, request.form.get("rule"), request.form.get("pattern"), add=False)
    return _back(source_id, "unignored")


def table_findings(source_id: int, table_id: int | None) -> list[dict]:
    """The table page's findings (its source already checked)."""
    return lint.table_findings(Session(), source_id, table_id) if table_id else []


@blp.get("/sources/<int:source_id>/inferred-keys")
@page
def inferred_keys(source_id: int):
    source = owned_source(source_id)
    wanted = request.args.get("decision")
    decision = wanted if wanted in INFERRED_FILTERS else "undecided"
    scope = f"ui-inferred:{source_id}:{decision}"
    after = decode_cursor(scope, request.args.get("cursor") or None, 2)
    rows = inferred.candidates(
        Session(),
        source_id,
        decision=None if decision == "all" else decision,
        after=(float(after[0]), int(after[1])) if after else None,
        limit=PAGE_SIZE + 1,
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    for r in rows:
        r["url"] = table_page(source_id, (r["schema_name"], r["table_name"]))
        r["referenced_url"] = table_page(source_id, (r["referenced_schema"], r["referenced_table"]))
    return render_template(
        "inferred_keys.html",
        source=source,
        rows=rows,
        decision=decision,
        filters=INFERRED_FILTERS,
        next_cursor=encode_cursor(scope, [rows[-1]["score"], rows[-1]["id"]]) if more else None,
        may_curate=_may_curate(source),
        done=request.args.get("done") if request.args.get("done") in inferred.DECISIONS else None,
    )


@blp.post("/sources/<int:source_id>/inferred-keys/<int:candidate_id>/<any(accept, reject):verb>")
@page
def decide_inferred_key(source_id: int, candidate_id: int, verb: str):
    row = decide(source_id, candidate_id, "accepted" if verb == "accept" else "rejected")
    back = request.form.get("back") if request.form.get("back") in INFERRED_FILTERS else "undecided"
    return redirect(f"/sources/{source_id}/inferred-keys?decision={back}&done={row['decision']}", 303)
