"""Small charts drawn on the server as SVG: no chart service, no library."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW = 22
LABEL_WIDTH = 210
BAR_WIDTH = 300


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


def bar_chart(items: list[tuple[str, float | int | None]], unit: str, title: str = "") -> Markup | None:
    """Horizontal bars, one per (label, value); None when there is nothing to draw."""
    values = [(label, float(v or 0)) for label, v in items]
    if not values:
        return None
    top = max(v for _, v in values) or 1.0
    width = LABEL_WIDTH + BAR_WIDTH + 90
    height = ROW * len(values) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(values):
        y = i * ROW + 2
        w = max(1.0, BAR_WIDTH * value / top)
        parts.append(
            f"<g><title>{escape(label)}: {escape(human(value, unit))}</title>"
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end" class="chart-label">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{w:.1f}" height="{ROW - 6}" class="chart-bar"/>'
            f'<text x="{LABEL_WIDTH + w + 5:.1f}" y="{y + 15}" class="chart-value">'
            f"{escape(human(value, unit))}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 every interpolated text is escaped above
