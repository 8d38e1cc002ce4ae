"""A recrawl describes only tables whose target signature moved, so the
signature must move with every change describe() would report, and must not
move when nothing in the definition did."""

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
]

# None of these changes the definition (sizes and row estimates may move).
NO_CHANGES = [
    "INSERT INTO ref.owners VALUES (1, 'a'); INSERT INTO pets (id, name, owner_id) VALUES (1, 'rex', 1)",
    "ANALYZE pets",
    "VACUUM pets",
    "ALTER TABLE pets ALTER COLUMN name SET STATISTICS 500",
    "CREATE TABLE unrelated (id int)",
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
