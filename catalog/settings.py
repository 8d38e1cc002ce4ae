"""Every setting of metacrawl, read from the environment in this one place.

Defaults are safe for a developer's machine; production mode refuses to start
with the development secrets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .schedules import ScheduleError, check

# Development-only secrets: usable locally, refused when METACRAWL_ENV=production.
DEV_JWT_SECRET = "metacrawl-development-jwt-secret-not-for-production"  # noqa: S105 refused in production
DEV_FERNET_KEY = "bWV0YWNyYXdsLWRldi1rZXktbm90LWZvci1wcm9kISE="


ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    pass


def _bool(v: str) -> bool:
    return v.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    catalog_url: str = "postgresql+psycopg2://postgres@127.0.0.1:5432/metacrawl"
    redis_url: str = "redis://127.0.0.1:6379/0"
    jwt_secret: str = field(default=DEV_JWT_SECRET, repr=False)
    fernet_keys: tuple[str, ...] = field(default=(DEV_FERNET_KEY,), repr=False)
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    allow_registration: bool = True
    # failed logins allowed per account and per client address in a window
    login_attempts_per_account: int = 10
    login_attempts_per_address: int = 100
    login_window_seconds: int = 900
    port: int = 8000
    # crawling
    batch_size: int = 2000
    connect_timeout: int = 10
    statement_timeout: int = 60
    lock_timeout: int = 5
    # Every wait on a target is bounded on this side too (a server may accept
    # the login and then never answer): past this many seconds without a
    # reply the connection is cut. 0: the statement timeout plus 30 s.
    target_read_timeout: int = 0
    # One owner's crawl tasks (plan, batches) run at most this many at once
    # across every worker, so one user's slow or stalled targets cannot take
    # every worker slot; keep it below the fleet's worker processes.
    owner_concurrency: int = 2
    crawl_time_limit: int = 3600  # seconds a crawl may run before the reaper fails it
    # A crawl task beats (crawl_jobs.heartbeat_at) every heartbeat_seconds
    # while it works; a crawl running without a heartbeat for crawl_lost_after
    # (its worker or its broker message was lost), or queued and not picked up
    # for queued_lost_after, is sent again by the reaper (which runs every
    # reap_interval seconds), at most max_requeues times, then failed as `lost`.
    heartbeat_seconds: int = 10
    crawl_lost_after: int = 60
    queued_lost_after: int = 600
    reap_interval: int = 15
    max_requeues: int = 3
    # a crawl task that meets a catalog deadlock, serialization failure or lost
    # catalog connection is retried (exponential backoff) this many times
    catalog_retries: int = 5
    # a crawl that would remove more than this percentage of a source's tables
    # (and more than REMOVAL_GUARD_FLOOR of them) fails instead, unless asked to
    max_removed_percent: int = 50
    visibility_timeout: int = 3900  # Redis broker: redelivery of a task whose worker vanished
    allow_loopback_targets: bool = True
    allow_private_targets: bool = True
    # directories whose SQLite (and other file) databases may be crawled; none: the sqlite engine is off
    sqlite_dirs: tuple[str, ...] = ()
    # other databases on the catalog's own server (host and port) may be crawled;
    # the catalog database itself never is (engines/netpolicy.py)
    allow_catalog_server_targets: bool = True
    # schedules and freshness
    default_schedule: str = "0 2 * * *"
    min_schedule_interval_minutes: int = 15  # a source's cron may not run more often than this
    stale_after_hours: int = 36
    schedule_jitter_seconds: int = 300
    # usage (catalog/usage/, catalog/insights/rules/unused_index.py): an
    # index with no scan counted across this many days of crawls is unused;
    # a crawl keeps this many of pg_stat_statements' statements (most total time)
    unused_index_days: int = 30
    top_statements: int = 100
    # reads
    cache_seconds: int = 300
    # the web UI's address as people reach it: absolute links in webhook bodies (Slack)
    public_url: str = "http://localhost:8000"
    # webhooks (catalog/webhooks/, worker/webhooks.py): the egress policy of
    # their target URLs (metadata and link-local addresses are always refused)
    webhook_allow_loopback: bool = True
    webhook_allow_private: bool = True
    # seconds to connect, and to wait for the answer, of one delivery attempt
    webhook_timeout: int = 10
    # a delivery is retried (backoff: webhook_backoff_seconds, then x3 each time,
    # at most an hour apart) for this many seconds after it was queued, then failed
    webhook_retry_seconds: int = 6 * 3600
    webhook_backoff_seconds: int = 10
    # a delivery being sent is another worker's to send again after this many
    # seconds (its worker was lost); more than an attempt can take
    webhook_lease_seconds: int = 120
    # how often the sweep sends due and orphaned deliveries (beat)
    webhook_sweep_interval: int = 10
    # operations
    flower_user: str = "admin"
    flower_password: str = field(default="metacrawl", repr=False)
    log_json: bool = True

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def read_timeout(self) -> int:
        """The client-side bound of one wait on a target during a crawl."""
        return self.target_read_timeout or self.statement_timeout + 30

    def check(self) -> Settings:
        """Refuse to run with an unknown environment name, or in production with development secrets."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(
                f"METACRAWL_ENV must be one of {', '.join(ENVIRONMENTS)} (exactly, lower case), not {self.env!r}"
            )
        if self.heartbeat_seconds < 1 or self.crawl_lost_after < 3 * self.heartbeat_seconds:
            raise ConfigError(
                "METACRAWL_HEARTBEAT_SECONDS must be at least 1 and METACRAWL_CRAWL_LOST_AFTER at least three "
                "heartbeats, or live crawls would be taken for lost"
            )
        if self.target_read_timeout < 0 or self.owner_concurrency < 1:
            raise ConfigError(
                "METACRAWL_TARGET_READ_TIMEOUT must be 0 or more and METACRAWL_OWNER_CONCURRENCY at least 1"
            )
        if self.reap_interval < 1:
            raise ConfigError("METACRAWL_REAP_INTERVAL must be at least 1")
        if min(self.webhook_timeout, self.webhook_backoff_seconds, self.webhook_sweep_interval) < 1:
            raise ConfigError(
                "METACRAWL_WEBHOOK_TIMEOUT, METACRAWL_WEBHOOK_BACKOFF_SECONDS and METACRAWL_WEBHOOK_SWEEP_INTERVAL "
                "must be at least 1"
            )
        if self.webhook_lease_seconds <= 2 * self.webhook_timeout:
            raise ConfigError(
                "METACRAWL_WEBHOOK_LEASE_SECONDS must be more than twice METACRAWL_WEBHOOK_TIMEOUT (connect and read), "
                "or a delivery still being sent would be sent again"
            )
        if self.min_schedule_interval_minutes < 1:
            raise ConfigError("METACRAWL_MIN_SCHEDULE_INTERVAL_MINUTES must be at least 1")
        try:
            check(self.default_schedule)
        except ScheduleError as e:
            raise ConfigError(f"METACRAWL_DEFAULT_SCHEDULE: {e}") from None
        if not self.production:
            return self
        problems = []
        if self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32:
            problems.append("METACRAWL_JWT_SECRET must be set to a secret of at least 32 characters")
        if DEV_FERNET_KEY in self.fernet_keys:
            problems.append("METACRAWL_FERNET_KEYS must be set to your own Fernet keys")
        if self.flower_password == "metacrawl":  # noqa: S105 the development default, refused here
            problems.append("METACRAWL_FLOWER_PASSWORD must be set")
        if problems:
            raise ConfigError("refusing to start in production: " + "; ".join(problems))
        return self


