"""The lint rules, one module each (its explanation, severity, SQL and fix),
and their registry. A rule module holds `RULE` (name, severity, meaning) and
`statements(dialect)`: its INSERT ... SELECT statements into
catalog_findings for the source's engine (none where it does not apply).
The one-table rules read `insights_scope` and `lint_indexes`, the rules
across tables `lint_fk_tables`, `lint_names` and `lint_relations`
(catalog/insights/lint.py prepares them). A new rule is one module here and
its place in both lists below. The runtime rules (RUNTIME_ORDER) read usage
instead and run over the whole source after every crawl."""

from __future__ import annotations

from typing import Protocol

from . import (
    column_type_inconsistent,
    column_without_comment,
    duplicate_index,
    fk_type_mismatch,
    fk_without_index,
    fk_without_index_busy_parent,
    heavy_seq_scan,
    identifier_needs_quoting,
    json_not_jsonb,
    never_analyzed,
    no_primary_key,
    no_relations,
    nullable_in_unique,
    redundant_index,
    table_without_comment,
    too_many_columns,
    unused_index,
)
from .common import Dialect, Rule


class LintRule(Protocol):
    RULE: Rule

    def statements(self, d: Dialect) -> list[str]: ...


# The order the rules run in, the rules across tables last: a finding's id
# follows it, and findings are listed by id.
RUN_ORDER: tuple[LintRule, ...] = (
    no_primary_key,
    fk_without_index,
    duplicate_index,
    redundant_index,
    nullable_in_unique,
    json_not_jsonb,
    table_without_comment,
    column_without_comment,
    identifier_needs_quoting,
    too_many_columns,
    fk_type_mismatch,
    column_type_inconsistent,
    no_relations,
)

# The runtime rules: they read usage (catalog_table_activity,
# catalog_index_usage), which moves at every crawl without any definition
# changing, so they run after every crawl over the whole source
# (catalog/insights/runtime.py), after the lint (the busy-parent rule reads
# fk_without_index's findings).
RUNTIME_ORDER: tuple[LintRule, ...] = (unused_index, heavy_seq_scan, never_analyzed, fk_without_index_busy_parent)

SEVERITIES = ("error", "warning", "info")

# rule -> (severity, what it means), in the order the API documents them.
RULES: dict[str, tuple[str, str]] = {
    m.RULE.name: (m.RULE.severity, m.RULE.meaning)
    for m in (
        no_primary_key,
        fk_without_index,
        fk_without_index_busy_parent,
        duplicate_index,
        redundant_index,
        unused_index,
        heavy_seq_scan,
        never_analyzed,
        fk_type_mismatch,
        nullable_in_unique,
        json_not_jsonb,
        table_without_comment,
        column_without_comment,
        column_type_inconsistent,
        no_relations,
        identifier_needs_quoting,
        too_many_columns,
    )
}


def rule_statements(engine: str, scoped: bool = False) -> list[tuple[str, str]]:
    """(rule, INSERT ... SELECT) for every rule that applies to `engine`, in
    RUN_ORDER; `scoped`: the rules across tables read `lint_names` and
    `lint_relations` instead of running over the whole source."""
    d = Dialect(engine, scoped)
    return [(m.RULE.name, sql) for m in RUN_ORDER for sql in m.statements(d)]
