"""The typed errors every public method of an introspector raises, and the
scrubbing that keeps secrets out of their messages."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .records import ConnectionParams


class TargetError(Exception):
    """A failure talking to a target, worded for the user who owns it.

    `type` is a stable machine-readable name; str(self) is the message. Neither
    may ever contain the password.
    """

    type = "target_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TargetUnreachable(TargetError):
    type = "connection_failed"


class TargetAuthFailed(TargetError):
    type = "authentication_failed"


class TargetDatabaseMissing(TargetError):
    type = "database_not_found"


class TargetDatabaseNotVisible(TargetError):
    """The database exists or not, but the crawl user cannot see it: a crawl
    of it would see no tables and look like one of an empty database."""

    type = "database_not_visible"


class TargetTimeout(TargetError):
    type = "statement_timeout"


class TargetStalled(TargetError):
    """The server stopped answering: no reply within the client-side bound
    (a server that accepts the login, then never answers a query)."""

    type = "target_stalled"


class TargetAddressRefused(TargetError):
    type = "address_not_allowed"


class TargetSettingsRefused(TargetError):
    """The source's settings are not acceptable on this server (a file outside
    the allowed directories, a URL holding a password...). `field` names the
    setting, so the API can answer 422 on that field."""

    type = "settings_refused"

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


_DSN_SECRET = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def scrub(message: str, secrets: str | Iterable[str] | None) -> str:
    """Remove secrets from a message: `password=...` in a DSN, and each
    secret wherever it stands as a whole token or quoted value (not glued to
    letters, digits or _ on either side). A one-letter password `p` leaves
    "does not speak" alone but still hides `'p'`, `:p@` and ` p `."""
    message = _DSN_SECRET.sub("password=***", message)
    if isinstance(secrets, str):
        secrets = [secrets]
    for secret in sorted(set(secrets or ()), key=len, reverse=True):
        if secret:
            message = re.sub(r"(?<!\w)" + re.escape(secret) + r"(?!\w)", "***", message)
    return message


def scrubbed(err: TargetError, params: ConnectionParams) -> TargetError:
    """The same typed error with every secret of `params` scrubbed from it."""
    clean = scrub(err.message, params.secret_values())
    if clean == err.message:
        return err
    if isinstance(err, TargetSettingsRefused):
        return TargetSettingsRefused(err.field, clean)
    return type(err)(clean)


def local_file_refused(where: str) -> TargetError:
    """A server asked this client for a local file (LOAD DATA LOCAL INFILE),
    which no query of a crawl calls for: a hostile or broken server. PyMySQL,
    with local_infile off, refuses with a RuntimeError mid-protocol."""
    return TargetError(
        f"the server at {where} asked for a file of the metacrawl server (LOAD DATA LOCAL INFILE); "
        "metacrawl never sends files and stopped reading this target"
    )
