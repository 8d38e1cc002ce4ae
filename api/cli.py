"""`metacrawl` command line: the Flask CLI of the app plus our own commands."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup

from catalog.accounts import EmailTaken, create_user
from catalog.db import Session, transaction
from catalog.escape import visible
from catalog.models import Source
from catalog.passwords import WeakPassword, check_password
from catalog.sources import all_sources_locked, sources_by_name
from catalog.vault import Vault, rotate_secrets
from catalog.webhooks import subscriptions

from . import create_app


@click.group(cls=FlaskGroup, create_app=lambda: create_app())
def main():
    """metacrawl administration."""


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Give the user the admin role.")
def create_user_command(email, password, admin):
    """Create a user account."""
    try:
        check_password(password, email)
    except WeakPassword as e:
        raise click.ClickException(f"the password {e}") from None
    with transaction() as session:
        try:
            user = create_user(session, email, password, is_admin=admin)
        except EmailTaken:
            raise click.ClickException(f"an account with email {email} already exists") from None
    click.echo(f"created {'admin ' if admin else ''}user {user.id} <{user.email}>")


@main.command("rotate-keys")
def rotate_keys_command():
    """Re-encrypt every stored secret under the first key of METACRAWL_FERNET_KEYS."""
    vault = Vault(current_app.config["METACRAWL"].fernet_keys)
    count = 0
    with transaction() as session:
        for source in all_sources_locked(session):
            source.secrets = rotate_secrets(vault, source.secrets)
            count += 1
        hooks = subscriptions.rotate_all(session, vault.rotate)
    click.echo(
        f"re-encrypted {count} source password(s) and other secrets, and {hooks} webhook secret(s), "
        "under the newest key"
    )


class SourceNotFound(click.ClickException):
    """A `SOURCE` argument that names no source (or several): exit code 2, as click's usage errors."""

    exit_code = 2


def find_source(session, wanted: str) -> Source:
    """The source whose id or name is `wanted`."""
    if wanted.isdigit() and (found := session.get(Source, int(wanted))) is not None:
        return found
    named = sources_by_name(session, wanted)
    if not named:
        raise SourceNotFound(
            f"no source has the id or name '{visible(wanted)}': `metacrawl docs` needs one that exists"
        )
    if len(named) > 1:
        ids = ", ".join(str(s.id) for s in named)
        raise SourceNotFound(f"{len(named)} sources are named '{visible(wanted)}' (ids {ids}): give the id")
    return named[0]


@main.command("docs")
@click.argument("source")
@click.option(
    "-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path), help="The site's folder."
)
def docs_command(source: str, output: Path):
    """Write the docs site of SOURCE (its id or name) into OUTPUT: static HTML
    of every table, with diagrams and search, that opens from disk."""
    from .ui.docs_site import measure, write_directory

    found = find_source(Session(), source)
    started = time.perf_counter()
    written = write_directory(found, output)
    seconds = time.perf_counter() - started
    files, size = measure(output)
    click.echo(
        f"wrote the docs site of {visible(found.name)} (source {found.id}): {written['tables']} table pages, "
        f"{files} files, {size:,} bytes in {seconds:.1f} s; open {output / 'index.html'}"
    )


from .demo import seed_demo_command  # noqa: E402

main.add_command(seed_demo_command)


def _add_user_commands() -> None:
    """The user's own commands (the schema gate: `snapshot`, `diff`), plain
    click commands registered under the `metacrawl.commands` entry points:
    FlaskGroup finds them without loading the app, so they run with no
    server configuration, and api/ does not import the package beside it."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="metacrawl.commands"):
        main.add_command(ep.load(), ep.name)


_add_user_commands()
