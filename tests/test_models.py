"""The catalog is declared once (catalog/models.py) and the migrations build
exactly that: Alembic's autogenerate comparison finds nothing to do, and a
database built from the declarations has the same columns, defaults,
constraints, indexes, sequences and persistence as one built by migrating."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from catalog.models import EXTENSIONS, Base

from .conftest import PG_BASE, migrate
from .targets import create_pg_database, drop_pg_database, random_name

# What PostgreSQL itself says the schema is, normalised by its own printers.
SHAPE = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
          AND c.relname <> 'alembic_version'""",
    "constraints": """
        SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname <> 'alembic_version'""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> 'alembic_version'""",
    "tables": """
        SELECT c.relname, c.relkind, c.relpersistence FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S') AND c.relname <> 'alembic_version'""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, increment_by FROM pg_sequences
        WHERE schemaname = 'public'""",
}


def _shape(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return {k: sorted(tuple(r) for r in conn.execute(text(sql))) for k, sql in SHAPE.items()}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def migrated_url():
    """A fresh catalog database, built by `alembic upgrade head` only."""
    name = random_name("mc_models_migrated")
    create_pg_database(name)
    url = f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    try:
        migrate(url)
        yield url
    finally:
        drop_pg_database(name)


def test_autogenerate_finds_no_difference(migrated_url):
    engine = create_engine(migrated_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_object": lambda obj, name, kind, reflected, compare_to: name != "alembic_version",
                },
            )
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_declarations_build_what_the_migrations_build(migrated_url):
    """What autogenerate does not compare (index expressions and operator
    classes, partial index predicates, unlogged tables, sequences, check
    constraints), compared by building the declarations into a second database."""
    name = random_name("mc_models_declared")
    create_pg_database(name)
    url = f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    try:
        engine = create_engine(url, poolclass=NullPool)
        with engine.begin() as conn:
            for ext in EXTENSIONS:
                conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {ext}"))
            Base.metadata.create_all(conn)
        engine.dispose()
        declared, migrated = _shape(url), _shape(migrated_url)
        for part in SHAPE:
            assert declared[part] == migrated[part], part
    finally:
        drop_pg_database(name)


def test_every_catalog_table_is_declared(migrated_url):
    tables = {r[0] for r in _shape(migrated_url)["tables"] if r[1] == "r"}
    assert tables == set(Base.metadata.tables)
