"""The PostgreSQL introspector's pure parts, without a database: row parsers,
connection settings and error translation (with the real libpq/server texts)."""

from __future__ import annotations

import os

import pytest

from engines.base import (
    Column,
    ConnectionParams,
    Constraint,
    EnumType,
    ForeignKey,
    Index,
    PrimaryKey,
    TableRef,
    TargetAuthFailed,
    TargetDatabaseMissing,
    TargetError,
    TargetTimeout,
    TargetUnreachable,
    index_part,
    scrub,
)
from engines.postgres import (
    add_index_pages,
    build_tables,
    column_from_row,
    connect_error,
    connect_kwargs,
    constraints_from_rows,
    details_from_row,
    enum_from_row,
    index_from_row,
    key_names,
    lost_connection_error,
    query_error,
    schema_filter,
    server_message,
    session_options,
    table_ref_from_row,
)

SECRET = "Zq-9!distinctive-Pw"


def params(**kw) -> ConnectionParams:
    base = dict(host="db.example", port=5432, database="app", username="bob", password=SECRET)
    base.update(kw)
    return ConnectionParams(**base)


# --- list_tables rows ----------------------------------------------------------------


@pytest.mark.parametrize(
    "relkind, kind",
    [
        ("r", "table"),
        ("p", "partitioned_table"),
        ("v", "view"),
        ("m", "materialized_view"),
        ("f", "foreign_table"),
    ],
)
def test_table_ref_kinds(relkind, kind):
    assert table_ref_from_row(("Mixed Case", 'quote"d', relkind)) == TableRef("Mixed Case", 'quote"d', kind)


# --- details rows ----------------------------------------------------------------------


def test_details_of_an_analyzed_table():
    oid, key, d = details_from_row((42, "public", "users", "r", 1234.6, 10, 8192, "People"))
    assert oid == 42 and key == ("public", "users")
    assert d["kind"] == "table" and d["comment"] == "People"
    assert d["row_estimate"] == 1235 and d["row_estimate_source"] == "statistics"
    assert d["size_bytes"] == 10 * 8192


def test_details_of_a_never_analyzed_table_are_unknown():
    # reltuples -1: never vacuumed/analyzed, so relpages (0) says nothing either
    _, _, d = details_from_row((1, "s", "t", "r", -1.0, 0, 8192, None))
    assert d["row_estimate"] is None and d["size_bytes"] is None
    assert d["row_estimate_source"] == "never_analyzed"  # and says so


def test_details_of_view_partitioned_and_foreign_tables():
    _, _, view = details_from_row((1, "s", "v", "v", -1.0, 0, 8192, "a view"))
    assert (view["kind"], view["row_estimate"], view["size_bytes"], view["comment"]) == ("view", None, None, "a view")
    assert view["row_estimate_source"] == "not_applicable"
    _, _, part = details_from_row((2, "s", "p", "p", -1.0, 0, 8192, None))
    assert (part["kind"], part["row_estimate"], part["size_bytes"]) == ("partitioned_table", None, 0)
    _, _, foreign = details_from_row((3, "s", "f", "f", 10.0, 0, 8192, None))
    assert (foreign["kind"], foreign["row_estimate"], foreign["size_bytes"]) == ("foreign_table", 10, None)
    _, _, mat = details_from_row((4, "s", "m", "m", 3.0, 1, 8192, None))
    assert (mat["kind"], mat["row_estimate"], mat["size_bytes"]) == ("materialized_view", 3, 8192)


def test_index_pages_add_to_known_sizes_only():
    _, _, known = details_from_row((1, "s", "t", "r", 5.0, 2, 8192, None))
    add_index_pages(known, 3)
    assert known["size_bytes"] == 5 * 8192
    _, _, unknown = details_from_row((1, "s", "t", "r", -1.0, 0, 8192, None))
    add_index_pages(unknown, 3)
    assert unknown["size_bytes"] is None
    _, _, part = details_from_row((1, "s", "p", "p", -1.0, 0, 8192, None))
    add_index_pages(part, 0)
    assert part["size_bytes"] == 0


# --- columns -----------------------------------------------------------------------------


def test_plain_column_with_default_and_comment():
    oid, col = column_from_row(
        (7, "email", 2, "character varying(50)", False, "'x'::character varying", "", "", "Login e-mail")
    )
    assert oid == 7
    assert col == Column(
        name="email",
        ordinal=2,
        type="character varying(50)",
        nullable=False,
        default="'x'::character varying",
        comment="Login e-mail",
    )


