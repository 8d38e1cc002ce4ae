"""Sequences, triggers and routines, crawled from PostgreSQL and MariaDB and
read through the API (issue #12): lists with filters and pagination, a
table's triggers in its detail, bodies only on request, the exports, and a
recrawl after DROP that removes them with change events."""

from __future__ import annotations

import json

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import ROUTINES_PG_TARGET as PG_TARGET
from .crawl_helpers import catalog_rows, crawl_now, mariadb_reader, mariadb_source, pg_source
from .targets import mysql_databases, mysql_execute, pg_database, pg_execute
from .ui_helpers import Browser

OBJECT_EVENTS = ("sequence", "trigger", "routine")


@pytest.fixture
def pg_target():
    with pg_database("mc_routines") as name:
        pg_execute(name, PG_TARGET)
        yield name


def get(user, url: str) -> dict:
    r = user.get(url)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def names(items: list[dict], *fields: str) -> list[tuple]:
    return [tuple(i[f] for f in fields) for i in items]


def test_postgres_sequences_triggers_routines(alice, bob, worker, pg_target):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    base = f"/api/v1/sources/{sid}"

    body = get(alice, f"{base}/sequences")
    assert body["last_crawled_at"] and body["next_cursor"] is None
    sequences = {s["name"]: s for s in body["sequences"]}
    assert sorted(sequences) == ["items_id_seq", "ticket"]
    ticket = sequences["ticket"]
    assert (ticket["schema"], ticket["data_type"], ticket["start"], ticket["increment"], ticket["cycle"]) == (
        "app", "bigint", 100, 5, True
    )  # fmt: skip
    assert ticket["owned_by"] is None
    assert sequences["items_id_seq"]["owned_by"] == {"schema": "app", "table": "items", "column": "id"}
    assert sequences["items_id_seq"]["data_type"] == "integer"

    # the foreign key's internal triggers are left out
    [trigger] = get(alice, f"{base}/triggers")["triggers"]
    assert trigger == {
        "schema": "app",
        "table": "items",
        "name": "items_touch",
        "timing": "BEFORE",
        "events": ["INSERT", "UPDATE"],
        "level": "row",
        "function": "app.touch",
        "enabled": True,
        "definition": "CREATE TRIGGER items_touch BEFORE INSERT OR UPDATE ON app.items FOR EACH ROW "
        "EXECUTE FUNCTION app.touch()",
    }
    assert get(alice, f"{base}/triggers?table=app.items")["triggers"] == [trigger]
    assert get(alice, f"{base}/triggers?schema=app&table=items")["triggers"] == [trigger]
    assert get(alice, f"{base}/triggers?table=app.item_notes")["triggers"] == []
    r = alice.get(f"{base}/triggers?table=items")
    assert r.status_code == 422 and "table" in r.get_json()["errors"]["query"]

    # the table's detail lists its triggers, by path and by id
    detail = get(alice, f"{base}/tables/app/items")
    assert [t["name"] for t in detail["triggers"]] == ["items_touch"]
    assert detail["triggers"][0]["function"] == "app.touch" and "table" not in detail["triggers"][0]
    assert [t["name"] for t in get(alice, detail["url"])["triggers"]] == ["items_touch"]
    assert get(alice, f"{base}/tables/app/item_notes")["triggers"] == []
    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    html = browser.get(f"/sources/{sid}/table?schema=app&name=items").get_data(as_text=True)
    assert 'id="triggers"' in html and "<code>items_touch</code> before insert or update, for each row" in html

    # routines: overloads apart, the extension's functions left out, no bodies unless asked
    routines = get(alice, f"{base}/routines")["routines"]
    assert names(routines, "name", "kind", "arguments") == [
        ("add", "function", "a integer, b integer"),
        ("add", "function", "a numeric, b numeric"),
        ("archive", "procedure", "IN days integer"),
        ("touch", "function", ""),
    ]
    add = routines[0]
    assert (add["return_type"], add["language"], add["volatility"], add["comment"]) == (
        "integer", "sql", "immutable", "Adds two integers"
    )  # fmt: skip
    assert routines[2]["return_type"] is None and routines[3]["return_type"] == "trigger"
    assert all("body" not in r for r in routines)
    with_body = get(alice, f"{base}/routines?body=true")["routines"]
    assert "SELECT a + b" in with_body[0]["body"] and "CREATE OR REPLACE FUNCTION app.add" in with_body[0]["body"]
    assert names(get(alice, f"{base}/routines?q=ADD")["routines"], "name") == [("add",), ("add",)]
    assert names(get(alice, f"{base}/routines?kind=procedure")["routines"], "name") == [("archive",)]
    assert get(alice, f"{base}/routines?q=zzz")["routines"] == []

    # keyset pagination: one at a time, the Link header and next_cursor agree
    seen, url = [], f"{base}/routines?limit=1"
    while url:
        r = alice.get(url)
        page = r.get_json()
        seen += names(page["routines"], "name", "arguments")
        url = f"{base}/routines?limit=1&cursor={page['next_cursor']}" if page["next_cursor"] else None
        assert ("Link" in r.headers) == bool(url)
    assert seen == names(routines, "name", "arguments")
    assert alice.get(f"{base}/sequences?cursor={page['next_cursor'] or 'x'}").status_code == 400

    # another user's source is a 404
    for what in ("sequences", "triggers", "routines"):
        assert bob.get(f"{base}/{what}").status_code == 404

    # search finds them by name with kind=routine, sequence or trigger
    hits = get(alice, "/api/v1/search?q=add&kind=routine")["results"]
    assert names(hits, "kind", "object_kind", "name", "arguments", "match", "table") == [
        ("routine", "function", "add", "a integer, b integer", "exact", None),
        ("routine", "function", "add", "a numeric, b numeric", "exact", None),
    ]
    assert get(alice, hits[0]["url"])["routines"][0]["name"] == "add"
    assert names(get(alice, "/api/v1/search?q=integers&kind=routine")["results"], "name", "match") == [
        ("add", "comment")
    ]
    [hit] = get(alice, "/api/v1/search?q=tick&kind=sequence")["results"]
    assert (hit["name"], hit["match"], hit["table_id"]) == ("ticket", "prefix", None)
    assert get(alice, hit["url"])["sequences"][0]["name"] == "ticket"
    [hit] = get(alice, "/api/v1/search?q=itemz_touch&kind=trigger")["results"]
    assert (hit["name"], hit["table"], hit["match"], hit["url"]) == ("items_touch", "items", "near", detail["url"])
    assert get(alice, "/api/v1/search?q=add")["results"] == []  # tables and columns only by default
    assert get(bob, "/api/v1/search?q=add&kind=routine")["results"] == []

    # the exports carry them
    export = json.loads(alice.get(f"{base}/schema/export?format=json").get_data(as_text=True))
    assert [s["name"] for s in export["sequences"]] == ["items_id_seq", "ticket"]
    assert [t["name"] for t in export["triggers"]] == ["items_touch"]
    assert [r["name"] for r in export["routines"]] == ["add", "add", "archive", "touch"]
    assert "body" not in export["routines"][0]
    markdown = alice.get(f"{base}/schema/export?format=markdown").get_data(as_text=True)
    assert "## Sequences" in markdown and "| app.ticket | bigint | 100 | 5 |" in markdown
    assert "## Routines" in markdown and "| app.add(a integer, b integer) | function | integer |" in markdown
    assert "### Triggers" in markdown and "| items_touch | BEFORE | INSERT, UPDATE | row | app.touch |" in markdown

    # a recrawl after DROP removes them, with change events; a changed body is a change
    pg_execute(
        pg_target,
        """
        DROP TRIGGER items_touch ON app.items;
        DROP FUNCTION app.add(numeric, numeric);
        DROP SEQUENCE app.ticket;
        CREATE OR REPLACE PROCEDURE app.archive(days integer) LANGUAGE plpgsql AS $$ BEGIN PERFORM days + 1; END $$;
        """,
    )
    assert crawl_now(alice, sid)["state"] == "succeeded"
    assert [s["name"] for s in get(alice, f"{base}/sequences")["sequences"]] == ["items_id_seq"]
    assert get(alice, f"{base}/triggers")["triggers"] == []
    assert get(alice, f"{base}/tables/app/items")["triggers"] == []
    assert names(get(alice, f"{base}/routines")["routines"], "name", "arguments") == [
        ("add", "a integer, b integer"),
        ("archive", "IN days integer"),
        ("touch", ""),
    ]
    changes = get(alice, f"{base}/changes")["changes"]
    events = {(c["event"], c["details"]["name"]): c for c in changes if c["event"].split("_")[0] in OBJECT_EVENTS}
    assert set(events) == {
        ("trigger_removed", "app.items_touch on app.items"),
        ("routine_removed", "app.add(a numeric, b numeric)"),
        ("sequence_removed", "app.ticket"),
        ("routine_changed", "app.archive(IN days integer)"),
    }
    assert events[("routine_removed", "app.add(a numeric, b numeric)")]["hazard"] == "breaking"
    removed_trigger = events[("trigger_removed", "app.items_touch on app.items")]
    assert (removed_trigger["schema"], removed_trigger["table"], removed_trigger["hazard"]) == ("app", "items", "risky")
    changed = events[("routine_changed", "app.archive(IN days integer)")]
    assert changed["details"]["changes"] == {"body": {"changed": True}} and changed["hazard"] == "risky"
    html = browser.get(f"/sources/{sid}/changes").get_data(as_text=True)
    assert "trigger removed" in html and "trigger <code>app.items_touch on app.items</code>" in html
    assert "procedure <code>app.archive(IN days integer)</code>: body changed" in html


