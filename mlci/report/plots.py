"""The report's figures as PNG bytes: matplotlib, headless, small and deterministic.

Each ``*_png`` function is a pure function of plain values (arrays, counts, pairs) that returns
the bytes of one PNG; nothing is written to disk and no global matplotlib state is touched
(figures are made with :class:`matplotlib.figure.Figure` and the Agg renderer, never pyplot, so
no display is needed and no backend is switched). The same input gives the same bytes on the
same matplotlib: fixed size and dpi, the default style plus our settings, no timestamps or
software name in the file. Text from the data (column names, categories, slice names) is drawn
literally: mathtext is off, so a ``$`` in a column name is just a dollar sign.

:func:`make_figures` draws every figure a run has data for and turns a failure of any one
figure into a note: a plot must never fail the run.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from mlci.report.escape import clip, strip_controls
from mlci.report.numbers import fmt_value
from mlci.results import CheckResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mlci.model.load import Predictions

DPI = 100
CANDIDATE_COLOR = "#0072B2"  # Okabe-Ito blue: this PR
BASELINE_COLOR = "#D55E00"  # Okabe-Ito vermillion: the baseline
NEUTRAL_COLOR = "#999999"
MAX_CURVE_POINTS = 1500  # ROC/PR curves are thinned to this many points
MAX_SCATTER_POINTS = 3000  # residual scatter: a deterministic subsample
MAX_MATRIX_CLASSES = 20  # a confusion matrix shows the most frequent classes, the rest as "other"
MAX_CATEGORIES = 12
MAX_SLICES = 15
MAX_HISTORY_METRICS = 6
MAX_DRIFT_FIGURES = 8
OTHER = "(other)"  # the bucket of values outside the baseline's top (as drift calls it)

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

Names = tuple[str, str]  # (baseline's label, candidate's label), e.g. ("main", "this PR")
DEFAULT_NAMES: Names = ("baseline", "this PR")


# --- values the figures are drawn from ------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Scored:
    """Binary outcomes with a score each: ``positive[i]`` is whether example ``i`` is positive.

    For calibration, ``score`` must be a probability in [0, 1].
    """

    positive: np.ndarray  # bool
    score: np.ndarray  # float


@dataclass(frozen=True)
class Distribution:
    """One column on both sides, counted over the baseline's bins.

    Numeric: ``edges`` has one more entry than the counts (the outer ends are the observed
    extremes, see :func:`distribution_from_profiles`); categorical: ``bins`` names each count
    (the baseline's top values, then "(other)"). ``note`` is a short line drawn under the title,
    e.g. ``"JS 0.21 (fail) · nulls 1.0% → 9.8%"``.
    """

    dataset: str
    column: str
    kind: Literal["numeric", "categorical"]
    baseline: tuple[float, ...]
    current: tuple[float, ...]
    edges: tuple[float, ...] = ()
    bins: tuple[str, ...] = ()
    note: str = ""
    clipped: bool = False  # numeric: an outer bin was drawn narrower than the data's range


@dataclass(frozen=True, eq=False)
class PlotInputs:
    """Everything :func:`make_figures` may draw; whatever is missing is simply not drawn.

    ``history`` maps a metric to ``[(short sha, value)]`` oldest first; ``current`` holds the
    candidate's values of those metrics (drawn as the last point). ``slices`` are
    ``(slice name, value, baseline value)`` worst first, of the metric ``slice_metric``.
    """

    task: str | None = None
    predictions: Predictions | None = None
    baseline_predictions: Predictions | None = None
    distributions: tuple[Distribution, ...] = ()
    history: Mapping[str, Sequence[tuple[str, float]]] = field(default_factory=dict)
    current: Mapping[str, float] = field(default_factory=dict)
    slices: Sequence[tuple[str, float, float | None]] = ()
    slice_metric: str = ""
    names: Names = DEFAULT_NAMES
    branch: str = "main"
    notes: tuple[str, ...] = ()  # problems met while gathering these values


# Keys of the figures make_figures returns, with the caption the HTML report gives them.
FIGURE_CAPTIONS: dict[str, str] = {
    "confusion_matrix": "Confusion matrix",
    "roc_pr": "ROC and precision-recall curves",
    "calibration": "Calibration (reliability) curve",
    "residuals": "Residuals",
    "slices": "Worst slices",
    "history": "Metric history",
}
_DRIFT_PREFIX = "drift:"


def drift_key(dataset: str, column: str) -> str:
    """The key of a column's distribution figure: ``drift:<dataset>\\x1f<column>``."""
    return f"{_DRIFT_PREFIX}{dataset}\x1f{column}"


def parse_drift_key(key: str) -> tuple[str, str] | None:
    """``(dataset, column)`` of a :func:`drift_key`, or None for another key."""
    if not key.startswith(_DRIFT_PREFIX) or "\x1f" not in key:
        return None
    dataset, _, column = key[len(_DRIFT_PREFIX) :].partition("\x1f")
    return dataset, column


# --- rendering ------------------------------------------------------------------------------


def render_png(width: float, height: float, draw: Callable[[Figure], None]) -> bytes:
    """Draw on a new ``width`` × ``height`` inch figure and return it as PNG bytes."""
    import matplotlib.style
    from matplotlib.figure import Figure

    with matplotlib.style.context(["default", _STYLE]), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing glyphs in data strings, tight layouts
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        draw(fig)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _label(s: object, n: int = 40) -> str:
    """A data string fit for a plot: no control characters, at most ``n`` characters."""
    return clip(strip_controls(str(s)), n)


# --- confusion matrix -----------------------------------------------------------------------


def confusion_png(
    labels: Sequence[str],
    candidate: np.ndarray,
    baseline: np.ndarray | None = None,
    *,
    names: Names = DEFAULT_NAMES,
) -> bytes:
    """Confusion matrices (rows: true class, columns: predicted), side by side when both exist.

    Each cell shows its count and its share of the true class; the colour is that share
    (recall on the diagonal), so matrices of different sizes compare at a glance.
    """
    panels = [(names[1], np.asarray(candidate))]
    if baseline is not None:
        panels.insert(0, (names[0], np.asarray(baseline)))
    n = len(labels)
    side = min(2.6 + 0.16 * n, 5.2)
    width = side * len(panels) + 0.6

    def draw(fig: Figure) -> None:
        fig.set_layout_engine("compressed", w_pad=0.12, h_pad=0.08)  # square cells
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (title, matrix) in zip(axes, panels, strict=True):
            _matrix(ax, matrix, [_label(x, 14) for x in labels], title)

    return render_png(width, side + 0.5, draw)


def _matrix(ax: Axes, matrix: np.ndarray, labels: list[str], title: str) -> None:
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    ax.grid(False)
    ax.spines[:].set_visible(True)
    ticks = range(len(labels))
    rotated = len(labels) > 4
    ax.set_xticks(ticks, labels, rotation=45 if rotated else 0, ha="right" if rotated else "center")
    ax.set_yticks(ticks, labels)
    ax.set(xlabel="predicted", ylabel="true", title=f"{_label(title)} (n={int(matrix.sum()):,})")
    if len(labels) <= 12:
        small = len(labels) > 6
        for (i, j), count in np.ndenumerate(matrix):
            text = f"{int(count):,}" if small else f"{int(count):,}\n{share[i, j]:.0%}"
            color = "white" if share[i, j] > 0.55 else "#222222"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=7)


