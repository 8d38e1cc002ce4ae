"""MariaDB facts through a crawl (issue #26): served by the API, shown on the
table page (hostile names escaped), the next AUTO_INCREMENT value moving
without a change event, and the first crawl after the upgrade telling no
change of what an older metacrawl read otherwise."""

from __future__ import annotations

import json

import pytest

from .conftest import wait_for_crawl
from .crawl_helpers import catalog_rows, crawl_now, mariadb_reader, mariadb_source
from .targets import mysql_databases, mysql_execute
from .ui_helpers import Browser

TARGET = """
CREATE TABLE parent (id int AUTO_INCREMENT PRIMARY KEY, name varchar(20) CHARACTER SET latin1,
    hidden int INVISIBLE, v int AS (id + 1) VIRTUAL) ENGINE=InnoDB AUTO_INCREMENT=7;
CREATE TABLE child (id int PRIMARY KEY, p int,
    CONSTRAINT fk_p FOREIGN KEY (p) REFERENCES parent (id) ON DELETE NO ACTION);
CREATE TABLE ranged (id int NOT NULL) PARTITION BY RANGE (id)
    (PARTITION `<i>p0</i>` VALUES LESS THAN (10), PARTITION pmax VALUES LESS THAN MAXVALUE);
CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW v AS SELECT id FROM parent;
CREATE FUNCTION f() RETURNS int READS SQL DATA RETURN 1;
"""


@pytest.fixture
def source(alice, worker):
    with mysql_databases(1, "mc_facts") as (db,):
        mysql_execute(TARGET, db)
        extra = "GRANT SELECT ON mysql.proc TO '{reader}'@'{h}';"
        with mariadb_reader(db, "SELECT, SHOW VIEW, TRIGGER", extra) as reader:
            created = mariadb_source(alice, db, reader)
            assert wait_for_crawl(alice, created["crawl"]["url"])["state"] == "succeeded"
            yield db, created["id"]


def _get(user, url: str) -> dict:
    r = user.get(url)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _events(user, sid) -> list[str]:
    return [c["event"] for c in _get(user, f"/api/v1/sources/{sid}/changes")["changes"]]


def test_facts_are_served_and_shown(alice, source):
    db, sid = source
    base = f"/api/v1/sources/{sid}/tables/{db}"
    parent = _get(alice, f"{base}/parent")
    assert (parent["kind"], parent["engine"], parent["collation"]) == ("table", "InnoDB", "utf8mb4_general_ci")
    cols = {c["name"]: c for c in parent["columns"]}
    assert (cols["name"]["charset"], cols["name"]["collation"]) == ("latin1", "latin1_swedish_ci")
    assert cols["hidden"]["invisible"] is True and cols["v"]["generated_storage"] == "virtual"
    assert "charset" not in cols["id"] and "invisible" not in cols["id"]
    assert parent["activity"]["next_auto_increment"] == 7
    [fk] = _get(alice, f"{base}/child")["foreign_keys"]
    assert fk["definition"] == f"FOREIGN KEY (`p`) REFERENCES `{db}`.`parent` (`id`) ON DELETE NO ACTION"
    ranged = _get(alice, f"{base}/ranged")
    assert ranged["kind"] == "partitioned_table"
    assert ranged["partition"]["bounds"] == [
        {"name": "<i>p0</i>", "bounds": "VALUES LESS THAN (10)"},
        {"name": "pmax", "bounds": "VALUES LESS THAN MAXVALUE"},
    ]
    view = _get(alice, f"{base}/v")
    assert (view["view_options"]["algorithm"], view["view_options"]["security"]) == ("MERGE", "INVOKER")
    [f] = _get(alice, f"/api/v1/sources/{sid}/routines")["routines"]
    assert (f["data_access"], f["security"]) == ("READS SQL DATA", "DEFINER")

    browser = Browser(alice.client)
    assert browser.sign_in(alice.email, alice.password).status_code == 302
    html = browser.get(f"/sources/{sid}/table?schema={db}&name=parent").get_data(as_text=True)
    assert 'id="storage"' in html and "<dt>Engine</dt><dd>InnoDB</dd>" in html
    assert "<dt>Next AUTO_INCREMENT</dt><dd>7</dd>" in html
    assert "charset <code>latin1</code>" in html and '<div class="sub">invisible</div>' in html
    assert '<div class="sub">virtual</div>' in html
    html = browser.get(f"/sources/{sid}/table?schema={db}&name=ranged").get_data(as_text=True)
    assert "<code>&lt;i&gt;p0&lt;/i&gt;</code>" in html and "<i>p0</i>" not in html
    assert "<code>VALUES LESS THAN MAXVALUE</code>" in html
    html = browser.get(f"/sources/{sid}/table?schema={db}&name=v").get_data(as_text=True)
    assert "<dt>Algorithm</dt><dd>MERGE</dd>" in html and "<dt>SQL security</dt><dd>INVOKER</dd>" in html


