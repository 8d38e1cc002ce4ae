"""The typed client generated from the OpenAPI document (openapi-python-client,
scripts/gen_client.sh) against a real server: gunicorn on a free port, a real
worker, a real PostgreSQL target. tests/client_flow.py, which uses only the
client, registers, signs in, adds a source, crawls, polls, searches, reads a
table by id and by name (one with a '/' in it), diffs with an earlier crawl
(JSON, and NDJSON as text) and exports JSON and Markdown; mypy --strict checks
that file, and finds a wrong use of a model."""

from __future__ import annotations

import importlib
import json
import site
import subprocess
import sys
import textwrap

import pytest

from .conftest import ROOT, serve_app
from .crawl_helpers import SECRET
from .targets import pg_database, pg_execute, pg_params

TARGET = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id), total numeric(12, 2));
CREATE TABLE "we/ird" (id integer);
"""


@pytest.fixture(scope="module")
def client_flow():
    """tests/client_flow.py, with the client generated from the current document (again only if it changed)."""
    done = subprocess.run([str(ROOT / "scripts" / "gen_client.sh")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    site.addsitedir(str(ROOT / "var" / "client"))  # the .pth gen_client.sh wrote, for this process too
    return importlib.import_module("tests.client_flow")


@pytest.fixture(scope="module")
def server(test_env, worker, tmp_path_factory, request):
    return serve_app(test_env, tmp_path_factory, request)


def test_a_user_drives_the_api_through_the_generated_client(client_flow, server):
    p = pg_params()
    with pg_database("mc_client") as dbname:
        pg_execute(dbname, TARGET)
        client = client_flow.sign_in(server, "client@example.com", "correct horse battery")
        target = client_flow.Target(p["host"], p["port"], dbname, p["username"], SECRET)
        source, first = client_flow.first_part(client, target)
        assert first.state == "succeeded", first.error
        assert first.stats is not None and first.stats.added == 3
        pg_execute(dbname, "ALTER TABLE orders ADD COLUMN shipped_at timestamptz")
        seen = client_flow.second_part(client, source.id, first, "we/ird")

    assert seen.second_crawl.state == "succeeded" and seen.second_crawl.error is None
    assert seen.second_crawl.stats is not None and seen.second_crawl.stats.changed == 1
    assert "table:orders.None" in seen.hit_names
    assert seen.by_id.name == "orders" and [c.name for c in seen.by_id.columns][-1] == "shipped_at"
    assert seen.by_id.primary_key is not None and seen.by_id.primary_key.columns == ["id"]
    assert (seen.by_name.schema, seen.by_name.name) == ("public", "we/ird")
    assert seen.diff.as_of == first.id and seen.diff.summary.different == 1
    [orders] = seen.diff.tables
    assert orders.table == "orders" and orders.columns_only_in_source == ["shipped_at"]
    [line] = seen.diff_lines.splitlines()  # the same diff, a table per line
    assert json.loads(line)["table"] == "orders" and json.loads(line)["columns_only_in_source"] == ["shipped_at"]
    assert {t.name for t in seen.export.tables} == {"customers", "orders", "we/ird"}
    assert seen.export.name == "shop" and seen.export.engine == "postgresql"
    assert "orders" in seen.markdown and seen.markdown.lstrip().startswith("#")


def mypy(tmp_path, *files: str) -> subprocess.CompletedProcess:
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\nfollow_imports = silent\n")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(tmp_path / "cache"), *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_client_script_type_checks_and_a_wrong_use_does_not(client_flow, tmp_path):
    done = mypy(tmp_path, "tests/client_flow.py")
    assert done.returncode == 0, done.stdout + done.stderr
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        textwrap.dedent(
            """
            from metacrawl_client.models import Crawl, SearchHit

            def f(crawl: Crawl, hit: SearchHit) -> int:
                return crawl.stats.added + len(hit.table)
            """
        )
    )
    done = mypy(tmp_path, str(wrong))
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'Item "None" of "Stats | None" has no attribute "added"' in done.stdout
    assert 'Argument 1 to "len" has incompatible type "str | None"' in done.stdout