def confusion_inputs(
    y_true: np.ndarray, y_pred: np.ndarray, *, labels: Sequence[Any] | None = None
) -> tuple[list[str], np.ndarray]:
    """The class labels and the confusion matrix of ``y_pred`` against ``y_true``.

    Past :data:`MAX_MATRIX_CLASSES` classes the least frequent true classes are pooled into
    ``"(other)"`` so the matrix stays readable.
    """
    truth, pred = _factorized(y_true), _factorized(y_pred)
    classes = [str(c) for c in labels] if labels is not None else sorted(truth.names | pred.names)
    if len(classes) > MAX_MATRIX_CLASSES:
        counts = truth.counts()
        ranked = sorted(classes, key=lambda c: (-counts.get(c, 0), classes.index(c)))
        kept = set(ranked[: MAX_MATRIX_CLASSES - 1])
        classes = [*(c for c in classes if c in kept), OTHER]
        index = {c: i for i, c in enumerate(classes)}
        default = len(classes) - 1  # every other class is pooled
    else:
        index, default = {c: i for i, c in enumerate(classes)}, -1  # unknown labels: left out
    k = len(classes)
    rows, cols = truth.codes_in(index, default), pred.codes_in(index, default)
    ok = (rows >= 0) & (cols >= 0)
    matrix = np.bincount(rows[ok] * k + cols[ok], minlength=k * k).reshape(k, k)
    return classes, matrix.astype(np.int64)


