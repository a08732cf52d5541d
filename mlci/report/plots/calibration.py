"""The calibration (reliability) curve."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlci.report.plots.render import NEUTRAL_COLOR, render_png, side_styles
from mlci.report.plots.values import DEFAULT_NAMES, Names, Scored

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def calibration_png(
    candidate: Scored,
    baseline: Scored | None = None,
    *,
    names: Names = DEFAULT_NAMES,
    bins: int = 10,
    what: str = "predicted probability",
) -> bytes:
    """Reliability curve: the observed positive rate per bin of predicted probability.

    Above it, a perfectly calibrated model lies on the diagonal; below, how many predictions
    fall in each bin. Bins are ``bins`` equal-width intervals of [0, 1]; empty bins are not drawn.
    """
    sides = side_styles(candidate, baseline, names)
    edges = np.linspace(0, 1, bins + 1)

    def draw(fig: Figure) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        top.plot([0, 1], [0, 1], ls=":", lw=0.8, color=NEUTRAL_COLOR, label="perfectly calibrated")
        for label, scored, color, style in sides:
            mean_p, rate, counts = reliability(scored, edges)
            filled = counts > 0
            top.plot(
                mean_p[filled],
                rate[filled],
                marker="o",
                ms=3.5,
                color=color,
                ls=style,
                lw=1.4,
                label=label,
            )
            bottom.stairs(counts, edges, color=color, ls=style, lw=1.2)
        top.set(
            ylabel="observed positive rate",
            xlim=(0, 1),
            ylim=(0, 1.01),
            title="Calibration (reliability)",
        )
        top.legend(loc="upper left")
        bottom.set(xlabel=what, ylabel="count")

    return render_png(4.8, 4.6, draw)


def reliability(s: Scored, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin: the mean score, the positive rate and the number of examples."""
    score = np.clip(np.asarray(s.score, dtype=float), 0, 1)
    index = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, len(edges) - 2)
    n = len(edges) - 1
    counts = np.bincount(index, minlength=n).astype(float)
    sums = np.bincount(index, weights=score, minlength=n)
    hits = np.bincount(index, weights=np.asarray(s.positive, dtype=float), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts, hits / counts, counts
