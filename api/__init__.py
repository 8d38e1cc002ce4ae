"""The metacrawl web API: `create_app()` builds it; nothing happens at import."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import redis
from celery import Celery
from flask import Flask, jsonify, request
from flask.json.provider import DefaultJSONProvider

from catalog import db
from catalog.settings import Settings, from_env

from . import auth_hooks, inputs, security_headers
from .extensions import Api, jwt

# Longer request targets are answered 414 by the app, as JSON (gunicorn's own
# limit, gunicorn.conf.py, is set above this so the app sees them first).
MAX_URI_LENGTH = 4096


class JSONProvider(DefaultJSONProvider):
    """request.get_json() anywhere: depth-limited like the arguments parser."""

    def loads(self, s, **kwargs):
        return inputs.loads(s)


def _error(code: int, message: str, headers: dict | None = None):
    import http

    body = {"code": code, "status": http.HTTPStatus(code).phrase, "message": message}
    return jsonify(body), code, headers or {}


def make_celery_client(settings: Settings) -> Celery:
    """A Celery app used only to send tasks by name; the worker owns the tasks."""
    client = Celery("metacrawl", broker=settings.redis_url, set_as_current=False)
    client.conf.broker_transport_options = {"visibility_timeout": settings.visibility_timeout}
    client.conf.broker_connection_retry_on_startup = False
    client.conf.broker_connection_max_retries = 1
    return client


def _config(settings: Settings) -> dict:
    """The Flask configuration: cursor signing, flask-smorest's OpenAPI, JWT and the UI's cookie."""
    return dict(
        METACRAWL=settings,
        # Cursor signing key, derived so it differs from the JWT key itself.
        SECRET_KEY=hashlib.sha256(b"metacrawl-cursor:" + settings.jwt_secret.encode()).hexdigest(),
        MAX_CONTENT_LENGTH=1024 * 1024,
        API_TITLE="metacrawl",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Database metadata crawler with a catalog API. "
                "Authenticate with POST /api/v1/auth/login, then send "
                "`Authorization: Bearer <access_token>`."
            }
        },
        JWT_SECRET_KEY=settings.jwt_secret,
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=settings.access_token_minutes),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=settings.refresh_token_days),
        JWT_TOKEN_LOCATION=["headers"],
        # The web UI's session (api/ui) is the same access token in an HttpOnly,
        # SameSite cookie, read only by the UI's pages; the CSRF value it carries
        # must come back in every form that changes something (a hidden field).
        JWT_ACCESS_COOKIE_NAME="metacrawl_session",
        JWT_COOKIE_SECURE=settings.production,
        JWT_COOKIE_SAMESITE="Lax",
        JWT_COOKIE_CSRF_PROTECT=True,
        JWT_CSRF_IN_COOKIES=False,
        JWT_CSRF_CHECK_FORM=True,
        JSON_SORT_KEYS=False,
    )


def _connect(app: Flask, settings: Settings) -> None:
    """The catalog's engine, Redis, and the Celery client that sends tasks."""
    db.configure(settings.catalog_url)
    app.extensions["metacrawl_redis"] = redis.Redis.from_url(
        settings.redis_url, socket_timeout=5, socket_connect_timeout=2
    )
    app.extensions["metacrawl_celery"] = make_celery_client(settings)


def _register_api(app: Flask) -> Api:
    """The API's areas under /api/v1 (with auth), then health, docs and metrics."""
    api = Api(app)
    jwt.init_app(app)
    auth_hooks.register(jwt)

    from . import docs, health, metrics
    from .auth.routes import blp as auth_blp
    from .catalog_reads.routes import blp as reads_blp
    from .changes.routes import blp as changes_blp
    from .connections.routes import blp as connections_blp
    from .crawls.routes import blp as crawls_blp
    from .curation.routes import blp as curation_blp
    from .diagrams.routes import blp as diagrams_blp
    from .insights.routes import blp as insights_blp
    from .renames.routes import blp as renames_blp
    from .schema_diff.routes import blp as diff_blp
    from .sensitive.routes import blp as sensitive_blp
    from .sources.routes import blp as sources_blp
    from .tables.routes import blp as tables_blp
    from .teams.routes import blp as teams_blp
    from .webhooks.routes import blp as webhooks_blp

    for blp in (
        auth_blp,
        sources_blp,
        crawls_blp,
        reads_blp,
        changes_blp,
        connections_blp,
        diagrams_blp,
        tables_blp,
        insights_blp,
        renames_blp,
        diff_blp,
        teams_blp,
        curation_blp,
        webhooks_blp,
        sensitive_blp,
    ):
        api.register_blueprint(blp)
    app.register_blueprint(health.blp)
    app.register_blueprint(docs.blp)
    app.register_blueprint(metrics.blp)
    return api


def _register_handlers(app: Flask) -> None:
    """App-wide answers: a request target too long (414), Redis down (503)."""

    @app.before_request
    def refuse_long_uri():
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
        if len(raw) > MAX_URI_LENGTH:
            return _error(414, f"the request URI is longer than {MAX_URI_LENGTH} characters")
        return None

    @app.errorhandler(redis.RedisError)
    def redis_down(e):
        # Login's failure counts live in Redis: without them login cannot be
        # limited, so it fails closed. (Token revocations fall back to the catalog.)
        app.logger.error("redis unavailable: %s", type(e).__name__)
        return _error(503, "a service this API needs (Redis) is unavailable; try again shortly", {"Retry-After": "30"})


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or from_env()
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.config.update(_config(settings))
    _connect(app, settings)
    api = _register_api(app)
    _register_handlers(app)

    from .ui import blp as ui_blp
    from .ui import register_error_pages

    app.register_blueprint(ui_blp)
    register_error_pages(app, api.handle_http_exception)

    app.after_request(security_headers.add)

    @app.teardown_appcontext
    def remove_session(exc=None):
        db.Session.remove()

    return app
