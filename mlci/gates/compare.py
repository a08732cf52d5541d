"""Each candidate metric next to its baseline value, direction-adjusted (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

from mlci.model.stats import PairedStat
from mlci.results import MetricComparison


def compare_metrics(
    current: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    directions: Mapping[str, bool],
) -> tuple[MetricComparison, ...]:
    """Each candidate metric next to its baseline value, in the candidate's order.

    ``change = value - baseline``; ``change_pct = 100 * change / |baseline|`` (``None`` when the
    baseline is 0); ``delta`` is ``change`` made "positive is better" with ``directions``
    (``None`` when the direction is unknown). Any of them is ``None`` when a side is missing or
    undefined (NaN).

    Example: ``compare_metrics({"log_loss": 0.309}, {"log_loss": 0.301}, {"log_loss": False})``
    gives ``change ≈ 0.008``, ``change_pct ≈ 2.66`` and ``delta ≈ -0.008`` (worse).
    """
    baseline = baseline or {}
    return tuple(
        _compare(name, float(value), _float_or_none(baseline.get(name)), directions.get(name))
        for name, value in current.items()
    )


def _compare(name: str, value: float, base: float | None, higher: bool | None) -> MetricComparison:
    change = None if base is None else value - base
    if change is not None and not math.isfinite(change):
        change = None
    change_pct = None
    if change is not None and base:  # base is not None, not 0
        change_pct = 100 * change / abs(base)
    delta = None if change is None or higher is None else (change if higher else -change)
    return MetricComparison(
        name=name,
        value=value,
        baseline=base,
        higher_is_better=higher,  # None: direction unknown
        change=change,
        change_pct=change_pct,
        delta=delta,
    )


def _float_or_none(x: float | None) -> float | None:
    return None if x is None else float(x)


def with_intervals(
    comparisons: Sequence[MetricComparison], stats: Mapping[str, PairedStat]
) -> tuple[MetricComparison, ...]:
    """``comparisons`` with the interval, p-value and method of each metric that has them."""
    out = []
    for c in comparisons:
        stat = stats.get(c.name)
        if stat is None or c.delta is None:
            out.append(c)
            continue
        out.append(
            replace(
                c,
                ci_low=_finite_or_none(stat.ci_low),
                ci_high=_finite_or_none(stat.ci_high),
                p_value=stat.p_value,
                method=stat.method,
                ci_level=stat.confidence,
            )
        )
    return tuple(out)


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None
