"""Interactive API docs at /docs, served from the swagger-ui-bundle package so
the page renders without internet access. The page runs no inline script
(its CSP allows scripts from this app only: api/security_headers.py), and
swagger-ui keeps no token in localStorage: an authorization lasts as long
as the page."""

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

blp = Blueprint("docs", __name__)

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>metacrawl API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>"""

INIT = """window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui",
  persistAuthorization: false, deepLinking: true});
"""


@blp.get("/docs")
def docs():
    return PAGE, 200, {"Content-Type": "text/html; charset=utf-8"}


@blp.get("/docs/init.js")
def docs_init():
    return INIT, 200, {"Content-Type": "text/javascript; charset=utf-8"}


@blp.get("/docs/static/<path:filename>")
def docs_static(filename):
    return send_from_directory(swagger_ui_path, filename)
