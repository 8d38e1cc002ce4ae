"""The MySQL/MariaDB introspector against the local MariaDB server.

Every test builds throwaway databases with awkward names and compares the
records object by object, with what is the MySQL family's own (definitions,
enum, set and json columns, ON UPDATE, quirks); what every engine reports of a
schema is the reflection suite's (tests/test_reflection.py).
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager

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
    TargetUnreachable,
    index_part,
)
from engines.mysql import MySQLIntrospector, quote_ident
from tests.targets import mysql_databases, mysql_execute, mysql_params

q = quote_ident


def make_params(database: str, **kw) -> ConnectionParams:
    p = mysql_params()
    base = dict(host=p["host"], port=p["port"], database=database, username=p["username"], password=p["password"])
    base.update(kw)
    return ConnectionParams(**base)


@contextmanager
def backtick_database():
    """A database whose name holds a backquote (tests.targets does not quote names)."""
    name = f"mc_back`tick_{uuid.uuid4().hex[:8]}"
    mysql_execute(f"CREATE DATABASE {q(name)}")
    try:
        yield name
    finally:
        mysql_execute(f"DROP DATABASE IF EXISTS {q(name)}")


# --- the shared target ----------------------------------------------------------------


def target_sql(mixed: str, hyphen: str, space: str, tick: str) -> str:
    return f"""
CREATE TABLE {q(mixed)}.`Parent Table` (
  `Region-Code` varchar(10) NOT NULL,
  `ID` int(11) NOT NULL,
  `label` varchar(50) NOT NULL DEFAULT 'it''s new' COMMENT 'Display label',
  PRIMARY KEY (`Region-Code`, `ID`)
) ENGINE=InnoDB COMMENT='Parents, one per region';

CREATE TABLE {q(mixed)}.`CaseT` (`upper_col` int);
CREATE TABLE {q(mixed)}.`caset` (`lower_col` int, `second` int);
CREATE SEQUENCE {q(mixed)}.`seq_skipped`;
CREATE TABLE {q(mixed)}.`versioned` (`a` int) WITH SYSTEM VERSIONING;

CREATE TABLE {q(hyphen)}.`orders` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `region` varchar(10) NOT NULL,
  `parent_id` int(11) NULL,
  `parent_ref` int(11) NULL,
  `amount` decimal(10,2) NOT NULL DEFAULT 0.00,
  `qty` int(11) DEFAULT 1,
  `status` enum('new','paid','shipped') NOT NULL DEFAULT 'new' COMMENT 'Lifecycle',
  `flags` set('a','b','c') DEFAULT NULL,
  `attrs` json DEFAULT NULL,
  `notes` text,
  `code` varchar(50) NOT NULL,
  `total` decimal(12,2) AS (`amount` * `qty`) VIRTUAL,
  `code_upper` varchar(50) AS (upper(`code`)) STORED COMMENT 'upper-cased code',
  `created_at` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `updated_at` timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_code_region` (`code`, `region`),
  KEY `idx_notes_prefix` (`notes`(20), `region` DESC),
  FULLTEXT KEY `ft_notes` (`notes`),
  CONSTRAINT `fk_parent` FOREIGN KEY (`region`, `parent_id`)
    REFERENCES {q(mixed)}.`Parent Table` (`Region-Code`, `ID`),
  CONSTRAINT `fk_self` FOREIGN KEY (`parent_ref`) REFERENCES `orders` (`id`)
    ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT `chk_amount` CHECK (`amount` >= 0 AND `qty` > 0)
) ENGINE=InnoDB COMMENT='Orders';

CREATE VIEW {q(hyphen)}.`open orders` AS
  SELECT `id`, `code` FROM {q(hyphen)}.`orders` WHERE `status` <> 'shipped';

CREATE TABLE {q(space)}.`we``ird name` (
  `col``q` int(11) NOT NULL,
  `Col Space` varchar(5) DEFAULT 'NULL',
  PRIMARY KEY (`col``q`)
);

CREATE TABLE {q(tick)}.`t` (`a` bigint(20) NOT NULL PRIMARY KEY);
"""


@pytest.fixture(scope="module")
def target():
    with (
        mysql_databases(1, prefix="Mixed Case") as (mixed,),
        mysql_databases(1, prefix="with-hyphen") as (hyphen,),
        mysql_databases(1, prefix="has space") as (space,),
        backtick_database() as tick,
    ):
        mysql_execute(target_sql(mixed, hyphen, space, tick))
        yield {"mixed": mixed, "hyphen": hyphen, "space": space, "tick": tick}


def all_schemas(target) -> list[str]:
    return [target["mixed"], target["hyphen"], target["space"], target["tick"]]


@pytest.fixture(scope="module")
def described(target):
    """Every table of the target, described in one batch, by (schema, name)."""
    params = make_params(target["mixed"], options={"include_schemas": all_schemas(target)})
    with MySQLIntrospector(params) as intro:
        refs = intro.list_tables()
        tables = intro.describe(refs)
    return {(t.schema, t.name): t for t in tables}


# --- listing ------------------------------------------------------------------------


def test_list_tables_over_several_databases_in_order(target):
    params = make_params(target["mixed"], options={"include_schemas": all_schemas(target)})
    with MySQLIntrospector(params) as intro:
        refs = intro.list_tables()
    m, h, s, t = target["mixed"], target["hyphen"], target["space"], target["tick"]
    expected = [
        TableRef(m, "CaseT", "table"),
        TableRef(m, "Parent Table", "table"),
        TableRef(m, "caset", "table"),
        TableRef(m, "versioned", "table"),  # system-versioned is a table; the sequence is skipped
        TableRef(h, "open orders", "view"),
        TableRef(h, "orders", "table"),
        TableRef(s, "we`ird name", "table"),
        TableRef(t, "t", "table"),
    ]
    assert refs == sorted(expected, key=lambda r: (r.schema, r.name))


