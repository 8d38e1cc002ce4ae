"""Renames keep a table's identity (issue #23).

Two ways a rename is known:

- **Stable ids** (PostgreSQL: a table keeps its oid, a column its attnum,
  across `ALTER ... RENAME` and `SET SCHEMA`). A batch that finds a table
  the catalog has no live row for by name, whose object id a live row holds
  under another name, stages it with `renamed_from` (catalog/staging.py).
  The apply's rename pass (`RENAME_PASS`, before anything else) accepts it
  when that row is seen under no name of its own in the crawl (so a swap or
  a chain of renames onto names other tables held is recorded by name, as
  before), moves the staging onto that row, and the apply then updates the
  row in place: same id, first_seen, versions (the old name is kept as a
  past version), change events, activity and anything keyed by table_id.
  A *removed* row that held the new name is deleted (its past versions and
  events stay, under its id, as the history of a table that is gone); the
  unique (source, schema, name) would refuse two rows. Events: one
  `table_renamed` per table ({"from": {schema, name}, "to": {schema,
  name}}), one `column_renamed` per column ({"column": {"from", "to"}}),
  and `table_changed` only for what else changed (a renamed column is not
  also told as removed and added).
- **Probable renames** on engines without stable ids (MariaDB, SQLite, the
  generic engine): a crawl that removes one table and adds one with the
  same shape (`SHAPE`: the definition with what depends on the table's own
  name left out), one to one, records a candidate in
  `catalog_rename_candidates` and a `table_probable_rename` event. A
  curator confirms it (`confirm`: the removed row takes the added one's
  place, its id surviving) or rejects it (`reject`).

Both then call `follow_renames`, which re-keys what is keyed by names:
`FOLLOWERS`, one list, where curation tables keyed by names join.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import cast

from sqlalchemy import CursorResult, text
from sqlalchemy.orm import Session

from .insights.hazards import rename_hazard

STATUSES = ("pending", "confirmed", "rejected")


class RenameConflict(Exception):
    """The candidate cannot be decided (no longer pending, or no longer applies)."""


@dataclass(frozen=True)
class Rename:
    """One table renamed (`old` != `new`), or only some of its columns
    (`old` == `new`); `columns`: [{"from", "to"}]."""

    table_id: int
    old: tuple[str, str]
    new: tuple[str, str]
    columns: tuple[tuple[str, str], ...] = ()


# ---------------------------------------------------------------- the apply

# Staged renames the crawl does not confirm lose their mark: the row they
# name is gone, or seen under a name of its own, or claimed twice, or the
# staged name is held by a live row (a swap: recorded by name).
RENAME_PASS = [
    (
        "renames_refused",
        """
        UPDATE crawl_staged_tables s SET renamed_from = NULL
        WHERE s.job_id = :job AND s.renamed_from IS NOT NULL AND (
            NOT EXISTS (SELECT 1 FROM catalog_tables t WHERE t.id = s.renamed_from AND t.source_id = :sid
                        AND t.removed_at IS NULL AND t.object_id = s.object_id)
            OR s.renamed_from IN (SELECT table_id FROM crawl_seen WHERE job_id = :job)
            OR s.renamed_from IN (SELECT table_id FROM crawl_staged_tables WHERE job_id = :job)
            OR s.renamed_from IN (SELECT renamed_from FROM crawl_staged_tables WHERE job_id = :job
                                  AND renamed_from IS NOT NULL GROUP BY renamed_from HAVING count(*) > 1)
            OR NOT (s.is_new OR EXISTS (SELECT 1 FROM catalog_tables x WHERE x.id = s.table_id
                                        AND x.removed_at IS NOT NULL)))""",
    ),
    (
        "renames_stale_removed",
        """
        DELETE FROM catalog_tables x USING crawl_staged_tables s
        WHERE s.job_id = :job AND s.renamed_from IS NOT NULL AND NOT s.is_new AND x.id = s.table_id
          AND x.removed_at IS NOT NULL""",
    ),
    (
        "renames_columns",
        """
        UPDATE crawl_staged_columns c SET table_id = s.renamed_from FROM crawl_staged_tables s
        WHERE s.job_id = :job AND s.renamed_from IS NOT NULL AND c.job_id = :job AND c.table_id = s.table_id""",
    ),
    (
        "renames_activity",
        """
        UPDATE crawl_staged_activity a SET table_id = s.renamed_from FROM crawl_staged_tables s
        WHERE s.job_id = :job AND s.renamed_from IS NOT NULL AND a.job_id = :job AND a.table_id = s.table_id""",
    ),
    (
        "renames_index_usage",
        """
        UPDATE crawl_staged_index_usage a SET table_id = s.renamed_from FROM crawl_staged_tables s
        WHERE s.job_id = :job AND s.renamed_from IS NOT NULL AND a.job_id = :job AND a.table_id = s.table_id""",
    ),
    (
        "renames_statistics",
        """
        UPDATE crawl_staged_statistics a SET table_id = s.renamed_from FROM crawl_staged_tables s
        WHERE s.job_id = :job AND s.renamed_from IS NOT NULL AND a.job_id = :job AND a.table_id = s.table_id""",
    ),
    (
        "renamed",
        """
        WITH moved AS (
            UPDATE crawl_staged_tables SET table_id = renamed_from, is_new = false
            WHERE job_id = :job AND renamed_from IS NOT NULL RETURNING 1)
        SELECT count(*) FROM moved""",
    ),
]

# The crawl's renames (tables, and columns of tables kept by stable id), read
# from staging after the rename pass and before the apply renames the rows.
STAGED_RENAMES = """
    SELECT s.table_id, t.schema_name, t.name, s.schema_name, s.name, s.changes->'columns_renamed'
    FROM crawl_staged_tables s JOIN catalog_tables t ON t.id = s.table_id
    WHERE s.job_id = :job AND NOT s.is_new AND t.removed_at IS NULL
      AND (s.renamed_from IS NOT NULL OR s.changes ? 'columns_renamed')"""

# Their events: one per table renamed, one per column renamed.
RENAME_EVENTS = """
    INSERT INTO change_events (source_id, crawl_id, table_id, schema_name, table_name, event, details, occurred_at)
    SELECT :sid, :job, s.table_id, s.schema_name, s.name, 'table_renamed',
           jsonb_build_object('from', jsonb_build_object('schema', t.schema_name, 'name', t.name),
                              'to', jsonb_build_object('schema', s.schema_name, 'name', s.name)), :now
    FROM crawl_staged_tables s JOIN catalog_tables t ON t.id = s.table_id
    WHERE s.job_id = :job AND s.renamed_from IS NOT NULL
    UNION ALL
    SELECT :sid, :job, s.table_id, s.schema_name, s.name, 'column_renamed',
           jsonb_build_object('column', r.value), :now
    FROM crawl_staged_tables s JOIN catalog_tables t ON t.id = s.table_id
    CROSS JOIN LATERAL jsonb_array_elements(s.changes->'columns_renamed') WITH ORDINALITY AS r(value, ord)
    WHERE s.job_id = :job AND NOT s.is_new AND t.removed_at IS NULL AND s.changes ? 'columns_renamed'"""


def rename_pass(session: Session, params: dict) -> int:
    """RENAME_PASS inside the apply's transaction; the number of tables renamed."""
    renamed = 0
    for name, sql in RENAME_PASS:
        result = session.execute(text(sql), params)
        if name == "renamed":
            renamed = result.scalar_one()
    return renamed


