"""A small SVG canvas for figures drawn without matplotlib.

The drift figures are a handful of lines, bars and labels; written as SVG by hand they cost a
millisecond instead of importing matplotlib (about 0.3 s) and rasterising (about 0.1 s each),
which is most of a data-only run's fixed cost. The markup is a pure function of the values:
no timestamps, no ids, no scripts, no links, no external fonts. Every string is reduced to
characters XML allows and escaped, so a column called ``</text><script>`` is drawn as that text
(the report shows these files through ``<img>``, where SVG cannot run scripts anyway).
"""

from __future__ import annotations

import html
import math
import re

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
GRID_COLOR = "#e6e6e6"
AXIS_COLOR = "#333333"
CHAR_WIDTH = 0.6  # a character's average width in em, DejaVu Sans: for layout, not exactness

# characters XML 1.0 refuses: C0 controls but tab and line breaks, lone surrogates, U+FFFE/FFFF
# (named directly: the complement of XML's ranges takes milliseconds to compile)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(s: object) -> str:
    """``s`` as XML character data or an attribute value: allowed characters only, escaped."""
    return html.escape(_NOT_XML.sub("", str(s)), quote=True)


def text_width(s: str, size: float) -> float:
    """The width of ``s`` drawn at ``size`` px, estimated."""
    return len(s) * size * CHAR_WIDTH


def num(x: float) -> str:
    """A coordinate with two decimals at most: ``12.5``, ``3``."""
    return f"{x:.2f}".rstrip("0").rstrip(".") if math.isfinite(x) else "0"


class Canvas:
    """Shapes and labels in pixels, origin at the top left; :meth:`to_bytes` gives the file."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = math.ceil(width), math.ceil(height)
        self.items: list[str] = [
            f'<rect width="{self.width}" height="{self.height}" fill="#ffffff"/>'
        ]

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, color: str, width: float = 1.0
    ) -> None:
        self.items.append(
            f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" '
            f'stroke="{color}" stroke-width="{num(width)}"/>'
        )

    def rect(self, x: float, y: float, w: float, h: float, *, color: str) -> None:
        self.items.append(
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(max(w, 0.0))}" '
            f'height="{num(max(h, 0.0))}" fill="{color}"/>'
        )

    def polyline(
        self,
        points: list[tuple[float, float]],
        *,
        color: str,
        width: float = 1.5,
        dashed: bool = False,
    ) -> None:
        coords = " ".join(f"{num(x)},{num(y)}" for x, y in points)
        dash = ' stroke-dasharray="5,3"' if dashed else ""
        self.items.append(
            f'<polyline points="{coords}" fill="none" stroke="{color}" '
            f'stroke-width="{num(width)}"{dash} stroke-linejoin="miter"/>'
        )

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        size: float = 11.0,
        anchor: str = "start",
        bold: bool = False,
        color: str = AXIS_COLOR,
        rotate: bool = False,
    ) -> None:
        """``s`` with its baseline at ``y``; ``anchor`` start, middle or end; ``rotate`` turns
        it a quarter left around ``(x, y)`` (a y-axis label)."""
        weight = ' font-weight="bold"' if bold else ""
        turn = f' transform="rotate(-90 {num(x)} {num(y)})"' if rotate else ""
        self.items.append(
            f'<text x="{num(x)}" y="{num(y)}" font-size="{num(size)}" '
            f'text-anchor="{anchor}" fill="{color}"{weight}{turn}>{xml_text(s)}</text>'
        )

    def to_bytes(self) -> bytes:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
            f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" '
            f'font-family="{FONT}">'
        )
        return "\n".join([head, *self.items, "</svg>", ""]).encode("utf-8")


_SVG_SIZE = re.compile(
    rb'^<svg xmlns="http://www.w3.org/2000/svg" width="(\d{1,5})" height="(\d{1,5})"'
)


def svg_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of an SVG this module wrote, or None for anything else."""
    m = _SVG_SIZE.match(data)
    return (int(m.group(1)), int(m.group(2))) if m else None


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick values inside ``[low, high]``: steps of 1, 2, 2.5 or 5 × 10^k, at most about
    ``most`` of them and at least two (``nice_ticks(0, 0.37)`` → 0, 0.1, 0.2, 0.3)."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return [low] if math.isfinite(low) else []
    raw = span / max(most - 1, 1)
    power = math.floor(math.log10(raw))
    steps = [m * 10.0**k for k in (power - 1, power, power + 1) for m in (1, 2, 2.5, 5)]
    fits = [i for i, step in enumerate(steps) if step >= raw]
    index = fits[0] if fits else len(steps) - 1
    ticks = _ticks(low, high, steps[index])
    while len(ticks) < 2 and index > 0:  # a short range between two round numbers
        index -= 1
        ticks = _ticks(low, high, steps[index])
    return ticks


def _ticks(low: float, high: float, step: float) -> list[float]:
    # A tick may sit a rounding error outside [low, high] (0.1 * 3 for a low of 0.3), never more:
    # 1e-10 of a step is under a billionth of the range the caller asked for.
    first = math.ceil(low / step - 1e-10) * step
    count = math.floor((high - first) / step + 1e-10) + 1
    return [0.0 if abs(t) < step * 1e-9 else t for t in (first + k * step for k in range(count))]


def tick_label(value: float, ticks: list[float], *, percent: bool = False) -> str:
    """A tick's text with the decimals its neighbours need: ``0.25``, ``1e+06``, ``40%``."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(value) or 1.0
    if percent:
        value, step = value * 100, step * 100
    biggest = max(abs(t) for t in ticks) * (100 if percent else 1)
    if biggest >= 1e6 or (0 < biggest < 1e-3):
        text = f"{value:.3g}"
    else:
        decimals = next((d for d in range(10) if abs(round(step, d) - step) <= step * 1e-6), 10)
        text = f"{value:,.{decimals}f}"
    text = text.replace("-", "−")
    return f"{text}%" if percent else text