def test_list_tables_defaults_to_the_connection_database(target):
    with MySQLIntrospector(make_params(target["hyphen"])) as intro:
        assert intro.list_tables() == [
            TableRef(target["hyphen"], "open orders", "view"),
            TableRef(target["hyphen"], "orders", "table"),
        ]


def test_exclude_schemas_and_system_databases(target):
    options = {
        "include_schemas": [
            target["space"],
            target["tick"],
            "mysql",
            "information_schema",
            "performance_schema",
            "sys",
        ],
        "exclude_schemas": [target["tick"]],
    }
    with MySQLIntrospector(make_params(target["mixed"], options=options)) as intro:
        assert intro.list_tables() == [TableRef(target["space"], "we`ird name", "table")]
    with MySQLIntrospector(make_params("mysql")) as intro:
        assert intro.list_tables() == []


# --- describing, object by object -----------------------------------------------------


def test_parent_table(target, described):
    t = described[(target["mixed"], "Parent Table")]
    assert (t.kind, t.comment) == ("table", "Parents, one per region")
    assert t.row_estimate == 0 and t.size_bytes > 0
    assert t.columns == [
        Column(name="Region-Code", ordinal=1, type="varchar(10)", nullable=False),
        Column(name="ID", ordinal=2, type="int(11)", nullable=False),
        Column(
            name="label", ordinal=3, type="varchar(50)", nullable=False, default="'it''s new'", comment="Display label"
        ),
    ]
    assert t.primary_key == PrimaryKey(name="PRIMARY", columns=["Region-Code", "ID"])
    assert t.foreign_keys == [] and t.constraints == []
    qualified = f"{q(target['mixed'])}.`Parent Table`"
    assert t.indexes == [
        Index(
            name="PRIMARY",
            columns=["Region-Code", "ID"],
            unique=True,
            method="BTREE",
            definition=f"ALTER TABLE {qualified} ADD PRIMARY KEY (`Region-Code`, `ID`) USING BTREE",
            parts=[index_part("Region-Code", direction="asc"), index_part("ID", direction="asc")],
        )
    ]


