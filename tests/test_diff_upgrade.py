"""What an older crawler read otherwise, with nothing on the target changed,
is no change (catalog/diff.py, pure)."""

from __future__ import annotations

from catalog.diff import as_read_now, only_fields_added, table_changes

OLD_FK = {
    "name": "fk",
    "on_update": "NO ACTION",
    "on_delete": "NO ACTION",
    "definition": "FOREIGN KEY (`a`) REFERENCES `d`.`p` (`id`)",
}
NEW_FK = {**OLD_FK, "definition": OLD_FK["definition"] + " ON UPDATE NO ACTION ON DELETE NO ACTION"}
PARTITION = {"strategy": "range", "key": "`id`", "partitions": ["p0"]}


def test_a_partitioned_table_and_no_action_rules_read_anew_are_no_change():
    old = {"kind": "table", "partition": PARTITION, "foreign_keys": [OLD_FK]}
    bounds = [{"name": "p0", "bounds": "VALUES LESS THAN (10)"}]
    new = {"kind": "partitioned_table", "partition": {**PARTITION, "bounds": bounds}, "foreign_keys": [NEW_FK]}
    new["engine"] = "InnoDB"
    assert not only_fields_added(old, new)
    assert only_fields_added(as_read_now(old, new), new)
    assert table_changes(as_read_now(old, new), new) == {}


def test_real_changes_stay_changes():
    # partitioned since: the old definition had no partition
    old = {"kind": "table", "foreign_keys": [OLD_FK]}
    assert as_read_now(old, {"kind": "partitioned_table", "partition": PARTITION})["kind"] == "table"
    # a rule that changed is not a NO ACTION printed anew
    cascade = {**OLD_FK, "definition": OLD_FK["definition"] + " ON DELETE CASCADE"}
    assert as_read_now(old, {"kind": "table", "foreign_keys": [cascade]}) == old
    # an engine once stored is compared
    assert table_changes({"kind": "table", "engine": "InnoDB"}, {"kind": "table", "engine": "MyISAM"}) == {
        "engine": {"from": "InnoDB", "to": "MyISAM"}
    }
