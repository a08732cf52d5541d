"""The worst slices as a dot plot, and the ranking it draws."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mlci.report.plots.render import (
    BASELINE_COLOR,
    CANDIDATE_COLOR,
    NEUTRAL_COLOR,
    plot_text,
    render_png,
)
from mlci.report.plots.values import DEFAULT_NAMES, Names
from mlci.vocab import fmt_value

if TYPE_CHECKING:
    from matplotlib.figure import Figure


MAX_SLICES = 15


def slices_png(
    slices: Sequence[tuple[str, float, float | None]],
    *,
    metric: str,
    names: Names = DEFAULT_NAMES,
) -> bytes:
    """The worst slices as a dot plot: this PR's value (filled), the baseline's (open), joined.

    ``slices`` are ``(slice name, value, baseline value or None)`` in the order to show them
    (worst first, at the top); at most :data:`MAX_SLICES` are drawn. Dots rather than bars, so
    the axis need not start at zero and small differences stay visible.
    """
    shown = list(slices)[:MAX_SLICES]
    height = 1.3 + 0.26 * len(shown)

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        y = np.arange(len(shown))
        values = np.asarray([_nan(v) for _, v, _ in shown], dtype=float)
        base = np.asarray([_nan(b) for _, _, b in shown], dtype=float)
        both = np.isfinite(values) & np.isfinite(base)
        ax.hlines(y[both], base[both], values[both], color=NEUTRAL_COLOR, lw=1.2)
        if np.isfinite(base).any():
            ax.plot(
                base,
                y,
                "o",
                ms=6,
                mfc="white",
                mec=BASELINE_COLOR,
                mew=1.5,
                label=plot_text(names[0]),
            )
        ax.plot(values, y, "o", ms=6, color=CANDIDATE_COLOR, label=plot_text(names[1]))
        for yi, v in zip(y, values, strict=True):
            if np.isfinite(v):
                ax.annotate(
                    fmt_value(v),
                    (v, yi),
                    xytext=(0, 6),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                )
        ax.set_yticks(y, [plot_text(name, 36) for name, _, _ in shown])
        ax.set_ylim(len(shown) - 0.4, -0.7)
        ax.grid(axis="y", visible=False)
        ax.set(xlabel=plot_text(metric, 60), title=f"Worst slices by {plot_text(metric, 60)}")
        fig.legend(loc="outside lower center", ncols=2)

    return render_png(6.4, height, draw)


def worst_slices(slices: Sequence[Any]) -> tuple[str, list[tuple[str, float, float | None]]]:
    """The metric the slices are ranked by and its ``(label, value, baseline)`` per slice,
    worst first across every grouping (for :func:`slices_png`).

    ``slices`` are :class:`~mlci.results.SliceResult` values; too-small slices and slices
    where the metric is undefined are left out.
    """
    metric = next((s.sorted_by for s in slices if getattr(s, "sorted_by", None)), None)
    if metric is None:
        return "", []
    rows: list[tuple[str, float, float | None]] = []
    higher = True
    for s in slices:
        m = None if s.too_small or s.sorted_by != metric else s.metric(metric)
        if m is None or not math.isfinite(m.value):
            continue
        higher = m.higher_is_better is not False
        rows.append((s.label, float(m.value), m.baseline))
    rows.sort(key=lambda r: r[1] if higher else -r[1])
    return metric, rows[:MAX_SLICES]


def _nan(v: float | None) -> float:
    return float("nan") if v is None else float(v)
