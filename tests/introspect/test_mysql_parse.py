"""The MySQL/MariaDB introspector's pure functions: rows in, records out, no server."""

from __future__ import annotations

import ssl

import pymysql
import pytest

from engines.base import (
    Column,
    ConnectionParams,
    Constraint,
    ForeignKey,
    Index,
    PrimaryKey,
    TableRef,
    TargetAuthFailed,
    TargetDatabaseMissing,
    TargetError,
    TargetStalled,
    TargetTimeout,
    TargetUnreachable,
    index_part,
)
from engines.mysql import (
    Server,
    batch_filter,
    check_from_row,
    column_from_row,
    connect_error,
    connect_kwargs,
    crawled_schemas,
    details_from_row,
    identifiers_in,
    index_definition,
    index_part_sql,
    indexes_from_rows,
    keys_from_rows,
    normalise_default,
    on_update_of,
    only_batch,
    parse_server_version,
    part_from_row,
    possible_name,
    query_error,
    quote_ident,
    quote_literal,
    read_bound,
    rules_from_rows,
    session_statements,
    sort_refs,
    split_keys,
    ssl_kwargs,
    statistics_sql,
    table_ref_from_row,
)

MARIADB = Server(mariadb=True, version=(10, 11, 19))
MYSQL8 = Server(mariadb=False, version=(8, 0, 36))


def params(**kw) -> ConnectionParams:
    base = dict(host="db.example", port=3306, database="shop", username="x", password="s3cr3t-Pw")
    base.update(kw)
    return ConnectionParams(**base)


# --- server version -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5.5.5-10.11.19-MariaDB-0+deb12u1", Server(True, (10, 11, 19))),
        ("11.4.2-MariaDB-log", Server(True, (11, 4, 2))),
        ("8.0.36", Server(False, (8, 0, 36))),
        ("8.0.36-0ubuntu0.22.04.1", Server(False, (8, 0, 36))),
        ("5.7.44-log", Server(False, (5, 7, 44))),
        ("garbage", Server(False, (0, 0, 0))),
    ],
)
def test_parse_server_version(text, expected):
    assert parse_server_version(text) == expected


def test_server_differences():
    assert MARIADB.quoted_defaults and not MYSQL8.quoted_defaults
    assert not Server(True, (10, 2, 6)).quoted_defaults
    assert MARIADB.has_check_constraints and MYSQL8.has_check_constraints
    assert not Server(False, (8, 0, 15)).has_check_constraints
    assert not Server(True, (10, 2, 30)).has_check_constraints
    assert MYSQL8.has_index_expressions and not MARIADB.has_index_expressions
    assert "EXPRESSION" in statistics_sql(MYSQL8)
    assert "EXPRESSION" not in statistics_sql(MARIADB)


# --- schemas and batch filters ------------------------------------------------------


def test_crawled_schemas_defaults_to_the_database():
    assert crawled_schemas(params()) == ["shop"]


def test_crawled_schemas_include_exclude_and_system():
    p = params(
        options={
            "include_schemas": ["b", "a", "mysql", "SYS", "Information_Schema", "performance_schema", "c", "a"],
            "exclude_schemas": ["c"],
        }
    )
    assert crawled_schemas(p) == ["b", "a"]
    assert crawled_schemas(params(database="mysql")) == []
    assert crawled_schemas(params(options={"include_schemas": "only"})) == ["only"]
    assert crawled_schemas(params(options={"exclude_schemas": ["shop"]})) == []


def test_names_beyond_the_bmp_cannot_exist():
    assert possible_name("Mixed Case-`x`") and possible_name("é✓")
    assert not possible_name("db😀") and not possible_name("")
    assert crawled_schemas(params(options={"include_schemas": ["db😀", "ok"]})) == ["ok"]


def test_crawled_schemas_rejects_non_lists():
    with pytest.raises(TargetError, match="include_schemas"):
        crawled_schemas(params(options={"include_schemas": [1, 2]}))


