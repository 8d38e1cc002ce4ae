"""The reflection suite's fixture (tests/test_reflection.py): one schema,
created in each engine's own dialect, and the one description every engine
must give of it.

The schema: `customers` (an identity key, a generated column, defaults, a
unique and a check constraint, a table and a column comment, indexes with a
prefix, a descending part, an expression and a predicate), `orders` (a
composite primary key whose order is not its columns', a foreign key with
ON DELETE SET NULL ON UPDATE CASCADE, a unique index), `order_lines` (a
composite primary key and foreign key, again out of column order, with ON
DELETE CASCADE ON UPDATE RESTRICT, a composite unique constraint, a check),
`all_types` (one column of each common type) and the view
`customer_emails`. Every constraint and index is named, and named unlike
any engine's own naming, so an engine that makes names up is caught.

The scripts differ only where a dialect must: MariaDB has no expression
index, no partial index, and prefixes its TEXT index (it needs one);
DuckDB has no identity column, no foreign key action, no descending or
partial index; SQLite has no comments. What a database lacks is in
DATABASE_LACKS (the engine can report it elsewhere) or in the engine's own
capability list (engines/*.py `capabilities`).
"""

from __future__ import annotations

from engines.base import Column, Constraint, ForeignKey, Index, PrimaryKey, Table, index_part

# PostgreSQL, SQLite and DuckDB read one script; the fields are where they differ.
STANDARD = """
CREATE TABLE customers (
    {id},
    email varchar(100) NOT NULL,
    name text,
    balance numeric(10,2) NOT NULL DEFAULT 0,
    active boolean NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    email_lower varchar(100) GENERATED ALWAYS AS (lower(email)) {generated},
    CONSTRAINT uq_customers_email UNIQUE (email),
    CONSTRAINT ck_customers_balance CHECK (balance >= 0)
);
{comments}
CREATE INDEX ix_customers_name ON customers (name);
CREATE INDEX ix_customers_created ON customers (created_at {desc}, id);
CREATE INDEX ix_customers_lower_name ON customers (lower(name));
{partial}
CREATE TABLE orders (
    region varchar(10) NOT NULL,
    order_no integer NOT NULL,
    customer_id integer,
    placed_on date NOT NULL,
    CONSTRAINT pk_orders PRIMARY KEY (order_no, region),
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) {set_null}
);
CREATE UNIQUE INDEX ux_orders_customer_placed ON orders (customer_id, placed_on);
CREATE TABLE order_lines (
    region varchar(10) NOT NULL,
    order_no integer NOT NULL,
    line_no integer NOT NULL,
    sku varchar(20) NOT NULL,
    qty integer NOT NULL DEFAULT 1,
    CONSTRAINT pk_order_lines PRIMARY KEY (order_no, region, line_no),
    CONSTRAINT fk_lines_order FOREIGN KEY (order_no, region) REFERENCES orders (order_no, region) {cascade},
    CONSTRAINT uq_lines_sku UNIQUE (region, order_no, sku),
    CONSTRAINT ck_lines_qty CHECK (qty > 0)
);
CREATE TABLE all_types (
    c_smallint smallint,
    c_integer integer,
    c_bigint bigint,
    c_numeric numeric(12,3),
    c_real real,
    c_double double precision,
    c_varchar varchar(20) DEFAULT 'it''s',
    c_char char(3),
    c_text text,
    c_boolean boolean,
    c_date date,
    c_time time,
    c_timestamp timestamp,
    c_blob {blob},
    c_required integer NOT NULL DEFAULT 7
);
CREATE VIEW customer_emails AS SELECT id, email FROM customers;
"""
COMMENTS = """
COMMENT ON TABLE customers IS 'people who buy';
COMMENT ON COLUMN customers.name IS 'as shown';
"""
PARTIAL = "CREATE INDEX ix_customers_active ON customers (email) WHERE active;"
SET_NULL, CASCADE = "ON DELETE SET NULL ON UPDATE CASCADE", "ON DELETE CASCADE ON UPDATE RESTRICT"

POSTGRES = STANDARD.format(
    id="id integer GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_customers PRIMARY KEY",
    generated="STORED",
    comments=COMMENTS,
    desc="DESC",
    partial=PARTIAL,
    set_null=SET_NULL,
    cascade=CASCADE,
    blob="bytea",
)
# SQLite keeps no comments.
SQLITE = STANDARD.format(
    id="id INTEGER CONSTRAINT pk_customers PRIMARY KEY AUTOINCREMENT",
    generated="STORED",
    comments="",
    desc="DESC",
    partial=PARTIAL,
    set_null=SET_NULL,
    cascade=CASCADE,
    blob="blob",
)
# DuckDB has no identity columns, stored generated columns, descending or
# partial indexes, nor foreign key actions.
DUCKDB = STANDARD.format(
    id="id integer CONSTRAINT pk_customers PRIMARY KEY",
    generated="VIRTUAL",
    comments=COMMENTS,
    desc="",
    partial="",
    set_null="",
    cascade="",
    blob="blob",
)

