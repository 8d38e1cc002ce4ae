"""A crawl's three steps as plain functions: plan (list the target's tables
into batches), batch (describe one batch and stage it), finish (apply the
staged crawl to the catalog in one transaction). Each takes a job id and
the server's settings, and is safe to run twice; `report(step, **details)`
tells the caller what it is doing (the worker shows it in Flower).

No catalog lock or transaction is held while a target is asked anything:
the reaper, cancel and delete never wait on a target."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from catalog import column_statistics, insights, jobs, locks, sensitive, sensitive_rules
from catalog.apply import apply_crawl
from catalog.crawl_warnings import add_warnings
from catalog.db import Session, engine, transaction
from catalog.models import CatalogTable, CrawlJob, Source
from catalog.removal_guard import removal_refused
from catalog.settings import Settings
from catalog.staging import drop_staging, known_tables, stage_batch, unchanged_by_signature
from catalog.tidy import tidy_catalog
from catalog.usage.apply import stage_statements
from catalog.webhooks import outbox
from engines.base import ColumnStatistics, TableRef
from engines.documents import table_document

from .source import open_source

log = logging.getLogger("metacrawl.crawl")

Report = Callable[..., None]


def _quiet(step: str, **details) -> None:
    return None


def plan(job_id: int, settings: Settings, report: Report = _quiet) -> bool:
    """List the target's tables (one streamed query) into batches. True when
    the job's batches are to be sent: planned now, or already (a redelivery,
    or the reaper sending a lost crawl again); False when the job has ended,
    its source is gone, or another planner has it."""
    with transaction() as session:
        started = jobs.start_job(session, job_id)
    if started is None:
        return False
    if started.planned:
        return True
    report("listing tables")
    job = Session.get(CrawlJob, job_id)
    source = Session.get(Source, job.source_id) if job is not None else None
    Session.commit()
    if source is None:  # deleted since the claim: the job went with it
        return False
    log.info("crawl planning", extra={"job_id": job_id, "source_id": source.id})
    tables = batches = 0
    with locks.planning(job_id) as mine:
        if not mine:  # a redelivered plan beside the first: the first plans
            return False
        with transaction() as session:
            if not jobs.restart_plan(session, job_id):
                return False
        # The listing streams in batch-sized chunks, each stored as it comes
        # in a transaction of its own, so planning memory does not grow with
        # the number of tables and nothing waits on the target under a lock.
        with open_source(source, settings) as target:
            for refs in target.stream_tables(settings.batch_size):
                batches += 1
                tables += len(refs)
                with transaction() as session:
                    if not jobs.add_batch(session, job_id, batches, [[r.schema, r.name, r.kind] for r in refs]):
                        return False  # cancelled, failed or deleted meanwhile
            enums = [
                {"schema": e.schema, "name": e.name, "values": e.values, "comment": e.comment}
                for e in target.list_enums()
            ]
            objects = catalog_objects(target)
            statements = top_statements(target, settings, job_id)
            target.check_visibility()  # what the account may not see of them
            warnings = [asdict(w) for w in target.warnings]
        with transaction() as session:
            if not jobs.record_plan(session, job_id, tables, batches, enums, objects):
                return False
            stage_statements(session, job_id, statements, datetime.now(UTC))
            add_warnings(session, job_id, warnings)
    log.info("crawl planned: %d tables in %d batches", tables, batches, extra={"job_id": job_id})
    return True


def catalog_objects(target) -> list[dict]:
    """The target's sequences, triggers and routines, and its extensions,
    domains, collations, text-search configurations and schemas, as the rows
    of catalog_objects (one query per kind): the key's parts, the kind's
    other fields as `details`, and a routine's body apart."""
    rows = []
    for s in target.list_sequences():
        details = {k: v for k, v in asdict(s).items() if k not in ("schema", "name")}
        rows.append({"kind": "sequence", "schema": s.schema, "name": s.name, "table": "", "arguments": "",
                     "details": details, "body": None})  # fmt: skip
    for t in target.list_triggers():
        details = {k: v for k, v in asdict(t).items() if k not in ("schema", "table", "name")}
        rows.append({"kind": "trigger", "schema": t.schema, "name": t.name, "table": t.table, "arguments": "",
                     "details": details, "body": None})  # fmt: skip
    for r in target.list_routines():
        details = {k: v for k, v in asdict(r).items() if k not in ("schema", "name", "kind", "arguments", "body")}
        rows.append({"kind": r.kind, "schema": r.schema, "name": r.name, "table": "", "arguments": r.arguments,
                     "details": details, "body": r.body})  # fmt: skip
    for o in target.list_schema_objects():
        details = {k: v for k, v in asdict(o).items() if k not in ("schema", "name")}
        rows.append({"kind": o.kind, "schema": o.schema, "name": o.name, "table": "", "arguments": "",
                     "details": details, "body": None})  # fmt: skip
    return rows


