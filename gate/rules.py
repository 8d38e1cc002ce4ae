"""The gate's rules: a stable id per kind of change (catalog.document_diff
codes), the severity `--fail-on` compares, and the help a reviewer reads
(what breaks, the safer path). README's rule table says the same."""

from __future__ import annotations

from typing import NamedTuple

# worst last; `--fail-on X` fails on a finding of severity X or worse ("any": every change)
SEVERITIES = ("safe", "risky", "breaking", "destructive")
RANK = {s: i for i, s in enumerate(SEVERITIES)}
FAIL_ON = {"destructive": RANK["destructive"], "breaking": RANK["breaking"], "any": RANK["safe"]}


class Rule(NamedTuple):
    id: str
    name: str
    severity: str
    short: str
    breaks: str
    safer: str


_EXPAND = "add the new shape beside the old one, backfill, switch readers and writers, then drop the old one"

RULES = [
    Rule("MC001", "table-dropped", "destructive", "A table was dropped",
         "Its rows are gone; every query, view and foreign key naming it fails.",
         "Stop reading and writing it first (deploy that), keep a backup, drop it in a later release."),
    Rule("MC002", "column-dropped", "destructive", "A column was dropped",
         "Its values are gone; queries selecting or inserting it fail, and ORMs mapping it break.",
         "Remove the column from the code first (deploy that), then drop it in a later migration."),
    Rule("MC003", "schema-dropped", "destructive", "A schema lost all its tables",
         "Everything in it is gone; every reader of any of its tables fails.",
         "Move readers off the schema first; drop it in a later release, after a backup."),
    Rule("MC004", "view-dropped", "destructive", "A view was dropped",
         "Reports, dashboards and code selecting from it fail.",
         "Keep the view (redefine it over the new tables) until no reader uses it, then drop it."),
    Rule("MC010", "column-narrowed", "breaking", "A column's type was narrowed",
         "The ALTER fails (or truncates) on existing rows that do not fit; writers of larger values fail afterwards.",
         f"Check the data fits, or {_EXPAND}."),
    Rule("MC011", "column-retyped", "breaking", "A column's type changed (not a widening)",
         "The cast can fail on existing rows; readers and writers expecting the old type break.",
         f"{_EXPAND[0].upper()}{_EXPAND[1:]}."),
    Rule("MC012", "not-null-without-default", "breaking", "A column was added NOT NULL without a default",
         "The ALTER fails on a table with rows; every INSERT not naming the column fails.",
         "Add it nullable (or with a default), backfill, switch writers, then SET NOT NULL."),
    Rule("MC013", "column-made-not-null", "breaking", "A column was made NOT NULL",
         "The ALTER fails if any row holds NULL; writers that leave it out or send NULL fail.",
         "Backfill the NULLs and fix the writers first; then SET NOT NULL (PostgreSQL: a NOT VALID check first)."),
    Rule("MC014", "kind-changed", "breaking", "A table became a view (or another kind)",
         "Writes to a view fail; indexes, keys and triggers on it are gone.",
         "Create the new object under a new name, switch readers, then drop the old one."),
    Rule("MC020", "primary-key-dropped-or-changed", "breaking", "The primary key was dropped or changed",
         "Duplicates can arrive; upserts (ON CONFLICT), replication identity and foreign keys into it break.",
         "Add the new unique key beside the old, switch upserts and references, then drop the old key."),
    Rule("MC021", "unique-dropped-or-changed", "breaking", "A unique key or index was dropped or changed",
         "Duplicates can arrive; upserts (ON CONFLICT) on it fail.",
         "Create the new unique index (CONCURRENTLY) beside the old, switch upserts, then drop the old one."),
    Rule("MC022", "foreign-key-dropped", "breaking", "A foreign key was dropped",
         "Orphan rows can arrive; readers relying on every row having its parent (inner joins) lose rows.",
         "Keep the key until the code no longer needs it; if the parent table moves, add the new key first."),
    Rule("MC030", "rename", "breaking", "A table or column was renamed",
         "Every reader and writer of the old name fails.",
         "Add the new name beside the old (a view, or a new column kept in sync), switch readers, then drop the old."),
    Rule("MC040", "dropped-but-depended-on", "destructive", "A dropped table or column was still depended on",
         "A view read it or a foreign key referenced it: they were dropped with it (CASCADE) or are broken.",
         "Redefine or drop the dependants in their own reviewed step first, then drop the object."),
    Rule("MC050", "column-widened", "risky", "A column's type was widened",
         "Nothing fails, but the ALTER may rewrite the table under a lock; clients with fixed buffers may truncate.",
         "Run it in a quiet window; check clients that parse the type."),
    Rule("MC051", "default-changed", "risky", "A column's default changed",
         "Writers relying on the old default get other values.", "Tell the writers; set the value explicitly."),
    Rule("MC052", "generation-changed", "risky", "A column's identity, generation or ON UPDATE changed",
         "Writers that set (or rely on) generated values behave differently.", "Review the writers."),
    Rule("MC053", "constraint-dropped", "risky", "A check constraint was dropped",
         "Rows the constraint refused can now arrive.", "Keep the check in the code that writes, or keep it."),
    Rule("MC054", "constraint-added", "risky", "A constraint or foreign key was added",
         "Writes that break it now fail; adding it scans (and locks) the table.",
         "Add it NOT VALID, fix the data, then VALIDATE CONSTRAINT."),
    Rule("MC055", "index-dropped", "risky", "An index was dropped", "Queries that used it get slower.",
         "Check the query plans first; DROP INDEX CONCURRENTLY."),
    Rule("MC056", "redefined", "risky", "An index, constraint or foreign key was redefined",
         "Its new definition may refuse writes or slow reads.", "Create the new one beside, then drop the old."),
    Rule("MC057", "view-changed", "risky", "A view's definition or dependencies changed",
         "Its readers may get other rows or columns.", "Review the view's readers."),
    Rule("MC058", "partitioning-changed", "risky", "A partition key, parent or bounds changed",
         "Rows may route to other partitions; writes outside the bounds fail.", "Review the partitioning plan."),
    Rule("MC090", "table-added", "safe", "A table was added", "Nothing.", "Nothing to do."),
    Rule("MC091", "column-added", "safe", "A nullable column (or one with a default) was added",
         "Nothing (SELECT * readers see one more column).", "Nothing to do."),
    Rule("MC092", "index-added", "safe", "An index was added", "Nothing; building it locks writes unless CONCURRENTLY.",
         "CREATE INDEX CONCURRENTLY on large tables."),
    Rule("MC093", "column-made-nullable", "safe", "A column was made nullable", "Readers may now see NULLs.",
         "Nothing to do."),
    Rule("MC094", "comment-changed", "safe", "A comment changed", "Nothing.", "Nothing to do."),
]  # fmt: skip

