"""Profile one crawl's tasks in-process with pyinstrument: how the time of a
plan, its batches and the finish splits between the target's queries, the
Python that parses and documents, and the catalog's writes.

It migrates a scratch catalog of its own, registers the target as a source
there (no API, no broker: the crawl's steps, crawl/steps.py, are called
directly, one after the other), crawls it twice (first crawl, then an unchanged recrawl) and
prints both profiles. The scratch catalog is dropped at the end.

Usage:
    python -m bench.profile --database NAME [--batches 20] [--batch-size 500]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import time

from bench.databases import PERSONAL_TEAM, PG_URL, migrate, pg_admin


def crawl_profiled(source_id: int, batches: int) -> tuple[float, str, bool]:
    """Run (and profile) one crawl; False as the last item when it was cut
    short after `batches` batches (it is then failed, so another can start)."""
    from pyinstrument import Profiler
    from sqlalchemy import text

    from catalog import jobs
    from catalog.db import Session, transaction
    from catalog.settings import from_env
    from crawl import steps

    settings = from_env()

    with transaction() as session:
        job_id = jobs.create_job(session, source_id, "api")[0].id
    profiler = Profiler()
    started = time.perf_counter()
    profiler.start()
    steps.plan(job_id, settings)
    total = Session.execute(text("SELECT batches_total FROM crawl_jobs WHERE id = :j"), {"j": job_id}).scalar()
    Session.commit()
    last = total if batches <= 0 else min(batches, total)
    for no in range(1, last + 1):
        steps.batch(job_id, no, settings)
    if last == total:
        steps.finish(job_id, settings)
    profiler.stop()
    seconds = time.perf_counter() - started
    if last < total:
        with transaction() as session:
            jobs.fail_job(session, job_id, "profiled", "cut short by bench.profile")
    return seconds, profiler.output_text(unicode=False, color=False), last == total


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    p.add_argument("--database", required=True, help="the target database (e.g. one built by bench.generate)")
    p.add_argument("--batches", type=int, default=20, help="batches to run (0: all, then finish)")
    p.add_argument("--batch-size", type=int, default=None, help="METACRAWL_BATCH_SIZE (default: the setting's)")
    p.add_argument("--pg-url", default=PG_URL)
    args = p.parse_args(argv)

    server = args.pg_url.rsplit("/", 1)[0]
    catalog = f"mc_profile_catalog_{secrets.token_hex(4)}"
    catalog_url = f"{server.replace('postgresql://', 'postgresql+psycopg2://')}/{catalog}"
    pg_admin(args.pg_url, f'CREATE DATABASE "{catalog}"')
    try:
        migrate(catalog_url)
        os.environ["METACRAWL_CATALOG_URL"] = catalog_url
        if args.batch_size:
            os.environ["METACRAWL_BATCH_SIZE"] = str(args.batch_size)
        from sqlalchemy import text

        from catalog import db
        from catalog.db import Session, transaction
        from catalog.settings import from_env
        from catalog.vault import Vault, encrypt_secrets

        settings = from_env()
        db.configure(settings.catalog_url, pool_size=2)
        target = args.pg_url.replace("postgresql://", "").split("/")[0]
        user, _, hostport = target.rpartition("@")
        host, _, port = hostport.partition(":")
        with transaction() as session:
            owner = session.execute(
                text("INSERT INTO users (email, password_hash) VALUES ('profile@example.com', '-') RETURNING id")
            ).scalar()
            session.execute(text(PERSONAL_TEAM), {"u": owner})
            source_id = session.execute(
                text(
                    "INSERT INTO sources (team_id, user_id, name, engine, settings, secrets) "
                    "VALUES ((SELECT team_id FROM team_members WHERE user_id = :u), :u, 'profiled', 'postgresql', "
                    "CAST(:s AS jsonb), CAST(:pw AS jsonb)) RETURNING id"
                ),
                {
                    "u": owner,
                    "s": json.dumps(
                        {
                            "host": host or "127.0.0.1",
                            "port": int(port or 5432),
                            "database": args.database,
                            "username": user.split(":")[0] or "postgres",
                            "options": {},
                        }
                    ),
                    "pw": json.dumps(encrypt_secrets(Vault(settings.fernet_keys), {"password": ""})),
                },
            ).scalar()
        for label in ("first crawl", "unchanged recrawl"):
            seconds, profile, whole = crawl_profiled(source_id, args.batches)
            print(
                f"### {label}{'' if whole else f' ({args.batches} batches only)'}: {seconds:.2f} s in-process "
                f"(batch size {settings.batch_size})"
            )
            print(profile)
            if not whole:
                break  # an unchanged recrawl needs a finished first crawl: use --batches 0
        Session.remove()
    finally:
        from catalog import db

        if db._engine is not None:
            db._engine.dispose()
        pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{catalog}" WITH (FORCE)')


if __name__ == "__main__":
    main()
