"""Input hygiene written once, before any schema sees a request: JSON bodies
with a bounded nesting depth, and no NUL characters or lone surrogates in any
string (PostgreSQL cannot store the first, UTF-8 cannot encode the second).

`ArgumentsParser` is the webargs parser every blueprint uses (see
extensions.Blueprint), so every field of every schema, query and body alike,
is covered; a refusal is a 422 naming the field like any validation error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

# Deeper JSON than this is refused (400): no request of this API nests more
# than a few levels, and json.loads recurses in C (100,000 levels: RecursionError).
MAX_JSON_DEPTH = 32

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class JSONTooDeep(ValueError):
    pass


def json_depth_ok(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` nests at most `limit` levels (iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def loads(data: str | bytes) -> Any:
    """json.loads with a depth limit: too deep raises JSONDecodeError, never RecursionError."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    try:
        value = json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", text[:20], 0) from None
    if not json_depth_ok(value):
        raise json.JSONDecodeError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", text[:20], 0)
    return value


def text_problem(value: str) -> str | None:
    match = _BAD_TEXT.search(value)
    if match is None:
        return None
    if match.group() == "\x00":
        return "must not contain NUL characters"
    return "must not contain lone surrogates (not valid Unicode text)"


def _bad_strings(value: Any, path: tuple) -> Iterator[tuple[tuple, str]]:
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if problem := text_problem(item):
                yield where, problem
        elif isinstance(item, Mapping):
            for key, child in item.items():
                if isinstance(key, str) and (problem := text_problem(key)):
                    yield (*where, key.encode("utf-8", "backslashreplace").decode()), "field name " + problem
                else:
                    stack.append((child, (*where, key)))
        elif isinstance(item, list | tuple):
            stack.extend((child, (*where, i)) for i, child in enumerate(item))


def _nest(path: tuple, message: str, into: dict) -> None:
    node = into
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node.setdefault(path[-1] if path else "_schema", []).append(message)


def refuse_bad_text(data: Any) -> None:
    """Raise a ValidationError naming every field whose text holds a NUL or a lone surrogate."""
    errors: dict = {}
    for path, problem in _bad_strings(data, ()):
        _nest(path, problem, errors)
    if errors:
        raise ma.ValidationError(errors)


class ArgumentsParser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        try:
            return loads(req.get_data(cache=True))
        except UnicodeDecodeError as e:
            # (webargs reads an empty `doc` as "no body", so name the bytes here)
            raise json.JSONDecodeError(f"body is not UTF-8: {e.reason}", repr(e.object[:20]), e.start) from None

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        from flask_smorest import abort

        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not valid JSON"
        abort(400, message=f"invalid JSON body: {reason}", errors={"json": ["Invalid JSON body."]})

    def pre_load(self, location_data, *, schema, req, location):
        raw = getattr(location_data, "data", location_data)  # webargs' MultiDictProxy wraps the MultiDict
        if hasattr(raw, "getlist"):  # query, form, headers: every value of every key
            refuse_bad_text({k: v[0] if len(v := raw.getlist(k)) == 1 else v for k in raw})
        else:
            refuse_bad_text(location_data)
        return location_data


# Dates: PostgreSQL takes years 4713 BC to 294276 AD and offsets within
# +/-15:59, Python years 1 to 9999; a request has no business outside 1900-9999
# or beyond the +/-14:00 offsets real time zones use.
MIN_YEAR, MAX_YEAR = 1900, 9999
MAX_OFFSET = timedelta(hours=14)


class BoundedAwareDateTime(ma.fields.AwareDateTime):
    """An ISO 8601 date-time with a time zone, within years 1900-9999 and offsets of at most 14 hours."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        offset = result.utcoffset()
        if offset is not None and abs(offset) > MAX_OFFSET:
            raise ma.ValidationError("time zone offset out of range (at most +/-14:00)")
        if not MIN_YEAR <= result.year <= MAX_YEAR:
            raise ma.ValidationError(f"date out of range (years {MIN_YEAR} to {MAX_YEAR})")
        try:
            result.astimezone().astimezone(result.tzinfo)
        except (OverflowError, ValueError):
            raise ma.ValidationError("date out of range") from None
        return result
