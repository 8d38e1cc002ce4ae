"""A whole source (or one schema) as a Mermaid `erDiagram` or Graphviz DOT,
written table by table with every column, in the same drawing style as a
table's neighbourhood (mermaid.py, dot.py). Accepted inferred keys are drawn
dashed (DOT) or non-identifying (Mermaid) and labelled `inferred`; a key to
a table outside the export is a comment only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..escape import visible
from ..neighbourhood import Node
from .dot import FONT, _label, _port, _q
from .mermaid import _label as _mermaid_label
from .mermaid import _word
from .source import ExportTable, node_id


def _label_text(fk: dict) -> str:
    prefix = "inferred: " if fk.get("inferred") else ""
    return f"{prefix}{', '.join(fk['columns'])} → {', '.join(fk['referenced_columns'])}"


def _comment(value: str) -> str:
    """Text for a DOT `//` comment: on one line."""
    return " ".join(visible(value).split())


def _node(t: ExportTable) -> Node:
    d = t.doc
    pk = list((d.get("primary_key") or {}).get("columns") or [])
    fk_columns = {c for fk in t.all_keys() for c in fk.get("columns") or []}
    node = Node(d["schema"], d["name"], 0, kind=d.get("kind"), comment=d.get("comment"), primary_key=pk)
    node.columns = [
        {
            "name": c["name"],
            "type": c.get("type"),
            "nullable": c.get("nullable"),
            "pk": c["name"] in pk,
            "fk": c["name"] in fk_columns,
        }
        for c in d.get("columns") or []
    ]
    return node


# --- Mermaid ---


def mermaid_table(t: ExportTable) -> str:
    node = _node(t)
    me = node_id(*t.key)
    lines = [f'    {me}["{_mermaid_label(node.schema + "." + node.name)}"] {{']
    for c in node.columns:
        keys = ",".join(k for k, on in (("PK", c["pk"]), ("FK", c["fk"])) if on)
        lines.append(f"        {_word(c['type'])} {_word(c['name'])}{' ' + keys if keys else ''}")
    lines.append("    }")
    if not node.columns:
        lines = [f'    {me}["{_mermaid_label(node.schema + "." + node.name)}"]']
    for fk in t.all_keys():
        if not t.drawable(fk):
            lines.append(f"    %% key {_mermaid_label(_label_text(fk))} references an object not in this export")
            continue
        other = node_id(fk["referenced_schema"], fk["referenced_table"])
        line = ".." if fk.get("inferred") else "--"
        lines.append(f'    {other} ||{line}o{{ {me} : "{_mermaid_label(_label_text(fk))}"')
    return "\n".join(lines) + "\n"


def write_mermaid(tables: Iterable[ExportTable]) -> Iterator[str]:
    yield "erDiagram\n"
    for t in tables:
        yield mermaid_table(t)


# --- Graphviz DOT ---


def dot_header(name: str) -> str:
    return "\n".join(
        [
            f"digraph {_q(name)} {{",
            f'  graph [rankdir=LR, nodesep=0.3, ranksep=0.8, fontname="{FONT}", bgcolor="white"];',
            f'  node [shape=plaintext, fontname="{FONT}", fontsize=11];',
            f'  edge [fontname="{FONT}", fontsize=9, color="#4a5561", arrowsize=0.7];',
            "",
        ]
    )


def dot_table(t: ExportTable) -> str:
    node = _node(t)
    me = node_id(*t.key)
    title = f"{node.schema}.{node.name}"
    lines = [f"  {me} [label={_label(node, False)}, tooltip={_q(title)}];"]
    columns = {c["name"] for c in node.columns}
    for fk in t.all_keys():
        if not t.drawable(fk):
            lines.append(f"  // key {_comment(_label_text(fk))} references an object not in this export")
            continue
        other = node_id(fk["referenced_schema"], fk["referenced_table"])
        tail = _port(node, fk["columns"][0] if fk["columns"] and fk["columns"][0] in columns else None, "e")
        # the referenced table's ports are its columns' positions, known only from its own definition:
        # the edge ends at the box
        attrs = [f"tooltip={_q((fk.get('name') or '') + ': ' + _label_text(fk))}"]
        if fk.get("inferred"):
            attrs += ["style=dashed", f"label={_q('inferred')}"]
        lines.append(f"  {me}{tail} -> {other} [{', '.join(attrs)}];")
    return "\n".join(lines) + "\n"


def write_dot(name: str, tables: Iterable[ExportTable]) -> Iterator[str]:
    yield dot_header(name)
    for t in tables:
        yield dot_table(t)
    yield "}\n"