def test_orders_columns(target, described):
    t = described[(target["hyphen"], "orders")]
    assert (t.kind, t.comment) == ("table", "Orders")
    assert t.columns == [
        Column(name="id", ordinal=1, type="int(11)", nullable=False, identity="auto_increment"),
        Column(name="region", ordinal=2, type="varchar(10)", nullable=False),
        Column(name="parent_id", ordinal=3, type="int(11)", nullable=True),
        Column(name="parent_ref", ordinal=4, type="int(11)", nullable=True),
        Column(name="amount", ordinal=5, type="decimal(10,2)", nullable=False, default="0.00"),
        Column(name="qty", ordinal=6, type="int(11)", nullable=True, default="1"),
        Column(
            name="status",
            ordinal=7,
            type="enum('new','paid','shipped')",
            nullable=False,
            default="'new'",
            comment="Lifecycle",
        ),
        Column(name="flags", ordinal=8, type="set('a','b','c')", nullable=True),
        # MariaDB's json: longtext in binary collation (not the table's default)
        Column(name="attrs", ordinal=9, type="longtext", nullable=True, collation="utf8mb4_bin"),
        Column(name="notes", ordinal=10, type="text", nullable=True),
        Column(name="code", ordinal=11, type="varchar(50)", nullable=False),
        Column(
            name="total",
            ordinal=12,
            type="decimal(12,2)",
            nullable=True,
            generated="`amount` * `qty`",
            generated_storage="virtual",
        ),
        Column(
            name="code_upper",
            ordinal=13,
            type="varchar(50)",
            nullable=True,
            comment="upper-cased code",
            generated="ucase(`code`)",
            generated_storage="stored",
        ),
        Column(name="created_at", ordinal=14, type="timestamp", nullable=False, default="current_timestamp()"),
        Column(name="updated_at", ordinal=15, type="timestamp", nullable=True, on_update="current_timestamp()"),
    ]


def test_orders_keys(target, described):
    t = described[(target["hyphen"], "orders")]
    assert t.primary_key == PrimaryKey(name="PRIMARY", columns=["id"])
    assert t.foreign_keys == [
        ForeignKey(
            name="fk_parent",
            columns=["region", "parent_id"],
            referenced_schema=target["mixed"],
            referenced_table="Parent Table",
            referenced_columns=["Region-Code", "ID"],
            on_update="RESTRICT",
            on_delete="RESTRICT",
            definition=f"FOREIGN KEY (`region`, `parent_id`) REFERENCES `{target['mixed']}`.`Parent Table` "
            "(`Region-Code`, `ID`)",
            validated=True,
            deferrable=False,
            deferred=False,
        ),
        ForeignKey(
            name="fk_self",
            columns=["parent_ref"],
            referenced_schema=target["hyphen"],
            referenced_table="orders",
            referenced_columns=["id"],
            on_update="CASCADE",
            on_delete="SET NULL",
            definition=f"FOREIGN KEY (`parent_ref`) REFERENCES `{target['hyphen']}`.`orders` (`id`) "
            "ON UPDATE CASCADE ON DELETE SET NULL",
            validated=True,
            deferrable=False,
            deferred=False,
        ),
    ]


def test_orders_constraints(target, described):
    t = described[(target["hyphen"], "orders")]
    assert t.constraints == [
        Constraint(name="attrs", type="check", columns=["attrs"], definition="CHECK (json_valid(`attrs`))"),
        Constraint(
            name="chk_amount", type="check", columns=["amount", "qty"], definition="CHECK (`amount` >= 0 and `qty` > 0)"
        ),
        Constraint(
            name="uq_code_region", type="unique", columns=["code", "region"], definition="UNIQUE (`code`, `region`)"
        ),
    ]