def staged_renames(session: Session, params: dict) -> list[Rename]:
    """The crawl's renames, for `follow_renames` (read before the apply runs)."""
    return [
        Rename(tid, (os_, on), (ns, nn), tuple((c["from"], c["to"]) for c in cols or ()))
        for tid, os_, on, ns, nn, cols in session.execute(text(STAGED_RENAMES), params)
    ]


def _elements(expr: str) -> str:
    return f"jsonb_array_elements(CASE WHEN jsonb_typeof({expr}) = 'array' THEN {expr} ELSE '[]' END)"


# What a table is, apart from its name: kind, comment, columns and the rest
# of its definition, its keys, indexes and constraints without their names
# (a MariaDB index or a PostgreSQL one prints the table's name) and a
# foreign key to itself as one to "itself".
SHAPE = f"""md5(jsonb_build_array(t.kind, t.comment,
    t.definition - 'primary_key' - 'foreign_keys' - 'indexes' - 'constraints',
    t.definition->'primary_key'->'columns',
    (SELECT jsonb_agg(x ORDER BY x::text) FROM (
        SELECT jsonb_build_array(i->'columns', i->'unique', i->'method', i->'predicate') AS x
        FROM {_elements("t.definition->'indexes'")} AS i) q),
    (SELECT jsonb_agg(x ORDER BY x::text) FROM (
        SELECT jsonb_build_array(f->'columns', f->'referenced_columns', f->'on_update', f->'on_delete',
               CASE WHEN f->>'referenced_schema' = t.schema_name AND f->>'referenced_table' = t.name
                    THEN NULL ELSE jsonb_build_array(f->'referenced_schema', f->'referenced_table') END) AS x
        FROM {_elements("t.definition->'foreign_keys'")} AS f) q),
    (SELECT jsonb_agg(x ORDER BY x::text) FROM (
        SELECT jsonb_build_array(c->'type', c->'columns') AS x
        FROM {_elements("t.definition->'constraints'")} AS c) q))::text)"""