def test_a_partitioned_tables_trigger_is_listed_once(alice, worker):
    """PostgreSQL 13+ clones a partitioned table's trigger onto each partition
    (not internal, tgparentid set): the catalog lists it once, on the table
    it was created on, as schema pages list the partitioned table once."""
    with pg_database("mc_parttrig") as target:
        pg_execute(
            target,
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;"
            "CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);"
            "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"
            "CREATE TRIGGER events_touch BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION touch();"
            "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');"
            "CREATE TRIGGER own_touch BEFORE INSERT ON events_2026 FOR EACH ROW EXECUTE FUNCTION touch();",
        )
        source = pg_source(alice, target)
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
        base = f"/api/v1/sources/{source['id']}"
        triggers = get(alice, f"{base}/triggers")["triggers"]
        assert names(triggers, "table", "name") == [("events", "events_touch"), ("events_2026", "own_touch")]
        assert [t["name"] for t in get(alice, f"{base}/tables/public/events")["triggers"]] == ["events_touch"]
        assert get(alice, f"{base}/tables/public/events_2025")["triggers"] == []
        hits = get(alice, "/api/v1/search?q=events_touch&kind=trigger")["results"]
        exact = [(h["name"], h["table"]) for h in hits if h["match"] == "exact"]
        assert exact == [("events_touch", "events")]  # not once more per partition