def test_orders_indexes(target, described):
    t = described[(target["hyphen"], "orders")]
    on = f"{q(target['hyphen'])}.`orders`"
    assert t.indexes == [
        Index(
            name="PRIMARY",
            columns=["id"],
            unique=True,
            method="BTREE",
            definition=f"ALTER TABLE {on} ADD PRIMARY KEY (`id`) USING BTREE",
            parts=[index_part("id", direction="asc")],
        ),
        # InnoDB creates an index for each foreign key that has none.
        Index(
            name="fk_parent",
            columns=["region", "parent_id"],
            unique=False,
            method="BTREE",
            definition=f"CREATE INDEX `fk_parent` ON {on} (`region`, `parent_id`) USING BTREE",
            parts=[index_part("region", direction="asc"), index_part("parent_id", direction="asc")],
        ),
        Index(
            name="fk_self",
            columns=["parent_ref"],
            unique=False,
            method="BTREE",
            definition=f"CREATE INDEX `fk_self` ON {on} (`parent_ref`) USING BTREE",
            parts=[index_part("parent_ref", direction="asc")],
        ),
        Index(
            name="ft_notes",
            columns=["notes"],
            unique=False,
            method="FULLTEXT",
            definition=f"CREATE FULLTEXT INDEX `ft_notes` ON {on} (`notes`)",
            parts=[index_part("notes")],
        ),
        Index(
            name="idx_notes_prefix",
            columns=["notes", "region"],
            unique=False,
            method="BTREE",
            definition=f"CREATE INDEX `idx_notes_prefix` ON {on} (`notes`(20), `region` DESC) USING BTREE",
            parts=[index_part("notes", prefix_length=20, direction="asc"), index_part("region", direction="desc")],
        ),
        Index(
            name="uq_code_region",
            columns=["code", "region"],
            unique=True,
            method="BTREE",
            definition=f"CREATE UNIQUE INDEX `uq_code_region` ON {on} (`code`, `region`) USING BTREE",
            parts=[index_part("code", direction="asc"), index_part("region", direction="asc")],
        ),
    ]


def test_view(target, described):
    v = described[(target["hyphen"], "open orders")]
    assert (v.kind, v.comment, v.row_estimate, v.size_bytes) == ("view", None, None, None)
    assert v.columns == [
        Column(name="id", ordinal=1, type="int(11)", nullable=False, default="0"),
        Column(name="code", ordinal=2, type="varchar(50)", nullable=False),
    ]
    assert (v.primary_key, v.foreign_keys, v.indexes, v.constraints) == (None, [], [], [])


def test_names_with_backquotes_and_spaces(target, described):
    t = described[(target["space"], "we`ird name")]
    assert t.columns == [
        Column(name="col`q", ordinal=1, type="int(11)", nullable=False),
        Column(name="Col Space", ordinal=2, type="varchar(5)", nullable=True, default="'NULL'"),
    ]
    assert t.primary_key == PrimaryKey(name="PRIMARY", columns=["col`q"])
    assert t.indexes[0].definition == (
        f"ALTER TABLE {q(target['space'])}.`we``ird name` ADD PRIMARY KEY (`col``q`) USING BTREE"
    )
    tick = described[(target["tick"], "t")]
    assert tick.columns == [Column(name="a", ordinal=1, type="bigint(20)", nullable=False)]
    assert tick.indexes[0].definition == f"ALTER TABLE {q(target['tick'])}.`t` ADD PRIMARY KEY (`a`) USING BTREE"


def test_tables_differing_only_in_case_stay_apart(target):
    m = target["mixed"]
    with MySQLIntrospector(make_params(m)) as intro:
        only_upper = intro.describe([TableRef(m, "CaseT", "table")])
        both = intro.describe([TableRef(m, "caset", "table"), TableRef(m, "CaseT", "table")])
    assert [(t.name, [c.name for c in t.columns]) for t in only_upper] == [("CaseT", ["upper_col"])]
    assert [(t.name, [c.name for c in t.columns]) for t in both] == [
        ("caset", ["lower_col", "second"]),
        ("CaseT", ["upper_col"]),
    ]