BY_ID = {r.id: r for r in RULES}

# catalog.document_diff codes -> rule id
CODES = {
    "table_removed": "MC001",
    "column_removed": "MC002",
    "schema_removed": "MC003",
    "view_removed": "MC004",
    "column_narrowed": "MC010",
    "column_retyped": "MC011",
    "column_added_not_null": "MC012",
    "column_made_not_null": "MC013",
    "kind_changed": "MC014",
    "primary_key_changed": "MC020",
    "unique_dropped": "MC021",
    "unique_redefined": "MC021",
    "foreign_key_dropped": "MC022",
    "table_renamed": "MC030",
    "column_renamed": "MC030",
    "dependant_removed": "MC040",
    "column_widened": "MC050",
    "column_default_changed": "MC051",
    "column_identity_changed": "MC052",
    "column_generated_changed": "MC052",
    "column_on_update_changed": "MC052",
    "constraint_dropped": "MC053",
    "constraint_added": "MC054",
    "foreign_key_added": "MC054",
    "index_dropped": "MC055",
    "index_redefined": "MC056",
    "constraint_redefined": "MC056",
    "foreign_key_redefined": "MC056",
    "view_definition_changed": "MC057",
    "view_dependencies_changed": "MC057",
    "partitioning_changed": "MC058",
    "table_added": "MC090",
    "column_added": "MC091",
    "index_added": "MC092",
    "column_made_nullable": "MC093",
    "comment_changed": "MC094",
    "column_comment_changed": "MC094",
}


def rule_of(code: str) -> Rule:
    return BY_ID[CODES[code]]


def fails(severity: str, fail_on: str) -> bool:
    return RANK[severity] >= FAIL_ON[fail_on]
