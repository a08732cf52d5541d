"""How sure a monitoring run is of the release's metrics on production rows (pure).

Production rows are not the release's evaluation rows, so the change since the release is an
**unpaired** comparison of two estimates, each with its own sampling error:

1. **The interval of one metric on one set of rows** is computed with the paired machinery of
   :mod:`mlci.model.stats` (multinomial for count metrics, DeLong for ROC AUC, bootstrap
   otherwise) by pairing the model with an *oracle* that predicts the truth: the oracle's metric
   is the same on every resample (accuracy 1, log loss 0, AUC 1, R² 1...), so the interval of
   the difference is the interval of the metric itself, shifted. Every metric of the registry
   gets the method, the seeding and the tests it has in pull requests.
2. **The interval of Δ** (production minus release, made "positive is better") combines the
   production metric's interval with the release's (from its record's stored per-example
   predictions, when it has them) as independent normal errors: each side of the interval
   widens by the square root of the sum of the squared half-widths. Without stored predictions
   the release's value is taken as exact and only the production rows' error counts.

The gates then judge these intervals as they judge a pull request's
(:class:`mlci.model.stats.ReportedInterval`): in ``lenient`` mode a change rule fails only when
the whole interval of Δ is beyond its margin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mlci.model.pairing import RowOutputs, pair
from mlci.model.stats import ReportedInterval, paired_statistics


@dataclass(frozen=True)
class ValueInterval:
    """A metric on one set of rows with the interval of its value (level ``confidence``)."""

    value: float
    low: float
    high: float
    confidence: float
    method: str


def oracle_of(outputs: RowOutputs) -> RowOutputs:
    """Outputs that predict the truth exactly: labels, one-hot scores or the true values."""
    y_true = outputs.y_true
    if outputs.task == "regression":
        return RowOutputs("regression", (), y_true, y_true.copy(), None)
    score: np.ndarray | None = None
    if outputs.y_score is not None and outputs.task == "binary":
        score = y_true.astype(np.float64)
    elif outputs.y_score is not None:
        column = {str(c): j for j, c in enumerate(outputs.score_classes)}
        where = np.array([column.get(str(c), -1) for c in outputs.classes], dtype=np.int64)
        score = np.zeros((len(y_true), len(outputs.score_classes)), dtype=np.float64)
        rows = np.flatnonzero(where[y_true] >= 0)
        score[rows, where[y_true][rows]] = 1.0
    return RowOutputs(
        outputs.task, outputs.classes, y_true, y_true.copy(), score, outputs.score_classes
    )


def value_intervals(
    outputs: RowOutputs,
    metrics: Sequence[str],
    *,
    directions: Mapping[str, bool],
    confidence: float,
    seed: int,
) -> dict[str, ValueInterval]:
    """The value and interval of each metric on these rows (module docstring, item 1).

    Metrics outside the registry, or that need scores the outputs lack, are left out.
    """
    outputs = RowOutputs(  # positional: the oracle is the same rows
        outputs.task,
        outputs.classes,
        outputs.y_true,
        outputs.y_pred,
        outputs.y_score,
        outputs.score_classes,
    )
    pairing = pair(oracle_of(outputs), outputs)
    if pairing.paired is None or outputs.n == 0:
        return {}
    stats = paired_statistics(
        pairing.paired,
        list(metrics),
        confidence=confidence,
        seed=seed,
        higher_is_better=dict(directions),
    )
    found = {}
    for name, stat in stats.items():
        if not all(math.isfinite(v) for v in (stat.baseline, stat.ci_low, stat.ci_high)):
            continue
        higher = directions.get(name, True)
        if higher:
            low, high = stat.baseline + stat.ci_low, stat.baseline + stat.ci_high
        else:
            low, high = stat.baseline - stat.ci_high, stat.baseline - stat.ci_low
        found[name] = ValueInterval(stat.candidate, low, high, stat.confidence, stat.method)
    return found


def change_intervals(
    production: Mapping[str, float],
    release: Mapping[str, float],
    *,
    production_intervals: Mapping[str, ValueInterval],
    release_intervals: Mapping[str, ValueInterval],
    directions: Mapping[str, bool],
    confidence: float,
) -> dict[str, ReportedInterval]:
    """The interval of Δ of each metric measured on both sides (module docstring, item 2).

    ``production``/``release``: the point values; the intervals by metric (a metric without a
    production interval gets none; one without a release interval takes the release as exact).
    """
    out: dict[str, ReportedInterval] = {}
    for name, value in production.items():
        base, mine = release.get(name), production_intervals.get(name)
        if base is None or mine is None or name not in directions:
            continue
        if not (math.isfinite(value) and math.isfinite(base)):
            continue
        sign = 1.0 if directions[name] else -1.0
        delta = sign * (value - base)
        worse_p, better_p = _halves(mine, value, sign)
        theirs = release_intervals.get(name)
        worse_r, better_r = _halves(theirs, base, sign) if theirs is not None else (0.0, 0.0)
        # Δ is lower when production is worse or the release was better than measured
        low = delta - math.hypot(worse_p, better_r)
        high = delta + math.hypot(better_p, worse_r)
        out[name] = ReportedInterval(
            metric=name,
            baseline=base,
            candidate=value,
            delta=delta,
            ci_low=low,
            ci_high=high,
            confidence=confidence,
            method=mine.method,  # type: ignore[arg-type]
        )
    return out


def _halves(interval: ValueInterval, value: float, sign: float) -> tuple[float, float]:
    """The interval's half-widths on the worse and the better side of ``value``."""
    below, above = max(value - interval.low, 0.0), max(interval.high - value, 0.0)
    return (below, above) if sign > 0 else (above, below)
