"""`metacrawl seed-demo`: a demo target database, a demo user, and a source
registered through the API itself (so its first crawl is queued)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import click
import psycopg2
from flask import current_app
from flask.cli import with_appcontext

DEMO_EMAIL = "demo@metacrawl.local"
DEMO_PASSWORD = "metacrawl-demo"  # noqa: S105 the documented demo account


def ensure_demo_target(url: str) -> None:
    u = urlparse(url)
    name = u.path.lstrip("/")
    admin = psycopg2.connect(
        host=u.hostname, port=u.port or 5432, user=u.username, password=u.password, dbname="postgres"
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    target = psycopg2.connect(host=u.hostname, port=u.port or 5432, user=u.username, password=u.password, dbname=name)
    try:
        with target, target.cursor() as cur:
            cur.execute((Path(__file__).parent / "demo_target.sql").read_text())
    finally:
        target.close()


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create the demo target, the demo user and its demo source."""
    url = os.environ.get("METACRAWL_DEMO_TARGET_URL", "postgresql://postgres@127.0.0.1:5432/metacrawl_demo")
    ensure_demo_target(url)
    client = current_app.test_client()
    client.post("/api/v1/auth/register", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    login = client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    if login.status_code != 200:
        raise click.ClickException("could not log in as the demo user: " + login.get_json()["message"])
    u = urlparse(url)
    r = client.post(
        "/api/v1/sources",
        headers={"Authorization": f"Bearer {login.get_json()['access_token']}"},
        json={
            "name": "demo shop",
            "engine": "postgresql",
            "host": u.hostname,
            "port": u.port or 5432,
            "database": u.path.lstrip("/"),
            "username": u.username,
            "password": u.password or "demo",
        },
    )
    if r.status_code == 201:
        click.echo(f"demo source registered; first crawl: {r.get_json()['crawl']['url']}")
    elif r.status_code == 409:
        click.echo("demo source already registered")
    else:
        raise click.ClickException(f"could not register the demo source: {r.get_json()}")
    site = current_app.config["METACRAWL"].public_url.rstrip("/")
    click.echo(f"log in as {DEMO_EMAIL} / {DEMO_PASSWORD} at {site}/ (API docs: {site}/docs)")
