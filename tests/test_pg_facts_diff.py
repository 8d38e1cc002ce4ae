"""The pure parts of issue #26's PostgreSQL facts: a document that gains
the new fields is no change, a requalified operator class is none either,
a real change of them is one; the events and hazards of the new kinds."""

from __future__ import annotations

from catalog.apply_objects import object_changes
from catalog.diff import only_fields_added, table_changes, with_parts_qualified
from engines.documents import table_document
from engines.postgres import view_options
from engines.records import Column, Table

OLD = {
    "kind": "table",
    "columns": [{"name": "label", "type": "text", "nullable": True}],
    "indexes": [{"name": "i", "parts": [{"column": "label", "opclass": "gin_trgm_ops", "collation": None}]}],
}


def test_a_document_gaining_collation_view_options_and_schemas_is_no_change():
    new = {
        "kind": "table",
        "columns": [{"name": "label", "type": "text", "nullable": True, "collation": "C"}],
        "indexes": [{"name": "i", "parts": [{"column": "label", "opclass": "app.gin_trgm_ops", "collation": None}]}],
        "view_options": {"security_barrier": True},
    }
    before = with_parts_qualified(OLD, new)
    assert only_fields_added(before, {k: new.get(k) for k in before})
    assert not only_fields_added(OLD, {k: new.get(k) for k in OLD})  # without the requalifying step it would be


def test_a_real_change_of_them_is_a_change():
    old = {**OLD, "columns": [{"name": "label", "type": "text", "nullable": True, "collation": "C"}]}
    new = {**OLD, "columns": [{"name": "label", "type": "text", "nullable": True, "collation": "POSIX"}]}
    assert table_changes(old, new)["columns_altered"] == [
        {"name": "label", "changes": {"collation": {"from": "C", "to": "POSIX"}}}
    ]
    other = {**OLD, "indexes": [{"name": "i", "parts": [{"column": "label", "opclass": "app.gist_trgm_ops"}]}]}
    assert with_parts_qualified(OLD, other) == OLD  # another class, not the same one qualified
    assert table_changes({**OLD, "view_options": {"check_option": "local"}}, OLD)["view_options"] == {
        "from": {"check_option": "local"}, "to": None
    }  # fmt: skip


def test_quoted_schemas_requalify_too():
    new = {"indexes": [{"name": "i", "parts": [{"opclass": '"we.ird"."x""y"'}]}]}
    assert with_parts_qualified({"indexes": [{"name": "i", "parts": [{"opclass": 'x"y'}]}]}, new) == new


def test_a_column_without_collation_keeps_its_document():
    doc = table_document(Table("s", "t", "table", columns=[Column("a", 1, "int", True)]))
    assert doc["columns"] == [{"name": "a", "ordinal": 1, "type": "int", "nullable": True, "default": None,
                               "comment": None, "identity": None, "generated": None, "on_update": None}]  # fmt: skip
    assert "view_options" not in doc


def test_view_options_parsed():
    assert view_options(["check_option=local", "security_barrier=true", "security_invoker=off"]) == {
        "check_option": "local", "security_barrier": True, "security_invoker": False
    }  # fmt: skip
    assert view_options(None) is None and view_options([]) is None


def obj(kind, name, schema="app", **details):
    return {"kind": kind, "schema": schema, "name": name, "table": "", "arguments": "", "details": details}


def test_events_and_hazards_of_the_new_kinds():
    old = [obj("extension", "pg_trgm", version="1.5"), obj("domain", "amount", checks=[]),
           obj("collation", "de"), obj("schema", "app", schema="app", comment=None)]  # fmt: skip
    new = [obj("extension", "pg_trgm", version="1.6"), obj("extension", "hstore", schema="public", version="1.8"),
           obj("domain", "amount", checks=[{"name": "c", "definition": "CHECK (VALUE > 0)"}]),
           obj("schema", "app", schema="app", comment="Orders")]  # fmt: skip
    events = {(e[1], e[2]["name"]): (e[3], e[4]) for e in object_changes(old, new)}
    assert events == {
        ("extension_upgraded", "pg_trgm"): ("safe", ["safe: extension pg_trgm: version upgraded"]),
        ("extension_added", "hstore"): ("safe", ["safe: extension hstore added"]),
        ("domain_changed", "app.amount"): ("risky", ["risky: domain app.amount: checks changed"]),
        ("collation_removed", "app.de"): ("risky", ["risky: collation app.de removed"]),
        ("schema_changed", "app"): ("safe", ["safe: schema app: comment changed"]),
    }
    [(_o, event, _d, hazard, _r)] = object_changes([obj("domain", "amount")], [])
    assert (event, hazard) == ("domain_removed", "breaking")
