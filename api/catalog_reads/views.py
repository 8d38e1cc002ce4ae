"""A page of a source's schema, for the schema route and the web UI's table
browser alike: the same keyset paging over the same catalog read."""

from __future__ import annotations

from catalog import reads
from catalog.db import Session

from ..pagination import encode_cursor


def schema_rows(
    source_id: int, args: dict, scope: str, after: list | None, limit: int
) -> tuple[list[tuple[str, str, str]], str | None]:
    """Up to `limit` (schema, name, document JSON) rows after the key `after`,
    filtered by the schema arguments (schema, kind, q, partitions), and the
    cursor of the next page (None on the last)."""
    rows = reads.schema_page(
        Session(),
        source_id,
        schema=args.get("schema"),
        kind=args.get("kind"),
        q=args.get("q"),
        after=tuple(after) if after else None,
        limit=limit + 1,
        partitions=args["partitions"],
    )
    next_cursor = encode_cursor(scope, list(rows[limit - 1][:2])) if len(rows) > limit else None
    return rows[:limit], next_cursor
