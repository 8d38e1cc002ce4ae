"""PostgreSQL's structural facts beyond tables (issue #26), against the real
local server: extensions, domains, collations, text-search configurations,
schema comments, a column's non-default collation, view options and index
parts' schema-qualified operator classes, each compared with what the
database itself says (pg_get_indexdef, the creating script), hostile names
included. The signatures of tables without the new facts stay what they
were; a table with them signs them."""

from __future__ import annotations

import time

import psycopg2
import pytest

from engines.base import ConnectionParams
from engines.postgres import PostgresIntrospector
from engines.schema_objects import Collation, Domain, Extension, SchemaInfo, TextSearchConfiguration
from tests.targets import pg_database, pg_execute, pg_params

HOSTILE = 'we"ird\nname'

TARGET_SQL = f"""
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'The application''s tables';
CREATE SCHEMA "{HOSTILE.replace('"', '""')}";
CREATE EXTENSION pg_trgm SCHEMA app;
CREATE EXTENSION citext SCHEMA "{HOSTILE.replace('"', '""')}";
CREATE COLLATION app.de_ci (provider = icu, locale = 'de-u-ks-level2', deterministic = false);
COMMENT ON COLLATION app.de_ci IS 'German, case-insensitive';
CREATE COLLATION "{HOSTILE.replace('"', '""')}"."c""oll" (provider = libc, locale = 'C');
CREATE DOMAIN app.money_amount AS numeric(12,2) DEFAULT 0 NOT NULL
    CONSTRAINT non_negative CHECK (VALUE >= 0) CONSTRAINT below_limit CHECK (VALUE < 1000000);
COMMENT ON DOMAIN app.money_amount IS 'An amount in cents';
CREATE DOMAIN app.code AS text COLLATE "C";
CREATE DOMAIN "{HOSTILE.replace('"', '""')}"."d""om" AS int CHECK (VALUE > 0);
CREATE TEXT SEARCH CONFIGURATION app.english_simple (COPY = pg_catalog.english);
CREATE TYPE app.state AS ENUM ('open');
COMMENT ON TYPE app.state IS 'An order''s state';
COMMENT ON TEXT SEARCH CONFIGURATION app.english_simple IS 'English without stop words';
CREATE TABLE app.plain (id int PRIMARY KEY, name text, price app.money_amount);
CREATE TABLE app.collated (
    id int,
    name text COLLATE app.de_ci,
    label varchar(20) COLLATE "C",
    odd text COLLATE "{HOSTILE.replace('"', '""')}"."c""oll",
    code app.code,
    code_default app.code COLLATE "default"
);
CREATE INDEX collated_trgm ON app.collated USING gin (label app.gin_trgm_ops);
CREATE INDEX collated_pattern ON app.collated (label text_pattern_ops);
CREATE INDEX collated_name_c ON app.collated (name COLLATE "C");
CREATE VIEW app.checked AS SELECT id, name FROM app.plain WHERE id > 0 WITH LOCAL CHECK OPTION;
CREATE VIEW app.barrier WITH (security_barrier, security_invoker = true) AS SELECT id FROM app.plain;
CREATE VIEW app.cascaded WITH (check_option = cascaded) AS SELECT id FROM app.plain WHERE id < 10;
CREATE VIEW app.bare AS SELECT id FROM app.plain;
"""


@pytest.fixture(scope="module")
def target():
    with pg_database("mc_pgfacts") as db:
        pg_execute(db, TARGET_SQL)
        yield db


def params(db: str, **kw) -> ConnectionParams:
    return ConnectionParams(**{"database": db, **pg_params(), **kw})


@pytest.fixture(scope="module")
def objects(target):
    with PostgresIntrospector(params(target)) as intro:
        return intro.list_schema_objects()


@pytest.fixture(scope="module")
def tables(target):
    with PostgresIntrospector(params(target)) as intro:
        refs = intro.list_tables()
        described = intro.describe(refs)
        signatures = intro.signatures(refs)
    return {t.name: t for t in described}, signatures


def of(objects, cls) -> list:
    return [o for o in objects if isinstance(o, cls)]


def query(db: str, sql: str) -> list[tuple]:
    p = pg_params()
    conn = psycopg2.connect(dbname=db, host=p["host"], port=p["port"], user=p["username"], password=p["password"])
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def test_extensions_with_version_and_schema_as_pg_extension_says(target, objects):
    expected = query(target, "SELECT n.nspname, e.extname, e.extversion FROM pg_extension e "
                     "JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY e.extname")  # fmt: skip
    assert [(e.schema, e.name, e.version) for e in of(objects, Extension)] == expected
    assert {e.name for e in of(objects, Extension)} == {"citext", "pg_trgm", "plpgsql"}
    citext = next(e for e in of(objects, Extension) if e.name == "citext")
    assert citext.schema == HOSTILE


