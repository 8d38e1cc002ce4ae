"""Time the insights (lint rules and inferred keys) on a generated catalog.

Builds a scratch catalog (migrated by Alembic) holding one source of
`--tables` synthetic tables, written straight into catalog_tables and
catalog_columns by SQL (no target, no crawl): each table has 12 columns
(an id, a `<previous table>_id` key column, text, json, comments on every
other table), a primary key on most, a foreign key to the previous table on
every other one, one to three indexes (some duplicate or a prefix of
another), and their foreign keys as the crawl writes them. Then runs
`catalog.insights.refresh` (every lint rule, then the inferred keys) and
prints seconds per rule and the finding counts; then writes two recrawls as
a crawl's apply would (past versions first), one adding a column to 1% of
the tables, one changing the type of `code` (a column of every table) in
another 1%, and times the refresh after each (every rule over what the
recrawl can have moved). Drops the catalog at the end unless --keep.

Usage:
    python -m bench.lint --tables 10000
"""

from __future__ import annotations

import argparse
import json
import time

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bench.common import rand
from bench.databases import PERSONAL_TEAM, PG_URL, migrate, pg_admin
from catalog.insights import refresh

GENERATE = """
INSERT INTO catalog_tables (id, source_id, schema_name, name, kind, comment, fingerprint, definition,
    first_seen_at, crawled_at, changed_at, first_seen_crawl_id, changed_crawl_id)
SELECT i, :sid, 's' || (i % 10), 't' || i, 'table', CASE WHEN i % 2 = 0 THEN 'table ' || i END, md5(i::text),
    jsonb_build_object(
        'columns', (SELECT jsonb_agg(jsonb_build_object('name', c.name, 'ordinal', c.n, 'type', c.type,
                        'nullable', c.n > 1, 'default', NULL, 'comment', CASE WHEN c.n % 3 = 0 THEN 'c' END)
                        ORDER BY c.n)
                    FROM (VALUES (1, 'id', 'bigint'), (2, 't' || (i - 1) || '_id', CASE WHEN i % 7 = 0 THEN
                          'integer' ELSE 'bigint' END), (3, 'name', 'text'), (4, 'doc', 'json'),
                          (5, 'code', CASE WHEN i % 5 = 0 THEN 'integer' ELSE 'text' END), (6, 'a', 'integer'),
                          (7, 'b', 'integer'), (8, 'Upper', 'text'), (9, 'order', 'integer'),
                          (10, 'created_at', 'timestamp with time zone'), (11, 'note', 'text'),
                          (12, 'amount', 'numeric(10,2)')) AS c(n, name, type)),
        'primary_key', CASE WHEN i % 10 <> 0 THEN jsonb_build_object('name', 't' || i || '_pkey',
                        'columns', jsonb_build_array('id')) END,
        'foreign_keys', CASE WHEN i % 2 = 1 AND i > 1 THEN jsonb_build_array(jsonb_build_object(
                        'name', 't' || i || '_fk', 'columns', jsonb_build_array('t' || (i - 1) || '_id'),
                        'referenced_schema', 's' || ((i - 1) % 10), 'referenced_table', 't' || (i - 1),
                        'referenced_columns', jsonb_build_array('id'), 'on_update', 'NO ACTION',
                        'on_delete', 'NO ACTION')) ELSE '[]'::jsonb END,
        'indexes', jsonb_build_array(
            jsonb_build_object('name', 't' || i || '_pkey', 'columns', jsonb_build_array('id'), 'unique', true,
                               'method', 'btree', 'predicate', NULL),
            jsonb_build_object('name', 't' || i || '_a', 'columns', jsonb_build_array('a'), 'unique', false,
                               'method', 'btree', 'predicate', NULL),
            jsonb_build_object('name', 't' || i || '_ab', 'columns', jsonb_build_array('a', 'b'),
                               'unique', false, 'method', 'btree', 'predicate', NULL)),
        'constraints', '[]'::jsonb),
    now(), now(), now(), 1, 1
FROM generate_series(1, :n) AS i;
INSERT INTO catalog_columns (table_id, source_id, ordinal, name, type, comment)
SELECT t.id, :sid, (c->>'ordinal')::int, c->>'name', c->>'type', c->>'comment'
FROM catalog_tables t CROSS JOIN LATERAL jsonb_array_elements(t.definition->'columns') c WHERE t.source_id = :sid;
INSERT INTO catalog_foreign_keys (table_id, ordinal, source_id, name, columns, referenced_schema, referenced_table,
    referenced_columns, on_update, on_delete)
SELECT t.id, k.n, :sid, k.fk->>'name', k.fk->'columns', k.fk->>'referenced_schema', k.fk->>'referenced_table',
       k.fk->'referenced_columns', k.fk->>'on_update', k.fk->>'on_delete'
FROM catalog_tables t CROSS JOIN LATERAL jsonb_array_elements(t.definition->'foreign_keys') WITH ORDINALITY k(fk, n)
WHERE t.source_id = :sid;
ANALYZE catalog_tables; ANALYZE catalog_columns; ANALYZE catalog_foreign_keys;
"""

