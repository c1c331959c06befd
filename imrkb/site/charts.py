"""Static SVG charts made at build time: readable without JavaScript, inline in the page.

One chart shape serves every statistic: a horizontal bar per row, split into upheld and overturned
items, with the overturn rate written at the end of the bar. Labels are escaped text.
"""

from __future__ import annotations

from dataclasses import dataclass

from .html import esc, pct

UPHELD_COLOUR = "#9e3a26"
OVERTURNED_COLOUR = "#1e6b3a"


@dataclass(frozen=True)
class Bar:
    label: str
    upheld: int
    overturned: int

    @property
    def total(self) -> int:
        return self.upheld + self.overturned


def bar_chart(title: str, bars: list[Bar], *, label_width: int = 260, width: int = 760) -> str:
    """An SVG stacked bar chart of upheld/overturned items per row, with a text alternative."""
    row_h, top, gap = 22, 34, 6
    plot_w = width - label_width - 90
    biggest = max((b.total for b in bars), default=0) or 1
    height = top + len(bars) * (row_h + gap) + 10
    desc = "; ".join(
        f"{b.label}: {b.total} items, {b.overturned} overturned ({pct(b.overturned, b.total)})" for b in bars
    )
    out = [
        f'<svg class="imrkb-chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{esc(title)}</title><desc>{esc(desc)}</desc>",
        f'<g font-size="12" fill="#222">'
        f'<rect x="{label_width}" y="6" width="12" height="12" fill="{UPHELD_COLOUR}"/>'
        f'<text x="{label_width + 16}" y="16">upheld</text>'
        f'<rect x="{label_width + 80}" y="6" width="12" height="12" fill="{OVERTURNED_COLOUR}"/>'
        f'<text x="{label_width + 96}" y="16">overturned</text></g>',
    ]
    for i, b in enumerate(bars):
        y = top + i * (row_h + gap)
        wu = plot_w * b.upheld / biggest
        wo = plot_w * b.overturned / biggest
        label = b.label if len(b.label) <= 42 else b.label[:41] + "…"
        out.append(
            f'<g font-size="12"><text x="{label_width - 8}" y="{y + 15}" text-anchor="end" fill="#222">'
            f"{esc(label)}</text>"
            f'<rect x="{label_width}" y="{y}" width="{wu:.1f}" height="{row_h}" fill="{UPHELD_COLOUR}"/>'
            f'<rect x="{label_width + wu:.1f}" y="{y}" width="{wo:.1f}" height="{row_h}" '
            f'fill="{OVERTURNED_COLOUR}"/>'
            f'<text x="{label_width + wu + wo + 6:.1f}" y="{y + 15}" fill="#222">'
            f"{b.total} · {pct(b.overturned, b.total)}</text></g>"
        )
    out.append("</svg>")
    return "".join(out)