def test_domains_with_base_type_default_not_null_checks_and_comment(objects):
    domains = {(d.schema, d.name): d for d in of(objects, Domain)}
    assert sorted(domains) == [("app", "code"), ("app", "money_amount"), (HOSTILE, 'd"om')]
    money = domains[("app", "money_amount")]
    assert (money.base_type, money.default, money.not_null, money.comment) == (
        "numeric(12,2)", "0", True, "An amount in cents"
    )  # fmt: skip
    assert money.checks == [
        {"name": "below_limit", "definition": "CHECK ((VALUE < (1000000)::numeric))"},
        {"name": "non_negative", "definition": "CHECK ((VALUE >= (0)::numeric))"},
    ]
    assert money.collation is None
    assert domains[("app", "code")].collation == "C"
    odd = domains[(HOSTILE, 'd"om')]
    assert (odd.base_type, odd.not_null, odd.checks) == ("integer", False, [{"name": "d\"om_check",
            "definition": "CHECK ((VALUE > 0))"}])  # fmt: skip


def test_enum_types_with_their_comments(target):
    with PostgresIntrospector(params(target)) as intro:
        enums = intro.list_enums()
    assert [(e.schema, e.name, e.values, e.comment) for e in enums] == [("app", "state", ["open"], "An order's state")]


def test_extension_members_are_not_listed_as_domains_or_collations(objects):
    # citext installs no domain; pg_trgm's operator classes are not objects here
    assert not [d for d in of(objects, Domain) if d.name == "citext"]
    assert {c.name for c in of(objects, Collation)} == {"de_ci", 'c"oll'}


def test_user_defined_collations(objects):
    collations = {c.name: c for c in of(objects, Collation)}
    de = collations["de_ci"]
    assert (de.schema, de.provider, de.locale, de.deterministic, de.comment) == (
        "app", "icu", "de-u-ks-level2", False, "German, case-insensitive"
    )  # fmt: skip
    odd = collations['c"oll']
    assert (odd.schema, odd.provider, odd.locale, odd.lc_collate, odd.lc_ctype, odd.deterministic) == (
        HOSTILE, "libc", "C", "C", "C", True
    )  # fmt: skip


def test_text_search_configurations_outside_pg_catalog(objects):
    [config] = of(objects, TextSearchConfiguration)
    assert (config.schema, config.name, config.parser, config.comment) == (
        "app", "english_simple", 'pg_catalog."default"', "English without stop words"
    )  # fmt: skip


def test_schemas_with_their_comments(objects):
    schemas = {s.name: s.comment for s in of(objects, SchemaInfo)}
    assert schemas == {"app": "The application's tables", HOSTILE: None, "public": "standard public schema"}


def test_schema_filters_apply_to_schema_objects_but_not_extensions(target):
    with PostgresIntrospector(params(target, options={"include_schemas": ["app"]})) as intro:
        listed = intro.list_schema_objects()
    assert {o.schema for o in listed if not isinstance(o, Extension)} == {"app"}
    assert {e.name for e in of(listed, Extension)} == {"citext", "pg_trgm", "plpgsql"}


def test_column_collation_only_where_not_the_types_default(tables):
    described, _ = tables
    collations = {c.name: c.collation for c in described["collated"].columns}
    assert collations == {
        "id": None,
        "name": "app.de_ci",
        "label": "C",
        "odd": f'"{HOSTILE.replace(chr(34), chr(34) * 2)}"."c""oll"',
        "code": None,  # the domain's own collation
        "code_default": "default",
    }
    assert all(c.collation is None for c in described["plain"].columns)


def test_index_parts_opclass_and_collation_schema_qualified_outside_pg_catalog(target, tables):
    described, _ = tables
    indexes = {i.name: i for i in described["collated"].indexes}
    assert indexes["collated_trgm"].parts[0]["opclass"] == "app.gin_trgm_ops"
    assert "app.gin_trgm_ops" in indexes["collated_trgm"].definition
    assert indexes["collated_pattern"].parts[0]["opclass"] == "text_pattern_ops"  # pg_catalog's: bare, as before
    assert indexes["collated_name_c"].parts[0]["collation"] == "C"


def test_view_options_from_reloptions(tables):
    described, _ = tables
    assert described["checked"].view_options == {"check_option": "local"}
    assert described["cascaded"].view_options == {"check_option": "cascaded"}
    assert described["barrier"].view_options == {"security_barrier": True, "security_invoker": True}
    assert described["bare"].view_options == {}  # a view without options: {} (so a later option is a change)
    assert described["plain"].view_options is None  # a table has none