def test_identity_columns():
    _, always = column_from_row((7, "id", 1, "bigint", False, None, "a", "", None))
    _, by_default = column_from_row((7, "no", 2, "integer", False, None, "d", "", None))
    assert always.identity == "always" and always.default is None
    assert by_default.identity == "by default"


def test_generated_column_expression_is_not_a_default():
    _, col = column_from_row((7, "email_lower", 9, "text", True, "lower((email)::text)", "", "s", None))
    assert col.generated == "lower((email)::text)"
    assert col.default is None and col.identity is None


# --- keys, constraints and indexes ----------------------------------------------------------

NAMES = {(7, 1): "id", (7, 2): "region", (7, 3): "order no", (7, 4): "during"}


def test_key_names_keep_key_order_and_expressions():
    assert key_names([3, 2], 7, NAMES) == ["order no", "region"]
    assert key_names([0, 1], 7, NAMES, ["lower(region)", "id"]) == ["lower(region)", "id"]
    assert key_names(None, 7, NAMES) == []


def con_row(
    conoid,
    contype,
    conkey,
    name="c",
    reloid=7,
    parent=0,
    ref=(None, None, None),
    upd=" ",
    dele=" ",
    definition=None,
    expressions=None,
    parent_table=None,
    flags=(True, False, False),  # convalidated, condeferrable, condeferred
):
    return (
        conoid,
        reloid,
        name,
        contype,
        conkey,
        parent,
        *ref,
        upd,
        dele,
        definition,
        expressions,
        parent_table,
        *flags,
    )


def test_primary_key_in_key_order():
    [(oid, pk)] = constraints_from_rows([con_row(100, "p", [3, 2], name="orders_pkey")], NAMES)
    assert oid == 7 and pk == PrimaryKey(name="orders_pkey", columns=["order no", "region"])


@pytest.mark.parametrize(
    "code, action",
    [
        ("a", "NO ACTION"),
        ("r", "RESTRICT"),
        ("c", "CASCADE"),
        ("n", "SET NULL"),
        ("d", "SET DEFAULT"),
    ],
)
def test_foreign_key_actions(code, action):
    definition = 'FOREIGN KEY ("order no", region) REFERENCES sales."Orders"(order_no, region) ON DELETE CASCADE'
    row = con_row(
        101,
        "f",
        [3, 2],
        name="fk",
        ref=("sales", "Orders", ["order_no", "region"]),
        upd=code,
        dele="c",
        definition=definition,
    )
    [(_, fk)] = constraints_from_rows([row], NAMES)
    assert fk == ForeignKey(
        name="fk",
        columns=["order no", "region"],
        referenced_schema="sales",
        referenced_table="Orders",
        referenced_columns=["order_no", "region"],
        on_update=action,
        on_delete="CASCADE",
        definition=definition,
        validated=True,
        deferrable=False,
        deferred=False,
    )


def test_not_valid_and_deferrable_foreign_keys_are_told_apart():
    ref = ("public", "r", ["id"])
    rows = [
        con_row(1, "f", [2], name="plain", ref=ref),
        con_row(2, "f", [2], name="not_valid", ref=ref, flags=(False, False, False)),
        con_row(3, "f", [2], name="deferrable", ref=ref, flags=(True, True, False)),
        con_row(4, "f", [2], name="deferred", ref=ref, flags=(True, True, True)),
    ]
    flags = {fk.name: (fk.validated, fk.deferrable, fk.deferred) for _, fk in constraints_from_rows(rows, NAMES)}
    assert flags == {
        "plain": (True, False, False),
        "not_valid": (False, False, False),
        "deferrable": (True, True, False),
        "deferred": (True, True, True),
    }


def test_unique_check_and_exclusion_constraints():
    rows = [
        con_row(102, "u", [2, 3], name="uq", definition='UNIQUE (region, "order no")'),
        con_row(103, "c", [1], name="ck", definition="CHECK ((id > 0))"),
        con_row(104, "c", None, name="ck_const", definition="CHECK (true)"),
        con_row(
            105,
            "x",
            [0],
            name="ex",
            definition="EXCLUDE USING gist (tsrange(a, b) WITH &&)",
            expressions=["tsrange(a, b)"],
        ),
    ]
    got = [record for _, record in constraints_from_rows(rows, NAMES)]
    assert got == [
        Constraint(name="uq", type="unique", columns=["region", "order no"], definition='UNIQUE (region, "order no")'),
        Constraint(name="ck", type="check", columns=["id"], definition="CHECK ((id > 0))"),
        Constraint(name="ck_const", type="check", columns=[], definition="CHECK (true)"),
        Constraint(
            name="ex",
            type="exclusion",
            columns=["tsrange(a, b)"],
            definition="EXCLUDE USING gist (tsrange(a, b) WITH &&)",
        ),
    ]


