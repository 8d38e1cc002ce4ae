"""The one format of every timestamp the API answers with: RFC 3339 in UTC
with microseconds, `2026-11-22T14:05:09.123456Z`. Python values go through
`rfc3339`, timestamps that PostgreSQL puts into JSON it builds itself (table
documents) through `rfc3339_sql`, so both print the same six digits."""

from __future__ import annotations

import re
from datetime import UTC, datetime

PATTERN = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\Z")
EXAMPLE = "2026-11-22T14:05:09.123456Z"


def rfc3339(value: datetime) -> str:
    """`value` in UTC with microseconds (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339_sql(expr: str) -> str:
    """SQL text turning the timestamptz `expr` into the same string (NULL stays NULL)."""
    return f"""to_char(({expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
