"""A source's schema from a metacrawl server, through its API: the export's
JSON document, fetched with the typed client generated from the server's
own OpenAPI document (`metacrawl_client`, made by scripts/gen_client.sh)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

TIMEOUT = 120
WHY = {401: "the token was refused", 403: "the token may not read it", 404: "no such source (or not yours)"}


class ServerProblem(RuntimeError):
    """The server could not be asked, or refused (a message for the user)."""


def fetch_export(server: str, token: str, source_id: int) -> dict:
    """Source `source_id`'s export document from the metacrawl server at
    `server` (its base URL), with a bearer `token`: the generated client
    sends the request and checks the answer is an `Export`; the document is
    kept as served, every field."""
    base = server.rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        raise ServerProblem(f"--server {server}: not an http(s) URL")
    try:
        import httpx
        from metacrawl_client import AuthenticatedClient
        from metacrawl_client.api.catalog import export_source
        from metacrawl_client.models import Export
    except ImportError:
        raise ServerProblem(
            "--server needs the API client generated from the server's document (metacrawl_client): "
            "run scripts/gen_client.sh (scripts/setup.sh does)"
        ) from None
    client = AuthenticatedClient(base_url=base, token=token, timeout=httpx.Timeout(TIMEOUT))
    try:
        answer = export_source.sync_detailed(int(source_id), client=client)
    except httpx.HTTPError as e:
        raise ServerProblem(f"{base}: could not reach the server ({e})") from None
    status = int(answer.status_code)
    if status != 200:
        raise ServerProblem(f"{base}: source {source_id}: {status} {WHY.get(status, 'refused')}")
    if not isinstance(answer.parsed, Export):
        raise ServerProblem(f"{base}: the answer is not a JSON export")
    return json.loads(answer.content)
