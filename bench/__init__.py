"""Benchmark tooling for metacrawl.

- `bench.generate` builds synthetic target databases (PostgreSQL and MariaDB)
  of 1,000 to 100,000 tables, and mutates a PostgreSQL one for change tests
  (`bench.spec`, `bench.pg_target`, `bench.mariadb_target`).
- `bench.run` runs the whole system and times it (README.md lists its modules).
- `bench.floor` measures the fastest possible bulk read of a PostgreSQL
  target's catalog (and that read plus a COPY), the floor a crawl can reach.
"""
