"""ROC and precision-recall curves: their numbers and their figure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlci.report.plots.render import NEUTRAL_COLOR, render_png, side_styles
from mlci.report.plots.values import DEFAULT_NAMES, Names, Scored

if TYPE_CHECKING:
    from matplotlib.figure import Figure


MAX_CURVE_POINTS = 1500  # ROC/PR curves are thinned to this many points


def roc_pr_png(
    candidate: Scored, baseline: Scored | None = None, *, names: Names = DEFAULT_NAMES
) -> bytes:
    """ROC (left) and precision-recall (right) curves, the baseline overlaid when given.

    The legend gives each side's ROC AUC and average precision; the PR panel's dotted line is
    the positive rate (a classifier without skill).
    """
    sides = side_styles(candidate, baseline, names)

    def draw(fig: Figure) -> None:
        roc, pr = fig.subplots(1, 2)
        roc.plot([0, 1], [0, 1], ls=":", lw=0.8, color=NEUTRAL_COLOR)
        for label, scored, color, style in sides:
            c = curves(scored)
            auc, ap = f"AUC {c.auc:.3f}", f"AP {c.average_precision:.3f}"
            roc.plot(*_thin(c.fpr, c.tpr), color=color, ls=style, lw=1.4, label=f"{label} ({auc})")
            pr.plot(
                *_thin(c.recall, c.precision),
                color=color,
                ls=style,
                lw=1.4,
                label=f"{label} ({ap})",
            )
        rate = float(np.mean(candidate.positive))
        pr.axhline(rate, ls=":", lw=0.8, color=NEUTRAL_COLOR)
        roc.set(
            xlabel="false positive rate",
            ylabel="true positive rate",
            title="ROC curve",
            xlim=(0, 1),
            ylim=(0, 1.01),
            aspect="equal",
        )
        pr.set(
            xlabel="recall",
            ylabel="precision",
            title="Precision-recall curve",
            xlim=(0, 1),
            ylim=(0, 1.01),
            aspect="equal",
        )
        roc.legend(loc="lower right")
        pr.legend(loc="lower left")

    return render_png(7.6, 3.9, draw)


@dataclass(frozen=True, eq=False)
class Curves:
    """ROC and precision-recall curves of one side, with ROC AUC and average precision.

    Points are at every distinct score (highest first), as scikit-learn's ``roc_curve``
    (without dropping collinear points) and ``precision_recall_curve`` compute them; the areas
    equal ``roc_auc_score`` and ``average_precision_score``.
    """

    fpr: np.ndarray
    tpr: np.ndarray
    recall: np.ndarray
    precision: np.ndarray
    auc: float
    average_precision: float


def curves(s: Scored) -> Curves:
    """ROC and PR curves from one sort of the scores (both sides' classes must be present)."""
    score = np.asarray(s.score, dtype=float)
    order = np.argsort(-score, kind="mergesort")
    hits = np.asarray(s.positive, dtype=bool)[order]
    last = np.r_[np.flatnonzero(np.diff(score[order])), len(score) - 1]  # each distinct score
    tps = np.cumsum(hits)[last].astype(float)
    fps = (last + 1) - tps
    tpr, fpr = np.r_[0.0, tps / tps[-1]], np.r_[0.0, fps / fps[-1]]
    precision, recall = tps / (tps + fps), tps / tps[-1]
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    return Curves(fpr, tpr, np.r_[0.0, recall], np.r_[1.0, precision], auc, ap)


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most :data:`MAX_CURVE_POINTS` points of a curve, both ends kept."""
    if len(x) <= MAX_CURVE_POINTS:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, MAX_CURVE_POINTS).round().astype(int))
    return x[keep], y[keep]