def test_internal_clones_of_a_foreign_key_to_a_partitioned_table_are_dropped():
    # Declared FK 200 on table 7 references partitioned table r; PostgreSQL adds
    # 201/202 (parent 200, same table) for r's partitions. Table 8 is a partition
    # of 7 whose copy (203, parent 200 on another table) is a real constraint.
    ref = ("public", "r", ["id"])
    rows = [
        con_row(200, "f", [2], name="t_rid_fkey", ref=ref),
        con_row(201, "f", [2], name="t_rid_fkey1", parent=200, ref=("public", "r1", ["id"])),
        con_row(202, "f", [2], name="t_rid_fkey2", parent=200, ref=("public", "r2", ["id"])),
        con_row(203, "f", [2], name="t_rid_fkey", reloid=8, parent=200, ref=ref),
    ]
    names = {(8, 2): "rid", **NAMES}
    got = [(oid, record.name, record.referenced_table) for oid, record in constraints_from_rows(rows, names)]
    assert got == [(7, "t_rid_fkey", "r"), (8, "t_rid_fkey", "r")]


def test_index_columns_are_key_columns_only_with_expressions():
    row = (
        7,
        "ix",
        False,
        "btree",
        "CREATE INDEX ix ON public.t USING btree (lower(region), id) INCLUDE (during)",
        "(id > 0)",
        [0, 1, 4],
        2,
        ["lower(region)", "id"],
        '[{"nulls": "last", "opclass": "text_pattern_ops", "collation": "C", "direction": "asc"},'
        ' {"nulls": "first", "opclass": null, "collation": null, "direction": "desc"}]',
        3,
    )
    oid, idx = index_from_row(row, NAMES)
    assert oid == 7
    assert idx == Index(
        name="ix",
        columns=["lower(region)", "id"],
        unique=False,
        method="btree",
        definition=row[4],
        predicate="(id > 0)",
        parts=[
            index_part(
                expression="lower(region)", direction="asc", nulls="last", collation="C", opclass="text_pattern_ops"
            ),
            index_part("id", direction="desc", nulls="first"),
        ],
    )


def test_enum_values_in_order():
    assert enum_from_row(("sales", "Status", ["new", "paid"])) == EnumType("sales", "Status", ["new", "paid"])
    assert enum_from_row(("s", "empty", [])).values == []


def test_build_tables_groups_in_batch_order_and_drops_vanished():
    refs = [TableRef("s", "b", "table"), TableRef("s", "gone", "table"), TableRef("s", "a", "view")]
    details = [(1, "s", "a", "v", -1.0, 0, 8192, None), (2, "s", "b", "r", 10.0, 1, 8192, "bee")]
    columns = [
        (2, "y", 2, "text", True, None, "", "", None),
        (2, "x", 1, "integer", False, None, "a", "", None),
        (1, "x", 1, "integer", True, None, "", "", None),
    ]
    constraints = [con_row(300, "p", [1], name="b_pkey", reloid=2)]
    parts = '[{"nulls": "last", "opclass": null, "collation": null, "direction": "asc"}]'
    indexes = [(2, "b_pkey", True, "btree", "CREATE UNIQUE INDEX ...", None, [1], 1, None, parts, 2)]
    tables = build_tables(refs, details, columns, constraints, indexes)
    assert [(t.schema, t.name, t.kind) for t in tables] == [("s", "b", "table"), ("s", "a", "view")]
    b, a = tables
    assert [c.name for c in b.columns] == ["x", "y"]
    assert b.primary_key == PrimaryKey("b_pkey", ["x"])
    assert [i.columns for i in b.indexes] == [["x"]]
    assert b.indexes[0].parts == [index_part("x", direction="asc", nulls="last")]
    assert b.size_bytes == 3 * 8192 and b.row_estimate == 10 and b.comment == "bee"
    assert a.size_bytes is None and a.columns[0].name == "x"