# A recrawl as its apply writes it (catalog.crawl_write): each changed table's
# definition kept first as a past version, then the new one and its columns.
# Crawl 2 adds a column `extra` to 1% of the tables.
RECRAWL_ADD_COLUMN = """
INSERT INTO catalog_table_versions (table_id, valid_to_crawl_id, valid_from_crawl_id, source_id, schema_name, name,
    kind, comment, definition)
SELECT id, 2, changed_crawl_id, source_id, schema_name, name, kind, comment, definition FROM catalog_tables
WHERE source_id = :sid AND id % 100 = 0;
UPDATE catalog_tables SET changed_crawl_id = 2, definition = jsonb_set(definition, '{columns}',
    definition->'columns' || jsonb_build_array(jsonb_build_object('name', 'extra', 'ordinal', 13, 'type', 'text',
        'nullable', true, 'default', NULL, 'comment', NULL)))
WHERE source_id = :sid AND id % 100 = 0;
INSERT INTO catalog_columns (table_id, source_id, ordinal, name, type, comment)
SELECT id, :sid, 13, 'extra', 'text', NULL FROM catalog_tables WHERE source_id = :sid AND id % 100 = 0;
"""

# Crawl 3 makes `code` bigint in another 1% of the tables.
RECRAWL_RETYPE = """
INSERT INTO catalog_table_versions (table_id, valid_to_crawl_id, valid_from_crawl_id, source_id, schema_name, name,
    kind, comment, definition)
SELECT id, 3, changed_crawl_id, source_id, schema_name, name, kind, comment, definition FROM catalog_tables
WHERE source_id = :sid AND id % 100 = 50;
UPDATE catalog_tables t SET changed_crawl_id = 3, definition = jsonb_set(t.definition, '{columns}',
    (SELECT jsonb_agg(CASE WHEN c->>'name' = 'code' THEN jsonb_set(c, '{type}', '"bigint"') ELSE c END
                      ORDER BY (c->>'ordinal')::int)
     FROM jsonb_array_elements(t.definition->'columns') c))
WHERE source_id = :sid AND id % 100 = 50;
UPDATE catalog_columns SET type = 'bigint' WHERE source_id = :sid AND table_id % 100 = 50 AND name = 'code';
"""


def _timed_refresh(session: Session, sid: int, crawl_id: int) -> tuple[float, dict[str, float]]:
    """Seconds for one committed refresh as crawl `crawl_id` queues it, and its seconds per step."""
    started = time.perf_counter()
    seconds = refresh(session, sid, crawl_id)
    session.commit()
    return time.perf_counter() - started, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=10000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    name = f"mc_bench_lint_{rand()}"
    pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
    url = f"{PG_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    try:
        migrate(url)
        engine = create_engine(url, poolclass=NullPool)
        with Session(engine) as session:
            uid = session.execute(
                text("INSERT INTO users (email, password_hash) VALUES ('bench@lint', '-') RETURNING id")
            ).scalar_one()
            session.execute(text(PERSONAL_TEAM), {"u": uid})
            sid = session.execute(
                text(
                    "INSERT INTO sources (team_id, user_id, name, engine) VALUES "
                    "((SELECT team_id FROM team_members WHERE user_id = :u), :u, 'lint', 'postgresql') RETURNING id"
                ),
                {"u": uid},
            ).scalar_one()
            started = time.perf_counter()
            session.execute(text(GENERATE), {"sid": sid, "n": args.tables})
            session.commit()
            print(f"generated {args.tables:,} tables in {time.perf_counter() - started:.1f} s")
            total, seconds = _timed_refresh(session, sid, 1)
            # a recrawl that added a column to 1% of the tables: only theirs are linted again
            session.execute(text(RECRAWL_ADD_COLUMN), {"sid": sid})
            session.commit()
            recrawl_total, recrawl_seconds = _timed_refresh(session, sid, 2)
            # one that changed the type of `code` (a column every table has) in 1% of them
            session.execute(text(RECRAWL_RETYPE), {"sid": sid})
            session.commit()
            retype_total, retype_seconds = _timed_refresh(session, sid, 3)
            counts = dict(
                session.execute(
                    text("SELECT rule, count(*) FROM catalog_findings WHERE source_id = :sid GROUP BY rule"),
                    {"sid": sid},
                ).all()
            )
            inferred = session.execute(text("SELECT count(*) FROM catalog_inferred_keys")).scalar_one()
        engine.dispose()
        print(
            f"insights refreshed in {total:.2f} s (lint {seconds['lint']:.2f} s, "
            f"inferred keys {seconds['inferred_keys']:.2f} s)"
        )
        print("| rule | seconds | findings |\n| --- | --- | --- |")
        for key, value in seconds.items():
            if key.startswith("lint."):
                print(f"| {key[5:]} | {value:.3f} | {counts.get(key[5:], 0):,} |")
        print(f"inferred key candidates: {inferred:,}")
        print(
            f"after a recrawl that added a column to 1% of the tables: {recrawl_total:.2f} s "
            f"(lint {recrawl_seconds['lint']:.2f} s, inferred keys {recrawl_seconds['inferred_keys']:.2f} s)"
        )
        print(
            f"after a recrawl that changed a column's type in 1% of the tables: {retype_total:.2f} s "
            f"(lint {retype_seconds['lint']:.2f} s, inferred keys {retype_seconds['inferred_keys']:.2f} s)"
        )
        print(
            json.dumps(
                {
                    "tables": args.tables,
                    "seconds": total,
                    "steps": seconds,
                    "recrawl_seconds": recrawl_total,
                    "recrawl_steps": recrawl_seconds,
                    "retype_seconds": retype_total,
                    "retype_steps": retype_seconds,
                }
            )
        )
    finally:
        if not args.keep:
            pg_admin(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