# Tables this crawl removed and added (new, or back from removed), paired one
# to one by shape; not two tables both with stable ids (a drop and a create).
PROBABLE_RENAMES = f"""
WITH gone AS (
    SELECT t.id, t.schema_name, t.name, t.object_id, {SHAPE} AS shape FROM catalog_tables t
    WHERE t.source_id = :sid AND t.removed_crawl_id = :job),
came AS (
    SELECT t.id, t.schema_name, t.name, t.object_id, {SHAPE} AS shape FROM catalog_tables t
    WHERE t.source_id = :sid AND t.first_seen_crawl_id = :job AND t.removed_at IS NULL),
pairs AS (
    SELECT g.id AS removed_id, g.schema_name AS old_schema, g.name AS old_name,
           c.id AS added_id, c.schema_name AS new_schema, c.name AS new_name
    FROM gone g JOIN came c ON c.shape = g.shape
    WHERE g.shape IN (SELECT shape FROM gone GROUP BY shape HAVING count(*) = 1)
      AND c.shape IN (SELECT shape FROM came GROUP BY shape HAVING count(*) = 1)
      AND (g.object_id IS NULL OR c.object_id IS NULL)),
found AS (
    INSERT INTO catalog_rename_candidates (source_id, crawl_id, removed_table_id, added_table_id, old_schema,
        old_name, new_schema, new_name, status, found_at)
    SELECT :sid, :job, removed_id, added_id, old_schema, old_name, new_schema, new_name, 'pending', :now
    FROM pairs ON CONFLICT ON CONSTRAINT uq_catalog_rename_candidates_pair DO NOTHING
    RETURNING *)
INSERT INTO change_events (source_id, crawl_id, table_id, schema_name, table_name, event, details, occurred_at)
SELECT :sid, :job, added_table_id, new_schema, new_name, 'table_probable_rename',
       jsonb_build_object('candidate_id', id,
                          'from', jsonb_build_object('schema', old_schema, 'name', old_name,
                                                     'table_id', removed_table_id),
                          'to', jsonb_build_object('schema', new_schema, 'name', new_name,
                                                   'table_id', added_table_id)), :now
FROM found"""


def record_probable_renames(session: Session, params: dict) -> int:
    """PROBABLE_RENAMES inside the apply's transaction; the number found."""
    return cast(CursorResult, session.execute(text(PROBABLE_RENAMES), params)).rowcount


# ---------------------------------------------------------------- followers

# What is keyed by names and must follow a rename: (table, schema column,
# table column, column column or None), each re-keyed for the renamed tables
# and then for the renamed columns. Curation keyed by names joins here;
# curation keyed by catalog_tables.id follows by itself (the id stays).
FOLLOWERS: list[tuple[str, str, str, str | None]] = [
    ("catalog_inferred_keys", "schema_name", "table_name", "column_name"),
    ("catalog_inferred_keys", "referenced_schema", "referenced_table", "referenced_column"),
]