def test_signatures_equal_describes_own_and_sign_the_new_facts(target, tables):
    described, signatures = tables
    for name, table in described.items():
        assert signatures[("app", name)].signature == table.signature, name
    before = signatures[("app", "barrier")].signature
    pg_execute(target, "ALTER VIEW app.barrier RESET (security_invoker)")
    pg_execute(target, 'ALTER TABLE app.collated ALTER COLUMN label TYPE varchar(20) COLLATE "POSIX"')
    with PostgresIntrospector(params(target)) as intro:
        refs = intro.list_tables()
        after = intro.signatures(refs)
        again = {t.name: t for t in intro.describe(refs)}
    assert after[("app", "barrier")].signature != before
    assert after[("app", "collated")].signature != signatures[("app", "collated")].signature
    assert after[("app", "plain")].signature == signatures[("app", "plain")].signature
    assert again["barrier"].view_options == {"security_barrier": True}
    assert {c.name: c.collation for c in again["collated"].columns}["label"] == "POSIX"
    for name, table in again.items():
        assert after[("app", name)].signature == table.signature, name


# --- sizes: BRIN indexes' free-space maps, a heap vacuumed down to 0 pages ---

SIZES_SQL = """
CREATE TABLE with_brin (id int, at timestamptz DEFAULT now());
INSERT INTO with_brin (id) SELECT generate_series(1, 20000);
CREATE INDEX with_brin_at ON with_brin USING brin (at);
CREATE INDEX with_brin_id ON with_brin USING brin (id) WITH (pages_per_range = 1);
CREATE TABLE emptied (id int, note text);
INSERT INTO emptied SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g;
DELETE FROM emptied;
CREATE TABLE never_filled (id int, note text);
CREATE TABLE truncated (id int);
INSERT INTO truncated SELECT generate_series(1, 3000);
"""


def test_sizes_equal_pg_total_relation_size(target):
    pg_execute(target, SIZES_SQL)
    pg_execute(target, "TRUNCATE truncated")  # a new, empty relation file: no maps
    # each in its own transaction (VACUUM cannot run in one), after the
    # statistics of the statements above were flushed with their session
    pg_execute(target, "VACUUM ANALYZE with_brin")
    pg_execute(target, "VACUUM ANALYZE emptied")
    pg_execute(target, "VACUUM ANALYZE never_filled")
    pg_execute(target, "VACUUM ANALYZE truncated")
    names = ("with_brin", "emptied", "never_filled", "truncated")
    with PostgresIntrospector(params(target)) as intro:
        refs = [r for r in intro.list_tables() if r.name in names]
        described = {t.name: t.size_bytes for t in intro.describe(refs)}
        signed = {key[1]: s.size_bytes for key, s in intro.signatures(refs).items()}
    actual = dict(query(target, f"SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname IN {names}"))
    assert described == actual
    assert signed == actual
    emptied_fsm = query(target, "SELECT pg_relation_size('emptied', 'fsm'), pg_relation_size('with_brin_id', 'fsm')")
    assert emptied_fsm == [(16384, 24576)]  # what the estimate used to miss


# --- a partitioned table's activity: its leaf partitions' figures summed ---

PARTITIONED_SQL = """
CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
    PARTITION BY RANGE (id);
CREATE TABLE events_2024_low PARTITION OF events_2024 FOR VALUES FROM (0) TO (100);
CREATE TABLE events_2024_high PARTITION OF events_2024 FOR VALUES FROM (100) TO (1000);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE hollow (id int) PARTITION BY LIST (id);
"""


def test_partitioned_table_activity_sums_its_leaf_partitions(target):
    pg_execute(target, PARTITIONED_SQL)
    pg_execute(target, "INSERT INTO events SELECT g, '2024-06-01' FROM generate_series(1, 300) g")
    pg_execute(target, "INSERT INTO events SELECT g, '2025-06-01' FROM generate_series(1, 40) g")
    pg_execute(target, "UPDATE events SET id = id + 1 WHERE id < 10; DELETE FROM events WHERE id > 290")
    leaves = "('events_2024_low', 'events_2024_high', 'events_2025')"
    totals = f"""SELECT sum(n_tup_ins), sum(n_tup_upd), sum(n_tup_del), sum(n_live_tup), sum(n_dead_tup)
                 FROM pg_stat_user_tables WHERE relname IN {leaves}"""
    deadline = time.time() + 10  # the sessions above flush their statistics as they end
    while query(target, totals)[0][0] != 340 and time.time() < deadline:
        time.sleep(0.1)
    with PostgresIntrospector(params(target)) as intro:
        refs = [r for r in intro.list_tables() if r.name in ("events", "events_2024", "hollow", "events_2025")]
        activity = intro.activity(refs)
    [expected] = query(target, totals)
    for name in ("events", "events_2024"):
        a = activity[("public", name)]
        got = (a.rows_inserted, a.rows_updated, a.rows_deleted, a.live_rows, a.dead_rows)
        if name == "events":
            assert got == tuple(int(v) for v in expected)
        assert a.last_vacuum_at is None and a.last_analyze_at is None
    assert activity[("public", "events")].rows_inserted == 340
    assert activity[("public", "events_2024")].rows_inserted == 300
    hollow = activity[("public", "hollow")]
    assert (hollow.rows_inserted, hollow.live_rows) == (0, 0)
    assert activity[("public", "events_2025")].rows_inserted == 40  # a leaf: its own figures, as before
