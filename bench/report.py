"""The results of a bench run as Markdown: one table per engine's crawls,
one of read and search latencies, the worker at rest, and the web UI's pages
(bench.ui) when they were timed."""

from __future__ import annotations

from collections.abc import Callable

from bench import ui
from bench.reads import ANALYZED

# A row of a crawl table: its label and how to print it for one size's entry.
Row = tuple[str, Callable[[dict], str]]


def _s(value, fmt="{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _phases(crawl: dict) -> str:
    t = crawl.get("timeline") or {}
    keys = ("queue_seconds", "plan_seconds", "batches_seconds", "finish_seconds")
    return " / ".join(_s(t.get(k)) for k in keys) if t else "-"


def _state(crawl: dict) -> str:
    stats = crawl.get("stats") or {}
    short = ", ".join(f"{k[0]}{v}" for k, v in stats.items() if v)
    return f"{crawl.get('state', '-')} ({short})" if stats else crawl.get("state", "-")


def _target_counts(target: dict) -> str:
    if target.get("indexes") is None:
        return "-"
    return f"{target['indexes']:,} / {target.get('partitions', 0):,}"


def _size(catalog: dict) -> str:
    if not catalog.get("db_size_bytes"):
        return "-"
    return f"{catalog['db_size_bytes'] / 2**20:.0f} (+{catalog['growth_bytes'] / 2**20:.0f})"


def _crawl_rows(key: str, label: str) -> list[Row]:
    """The timings and outcome of the crawl under `key` of each entry."""
    return [
        (f"{label}: end to end s", lambda e: _s(e.get(key, {}).get("commit_seconds"))),
        (f"{label}: finished_at s", lambda e: _s(e.get(key, {}).get("seconds"))),
        (f"{label}: queue / plan / batches / finish s", lambda e: _phases(e.get(key, {}))),
    ]


def _state_row(key: str, label: str) -> Row:
    return (f"{label}: state, stats", lambda e: _state(e.get(key, {})))


def _rss_rows() -> list[Row]:
    return [
        ("worker peak RSS, sum of processes MB", lambda e: _s(e.get("worker_rss", {}).get("peak_total_mb"), "{:.0f}")),
        (
            "worker peak RSS, largest process MB",
            lambda e: _s(e.get("worker_rss", {}).get("peak_process_mb"), "{:.0f}"),
        ),
        ("worker peak PSS, sum MB", lambda e: _s(e.get("worker_rss", {}).get("peak_pss_total_mb"), "{:.0f}")),
    ]


def _column(entry: dict) -> str:
    shape = entry.get("shape", "default")
    return f"{entry['tables']:,} tables" + ("" if shape == "default" else f" ({shape})")


def _peer(entry: dict) -> str:
    p = entry.get("peer")
    if not p:
        return "-"
    if p.get("error"):
        return f"failed: {p['error']}"
    return f"{p['seconds']:.2f} s, peak RSS {p['peak_rss_mb']:.0f} MB"


def _peer_rows(floor_name: str) -> list[Row]:
    """SQLAlchemy's bulk reflection of the same target (bench.peer) beside the first crawl."""
    return [
        ("SQLAlchemy get_multi_* reflection (read only, writes nothing): s, peak RSS", _peer),
        (f"SQLAlchemy peer: x floor {floor_name}", lambda e: _s(e.get("ratios", {}).get("peer_to_read_copy"))),
        ("first crawl / SQLAlchemy peer", lambda e: _s(e.get("ratios", {}).get("first_crawl_to_peer"))),
    ]


def _floor_rows() -> list[Row]:
    return [
        ("floor: bulk read s", lambda e: _s(e.get("floor", {}).get("read_seconds"))),
        ("floor: bulk read + COPY s", lambda e: _s(e.get("floor", {}).get("read_copy_seconds"))),
    ]


# Each crawl: its key in an entry, its label, its ratio's key, the floor it is divided by.
CRAWLS = (
    ("first_crawl", "first crawl", "first_crawl_to_read_copy", "read + COPY"),
    ("unchanged_recrawl", "unchanged recrawl", "unchanged_recrawl_to_read", "read"),
    ("changed_recrawl", "1% changed recrawl", "changed_recrawl_to_read", "read"),
)


def _crawls_against_floor(crawls) -> list[Row]:
    rows: list[Row] = []
    for key, label, ratio, floor_name in crawls:
        rows += _crawl_rows(key, label)
        rows.append((f"{label}: x floor {floor_name}", lambda e, r=ratio: _s(e.get("ratios", {}).get(r))))
        rows.append(_state_row(key, label))
    return rows


def _table(entries: list[dict], rows: list[Row]) -> list[str]:
    """One column per size; a row per figure; a blank line after."""
    lines = [
        "| figure | " + " | ".join(_column(e) for e in entries) + " |",
        "| --- |" + " --- |" * len(entries),
    ]
    lines += [f"| {label} | " + " | ".join(fn(e) for e in entries) + " |" for label, fn in rows]
    return lines + [""]


def render_header(result: dict) -> list[str]:
    m = result.get("machine", {})
    return [
        f"# metacrawl bench {result['started_at']}",
        f"machine: {m.get('cpus')} cores, {m.get('mem_total_gib')} GiB, PostgreSQL {m.get('postgresql')}, "
        f"(autovacuum {m.get('postgresql_autovacuum')}), MariaDB {m.get('mariadb')}, Redis {m.get('redis')}, "
        f"Python {m.get('python')}, git {m.get('git')}",
        f"config: {result.get('config')}",
        "",
    ]


def render_postgres(entries: list[dict]) -> list[str]:
    rows: list[Row] = [
        ("columns in the target", lambda e: _s(e.get("target", {}).get("columns"), "{:,}")),
        ("target build s (not part of any crawl)", lambda e: _s(e.get("target", {}).get("seconds"))),
        ("indexes besides the keys / partitions", lambda e: _target_counts(e.get("target", {}))),
        *_floor_rows(),
        *_peer_rows("read + COPY"),
    ]
    rows += _crawls_against_floor(CRAWLS)
    rows.append(
        (
            "1% changed: changed / mutated",
            lambda e: (
                f"{(e.get('changed_recrawl', {}).get('stats') or {}).get('changed', '-')}"
                f" / {e.get('changed_recrawl', {}).get('mutated', '-')}"
            ),
        )
    )
    rows += _rss_rows()
    rows.append(("catalog DB size MB (growth for this size)", lambda e: _size(e.get("catalog", {}))))
    return [
        "## PostgreSQL crawls",
        "",
        "end to end = the job's queued_at -> the worker's \"crawl succeeded\" log line (after the "
        "finish transaction committed); finished_at = the job's finished_at - queued_at",
        "",
        *_table(entries, rows),
    ]


def render_reads(reads: dict) -> list[str]:
    lines = [
        f"## Reads and search over HTTP (source of {reads['source_tables']:,} tables + "
        f"{reads['small_sources']} small sources; deep page = page {reads['deep_page']['page']} "
        f"of {reads['deep_page']['of']}, {reads['page_size']} tables a page)",
        "",
        "Left: as the crawls left the catalog. Right (A:): after ANALYZE " + ", ".join(ANALYZED) + ".",
        "",
        "| request | n | p50 ms | p95 ms | max ms | first ms | results | A: p50 ms | A: p95 ms "
        "| A: max ms | A: first ms |",
        "| " + " | ".join(["---"] * 11) + " |",
    ]
    after = reads.get("latency_after_analyze") or {}
    for name, x in reads["latency"].items():
        results = "-" if x["results_min"] is None else f"{x['results_min']}-{x['results_max']}"
        y = after.get(name)
        tail = (
            f"{y['p50_ms']:.1f} | {y['p95_ms']:.1f} | {y['max_ms']:.1f} | {y['first_ms']:.1f}" if y else "- | - | - | -"
        )
        lines.append(
            f"| {name} | {x['n']} | {x['p50_ms']:.1f} | {x['p95_ms']:.1f} | {x['max_ms']:.1f} "
            f"| {x['first_ms']:.1f} | {results} | {tail} |"
        )
    return lines + [""]


def render_mariadb(entries: list[dict]) -> list[str]:
    rows: list[Row] = [
        ("databases", lambda e: str(len(e.get("target", {}).get("databases", [])))),
        ("target build s", lambda e: _s(e.get("target", {}).get("seconds"))),
        *_floor_rows(),
        *_peer_rows("read + COPY"),
    ]
    rows += _crawls_against_floor(CRAWLS[:2])
    rows += _rss_rows()
    return [
        "## MariaDB crawls",
        "",
        "floor: bench.mariadb_floor (information_schema tables, columns, statistics, key_column_usage, "
        "referential_constraints; + COPY of the columns into PostgreSQL)",
        "",
        *_table(entries, rows),
    ]


def render_nightly(n: dict) -> list[str]:
    c = n["contention"]
    crawls = n["crawl_seconds"]
    return [
        f"## Nightly: {n['sources']} sources x {n['tables_each']:,} tables queued at once, "
        f"{n['workers']} worker node(s) x {n['concurrency']} process(es)",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| states | {n['states']} |",
        f"| total s (first queued -> last finished) | {_s(n['total_seconds'])} |",
        f"| one crawl s: min / median / max | {_s(crawls[0] if crawls else None)} / "
        f"{_s(crawls[len(crawls) // 2] if crawls else None)} / {_s(crawls[-1] if crawls else None)} |",
        "| catalog: samples with a session in a Lock wait / samples | "
        f"{c['samples_with_lock_waits']} / {c['samples']} |",
        f"| catalog: most sessions in a Lock wait / ungranted locks at once | {c['max_lock_waiters']} / "
        f"{c['max_ungranted_locks']} |",
        f"| catalog: most active sessions at once | {c['max_active_sessions']} |",
        f"| catalog: wait events (session-samples) | {c['wait_events']} |",
        f"| worker peak RSS sum / PSS sum MB | {n['worker_rss'].get('peak_total_mb')} / "
        f"{n['worker_rss'].get('peak_pss_total_mb')} |",
        "",
    ]


def render_idle(idle: dict) -> list[str]:
    return [
        f"worker RSS at rest before any crawl: total {idle['peak_total_mb']:.0f} MB "
        f"(PSS {idle['peak_pss_total_mb']:.0f} MB), largest process {idle['peak_process_mb']:.0f} MB, "
        f"{idle['processes']} processes",
        "",
    ]


def render(result: dict) -> str:
    lines = render_header(result)
    if result["postgres"]:
        lines += render_postgres(result["postgres"])
    reads = result.get("reads")
    if reads and reads.get("latency"):
        lines += render_reads(reads)
    if result["mariadb"]:
        lines += render_mariadb(result["mariadb"])
    if result.get("nightly"):
        lines += render_nightly(result["nightly"])
    idle = result.get("worker_rss_idle")
    if idle:
        lines += render_idle(idle)
    if result.get("error"):
        lines.append(f"ERROR: {result['error']}")
    if result.get("ui"):
        lines += ui.render(result["ui"])
    return "\n".join(lines)
