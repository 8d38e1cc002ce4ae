"""What the team curated, carried by the exports: dbt's `sources.yml`, read
back by `dbt parse` (dbt-core and dbt-postgres in .venv-dbt, installed by
scripts/setup.sh) from dbt's own manifest, and the JSON, Markdown (rendered)
and DBML (parsed by pydbml) exports. The target's names and the curation
are hostile: quotes, line breaks, Unicode and Jinja's own markers, which
dbt renders in every string of a sources file. Curation rows are written
through the models (the curation API is another branch's)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from pydbml import PyDBML
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from catalog.models import CatalogTable, Curation

from .conftest import ApiUser, truncate_catalog, wait_for_crawl
from .crawl_helpers import pg_source
from .export_parsers import foreign_markup, render_markdown
from .targets import pg_database, pg_execute

pytestmark = pytest.mark.shared_catalog

DBT = Path(__file__).resolve().parents[1] / ".venv-dbt" / "bin" / "dbt"
ODD_SCHEMA = 'we{{ird}} "schema"'
ODD_TABLE = "or'ders {% if x %}\u00e9\u8868"
ODD_COLUMN = "e-mail\n{# c #}"
TARGET = """
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id int PRIMARY KEY, email text NOT NULL);
COMMENT ON COLUMN shop.customers.id IS 'the database''s comment';
"""
# what the curators wrote: Jinja dbt must not run, a carriage return, a
# trailing line break (Jinja would drop both), Markdown and HTML
HOSTILE = 'Who bought {{ 7 * 7 }} {% if true %}x{% endif %} {# no #} {% endraw %} "q" \'s\r\n* <b>bold</b>\n'
CUSTOMERS = "Customers we sell to.\n\n**One row** per account; {{ doc('nothing') }}\n- not a list"


def _odd_target() -> str:
    """The odd schema and table, created with PostgreSQL's own quoting."""
    q = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
    return f"CREATE SCHEMA {q(ODD_SCHEMA)}; CREATE TABLE {q(ODD_SCHEMA)}.{q(ODD_TABLE)} (id int, {q(ODD_COLUMN)} text);"


@pytest.fixture(scope="module")
def dbt_app(settings, redis_client, catalog_url):
    from api import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    truncate_catalog(catalog_url)


@pytest.fixture(scope="module")
def people(dbt_app):
    """The source's admin, a viewer of its team, and the team (named with Jinja's markers)."""
    owner = ApiUser(dbt_app.test_client(), "curator@example.com")
    viewer = ApiUser(dbt_app.test_client(), "viewer@example.com")
    r = owner.post("/api/v1/teams", json={"name": "Data {{ team }}"})
    assert r.status_code == 201, r.get_json()
    team = r.get_json()["id"]
    r = owner.post(f"/api/v1/teams/{team}/members", json={"email": viewer.email, "role": "viewer"})
    assert r.status_code in (200, 201), r.get_json()
    return owner, viewer, team


def _curate(catalog_url: str, source_id: int, owner_id: int, team_id: int) -> None:
    engine = create_engine(catalog_url, poolclass=NullPool)
    with Session(engine) as s:
        ids = {(t.schema_name, t.name): t.id for t in s.query(CatalogTable).filter_by(source_id=source_id)}
        odd = ids[(ODD_SCHEMA, ODD_TABLE)]
        rows = [
            Curation(source_id=source_id, kind="source", description="The shop's database", tags=["core"]),
            Curation(
                source_id=source_id,
                kind="schema",
                schema_name="shop",
                description="Sales {{ var('x') }}",
                tags=["sales"],
                owner_user_ids=[owner_id],
                owner_team_ids=[team_id],
            ),
            Curation(
                source_id=source_id,
                kind="table",
                table_id=ids[("shop", "customers")],
                description=CUSTOMERS,
                tags=["pii", "gold"],
                owner_team_ids=[team_id],
            ),
            Curation(
                source_id=source_id,
                kind="column",
                table_id=ids[("shop", "customers")],
                column_name="email",
                description=HOSTILE,
                tags=["pii", "{{ tag }}"],
                owner_user_ids=[owner_id, 999_999],  # an account that is gone drops out
            ),
            Curation(source_id=source_id, kind="table", table_id=odd, description=HOSTILE, tags=["odd"]),
            Curation(source_id=source_id, kind="column", table_id=odd, column_name=ODD_COLUMN, description=HOSTILE),
            # cleared: no entry
            Curation(source_id=source_id, kind="column", table_id=odd, column_name="id", description=""),
        ]
        for row in rows:
            row.updated_at = datetime.now(UTC)
        s.add_all(rows)
        s.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def source(people, worker, catalog_url):
    owner, _viewer, team = people
    with pg_database("mc_dbt") as db:
        pg_execute(db, TARGET + _odd_target())
        s = pg_source(owner, db, name="shop {{ x }}", team_id=team)
        assert wait_for_crawl(owner, s["crawl"]["url"])["state"] == "succeeded"
        _curate(catalog_url, s["id"], owner.id, team)
        yield s["id"]


