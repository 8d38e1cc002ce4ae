"""Alembic owns the schema: every migration goes down and up again on a real
catalog that holds data, and the schema it builds is the same both ways."""

from __future__ import annotations

import json

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from .conftest import PG_BASE, ROOT
from .targets import create_pg_database, drop_pg_database, random_name

SCHEMA = """
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY 1, 2"""


def _config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["catalog_url"] = url
    cfg.attributes["configure_logging"] = False
    return cfg


def test_each_migration_goes_down_and_up_with_data():
    name = random_name("mc_migrate")
    create_pg_database(name)
    url = f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    engine = create_engine(url, poolclass=NullPool)
    try:
        cfg = _config(url)
        command.upgrade(cfg, "0001")
        with engine.begin() as conn:
            conn.execute(
                text("""
                INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x');
                INSERT INTO sources (id, user_id, name, engine, host, port, database, username, password_encrypted)
                VALUES (1, 1, 's', 'postgresql', 'h', 5432, 'd', 'u', 'x');
                INSERT INTO crawl_jobs (id, source_id, state) VALUES (1, 1, 'succeeded');
                INSERT INTO catalog_tables (id, source_id, schema_name, name, kind, fingerprint, definition,
                    first_seen_at, crawled_at, changed_at, first_seen_crawl_id, changed_crawl_id, last_seen_crawl_id)
                VALUES (1, 1, 'public', 'customers', 'table', 'f', '{}', now(), now(), now(), 1, 1, 1);
                INSERT INTO catalog_columns (table_id, source_id, ordinal, name, type)
                VALUES (1, 1, 1, 'Customer_Email', 'text');""")
            )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            head = conn.execute(text(SCHEMA)).all()
            assert conn.execute(text("SELECT source_id, name FROM catalog_column_names")).all() == [
                (1, "customer_email")
            ]
        command.downgrade(cfg, "0001")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM catalog_columns")).scalar() == 1
            assert conn.execute(text("SELECT last_seen_crawl_id FROM catalog_tables")).scalar() == 1
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            assert conn.execute(text(SCHEMA)).all() == head
    finally:
        engine.dispose()
        drop_pg_database(name)


def test_0005_moves_sources_into_engine_settings_and_back():
    """Sources registered before 0005 keep every setting and their password
    (still decryptable: the Fernet token moves as it is); a downgrade restores
    the columns, and refuses while a source needs the settings column."""
    import pytest

    from catalog.settings import DEV_FERNET_KEY
    from catalog.vault import Vault

    vault = Vault((DEV_FERNET_KEY,))
    name = random_name("mc_migrate")
    create_pg_database(name)
    url = f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    engine = create_engine(url, poolclass=NullPool)
    try:
        cfg = _config(url)
        command.upgrade(cfg, "0003")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x')"))
            for sid, eng, port, options, password in (
                (1, "postgresql", 5432, '{"sslmode": "require", "include_schemas": ["public"]}', "pg-Pa55"),
                (2, "mariadb", 3306, "{}", "p"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO sources (id, user_id, name, engine, host, port, database, username, "
                        "password_encrypted, options) VALUES (:id, 1, :n, :e, 'db.example', :port, 'shop', 'reader', "
                        ":pw, CAST(:o AS jsonb))"
                    ),
                    {"id": sid, "n": f"s{sid}", "e": eng, "port": port, "pw": vault.encrypt(password), "o": options},
                )
        before = _sources(engine)
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, engine, settings, secrets FROM sources ORDER BY id")).all()
        assert rows[0].settings == {
            "host": "db.example",
            "port": 5432,
            "database": "shop",
            "username": "reader",
            "options": {"sslmode": "require", "include_schemas": ["public"]},
        }
        assert rows[1].settings["port"] == 3306 and rows[1].settings["options"] == {}
        assert [vault.decrypt(r.secrets["password"].encode()) for r in rows] == ["pg-Pa55", "p"]

        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sources (id, team_id, user_id, name, engine, settings) "
                    "VALUES (3, (SELECT team_id FROM team_members WHERE user_id = 1), 1, 'file', 'sqlite', "
                    '\'{"path": "/data/x.db"}\')'
                )
            )
        with pytest.raises(RuntimeError, match="1 source"):
            command.downgrade(cfg, "0003")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM sources WHERE id = 3"))
        command.downgrade(cfg, "0003")
        assert _sources(engine) == before
    finally:
        engine.dispose()
        drop_pg_database(name)


def _sources(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT id, engine, host, port, database, username, convert_from(password_encrypted, 'UTF8'), "
                    "options FROM sources ORDER BY id"
                )
            )
        ]


def test_0007_backfills_foreign_key_edges_from_live_definitions():
    """Catalogs crawled before 0007 get their tables' foreign keys as edges
    at once (referenced_by answers before the next crawl); removed tables have none."""
    name = random_name("mc_migrate")
    create_pg_database(name)
    url = f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    engine = create_engine(url, poolclass=NullPool)
    fk = (
        '{"foreign_keys": [{"name": "o_c", "columns": ["c"], "referenced_schema": "s", "referenced_table": "c", '
        '"referenced_columns": ["id"], "on_update": "NO ACTION", "on_delete": "CASCADE"}]}'
    )
    try:
        cfg = _config(url)
        command.upgrade(cfg, "0006")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x')"))
            conn.execute(
                text("INSERT INTO sources (id, user_id, name, engine, settings) VALUES (1, 1, 's', 'postgresql', '{}')")
            )
            for tid, tname, removed in ((1, "o", None), (2, "gone", "now()")):
                conn.execute(
                    text(
                        "INSERT INTO catalog_tables (id, source_id, schema_name, name, kind, fingerprint, definition, "
                        "first_seen_at, crawled_at, changed_at, first_seen_crawl_id, changed_crawl_id, removed_at) "
                        "VALUES (:id, 1, 's', :n, 'table', 'f', CAST(:d AS jsonb), now(), now(), now(), 1, 1, "
                        f"{removed or 'NULL'})"
                    ),
                    {"id": tid, "n": tname, "d": fk},
                )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT table_id, ordinal, source_id, name, referenced_table, on_delete FROM catalog_foreign_keys")
            ).all()
        assert rows == [(1, 1, 1, "o_c", "c", "CASCADE")]
        command.downgrade(cfg, "0006")
    finally:
        engine.dispose()
        drop_pg_database(name)


