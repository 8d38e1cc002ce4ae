"""The web side of a source's key graph: one KeyGraph per request, the
source's catalog version (diagram cache keys), and the links a diagram's
boxes point to."""

from __future__ import annotations

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
    from catalog.exports.dot import to_dot
    from catalog.exports.mermaid import to_mermaid
    from catalog.exports.svg import render_svg
    from catalog.neighbourhood import neighbourhood

    from ..catalog_reads.freshness import cached

    missing = "\x00missing"

    def compute() -> str:
        n = neighbourhood(key_graph(source), key, depth)
        if n is None:
            return missing
        if fmt == "mermaid":
            return to_mermaid(n)
        dot = to_dot(n, lambda k: table_page(source.id, k), lambda k: group_page(source.id, k))
        return dot if fmt == "dot" else render_svg(dot)

    from catalog.neighbourhood import decisions_stamp

    version = f"{catalog_version(source)}:{decisions_stamp(Session(), source.id)}"
    cache_key = f"diagram:{source.id}:{version}:{fmt}:{depth}:{key[0]}\x00{key[1]}"
    value = cached(cache_key, compute)
    return None if value == missing else value
