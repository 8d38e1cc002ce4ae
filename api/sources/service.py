"""The steps of registering, changing and test-opening a source (deleting
one is catalog/sources.py `delete_source`), shared by the API's routes
(api/sources, api/connections) and the web UI's forms
(api/ui/views_sources.py), so each rule is written once.

Refusals are `SourceRefused` (an HTTP status, a message and the problems per
field): the API answers them as JSON errors, the UI shows them next to the
fields. Secrets are encrypted here and never leave in a message."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from catalog.db import Session, transaction
from catalog.jobs import create_job
from catalog.models import CrawlJob, Source
from catalog.schedules import next_run
from catalog.sources import cancel_active_crawls
from catalog.vault import Vault, encrypt_secrets
from engines import ENGINES
from engines.base import TargetError, TargetSettingsRefused
from engines.netpolicy import AddressRefused, check_registration, policy_for

from ..queue import enqueue_plan
from .schemas import load_engine_settings

DUPLICATE_NAME = "a source with this name already exists"
TEAM_HAS_NAME = "the team already has a source with this name"


class SourceRefused(Exception):
    """Input the source cannot take: `status` (422, 409), a message, and the
    messages per field (engine settings by their flat names: path, host...)."""

    def __init__(self, status: int, message: str, errors: Mapping[str, list[str]]):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = dict(errors)


def _config():
    return current_app.config["METACRAWL"]


def _vault() -> Vault:
    return Vault(_config().fernet_keys)


def engine_enabled(engine: str) -> bool:
    """An engine this server offers: one reading only database files
    (SQLite) is off while the operator names no directory it may read."""
    return engine in ENGINES and (not ENGINES[engine].files_only or bool(_config().sqlite_dirs))


def enabled_engines() -> list[str]:
    return [name for name in ENGINES if engine_enabled(name)]


ENGINE_OFF = (
    "this engine is off on this server: it reads database files, and the operator has named no "
    "directories (METACRAWL_SQLITE_DIRS)"
)


def settings_problems(engine: str, settings: dict) -> dict[str, list[str]]:
    """This server's rules for an engine's (schema-valid) settings: allowed
    directories, a URL without a password..., and the network policy for a
    literal address; each problem under the field it concerns. A host that
    passes is kept as the policy normalises it (`[::1]` → `::1`), the form the
    crawl connects to. The worker checks again when it opens the target."""
    s = _config()
    cls = ENGINES[engine]
    try:
        cls.check_settings(settings, s.sqlite_dirs)
    except TargetSettingsRefused as e:
        return {e.field: [e.message]}
    except TargetError as e:  # defensive: every refusal names a field
        return {"engine": [e.message]}
    address = cls.address(settings)
    if address is not None:
        # the same check the crawl makes before it resolves the name (no DNS here)
        try:
            normalised = check_registration(address.host, address.port, address.database, policy_for(s))
        except AddressRefused as e:
            field = "host" if "host" in cls.settings_schema._declared_fields else "url"
            return {field: [str(e)]}
        if settings.get("host"):
            settings["host"] = normalised
    return {}


def check_settings(engine: str, settings: dict) -> None:
    """settings_problems as a SourceRefused (422)."""
    problems = settings_problems(engine, settings)
    if problems:
        raise SourceRefused(422, next(iter(problems.values()))[0], problems)


def engine_settings(
    engine: str, sent: Mapping, source: Source | None = None, merge: bool = True, check: bool = True
) -> tuple[dict, dict]:
    """Validate an engine's settings as sent: (settings, secrets in clear).

    For a stored `source` of the same engine, secret fields it has stored need
    not be sent again, and with `merge` the stored settings lie under the sent
    ones (the API's PATCH; a form sends all of them: merge=False). Raises
    SourceRefused for the engine schema's errors and (with `check`) this
    server's rules; a connection test leaves those to the open it tries."""
    if engine in ENGINES and not engine_enabled(engine):
        raise SourceRefused(422, ENGINE_OFF, {"engine": [ENGINE_OFF]})
    same = source is not None and source.engine == engine
    merged = {**(source.settings or {}), **sent} if same and merge and source else dict(sent)
    kept = tuple((source.secrets or {}) if same and source else ())
    try:
        settings, secrets = load_engine_settings(engine, merged, stored_secrets=kept)
    except ValidationError as e:
        errors = e.messages if isinstance(e.messages, dict) else {"engine": e.messages}
        raise SourceRefused(422, "invalid settings for this engine", errors) from None
    if check:
        check_settings(engine, settings)
    return settings, secrets


def create_source(
    user_id: int, team_id: int, *, name: str, engine: str, settings: dict, secrets: dict, schedule: str | None
) -> tuple[Source, CrawlJob]:
    """Store a new source (secrets encrypted) and queue its first crawl.
    `settings` and `secrets` come validated (engine_settings, or the API's
    SourceSchema); they are checked against this server's rules here."""
    check_settings(engine, settings)
    with transaction() as session:
        source = Source(
            team_id=team_id,
            user_id=user_id,
            name=name,
            engine=engine,
            settings=settings,
            secrets=encrypt_secrets(_vault(), secrets),
            schedule=schedule,
            next_crawl_at=next_run(schedule),
        )
        session.add(source)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise SourceRefused(409, TEAM_HAS_NAME, {"name": [DUPLICATE_NAME]}) from None
        job, _ = create_job(session, source.id, "register")
    enqueue_plan(job.id)
    return source, job


def update_source(
    source: Source, changes: Mapping, settings: dict | None = None, secrets: dict | None = None
) -> Source:
    """Change a stored source: common fields in `changes` (name, engine,
    schedule; team_id, the caller having checked the role in the new team);
    new engine `settings` (validated by engine_settings) replace the stored
    ones, and the secrets sent replace their stored values, the others
    staying (all go when the engine changes)."""
    engine = changes.get("engine", source.engine)
    if settings is not None:
        # A crawl reads the settings it started with: one under way is cancelled.
        cancel_active_crawls(Session(), source.id)
        same = engine == source.engine
        source.settings = settings
        fresh = encrypt_secrets(_vault(), secrets or {})
        source.secrets = {**((source.secrets or {}) if same else {}), **fresh}
    if "schedule" in changes:
        source.next_crawl_at = next_run(changes["schedule"])
    for key in ("name", "engine", "schedule", "team_id"):
        if key in changes:
            setattr(source, key, changes[key])
    try:
        Session.commit()
    except IntegrityError:
        Session.rollback()
        raise SourceRefused(409, TEAM_HAS_NAME, {"name": [DUPLICATE_NAME]}) from None
    return source


def transient_source(engine: str, settings: dict, secrets: dict, stored: Source | None = None) -> Source:
    """A Source never added to the session, to open as a crawl would (test
    connection): these settings, the secrets sent encrypted as the vault
    does, and a stored source's secrets (same engine) where none was sent."""
    kept = dict(stored.secrets or {}) if stored is not None and stored.engine == engine else {}
    source = Source(engine=engine, settings=dict(settings))
    source.secrets = {**kept, **encrypt_secrets(_vault(), secrets)}
    return source