# --- connection settings ---------------------------------------------------------------------


def test_connect_kwargs_defaults():
    kw = connect_kwargs(params())
    assert kw["host"] == "db.example" and kw["port"] == 5432 and kw["dbname"] == "app" and kw["user"] == "bob"
    assert kw["password"] == SECRET
    assert kw["sslmode"] == "prefer" and kw["application_name"] == "metacrawl"
    assert kw["connect_timeout"] == 10
    assert (kw["keepalives"], kw["keepalives_idle"], kw["keepalives_interval"], kw["keepalives_count"]) == (
        1,
        30,
        10,
        3,
    )
    assert "hostaddr" not in kw
    # never the worker's own ~/.pgpass
    assert not os.path.exists(kw["passfile"])
    opts = kw["options"]
    for setting in (
        "default_transaction_read_only=on",
        "statement_timeout=60000",
        "lock_timeout=5000",
        "idle_in_transaction_session_timeout=60000",
        "search_path=public",
    ):
        assert f"-c {setting}" in opts


def test_connect_kwargs_hostaddr_sslmode_and_empty_password():
    kw = connect_kwargs(params(hostaddr="10.0.0.7", password="", options={"sslmode": "verify-full"}))
    assert kw["hostaddr"] == "10.0.0.7" and kw["host"] == "db.example"
    assert kw["sslmode"] == "verify-full"
    # passed as "" (not omitted) so libpq never falls back to the worker's PGPASSWORD
    assert kw["password"] == ""


def test_connect_kwargs_rejects_bad_sslmode_and_host_lists():
    with pytest.raises(TargetError, match="sslmode"):
        connect_kwargs(params(options={"sslmode": "sometimes"}))
    with pytest.raises(TargetError, match="invalid host"):
        connect_kwargs(params(host="a.example,b.example"))


def test_session_options_with_fractional_and_tiny_timeouts():
    opts = session_options(params(statement_timeout=0.25, lock_timeout=0.0001))
    assert "-c statement_timeout=250" in opts and "-c lock_timeout=1" in opts
    assert "-c connect_timeout" not in opts
    assert connect_kwargs(params(connect_timeout=0))["connect_timeout"] == 2


def test_schema_filter():
    assert schema_filter(params()) == {"include": None, "exclude": []}
    assert schema_filter(params(options={"include_schemas": ["a", "B c"], "exclude_schemas": ["x"]})) == {
        "include": ["a", "B c"],
        "exclude": ["x"],
    }
    assert schema_filter(params(options={"include_schemas": [], "exclude_schemas": "x"})) == {
        "include": None,
        "exclude": ["x"],
    }
    with pytest.raises(TargetError, match="include_schemas"):
        schema_filter(params(options={"include_schemas": [1, 2]}))


# --- error translation -------------------------------------------------------------------------

# Real texts of psycopg2.OperationalError from libpq 17 / PostgreSQL 15.
REFUSED = (
    'connection to server at "127.0.0.1", port 1 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?\n"
)
REFUSED_NAMED = (
    'connection to server at "db.example" (10.0.0.7), port 5432 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?\n"
)
TIMEOUT = 'connection to server at "10.0.0.7", port 5432 failed: timeout expired\n'
NO_DB = 'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "app" does not exist\n'
NO_ROLE = 'connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "bob" does not exist\n'
BAD_PASSWORD = (
    'connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "bob"\n'
)
NO_PASSWORD = 'connection to server at "127.0.0.1", port 5432 failed: fe_sendauth: no password supplied\n'
HBA = (
    'connection to server at "127.0.0.1", port 5432 failed: FATAL:  no pg_hba.conf entry for host '
    '"10.1.2.3", user "bob", database "app", no encryption\n'
)
NO_CONNECT = (
    'connection to server at "127.0.0.1", port 5432 failed: FATAL:  permission denied for database "app"\n'
    "DETAIL:  User does not have CONNECT privilege.\n"
)
DNS = 'could not translate host name "db.example" to address: Name or service not known\n'
NO_SSL = 'connection to server at "127.0.0.1", port 5432 failed: server does not support SSL, but SSL was required\n'
NOT_PG = 'connection to server at "10.0.0.7", port 5432 failed: received invalid response to SSL negotiation: H\n'
FULL = 'connection to server at "127.0.0.1", port 5432 failed: FATAL:  sorry, too many clients already\n'
STARTING = 'connection to server at "127.0.0.1", port 5432 failed: FATAL:  the database system is starting up\n'