def test_batch_filter_binds_every_name():
    refs = [TableRef("b", "t2", "table"), TableRef("a", "t1", "table"), TableRef("b", "t1", "view")]
    sql, args = batch_filter(refs, "CONSTRAINT_SCHEMA")
    assert sql == "CONSTRAINT_SCHEMA IN (%s, %s) AND TABLE_NAME IN (%s, %s)"
    assert args == ["a", "b", "t1", "t2"]
    sql, _ = batch_filter(refs, collate=MARIADB.name_collate)
    assert sql == ("TABLE_SCHEMA COLLATE utf8mb3_bin IN (%s, %s) AND TABLE_NAME COLLATE utf8mb3_bin IN (%s, %s)")
    assert MYSQL8.name_collate == ""


def test_only_batch_keeps_exact_keys():
    rows = [("a", "t1", 1), ("a", "T1", 2), ("b", "t1", 3), ("a", "t2", 4)]
    assert only_batch(rows, {("a", "t1"), ("a", "t2")}) == [("a", "t1", 1), ("a", "t2", 4)]


# --- tables -------------------------------------------------------------------------


def test_table_ref_kinds():
    assert table_ref_from_row(("s", "t", "BASE TABLE")) == TableRef("s", "t", "table")
    assert table_ref_from_row(("s", "t", "SYSTEM VERSIONED")) == TableRef("s", "t", "table")
    assert table_ref_from_row(("s", "v", "VIEW")) == TableRef("s", "v", "view")
    assert table_ref_from_row(("s", "q", "SEQUENCE")) is None
    assert table_ref_from_row(("s", "tmp", "TEMPORARY")) is None


def test_sort_refs_by_code_point():
    refs = [
        TableRef("b", "a", "table"),
        TableRef("a", "b", "table"),
        TableRef("a", "B", "table"),
        TableRef("B", "z", "table"),
    ]
    assert [(r.schema, r.name) for r in sort_refs(refs)] == [("B", "z"), ("a", "B"), ("a", "b"), ("b", "a")]


def test_details_of_a_table():
    key, d = details_from_row(("s", "t", "BASE TABLE", "Orders table", 120, 16384, 32768))
    assert key == ("s", "t")
    assert d == {
        "kind": "table",
        "comment": "Orders table",
        "row_estimate": 120,
        "row_estimate_source": "statistics",
        "size_bytes": 49152,
    }


def test_details_empty_comment_and_missing_stats():
    _, d = details_from_row(("s", "t", "BASE TABLE", "", None, None, None))
    assert d == {"kind": "table", "comment": None, "row_estimate": None, "size_bytes": None} | {
        "row_estimate_source": None
    }


def test_details_of_views_never_have_a_comment():
    view = {"kind": "view", "comment": None, "row_estimate": None, "size_bytes": None}
    view["row_estimate_source"] = "not_applicable"
    for comment in ("VIEW", "view", ""):
        _, d = details_from_row(("s", "v", "VIEW", comment, None, None, None))
        assert d == view


def test_a_broken_view_carries_the_engines_error_as_a_warning():
    error = "View 's.v' references invalid table(s) or column(s) or function(s) or definer/invoker of view lack rights"
    _, d = details_from_row(("s", "v", "VIEW", error, None, None, None))
    assert d["comment"] is None and d["warnings"] == [error]


def test_activity_row_reads_update_time_as_utc():
    from datetime import UTC, datetime

    from engines.mysql import activity_from_row

    read_at = datetime(2026, 12, 3, tzinfo=UTC)
    key, a = activity_from_row(("s", "t", 1764979200), read_at)
    assert key == ("s", "t") and a.read_at == read_at
    assert a.last_update_at == datetime(2025, 12, 6, tzinfo=UTC) and a.rows_inserted is None
    assert activity_from_row(("s", "t", None), read_at)[1].last_update_at is None


def test_details_skip_sequences():
    assert details_from_row(("s", "q", "SEQUENCE", "", 1, 16384, 0)) is None


