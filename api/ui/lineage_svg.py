"""A table page's lineage diagram, drawn on the server as SVG: source
columns on the left, the columns they feed on the right, a line for each
edge, each box linked to its table's page. Every name is escaped."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

ROW = 22
BOX = 260
GAP = 140
MAX_ROWS = 60  # past this the lists under the diagram say it all

Key = tuple[str, str]


def _short(label: str, limit: int = 38) -> str:
    label = " ".join(label.split())  # a newline in a name would break the line
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _edges(lineage: dict, here: Key) -> list[tuple[Key, str, Key, str]]:
    """(source table, column, target table, column) of every drawn edge."""
    edges = []
    for column in lineage.get("columns") or []:
        for s in column.get("sources") or []:
            edges.append(((s["schema"], s["table"]), s["column"], here, column["name"]))
    for r in lineage.get("read_by") or []:
        if r.get("view_column") is not None:
            edges.append((here, r["column"], (r["view_schema"], r["view_name"]), r["view_column"]))
    return edges


def lineage_diagram(lineage: dict, here: Key, page: Callable[[Key], str]) -> Markup | None:
    """The diagram of a table's lineage answer (catalog.lineage.table_lineage);
    None when no edge feeds an output column."""
    edges = _edges(lineage, here)
    if not edges:
        return None
    left = list(dict.fromkeys((e[0], e[1]) for e in edges))[:MAX_ROWS]
    right = list(dict.fromkeys((e[2], e[3]) for e in edges))[:MAX_ROWS]
    lpos, rpos = {k: i for i, k in enumerate(left)}, {k: i for i, k in enumerate(right)}
    width, height = 2 * BOX + GAP, ROW * max(len(left), len(right)) + 4
    parts = [
        f'<svg class="lineage" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="group" '
        f'aria-label="Column lineage: each box links to its table" xmlns="http://www.w3.org/2000/svg">'
    ]
    for src, col, dst, out in edges:
        if (src, col) in lpos and (dst, out) in rpos:
            y1, y2 = lpos[(src, col)] * ROW + 13, rpos[(dst, out)] * ROW + 13
            parts.append(f'<line x1="{BOX}" y1="{y1}" x2="{BOX + GAP}" y2="{y2}" class="lineage-edge"/>')
    for x, items in ((0, left), (BOX + GAP, right)):
        for i, (key, column) in enumerate(items):
            label = f"{key[0]}.{key[1]}.{column}"
            parts.append(
                f'<a href="{escape(page(key))}"><g><title>{escape(label)}</title>'
                f'<rect x="{x + 1}" y="{i * ROW + 3}" width="{BOX - 2}" height="{ROW - 4}" rx="3" '
                f'class="lineage-box"/><text x="{x + 6}" y="{i * ROW + 17}" class="lineage-label">'
                f"{escape(_short(label))}</text></g></a>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 every interpolated text is escaped above
