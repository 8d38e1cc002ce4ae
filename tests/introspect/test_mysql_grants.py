"""SHOW GRANTS lines read without a server (engines/mysql_grants.py): what
an account's grants let information_schema show it."""

from __future__ import annotations

import pytest

from engines.mysql_grants import Grant, database_matches, hidden_kinds, parse_grant, parse_grants

MARIADB = (True, (10, 11, 9))


@pytest.mark.parametrize(
    "line,grant",
    [
        ("GRANT USAGE ON *.* TO `u`@`%`", Grant(frozenset({"USAGE"}), "global")),
        ("GRANT SELECT, SHOW VIEW ON `d`.* TO `u`@`%`", Grant(frozenset({"SELECT", "SHOW VIEW"}), "database", "d")),
        (
            "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION",
            Grant(frozenset({"ALL PRIVILEGES"}), "global"),
        ),
        # a column list and names holding the words the parser splits at
        (
            "GRANT SELECT (`a, ON b`), INSERT ON `d``b`.`t ON x` TO `u`@`%`",
            Grant(frozenset({"SELECT", "INSERT"}), "table", "d`b", "t ON x"),
        ),
        ("GRANT EXECUTE ON PROCEDURE `d`.`p` TO `u`@`%`", Grant(frozenset({"EXECUTE"}), "routine", "d", "p")),
        ("GRANT `reader_role` TO `u`@`%`", None),
        ("GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION", None),
    ],
)
def test_grant_lines(line, grant):
    assert parse_grant(line) == grant


def test_database_grants_match_their_patterns():
    assert database_matches("shop", "shop") and not database_matches("shop", "Shop")
    assert database_matches("shop%", "shop_2024") and database_matches("sh_p", "shxp")
    assert database_matches("my\\_db", "my_db") and not database_matches("my\\_db", "myxdb")


def test_select_and_show_view_hide_routines_and_triggers():
    grants = parse_grants(["GRANT USAGE ON *.* TO `u`@`%`", "GRANT SELECT, SHOW VIEW ON `shop`.* TO `u`@`%`"])
    found = hidden_kinds(grants, ["shop"], *MARIADB)
    assert [(w.kind, w.privilege) for w in found] == [("routines", "SELECT ON mysql.proc"), ("triggers", "TRIGGER")]
    assert "grant TRIGGER on `shop`.* to see them" in found[1].message


def test_grants_that_show_everything():
    root = parse_grants(["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"])
    assert hidden_kinds(root, ["shop", "hr"], *MARIADB) == []
    reader = parse_grants(
        [
            "GRANT SELECT ON `mysql`.`proc` TO `u`@`%`",
            "GRANT SELECT, SHOW VIEW ON `shop`.* TO `u`@`%`",
            "GRANT TRIGGER ON `sh%`.* TO `u`@`%`",
        ]
    )
    assert hidden_kinds(reader, ["shop"], *MARIADB) == []
    # the pattern covers shop, not hr
    [triggers] = hidden_kinds(reader, ["shop", "hr"], *MARIADB)
    assert triggers.kind == "triggers" and "`hr`.*" in triggers.message and "`shop`" not in triggers.message


def test_the_privilege_named_is_the_servers_own():
    none = parse_grants(["GRANT USAGE ON *.* TO `u`@`%`"])
    assert hidden_kinds(none, ["d"], True, (11, 4, 2))[0].privilege == "SHOW ROUTINE"
    assert hidden_kinds(none, ["d"], False, (8, 0, 36))[0].privilege == "SHOW_ROUTINE"
    show_routine = parse_grants(["GRANT SHOW ROUTINE, TRIGGER ON *.* TO `u`@`%`"])
    assert hidden_kinds(show_routine, ["d"], True, (11, 4, 2)) == []