def test_describe_keeps_batch_order_and_tolerates_unknown_tables(target):
    h, m = target["hyphen"], target["mixed"]
    refs = [
        TableRef(h, "orders", "table"),
        TableRef(m, "no such table", "table"),
        TableRef(m, "Parent Table", "table"),
        TableRef(m, "seq_skipped", "table"),
    ]
    with MySQLIntrospector(make_params(m)) as intro:
        tables = intro.describe(refs)
        assert intro.describe([]) == []
    assert [(t.schema, t.name) for t in tables] == [(h, "orders"), (m, "Parent Table")]


def test_impossible_names_match_nothing(target):
    h = target["hyphen"]
    options = {"include_schemas": ["db😀", h]}
    with MySQLIntrospector(make_params(h, options=options)) as intro:
        assert [r.name for r in intro.list_tables()] == ["open orders", "orders"]
        assert intro.describe([TableRef("db😀", "t", "table")]) == []
        tables = intro.describe([TableRef(h, "t😀", "table"), TableRef(h, "orders", "table")])
    assert [t.name for t in tables] == ["orders"]


def test_table_dropped_after_listing_is_absent():
    with mysql_databases(1) as (db,):
        mysql_execute(
            "CREATE TABLE keep_me (a int); CREATE TABLE drop_me (b int);CREATE VIEW v_on_drop AS SELECT b FROM drop_me",
            db,
        )
        with MySQLIntrospector(make_params(db)) as intro:
            refs = intro.list_tables()
            assert [r.name for r in refs] == ["drop_me", "keep_me", "v_on_drop"]
            mysql_execute("DROP TABLE drop_me", db)
            tables = intro.describe(refs)
    # The view is still there, broken: it is described without columns or comment.
    assert [t.name for t in tables] == ["keep_me", "v_on_drop"]
    assert tables[1].kind == "view" and tables[1].comment is None and tables[1].columns == []


def test_system_versioned_table_is_a_table(target, described):
    t = described[(target["mixed"], "versioned")]
    assert t.kind == "table"
    assert [c.name for c in t.columns] == ["a"]


# --- bulk ---------------------------------------------------------------------------


def generated_tables_sql(count: int) -> str:
    stmts = []
    for i in range(count):
        stmts.append(
            f"CREATE TABLE `gen_{i:04d}` (`id` bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, "
            f"`name` varchar(100) NOT NULL DEFAULT 'x', `amount` decimal(12,2), `qty` int DEFAULT 0, "
            f"`note` text COMMENT 'note {i}', `created_at` datetime DEFAULT current_timestamp(), "
            f"`flag` tinyint(1) NOT NULL DEFAULT 0, `ref` bigint, `code` char(8), `payload` json, "
            f"UNIQUE KEY `uq_name` (`name`), KEY `ix_ref` (`ref`)"
            + (f", CONSTRAINT `fk_{i}` FOREIGN KEY (`ref`) REFERENCES `gen_{i - 1:04d}` (`id`)" if i else "")
            + f") COMMENT='generated {i}';"
        )
    return "\n".join(stmts)


def test_describe_1200_tables_with_a_bounded_number_of_queries(monkeypatch):
    with mysql_databases(1, prefix="mc_bulk") as (db,):
        mysql_execute(generated_tables_sql(1200), db)
        with MySQLIntrospector(make_params(db)) as intro:
            refs = intro.list_tables()
            assert len(refs) == 1200

            calls = []
            original = pymysql.cursors.Cursor.execute

            def counting(self, query, args=None):
                calls.append(query)
                return original(self, query, args)

            monkeypatch.setattr(pymysql.cursors.Cursor, "execute", counting)
            tables = intro.describe(refs)
            monkeypatch.undo()

    assert len(calls) <= 8, calls
    assert [t.name for t in tables] == [r.name for r in refs]
    for i, t in enumerate(tables):
        assert t.comment == f"generated {i}"
        assert [c.ordinal for c in t.columns] == list(range(1, 11))
        assert t.columns[4].comment == f"note {i}"
        assert t.primary_key == PrimaryKey(name="PRIMARY", columns=["id"])
        assert len(t.foreign_keys) == (1 if i else 0)
        assert {x.name for x in t.indexes} >= {"PRIMARY", "uq_name", "ix_ref"}
    assert tables[5].foreign_keys == [
        ForeignKey(
            name="fk_5",
            columns=["ref"],
            referenced_schema=db,
            referenced_table="gen_0004",
            referenced_columns=["id"],
            on_update="RESTRICT",
            on_delete="RESTRICT",
            definition=f"FOREIGN KEY (`ref`) REFERENCES `{db}`.`gen_0004` (`id`)",
            validated=True,
            deferrable=False,
            deferred=False,
        )
    ]


