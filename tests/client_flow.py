"""What a user's script does with the generated client (`metacrawl_client`,
scripts/gen_client.sh), with typed attribute access only: no dict poking.
tests/test_generated_client.py runs it against a real server and mypy
(--strict) over this file. It imports nothing but the client."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TypeVar

from metacrawl_client import AuthenticatedClient, Client
from metacrawl_client.api.auth import login, register
from metacrawl_client.api.catalog import export_source, export_source_as, get_table_by_name, search_catalog
from metacrawl_client.api.crawls import get_crawl, start_crawl
from metacrawl_client.api.diff import diff_source, diff_source_ndjson
from metacrawl_client.api.sources import create_source
from metacrawl_client.api.tables import get_table_by_id
from metacrawl_client.models import (
    Crawl,
    CrawlState,
    Credentials,
    Diff,
    Export,
    ExportSourceAsFormat,
    Register,
    RegisterAccepted,
    SearchResult,
    Source,
    SourceCreate,
    SourceCreateEngine,
    Table,
    Tokens,
)

T = TypeVar("T")


def expect(answer: object, kind: type[T]) -> T:
    """The answer as the type the call documents for success (else the error body, in the message)."""
    if not isinstance(answer, kind):
        raise AssertionError(f"expected {kind.__name__}, got {answer!r}")
    return answer


@dataclass
class Target:
    host: str
    port: int
    database: str
    username: str
    password: str


@dataclass
class Seen:
    first_crawl: Crawl
    second_crawl: Crawl
    hit_names: list[str]
    by_id: Table
    by_name: Table
    diff: Diff
    diff_lines: str
    export: Export
    markdown: str


def sign_in(base_url: str, email: str, password: str) -> AuthenticatedClient:
    anonymous = Client(base_url=base_url)
    expect(register.sync(client=anonymous, body=Register(email=email, password=password)), RegisterAccepted)
    tokens = expect(login.sync(client=anonymous, body=Credentials(email=email, password=password)), Tokens)
    return AuthenticatedClient(base_url=base_url, token=tokens.access_token)


def wait_until_ended(client: AuthenticatedClient, crawl_id: int, timeout: float = 90) -> Crawl:
    deadline = time.monotonic() + timeout
    while True:
        crawl = expect(get_crawl.sync(crawl_id, client=client), Crawl)
        if crawl.state not in (CrawlState.QUEUED, CrawlState.RUNNING):
            return crawl
        if time.monotonic() > deadline:
            raise AssertionError(f"crawl {crawl_id} still {crawl.state} after {timeout} s")
        time.sleep(0.2)


def first_part(client: AuthenticatedClient, target: Target) -> tuple[Source, Crawl]:
    """Register a PostgreSQL source (its first crawl starts) and wait for that crawl."""
    source = expect(
        create_source.sync(
            client=client,
            body=SourceCreate(
                name="shop",
                engine=SourceCreateEngine.POSTGRESQL,
                schedule=None,
                host=target.host,
                port=target.port,
                database=target.database,
                username=target.username,
                password=target.password,
            ),
        ),
        Source,
    )
    return source, wait_until_ended(client, _crawl_id(source))


def _crawl_id(source: Source) -> int:
    crawl = source.crawl
    if not crawl:
        raise AssertionError("a new source answers with its first crawl")
    return crawl.id


def second_part(client: AuthenticatedClient, source_id: int, first: Crawl, table_name: str) -> Seen:
    """After the target changed: crawl again, search, read a table two ways, diff with the first crawl, export."""
    started = expect(start_crawl.sync(source_id, client=client), Crawl)
    second = wait_until_ended(client, started.id)
    hits = expect(search_catalog.sync(client=client, q="orders", source_id=source_id), SearchResult)
    table_id = next(h.table_id for h in hits.results if h.table == "orders" and h.column is None)
    if table_id is None:
        raise AssertionError("a table hit has its table's id")
    by_id = expect(get_table_by_id.sync(table_id, client=client), Table)
    by_name = expect(get_table_by_name.sync(source_id, "public", table_name, client=client), Table)
    diff = expect(diff_source.sync(source_id, client=client, as_of=first.id), Diff)
    diff_lines = expect(diff_source_ndjson.sync(source_id, client=client, as_of=first.id), str)
    export = expect(export_source.sync(source_id, client=client), Export)
    markdown = expect(export_source_as.sync(source_id, ExportSourceAsFormat.MARKDOWN, client=client), str)
    return Seen(
        first_crawl=first,
        second_crawl=second,
        hit_names=[f"{h.kind}:{h.table}.{h.column}" for h in hits.results],
        by_id=by_id,
        by_name=by_name,
        diff=diff,
        diff_lines=diff_lines,
        export=export,
        markdown=markdown,
    )
