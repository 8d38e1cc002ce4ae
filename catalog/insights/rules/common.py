"""What every lint rule shares: the rule's record, the SQL a rule writes
for the source's engine (`Dialect`), and the fragments of its statement."""

from __future__ import annotations

from dataclasses import dataclass

MYSQL_ENGINES = ("mysql", "mariadb")
TABLE_KINDS = "('table', 'partitioned_table')"
# What a message lists at most (columns, tables) before saying how many more.
LIST_AT_MOST = 20

# The tables in scope (see lint.run_lint) and the object a finding names.
SCOPED = "insights_scope s JOIN catalog_tables t ON t.id = s.id"
OBJ = "t.schema_name || '.' || t.name"
INSERT = (
    "INSERT INTO catalog_findings (source_id, table_id, rule, severity, schema_name, table_name, object_name, "
    "object, message, fix) "
)


@dataclass(frozen=True)
class Rule:
    """A lint rule: its name, its severity and what a finding means (the API
    documents these)."""

    name: str
    severity: str
    meaning: str

    def head(self, table_id: str = "t.id") -> str:
        """The start of the rule's INSERT ... SELECT, up to the finding's schema."""
        return f"{INSERT} SELECT :sid, {table_id}, '{self.name}', '{self.severity}', "


@dataclass(frozen=True)
class Dialect:
    """The SQL the rules write for a source's engine. `scoped`: the rules
    across tables read `lint_names` and `lint_relations` instead of running
    over the whole source."""

    engine: str
    scoped: bool = False

    @property
    def pg(self) -> bool:
        return self.engine == "postgresql"

    @property
    def my(self) -> bool:
        return self.engine in MYSQL_ENGINES

    def q(self, e: str) -> str:
        """A SQL expression quoting the identifier expression `e` for the source's engine."""
        if self.my:
            return f"('`' || replace({e}, '`', '``') || '`')"
        return f"quote_ident({e})"

    @property
    def qt(self) -> str:
        """The table `t`'s quoted schema.name."""
        return f"{self.q('t.schema_name')} || '.' || {self.q('t.name')}"

    def drop_index(self, ix: str) -> str:
        """A SQL expression: the statement dropping index `ix` of table `t` (NULL where unknown)."""
        if self.pg:
            return f"'DROP INDEX ' || {self.q('t.schema_name')} || '.' || {self.q(ix)} || ';'"
        if self.my:
            return f"'DROP INDEX ' || {self.q(ix)} || ' ON ' || {self.qt} || ';'"
        return "NULL"


def listed(agg_expr: str, order: str, at_most: int = LIST_AT_MOST, where: str = "") -> str:
    """A comma-separated list of at most `at_most` values (those matching
    `where`, if given), and how many more."""
    filt = f" FILTER (WHERE {where})" if where else ""
    n = f"count(*){filt}"
    return (
        f"array_to_string((array_agg({agg_expr} ORDER BY {order}){filt})[1:{at_most}], ', ') || "
        f"CASE WHEN {n} > {at_most} THEN ' and ' || ({n} - {at_most}) || ' more' ELSE '' END"
    )