# MariaDB: its own dialect (AUTO_INCREMENT, inline comments, a prefix on the
# TEXT index, which it needs); no expression or partial index.
MARIADB = """
CREATE TABLE customers (
    id int NOT NULL AUTO_INCREMENT,
    email varchar(100) NOT NULL,
    name text COMMENT 'as shown',
    balance decimal(10,2) NOT NULL DEFAULT 0,
    active boolean NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    email_lower varchar(100) AS (lower(email)) STORED,
    PRIMARY KEY (id),
    CONSTRAINT uq_customers_email UNIQUE (email),
    CONSTRAINT ck_customers_balance CHECK (balance >= 0),
    KEY ix_customers_name (name(10)),
    KEY ix_customers_created (created_at DESC, id)
) COMMENT 'people who buy';
CREATE TABLE orders (
    region varchar(10) NOT NULL,
    order_no int NOT NULL,
    customer_id int,
    placed_on date NOT NULL,
    PRIMARY KEY (order_no, region),
    UNIQUE KEY ux_orders_customer_placed (customer_id, placed_on),
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
        ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE TABLE order_lines (
    region varchar(10) NOT NULL,
    order_no int NOT NULL,
    line_no int NOT NULL,
    sku varchar(20) NOT NULL,
    qty int NOT NULL DEFAULT 1,
    PRIMARY KEY (order_no, region, line_no),
    CONSTRAINT fk_lines_order FOREIGN KEY (order_no, region) REFERENCES orders (order_no, region)
        ON DELETE CASCADE ON UPDATE RESTRICT,
    CONSTRAINT uq_lines_sku UNIQUE (region, order_no, sku),
    CONSTRAINT ck_lines_qty CHECK (qty > 0)
);
CREATE TABLE all_types (
    c_smallint smallint,
    c_integer int,
    c_bigint bigint,
    c_numeric decimal(12,3),
    c_real float,
    c_double double,
    c_varchar varchar(20) DEFAULT 'it''s',
    c_char char(3),
    c_text text,
    c_boolean boolean,
    c_date date,
    c_time time,
    c_timestamp timestamp NULL,
    c_blob blob,
    c_required int NOT NULL DEFAULT 7
);
CREATE VIEW customer_emails AS SELECT id, email FROM customers;
"""

DDL = {
    "postgresql": POSTGRES,
    "mariadb": MARIADB,
    "sqlite": SQLITE,
    "sqlalchemy-sqlite": SQLITE,
    "sqlalchemy-duckdb": DUCKDB,
}

# How each target prints a type of the fixture (the expected description
# names types by the key on the left). The sqlite engine gives the declared
# text as SQLite keeps it; the sqlalchemy engine prints SQLAlchemy's type.
TARGETS = ("postgresql", "mariadb", "sqlite", "sqlalchemy-sqlite", "sqlalchemy-duckdb")
TYPE_TABLE = {
    "smallint": ("smallint", "smallint(6)", "smallint", "SMALLINT", "SMALLINT"),
    "int": ("integer", "int(11)", "INTEGER", "INTEGER", "INTEGER"),
    "bigint": ("bigint", "bigint(20)", "bigint", "BIGINT", "BIGINT"),
    "numeric(12,3)": ("numeric(12,3)", "decimal(12,3)", "numeric(12,3)", "NUMERIC(12, 3)", "NUMERIC(12, 3)"),
    "numeric(10,2)": ("numeric(10,2)", "decimal(10,2)", "numeric(10,2)", "NUMERIC(10, 2)", "NUMERIC(10, 2)"),
    "real": ("real", "float", "REAL", "REAL", "REAL"),
    "double": ("double precision", "double", "double precision", "REAL", "DOUBLE"),
    "varchar(10)": ("character varying(10)", "varchar(10)", "varchar(10)", "VARCHAR(10)", "VARCHAR"),
    "varchar(20)": ("character varying(20)", "varchar(20)", "varchar(20)", "VARCHAR(20)", "VARCHAR"),
    "varchar(100)": ("character varying(100)", "varchar(100)", "varchar(100)", "VARCHAR(100)", "VARCHAR"),
    "char(3)": ("character(3)", "char(3)", "char(3)", "CHAR(3)", "VARCHAR"),
    "text": ("text", "text", "TEXT", "TEXT", "VARCHAR"),
    "boolean": ("boolean", "tinyint(1)", "boolean", "BOOLEAN", "BOOLEAN"),
    "date": ("date", "date", "date", "DATE", "DATE"),
    "time": ("time without time zone", "time", "time", "TIME", "TIME WITHOUT TIME ZONE"),
    "timestamp": ("timestamp without time zone", "timestamp", "timestamp", "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE"),
    "blob": ("bytea", "blob", "BLOB", "BLOB", "BYTEA"),
}
TYPES = {target: {neutral: printed[i] for neutral, printed in TYPE_TABLE.items()} for i, target in enumerate(TARGETS)}

