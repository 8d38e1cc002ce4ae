"""The API's timestamp field: every date-time in a response goes through it
(catalog/timestamps.py holds the format)."""

from __future__ import annotations

import marshmallow as ma

from catalog.timestamps import EXAMPLE, rfc3339


class Timestamp(ma.fields.DateTime):
    """A date-time answered as RFC 3339 in UTC with microseconds (`2026-11-22T14:05:09.123456Z`)."""

    def __init__(self, **kwargs):
        metadata = {"example": EXAMPLE, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else rfc3339(value)
