"""Rendering: one figure to PNG bytes with our style, and the text and colours all share."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlci.report.escape import strip_controls
from mlci.report.plots.values import Names, Scored
from mlci.vocab import clip

if TYPE_CHECKING:
    from matplotlib.figure import Figure  # matplotlib: see above


DPI = 100
CANDIDATE_COLOR = "#0072B2"  # Okabe-Ito blue: this PR
BASELINE_COLOR = "#D55E00"  # Okabe-Ito vermillion: the baseline
NEUTRAL_COLOR = "#999999"

_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.labelsize": 8.5,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "text.parse_math": False,  # data strings are literal: "$x$" is not mathtext
    "text.usetex": False,
    "path.simplify": True,
}


def render_png(width: float, height: float, draw: Callable[[Figure], None]) -> bytes:
    """Draw on a new ``width`` × ``height`` inch figure and return it as PNG bytes."""
    import matplotlib.style  # matplotlib: heavy (~0.3 s), only when figures are drawn
    from matplotlib.figure import Figure  # matplotlib: see above

    with matplotlib.style.context(["default", _STYLE]), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs in data strings, tight layouts
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        draw(fig)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def plot_text(s: object, n: int = 40) -> str:
    """A data string fit for a plot: no control characters, at most ``n`` characters."""
    return clip(strip_controls(str(s)), n)


def side_styles(
    candidate: Scored, baseline: Scored | None, names: Names
) -> list[tuple[str, Scored, str, str]]:
    """``(label, scored, colour, line style)`` per side, the baseline first when given."""
    sides = [(plot_text(names[1]), candidate, CANDIDATE_COLOR, "-")]
    if baseline is not None:
        sides.insert(0, (plot_text(names[0]), baseline, BASELINE_COLOR, "--"))
    return sides
