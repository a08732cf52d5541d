"""Regression residuals: against the prediction, and their histogram."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlci.report.plots.render import (
    BASELINE_COLOR,
    CANDIDATE_COLOR,
    NEUTRAL_COLOR,
    plot_text,
    render_png,
)
from mlci.report.plots.values import DEFAULT_NAMES, Names

if TYPE_CHECKING:
    from matplotlib.figure import Figure


MAX_SCATTER_POINTS = 3000  # residual scatter: a deterministic subsample


def residuals_png(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    baseline: tuple[np.ndarray, np.ndarray] | None = None,
    names: Names = DEFAULT_NAMES,
) -> bytes:
    """Regression residuals (true − predicted): against the prediction, and their histogram.

    The scatter shows a deterministic subsample of at most :data:`MAX_SCATTER_POINTS` points;
    the histogram overlays the baseline's residuals (``(y_true, y_pred)``) when given.
    """
    truth, pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    residual = truth - pred
    ok = np.isfinite(residual) & np.isfinite(pred)
    residual, pred = residual[ok], pred[ok]
    base = None
    if baseline is not None:
        b = np.asarray(baseline[0], dtype=float) - np.asarray(baseline[1], dtype=float)
        base = b[np.isfinite(b)]

    def draw(fig: Figure) -> None:
        scatter, hist = fig.subplots(1, 2, width_ratios=[3, 2])
        pick = _subsample(len(residual), MAX_SCATTER_POINTS)
        scatter.scatter(
            pred[pick],
            residual[pick],
            s=4,
            alpha=0.45,
            color=CANDIDATE_COLOR,
            linewidths=0,
            rasterized=True,
        )
        scatter.axhline(0, color=NEUTRAL_COLOR, lw=0.8)
        scatter.set(
            xlabel="prediction",
            ylabel="residual (true − predicted)",
            title=f"Residuals of {plot_text(names[1])} (n={len(residual):,})",
        )
        edges = _shared_edges(residual, base)
        hist.stairs(
            np.histogram(residual, edges)[0],
            edges,
            color=CANDIDATE_COLOR,
            lw=1.3,
            label=plot_text(names[1]),
        )
        if base is not None and len(base):
            hist.stairs(
                np.histogram(base, edges)[0],
                edges,
                color=BASELINE_COLOR,
                ls="--",
                lw=1.3,
                label=plot_text(names[0]),
            )
        hist.axvline(0, color=NEUTRAL_COLOR, lw=0.8)
        hist.set(xlabel="residual", ylabel="count", title="Distribution of residuals")
        hist.legend(loc="upper right")

    return render_png(7.6, 3.4, draw)


def _subsample(n: int, k: int) -> np.ndarray:
    """``k`` evenly spread indices of ``n`` (all of them when ``n <= k``): deterministic."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, k).round().astype(int))


def _shared_edges(a: np.ndarray, b: np.ndarray | None, bins: int = 40) -> np.ndarray:
    both = a if b is None else np.concatenate([a, b])
    if not len(both):
        return np.linspace(-1, 1, bins + 1)
    low, high = float(np.min(both)), float(np.max(both))
    if low == high:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)