def _export(user, source_id, fmt, **params) -> tuple[str, dict]:
    r = user.get(f"/api/v1/sources/{source_id}/schema/export", query_string={"format": fmt, **params})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_data(as_text=True), dict(r.headers)


def _dbt_parse(tmp_path: Path, sources_yml: str, models: dict[str, str]) -> dict:
    """`dbt parse` of a project holding `sources_yml` and `models`; dbt's manifest."""
    assert DBT.exists(), "dbt is installed into .venv-dbt by scripts/setup.sh"
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "sources.yml").write_text(sources_yml)
    for name, sql in models.items():
        (tmp_path / "models" / f"{name}.sql").write_text(sql)
    (tmp_path / "dbt_project.yml").write_text(
        yaml.safe_dump({"name": "shop", "version": "1.0", "profile": "shop", "model-paths": ["models"]})
    )
    output = {"type": "postgres", "host": "127.0.0.1", "port": 5432, "user": "postgres", "password": ""}
    output |= {"dbname": "postgres", "schema": "public", "threads": 1}
    profile = {"shop": {"target": "dev", "outputs": {"dev": output}}}
    (tmp_path / "profiles.yml").write_text(yaml.safe_dump(profile))
    done = subprocess.run(
        [str(DBT), "parse", "--profiles-dir", str(tmp_path), "--project-dir", str(tmp_path), "--no-use-colors"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return json.loads((tmp_path / "target" / "manifest.json").read_text())


def test_dbt_parse_accepts_sources_yml_and_keeps_what_was_curated(people, source, tmp_path):
    owner, viewer, team = people
    text, headers = _export(viewer, source, "dbt")  # a viewer may export
    assert headers["Content-Type"].startswith("application/yaml")
    assert headers["Content-Disposition"] == f'attachment; filename="source-{source}-sources.yml"'
    models = {
        "customers": "select * from {{ source('shop', 'customers') }}",
        # quoted without escapes: dbt's static reader of source() reads a backslash as itself
        "odd": f"select * from {{{{ source('{ODD_SCHEMA}', \"{ODD_TABLE}\") }}}}",
    }
    manifest = _dbt_parse(tmp_path, text, models)
    customers = manifest["sources"]["source.shop.shop.customers"]
    assert customers["description"] == CUSTOMERS
    assert customers["meta"] == {"owner": ["Data {{ team }}"]}
    assert set(customers["tags"]) == {"sales", "pii", "gold"}  # dbt adds the source's tags to its tables'
    assert customers["source_description"] == "Sales {{ var('x') }}"
    assert customers["source_meta"] == {"owner": [owner.email, "Data {{ team }}"]}
    assert (customers["schema"], customers["identifier"]) == ("shop", "customers")
    email = customers["columns"]["email"]
    assert email["description"] == HOSTILE and email["data_type"] == "text"
    assert set(email["tags"]) == {"pii", "{{ tag }}"} and email["meta"] == {"owner": [owner.email]}
    assert customers["columns"]["id"]["description"] == "the database's comment"  # no curation: the comment
    [odd] = [s for s in manifest["sources"].values() if s["source_name"] == ODD_SCHEMA]
    assert (odd["name"], odd["identifier"], odd["schema"]) == (ODD_TABLE, ODD_TABLE, ODD_SCHEMA)
    assert odd["description"] == HOSTILE and set(odd["tags"]) == {"core", "odd"}
    assert odd["source_description"] == "The shop's database"  # an uncurated schema: the source's
    assert odd["columns"][ODD_COLUMN]["description"] == HOSTILE
    assert odd["columns"]["id"]["description"] == ""  # cleared: nothing
    [model] = [n for n in manifest["nodes"].values() if n["name"] == "odd"]
    assert model["sources"] == [[ODD_SCHEMA, ODD_TABLE]]


def test_dbt_export_of_one_schema(people, source):
    owner = people[0]
    text, headers = _export(owner, source, "dbt", schema="shop")
    assert headers["Content-Disposition"].endswith('-shop-sources.yml"')
    body = yaml.safe_load(text)
    assert body["version"] == 2 and [s["name"] for s in body["sources"]] == ["shop"]
    [table] = body["sources"][0]["tables"]
    assert [c["name"] for c in table["columns"]] == ["id", "email"]


def test_json_carries_curation(people, source):
    owner = people[0]
    body = json.loads(_export(owner, source, "json")[0])
    core = {"name": "core", "colour": None}  # written through the models: not in the team's tag list
    assert body["curation"]["source"] == {"description": "The shop's database", "tags": [core], "owners": []}
    owners = body["curation"]["schemas"]["shop"]["owners"]
    assert [(o["kind"], o["name"]) for o in owners] == [("user", owner.email), ("team", "Data {{ team }}")]
    tables = {(t["schema"], t["name"]): t for t in body["tables"]}
    customers = tables[("shop", "customers")]
    assert customers["curation"]["description"] == CUSTOMERS
    assert [t["name"] for t in customers["curation"]["tags"]] == ["pii", "gold"]
    email = next(c for c in customers["columns"] if c["name"] == "email")
    assert email["curation"]["description"] == HOSTILE
    assert [t["name"] for t in email["curation"]["tags"]] == ["pii", "{{ tag }}"]
    assert [(o["kind"], o["id"], o["name"]) for o in email["curation"]["owners"]] == [("user", owner.id, owner.email)]
    assert "curation" not in next(c for c in customers["columns"] if c["name"] == "id")
    odd = tables[(ODD_SCHEMA, ODD_TABLE)]
    assert [c.get("curation") is not None for c in odd["columns"]] == [False, True]  # a cleared row is none
    ndjson = [json.loads(line) for line in _export(owner, source, "ndjson")[0].splitlines()]
    assert [t["name"] for t in next(t for t in ndjson if t["name"] == "customers")["curation"]["tags"]] == [
        "pii",
        "gold",
    ]


def test_markdown_shows_curation_first_as_text(people, source):
    owner = people[0]
    md = _export(owner, source, "markdown")[0]
    assert foreign_markup(md) == []
    html = render_markdown(md)
    assert "<p>Description: The shop's database</p>" in html and "<p>Tags: core</p>" in html
    assert "| shop | Sales {{ var('x') }} | sales | curator@example.com, Data {{ team }} |" in md
    customers = md.split("## shop.customers (table)")[1].split("\n## ")[0]
    # paragraphs kept, Markdown shown as typed: no list, no bold
    assert "Description: Customers we sell to.\n\n\\*\\*One row\\*\\* per account;" in customers
    assert "\n\\- not a list" in customers and "Tags: pii, gold" in customers
    assert customers.index("Description:") < customers.index("Owners: Data {{ team }}")
    assert "| description | tags | owners |" in customers
    assert "\\<b\\>bold\\</b\\>" in customers  # the column's description, flattened in its cell
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_dbml_notes_hold_curation_before_the_comment(people, source):
    owner = people[0]
    db = PyDBML(_export(owner, source, "dbml")[0])
    assert "The shop's database" in db.project.note.text and "schema shop:" in db.project.note.text
    customers = next(t for t in db.tables if t.name == "customers")
    assert customers.note.text.startswith("Customers we sell to.") and "tags: pii, gold" in customers.note.text
    email = next(c for c in customers.columns if c.name == "email")
    assert email.note.text.startswith("Who bought {{ 7 * 7 }}") and f"owners: {owner.email}" in email.note.text
    id_note = next(c for c in customers.columns if c.name == "id").note.text
    assert id_note == "the database's comment"
