"""How mlci words numbers for people: significant digits, thousands separators, explicit signs.

The one formatter of each kind: values, changes, percentage changes, shares of a whole, counts,
and text cut to a length (:func:`clip`).

It sits below every package that shows a number (the gates' messages, the data checks, the
renderers), so the comment, the terminal output, the model card and the gate messages agree.
Negative numbers use the real minus sign (U+2212), which is easier to read next to a ``+``
than a hyphen. An undefined value (``None``, NaN) is ``"n/a"``.

>>> fmt_value(0.91234), fmt_value(12400.4), fmt_delta(-0.007), fmt_pct(2.7164), fmt_int(12400)
('0.9123', '12,400', '−0.007', '+2.7%', '12,400')
"""

from __future__ import annotations

import math

MINUS = "\u2212"
NA = "n/a"


def fmt_value(x: float | None) -> str:
    """A value with 4 significant digits; at or above 1,000 a whole number with separators.

    ``0.91234 -> "0.9123"``, ``0.9 -> "0.9"``, ``1234567.8 -> "1,234,568"``,
    ``0.0000123456 -> "1.235e-05"``, ``-3.5 -> "−3.5"``, ``None``/NaN ``-> "n/a"``.
    """
    if x is None or math.isnan(x):
        return NA
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    return _signed(_magnitude(abs(x)), negative=x < 0)


def fmt_delta(x: float | None) -> str:
    """A change with an explicit sign: ``+0.005``, ``−0.007``, ``±0``; ``n/a`` when undefined."""
    if x is None or math.isnan(x):
        return NA
    text = fmt_value(abs(x))
    if text == "0":
        return "±0"
    return ("+" if x > 0 else MINUS) + text


def fmt_pct(x: float | None) -> str:
    """A percentage with an explicit sign: ``+2.7%``, ``−0.53%``, ``+150%``, ``±0%``.

    One decimal from 1% to 100%, two significant digits below 1%, whole numbers from 100%.
    """
    if x is None or math.isnan(x):
        return NA
    if math.isinf(x):
        return ("+" if x > 0 else MINUS) + "∞%"
    text = _pct_magnitude(abs(x))
    if float(text.replace(",", "")) == 0:
        return "±0%"
    return ("+" if x > 0 else MINUS) + text + "%"


def fmt_share(fraction: float) -> str:
    """A share of a whole as a percentage, without a sign: ``0.025 -> "2.5%"``, ``0.2 -> "20%"``,
    ``0.0004 -> "0.04%"`` (two significant digits below 0.1%), ``0 -> "0%"``."""
    if math.isnan(fraction):
        return NA
    percent = 100 * fraction
    if 0 < percent < 0.1:
        return f"{percent:.2g}%"
    return f"{percent:.1f}%".replace(".0%", "%")


def fmt_int(n: int | None) -> str:
    """A count with thousands separators: ``12400 -> "12,400"``; ``None -> "n/a"``."""
    if n is None:
        return NA
    return _signed(f"{abs(n):,}", negative=n < 0)


def clip(s: str, n: int) -> str:
    """``s`` cut to at most ``n`` characters, ending with "…" when it was cut."""
    if n <= 0:
        return ""
    return s if len(s) <= n else s[: n - 1] + "…"


def _magnitude(a: float) -> str:
    """Format a non-negative finite number."""
    rounded = float(f"{a:.4g}")
    if rounded >= 1e15:
        return f"{a:.4g}"
    if rounded >= 1000:
        return f"{math.floor(a + 0.5):,}"
    return f"{a:.4g}"


def _pct_magnitude(a: float) -> str:
    if a >= 99.95:
        return f"{math.floor(a + 0.5):,}"
    if a >= 0.995:
        return f"{a:.1f}"
    return f"{a:.2g}"


def _signed(text: str, *, negative: bool) -> str:
    return MINUS + text if negative and text != "0" else text
