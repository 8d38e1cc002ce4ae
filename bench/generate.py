"""Synthetic target databases for the benchmark.

The command line of bench.spec (the shape of a target), bench.pg_target and
bench.mariadb_target (building, altering and dropping one).

The DDL is sent in blocks of BLOCK tables, one transaction (PostgreSQL) or one
multi-statement round trip (MariaDB) per block, over WORKERS connections in
parallel. A foreign key only points to an earlier table of the same block, so
blocks are independent of each other.

Usage:
    python -m bench.generate postgres --tables 10000 --database bench_10k [--drop] [--shape wide]
    python -m bench.generate mariadb --tables 10000 --prefix bench_10k [--databases 5]
    python -m bench.generate mutate-postgres --database bench_10k --percent 1
    python -m bench.generate drop-postgres --database bench_10k
    python -m bench.generate drop-mariadb --prefix bench_10k [--databases 5]
"""

from __future__ import annotations

import argparse

from bench.databases import MARIADB_URL, PG_URL
from bench.mariadb_target import build_mariadb, drop_mariadb
from bench.pg_target import build_postgres, drop_postgres, mutate_postgres
from bench.shapes import SHAPES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("postgres", help="build a PostgreSQL target")
    p.add_argument("--tables", type=int, required=True)
    p.add_argument("--database", required=True)
    p.add_argument("--url", default=PG_URL, help="server URL (its database is used for CREATE DATABASE)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--drop", action="store_true", help="drop the database first if it exists")
    p.add_argument("--shape", choices=SHAPES, default="default", help="the target's shape (bench/shapes.py)")

    p = sub.add_parser("mariadb", help="build a MariaDB target over several databases")
    p.add_argument("--tables", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--databases", type=int, default=5)
    p.add_argument("--url", default=MARIADB_URL)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--drop", action="store_true", help="drop the databases first if they exist")
    p.add_argument(
        "--shape", choices=[s for s in SHAPES if s != "partition"], default="default", help="bench/shapes.py"
    )

    p = sub.add_parser("mutate-postgres", help="alter a percentage of a PostgreSQL target's tables")
    p.add_argument("--database", required=True)
    p.add_argument("--percent", type=float, default=1)
    p.add_argument("--url", default=PG_URL)
    p.add_argument("--seed", type=int, default=1)

    p = sub.add_parser("drop-postgres", help="drop a PostgreSQL target")
    p.add_argument("--database", required=True)
    p.add_argument("--url", default=PG_URL)

    p = sub.add_parser("drop-mariadb", help="drop a MariaDB target's databases")
    p.add_argument("--prefix", required=True)
    p.add_argument("--databases", type=int, default=5)
    p.add_argument("--url", default=MARIADB_URL)

    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command == "postgres":
        if args.drop:
            drop_postgres(args.url, args.database)
        result = build_postgres(args.url, args.database, args.tables, args.seed, args.shape)
        print(_format(result))
    elif args.command == "mariadb":
        if args.drop:
            drop_mariadb(args.url, args.prefix, args.databases)
        result = build_mariadb(args.url, args.prefix, args.tables, args.databases, args.seed, args.shape)
        print(_format(result))
    elif args.command == "mutate-postgres":
        changed = mutate_postgres(args.url, args.database, args.percent, args.seed)
        print(f"changed {changed} tables")
    elif args.command == "drop-postgres":
        drop_postgres(args.url, args.database)
    elif args.command == "drop-mariadb":
        drop_mariadb(args.url, args.prefix, args.databases)


def _format(result: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in result.items())


if __name__ == "__main__":
    main()
