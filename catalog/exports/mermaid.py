"""A neighbourhood as a Mermaid `erDiagram`."""

from __future__ import annotations

import re

from ..escape import visible
from ..keygraph import Key
from ..neighbourhood import Neighbourhood


def _word(value: str | None) -> str:
    """Mermaid attribute types and names are single words that start with a
    letter or `_` (`100%_real` is `_100_real`)."""
    word = re.sub(r"[^A-Za-z0-9_]+", "_", value or "").strip("_") or "unknown"
    return word if not word[0].isdigit() else "_" + word


# Characters a label cannot hold as they are: Mermaid's lexer refuses `"`,
# `%` and `\\` in a quoted name, reads `%%{...}%%` anywhere as a directive,
# renders labels as HTML (`<`, `>`, `&`) and a backticked label as Markdown;
# `#` starts its entity codes. Each is written as an entity code (`#37;`),
# which Mermaid draws as the character itself.
_ENTITY = {ch: f"#{ord(ch)};" for ch in '"%\\#<>&`'}


def _label(value: str) -> str:
    """Text for a quoted label or a `%%` comment: one line, no character Mermaid would read."""
    return "".join(_ENTITY.get(ch, ch) for ch in visible(value))


def to_mermaid(n: Neighbourhood) -> str:
    ids: dict[Key, str] = {key: f"t{i}" for i, key in enumerate(n.nodes)}
    lines = ["erDiagram"]
    for key, node in n.nodes.items():
        lines.append(f'    {ids[key]}["{_label(node.schema + "." + node.name)}"] {{')
        for c in node.columns:
            keys = ",".join(k for k, on in (("PK", c["pk"]), ("FK", c["fk"])) if on)
            lines.append(f"        {_word(c['type'])} {_word(c['name'])}{' ' + keys if keys else ''}")
        lines.append("    }")
    for e in n.edges:
        label = _label(f"{', '.join(e.columns)} → {', '.join(e.ref_columns)}")
        lines.append(f'    {ids[e.target]} ||--o{{ {ids[e.source]} : "{label}"')
    for e in n.inferred:
        label = _label(f"inferred: {e.columns[0]} → {e.ref_columns[0]}")
        lines.append(f'    {ids[e.target]} ||..o{{ {ids[e.source]} : "{label}"')
    for view, table in n.reads:
        lines.append(f'    {ids[view]} }}o..o{{ {ids[table]} : "reads"')
    for g in n.groups:
        what = "referencing" if g.direction == "in" else "referenced by"
        lines.append(f"    %% + {g.count} more tables {what} {_label(n.nodes[g.anchor].name)} not drawn")
    return "\n".join(lines) + "\n"
