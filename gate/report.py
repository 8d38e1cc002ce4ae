"""The gate's findings written as text, Markdown, JSON or SARIF 2.1.0."""

from __future__ import annotations

import json
from dataclasses import dataclass

from catalog.document_diff import Finding

from .rules import RANK, RULES, Rule, rule_of

FORMATS = ("text", "markdown", "json", "sarif")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/metacrawl/metacrawl#schema-gate-for-ci"
LEVELS = {"destructive": "error", "breaking": "error", "risky": "warning", "safe": "note"}


@dataclass(frozen=True)
class Hazard:
    """A finding and its rule."""

    finding: Finding
    rule: Rule


def hazards(findings: list[Finding]) -> list[Hazard]:
    """The findings with their rules, worst first (then in the order found)."""
    found = [Hazard(f, rule_of(f.code)) for f in findings]
    return sorted(found, key=lambda h: -RANK[h.rule.severity])


def as_dict(h: Hazard) -> dict:
    f = h.finding
    return {
        "rule": h.rule.id,
        "name": h.rule.name,
        "severity": h.rule.severity,
        "label": f.label,
        "object": f.object,
        "schema": f.schema,
        "table": f.table,
        "column": f.column,
        "reason": f.reason,
    }


def _md(text: str) -> str:
    """A Markdown table cell: names may hold pipes, backticks, newlines, markup."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("<", "&lt;")
    return " ".join(out.split())


def write(found: list[Hazard], fmt: str, old: str, new: str, artifact: str | None = None) -> str:
    if fmt == "json":
        return json.dumps({"old": old, "new": new, "changes": [as_dict(h) for h in found]}, indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif(found, artifact), indent=2) + "\n"
    if fmt == "markdown":
        lines = [f"### Schema changes: {_md(old)} → {_md(new)}", ""]
        if not found:
            return "\n".join([*lines, "No changes.", ""])
        lines += ["| rule | severity | object | change | safer path |", "| --- | --- | --- | --- | --- |"]
        for h in found:
            cells = (h.rule.id + " " + h.rule.name, h.rule.severity, h.finding.object, h.finding.reason, h.rule.safer)
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        return "\n".join([*lines, ""])
    if not found:
        return "no changes\n"
    return "".join(
        f"{h.rule.id} {h.rule.severity} {h.finding.object}: {' '.join(h.finding.reason.split())}\n" for h in found
    )


def _rule(r: Rule) -> dict:
    return {
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.short},
        "fullDescription": {"text": f"{r.short}. What breaks: {r.breaks}"},
        "help": {"text": f"What breaks: {r.breaks} Safer path: {r.safer}"},
        "defaultConfiguration": {"level": LEVELS[r.severity]},
        "properties": {"tags": ["schema", r.severity]},
    }


def _location(f: Finding, artifact: str | None) -> dict:
    """The object as a logical location; `artifact` (the migration or schema
    file, for GitHub code scanning, which shows results on a file) as well."""
    kind = "column" if f.column else "table" if f.table else "namespace"
    name = f.column or f.table or f.schema
    out: dict = {"logicalLocations": [{"fullyQualifiedName": f.object, "name": name, "kind": kind}]}
    if artifact:
        out["physicalLocation"] = {"artifactLocation": {"uri": artifact}, "region": {"startLine": 1}}
    return out


def sarif(found: list[Hazard], artifact: str | None = None) -> dict:
    """A SARIF 2.1.0 log: every rule in tool.driver.rules, one result per finding."""
    index = {r.id: i for i, r in enumerate(RULES)}
    results = [
        {
            "ruleId": h.rule.id,
            "ruleIndex": index[h.rule.id],
            "level": LEVELS[h.rule.severity],
            "message": {"text": f"{h.finding.object}: {h.finding.reason} ({h.rule.name}, {h.rule.severity})"},
            "locations": [_location(h.finding, artifact)],
            "properties": {"severity": h.rule.severity, "label": h.finding.label},
        }
        for h in found
    ]
    driver = {"name": "metacrawl", "informationUri": INFORMATION_URI, "rules": [_rule(r) for r in RULES]}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]}