# --- defaults and columns -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, None),  # NOT NULL without a default
        ("NULL", None),  # nullable without a default, or DEFAULT NULL
        ("'NULL'", "'NULL'"),  # the string 'NULL'
        ("'abc'", "'abc'"),
        ("'it''s'", "'it''s'"),
        ("0", "0"),
        ("0.00", "0.00"),
        ("current_timestamp()", "current_timestamp()"),
        ("(1 + 2)", "(1 + 2)"),
        ("b'101'", "b'101'"),
    ],
)
def test_mariadb_defaults(raw, expected):
    assert normalise_default(raw, "", "varchar", quoted_defaults=True) == expected


@pytest.mark.parametrize(
    "raw, extra, data_type, expected",
    [
        (None, "", "varchar", None),
        ("abc", "", "varchar", "'abc'"),
        ("it's", "", "varchar", "'it''s'"),
        ("a\\b", "", "varchar", "'a\\\\b'"),
        ("NULL", "", "varchar", "'NULL'"),  # MySQL reports no default as SQL NULL, so this is the string
        ("", "", "varchar", "''"),
        ("0", "", "int", "0"),
        ("1.50", "", "decimal", "1.50"),
        ("b'101'", "", "bit", "b'101'"),
        ("0x6162", "", "varbinary", "0x6162"),
        ("new", "", "enum", "'new'"),
        ("2020-01-01", "", "date", "'2020-01-01'"),
        ("CURRENT_TIMESTAMP", "DEFAULT_GENERATED", "timestamp", "CURRENT_TIMESTAMP"),
        ("CURRENT_TIMESTAMP", "", "datetime", "CURRENT_TIMESTAMP"),  # MySQL 5.7
        ("(rand() * 10)", "DEFAULT_GENERATED", "double", "(rand() * 10)"),
    ],
)
def test_mysql_defaults_are_quoted_like_mariadb(raw, extra, data_type, expected):
    assert normalise_default(raw, extra, data_type, quoted_defaults=False) == expected


def test_quote_literal():
    assert quote_literal("it's a\\b") == "'it''s a\\\\b'"


def col_row(**kw):
    row = dict(
        schema="s",
        table="t",
        name="c",
        ordinal=1,
        type="int(11)",
        nullable="YES",
        default="NULL",
        extra="",
        gen=None,
        comment="",
        data_type="int",
    )
    row.update(kw)
    return tuple(row.values())


def test_plain_column():
    key, col = column_from_row(col_row())
    assert key == ("s", "t")
    assert col == Column(name="c", ordinal=1, type="int(11)", nullable=True)


def test_column_with_everything():
    _, col = column_from_row(
        col_row(
            name="Status Code",
            ordinal=7,
            type="enum('a','b')",
            nullable="NO",
            default="'a'",
            comment="Lifecycle",
            data_type="enum",
        )
    )
    assert col == Column(
        name="Status Code", ordinal=7, type="enum('a','b')", nullable=False, default="'a'", comment="Lifecycle"
    )


def test_auto_increment_column():
    _, col = column_from_row(col_row(nullable="NO", default=None, extra="auto_increment"))
    assert col.identity == "auto_increment" and col.default is None


@pytest.mark.parametrize(
    "extra, gen_expr, default",
    [
        ("VIRTUAL GENERATED", "`a` * 2", "NULL"),  # MariaDB
        ("STORED GENERATED", "upper(`code`)", None),  # MariaDB / MySQL
    ],
)
def test_generated_column(extra, gen_expr, default):
    _, col = column_from_row(col_row(extra=extra, gen=gen_expr, default=default))
    assert col.generated == gen_expr and col.default is None and col.identity is None


def test_mysql_empty_generation_expression_means_not_generated():
    _, col = column_from_row(
        col_row(gen="", default="abc", data_type="varchar", type="varchar(5)"), quoted_defaults=False
    )
    assert col.generated is None and col.default == "'abc'"


def test_bytes_from_mysql8_are_decoded():
    _, col = column_from_row(col_row(type=b"varchar(5)", comment=b"note", data_type="varchar"))
    assert col.type == "varchar(5)" and col.comment == "note"


# --- keys ---------------------------------------------------------------------------


def kcu(table, name, pos, col, ref_schema=None, ref_table=None, ref_col=None, schema="s"):
    return (schema, table, name, pos, col, ref_schema, ref_table, ref_col)


