"""The shape of a synthetic target, for either engine: N tables described
deterministically from a seed (bench.pg_target and bench.mariadb_target turn
the description into DDL), and the helpers both builders share.

A target is N tables that look like a real application schema: names from
word lists (customer_orders_0042, created_at, customer_email, ...), 5 to 15
columns of mixed types, a primary key on every table, a foreign key on ~30%
of them, an extra index on ~50%, comments on ~20% of tables and on some
columns. Everything is derived from the seed, so two builds with the same
arguments are identical.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

BLOCK = 500  # tables per batch; foreign keys stay inside a block
WORKERS = 2  # parallel connections (the machine has 2 cores)

TABLE_WORDS = [
    "customer",
    "account",
    "order",
    "product",
    "invoice",
    "payment",
    "shipment",
    "supplier",
    "employee",
    "inventory",
    "warehouse",
    "campaign",
    "session",
    "ticket",
    "subscription",
    "contract",
    "ledger",
    "store",
    "partner",
    "user",
]
TABLE_SUFFIXES = [
    "orders",
    "events",
    "history",
    "details",
    "items",
    "logs",
    "snapshots",
    "summary",
    "notes",
    "profiles",
    "addresses",
    "settings",
    "metrics",
    "archive",
    "staging",
    "links",
    "balances",
    "requests",
    "reviews",
    "audit",
]

# (name, PostgreSQL type, default or None). MariaDB types are derived from these.
COLUMN_POOL = [
    ("customer_email", "varchar(255)", None),
    ("email", "varchar(255)", None),
    ("first_name", "varchar(100)", None),
    ("last_name", "varchar(100)", None),
    ("full_name", "text", None),
    ("display_name", "varchar(120)", None),
    ("phone_number", "varchar(32)", None),
    ("country_code", "varchar(2)", None),
    ("city", "varchar(80)", None),
    ("postal_code", "varchar(16)", None),
    ("street_address", "text", None),
    ("status", "varchar(32)", "'new'"),
    ("description", "text", None),
    ("notes", "text", None),
    ("title", "varchar(200)", None),
    ("amount", "numeric(12,2)", None),
    ("total_amount", "numeric(14,2)", None),
    ("unit_price", "numeric(10,2)", None),
    ("discount_rate", "numeric(5,4)", None),
    ("tax_amount", "numeric(12,2)", None),
    ("currency", "varchar(3)", "'EUR'"),
    ("quantity", "integer", "0"),
    ("item_count", "integer", None),
    ("priority", "integer", None),
    ("version", "integer", "1"),
    ("row_version", "bigint", None),
    ("external_ref", "uuid", None),
    ("session_token", "uuid", None),
    ("is_active", "boolean", "true"),
    ("is_deleted", "boolean", "false"),
    ("metadata", "jsonb", None),
    ("payload", "jsonb", None),
    ("attributes", "jsonb", None),
    ("tags", "text[]", None),
    ("scores", "integer[]", None),
    ("birth_date", "date", None),
    ("due_date", "date", None),
    ("valid_from", "date", None),
    ("created_at", "timestamptz", "now()"),
    ("updated_at", "timestamptz", None),
    ("shipped_at", "timestamptz", None),
    ("last_login_at", "timestamptz", None),
    ("sku", "varchar(40)", None),
    ("order_number", "varchar(40)", None),
    ("invoice_number", "varchar(40)", None),
    ("ip_address", "varchar(45)", None),
    ("user_agent", "text", None),
    ("rating", "integer", None),
    ("latitude", "numeric(9,6)", None),
    ("longitude", "numeric(9,6)", None),
]

COLUMN_COMMENTS = {
    "customer_email": "Email address of the customer",
    "email": "Contact email address",
    "status": "Lifecycle status: new, active, closed",
    "amount": "Amount in the row currency",
    "total_amount": "Total including tax",
    "created_at": "When the row was created",
    "updated_at": "When the row was last changed",
    "external_ref": "Identifier in the upstream system",
    "metadata": "Free-form attributes as JSON",
    "country_code": "ISO 3166-1 alpha-2 country code",
    "currency": "ISO 4217 currency code",
    "is_deleted": "Soft-delete flag",
}

NOT_INDEXABLE = ("text", "jsonb", "text[]", "integer[]")

# ---------------------------------------------------------------- the spec


def make_spec(tables: int, seed: int = 1, groups: int = 1) -> list[dict]:
    """Describe `tables` tables, deterministically from `seed`.

    Table i belongs to group i % groups (a MariaDB database); a foreign key
    points to an earlier table of the same block and the same group.
    Each table is a dict: index, name, columns [(name, type, default, not_null,
    comment)], pk [column names], fk (column, referenced table index,
    on_delete_cascade) or None, index (column, unique) or None, comment.
    """
    rng = random.Random(seed)
    spec: list[dict] = []
    for i in range(tables):
        word = "customer" if i == 0 else rng.choice(TABLE_WORDS)
        name = f"{word}_{rng.choice(TABLE_SUFFIXES)}_{i:04d}"

        # Primary key: mostly a bigint id, sometimes a uuid, sometimes composite.
        r = rng.random()
        if r < 0.85:
            columns = [("id", "bigint", None, True, None)]
        elif r < 0.93:
            columns = [("id", "uuid", None, True, None)]
        else:
            columns = [("parent_id", "bigint", None, True, None), ("line_no", "integer", None, True, None)]
        pk = [c[0] for c in columns]

        # Foreign key on ~30% of tables, to an earlier single-column-PK table.
        fk = None
        if rng.random() < 0.30:
            block_start = i - i % BLOCK
            candidates = [j for j in range(block_start, i) if j % groups == i % groups and len(spec[j]["pk"]) == 1]
            if candidates:
                ref = spec[rng.choice(candidates)]
                ref_type = ref["columns"][0][1]
                column = ref["name"].split("_")[0] + "_id"
                columns.append((column, ref_type, None, rng.random() < 0.5, None))
                fk = (column, ref["index"], rng.random() < 0.3)

        # Fill up to 5..15 columns from the pool; customer tables always get customer_email.
        wanted = rng.randint(5, 15) - len(columns)
        if word == "customer":
            picked = rng.sample(COLUMN_POOL[1:], wanted - 1) + [COLUMN_POOL[0]]
        else:
            picked = rng.sample(COLUMN_POOL, wanted)
        for col_name, col_type, default in picked:
            comment = None
            if rng.random() < 0.10:
                comment = COLUMN_COMMENTS.get(col_name, col_name.replace("_", " ").capitalize() + f" of the {word}")
            columns.append((col_name, col_type, default, default is not None or rng.random() < 0.2, comment))

        # An extra index on ~50% of tables, on a column both dialects can index.
        index = None
        if rng.random() < 0.50:
            indexable = [c[0] for c in columns[len(pk) :] if c[1] not in NOT_INDEXABLE]
            if indexable:
                index = (rng.choice(indexable), rng.random() < 0.15)

        comment = None
        if rng.random() < 0.20:
            comment = f"{name.rsplit('_', 1)[0].replace('_', ' ').capitalize()}, one row per {word}"

        spec.append(dict(index=i, name=name, columns=columns, pk=pk, fk=fk, index_on=index, comment=comment))
    return spec


def sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def blocks(items: list, size: int) -> list[list]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def run_parallel(batches: list, work, workers: int = WORKERS) -> None:
    """Run work(worker_number, batches_of_that_worker) on `workers` threads."""
    workers = min(workers, len(batches)) or 1
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(work, w, batches[w::workers]) for w in range(workers)]
        for f in futures:
            f.result()


def summary(spec: list[dict], seconds: float) -> dict:
    """What was built: relations (partitions included), columns (a partition's too), keys, indexes."""
    partitions = sum(t.get("partitions", 0) for t in spec)
    return dict(
        tables=len(spec) + partitions,
        partitions=partitions,
        columns=sum(len(t["columns"]) * (1 + t.get("partitions", 0)) for t in spec),
        foreign_keys=sum(1 for t in spec if t["fk"]),
        indexes=sum((1 if t["index_on"] else 0) + len(t.get("indexes", ())) for t in spec),
        table_comments=sum(1 for t in spec if t["comment"]),
        seconds=round(seconds, 2),
    )
