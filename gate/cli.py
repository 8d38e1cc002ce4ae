"""`metacrawl snapshot` and `metacrawl diff`: plain click commands, which
create no app and read no server configuration. Exit codes: 0 nothing at
or above --fail-on, 1 found, 2 a usage or connection error (a message on
stderr)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from catalog.document_diff import compare_documents
from engines.base import TargetError, scrub

from . import report
from .rules import FAIL_ON, fails
from .server import ServerProblem, fetch_export
from .targets import Target, UrlProblem, is_database_url, parse_target, snapshot

SERVER_PREFIXES = ("source:", "server:")


class GateError(click.ClickException):
    """A usage or connection error: exit code 2, the message on stderr."""

    exit_code = 2


def _read(target: Target) -> dict:
    try:
        return snapshot(target)
    except TargetError as e:
        secrets = [v for v in target.secrets.values() if v]
        raise GateError(f"{target.label}: {scrub(e.message, secrets)}") from None


def _target(url: str) -> Target:
    try:
        return parse_target(url)
    except UrlProblem as e:
        raise GateError(str(e)) from None


def load_side(spec: str, server: str | None, token: str | None) -> tuple[dict, str]:
    """(document, what it is) of OLD or NEW: `source:ID` on --server, a
    database URL (read now), or a snapshot file."""
    if spec.startswith(SERVER_PREFIXES):
        raw = spec.split(":", 1)[1]
        if not raw.isdigit():
            raise GateError(f"{spec}: a server source is source:ID, ID a number")
        if not server or not token:
            raise GateError(f"{spec} needs --server URL and --token (or METACRAWL_URL and METACRAWL_TOKEN)")
        try:
            return fetch_export(server, token, int(raw)), f"source {raw} on {server}"
        except ServerProblem as e:
            raise GateError(str(e)) from None
    if is_database_url(spec):
        target = _target(spec)
        return _read(target), target.label
    path = Path(spec)
    try:
        doc = json.loads(path.read_text())
    except OSError as e:
        raise GateError(f"{spec}: cannot read the snapshot file ({e.strerror or e})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise GateError(f"{spec}: not a JSON snapshot (metacrawl snapshot, or the export's format=json)") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), list):
        raise GateError(f"{spec}: not a schema document (no tables list)")
    return doc, spec


def _write(text: str, output: str | None) -> None:
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text)
    except OSError as e:
        raise GateError(f"{output}: cannot write ({e.strerror or e})") from None


@click.command("snapshot")
@click.argument("url")
@click.option("-o", "--output", help="Write the JSON document here (default: standard output).")
def snapshot_command(url: str, output: str | None) -> None:
    """Read the database at URL into the export's JSON document.

    URL: postgresql://user:password@host:port/database, mysql://... or
    mariadb://... (same form), sqlite:///path/to/file.db. Without a password
    in the URL, PGPASSWORD or MYSQL_PWD is used. The session is read-only,
    with the crawl's timeouts."""
    doc = _read(_target(url))
    _write(json.dumps(doc, indent=1, sort_keys=False) + "\n", output)


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--server", envvar="METACRAWL_URL", help="The metacrawl server of source:ID sides (METACRAWL_URL).")
@click.option("--token", envvar="METACRAWL_TOKEN", help="Its access token (METACRAWL_TOKEN).")
@click.option(
    "--fail-on",
    type=click.Choice(sorted(FAIL_ON)),
    default="breaking",
    show_default=True,
    help="Exit 1 when a change of this severity or worse is found (any: any change).",
)
@click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text", show_default=True)
@click.option("-o", "--output", help="Write the report here (default: standard output).")
@click.option("--artifact", help="SARIF: the file results point at (your migrations or schema file).")
def diff_command(old, new, server, token, fail_on, fmt, output, artifact) -> None:
    """Compare two schemas and print the changes with their hazards.

    OLD and NEW are each a snapshot file, a database URL, or source:ID on a
    metacrawl server (--server, --token). Exit 0: nothing at or above
    --fail-on; 1: found; 2: a usage or connection error."""
    old_doc, old_name = load_side(old, server, token)
    new_doc, new_name = load_side(new, server, token)
    found = report.hazards(compare_documents(old_doc, new_doc))
    _write(report.write(found, fmt, old_name, new_name, artifact), output)
    if any(fails(h.rule.severity, fail_on) for h in found):
        if output not in (None, "-"):
            click.echo(f"{len(found)} change(s); failing on {fail_on}: see {output}", err=True)
        sys.exit(1)


@click.group()
def main() -> None:
    """The schema gate alone (the same commands as `metacrawl snapshot|diff`)."""


main.add_command(snapshot_command)
main.add_command(diff_command)

if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