def test_keys_from_rows():
    rows = [
        kcu("t", "PRIMARY", 2, "b"),
        kcu("t", "PRIMARY", 1, "a"),
        kcu("t", "uq", 1, "z"),
        kcu("t", "uq", 2, "y"),
        kcu("t", "fk", 2, "p2", "other db", "Parent", "Q2"),
        kcu("t", "fk", 1, "p1", "other db", "Parent", "Q1"),
        kcu("t", "fk_self", 1, "parent_id", "s", "t", "a"),
    ]
    rules = rules_from_rows([("s", "t", "fk", "RESTRICT", "CASCADE"), ("s", "t", "fk_self", "CASCADE", "SET NULL")])
    pks, fks, others = split_keys(keys_from_rows(rows, rules))
    assert pks == [(("s", "t"), PrimaryKey(name="PRIMARY", columns=["a", "b"]))]
    assert sorted(fks, key=lambda kv: kv[1].name) == [
        (
            ("s", "t"),
            ForeignKey(
                name="fk",
                columns=["p1", "p2"],
                referenced_schema="other db",
                referenced_table="Parent",
                referenced_columns=["Q1", "Q2"],
                on_update="RESTRICT",
                on_delete="CASCADE",
                definition="FOREIGN KEY (`p1`, `p2`) REFERENCES `other db`.`Parent` (`Q1`, `Q2`) ON DELETE CASCADE",
                validated=True,
                deferrable=False,
                deferred=False,
            ),
        ),
        (
            ("s", "t"),
            ForeignKey(
                name="fk_self",
                columns=["parent_id"],
                referenced_schema="s",
                referenced_table="t",
                referenced_columns=["a"],
                on_update="CASCADE",
                on_delete="SET NULL",
                definition="FOREIGN KEY (`parent_id`) REFERENCES `s`.`t` (`a`) ON UPDATE CASCADE ON DELETE SET NULL",
                validated=True,
                deferrable=False,
                deferred=False,
            ),
        ),
    ]
    assert others == [
        (("s", "t"), Constraint(name="uq", type="unique", columns=["z", "y"], definition="UNIQUE (`z`, `y`)"))
    ]


def test_same_constraint_name_on_two_tables_stays_apart():
    rows = [kcu("t1", "uq", 1, "a"), kcu("t2", "uq", 1, "b")]
    out = list(keys_from_rows(rows, {}))
    assert [(k, c.columns) for k, c in out] == [(("s", "t1"), ["a"]), (("s", "t2"), ["b"])]


def test_unique_definition_quotes_awkward_names():
    ((_, c),) = keys_from_rows([kcu("t", "u", 1, "we`ird"), kcu("t", "u", 2, "has space")], {})
    assert c.definition == "UNIQUE (`we``ird`, `has space`)"


# --- checks -------------------------------------------------------------------------


def test_identifiers_in():
    assert identifiers_in("`a` > 0 and `b``c` < `a` or json_valid(`x y`)") == ["a", "b`c", "x y"]
    assert identifiers_in("") == []


def test_check_from_row_mariadb():
    key, c = check_from_row(("s", "t", "chk", "`amount` >= 0 and `nope` is null", "YES"), ["id", "amount"])
    assert key == ("s", "t")
    assert c == Constraint(
        name="chk", type="check", columns=["amount"], definition="CHECK (`amount` >= 0 and `nope` is null)"
    )


def test_check_from_row_mysql_not_enforced():
    _, c = check_from_row(("s", "t", "t_chk_1", "(`amount` >= 0)", "NO"), ["amount"])
    assert c.definition == "CHECK ((`amount` >= 0)) NOT ENFORCED"
    assert c.columns == ["amount"]


# --- indexes ------------------------------------------------------------------------


def test_index_part_sql():
    assert index_part_sql(index_part("a", direction="asc")) == "`a`"
    assert index_part_sql(index_part("b`c", prefix_length=10, direction="asc")) == "`b``c`(10)"
    assert index_part_sql(index_part("d", direction="desc")) == "`d` DESC"
    assert index_part_sql(index_part(expression="`a` + 1", direction="asc")) == "(`a` + 1)"
    assert index_part_sql(index_part("ft")) == "`ft`"


