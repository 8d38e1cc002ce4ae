"""DOT to SVG with Graphviz's `dot`, run as a subprocess with a time limit."""

from __future__ import annotations

import shutil
import subprocess

DOT_TIMEOUT = 20  # seconds


class DiagramUnavailable(RuntimeError):
    """Graphviz is not installed, or could not draw this graph."""


def render_svg(dot_source: str, timeout: float = DOT_TIMEOUT) -> str:
    binary = shutil.which("dot")
    if binary is None:
        raise DiagramUnavailable("Graphviz (dot) is not installed on this server")
    try:
        done = subprocess.run(  # noqa: S603 fixed argv; the graph is data on stdin
            [binary, "-Tsvg"], input=dot_source.encode(), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise DiagramUnavailable(f"drawing the diagram took more than {timeout:g} s") from None
    if done.returncode != 0:
        raise DiagramUnavailable("Graphviz could not draw this diagram")
    svg = done.stdout.decode("utf-8", errors="replace")
    at = svg.find("<svg")
    return svg[at:] if at >= 0 else svg
