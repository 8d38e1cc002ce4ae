"""Security headers on every answer of the app: the UI's pages, /docs, the
API's JSON, errors, health checks, metrics and diagrams alike. A view that
sets one of these itself keeps its own.

The Content-Security-Policy depends on what the answer is: a page may load
scripts and styles from this app only (no inline script); an SVG, which is a
document of its own when opened directly, may style itself but load and run
nothing; anything else (JSON, text) needs nothing at all."""

from __future__ import annotations

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
NOTHING_CSP = "default-src 'none'; frame-ancestors 'none'"


def _policy(mimetype: str) -> str:
    if mimetype == "text/html":
        return PAGE_CSP
    if mimetype == "image/svg+xml":
        return SVG_CSP
    return NOTHING_CSP


def add(response):
    response.headers.setdefault("Content-Security-Policy", _policy(response.mimetype))
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
