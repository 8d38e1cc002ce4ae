"""A source's published docs site: static HTML that opens from disk.

`write_site` writes an index (the schemas, every table with its kind, rows
and comment or description), one page per table and the browser's search
index into a sink: a directory (`metacrawl docs`) or a zip file (the source
page's download, views_docs_site.py). The table pages are the UI's own
table.html, rendered through an environment whose `base.html` is
`templates/site/base.html` (no sign-in, htmx or forms; links relative) and
with `site` in the context, which tells table.html to draw its diagram in
and leave out what needs the server (starter query, history, findings,
statistics' values, curation editing).

Memory stays bounded: the index and the search index are written while one
streaming query walks the source's documents; then each table's page is
read (the UI's `reads.table_detail`), written and let go, one at a time.
Only the tables' names are kept in between.

A page's file name never holds a raw name: `tables/<slug>-<hash>.html`,
the slug ASCII letters, digits, `_` and `-` (at most 48), the hash the
first 12 hex digits of SHA-256 over the exact (schema, name) pair, so every
link is computed from the names alone (`page_file`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from flask import current_app
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from catalog import overview, reads
from catalog.curation.read import empty_view
from catalog.db import Session
from catalog.exports.source import stream_documents
from catalog.exports.svg import DiagramUnavailable, render_svg
from catalog.keygraph import Key
from catalog.lineage import table_lineage
from catalog.models import Source

from ..diagrams.graph import draw, key_graph
from .lineage_svg import lineage_diagram

HERE = Path(__file__).parent
ASSETS = {
    "app.css": HERE / "static" / "app.css",
    "favicon.svg": HERE / "static" / "favicon.svg",
    "site.css": HERE / "static" / "site" / "site.css",
    "site.js": HERE / "static" / "site" / "site.js",
}
SEARCH_INDEX = "assets/search-index.js"
ABOUT_CHARS = 200  # of a comment or description, in the index and the search
DRAWERS = 2  # Graphviz processes at once
# The UI's zip is written inside the request, which gunicorn ends after 30 s;
# pages took 0.1-0.18 s each on a loaded 2-core machine (README), so larger
# sources are left to `metacrawl docs`.
ZIP_MAX_TABLES = 150
IN_FLIGHT = 8  # pages read and waiting for their diagram


class Sink(Protocol):
    """Where the site's files go, each written once, one at a time."""

    def open(self, path: str) -> AbstractContextManager[IO[bytes]]: ...


class DirectorySink:
    def __init__(self, root: Path):
        self.root = root

    @contextmanager
    def open(self, path: str) -> Iterator[IO[bytes]]:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as f:
            yield f


class ZipSink:
    def __init__(self, archive: zipfile.ZipFile, folder: str):
        self.archive = archive
        self.folder = folder

    @contextmanager
    def open(self, path: str) -> Iterator[IO[bytes]]:
        with self.archive.open(f"{self.folder}/{path}", "w", force_zip64=True) as f:
            yield f


def slug(text: str, limit: int = 48) -> str:
    """ASCII letters, digits, `_` and `-` only: never a path part, a dot or a control character."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_]+", "-", ascii_text).strip("-_")[:limit].strip("-_").lower()


def page_file(key: Key) -> str:
    """A table page's file name (in `tables/`), from its names alone."""
    digest = hashlib.sha256(f"{key[0]}\x00{key[1]}".encode("utf-8", "surrogatepass")).hexdigest()[:12]
    name = slug(f"{key[0]}.{key[1]}")
    return f"{name}-{digest}.html" if name else f"t-{digest}.html"