def follow_renames(session: Session, source_id: int, renames: list[Rename]) -> None:
    """Re-key every FOLLOWERS row of the source named after a renamed table
    or column, set-based. Rows already under a new table name belonged to a
    table that is gone (their decisions went with it): they give way."""
    tables = [r for r in renames if r.old != r.new]
    columns = [(r.new, c) for r in renames for c in r.columns]
    t_params = {
        "sid": source_id,
        "os": [r.old[0] for r in tables],
        "on": [r.old[1] for r in tables],
        "ns": [r.new[0] for r in tables],
        "nn": [r.new[1] for r in tables],
    }
    c_params = {
        "sid": source_id,
        "s": [t[0] for t, _ in columns],
        "t": [t[1] for t, _ in columns],
        "f": [c[0] for _, c in columns],
        "to": [c[1] for _, c in columns],
    }
    pairs = "unnest(CAST(:os AS text[]), CAST(:on AS text[]), CAST(:ns AS text[]), CAST(:nn AS text[]))"
    for table, s, t, c in FOLLOWERS:
        if tables:
            session.execute(
                text(
                    f"DELETE FROM {table} k USING {pairs} AS r(os, tn, ns, nn) "
                    f"WHERE k.source_id = :sid AND k.{s} = r.ns AND k.{t} = r.nn"
                ),
                t_params,
            )
            session.execute(
                text(
                    f"UPDATE {table} k SET {s} = r.ns, {t} = r.nn FROM {pairs} AS r(os, tn, ns, nn) "
                    f"WHERE k.source_id = :sid AND k.{s} = r.os AND k.{t} = r.tn"
                ),
                t_params,
            )
        if columns and c is not None:
            session.execute(
                text(
                    f"UPDATE {table} k SET {c} = r.tc FROM unnest(CAST(:s AS text[]), CAST(:t AS text[]), "
                    f"CAST(:f AS text[]), CAST(:to AS text[])) AS r(s, t, fc, tc) "
                    f"WHERE k.source_id = :sid AND k.{s} = r.s AND k.{t} = r.t AND k.{c} = r.fc"
                ),
                c_params,
            )
    _follow_column_curation(session, source_id, renames)


def _follow_column_curation(session: Session, source_id: int, renames: list[Rename]) -> None:
    """A column's curation is keyed by its table's id (which stays) and its
    name: it takes the new name. An orphan already under the new name (a
    column of that name dropped earlier) gives way, audit and all."""
    moves = [(r.table_id, f, t) for r in renames for f, t in r.columns]
    if not moves:
        return
    params = {"sid": source_id, "ids": [m[0] for m in moves], "f": [m[1] for m in moves], "to": [m[2] for m in moves]}
    pairs = "unnest(CAST(:ids AS bigint[]), CAST(:f AS text[]), CAST(:to AS text[])) AS r(table_id, fc, tc)"
    where = "k.source_id = :sid AND k.kind = 'column' AND k.table_id = r.table_id"
    session.execute(
        text(
            f"DELETE FROM catalog_curation k USING {pairs} WHERE {where} AND k.column_name = r.tc "
            f"AND NOT EXISTS (SELECT 1 FROM {pairs.replace('AS r(', 'AS o(')} "
            "WHERE o.table_id = k.table_id AND o.fc = k.column_name)"
        ),
        params,
    )
    # through a name no real column has (control characters around the row's
    # id; a target naming a column so could only fail its own source's
    # apply), so that two columns swapping names never meet the unique key
    # half-way
    moved = session.execute(
        text(
            f"UPDATE catalog_curation k SET column_name = chr(1) || 'moving ' || k.id || chr(1) FROM {pairs} "
            f"WHERE {where} AND k.column_name = r.fc RETURNING k.id, r.tc"
        ),
        params,
    ).all()
    session.execute(
        text(
            "UPDATE catalog_curation k SET column_name = m.tc "
            "FROM unnest(CAST(:mid AS bigint[]), CAST(:mto AS text[])) AS m(id, tc) WHERE k.id = m.id"
        ),
        {"mid": [m[0] for m in moved], "mto": [m[1] for m in moved]},
    )