# What a target's database cannot hold although its engine can report it
# elsewhere (the engine's own gaps are its capability list).
DATABASE_LACKS = {
    "mariadb": {"index_expressions": "MariaDB has no expression key parts (MySQL 8.0.13+ has; the engine reads them)"},
}

# Fields a target answers wrongly today, by path as compare() names them:
# the suite asserts they still differ (so a fix shows here), never that the
# wrong answer is right.
KNOWN_WRONG = {
    "sqlalchemy-sqlite": {
        "customers.id.nullable": "SQLAlchemy's SQLite dialect reports an INTEGER PRIMARY KEY column nullable",
    },
}


def _columns(*specs: tuple) -> list[Column]:
    """Columns from (name, type, nullable, and optional keywords) in order."""
    return [
        Column(name, n, type_, nullable, **(kw[0] if kw else {}))
        for n, (name, type_, nullable, *kw) in enumerate(specs, 1)
    ]


def _asc(*columns: str) -> list:
    return [index_part(c, direction="asc") for c in columns]


# The one expected description, in list_tables order. Types are TYPES keys;
# `identity` only says the column is one (engines word it differently);
# defaults and expressions are compared normalised (test_reflection.py
# `normalised`); Index.parts carry the prefix only engines with prefix
# indexes have (the MariaDB script declares it).
EXPECTED = [
    Table(
        "",
        "all_types",
        "table",
        columns=_columns(
            ("c_smallint", "smallint", True),
            ("c_integer", "int", True),
            ("c_bigint", "bigint", True),
            ("c_numeric", "numeric(12,3)", True),
            ("c_real", "real", True),
            ("c_double", "double", True),
            ("c_varchar", "varchar(20)", True, {"default": "'it''s'"}),
            ("c_char", "char(3)", True),
            ("c_text", "text", True),
            ("c_boolean", "boolean", True),
            ("c_date", "date", True),
            ("c_time", "time", True),
            ("c_timestamp", "timestamp", True),
            ("c_blob", "blob", True),
            ("c_required", "int", False, {"default": "7"}),
        ),
    ),
    Table("", "customer_emails", "view", columns=_columns(("id", "int", True), ("email", "varchar(100)", True))),
    Table(
        "",
        "customers",
        "table",
        comment="people who buy",
        columns=_columns(
            ("id", "int", False, {"identity": "yes"}),
            ("email", "varchar(100)", False),
            ("name", "text", True, {"comment": "as shown"}),
            ("balance", "numeric(10,2)", False, {"default": "0"}),
            ("active", "boolean", False),
            ("created_at", "timestamp", False, {"default": "current_timestamp"}),
            ("email_lower", "varchar(100)", True, {"generated": "lower(email)"}),
        ),
        primary_key=PrimaryKey("pk_customers", ["id"]),
        constraints=[
            Constraint("ck_customers_balance", "check", ["balance"]),
            Constraint("uq_customers_email", "unique", ["email"]),
        ],
        indexes=[
            Index("ix_customers_active", ["email"], False, predicate="active", parts=_asc("email")),
            Index(
                "ix_customers_created",
                ["created_at", "id"],
                False,
                parts=[index_part("created_at", direction="desc"), index_part("id", direction="asc")],
            ),
            Index(
                "ix_customers_lower_name",
                ["lower(name)"],
                False,
                parts=[index_part(expression="lower(name)", direction="asc")],
            ),
            Index("ix_customers_name", ["name"], False, parts=[index_part("name", prefix_length=10, direction="asc")]),
        ],
    ),
    Table(
        "",
        "order_lines",
        "table",
        columns=_columns(
            ("region", "varchar(10)", False),
            ("order_no", "int", False),
            ("line_no", "int", False),
            ("sku", "varchar(20)", False),
            ("qty", "int", False, {"default": "1"}),
        ),
        primary_key=PrimaryKey("pk_order_lines", ["order_no", "region", "line_no"]),
        foreign_keys=[
            ForeignKey(
                "fk_lines_order", ["order_no", "region"], "", "orders", ["order_no", "region"], "RESTRICT", "CASCADE"
            )
        ],
        constraints=[
            Constraint("ck_lines_qty", "check", ["qty"]),
            Constraint("uq_lines_sku", "unique", ["region", "order_no", "sku"]),
        ],
    ),
    Table(
        "",
        "orders",
        "table",
        columns=_columns(
            ("region", "varchar(10)", False),
            ("order_no", "int", False),
            ("customer_id", "int", True),
            ("placed_on", "date", False),
        ),
        primary_key=PrimaryKey("pk_orders", ["order_no", "region"]),
        foreign_keys=[
            ForeignKey("fk_orders_customer", ["customer_id"], "", "customers", ["id"], "CASCADE", "SET NULL")
        ],
        indexes=[
            Index(
                "ux_orders_customer_placed", ["customer_id", "placed_on"], True, parts=_asc("customer_id", "placed_on")
            )
        ],
    ),
]
