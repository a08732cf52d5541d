"""A metric's history as one line of block characters, for the PR comment and the HTML report.

>>> sparkline([0.81, 0.82, 0.82, 0.83, 0.84])
'▁▃▃▆█'
"""

from __future__ import annotations

import math
from collections.abc import Iterable

BARS = "▁▂▃▄▅▆▇█"
GAP = " "  # an undefined value (None, NaN, infinity)
FLAT = BARS[3]  # every defined value equal: a level line in the middle


def sparkline(values: Iterable[float | None]) -> str:
    """One character per value, the lowest value ``▁`` and the highest ``█``, linearly between.

    ``None``, NaN and infinities are a space, so gaps keep their place in time; when every
    defined value is equal the line is flat (``▄``). ``sparkline([]) == ""``.

    >>> sparkline([1, 2, 3, 4, 5, 6, 7, 8]), sparkline([1, float("nan"), 3]), sparkline([5, 5])
    ('▁▂▃▄▅▆▇█', '▁ █', '▄▄')
    """
    points = [_finite(v) for v in values]
    defined = [v for v in points if v is not None]
    if not defined:
        return GAP * len(points)
    low, high = min(defined), max(defined)
    return "".join(_bar(v, low, high) for v in points)


def _finite(v: float | None) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _bar(v: float | None, low: float, high: float) -> str:
    if v is None:
        return GAP
    if high == low:
        return FLAT
    step = (v - low) / (high - low) * (len(BARS) - 1)
    return BARS[min(len(BARS) - 1, int(step + 0.5))]