# ---------------------------------------------------------------- curators

_CANDIDATE_COLUMNS = (
    "c.id, c.source_id, c.crawl_id, c.removed_table_id, c.added_table_id, c.old_schema, c.old_name, "
    "c.new_schema, c.new_name, c.status, c.found_at, c.decided_by, c.decided_at"
)


def candidates(
    session: Session, source_id: int, status: str | None = None, after_id: int | None = None, limit: int = 100
) -> list[dict]:
    """A source's probable renames, oldest first, by status."""
    where = ["c.source_id = :sid"]
    params: dict = {"sid": source_id, "limit": limit}
    if status is not None:
        where.append("c.status = :status")
        params["status"] = status
    if after_id is not None:
        where.append("c.id > :after")
        params["after"] = after_id
    rows = session.execute(
        text(f"SELECT {_CANDIDATE_COLUMNS} FROM catalog_rename_candidates c WHERE {' AND '.join(where)} "
             "ORDER BY c.id LIMIT :limit"),
        params,
    )  # fmt: skip
    return [dict(r._mapping) for r in rows]


def candidate(session: Session, source_id: int, candidate_id: int, lock: bool = False) -> dict | None:
    row = session.execute(
        text(
            f"SELECT {_CANDIDATE_COLUMNS} FROM catalog_rename_candidates c WHERE c.source_id = :sid AND c.id = :id"
            + (" FOR UPDATE" if lock else "")
        ),
        {"sid": source_id, "id": candidate_id},
    ).first()
    return None if row is None else dict(row._mapping)


def reject(session: Session, source_id: int, candidate_id: int, user_id: int) -> dict | None:
    """Mark a pending candidate rejected; None when there is no such candidate."""
    found = _pending(session, source_id, candidate_id)
    if found is None:
        return None
    _decided(session, candidate_id, "rejected", user_id)
    return candidate(session, source_id, candidate_id)


def _pending(session: Session, source_id: int, candidate_id: int) -> dict | None:
    found = candidate(session, source_id, candidate_id, lock=True)
    if found is not None and found["status"] != "pending":
        raise RenameConflict(f"probable rename {candidate_id} is already {found['status']}")
    return found


def _decided(session: Session, candidate_id: int, status: str, user_id: int) -> None:
    session.execute(
        text(
            "UPDATE catalog_rename_candidates SET status = :status, decided_by = :uid, decided_at = now() "
            "WHERE id = :id"
        ),
        {"id": candidate_id, "status": status, "uid": user_id},
    )


# The added row's crawl-owned dependents move to the surviving (old) id:
# what the removed row still had of them is dropped first.
_MERGE = [
    "DELETE FROM catalog_columns WHERE table_id = :old",
    "UPDATE catalog_columns SET table_id = :old WHERE table_id = :new",
    "DELETE FROM catalog_foreign_keys WHERE table_id = :old",
    "UPDATE catalog_foreign_keys SET table_id = :old WHERE table_id = :new",
    "DELETE FROM catalog_column_lineage WHERE view_id = :old",
    "UPDATE catalog_column_lineage SET view_id = :old WHERE view_id = :new",
    "DELETE FROM catalog_table_activity WHERE table_id = :old",
    "UPDATE catalog_table_activity SET table_id = :old WHERE table_id = :new",
    "DELETE FROM catalog_index_usage WHERE table_id = :old",
    "UPDATE catalog_index_usage SET table_id = :old WHERE table_id = :new",
    "DELETE FROM catalog_table_statements WHERE table_id = :old",
    "UPDATE catalog_table_statements SET table_id = :old WHERE table_id = :new",
    "DELETE FROM catalog_column_statistics WHERE table_id = :old",
    "UPDATE catalog_column_statistics SET table_id = :old WHERE table_id = :new",
    "DELETE FROM catalog_sensitive_columns WHERE table_id = :old",
    "UPDATE catalog_sensitive_columns SET table_id = :old WHERE table_id = :new",
    "DELETE FROM catalog_findings WHERE table_id = :old",
    "UPDATE catalog_findings SET table_id = :old WHERE table_id = :new",
    "UPDATE catalog_table_versions SET table_id = :old WHERE table_id = :new",
    "UPDATE change_events SET table_id = :old WHERE table_id = :new",
]