def test_0013_history_starts_at_each_sources_last_successful_crawl():
    """The catalog holds what each source's last successful crawl left: its
    schema from then on can be rebuilt, earlier ones not; a source never
    crawled successfully starts with its first crawl."""
    name = random_name("mc_migrate")
    create_pg_database(name)
    url = f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    engine = create_engine(url, poolclass=NullPool)
    try:
        cfg = _config(url)
        command.upgrade(cfg, "0009")
        with engine.begin() as conn:
            conn.execute(
                text("""
                INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x');
                INSERT INTO sources (id, user_id, name, engine) VALUES (1, 1, 'crawled', 'postgresql'),
                    (2, 1, 'never', 'postgresql');
                INSERT INTO crawl_jobs (id, source_id, state) VALUES (1, 1, 'succeeded'), (2, 1, 'succeeded'),
                    (3, 1, 'failed'), (4, 2, 'failed');""")
            )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, history_from_crawl_id FROM sources ORDER BY id")).all()
        assert rows == [(1, 2), (2, None)]
        command.downgrade(cfg, "0009")
    finally:
        engine.dispose()
        drop_pg_database(name)


def test_0016_removes_passwords_from_stored_urls():
    """URLs registered before the rule with a password in them keep
    everything but the password; other sources are untouched."""
    name = random_name("mc_migrate")
    create_pg_database(name)
    url = f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    engine = create_engine(url, poolclass=NullPool)
    stored = {
        1: ("sqlalchemy", {"url": "postgresql+psycopg2://u@db.example/x?password=in-clear&sslmode=require"}),
        2: ("sqlalchemy", {"url": "mysql+pymysql://u:in-clear@db.example:3307/x"}),
        3: ("sqlalchemy", {"url": "duckdb:////data/x.duckdb", "options": {}}),
        4: ("postgresql", {"host": "db.example", "port": 5432, "database": "x", "username": "u"}),
    }
    try:
        cfg = _config(url)
        command.upgrade(cfg, "0015")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x')"))
            for sid, (eng, settings) in stored.items():
                conn.execute(
                    text(
                        "INSERT INTO sources (id, user_id, name, engine, settings) "
                        "VALUES (:id, 1, :n, :e, CAST(:s AS jsonb))"
                    ),
                    {"id": sid, "n": f"s{sid}", "e": eng, "s": json.dumps(settings)},
                )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, settings FROM sources ORDER BY id")).all())
        assert rows[1] == {"url": "postgresql+psycopg2://u@db.example/x?sslmode=require"}
        assert rows[2] == {"url": "mysql+pymysql://u@db.example:3307/x"}
        assert rows[3] == stored[3][1] and rows[4] == stored[4][1]
        assert "in-clear" not in json.dumps(rows)
    finally:
        engine.dispose()
        drop_pg_database(name)


def test_0017_puts_each_source_in_its_registrants_personal_team():
    """Every user gets a personal team named by their email, as its admin,
    and each source moves into its registrant's: what each user reached
    before, they reach after, and nobody else's."""
    name = random_name("mc_migrate")
    create_pg_database(name)
    url = f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    engine = create_engine(url, poolclass=NullPool)
    try:
        cfg = _config(url)
        command.upgrade(cfg, "0016")
        with engine.begin() as conn:
            conn.execute(
                text("""
                INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x'),
                    (2, 'B@example.com', 'x'), (3, 'c@example.com', 'x');
                INSERT INTO sources (id, user_id, name, engine, settings) VALUES
                    (1, 1, 'shop', 'sqlite', '{"path": "/a"}'), (2, 1, 'hr', 'sqlite', '{"path": "/b"}'),
                    (3, 2, 'shop', 'sqlite', '{"path": "/c"}');""")
            )
        command.upgrade(cfg, "head")
        reach = """SELECT u.email, t.name, t.personal, m.role, array_agg(s.id ORDER BY s.id) FILTER (WHERE s.id > 0)
                   FROM users u JOIN team_members m ON m.user_id = u.id JOIN teams t ON t.id = m.team_id
                   LEFT JOIN sources s ON s.team_id = t.id GROUP BY 1, 2, 3, 4 ORDER BY 1"""
        with engine.connect() as conn:
            assert conn.execute(text(reach)).all() == [
                ("B@example.com", "B@example.com", True, "admin", [3]),
                ("a@example.com", "a@example.com", True, "admin", [1, 2]),
                ("c@example.com", "c@example.com", True, "admin", None),
            ]
        command.downgrade(cfg, "0016")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id, user_id, name FROM sources ORDER BY id")).all() == [
                (1, 1, "shop"),
                (2, 1, "hr"),
                (3, 2, "shop"),
            ]
    finally:
        engine.dispose()
        drop_pg_database(name)