def test_part_from_row_ignores_prefix_and_order_of_fulltext_and_spatial():
    # MariaDB reports SUB_PART 32 and COLLATION 'A' for a SPATIAL index; a
    # prefix length there is error 1089.
    assert part_from_row(stat("t", "sp", 1, 1, "loc", sub=32, itype="SPATIAL")) == index_part("loc")
    assert part_from_row(stat("t", "ft", 1, 1, "notes", coll=None, itype="FULLTEXT")) == index_part("notes")
    assert part_from_row(stat("t", "ix", 1, 1, "notes", sub=20, coll="D")) == index_part(
        "notes", prefix_length=20, direction="desc"
    )
    assert part_from_row(stat("t", "fx", 1, 1, None, expr="`a` + 1")) == index_part(
        expression="`a` + 1", direction="asc"
    )


def test_on_update_of():
    assert on_update_of("on update current_timestamp()") == "current_timestamp()"
    assert on_update_of("DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)") == "CURRENT_TIMESTAMP(3)"
    assert on_update_of("on update current_timestamp(), INVISIBLE") == "current_timestamp()"
    assert on_update_of("auto_increment") is None and on_update_of("") is None


@pytest.mark.parametrize(
    "name, unique, index_type, expected",
    [
        ("PRIMARY", True, "BTREE", "ALTER TABLE `my db`.`t-1` ADD PRIMARY KEY (`a`, `b`(10)) USING BTREE"),
        ("uq", True, "BTREE", "CREATE UNIQUE INDEX `uq` ON `my db`.`t-1` (`a`, `b`(10)) USING BTREE"),
        ("ix", False, "BTREE", "CREATE INDEX `ix` ON `my db`.`t-1` (`a`, `b`(10)) USING BTREE"),
        ("hx", False, "HASH", "CREATE INDEX `hx` ON `my db`.`t-1` (`a`, `b`(10)) USING HASH"),
        ("ft", False, "FULLTEXT", "CREATE FULLTEXT INDEX `ft` ON `my db`.`t-1` (`a`, `b`(10))"),
        ("sp", False, "SPATIAL", "CREATE SPATIAL INDEX `sp` ON `my db`.`t-1` (`a`, `b`(10))"),
        ("odd`name", False, None, "CREATE INDEX `odd``name` ON `my db`.`t-1` (`a`, `b`(10))"),
    ],
)
def test_index_definition(name, unique, index_type, expected):
    assert index_definition("my db", "t-1", name, unique, index_type, ["`a`", "`b`(10)"]) == expected


def stat(table, name, non_unique, seq, col, sub=None, coll="A", itype="BTREE", expr=None):
    return ("s", table, name, non_unique, seq, col, sub, coll, itype, expr)


def test_indexes_from_rows():
    rows = [
        stat("t", "PRIMARY", 0, 1, "id"),
        stat("t", "ix", 1, 2, "region", coll="D"),
        stat("t", "ix", 1, 1, "notes", sub=20),
        stat("t", "ft", 1, 1, "notes", coll=None, itype="FULLTEXT"),
        stat("t", "fx", 1, 1, None, expr="`a` + 1"),
        stat("t", "sp", 1, 1, "loc", sub=32, itype="SPATIAL"),
    ]
    got = {idx.name: idx for _, idx in indexes_from_rows(rows)}
    assert got["PRIMARY"] == Index(
        name="PRIMARY",
        columns=["id"],
        unique=True,
        method="BTREE",
        definition="ALTER TABLE `s`.`t` ADD PRIMARY KEY (`id`) USING BTREE",
        parts=[index_part("id", direction="asc")],
    )
    assert got["ix"] == Index(
        name="ix",
        columns=["notes", "region"],
        unique=False,
        method="BTREE",
        definition="CREATE INDEX `ix` ON `s`.`t` (`notes`(20), `region` DESC) USING BTREE",
        parts=[index_part("notes", prefix_length=20, direction="asc"), index_part("region", direction="desc")],
    )
    assert got["ft"] == Index(
        name="ft",
        columns=["notes"],
        unique=False,
        method="FULLTEXT",
        definition="CREATE FULLTEXT INDEX `ft` ON `s`.`t` (`notes`)",
        parts=[index_part("notes")],
    )
    assert got["fx"].columns == ["`a` + 1"]
    assert got["fx"].definition == "CREATE INDEX `fx` ON `s`.`t` ((`a` + 1)) USING BTREE"
    assert got["sp"].definition == "CREATE SPATIAL INDEX `sp` ON `s`.`t` (`loc`)"