def schema_anchor(schema: str) -> str:
    digest = hashlib.sha256(schema.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"schema-{slug(schema, 32) or 's'}-{digest}"


def site_environment() -> Environment:
    """The app's Jinja environment (filters, autoescape), with the site's templates found first."""
    app_env = current_app.jinja_env
    loader = ChoiceLoader([FileSystemLoader(HERE / "templates" / "site"), app_env.loader])  # type: ignore[list-item]
    return app_env.overlay(loader=loader)


def _about(doc: dict) -> str:
    """A table's comment, else its curated description (Markdown shown as text), shortened."""
    text = doc.get("comment") or ((doc.get("curation") or {}).get("description")) or ""
    text = " ".join(str(text).split())
    return text if len(text) <= ABOUT_CHARS else text[: ABOUT_CHARS - 1] + "…"


class SiteWriter:
    def __init__(self, source: Source, sink: Sink, env: Environment | None = None):
        self.source = source
        self.sink = sink
        self.env = env or site_environment()
        self.written_at = datetime.now(UTC)
        self.keys: list[Key] = []

    def site(self, root: str, crumbs: list, **more) -> dict:
        return {
            "root": root,
            "crumbs": crumbs,
            "source_name": self.source.name,
            "written_at": self.written_at,
            "crawled_at": self.source.last_success_at,
            **more,
        }

    def write(self) -> dict:
        """Write the whole site; answers what was written (tables, bytes)."""
        for name, path in ASSETS.items():
            with path.open("rb") as src, self.sink.open(f"assets/{name}") as dst:
                shutil.copyfileobj(src, dst)
        self._write_index()
        written = 0
        # Graphviz draws the diagrams in threads while the next pages are read: a page waits in `pending`
        # (at most IN_FLIGHT of them, so memory stays bounded) until its diagram is drawn.
        with ThreadPoolExecutor(max_workers=DRAWERS) as drawers:
            pending: deque[tuple[Key, dict, Future[str] | None]] = deque()
            for key in self.keys:
                page = self._read_table(key, drawers)
                if page is not None:  # None: gone since the index was written (a crawl removed it)
                    pending.append(page)
                if len(pending) >= IN_FLIGHT:
                    written += self._write_table(*pending.popleft())
            while pending:
                written += self._write_table(*pending.popleft())
        return {"tables": written}

    # -- the index and the search index, in one pass over the documents -----------

    def _rows(self, search: IO[str]) -> Iterator[dict]:
        first = True
        for doc_text in stream_documents(Session().connection(), self.source.id):
            doc = json.loads(doc_text)
            key = (doc["schema"], doc["name"])
            self.keys.append(key)
            row = {
                "schema": key[0],
                "name": key[1],
                "kind": doc.get("kind") or "table",
                "row_estimate": doc.get("row_estimate"),
                "about": _about(doc),
                "file": "tables/" + page_file(key),
            }
            columns = [c.get("name") for c in doc.get("columns") or []]
            entry = [key[0], key[1], row["kind"], row["file"], row["about"], columns]
            search.write(("" if first else ",\n") + json.dumps(entry, ensure_ascii=True))
            first = False
            yield row

    def _sections(self, rows: Iterator[dict]) -> Iterator[dict]:
        for schema, group in itertools.groupby(rows, key=lambda r: r["schema"]):
            yield {"schema": schema, "anchor": schema_anchor(schema), "rows": group}

    def _write_index(self) -> None:
        session = Session()
        schemas = [{**s, "anchor": schema_anchor(s["schema"])} for s in overview.schemas(session, self.source.id)]
        total = sum(overview.counts_by_kind(session, self.source.id).values())
        template = self.env.get_template("index.html")
        with tempfile.TemporaryFile("w+", encoding="utf-8") as search:
            search.write("window.metacrawlSearch = [\n")
            context = {
                "site": self.site("", [(self.source.name, None)]),
                "schemas": schemas,
                "total": total,
                "sections": self._sections(self._rows(search)),
            }
            with self.sink.open("index.html") as out:
                for chunk in template.generate(**context):
                    out.write(chunk.encode())
            search.write("\n];\n")
            search.seek(0)
            with self.sink.open(SEARCH_INDEX) as out:
                for line in search:
                    out.write(line.encode())

    # -- one table's page ---------------------------------------------------------

    def _write_table(self, key: Key, context: dict, drawing: Future[str] | None) -> int:
        site = context["site"]
        try:
            site["diagram"] = Markup(drawing.result()) if drawing else None  # noqa: S704 Graphviz output of escaped labels
        except DiagramUnavailable as e:
            site["diagram_problem"] = str(e)
        html = self.env.get_template("table.html").render(**context)
        with self.sink.open("tables/" + page_file(key)) as out:
            out.write(html.encode())
        return 1

    def _read_table(self, key: Key, drawers: ThreadPoolExecutor) -> tuple[Key, dict, Future[str] | None] | None:
        """What the UI's table page shows of `key` (its context for table.html), its diagram being drawn."""
        session = Session()
        doc = reads.table_detail(session, self.source.id, *key)
        if doc is None:
            return None
        t = json.loads(doc)
        graph = key_graph(self.source)  # one per page: a graph remembers what it read
        dot = draw(graph, key, 1, "dot", page_file, lambda k: page_file(k) + "#referenced-by")
        problem = None if dot else "the table left the catalog while the site was written"
        lineage = table_lineage(session, self.source.id, t)
        crumbs = [
            (self.source.name, "../index.html"),
            (key[0], "../index.html#" + schema_anchor(key[0])),
            (key[1], None),
        ]
        context = {
            "site": self.site("../", crumbs, diagram=None, diagram_problem=problem),
            "source": self.source,
            "t": t,
            "key": key,
            "referenced_by": graph.inbound([key])[key],
            "enums": overview.enum_values(
                session, self.source.id, sorted({c["type"] for c in t["columns"] if c.get("type")})
            ),
            "lineage": lineage,
            "lineage_svg": lineage_diagram(lineage, key, page_file),
            "table_box": _box("table", t.get("curation"), f"table {key[0]}.{key[1]}", t.get("comment")),
            "column_boxes": {
                c["name"]: _box("column", c.get("curation"), f"column {c['name']}", c.get("comment"))
                for c in t["columns"]
            },
            "history": [],
            "neighbours": [],
            "depth": 1,
            "table_page": lambda _source_id, k: page_file(k),
            "query": None,
            "findings": [],
            "curation_history": [],
        }
        return key, context, drawers.submit(render_svg, dot) if dot else None


def _box(kind: str, cur: dict | None, label: str, comment: str | None) -> dict:
    """A curation box (as views_curation.box) that shows and never edits: no links to the server."""
    return {
        "source_id": 0,
        "query": "",
        "uid": "c" + hashlib.sha256(f"{kind}\x00{label}".encode("utf-8", "surrogatepass")).hexdigest()[:10],
        "kind": kind,
        "label": label,
        "cur": cur or empty_view(comment),
        "can_edit": False,
        "compact": kind == "column",
        "static": True,
    }


def write_directory(source: Source, root: Path) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    return SiteWriter(source, DirectorySink(root)).write()


def write_zip(source: Source, file: IO[bytes]) -> dict:
    """The site as a zip archive whose one folder is named after the source (a slug)."""
    folder = f"{slug(source.name) or 'source'}-docs"
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        return SiteWriter(source, ZipSink(archive, folder)).write()


def measure(root: Path) -> tuple[int, int]:
    """A written site's file count and bytes."""
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)