def test_next_auto_increment_moves_without_a_change(alice, source):
    db, sid = source
    mysql_execute("INSERT INTO parent (name) VALUES ('a'), ('b')", db)
    assert crawl_now(alice, sid)["stats"]["changed"] == 0
    assert _get(alice, f"/api/v1/sources/{sid}/tables/{db}/parent")["activity"]["next_auto_increment"] == 9
    assert _events(alice, sid) == ["source_crawled"]


def _as_an_older_crawler_stored(definition: dict) -> dict:
    """What metacrawl stored before these facts were read."""
    old = {k: v for k, v in definition.items() if k not in ("engine", "collation", "view_options")}
    old["columns"] = [
        {k: v for k, v in c.items() if k not in ("charset", "collation", "generated_storage", "invisible")}
        for c in definition["columns"]
    ]
    for fk in old.get("foreign_keys") or []:
        fk["definition"] = fk["definition"].replace(" ON UPDATE NO ACTION", "").replace(" ON DELETE NO ACTION", "")
    if "partition" in old:
        old["partition"] = {k: v for k, v in old["partition"].items() if k != "bounds"}
    return old


def test_the_first_crawl_after_the_upgrade_tells_no_change(alice, source, catalog_url):
    db, sid = source
    for table_id, kind, definition in catalog_rows(
        catalog_url, "SELECT id, kind, definition FROM catalog_tables WHERE source_id = %s", (sid,)
    ):
        catalog_rows(
            catalog_url,
            "UPDATE catalog_tables SET kind = %s, definition = %s, fingerprint = 'older' WHERE id = %s RETURNING 1",
            ("table" if kind == "partitioned_table" else kind, json.dumps(_as_an_older_crawler_stored(definition)),
             table_id),
        )  # fmt: skip
    catalog_rows(
        catalog_url,
        "UPDATE catalog_objects SET details = details - 'data_access' - 'security' WHERE source_id = %s RETURNING 1",
        (sid,),
    )
    assert _get(alice, f"/api/v1/sources/{sid}/tables/{db}/ranged")["kind"] == "table"
    job = crawl_now(alice, sid)
    assert job["state"] == "succeeded" and job["stats"]["changed"] == 4  # all four rewritten, yet no event
    assert _events(alice, sid) == ["source_crawled"]
    ranged = _get(alice, f"/api/v1/sources/{sid}/tables/{db}/ranged")
    assert ranged["kind"] == "partitioned_table" and len(ranged["partition"]["bounds"]) == 2
    # a real change after it is told as ever
    mysql_execute("ALTER TABLE ranged ENGINE=MyISAM; ALTER ALGORITHM=TEMPTABLE VIEW v AS SELECT id FROM parent", db)
    crawl_now(alice, sid)
    changes = _get(alice, f"/api/v1/sources/{sid}/changes")["changes"]
    changed = {c["table"]: c["details"] for c in changes if c["event"] == "table_changed"}
    assert changed["ranged"]["engine"] == {"from": "InnoDB", "to": "MyISAM"}
    assert (changed["v"]["view_options"]["from"]["algorithm"], changed["v"]["view_options"]["to"]["algorithm"]) == (
        "MERGE",
        "TEMPTABLE",
    )
