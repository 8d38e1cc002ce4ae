"""The schema diff's answer built once: the API's diff routes and the web
UI's diff page (its downloads) stream the same document."""

from __future__ import annotations

import json

from flask import Response, stream_with_context

from catalog.db import engine
from catalog.models import Source
from catalog.schema_diff import stream_diff

# what a diff is served as: format -> media type
DIFF_TYPES = {"json": "application/json", "ndjson": "application/x-ndjson"}


def diff_response(
    source: Source,
    against: Source,
    as_of: int | None,
    schema: str | None,
    against_schema: str | None,
    fmt: str,
    mimetype: str | None = None,
    disposition: str = "inline",
) -> Response:
    """`source` compared with `against` (itself as crawl `as_of` left it),
    streamed as JSON (one object, the counts at the end) or NDJSON (a table
    per line); both sources, and the crawl, already checked as the caller's."""
    if schema is not None and against_schema is None:
        against_schema = schema

    def generate():
        summary: dict[str, int] = {}
        with engine().connect() as conn:
            entries = stream_diff(
                conn,
                source.id,
                against.id,
                schema=schema,
                against_schema=against_schema,
                as_of=as_of,
                summary=summary,
            )
            if fmt == "ndjson":
                for entry in entries:
                    yield json.dumps(entry) + "\n"
                return
            head = {
                "source_id": source.id,
                "against_id": against.id,
                "as_of": as_of,
                "schema": schema,
                "against_schema": against_schema,
            }
            yield json.dumps(head)[:-1] + ', "tables": ['
            for i, entry in enumerate(entries):
                yield ("," if i else "") + json.dumps(entry)
            yield '], "summary": ' + json.dumps(summary) + "}\n"

    filename = f"source-{source.id}-diff-" + (f"crawl-{as_of}" if as_of is not None else str(against.id))
    return Response(
        stream_with_context(generate()),
        mimetype=mimetype or DIFF_TYPES[fmt],
        headers={"Content-Disposition": f'{disposition}; filename="{filename}.{fmt}"'},
    )
