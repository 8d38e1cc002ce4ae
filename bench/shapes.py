"""Target shapes: the default spec (bench.spec.make_spec) reshaped so that no
figure rests on one kind of schema.

- `default`: bench.spec's application schema (5 to 15 columns a table).
- `wide`: 100 to 140 columns a table (the pool's names with a number).
- `index`: 5 to 10 extra indexes a table, on one or two columns, some unique.
- `partition`: every table partitioned by range of its bigint `id` into
  PARTITIONS partitions (PostgreSQL only); `--tables N` counts every
  relation, parents and partitions, so N tables are N / (PARTITIONS + 1)
  parents. Indexes on a parent are created on every partition.
- `comment`: a long comment on every table and on every column.

A shape only adds keys the builders read with defaults: `indexes` (extra
indexes: (columns, unique)) and `partitions` (how many).
"""

from __future__ import annotations

import random

from bench.spec import COLUMN_POOL, NOT_INDEXABLE, make_spec

SHAPES = ("default", "wide", "index", "partition", "comment")
PARTITIONS = 19  # partitions of each parent in the `partition` shape
PARTITION_WIDTH = 1000  # ids per partition


def _wide(table: dict, rng: random.Random) -> None:
    columns = table["columns"]
    wanted, k = rng.randint(100, 140), 0
    while len(columns) < wanted:
        name, col_type, default = COLUMN_POOL[k % len(COLUMN_POOL)]
        columns.append((f"{name}_{k // len(COLUMN_POOL) + 2}", col_type, default, rng.random() < 0.2, None))
        k += 1


def _index(table: dict, rng: random.Random) -> None:
    indexable = [c[0] for c in table["columns"][len(table["pk"]) :] if c[1] not in NOT_INDEXABLE]
    if not indexable:
        return
    seen = {(table["index_on"][0],)} if table["index_on"] else set()
    indexes, wanted = [], rng.randint(5, 10)
    for _ in range(wanted * 3):  # tries: a narrow table has few distinct column sets
        columns = tuple(rng.sample(indexable, min(len(indexable), rng.choice((1, 1, 2)))))
        if columns not in seen:
            seen.add(columns)
            indexes.append((columns, rng.random() < 0.1))
        if len(indexes) >= wanted:
            break
    table["indexes"] = indexes


def _comment(table: dict, rng: random.Random) -> None:
    word = table["name"].split("_")[0]
    sentences = [
        f"One row per {word} event as recorded by the upstream system.",
        "Rows are written by the nightly load and corrected by the support team's tools.",
        "Do not join on the natural key: it is reused after a merge of two accounts.",
        f"Owner: the {word} team; ask in their channel before changing the layout.",
        "Retention: seven years for rows with a financial effect, otherwise two.",
        "Known issue: rows loaded before the 2019 migration have no time zone.",
    ]
    table["comment"] = " ".join(rng.sample(sentences, rng.randint(3, 6)))
    table["columns"] = [
        (
            name,
            col_type,
            default,
            not_null,
            f"The {name.replace('_', ' ')} of the {word}; " + " ".join(rng.sample(sentences, rng.randint(1, 2))),
        )
        for name, col_type, default, not_null, _ in table["columns"]
    ]


def _partition_keys(spec: list[dict]) -> None:
    """Every table keyed by a bigint `id` (the partition key must be in the
    primary key), every foreign key column bigint, no unique index but the key."""
    for table in spec:
        rest = [c for c in table["columns"] if c[0] not in table["pk"]]
        table["columns"] = [("id", "bigint", None, True, None), *rest]
        table["pk"] = ["id"]
        if table["fk"]:
            column = table["fk"][0]
            table["columns"] = [(n, "bigint" if n == column else t, d, nn, c) for n, t, d, nn, c in table["columns"]]
        if table["index_on"]:
            table["index_on"] = (table["index_on"][0], False)
        table["partitions"] = PARTITIONS


def make_shaped_spec(tables: int, seed: int = 1, groups: int = 1, shape: str = "default") -> list[dict]:
    """bench.spec.make_spec, in `shape` (deterministic from the seed as well)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: one of {', '.join(SHAPES)}")
    if shape == "partition":
        spec = make_spec(max(1, tables // (PARTITIONS + 1)), seed, groups)
        _partition_keys(spec)
        return spec
    spec = make_spec(tables, seed, groups)
    rng = random.Random(seed * 7919 + SHAPES.index(shape))
    reshape = {"wide": _wide, "index": _index, "comment": _comment}.get(shape)
    if reshape:
        for table in spec:
            reshape(table, rng)
    return spec


def relations(spec: list[dict]) -> int:
    """Tables of a spec counting every partition."""
    return sum(1 + t.get("partitions", 0) for t in spec)