def test_a_failed_crawl_keeps_them(alice, worker, pg_target):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    base = f"/api/v1/sources/{source['id']}"
    before = {what: get(alice, f"{base}/{what}?body=true")[what] for what in ("sequences", "triggers", "routines")}
    # every table gone: the crawl fails as no_tables_seen and the catalog stays as it was
    pg_execute(pg_target, "DROP SCHEMA app CASCADE")
    crawl = crawl_now(alice, source["id"])
    assert (crawl["state"], crawl["error"]["type"]) == ("failed", "no_tables_seen")
    assert {what: get(alice, f"{base}/{what}?body=true")[what] for what in before} == before
    assert len(before["routines"]) == 4


def test_the_first_crawl_after_the_upgrade_is_a_baseline(alice, worker, pg_target, catalog_url):
    source = pg_source(alice, pg_target)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    # as a catalog from before sequences, triggers and routines were crawled
    catalog_rows(catalog_url, "DELETE FROM catalog_objects WHERE source_id = %s RETURNING 1", (sid,))
    catalog_rows(catalog_url, "UPDATE crawl_jobs SET objects = NULL WHERE source_id = %s RETURNING 1", (sid,))
    assert crawl_now(alice, sid)["state"] == "succeeded"
    assert len(get(alice, f"/api/v1/sources/{sid}/routines")["routines"]) == 4
    changes = get(alice, f"/api/v1/sources/{sid}/changes")["changes"]
    assert [c["event"] for c in changes] == ["source_crawled"]  # no event per routine, trigger or sequence found


# --- MariaDB ---


@pytest.fixture
def maria_db():
    with mysql_databases(1, "mc_routines") as (db,):
        mysql_execute(
            """
            CREATE TABLE items (id int PRIMARY KEY, name varchar(50), touched int);
            CREATE SEQUENCE ticket START WITH 100 INCREMENT BY 5 CYCLE;
            CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW SET NEW.touched = 1;
            CREATE FUNCTION add_two(a int, b int) RETURNS int DETERMINISTIC COMMENT 'Adds' RETURN a + b;
            CREATE PROCEDURE archive(IN days int, OUT moved int) SET moved = days;
            """,
            db,
        )
        extra = "GRANT SELECT ON mysql.proc TO '{reader}'@'{h}';"
        with mariadb_reader(db, "SELECT, REFERENCES, SHOW VIEW, TRIGGER, EXECUTE", extra) as reader:
            yield db, reader


