"""Drifted distributions: a column in the baseline and now, over the baseline's bins."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlci.report.plots import svg
from mlci.report.plots.render import BASELINE_COLOR, CANDIDATE_COLOR, plot_text
from mlci.report.plots.values import DEFAULT_NAMES, OTHER, Distribution, Names
from mlci.results import CheckResult
from mlci.vocab import fmt_value

MAX_CATEGORIES = 12

MAX_DRIFT_FIGURES = 8
OVERFLOW_MARGIN = 0.05  # beyond the baseline's range by this share of it: own bins
TITLE_CHARS = 64  # a title line's characters at the figure's width and font size


MARGIN_RIGHT = 14

_Scale = Callable[[float], float]


@dataclass
class _Box:
    """The plot area in pixels."""

    left: float
    right: float
    top: float
    bottom: float = 0.0

    def scale_x(self, low: float, high: float) -> _Scale:
        span = (high - low) or 1.0
        return lambda v: self.left + (v - low) / span * (self.right - self.left)

    def scale_y(self, low: float, high: float) -> _Scale:
        span = (high - low) or 1.0
        return lambda v: self.bottom - (v - low) / span * (self.bottom - self.top)

    def spines(self, canvas: svg.Canvas) -> None:
        canvas.line(self.left, self.top, self.left, self.bottom, color=svg.AXIS_COLOR, width=0.8)
        canvas.line(
            self.left, self.bottom, self.right, self.bottom, color=svg.AXIS_COLOR, width=0.8
        )


def drift_svg(d: Distribution, *, names: Names = DEFAULT_NAMES) -> bytes:
    """A column's distribution in the baseline and now, over the baseline's bins, as SVG.

    Numeric: step lines of density (share per unit) over the baseline's decile edges, the bins
    of current values beyond the baseline's range shaded and labelled; categorical (and a
    constant column): each category's share, side by side. Drawn without matplotlib (see
    :mod:`mlci.report.plots.svg`), so a data-only run never imports it.
    """
    if d.kind == "numeric" and _drawable_edges(d):
        return _numeric_figure(d, names)
    return _category_figure(d if d.kind != "numeric" else _as_categories(d), names)


def _drawable_edges(d: Distribution) -> bool:
    widths = np.diff(np.asarray(d.edges, dtype=float))
    return len(d.edges) >= 2 and bool(np.all(widths > 0)) and bool(np.all(np.isfinite(widths)))


def _shares(counts: Sequence[float]) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    total = c.sum()
    return c / total if total > 0 else c


def _heading(canvas: svg.Canvas, d: Distribution, names: Names, *, bars: bool = False) -> float:
    """Title, wrapped note and legend (line or ``bars`` samples) at the top; returns where
    the plot may start."""
    title = f"{plot_text(d.dataset, 30)} · {plot_text(d.column, 50)}"
    canvas.text(canvas.width / 2, 17, title, size=12.5, anchor="middle")
    y = 17.0
    for line in _note_lines(d):
        y += 14
        canvas.text(canvas.width / 2, y, line, size=11, anchor="middle")
    y += 20
    x: float = canvas.width - MARGIN_RIGHT
    for label, color, dashed in reversed(
        ((plot_text(names[0]), BASELINE_COLOR, True), (plot_text(names[1]), CANDIDATE_COLOR, False))
    ):
        canvas.text(x, y, label, size=10.5, anchor="end")
        x -= svg.text_width(label, 10.5) + 6
        if bars:
            canvas.rect(x - 12, y - 9, 12, 10, color=color)
        else:
            canvas.polyline([(x - 22, y - 4), (x, y - 4)], color=color, dashed=dashed, width=2)
        x -= 26 if bars else 36
    return y + 10


def _note_lines(d: Distribution) -> list[str]:
    return textwrap.wrap(plot_text(d.note, 140), TITLE_CHARS) if d.note else []


def _numeric_figure(d: Distribution, names: Names) -> bytes:
    edges = [float(e) for e in d.edges]
    lines = len(_note_lines(d))
    canvas = svg.Canvas(520, 300 + 15 * max(lines - 1, 0))
    top = _heading(canvas, d, names)
    box = _Box(left=62, right=canvas.width - MARGIN_RIGHT, top=top, bottom=canvas.height - 42)
    widths = np.diff(edges)
    sides = [(_shares(c) / widths) for c in (d.baseline, d.current)]
    peak = max(float(np.max(s)) for s in sides) or 1.0
    room = 1.45 if any(d.overflow) else 1.08  # the overflow labels sit at the top
    x_of = box.scale_x(edges[0], edges[-1])
    y_of = box.scale_y(0.0, peak * room)
    _overflow_marks(canvas, d, names, box, x_of)
    y_ticks = svg.nice_ticks(0.0, peak * room)
    for t in y_ticks:
        canvas.line(box.left, y_of(t), box.right, y_of(t), color=svg.GRID_COLOR, width=0.6)
        canvas.text(box.left - 5, y_of(t) + 3.5, svg.tick_label(t, y_ticks), size=10, anchor="end")
    _x_axis(canvas, box, x_of, svg.nice_ticks(edges[0], edges[-1]), percent=False)
    for density, color, dashed in (
        (sides[0], BASELINE_COLOR, True),
        (sides[1], CANDIDATE_COLOR, False),
    ):
        canvas.polyline(_steps(edges, density, x_of, y_of), color=color, dashed=dashed)
    box.spines(canvas)
    xlabel = plot_text(d.column, 60) + (" (outer bins drawn narrower)" if d.clipped else "")
    canvas.text((box.left + box.right) / 2, canvas.height - 8, xlabel, size=11, anchor="middle")
    canvas.text(16, (box.top + box.bottom) / 2, "density", size=11, anchor="middle", rotate=True)
    return canvas.to_bytes()


def _steps(
    edges: Sequence[float], heights: np.ndarray, x_of: _Scale, y_of: _Scale
) -> list[tuple[float, float]]:
    """The outline of a histogram: up at the first edge, across each bin, down at the last."""
    points = [(x_of(edges[0]), y_of(0.0))]
    for i, h in enumerate(heights):
        points += [(x_of(edges[i]), y_of(float(h))), (x_of(edges[i + 1]), y_of(float(h)))]
    points.append((x_of(edges[-1]), y_of(0.0)))
    return points


def _x_axis(
    canvas: svg.Canvas, box: _Box, x_of: _Scale, ticks: list[float], *, percent: bool
) -> None:
    for t in ticks:
        x = x_of(t)
        canvas.line(x, box.top, x, box.bottom, color=svg.GRID_COLOR, width=0.6)
        label = svg.tick_label(t, ticks, percent=percent)
        canvas.text(x, box.bottom + 15, label, size=10, anchor="middle")


def _overflow_marks(
    canvas: svg.Canvas, d: Distribution, names: Names, box: _Box, x_of: _Scale
) -> None:
    """Shade and label the bins of current values beyond the baseline's range."""
    shares = _shares(d.current)
    base = plot_text(names[0], 20)
    for side, index, (a, b) in (
        ("below", 0, (d.edges[0], d.edges[1])),
        ("above", -1, (d.edges[-2], d.edges[-1])),
    ):
        if not d.overflow[0 if side == "below" else 1]:
            continue
        canvas.rect(x_of(a), box.top, x_of(b) - x_of(a), box.bottom - box.top, color="#e5e5e5")
        label = [f"{shares[index]:.0%} {side}", f"{base}'s {'min' if side == 'below' else 'max'}"]
        true_end = d.ends[index] if d.ends else None
        if true_end is not None and true_end != d.edges[index]:  # drawn narrower than it is
            label.append(f"(to {fmt_value(true_end)})")
        middle = (x_of(a) + x_of(b)) / 2
        anchor = "start" if side == "below" and middle < box.left + 40 else "middle"
        anchor = "end" if side == "above" and middle > box.right - 40 else anchor
        x = {"start": x_of(a) + 3, "middle": middle, "end": x_of(b) - 3}[anchor]
        for i, line in enumerate(label):
            canvas.text(x, box.top + 12 + 11 * i, line, size=9.5, anchor=anchor)


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