# --- failures -----------------------------------------------------------------------


def test_unreachable_port():
    params = make_params("test", port=1, connect_timeout=3)
    with pytest.raises(TargetUnreachable) as info:
        MySQLIntrospector(params).connect()
    assert str(info.value) == f"could not connect to {params.host}:1: connection refused"


def test_hostaddr_is_used_and_host_named_in_messages():
    with mysql_databases(1) as (db,):
        mysql_execute("CREATE TABLE t (a int)", db)
        params = make_params(db, host="db.invalid", hostaddr=mysql_params()["host"])
        with MySQLIntrospector(params) as intro:
            assert [r.name for r in intro.list_tables()] == ["t"]
    params = make_params("test", host="db.invalid", hostaddr="127.0.0.1", port=1)
    with pytest.raises(TargetUnreachable, match=r"could not connect to db\.invalid:1: connection refused"):
        MySQLIntrospector(params).connect()


@contextmanager
def mysql_user(password: str):
    name = f"mc_x_{uuid.uuid4().hex[:8]}"
    mysql_execute(
        f"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}';"
        f"CREATE USER '{name}'@'localhost' IDENTIFIED BY '{password}'"
    )
    try:
        yield name
    finally:
        mysql_execute(f"DROP USER IF EXISTS '{name}'@'%'; DROP USER IF EXISTS '{name}'@'localhost'")


SECRET = "Tr0ub4dor&3-secret"


def test_wrong_password():
    with mysql_user(SECRET) as user:
        params = make_params("test", username=user, password=SECRET + "-wrong")
        with pytest.raises(TargetAuthFailed) as info:
            MySQLIntrospector(params).connect()
    message = str(info.value)
    assert message == (
        f"authentication failed for user {user} on {params.host}:{params.port}: check the user name and password"
    )
    assert SECRET not in message and SECRET not in repr(info.value)


def test_user_with_password_can_crawl_what_it_may_see():
    with mysql_user(SECRET) as user, mysql_databases(1) as (db,):
        mysql_execute(
            f"CREATE TABLE t (a int); GRANT SELECT ON {q(db)}.* TO '{user}'@'%';"
            f"GRANT SELECT ON {q(db)}.* TO '{user}'@'localhost'",
            db,
        )
        with MySQLIntrospector(make_params(db, username=user, password=SECRET)) as intro:
            tables = intro.describe(intro.list_tables())
    assert [(t.name, [c.name for c in t.columns]) for t in tables] == [("t", ["a"])]


def test_missing_database():
    with pytest.raises(TargetDatabaseMissing, match="mc_no_such_db_4711"):
        MySQLIntrospector(make_params("mc_no_such_db_4711")).connect()


def test_session_is_read_only():
    with mysql_databases(1) as (db,):
        mysql_execute("CREATE TABLE t (a int)", db)
        with MySQLIntrospector(make_params(db)) as intro:
            for sql in ("INSERT INTO t VALUES (1)", "CREATE TABLE t2 (b int)", "DROP TABLE t"):
                with pytest.raises(TargetError, match="READ ONLY"):
                    intro._query(sql)
            assert intro._query("SELECT @@session.tx_read_only") == [(1,)]
        conn = pymysql.connect(host=mysql_params()["host"], user="root", database=db)
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW TABLES")
                assert cur.fetchall() == (("t",),)
                cur.execute("SELECT count(*) FROM t")
                assert cur.fetchall() == ((0,),)
        finally:
            conn.close()