@dataclass(frozen=True, eq=False)
class _Factorized:
    """Labels as integer codes into their distinct values (hashing, not sorting: fast)."""

    codes: np.ndarray
    texts: list[str]  # the distinct values as text, the way ``str`` writes them

    @property
    def names(self) -> set[str]:
        return set(self.texts)

    def counts(self) -> dict[str, int]:
        n = np.bincount(self.codes[self.codes >= 0], minlength=len(self.texts))
        return {t: int(c) for t, c in zip(self.texts, n, strict=True)}

    def codes_in(self, index: Mapping[str, int], default: int) -> np.ndarray:
        lookup = np.asarray([index.get(t, default) for t in self.texts] + [-1], dtype=np.int64)
        return lookup[self.codes]  # code -1 (a missing value) picks the trailing -1


def _factorized(values: Any) -> _Factorized:
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(values))
    return _Factorized(np.asarray(codes, dtype=np.int64), [str(u) for u in uniques])


def _as_text(values: Any) -> np.ndarray:
    """Labels as text, the way ``str`` writes them (1, 1.5, True, "yes"), as an object array."""
    return np.asarray(values).astype(str).astype(object)


# --- ROC and precision-recall ---------------------------------------------------------------


def roc_pr_png(
    candidate: Scored, baseline: Scored | None = None, *, names: Names = DEFAULT_NAMES
) -> bytes:
    """ROC (left) and precision-recall (right) curves, the baseline overlaid when given.

    The legend gives each side's ROC AUC and average precision; the PR panel's dotted line is
    the positive rate (a classifier without skill).
    """
    sides = _sides(candidate, baseline, names)

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


def _sides(
    candidate: Scored, baseline: Scored | None, names: Names
) -> list[tuple[str, Scored, str, str]]:
    sides = [(_label(names[1]), candidate, CANDIDATE_COLOR, "-")]
    if baseline is not None:
        sides.insert(0, (_label(names[0]), baseline, BASELINE_COLOR, "--"))
    return sides


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


# --- calibration ----------------------------------------------------------------------------


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
    sides = _sides(candidate, baseline, names)
    edges = np.linspace(0, 1, bins + 1)

    def draw(fig: Figure) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        top.plot([0, 1], [0, 1], ls=":", lw=0.8, color=NEUTRAL_COLOR, label="perfectly calibrated")
        for label, scored, color, style in sides:
            mean_p, rate, counts = _reliability(scored, edges)
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


