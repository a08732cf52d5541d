"""Drifted distributions: a column in the baseline and now, over the baseline's bins."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mlci.report.plots.render import BASELINE_COLOR, CANDIDATE_COLOR, plot_text, render_png
from mlci.report.plots.values import DEFAULT_NAMES, OTHER, Distribution, Names
from mlci.results import CheckResult
from mlci.vocab import fmt_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


MAX_CATEGORIES = 12

MAX_DRIFT_FIGURES = 8
OVERFLOW_MARGIN = 0.05  # beyond the baseline's range by this share of it: own bins
TITLE_CHARS = 64  # a title line's characters at the figure's width and font size


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
        title = f"{plot_text(d.dataset, 30)} · {plot_text(d.column, 50)}"
        note = textwrap.fill(plot_text(d.note, 140), TITLE_CHARS) if d.note else ""
        ax.set_title(title + (f"\n{note}" if note else ""), fontsize=9)  # wrapped, not clipped
        ax.legend(loc="best")

    lines = len(textwrap.wrap(plot_text(d.note, 140), TITLE_CHARS)) if d.note else 0
    height = 3.0 if d.kind == "numeric" else 1.6 + 0.2 * len(d.bins)
    return render_png(5.2, height + 0.15 * max(lines - 1, 0), draw)


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
            _shares(counts) / widths, edges, color=color, ls=style, lw=1.5, label=plot_text(label)
        )
    _overflow_marks(ax, d, names)
    ax.set_xlim(edges[0], edges[-1])  # both sides' values, the overflow bins included
    xlabel = plot_text(d.column, 60) + (" (outer bins drawn narrower)" if d.clipped else "")
    ax.set(xlabel=xlabel, ylabel="density")


def _overflow_marks(ax: Axes, d: Distribution, names: Names) -> None:
    """Shade and label the bins of current values beyond the baseline's range."""
    shares = _shares(d.current)
    base = plot_text(names[0], 20)
    for side, index, (a, b) in (
        ("below", 0, (d.edges[0], d.edges[1])),
        ("above", -1, (d.edges[-2], d.edges[-1])),
    ):
        if not d.overflow[0 if side == "below" else 1]:
            continue
        ax.axvspan(a, b, color="0.9", zorder=0, lw=0)
        label = f"{shares[index]:.0%} {side}\n{base}'s {'min' if side == 'below' else 'max'}"
        true_end = d.ends[index] if d.ends else None
        if true_end is not None and true_end != d.edges[index]:  # drawn narrower than it is
            label += f"\n(to {fmt_value(true_end)})"
        ax.annotate(
            label,
            xy=((a + b) / 2, 0.97),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="top",
            fontsize=7,
        )


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
    labels = [plot_text(b, 24) for b in d.bins][:MAX_CATEGORIES]
    y = np.arange(len(labels))
    base, cur = _shares(d.baseline)[: len(labels)], _shares(d.current)[: len(labels)]
    ax.barh(y - 0.2, base, height=0.4, color=BASELINE_COLOR, label=plot_text(names[0]))
    ax.barh(y + 0.2, cur, height=0.4, color=CANDIDATE_COLOR, label=plot_text(names[1]))
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
    inner, base_counts, cur_counts, overflow = _split_overflow(
        inner, base_counts, cur_counts, base, cur, values
    )
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
        overflow=overflow,
        ends=_ends(base, cur),
    )


def _ends(base: Mapping[str, Any], cur: Mapping[str, Any]) -> tuple[float, ...]:
    lows = [float(v) for v in (base.get("min"), cur.get("min")) if v is not None]
    highs = [float(v) for v in (base.get("max"), cur.get("max")) if v is not None]
    return (min(lows), max(highs)) if lows and highs else ()


def _finite_numbers(values: Any) -> np.ndarray:
    """The finite numbers among a column's current values (text that is no number dropped)."""
    import pandas as pd  # pandas: only for a model's evaluation frame, never data-only

    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    v = np.asarray(numbers.to_numpy(dtype="float64", na_value=np.nan), dtype="float64")
    return v[np.isfinite(v)]


def _numeric_counts(inner: list[float], cur: Mapping[str, Any], values: Any) -> list[float] | None:
    """Current counts in (-inf, e1], (e1, e2], ..., (e_k, inf): exact, or from quantiles."""
    if values is not None:
        v = _finite_numbers(values)
        index = np.searchsorted(np.asarray(inner, dtype="float64"), v, side="left")
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


def _split_overflow(
    inner: list[float],
    base_counts: list[float],
    cur_counts: list[float],
    base: Mapping[str, Any],
    cur: Mapping[str, Any],
    values: Any,
) -> tuple[list[float], list[float], list[float], tuple[bool, bool]]:
    """Current values beyond the baseline's minimum or maximum get bins of their own, where
    the baseline has none: drawn where they are, not spread over the baseline's outer bins
    (bp values 8-17 against a baseline of 38-130 belong left of 38)."""
    low = None if base.get("min") is None else float(base["min"])
    high = None if base.get("max") is None else float(base["max"])
    counts = list(cur_counts)
    below = above = 0.0
    if low is None or high is None or not inner:
        return inner, base_counts, counts, (False, False)
    margin = OVERFLOW_MARGIN * (high - low)  # sampling nudges the extremes: not an overflow
    cur_low, cur_high = cur.get("min"), cur.get("max")
    if low < inner[0] and cur_low is not None and float(cur_low) < low - margin:
        below = min(_beyond(low, "below", cur, values), counts[0])
    if high > inner[-1] and cur_high is not None and float(cur_high) > high + margin:
        above = min(_beyond(high, "above", cur, values), counts[-1])
    if below > 0:
        counts[0] -= below
        inner, base_counts, counts = [low, *inner], [0.0, *base_counts], [below, *counts]
    if above > 0:
        counts[-1] -= above
        inner, base_counts, counts = [*inner, high], [*base_counts, 0.0], [*counts, above]
    return inner, base_counts, counts, (below > 0, above > 0)


def _beyond(limit: float, side: str, cur: Mapping[str, Any], values: Any) -> float:
    """How many current values lie below (or above) ``limit``: exact, or from quantiles."""
    if values is not None:
        v = _finite_numbers(values)
        return float(np.count_nonzero(v < limit if side == "below" else v > limit))
    grid = sorted(
        (float(q), float(x)) for q, x in (cur.get("quantiles") or {}).items() if x is not None
    )
    finite = float(cur.get("finite") or 0)
    if len(grid) < 2 or not finite:
        return 0.0
    probs, qs = np.asarray([g[0] for g in grid]), np.asarray([g[1] for g in grid])
    share = float(np.interp(limit, qs, probs, left=0.0, right=1.0))
    return share * finite if side == "below" else (1.0 - share) * finite


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