def test_quote_ident():
    assert quote_ident("a`b") == "`a``b`"


# --- connection settings ------------------------------------------------------------


def test_connect_kwargs_uses_hostaddr_and_safe_settings():
    kw = connect_kwargs(params(hostaddr="10.0.0.5", connect_timeout=7, statement_timeout=60))
    assert kw["host"] == "10.0.0.5" and kw["port"] == 3306 and kw["database"] == "shop"
    assert kw["local_infile"] is False and kw["client_flag"] == 0 and kw["autocommit"] is True
    assert kw["charset"] == "utf8mb4" and kw["connect_timeout"] == 7
    assert kw["read_timeout"] == kw["write_timeout"] == 7  # the login; later waits: read_bound
    assert read_bound(params(statement_timeout=60)) == 90 and read_bound(params(read_timeout=4.5)) == 5
    assert kw["password"] == b"s3cr3t-Pw"
    assert "read_default_file" not in kw


def test_connect_kwargs_without_hostaddr_and_unicode_password():
    kw = connect_kwargs(params(password="pässwörd✓"))
    assert kw["host"] == "db.example" and kw["password"] == "pässwörd✓".encode()


def test_ssl_modes():
    assert ssl_kwargs("disable", "h") == {"ssl_disabled": True}
    assert ssl_kwargs("prefer", "h") == {} and ssl_kwargs("allow", "h") == {}
    req = ssl_kwargs("require", "h")["ssl"]
    assert req.verify_mode == ssl.CERT_NONE and not req.check_hostname
    ca = ssl_kwargs("verify-ca", "h")["ssl"]
    assert ca.verify_mode == ssl.CERT_REQUIRED and not ca.check_hostname
    full = ssl_kwargs("verify-full", "db.example")["ssl"]
    assert full.verify_mode == ssl.CERT_REQUIRED and full.check_hostname and full.pinned_hostname == "db.example"
    with pytest.raises(TargetError, match="sslmode"):
        ssl_kwargs("bogus", "h")
    assert connect_kwargs(params(options={"sslmode": "disable"}))["ssl_disabled"] is True


def test_session_statements():
    p = params(statement_timeout=30, lock_timeout=5)
    maria = session_statements(MARIADB, p)
    assert maria[0] == ("SET SESSION TRANSACTION READ ONLY", ())
    assert maria[1] == ("SET SESSION max_statement_time = %s", (30.0,))
    assert maria[2] == ("SET SESSION lock_wait_timeout = %s, innodb_lock_wait_timeout = %s", (5, 5))
    mysql = session_statements(MYSQL8, p)
    assert mysql[0] == ("SET SESSION TRANSACTION READ ONLY", ())
    assert mysql[1] == ("SET SESSION max_execution_time = %s", (30000,))


# --- errors -------------------------------------------------------------------------


def op(code, message):
    return pymysql.err.OperationalError(code, message)


