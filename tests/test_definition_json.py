"""A table's stored definition and fingerprint are the JSON text of its
document: the fast encoder must write exactly what the stdlib's wrote, or
every table of every catalog would look changed on the next crawl."""

from __future__ import annotations

import hashlib
import json

from catalog.staging import DEFINITION_KEYS, encode_definition

STDLIB = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def stdlib_fingerprint(doc: dict) -> str:
    canon = {k: doc.get(k) for k in DEFINITION_KEYS} | {"kind": doc["kind"], "comment": doc.get("comment")}
    return hashlib.md5(STDLIB(canon).encode(), usedforsecurity=False).hexdigest()


DOCS = [
    {"kind": "table", "comment": None, "columns": [{"name": "id", "ordinal": 1, "type": "integer", "nullable": False}],
     "primary_key": {"name": "t_pkey", "columns": ["id"]}, "foreign_keys": [], "indexes": [], "constraints": []},
    # what the stdlib escapes and orjson would not: non-ASCII, DEL, control characters
    {"kind": "view", "comment": "café ☕ \U0001f600 \u2028", "columns": [{"name": "x\x7fy\x01\t\"\\/", "ordinal": 1}]},
    # what orjson refuses: integers past 64 bits, keys that are not strings
    {"kind": "table", "comment": "big", "columns": [{"name": "n", "default": 2**70}], "indexes": [{1: "one"}]},
]  # fmt: skip


def test_definition_text_is_the_stdlib_text():
    for doc in DOCS:
        fingerprint, definition = encode_definition(doc)
        assert fingerprint == stdlib_fingerprint(doc)
        assert definition == STDLIB({k: doc.get(k) for k in DEFINITION_KEYS})