def top_statements(target, settings: Settings, job_id: int) -> list[dict]:
    """The target's top statements by total time (one query; PostgreSQL's
    pg_stat_statements), as dicts of StatementStat's fields; none where the
    engine keeps none or could not read them (the log says why)."""
    top = target.top_statements(settings.top_statements)
    if top is None:
        return []
    if top.unreadable:
        log.info("statement statistics not read: %s", top.reason, extra={"job_id": job_id})
    return [asdict(s) for s in top.statements]


def batch(job_id: int, batch_no: int, settings: Settings, report: Report = _quiet) -> None:
    """Describe one batch of tables and stage what it found (nothing when the
    job is no longer running or the batch is done)."""
    found = jobs.running_job(Session(), job_id)
    todo = jobs.batch_to_do(Session(), job_id, batch_no) if found is not None else None
    Session.commit()
    if found is None or todo is None:
        return
    _job, source = found
    refs = [TableRef(*t) for t in todo]
    known = known_tables(Session(), source.id, [(r.schema, r.name) for r in refs])
    values = sensitive.values_allowed(source.settings)
    withheld = sensitive.withheld_columns(Session(), [k.id for k in known.values()]) if values else set()
    marks = column_statistics.read_marks(Session(), [k.id for k in known.values()]) if not values else {}
    Session.commit()
    report("describing tables", tables=len(refs))
    with open_source(source, settings) as target:
        # Only tables the catalog has can be unchanged; for a batch of new
        # ones (a first crawl) describe computes the signatures itself.
        signatures = target.signatures(refs) if any(not k.removed for k in known.values()) else None
        same = unchanged_by_signature(known, signatures)
        tables = target.describe([r for r in refs if (r.schema, r.name) not in same])
        # usage statistics of every table, changed or not: one more query
        activity = target.activity(refs)
        # and the planner's column statistics: one more; the value lists only
        # where the source allows them, never for a sensitive column (known
        # to the catalog, or suggested by the name of one just described)
        withheld |= first_sight_withheld(tables) if values else set()
        fresh = {(t.schema, t.name) for t in tables}
        # without values, only the tables analyzed since (statistics move only then)
        reread = refs if values else [r for r in refs if _to_read(r, known, marks, activity, fresh)]
        statistics = target.statistics(reread, values=values, withheld=frozenset(withheld))
        for r in reread:  # each table read gets its mark, with the analyze it was read at
            gathered = column_statistics.analyzed_at(a) if (a := activity.get((r.schema, r.name))) else None
            mark = ColumnStatistics(column=column_statistics.READ_MARK, gathered_at=gathered)
            statistics.setdefault((r.schema, r.name), []).append(mark)
        warnings = [asdict(w) for w in target.warnings]  # what those reads could not see
    report("staging tables", tables=len(refs))
    described = [(table_document(t), t.signature) for t in tables]
    with transaction() as session:
        if jobs.claim_batch(session, job_id, batch_no):
            staged = stage_batch(session, job_id, batch_no, known, same, described, activity, statistics)
            add_warnings(session, job_id, warnings)
            jobs.record_batch(session, job_id, batch_no)
            log.info(
                "crawl batch %d staged: %d unchanged (%d by signature), %d new or changed",
                batch_no,
                staged["seen"],
                len(same),
                staged["staged"],
                extra={"job_id": job_id},
            )