@pytest.mark.parametrize(
    "exc, cls, text",
    [
        (
            op(2003, "Can't connect to MySQL server on '10.0.0.5' ([Errno 111] Connection refused)"),
            TargetUnreachable,
            "could not connect to db.example:3306: connection refused",
        ),
        (
            op(2003, "Can't connect to MySQL server on '10.0.0.5' (timed out)"),
            TargetUnreachable,
            "could not connect to db.example:3306: timeout after 10 s",
        ),
        (
            op(2003, "Can't connect to MySQL server on 'db.example' ([Errno -2] Name or service not known)"),
            TargetUnreachable,
            'host name "db.example" could not be resolved',
        ),
        (
            op(2013, "Lost connection to MySQL server during query ([Errno 104] Connection reset by peer)"),
            TargetUnreachable,
            "the server closed the connection",
        ),
        (op(2026, "SSL is required but the server doesn't support it"), TargetUnreachable, "sslmode"),
        (
            op(1045, "Access denied for user 'x'@'10.0.0.9' (using password: YES)"),
            TargetAuthFailed,
            "authentication failed for user x on db.example:3306: check the user name and password",
        ),
        (op(1044, "Access denied for user 'x'@'%' to database 'shop'"), TargetAuthFailed, 'database "shop"'),
        (
            op(1698, "Access denied for user 'x'@'10.0.0.9'"),
            TargetAuthFailed,
            "authentication failed for user x on db.example:3306: check the user name and password",
        ),
        (op(1862, "Your password has expired."), TargetAuthFailed, "password has expired"),
        (op(4151, "Access denied, this account is locked"), TargetAuthFailed, "account is locked"),
        (
            op(1130, "Host '10.0.0.9' is not allowed to connect to this MariaDB server"),
            TargetAuthFailed,
            "does not accept connections",
        ),
        (
            op(1049, "Unknown database 'shop'"),
            TargetDatabaseMissing,
            'database "shop" does not exist on db.example:3306',
        ),
        (op(1040, "Too many connections"), TargetUnreachable, "no free connection slots"),
    ],
)
def test_connect_errors(exc, cls, text):
    err = connect_error(exc, params())
    assert type(err) is cls
    assert text in str(err)
    assert "s3cr3t-Pw" not in str(err)


def test_a_server_silent_after_its_greeting_stalled_the_login():
    timed_out = op(2013, "Lost connection to MySQL server during query (timed out)")
    err = connect_error(timed_out, params(), greeted=True)
    assert type(err) is TargetStalled
    assert str(err) == "the server at db.example:3306 stopped answering: no reply within 10 s while logging in"
    assert type(connect_error(timed_out, params())) is TargetUnreachable  # no greeting: nothing listens there


@pytest.mark.parametrize(
    "exc, cls, text",
    [
        (
            op(1969, "Query execution was interrupted (max_statement_time exceeded)"),
            TargetTimeout,
            "statement timeout after 60 s while listing tables on db.example:3306",
        ),
        (
            op(3024, "Query execution was interrupted, maximum statement execution time exceeded"),
            TargetTimeout,
            "statement timeout after 60 s",
        ),
        (op(1205, "Lock wait timeout exceeded; try restarting transaction"), TargetTimeout, "lock timeout after 5 s"),
        (
            op(2013, "Lost connection to MySQL server during query (timed out)"),
            TargetStalled,
            "the server at db.example:3306 stopped answering: no reply within 90 s while listing tables",
        ),
        (op(2006, "MySQL server has gone away"), TargetUnreachable, "lost the connection"),
        (pymysql.err.InterfaceError(0, ""), TargetUnreachable, "lost the connection"),
        (pymysql.err.ProgrammingError(1142, "SELECT command denied to user 'x'"), TargetError, "permission denied"),
        (op(1049, "Unknown database 'shop'"), TargetDatabaseMissing, 'database "shop" does not exist'),
        (
            pymysql.err.ProgrammingError(1064, "You have an error in your SQL syntax"),
            TargetError,
            "reading the catalog failed while listing tables",
        ),
    ],
)
def test_query_errors(exc, cls, text):
    err = query_error(exc, params(), "listing tables")
    assert type(err) is cls
    assert text in str(err)


def test_password_is_scrubbed_if_echoed():
    exc = op(1064, "syntax error near 's3cr3t-Pw'")
    assert "s3cr3t-Pw" not in str(query_error(exc, params(), "x"))
    exc = op(2003, "Can't connect to MySQL server on 'h' (s3cr3t-Pw)")
    assert "s3cr3t-Pw" not in str(connect_error(exc, params()))