def test_local_infile_is_off(tmp_path):
    data = tmp_path / "rows.csv"
    data.write_text("1\n2\n")
    with mysql_databases(1) as (db,):
        mysql_execute("CREATE TABLE t (a int)", db)
        with MySQLIntrospector(make_params(db)) as intro:
            assert not intro._conn.client_flag & pymysql.constants.CLIENT.LOCAL_FILES
            assert intro._conn._local_infile is False
            with pytest.raises(TargetError):
                intro._query(f"LOAD DATA LOCAL INFILE '{data}' INTO TABLE t")
            assert intro._query("SELECT count(*) FROM t") == [(0,)]


def test_no_multi_statements():
    with MySQLIntrospector(make_params("test")) as intro, pytest.raises(TargetError):
        intro._query("SELECT 1; SELECT 2")


def test_ssl_required_but_not_offered():
    with pytest.raises(TargetUnreachable, match="sslmode"):
        MySQLIntrospector(make_params("test", options={"sslmode": "require"})).connect()


def test_lost_connection_is_reconnected_once():
    with MySQLIntrospector(make_params("test")) as intro:
        first_id = intro._query("SELECT CONNECTION_ID()")[0][0]
        mysql_execute(f"KILL {first_id}")
        time.sleep(0.5)
        assert intro._query("SELECT 1") == [(1,)]
        assert intro._query("SELECT CONNECTION_ID()")[0][0] != first_id
        assert intro._query("SELECT @@session.tx_read_only") == [(1,)]  # the new session is set up too


@pytest.mark.parametrize("with_wildcard_account", [True, False])
def test_unknown_user_is_an_authentication_failure(with_wildcard_account):
    """Issue 10: an unknown user is refused with 1045 when some account
    name@'%' exists and with 1698 when none does; both mean "check the user
    name and password", not an unreachable server."""
    account = f"mc_some_{uuid.uuid4().hex[:8]}"
    if with_wildcard_account:
        mysql_execute(f"CREATE USER '{account}'@'%' IDENTIFIED BY 'whatever-1'")
    try:
        params = make_params("test", username=f"mc_unknown_{uuid.uuid4().hex[:8]}", password=SECRET)
        with pytest.raises(TargetAuthFailed) as info:
            MySQLIntrospector(params).connect()
    finally:
        mysql_execute(f"DROP USER IF EXISTS '{account}'@'%'")
    assert str(info.value).endswith("check the user name and password")
    assert info.value.type == "authentication_failed" and SECRET not in str(info.value)


def test_password_never_in_any_error():
    with mysql_user(SECRET) as user:
        mysql_execute(f"GRANT SELECT ON `test`.* TO '{user}'@'%'; GRANT SELECT ON `test`.* TO '{user}'@'localhost'")
        failing = [
            make_params("test", username=user, password=SECRET, port=1),
            make_params("mc_no_such_db_4711", username=user, password=SECRET),
            make_params("test", username=user, password=SECRET + "x"),
            make_params("test", username="mc_nobody_4711", password=SECRET),
        ]
        errors = []
        for params in failing:
            with pytest.raises(TargetError) as info, MySQLIntrospector(params) as intro:
                intro.list_tables()
            errors.append(info.value)
        with MySQLIntrospector(make_params("test", username=user, password=SECRET, statement_timeout=1)) as intro:
            for sql in (f"SELECT SLEEP(2), '{SECRET}'", f"SELECT * FROM `{SECRET}`", f"SELECT {SECRET}"):
                with pytest.raises(TargetError) as info:
                    intro._query(sql)
                errors.append(info.value)
    assert [type(e).__name__ for e in errors] == [
        "TargetUnreachable",
        "TargetAuthFailed",
        "TargetAuthFailed",
        "TargetAuthFailed",
        "TargetTimeout",
        "TargetError",
        "TargetError",
    ]
    for e in errors:
        assert SECRET not in str(e) and SECRET not in repr(e) and SECRET not in e.message
        assert e.__cause__ is None and e.__suppress_context__