def _reliability(s: Scored, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin: the mean score, the positive rate and the number of examples."""
    score = np.clip(np.asarray(s.score, dtype=float), 0, 1)
    index = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, len(edges) - 2)
    n = len(edges) - 1
    counts = np.bincount(index, minlength=n).astype(float)
    sums = np.bincount(index, weights=score, minlength=n)
    hits = np.bincount(index, weights=np.asarray(s.positive, dtype=float), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts, hits / counts, counts


# --- residuals ------------------------------------------------------------------------------


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
            title=f"Residuals of {_label(names[1])} (n={len(residual):,})",
        )
        edges = _shared_edges(residual, base)
        hist.stairs(
            np.histogram(residual, edges)[0],
            edges,
            color=CANDIDATE_COLOR,
            lw=1.3,
            label=_label(names[1]),
        )
        if base is not None and len(base):
            hist.stairs(
                np.histogram(base, edges)[0],
                edges,
                color=BASELINE_COLOR,
                ls="--",
                lw=1.3,
                label=_label(names[0]),
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


# --- slices ---------------------------------------------------------------------------------


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
                base, y, "o", ms=6, mfc="white", mec=BASELINE_COLOR, mew=1.5, label=_label(names[0])
            )
        ax.plot(values, y, "o", ms=6, color=CANDIDATE_COLOR, label=_label(names[1]))
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
        ax.set_yticks(y, [_label(name, 36) for name, _, _ in shown])
        ax.set_ylim(len(shown) - 0.4, -0.7)
        ax.grid(axis="y", visible=False)
        ax.set(xlabel=_label(metric, 60), title=f"Worst slices by {_label(metric, 60)}")
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


# --- drifted distributions ------------------------------------------------------------------


def drift_png(d: Distribution, *, names: Names = DEFAULT_NAMES) -> bytes:
    """A column's distribution in the baseline and now, over the baseline's bins.

    Numeric: step histograms of density (share per unit) over the baseline's decile edges;
    categorical: each category's share, side by side.
    """

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        if d.kind == "numeric":
            _numeric_steps(ax, d, names)
        else:
            _category_bars(ax, d, names)
        title = f"{_label(d.dataset, 30)} · {_label(d.column, 50)}"
        ax.set_title(title + (f"\n{_label(d.note, 90)}" if d.note else ""))
        ax.legend(loc="best")

    return render_png(5.2, 3.0 if d.kind == "numeric" else 1.6 + 0.2 * len(d.bins), draw)


def _shares(counts: Sequence[float]) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    total = c.sum()
    return c / total if total > 0 else c


def _numeric_steps(ax: Axes, d: Distribution, names: Names) -> None:
    edges = np.asarray(d.edges, dtype=float)
    widths = np.diff(edges)
    if len(edges) < 2 or np.any(widths <= 0):  # a constant column: shares per bin instead
        _category_bars(ax, _as_categories(d), names)
        return
    for label, counts, color, style in (
        (names[0], d.baseline, BASELINE_COLOR, "--"),
        (names[1], d.current, CANDIDATE_COLOR, "-"),
    ):
        ax.stairs(
            _shares(counts) / widths, edges, color=color, ls=style, lw=1.5, label=_label(label)
        )
    xlabel = _label(d.column, 60) + (" (outer bins cut)" if d.clipped else "")
    ax.set(xlabel=xlabel, ylabel="density")


def _as_categories(d: Distribution) -> Distribution:
    e = d.edges
    names = [f"≤ {fmt_value(e[1])}" if len(e) > 2 else "all"]
    names += [f"({fmt_value(a)}, {fmt_value(b)}]" for a, b in itertools.pairwise(e[1:-1])]
    if len(e) > 2:
        names.append(f"> {fmt_value(e[-2])}")
    return Distribution(
        d.dataset,
        d.column,
        "categorical",
        d.baseline,
        d.current,
        bins=tuple(names[: len(d.baseline)]),
        note=d.note,
    )


def _category_bars(ax: Axes, d: Distribution, names: Names) -> None:
    labels = [_label(b, 24) for b in d.bins][:MAX_CATEGORIES]
    y = np.arange(len(labels))
    base, cur = _shares(d.baseline)[: len(labels)], _shares(d.current)[: len(labels)]
    ax.barh(y - 0.2, base, height=0.4, color=BASELINE_COLOR, label=_label(names[0]))
    ax.barh(y + 0.2, cur, height=0.4, color=CANDIDATE_COLOR, label=_label(names[1]))
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.set(xlabel="share of values")


def distribution_from_profiles(
    dataset: str,
    column: str,
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    values: Any = None,
    *,
    note: str = "",
) -> Distribution | None:
    """A column's :class:`Distribution` from two column profiles (see :mod:`mlci.data.profile`).

    ``values`` (the current column, optional) gives exact numeric counts over the baseline's
    bins; without it they are interpolated from the current profile's quantile grid.
    Categorical counts are read from the current profile's top values (a baseline top value
    outside the current top counts as "other"). None when the kinds differ or a side is empty.
    """
    kind = baseline.get("kind")
    if kind != current.get("kind"):
        return None
    if kind == "numeric":
        return _numeric_distribution(dataset, column, baseline, current, values, note)
    if kind in ("categorical", "boolean"):
        return _categorical_distribution(dataset, column, baseline, current, note)
    return None


def _numeric_distribution(
    dataset: str,
    column: str,
    base: Mapping[str, Any],
    cur: Mapping[str, Any],
    values: Any,
    note: str,
) -> Distribution | None:
    bins = base.get("bins") or {}
    inner = [float(e) for e in bins.get("edges", [])]
    base_counts = [float(c) for c in bins.get("counts", [])]
    if not base_counts or sum(base_counts) == 0 or len(base_counts) != len(inner) + 1:
        return None
    cur_counts = _numeric_counts(inner, cur, values)
    if cur_counts is None or sum(cur_counts) == 0:
        return None
    edges, clipped = _outer_edges(inner, base, cur)
    medians = [(p.get("quantiles") or {}).get("0.50") for p in (base, cur)]
    if None not in medians:
        median = f"median {fmt_value(medians[0])} → {fmt_value(medians[1])}"
        note = f"{note} · {median}" if note else median
    return Distribution(
        dataset,
        column,
        "numeric",
        tuple(base_counts),
        tuple(cur_counts),
        edges=edges,
        note=note,
        clipped=clipped,
    )


def _numeric_counts(inner: list[float], cur: Mapping[str, Any], values: Any) -> list[float] | None:
    """Current counts in (-inf, e1], (e1, e2], ..., (e_k, inf): exact, or from quantiles."""
    if values is not None:
        import pandas as pd

        numbers = pd.to_numeric(pd.Series(values), errors="coerce")
        v = np.asarray(numbers.to_numpy(dtype="float64", na_value=np.nan), dtype="float64")
        index = np.searchsorted(np.asarray(inner, dtype="float64"), v[np.isfinite(v)], side="left")
        return [float(c) for c in np.bincount(index, minlength=len(inner) + 1)]
    grid = sorted(
        (float(q), float(v)) for q, v in (cur.get("quantiles") or {}).items() if v is not None
    )
    finite = cur.get("finite") or 0
    if len(grid) < 2 or not finite:
        return None
    probs, qs = np.asarray([g[0] for g in grid]), np.asarray([g[1] for g in grid])
    cdf = np.interp(np.asarray(inner, dtype=float), qs, probs, left=0.0, right=1.0)
    return [float(c) for c in np.diff(np.concatenate([[0.0], cdf, [1.0]])) * finite]


def _outer_edges(
    inner: list[float], base: Mapping[str, Any], cur: Mapping[str, Any]
) -> tuple[tuple[float, ...], bool]:
    """Bin boundaries with the outer ends at the observed extremes of both sides.

    An outer bin is drawn at most as wide as the inner bins together (or 1 when there are
    none), so one far outlier cannot squash the picture; ``clipped`` says whether that happened.
    """
    lows = [v for v in (base.get("min"), cur.get("min")) if v is not None]
    highs = [v for v in (base.get("max"), cur.get("max")) if v is not None]
    if not inner:
        low, high = (min(lows) if lows else 0.0), (max(highs) if highs else 1.0)
        return (float(low), float(high)), False
    span = (inner[-1] - inner[0]) or max(abs(inner[0]), 1.0)
    low = min([*lows, inner[0]])
    high = max([*highs, inner[-1]])
    clipped = low < inner[0] - span or high > inner[-1] + span
    low, high = max(low, inner[0] - span), min(high, inner[-1] + span)
    return (float(low), *inner, float(high)), clipped


def drifted_distributions(
    checks: Sequence[CheckResult],
    baseline_profiles: Mapping[str, Mapping[str, Any] | None],
    current_profiles: Mapping[str, Mapping[str, Any]],
    frames: Mapping[str, Any] | None = None,
) -> tuple[Distribution, ...]:
    """The distributions of the columns whose drift checks did not pass, worst first.

    ``*_profiles`` map a dataset name to its :func:`~mlci.data.profile.profile_frame` dict;
    ``frames`` (optional) the current data frames, for exact counts. At most
    :data:`MAX_DRIFT_FIGURES` columns.
    """
    by_column: dict[tuple[str, str], list[CheckResult]] = {}
    for c in checks:
        if c.check in ("drift", "drift_null_rate") and c.column is not None:
            by_column.setdefault((c.dataset, c.column), []).append(c)
    drifted = [
        (key, found)
        for key, found in by_column.items()
        if any(c.status in ("warn", "fail") for c in found)
    ]
    drifted.sort(
        key=lambda item: (
            not any(c.status == "fail" for c in item[1]),
            -max(c.score or 0.0 for c in item[1]),
        )
    )
    out: list[Distribution] = []
    for (dataset, column), found in drifted:
        d = _drifted(dataset, column, found, baseline_profiles, current_profiles, frames)
        if d is not None:
            out.append(d)
        if len(out) >= MAX_DRIFT_FIGURES:
            break
    return tuple(out)


def _drifted(
    dataset: str,
    column: str,
    found: Sequence[CheckResult],
    baseline_profiles: Mapping[str, Mapping[str, Any] | None],
    current_profiles: Mapping[str, Mapping[str, Any]],
    frames: Mapping[str, Any] | None,
) -> Distribution | None:
    base = (baseline_profiles.get(dataset) or {}).get("columns", {}).get(column)
    cur = (current_profiles.get(dataset) or {}).get("columns", {}).get(column)
    if base is None or cur is None:
        return None
    frame = (frames or {}).get(dataset)
    values = None
    if frame is not None:
        label = next((c for c in frame.columns if str(c) == column), None)
        values = None if label is None else frame[label]
    return distribution_from_profiles(dataset, column, base, cur, values, note=_drift_note(found))


def _drift_note(found: Sequence[CheckResult]) -> str:
    """``"JS 0.213 (fail) · null rate 1.0% → 9.8% (h 0.310, warn)"``."""
    parts = []
    for c in found:
        if c.check == "drift" and c.score is not None:
            parts.append(f"JS {c.score:.3f} ({c.status})")
        elif c.check == "drift_null_rate" and c.status != "pass":
            parts.append(f"null rate {c.observed or fmt_value(c.score)} ({c.status})")
    return " · ".join(parts)


def figure_files(figures: Mapping[str, bytes]) -> dict[str, bytes]:
    """The figures by file name: ``roc_pr.png``, ``drift-eval-tenure.png`` (unique, safe)."""
    out: dict[str, bytes] = {}
    for key, png in figures.items():
        where = parse_drift_key(key)
        stem = "drift-" + "-".join(where) if where else key
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:80] or "figure"
        name, n = f"{stem}.png", 2
        while name in out:
            name, n = f"{stem}-{n}.png", n + 1
        out[name] = png
    return out


def _categorical_distribution(
    dataset: str,
    column: str,
    base: Mapping[str, Any],
    cur: Mapping[str, Any],
    note: str,
) -> Distribution | None:
    top = [(str(v), float(c)) for v, c in base.get("top", [])]
    base_counts = [c for _, c in top] + [float(base.get("other", 0))]
    if not top or sum(base_counts) == 0:
        return None
    # both profiles key values the same way, so the current one is read rather than the data
    found = {str(v): float(c) for v, c in cur.get("top", [])}
    total = sum(found.values()) + float(cur.get("other", 0))
    in_top = [found.get(v, 0.0) for v, _ in top]
    cur_counts = [*in_top, max(total - sum(in_top), 0.0)]
    if sum(cur_counts) == 0:
        return None
    order = _category_order(base_counts, cur_counts)
    return Distribution(
        dataset,
        column,
        "categorical",
        tuple(base_counts[i] for i in order),
        tuple(cur_counts[i] for i in order),
        bins=tuple(([v for v, _ in top] + [OTHER])[i] for i in order),
        note=note,
    )


def _category_order(base: list[float], cur: list[float]) -> list[int]:
    """The categories that moved most first (so the cut at MAX_CATEGORIES keeps them)."""
    p, q = _shares(base), _shares(cur)
    return sorted(range(len(base)), key=lambda i: (-abs(q[i] - p[i]), i))


# --- metric history -------------------------------------------------------------------------


def history_png(
    history: Mapping[str, Sequence[tuple[str, float]]],
    *,
    current: Mapping[str, float] | None = None,
    branch: str = "main",
    current_label: str = "this PR",
) -> bytes:
    """One line chart per metric of its values on ``branch`` (``[(short sha, value)]``, oldest
    first), commits on the x axis; ``current`` values are drawn as a last, separate point.
    """
    metrics = [m for m, points in history.items() if points][:MAX_HISTORY_METRICS]
    if not metrics:
        raise ValueError("no metric has a history to draw")
    commits = _commit_axis(history, metrics)
    now = {m: v for m, v in (current or {}).items() if m in metrics and math.isfinite(v)}
    height = 0.7 + 1.55 * len(metrics)

    def draw(fig: Figure) -> None:
        axes = fig.subplots(len(metrics), 1, sharex=True, squeeze=False)[:, 0]
        position = {sha: i for i, sha in enumerate(commits)}
        for ax, metric in zip(axes, metrics, strict=False):
            x = [position[sha] for sha, _ in history[metric]]
            y = [v for _, v in history[metric]]
            ax.plot(x, y, marker="o", ms=3, lw=1.3, color=CANDIDATE_COLOR, label=_label(branch, 30))
            if metric in now:
                ax.plot(
                    [len(commits)],
                    [now[metric]],
                    marker="*",
                    ms=9,
                    ls="none",
                    color=BASELINE_COLOR,
                    label=_label(current_label, 30),
                )
            ax.set_ylabel(_label(metric, 24))
        axes[0].legend(loc="best")
        labels = commits + ([_label(current_label, 12)] if now else [])
        step = max(1, math.ceil(len(labels) / 16))
        ticks = list(range(0, len(labels), step))
        axes[-1].set_xticks(
            ticks, [labels[i] for i in ticks], rotation=60, ha="right", family="DejaVu Sans Mono"
        )
        records = f"{len(commits)} record{'s' if len(commits) != 1 else ''}"
        axes[0].set_title(f"History on {_label(branch, 40)} (last {records})")

    return render_png(6.4, height, draw)


def _commit_axis(
    history: Mapping[str, Sequence[tuple[str, float]]], metrics: Sequence[str]
) -> list[str]:
    """Every commit of the histories once, in order (they come from the same records)."""
    seen: dict[str, None] = {}
    for metric in metrics:
        for sha, _ in history[metric]:
            seen.setdefault(sha, None)
    return list(seen)


# --- all figures of a run -------------------------------------------------------------------


def make_figures(inputs: PlotInputs) -> tuple[dict[str, bytes], list[str]]:
    """Every figure ``inputs`` has data for, by key (see :data:`FIGURE_CAPTIONS` and
    :func:`drift_key`), and a note for each figure that could not be drawn.
    """
    figures: dict[str, bytes] = {}
    notes: list[str] = list(inputs.notes)
    for key, what, build in _plan(inputs):
        try:
            png = build()
        except Exception as exc:  # a figure must never fail the run
            why = f"{type(exc).__name__}: {clip(str(exc), 200)}"
            notes.append(f"The {what} could not be drawn ({why}).")
            continue
        if png is not None:
            figures[key] = png
    return figures, notes


_Build = Callable[[], "bytes | None"]


def _plan(inputs: PlotInputs) -> Iterator[tuple[str, str, _Build]]:
    p, b, names = inputs.predictions, inputs.baseline_predictions, inputs.names
    if p is not None and inputs.task in ("binary", "multiclass"):
        yield "confusion_matrix", "confusion matrix", lambda: _confusion(p, b, names)
        if inputs.task == "binary":
            yield "roc_pr", "ROC and precision-recall curves", lambda: _roc_pr(p, b, names)
        yield "calibration", "calibration curve", lambda: _calibration(p, b, names, inputs.task)
    if p is not None and inputs.task == "regression":
        yield "residuals", "residual plot", lambda: _residuals(p, b, names)
    if inputs.slices:
        yield (
            "slices",
            "worst slices chart",
            lambda: slices_png(inputs.slices, metric=inputs.slice_metric, names=names),
        )
    for d in inputs.distributions[:MAX_DRIFT_FIGURES]:
        what = f"distribution of {_label(d.column, 60)} in {_label(d.dataset, 40)}"
        yield drift_key(d.dataset, d.column), what, _bind_drift(d, names)
    if any(len(points) >= 2 for points in inputs.history.values()):
        yield (
            "history",
            "metric history",
            lambda: history_png(
                inputs.history, current=inputs.current, branch=inputs.branch, current_label=names[1]
            ),
        )


def _bind_drift(d: Distribution, names: Names) -> _Build:
    return lambda: drift_png(d, names=names)


def _confusion(p: Predictions, b: Predictions | None, names: Names) -> bytes | None:
    if p.y_pred is None or not len(p.y_true):
        return None
    labels = _class_labels(p, b)
    classes, matrix = confusion_inputs(p.y_true, p.y_pred, labels=labels)
    base = None
    if b is not None and b.y_pred is not None and len(b.y_true):
        base = confusion_inputs(b.y_true, b.y_pred, labels=labels)[1]
    return confusion_png(classes, matrix, base, names=names)


def _class_labels(p: Predictions, b: Predictions | None) -> list[str]:
    seen: dict[str, None] = {}
    for source in (p, b):
        if source is None:
            continue
        for v in source.labels or ():
            seen.setdefault(str(v), None)
        for array in (source.y_true, source.y_pred):
            if array is not None:
                for v in sorted(_factorized(array).names):
                    seen.setdefault(v, None)
    return list(seen)


def _binary_scored(p: Predictions | None) -> Scored | None:
    if p is None or p.y_score is None or not len(p.y_true):
        return None
    positive_label = p.pos_label if p.pos_label is not None else (p.labels or (None, None))[-1]
    positive = np.asarray(_as_text(p.y_true) == str(positive_label), dtype=bool)
    score = np.asarray(p.y_score, dtype=float)
    ok = np.isfinite(score)
    return Scored(positive[ok], score[ok])


def _roc_pr(p: Predictions, b: Predictions | None, names: Names) -> bytes | None:
    candidate = _binary_scored(p)
    if candidate is None or candidate.positive.all() or not candidate.positive.any():
        return None
    baseline = _binary_scored(b)
    if baseline is not None and (baseline.positive.all() or not baseline.positive.any()):
        baseline = None
    return roc_pr_png(candidate, baseline, names=names)


def _calibration(
    p: Predictions, b: Predictions | None, names: Names, task: str | None
) -> bytes | None:
    scored = _binary_scored if task == "binary" else _top_label
    candidate = scored(p)
    if candidate is None or not _probabilities(candidate.score):
        return None
    baseline = scored(b)
    if baseline is not None and not _probabilities(baseline.score):
        baseline = None
    what = "predicted probability" if task == "binary" else "confidence (top class probability)"
    return calibration_png(candidate, baseline, names=names, what=what)


def _top_label(p: Predictions | None) -> Scored | None:
    """Multiclass: whether the most probable class is right, with its probability."""
    if p is None or p.y_proba is None or p.labels is None or not len(p.y_true):
        return None
    proba = np.asarray(p.y_proba, dtype=float)
    labels = np.asarray([str(v) for v in p.labels], dtype=object)
    correct = labels[proba.argmax(axis=1)] == _as_text(p.y_true)
    return Scored(np.asarray(correct, dtype=bool), proba.max(axis=1))


def _probabilities(score: np.ndarray) -> bool:
    return bool(len(score)) and bool(np.all((score >= 0) & (score <= 1)))


def _residuals(p: Predictions, b: Predictions | None, names: Names) -> bytes | None:
    if p.y_pred is None or not len(p.y_true):
        return None
    base = None
    if b is not None and b.y_pred is not None and len(b.y_true):
        base = (np.asarray(b.y_true, dtype=float), np.asarray(b.y_pred, dtype=float))
    return residuals_png(p.y_true, p.y_pred, baseline=base, names=names)
