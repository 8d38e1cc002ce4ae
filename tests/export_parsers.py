"""The real parsers the export tests check generated text with: Graphviz's
`dot`, PlantUML's `-syntax` check (Debian's plantuml), Mermaid's own parser
(tests/parsers, run by Node) and a CommonMark renderer (markdown-it-py) whose
HTML is read back with html.parser."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

PARSERS = Path(__file__).parent / "parsers"


def dot_canon(text: str) -> str:
    """`text` parsed by Graphviz, as its canonical DOT."""
    binary = shutil.which("dot")
    assert binary, "Graphviz (dot) is installed by scripts/setup.sh"
    done = subprocess.run([binary, "-Tcanon"], input=text.encode(), capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def svg_of(text: str) -> ET.Element:
    """`text` drawn as the web UI draws it (catalog.exports.svg), read back as XML: it must be well formed."""
    from catalog.exports.svg import render_svg

    return ET.fromstring(render_svg(text))  # noqa: S314 Graphviz's own output, parsed to prove it is well formed


def plantuml_syntax(text: str) -> str:
    """PlantUML's own verdict on `text` (one diagram, or several one after the other)."""
    binary = shutil.which("plantuml")
    assert binary, "plantuml is installed by scripts/setup.sh (Debian's plantuml)"
    done = subprocess.run(
        [binary, "-pipe", "-syntax"], input=text.encode(), capture_output=True, timeout=120, check=False
    )
    out = done.stdout.decode()
    assert done.returncode == 0 and "ERROR" not in out.split(), out + done.stderr.decode()
    return out


def mermaid_node() -> str:
    node = shutil.which("node")
    if node is None or not (PARSERS / "node_modules" / "mermaid").is_dir():
        pytest.fail("Mermaid's parser is installed by scripts/setup.sh (npm ci in tests/parsers)")
    return node


def mermaid_type(text: str) -> str:
    """The diagram type Mermaid's parser reads in `text` (fails the test if it refuses it)."""
    done = subprocess.run(
        [mermaid_node(), str(PARSERS / "mermaid-parse.mjs")],
        input=text.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().strip()


# What a Markdown export may render to: the elements Markdown itself makes
# for headings, paragraphs, tables and code blocks, and no attribute but the
# code block's language.
MARKDOWN_ELEMENTS = {"h1", "h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "pre", "code"}
MARKDOWN_ATTRIBUTES = {("code", "class", "language-sql")}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.found.append((tag, attrs))

    def handle_comment(self, data):
        self.found.append(("<!--", [("data", data)]))

    def handle_decl(self, decl):
        self.found.append(("<!", [("data", decl)]))

    def handle_pi(self, data):
        self.found.append(("<?", [("data", data)]))


def render_markdown(md: str) -> str:
    """`md` rendered as CommonMark (raw HTML allowed, as CommonMark allows it) with GFM tables."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


def foreign_markup(md: str) -> list[tuple[str, list]]:
    """Elements and attributes in `md`'s rendered HTML that Markdown's own
    structure does not explain: markup that came from the data."""
    parser = _Elements()
    parser.feed(render_markdown(md))
    parser.close()
    return [
        (tag, attrs)
        for tag, attrs in parser.found
        if tag not in MARKDOWN_ELEMENTS or any((tag, k, v) not in MARKDOWN_ATTRIBUTES for k, v in attrs)
    ]
