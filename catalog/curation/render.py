"""A curated description's Markdown as safe HTML: CommonMark with raw HTML
off (a `<script>` in the text prints as text) and links and images only to
http, https and mailto (a `javascript:` link stays text)."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt

SAFE_SCHEMES = ("http:", "https:", "mailto:")


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(SAFE_SCHEMES)


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    md.validateLink = _safe_link  # type: ignore[method-assign]
    return md


def render_markdown(text: str | None) -> str | None:
    """The description as HTML safe to put in a page; None for no description."""
    if not text:
        return None
    return _renderer().render(text)