_ENV_NAMES = {
    "env": "METACRAWL_ENV",
    "catalog_url": "METACRAWL_CATALOG_URL",
    "redis_url": "METACRAWL_REDIS_URL",
    "jwt_secret": "METACRAWL_JWT_SECRET",
    "fernet_keys": "METACRAWL_FERNET_KEYS",
    "port": "PORT",
}


def from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from `environ` (os.environ by default). Every field may be
    set as METACRAWL_<FIELD> (PORT for the port)."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(Settings):
        name = _ENV_NAMES.get(f.name, "METACRAWL_" + f.name.upper())
        raw = env.get(name)
        if raw is None or raw == "":
            continue
        if f.name == "fernet_keys":
            values[f.name] = tuple(k.strip() for k in raw.split(",") if k.strip())
        elif f.name == "sqlite_dirs":
            values[f.name] = tuple(d.strip() for d in raw.split(os.pathsep) if d.strip())
        elif f.type == "int":
            try:
                values[f.name] = int(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
        elif f.type == "bool":
            values[f.name] = _bool(raw)
        else:
            values[f.name] = raw
    url = values.get("catalog_url")
    if url and url.startswith("postgresql://"):
        values["catalog_url"] = "postgresql+psycopg2://" + url[len("postgresql://") :]
    if values.get("env") == "production":
        values.setdefault("allow_loopback_targets", _bool(env.get("METACRAWL_ALLOW_LOOPBACK_TARGETS", "0")))
        values.setdefault("allow_private_targets", _bool(env.get("METACRAWL_ALLOW_PRIVATE_TARGETS", "0")))
        values.setdefault("webhook_allow_loopback", _bool(env.get("METACRAWL_WEBHOOK_ALLOW_LOOPBACK", "0")))
        values.setdefault("webhook_allow_private", _bool(env.get("METACRAWL_WEBHOOK_ALLOW_PRIVATE", "0")))
        values.setdefault("allow_catalog_server_targets", _bool(env.get("METACRAWL_ALLOW_CATALOG_SERVER_TARGETS", "0")))
    return replace(Settings(), **values, **overrides).check()
