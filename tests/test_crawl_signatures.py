"""A recrawl describes only tables whose target signature moved, so the
signature must move with every change describe() would report, and should
not move when nothing in the definition did. On PostgreSQL the signature is
the version (xmin) of the catalog rows a description is read from, and of
what they depend on (engines/postgres.py VERSION_SQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from catalog import db as catalog_db
from engines import ConnectionParams
from engines.documents import table_document
from engines.postgres import SIGNATURE_PREFIX, PostgresIntrospector

from .conftest import ApiUser, wait_for_crawl
from .crawl_helpers import crawl_now, pg_source
from .targets import pg_database, pg_execute, pg_params

TARGET = """
CREATE SCHEMA ref;
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE TABLE ref.owners (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE pets (
    id int PRIMARY KEY, name text, owner_id int REFERENCES ref.owners (id), feeling mood,
    born date DEFAULT current_date, weight numeric(5, 2) CHECK (weight > 0)
);
CREATE INDEX pets_name ON pets (name);
COMMENT ON COLUMN pets.feeling IS 'a "quoted", (parenthesised) \\ back\\slashed
two-line comment';
COMMENT ON COLUMN pets.born IS 'NULL';
COMMENT ON TABLE ref.owners IS '{braces}, commas and spaces';
"""

# Each changes what describe() reports of table public.pets.
CHANGES = [
    "COMMENT ON TABLE pets IS 'animals'",
    "COMMENT ON COLUMN pets.name IS 'what it answers to'",
    "ALTER TABLE pets ALTER COLUMN born SET DEFAULT '2000-01-01'",
    "ALTER TABLE pets ALTER COLUMN born DROP DEFAULT",
    "ALTER TABLE pets ALTER COLUMN name SET NOT NULL",
    "ALTER TABLE pets ALTER COLUMN weight TYPE numeric(6, 2)",
    "ALTER TABLE pets ADD COLUMN tag text",
    "ALTER TABLE pets RENAME COLUMN tag TO label",
    "ALTER TABLE pets DROP COLUMN label",
    "ALTER TABLE pets ADD COLUMN seq int GENERATED ALWAYS AS IDENTITY",
    "ALTER TABLE pets ADD COLUMN twice numeric GENERATED ALWAYS AS (weight * 2) STORED",
    "CREATE UNIQUE INDEX pets_owner_name ON pets (owner_id, lower(name)) WHERE owner_id IS NOT NULL",
    "ALTER INDEX pets_name RENAME TO pets_by_name",
    "DROP INDEX pets_by_name",
    "ALTER TABLE pets ADD CONSTRAINT pets_name_key UNIQUE (name)",
    "ALTER TABLE pets DROP CONSTRAINT pets_weight_check",
    "ALTER TABLE pets ADD CONSTRAINT pets_weight_check CHECK (weight < 1000)",
    # changes made elsewhere that show in this table's definition
    "ALTER TABLE ref.owners RENAME TO people",
    "ALTER TABLE ref.people RENAME COLUMN id TO person_id",
    "ALTER SCHEMA ref RENAME TO reference",
    "ALTER TYPE mood RENAME TO temper",
    "ALTER TABLE pets DROP CONSTRAINT pets_owner_id_fkey, ADD FOREIGN KEY (owner_id) "
    "REFERENCES reference.people (person_id) ON DELETE CASCADE",
    'ALTER TABLE pets ALTER COLUMN name TYPE text COLLATE "C"',
    "CREATE SEQUENCE pet_numbers; ALTER TABLE pets ALTER COLUMN id SET DEFAULT nextval('pet_numbers')",
    "ALTER SEQUENCE pet_numbers RENAME TO pet_ids",
    "CREATE FUNCTION twice(numeric) RETURNS numeric IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 2'; "
    "ALTER TABLE pets ADD CONSTRAINT pets_heavy CHECK (twice(weight) < 5000)",
    "ALTER FUNCTION twice(numeric) RENAME TO double",
    "CREATE INDEX pets_double ON pets (double(weight))",
    "ALTER FUNCTION double(numeric) RENAME TO doubled",
    "COMMENT ON COLUMN pets.name IS NULL",
]

# Changes made elsewhere, each with the table whose definition it changes:
# partitions, views and what they read.
OTHER_CHANGES = [
    ("CREATE TABLE parts (id int, at date) PARTITION BY RANGE (at); CREATE TABLE parts_2020 (id int, at date); "
     "CREATE VIEW pet_names AS SELECT id, name FROM pets", None),
    ("ALTER TABLE parts ATTACH PARTITION parts_2020 FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
     "parts_2020"),
    ("ALTER TABLE parts RENAME TO pieces", "parts_2020"),
    ("ALTER TABLE pieces DETACH PARTITION parts_2020", "parts_2020"),
    ("CREATE OR REPLACE VIEW pet_names AS SELECT id, name, born FROM pets", "pet_names"),
    ("ALTER TABLE pets RENAME COLUMN name TO called", "pet_names"),
    ("ALTER VIEW pet_names SET (security_barrier = true)", "pet_names"),
    ("COMMENT ON VIEW pet_names IS 'who is who'", "pet_names"),
]  # fmt: skip

# None of these changes the definition (sizes and row estimates may move),
# nor the signature: a recrawl after them describes nothing.
NO_CHANGES = [
    "INSERT INTO ref.owners VALUES (1, 'a'); INSERT INTO pets (id, name, owner_id) VALUES (1, 'rex', 1)",
    "ANALYZE pets",
    "VACUUM pets",
    "VACUUM FREEZE pets",
    "ANALYZE",
    "CREATE TABLE unrelated (id int)",
    "CREATE INDEX unrelated_id ON unrelated (id)",
    "CREATE VIEW pets_too AS SELECT * FROM pets",
]


def _look(dbname: str) -> tuple[str, dict]:
    p = pg_params()
    params = ConnectionParams(
        host=p["host"], port=p["port"], database=dbname, username=p["username"], password=p["password"]
    )
    with PostgresIntrospector(params) as target:
        refs = [r for r in target.list_tables() if (r.schema, r.name) == ("public", "pets")]
        signature = target.signatures(refs)[("public", "pets")].signature
        [table] = target.describe(refs)
        assert table.signature == signature  # what describe computes is what the target answers
        doc = table_document(table)
    definition = {k: v for k, v in doc.items() if k not in ("row_estimate", "size_bytes", "row_estimate_source")}
    return signature, definition


@pytest.fixture
def target():
    with pg_database() as name:
        pg_execute(name, TARGET)
        yield name


def test_signature_moves_with_every_definition_change(target):
    signature, definition = _look(target)
    assert signature.startswith(SIGNATURE_PREFIX)
    for ddl in CHANGES:
        pg_execute(target, ddl)
        new_signature, new_definition = _look(target)
        assert new_definition != definition, f"the test's change did not change the definition: {ddl}"
        assert new_signature != signature, f"the signature missed: {ddl}"
        signature, definition = new_signature, new_definition


def test_signature_moves_with_changes_elsewhere(target):
    """Partitions attached, detached and their parent renamed, a view's
    body, options and comment, and a column it reads renamed."""
    signed = _signed(target)
    for ddl, table in OTHER_CHANGES:
        pg_execute(target, ddl)
        new = _signed(target)
        if table is not None:
            assert new[("public", table)] != signed[("public", table)], f"the signature missed: {ddl}"
        signed = new


def _signed(dbname: str) -> dict:
    p = pg_params()
    params = ConnectionParams(
        host=p["host"], port=p["port"], database=dbname, username=p["username"], password=p["password"]
    )
    with PostgresIntrospector(params) as target:
        refs = target.list_tables()
        signed = {key: s.signature for key, s in target.signatures(refs).items()}
        assert signed == {(t.schema, t.name): t.signature for t in target.describe(refs)}
    return signed


def test_signature_stays_when_the_definition_does(target):
    signature, definition = _look(target)
    for ddl in NO_CHANGES:
        pg_execute(target, ddl)
        new_signature, new_definition = _look(target)
        assert new_definition == definition, ddl
        assert new_signature == signature, f"the signature moved without a definition change: {ddl}"


def test_signatures_report_sizes_as_describe_does(target):
    pg_execute(target, "INSERT INTO ref.owners SELECT g, g::text FROM generate_series(1, 2000) g; ANALYZE")
    p = pg_params()
    params = ConnectionParams(
        host=p["host"], port=p["port"], database=target, username=p["username"], password=p["password"]
    )
    with PostgresIntrospector(params) as t:
        refs = t.list_tables()
        signatures = t.signatures(refs)
        described = {(d.schema, d.name): d for d in t.describe(refs)}
    assert signatures.keys() == described.keys()
    for key, sig in signatures.items():
        assert (sig.row_estimate, sig.size_bytes) == (described[key].row_estimate, described[key].size_bytes), key
    assert signatures[("ref", "owners")].row_estimate == 2000 and signatures[("ref", "owners")].size_bytes > 8192


def _batch_lines(worker, job_id: int, since: int) -> list[str]:
    """This test's batch log lines of crawl `job_id` (job ids restart with every test's empty catalog)."""
    lines = [json.loads(line) for line in worker.log()[since:].splitlines() if line.startswith("{")]
    return [e["message"] for e in lines if e.get("job_id") == job_id and e["message"].startswith("crawl batch")]


def test_unchanged_recrawl_describes_only_what_moved(alice, worker, target):
    since = len(worker.log())
    pg_execute(target, "".join(f"CREATE TABLE t{i} (id int PRIMARY KEY);" for i in range(12)))
    source = pg_source(alice, target)
    first = wait_for_crawl(alice, source["crawl"]["url"])
    assert first["stats"]["added"] == 14
    assert all("(0 by signature)" in m for m in _batch_lines(worker, first["id"], since))

    pg_execute(target, "COMMENT ON COLUMN t3.id IS 'the key'")
    job = crawl_now(alice, source["id"])
    assert job["stats"] == {"added": 0, "changed": 1, "removed": 0, "unchanged": 13, "with_warnings": 0}
    lines = _batch_lines(worker, job["id"], since)
    by_signature = sum(int(m.split("(")[1].split(" by signature")[0]) for m in lines)
    assert by_signature == 13, lines
    t3 = alice.get(f"/api/v1/sources/{source['id']}/tables/public/t3").get_json()
    assert t3["columns"][0]["comment"] == "the key"

    # these move PostgreSQL's signature (the catalog rows' versions) and no
    # definition: t4 is described again, and found unchanged
    pg_execute(target, "ALTER TABLE t4 ALTER COLUMN id SET STATISTICS 500; GRANT SELECT ON t4 TO PUBLIC")
    job = crawl_now(alice, source["id"])
    assert job["stats"] == {"added": 0, "changed": 0, "removed": 0, "unchanged": 14, "with_warnings": 0}
    lines = _batch_lines(worker, job["id"], since)
    assert sum(int(m.split("(")[1].split(" by signature")[0]) for m in lines) == 13, lines


def _crawl_in_process(job_id: int) -> None:
    from crawl import steps
    from worker import runtime

    settings = runtime.settings()
    steps.plan(job_id, settings)
    total = catalog_db.Session.execute(
        text("SELECT batches_total FROM crawl_jobs WHERE id = :j"), {"j": job_id}
    ).scalar()
    catalog_db.Session.commit()
    for no in range(1, total + 1):
        steps.batch(job_id, no, settings)
    steps.finish(job_id, settings)


def test_a_change_between_signature_and_describe_is_not_hidden(idle_app, test_env, target, monkeypatch):
    """The stored signature must come from the snapshot the stored definition
    came from; one read earlier could hide a change for good."""
    from worker import runtime

    for key, value in test_env.items():
        monkeypatch.setenv(key, value)
    runtime.reset()  # the test runs each step itself, in this process
    owner = ApiUser(idle_app.test_client(), "sig@example.com")
    source = pg_source(owner, target)
    _crawl_in_process(source["crawl"]["id"])  # the catalog has pets as TARGET made it

    def recrawl() -> dict:
        r = owner.post(f"/api/v1/sources/{source['id']}/crawls")
        assert r.status_code == 202, r.get_json()
        _crawl_in_process(r.get_json()["id"])
        return owner.get(r.get_json()["url"]).get_json()

    pg_execute(target, "ALTER TABLE pets ADD COLUMN x int")  # what the signature query will see
    describe = PostgresIntrospector.describe

    def describe_after_a_change(self, tables):
        pg_execute(target, "ALTER TABLE pets RENAME COLUMN x TO y")  # lands between the two reads
        return describe(self, tables)

    monkeypatch.setattr(PostgresIntrospector, "describe", describe_after_a_change)
    assert recrawl()["stats"]["changed"] == 1
    monkeypatch.setattr(PostgresIntrospector, "describe", describe)
    pets = owner.get(f"/api/v1/sources/{source['id']}/tables/public/pets").get_json()
    assert [c["name"] for c in pets["columns"]][-1] == "y"

    # back to what the signature query saw: the catalog must follow
    pg_execute(target, "ALTER TABLE pets RENAME COLUMN y TO x")
    assert recrawl()["stats"]["changed"] == 1
    pets = owner.get(f"/api/v1/sources/{source['id']}/tables/public/pets").get_json()
    assert [c["name"] for c in pets["columns"]][-1] == "x"