@pytest.mark.parametrize(
    "message, cls, expected",
    [
        (REFUSED, TargetUnreachable, "could not connect to db.example:5432: connection refused"),
        (REFUSED_NAMED, TargetUnreachable, "could not connect to db.example:5432: connection refused"),
        (TIMEOUT, TargetUnreachable, "could not connect to db.example:5432: timeout after 10 s"),
        (NO_DB, TargetDatabaseMissing, 'database "app" does not exist on db.example:5432'),
        (
            NO_ROLE,
            TargetAuthFailed,
            'authentication failed for user "bob" on db.example:5432: role "bob" does not exist',
        ),
        (BAD_PASSWORD, TargetAuthFailed, 'authentication failed for user "bob" on db.example:5432'),
        (
            NO_PASSWORD,
            TargetAuthFailed,
            'authentication failed for user "bob" on db.example:5432: the server requires a password',
        ),
        (HBA, TargetAuthFailed, "pg_hba.conf"),
        (NO_CONNECT, TargetAuthFailed, "CONNECT privilege"),
        (DNS, TargetUnreachable, 'host name "db.example" could not be resolved'),
        (NO_SSL, TargetUnreachable, "does not support SSL"),
        (NOT_PG, TargetUnreachable, "does not speak the PostgreSQL protocol"),
        (FULL, TargetUnreachable, "no free connection slots"),
        (STARTING, TargetUnreachable, "could not connect to db.example:5432: the database system is starting up"),
    ],
)
def test_connect_error_mapping(message, cls, expected):
    err = connect_error(message, params())
    assert type(err) is cls
    assert expected in str(err)
    assert "connection to server at" not in str(err) and "FATAL" not in str(err)


def test_connect_error_never_carries_the_password():
    # Even if a message echoed the password or a DSN, it is scrubbed.
    leaky = f"invalid connection option: host=x password={SECRET} dbname=app"
    err = connect_error(leaky, params())
    assert SECRET not in str(err) and SECRET not in repr(err.args)
    err = connect_error(f'FATAL:  role "{SECRET}" does not exist', params(username=SECRET))
    assert SECRET not in str(err)


def test_query_errors():
    p = params(statement_timeout=60, lock_timeout=5)
    err = query_error("57014", "canceling statement due to statement timeout\n", p, "describing 500 tables")
    assert type(err) is TargetTimeout
    assert str(err).startswith("statement timeout after 60 s while reading the catalog (describing 500 tables)")
    err = query_error("55P03", "canceling statement due to lock timeout\n", p, "listing tables")
    assert type(err) is TargetTimeout and "lock timeout after 5 s" in str(err)
    err = query_error("57014", "canceling statement due to user request\n", p, "listing tables")
    assert type(err) is TargetError
    err = query_error("42501", "permission denied for table pg_authid\n", p, "listing tables")
    assert type(err) is TargetError and "permission denied for table pg_authid" in str(err)
    err = query_error("XX000", f"ERROR:  something odd near password={SECRET}\n", p, "listing tables")
    assert type(err) is TargetError and "something odd" in str(err) and SECRET not in str(err)


def test_lost_connection_error():
    err = lost_connection_error(
        "terminating connection due to administrator command\nSSL connection has been closed unexpectedly\n",
        params(),
        "describing 3 tables",
    )
    assert type(err) is TargetUnreachable
    assert str(err) == (
        "lost the connection to db.example:5432 while reading the catalog (describing 3 tables): "
        "terminating connection due to administrator command"
    )


def test_scrub_and_server_message():
    assert scrub("dsn: host=h password='a b\\'c' user=u", None) == "dsn: host=h password=*** user=u"
    assert scrub("x PASSWORD = hunter2 y", None) == "x password=*** y"
    assert scrub(f"left {SECRET} right", SECRET) == "left *** right"
    # whole tokens and quoted values only: a one-letter password does not garble words
    assert scrub("the server does not speak PostgreSQL", "p") == "the server does not speak PostgreSQL"
    assert scrub("near 'p' at line 1; user u:p@h; p", "p") == "near '***' at line 1; user u:***@h; ***"
    assert server_message(NO_DB) == 'database "app" does not exist'
    assert server_message("") == "unknown error"