def _to_read(ref, known, marks, activity, described) -> bool:
    key = (ref.schema, ref.name)
    return column_statistics.to_read(known.get(key), marks, activity.get(key), key in described)


def first_sight_withheld(tables) -> set[tuple[str, str, str]]:
    """The columns of described tables that the rules suggest sensitive from
    their name, type and comment alone: a batch withholds their values before
    the finish has evaluated them."""
    return {
        (t.schema, t.name, c.name)
        for t in tables
        for c in t.columns
        if sensitive_rules.score(c.name, c.type, c.comment)[0] >= sensitive_rules.THRESHOLD
    }


@dataclass(frozen=True)
class Finished:
    """What finish did: `redo` (the catalog server restarted: send every
    batch again), `refused` ((error type, message): fail the crawl), or
    `changed` set (applied; whether the catalog changed). All empty: the job
    was not there to finish."""

    redo: bool = False
    refused: tuple[str, str] | None = None
    applied: bool = False
    changed: bool = False
    # the webhook deliveries of its changes (catalog/webhooks/outbox.py), to send after the commit
    deliveries: tuple[int, ...] = ()


def _refused(session, job: CrawlJob, settings: Settings) -> tuple[str, str] | None:
    """Why this crawl may not be applied, (error type, message), or None: it
    saw no tables at all where the catalog has some, or would remove too much."""
    if job.allow_mass_removal:
        return None
    if not job.tables_total:
        live = session.scalar(
            select(func.count())
            .select_from(CatalogTable)
            .where(CatalogTable.source_id == job.source_id, CatalogTable.removed_at.is_(None))
        )
        if live:
            return (
                "no_tables_seen",
                f"this crawl saw no tables at all, where the catalog has {live:,} for this source; the catalog "
                "was left unchanged. Check the crawl user's privileges and the source's database and schema "
                'filters; if every table was really dropped, start a crawl with {"allow_mass_removal": true}',
            )
    refused = removal_refused(session, job.id, job.source_id, settings.max_removed_percent)
    return None if refused is None else ("removal_limit_exceeded", refused)


def finish(job_id: int, settings: Settings, report: Report = _quiet) -> Finished:
    """Apply the staged crawl to the catalog in one transaction, then drop
    its staging and tidy the catalog."""
    report("applying to the catalog")
    with transaction() as session:
        job = jobs.claim_finish(session, job_id)
        if job is None:
            return Finished()
        if jobs.redo_if_catalog_restarted(session, job_id):
            return Finished(redo=True)
        refused = _refused(session, job, settings)
        if refused is not None:
            return Finished(refused=refused)
        result = apply_crawl(session, job_id, job.source_id, job.enums, job.objects)
        started = time.perf_counter()
        sensitive.evaluate(session, job.source_id, job_id)
        result["seconds"]["sensitive"] = round(time.perf_counter() - started, 3)
        insights.label_hazards(session, job_id)
        jobs.succeed_job(session, job_id, job.source_id, result["stats"], result["now"], result["changed"])
        deliveries = tuple(outbox.for_crawl(session, job_id, job.source_id))
    log.info("crawl succeeded: %s", json.dumps(result["stats"]), extra={"job_id": job_id})
    log.info("crawl applied in steps: %s", json.dumps(result["seconds"]), extra={"job_id": job_id})
    with transaction() as session:
        drop_staging(session, job_id)  # if this is lost, the reaper's sweep drops it
    stats = result["stats"]
    moved = stats["added"] + stats["changed"] + stats["removed"]
    if moved:
        started = time.perf_counter()
        with engine().connect() as conn:
            tidy_catalog(conn, moved)
        log.info(
            "catalog tidied in %.2f s after %d tables moved",
            time.perf_counter() - started,
            moved,
            extra={"job_id": job_id},
        )
    return Finished(applied=True, changed=result["changed"], deliveries=deliveries)
