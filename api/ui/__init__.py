"""The web UI: server-rendered pages (Jinja2) mounted at `/`, with htmx for
the live parts; every page works without JavaScript. Pages call the same
catalog read functions as the API (api/, catalog/), never their own copies
of its rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, Flask, render_template, request, send_from_directory
from werkzeug.exceptions import HTTPException, NotFound

blp = Blueprint("ui", __name__, template_folder="templates", static_folder="static", static_url_path="/ui/static")

# Browser assets installed from the npm registry by scripts/setup.sh (npm ci).
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
VENDOR = {"htmx.min.js": "htmx.org/dist"}


@blp.get("/ui/vendor/<name>")
def vendor(name: str):
    if name not in VENDOR:
        raise NotFound()
    return send_from_directory(NODE_MODULES / VENDOR[name], name, max_age=86400)


@blp.get("/favicon.ico")
def favicon():
    """The icon browsers ask for on their own (the pages link the same SVG)."""
    return send_from_directory(Path(__file__).parent / "static", "favicon.svg", max_age=86400)


@blp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Errors of the UI's pages are pages: someone else's source is the same
    404 page as one that does not exist; never a traceback."""
    data = getattr(error, "data", None) or {}
    message = (data.get("message") if isinstance(data, dict) else None) or error.description
    titles = {403: "Not allowed", 404: "Not found", 503: "Unavailable", 400: "Bad request", 500: "Something went wrong"}
    # a 405 says which methods the page takes (HTTP requires it); werkzeug's other headers are for its own body
    methods = getattr(error, "valid_methods", None)
    allow = {"Allow": ", ".join(methods)} if methods else {}
    return (
        render_template(
            "error.html", status=error.code, title=titles.get(error.code or 500, error.name), message=message
        ),
        error.code or 500,
        allow,
    )


# Paths whose errors the API answers in JSON; every other path is the UI's.
API_PATHS = ("/api/", "/docs", "/healthz", "/readyz", "/metrics")


def register_error_pages(app: Flask, api_errors: Callable) -> None:
    """An error on a path no blueprint route matched (an unknown page, a
    method a page does not take) is the UI's error page too, not the API's
    JSON, unless the path is the API's."""

    @app.errorhandler(HTTPException)
    def error_page(error: HTTPException):
        if request.path.startswith(API_PATHS):
            return api_errors(error)
        if (error.code or 500) < 500:
            from .session import optional_user

            optional_user()  # the page's header as the signed-in person knows it
        return http_error(error)


from . import (  # noqa: E402,F401 routes register on blp
    views_auth,
    views_catalog,
    views_curation,
    views_diagram,
    views_diff,
    views_docs_site,
    views_exports,
    views_insights,
    views_objects,
    views_renames,
    views_sensitive,
    views_sources,
    views_teams,
    views_webhooks,
)


@blp.app_template_filter("when")
def when(value) -> str:
    """A timestamp as people read it: 2026-11-22 14:05 UTC."""
    from datetime import UTC, datetime

    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


@blp.app_template_global("role_in")
def template_role_in(team_id: int) -> str | None:
    """The signed-in user's role in a team, for pages that show only what the role allows."""
    from ..ownership import role_in

    return role_in(team_id)


@blp.app_template_filter("num")
def num(value) -> str:
    return "—" if value is None else f"{value:,}"


@blp.app_template_filter("size")
def size(value) -> str:
    from .charts import human

    return "—" if value is None else human(float(value), "bytes")


@blp.app_template_filter("literal_glob")
def literal_glob(text: str) -> str:
    """An ignore-list glob that matches this finding's object and no other."""
    from catalog.insights.ignore_globs import literal_glob as glob

    return glob(text)


@blp.app_template_filter("ink")
def ink(colour: str) -> str:
    """Black or white, whichever reads better on a tag's #rrggbb colour."""
    try:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    except (ValueError, TypeError):
        return "#000000"
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"