def test_mariadb_sequences_triggers_routines(alice, worker, maria_db):
    db, reader = maria_db
    source = mariadb_source(alice, db, reader)
    assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    sid = source["id"]
    base = f"/api/v1/sources/{sid}"

    [ticket] = get(alice, f"{base}/sequences")["sequences"]
    assert (ticket["schema"], ticket["name"], ticket["start"], ticket["increment"], ticket["cycle"]) == (
        db, "ticket", 100, 5, True
    )  # fmt: skip
    assert ticket["owned_by"] is None

    [trigger] = get(alice, f"{base}/triggers?table={db}.items")["triggers"]
    assert names([trigger], "table", "name", "timing", "events", "level", "function", "definition") == [
        ("items", "items_touch", "BEFORE", ["UPDATE"], "row", None, "SET NEW.touched = 1")
    ]
    assert [t["name"] for t in get(alice, f"{base}/tables/{db}/items")["triggers"]] == ["items_touch"]

    routines = get(alice, f"{base}/routines")["routines"]
    assert names(routines, "name", "kind", "arguments", "return_type", "volatility", "comment") == [
        ("add_two", "function", "a int(11), b int(11)", "int(11)", "deterministic", "Adds"),
        ("archive", "procedure", "IN days int(11), OUT moved int(11)", None, "not deterministic", None),
    ]
    assert all("body" not in r for r in routines)
    bodies = [r["body"] for r in get(alice, f"{base}/routines?body=true")["routines"]]
    assert bodies == ["RETURN a + b", "SET moved = days"]

    markdown = alice.get(f"{base}/schema/export?format=markdown").get_data(as_text=True)
    assert "## Routines" in markdown and "| items_touch | BEFORE | UPDATE | row |  |" in markdown

    mysql_execute("DROP TRIGGER items_touch; DROP FUNCTION add_two; DROP SEQUENCE ticket;", db)
    assert crawl_now(alice, sid)["state"] == "succeeded"
    assert get(alice, f"{base}/sequences")["sequences"] == []
    assert get(alice, f"{base}/triggers")["triggers"] == []
    assert names(get(alice, f"{base}/routines")["routines"], "name") == [("archive",)]
    changes = get(alice, f"{base}/changes")["changes"]
    assert sorted(c["event"] for c in changes if c["event"].split("_")[0] in OBJECT_EVENTS) == [
        "routine_removed",
        "sequence_removed",
        "trigger_removed",
    ]


# --- the pure parts ---


def test_trigger_events_from_tgtype():
    from engines.postgres import trigger_events

    assert trigger_events(1 | 2 | 4 | 16) == ("BEFORE", ["INSERT", "UPDATE"], "row")
    assert trigger_events(8 | 32) == ("AFTER", ["DELETE", "TRUNCATE"], "statement")
    assert trigger_events(1 | 64 | 4) == ("INSTEAD OF", ["INSERT"], "row")


def test_mysql_routine_arguments():
    from engines.mysql import routine_arguments

    rows = [
        ("d", "p", "PROCEDURE", 2, "OUT", "b", "int(11)"),
        ("d", "p", "PROCEDURE", 1, "IN", "a", "varchar(5)"),
        ("d", "f", "FUNCTION", 1, None, "x", "int(11)"),
    ]
    assert routine_arguments(rows) == {
        ("d", "p", "procedure"): "IN a varchar(5), OUT b int(11)",
        ("d", "f", "function"): "x int(11)",
    }


def test_object_changes_labels():
    from catalog.apply_objects import object_changes

    def routine(args: str, **details) -> dict:
        return {"kind": "function", "schema": "s", "table": "", "name": "f", "arguments": args,
                "details": {"return_type": "int", "comment": None, **details}, "body": "x"}  # fmt: skip

    assert object_changes([routine("a int")], [routine("a int")]) == []
    [(_, event, details, hazard, reasons)] = object_changes([routine("a int")], [routine("a int", comment="c")])
    assert (event, hazard, details["changes"]) == ("routine_changed", "safe", {"comment": {"from": None, "to": "c"}})
    [(_, event, _, hazard, _)] = object_changes([routine("a int")], [routine("a int", return_type="text")])
    assert (event, hazard) == ("routine_changed", "breaking")
    events = object_changes([routine("a int")], [routine("a text")])
    assert [(e[1], e[3]) for e in events] == [("routine_removed", "breaking"), ("routine_added", "safe")]
