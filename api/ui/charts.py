"""Small charts drawn on the server as SVG: no chart service, no library."""

from __future__ import annotations

from markupsafe import Markup, escape

# Laid out for a phone: each label on its own line above its bar, in a
# viewBox 360 wide drawn at most 360 px wide (max-width 100%), so the 13 px
# labels stay at least 11 px on a 390 px screen (its content box is ~366 px)
# and never grow past 13 px on a wide one.
WIDTH = 360
ROW = 38  # a label line and a bar
BAR_WIDTH = 270  # room for the value after the longest bar
FONT = 13


def human(value: float, unit: str) -> str:
    if unit == "bytes":
        for suffix in ("B", "kB", "MB", "GB", "TB"):
            if abs(value) < 1024 or suffix == "TB":
                return f"{value:.0f} {suffix}" if suffix == "B" else f"{value:.1f} {suffix}"
            value /= 1024
    if unit == "s":
        return f"{value:.1f} s"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f} M"
    if value >= 10_000:
        return f"{value / 1000:.0f} k"
    return f"{value:,.0f}"


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    items: list[tuple[str, float | int | None]], unit: str, title: str, columns: tuple[str, str]
) -> Markup | None:
    """Horizontal bars, one per (label, value), named `title`; None when there
    is nothing to draw. The picture is for the eyes; a screen reader reads
    the same figures in a visually hidden table (`columns` its headers)."""
    values = [(label, float(v or 0)) for label, v in items]
    if not values:
        return None
    top = max(v for _, v in values) or 1.0
    height = ROW * len(values) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" font-size="{FONT}" xmlns="http://www.w3.org/2000/svg">'
    ]
    rows = []
    for i, (label, value) in enumerate(values):
        y = i * ROW + 2
        w = max(1.0, BAR_WIDTH * value / top)
        shown = escape(human(value, unit))
        parts.append(
            f"<g><title>{escape(label)}: {shown}</title>"
            f'<text x="0" y="{y + 13}" class="chart-label">{escape(_short(label, 48))}</text>'
            f'<rect x="0" y="{y + 18}" width="{w:.1f}" height="{ROW - 22}" class="chart-bar"/>'
            f'<text x="{w + 5:.1f}" y="{y + 31}" class="chart-value">{shown}</text></g>'
        )
        rows.append(f'<tr><th scope="row">{escape(label)}</th><td>{shown}</td></tr>')
    parts.append("</svg>")
    table = (
        f'<table class="visually-hidden"><caption>{escape(title)}: the figures</caption>'
        f'<thead><tr><th scope="col">{escape(columns[0])}</th><th scope="col">{escape(columns[1])}</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return Markup(f'<figure class="chart-figure">{"".join(parts)}{table}</figure>')  # noqa: S704 every text is escaped above
