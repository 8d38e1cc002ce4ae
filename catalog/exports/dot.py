"""A neighbourhood as Graphviz DOT: one box per table (HTML-like label, a
row per shown column with a port), edges from the referencing column to the
referenced column, each box a link to its table page."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from ..escape import visible
from ..keygraph import Key
from ..neighbourhood import Neighbourhood, Node

Link = Callable[[Key], str]

FONT = "DejaVu Sans"
# A view's read of a table (its depends_on): dotted, labelled, unlike a key.
READS_STYLE = 'style=dotted, label="reads", class="reads", color="#2d6a4f", fontcolor="#2d6a4f", arrowhead=empty'


def _h(value) -> str:
    """Text for an HTML-like label: escaped, on one line, and without the
    control characters XML refuses (Graphviz parses these labels as XML).
    `]` is written as its character reference: Graphviz's label lexer
    refuses a text made only of `]` (a type named `]`), and `]]>` anywhere."""
    return escape(visible(value if value is not None else ""), quote=True).replace("]", "&#93;")


def _q(value: str) -> str:
    """A double-quoted DOT string, on one line; a backslash is doubled, so
    no name makes a Graphviz escape (`\\N`, `\\l`)."""
    return '"' + visible(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _url(url: str) -> str:
    """A URL attribute: Graphviz copies it into the SVG as it is, so `&` is
    written as the entity XML needs (links are percent-encoded, so `&` is
    the only character that needs it)."""
    return _q(url.replace("&", "&amp;"))


def _label(node: Node, center: bool) -> str:
    head_bg = "#1f4e79" if center else ("#9aa5b1" if node.missing else "#3b6e99")
    title = f"{node.schema}.{node.name}"
    rows = [
        f'<TR><TD COLSPAN="2" BGCOLOR="{head_bg}" ALIGN="LEFT"><FONT COLOR="white"><B>{_h(title)}</B></FONT></TD></TR>'
    ]
    if node.missing:
        rows.append('<TR><TD COLSPAN="2" ALIGN="LEFT"><I>not in the catalog</I></TD></TR>')
    for i, c in enumerate(node.columns):
        mark = "PK " if c["pk"] else ""
        mark += "FK" if c["fk"] else ""
        name = f"<B>{_h(c['name'])}</B>" if c["pk"] else _h(c["name"])
        rows.append(
            f'<TR><TD PORT="c{i}" ALIGN="LEFT">{name} <FONT COLOR="#555555">{_h(c["type"])}</FONT></TD>'
            f'<TD PORT="k{i}" ALIGN="RIGHT"><FONT COLOR="#8a5a00">{_h(mark.strip()) or " "}</FONT></TD></TR>'
        )
    if node.hidden_columns:
        rows.append(f'<TR><TD COLSPAN="2" ALIGN="LEFT"><I>… {node.hidden_columns} more columns</I></TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">' + "".join(rows) + "</TABLE>>"


def to_dot(n: Neighbourhood, link: Link, group_link: Link | None = None) -> str:
    ids = {key: f"t{i}" for i, key in enumerate(n.nodes)}
    lines = [
        "digraph neighbourhood {",
        f'  graph [rankdir=LR, nodesep=0.3, ranksep=0.8, fontname="{FONT}", bgcolor="white"];',
        f'  node [shape=plaintext, fontname="{FONT}", fontsize=11];',
        f'  edge [fontname="{FONT}", fontsize=9, color="#4a5561", arrowsize=0.7];',
    ]
    for key, node in n.nodes.items():
        title = f"{node.schema}.{node.name}"
        lines.append(
            f"  {ids[key]} [label={_label(node, key == n.center)}, URL={_url(link(key))}, "
            f'target="_top", tooltip={_q(title)}];'
        )
    for i, g in enumerate(n.groups):
        gid = f"g{i}"
        anchor = n.nodes[g.anchor]
        what = "referencing" if g.direction == "in" else "referenced by"
        label = f"+ {g.count} more tables {what} {anchor.name}"
        url = (group_link or link)(g.anchor)
        lines.append(
            f'  {gid} [shape=box, style="rounded,dashed", label={_q(label)}, URL={_url(url)}, '
            f'target="_top", fontsize=10, tooltip={_q(label)}];'
        )
        if g.direction == "in":
            lines.append(f"  {gid} -> {ids[g.anchor]} [style=dashed];")
        else:
            lines.append(f"  {ids[g.anchor]} -> {gid} [style=dashed];")
    for e in n.edges:
        src, dst = n.nodes[e.source], n.nodes[e.target]
        # Left to right: a referencing column leaves its box on the right (east),
        # enters the referenced column from the left (west); a self-reference loops on the right.
        tail = _port(src, e.columns[0] if e.columns else None, "e")
        head = _port(dst, e.ref_columns[0] if e.ref_columns else None, "e" if e.source == e.target else "w")
        tooltip = f"{e.name}: {src.name}({', '.join(e.columns)}) → {dst.name}({', '.join(e.ref_columns)})"
        lines.append(f"  {ids[e.source]}{tail} -> {ids[e.target]}{head} [tooltip={_q(tooltip)}];")
    for e in n.inferred:
        src, dst = n.nodes[e.source], n.nodes[e.target]
        tail = _port(src, e.columns[0], "e")
        head = _port(dst, e.ref_columns[0], "e" if e.source == e.target else "w")
        tooltip = f"inferred, accepted: {src.name}({e.columns[0]}) → {dst.name}({e.ref_columns[0]})"
        lines.append(
            f"  {ids[e.source]}{tail} -> {ids[e.target]}{head} "
            f'[style=dashed, label="inferred", class="inferred", tooltip={_q(tooltip)}];'
        )
    for view, table in n.reads:
        tooltip = f"{n.nodes[view].name} reads {n.nodes[table].name}"
        lines.append(f"  {ids[view]} -> {ids[table]} [{READS_STYLE}, tooltip={_q(tooltip)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _port(node: Node, column: str | None, side: str) -> str:
    """The column's row (edges attach to it): its key cell on the right
    (`:kN:e`), its name cell on the left (`:cN:w`); nothing when the column
    is not shown in the box."""
    for i, c in enumerate(node.columns):
        if c["name"] == column:
            return f":k{i}:e" if side == "e" else f":c{i}:w"
    return ""
