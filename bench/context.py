"""What one bench run holds: its options, the processes and clients it
started, what it created (dropped at the end unless --keep), and its results.
The measuring modules (bench.crawls, bench.reads, bench.ui) take it."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import redis as redis_lib

from bench.api_client import Api
from bench.common import rand
from bench.databases import server_url
from bench.memory import RssSampler
from bench.services import Proc


class Bench:
    api: Api
    redis: redis_lib.Redis
    sampler: RssSampler
    port: int

    def __init__(self, args):
        self.args = args
        self.stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        self.results_dir = Path(args.results_dir)
        self.logdir = Path(tempfile.mkdtemp(prefix=f"mc_bench_{self.stamp}_"))
        self.catalog_db = f"mc_bench_catalog_{rand()}"
        server = args.pg_url.rsplit("/", 1)[0]
        self.catalog_url = f"{server.replace('postgresql://', 'postgresql+psycopg2://')}/{self.catalog_db}"
        self.redis_url = f"{args.redis_base}/{args.redis_db}"
        self.procs: list[Proc] = []
        self.workers: list[Proc] = []
        self.pg_targets: list[str] = []
        self.maria_targets: list[tuple[str, int]] = []
        self.maria_users: list[str] = []
        self.catalog_created = False
        self.pyspy: str | None = None  # set when the workers start
        self.tokens: dict[int, str] = {}  # source id -> its owner's access token (never in the results)
        self.result: dict = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "args": vars(args),
            "catalog_database": self.catalog_db,
            "postgres": [],
            "mariadb": [],
            "reads": None,
        }

    @property
    def profiling(self) -> bool:
        """--profile and py-spy found: the workers run under py-spy."""
        return bool(self.args.profile and self.pyspy)

    def catalog_admin_url(self) -> str:
        return server_url(self.args.pg_url, self.catalog_db)

    def check_processes(self) -> None:
        for p in self.procs:
            if not p.alive():
                raise RuntimeError(f"{p.name} died:\n{p.tail()}")

    def new_user(self, label: str) -> None:
        self.api.register(f"bench-{label}-{rand()}@example.com", "bench password " + rand())

    def add_pg_source(self, name: str, database: str) -> dict:
        u = urlparse(self.args.pg_url)
        return self.api.call(
            "POST",
            "/api/v1/sources",
            {
                "name": name,
                "engine": "postgresql",
                "host": u.hostname,
                "port": u.port or 5432,
                "database": database,
                "username": u.username or "postgres",
                "password": u.password or "bench",
                "schedule": None,
            },
            (201,),
        )

    def bust_cache(self, pattern: str = "metacrawl:read:*") -> None:
        """Delete the API's cached reads (matching `pattern`) from Redis."""
        keys = list(self.redis.scan_iter(pattern, count=1000))
        if keys:
            self.redis.delete(*keys)
