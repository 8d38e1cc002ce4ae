"""The web side of a source's key graph: one KeyGraph per request, the
source's catalog version (diagram cache keys), and the links a diagram's
boxes point to."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from catalog.db import Session
from catalog.keygraph import Key, KeyGraph
from catalog.models import Source

from ..catalog_reads.freshness import version_tag


def catalog_version(source: Source) -> str:
    """Changes whenever the source's catalog may have changed."""
    return version_tag(source, None)


def key_graph(source: Source) -> KeyGraph:
    return KeyGraph(Session(), source.id)


def table_page(source_id: int, key: Key) -> str:
    """The web UI's page of a table (query arguments: names may hold any character)."""
    return f"/sources/{source_id}/table?{urlencode({'schema': key[0], 'name': key[1]})}"


def group_page(source_id: int, key: Key) -> str:
    return table_page(source_id, key) + "#referenced-by"


def diagram(source: Source, key: Key, depth: int, fmt: str) -> str | None:
    """The neighbourhood of `key` as SVG, Mermaid or DOT text, or None when
    the table is not in the catalog. Cached per catalog version: a finished
    crawl changes the version, so a diagram is never older than the catalog.
    Raises DiagramUnavailable when SVG cannot be drawn."""
    from ..catalog_reads.freshness import cached

    missing = "\x00missing"

    def compute() -> str:
        drawn = draw(
            key_graph(source), key, depth, fmt, lambda k: table_page(source.id, k), lambda k: group_page(source.id, k)
        )
        return missing if drawn is None else drawn

    from catalog.neighbourhood import decisions_stamp

    version = f"{catalog_version(source)}:{decisions_stamp(Session(), source.id)}"
    cache_key = f"diagram:{source.id}:{version}:{fmt}:{depth}:{key[0]}\x00{key[1]}"
    value = cached(cache_key, compute)
    return None if value == missing else value


def draw(
    graph: KeyGraph, key: Key, depth: int, fmt: str, page: Callable[[Key], str], group: Callable[[Key], str]
) -> str | None:
    """The neighbourhood of `key` drawn as `fmt` (svg, mermaid, dot), its boxes
    linking to `page(key)` and its "n more" groups to `group(key)`; None when
    the table is not in the catalog. The server's diagrams (above) and the
    published docs site (api/ui/docs_site.py, relative links) both draw here."""
    from catalog.exports.dot import to_dot
    from catalog.exports.mermaid import to_mermaid
    from catalog.exports.svg import render_svg
    from catalog.neighbourhood import neighbourhood

    n = neighbourhood(graph, key, depth)
    if n is None:
        return None
    if fmt == "mermaid":
        return to_mermaid(n)
    dot = to_dot(n, page, group)
    return dot if fmt == "dot" else render_svg(dot)