def _category_figure(d: Distribution, names: Names) -> bytes:
    labels = [plot_text(b, 24) for b in d.bins][:MAX_CATEGORIES]
    lines = len(_note_lines(d))
    canvas = svg.Canvas(520, 100 * (1.6 + 0.2 * len(labels)) + 15 * max(lines - 1, 0) + 20)
    top = _heading(canvas, d, names, bars=True)
    widest = max((svg.text_width(s, 10) for s in labels), default=0.0)
    box = _Box(left=min(widest, 180) + 14, right=canvas.width - MARGIN_RIGHT, top=top)
    box.bottom = canvas.height - 40
    n = len(labels)
    base, cur = _shares(d.baseline)[:n], _shares(d.current)[:n]
    peak = max(float(np.max(base, initial=0.0)), float(np.max(cur, initial=0.0))) or 1.0
    x_of = box.scale_x(0.0, peak * 1.08)
    _x_axis(canvas, box, x_of, svg.nice_ticks(0.0, peak * 1.08), percent=True)
    band = (box.bottom - box.top) / max(n, 1)
    for i, label in enumerate(labels):
        middle = box.top + band * (i + 0.5)
        for share, color, offset in ((base[i], BASELINE_COLOR, -1), (cur[i], CANDIDATE_COLOR, 0)):
            y = middle + offset * band * 0.4
            canvas.rect(box.left, y, x_of(float(share)) - box.left, band * 0.4, color=color)
        canvas.text(box.left - 5, middle + 3.5, label, size=10, anchor="end")
    box.spines(canvas)
    label_x = (box.left + box.right) / 2
    canvas.text(label_x, canvas.height - 8, "share of values", size=11, anchor="middle")
    return canvas.to_bytes()


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