_TAKE_PLACE = """
    WITH n AS (DELETE FROM catalog_tables WHERE id = :new RETURNING *)
    SELECT n.* FROM n"""

_REVIVE = """
    UPDATE catalog_tables SET schema_name = :schema_name, name = :name, kind = :kind, comment = :comment,
           row_estimate = :row_estimate, size_bytes = :size_bytes, row_estimate_source = :row_estimate_source,
           fingerprint = :fingerprint, signature = :signature, definition = CAST(:definition AS jsonb),
           crawled_at = :crawled_at, changed_at = :changed_at, changed_crawl_id = :changed_crawl_id,
           partition_of_schema = :partition_of_schema, partition_of_name = :partition_of_name,
           object_id = :object_id, removed_at = NULL, removed_crawl_id = NULL
    WHERE id = :old"""


def confirm(session: Session, source_id: int, candidate_id: int, user_id: int) -> dict | None:
    """Confirm a pending candidate inside the caller's transaction: the
    removed row takes the added one's name and definition and is live again
    (its id, first_seen and all keyed by it stay), the added row's columns,
    keys, activity, findings, versions and events move to it, the added row
    is deleted, names follow (`follow_renames`), and a `table_renamed` event
    says who confirmed it. None when there is no such candidate;
    RenameConflict when it is not pending or no longer applies."""
    found = _pending(session, source_id, candidate_id)
    if found is None:
        return None
    ids = {"old": found["removed_table_id"], "new": found["added_table_id"], "sid": source_id}
    live: dict[int, bool] = dict(
        session.execute(
            text("SELECT id, removed_at IS NULL FROM catalog_tables WHERE source_id = :sid AND id IN (:old, :new)"),
            ids,
        ).all()
    )
    if live.get(ids["old"]) is not False or live.get(ids["new"]) is not True:
        raise RenameConflict(
            f"probable rename {candidate_id} no longer applies: {found['old_schema']}.{found['old_name']} "
            f"is not removed, or {found['new_schema']}.{found['new_name']} is not live"
        )
    for sql in _MERGE:
        session.execute(text(sql), ids)
    added = session.execute(text(_TAKE_PLACE), ids).mappings().one()
    session.execute(text(_REVIVE), {**dict(added), "definition": json.dumps(added["definition"]), "old": ids["old"]})
    old, new = (found["old_schema"], found["old_name"]), (found["new_schema"], found["new_name"])
    follow_renames(session, source_id, [Rename(ids["old"], old, new)])
    details = {
        "from": {"schema": old[0], "name": old[1]},
        "to": {"schema": new[0], "name": new[1]},
        "candidate_id": candidate_id,
        "confirmed_by": user_id,
    }
    hazard, reasons = rename_hazard("table_renamed", details)
    session.execute(
        text(
            "INSERT INTO change_events (source_id, crawl_id, table_id, schema_name, table_name, event, details, "
            "occurred_at, hazard, hazard_reasons) VALUES (:sid, :crawl, :old, :s, :n, 'table_renamed', "
            "CAST(:d AS jsonb), now(), :hazard, CAST(:reasons AS jsonb))"
        ),
        {**ids, "crawl": found["crawl_id"], "s": new[0], "n": new[1], "d": json.dumps(details),
         "hazard": hazard, "reasons": json.dumps(reasons)},
    )  # fmt: skip
    _decided(session, candidate_id, "confirmed", user_id)
    # cached reads of the source are keyed by when its catalog last changed
    session.execute(text("UPDATE sources SET catalog_changed_at = now() WHERE id = :sid"), ids)
    return candidate(session, source_id, candidate_id)
