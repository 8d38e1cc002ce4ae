"""A source's schema from a metacrawl server, through its API: the export's
JSON document (`GET /api/v1/sources/{id}/schema/export?format=json`)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

TIMEOUT = 120


class ServerProblem(RuntimeError):
    """The server could not be asked, or refused (a message for the user)."""


def fetch_export(server: str, token: str, source_id: int) -> dict:
    """Source `source_id`'s export document from the metacrawl server at
    `server` (its base URL), with a bearer `token`."""
    base = server.rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        raise ServerProblem(f"--server {server}: not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (http(s) checked above)
        f"{base}/api/v1/sources/{int(source_id)}/schema/export?format=json",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (http(s) checked above)
            return json.load(answer)
    except urllib.error.HTTPError as e:
        why = {401: "the token was refused", 403: "the token may not read it", 404: "no such source (or not yours)"}
        raise ServerProblem(f"{base}: source {source_id}: {e.code} {why.get(e.code, e.reason)}") from None
    except (urllib.error.URLError, OSError) as e:
        raise ServerProblem(f"{base}: could not reach the server ({getattr(e, 'reason', e)})") from None
    except json.JSONDecodeError:
        raise ServerProblem(f"{base}: the answer is not a JSON export") from None
