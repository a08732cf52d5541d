"""Unpaired statistics: Δ when the two models were evaluated on different rows.

When the rows cannot be paired (the evaluation data changed and the baseline model cannot be
re-scored, or too few ids are shared), the two metric values come from **independent
samples**, so the variance of their difference is the sum of their variances. Each side's
standard error comes from the same machinery as the paired intervals (:mod:`mlci.model.stats`),
applied to that side alone:

- **count metrics**: multinomial resampling of the side's (truth, prediction) table — the row
  bootstrap computed exactly; for accuracy its standard error is the Wald one.
- **ROC AUC**: DeLong's variance of one AUC (``var(V10)/m + var(V01)/n``; one-vs-rest macro for
  multiclass), so the interval of Δ is DeLong's test for two independent AUCs.
- **mean metrics** (log_loss, brier_score, mae, mse, mape): the standard deviation of the
  rows' terms over √n, which is exactly the bootstrap's standard error of a mean; rmse and r2
  (functions of several means): the bootstrap of the side's row means (grouped above
  :data:`mlci.model.stats.EXACT_BUDGET` row draws).
- **average_precision**: the linear part of its bootstrap variance (its influence function).

The interval of Δ is the normal one, ``Δ ± z·√(SE_baseline² + SE_candidate²)``
(``method="unpaired"``), and the two-sided p-value is that of the z-test. Both are wider than a
paired interval on the same number of rows: unpaired comparisons need larger changes to be
conclusive, but a clear regression still fails and a clear improvement still passes.
:func:`side_errors` alone gives the standard error of one model's metric, which the slice gates
use for the interval of a gap between two (disjoint) slices.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from mlci.model.metrics import REGISTRY
from mlci.model.stats import (
    _MEAN_FORMS,
    COUNT_METRICS,
    DEFAULT_RESAMPLES,
    EXACT_BUDGET,
    Evidence,
    Paired,
    PairedStat,
    Side,
    Task,
    _bootstrap_means,
    _delong_binary,
    _delong_ovr,
    _grouped_means,
    _joint_table,
    _JointTable,
    _multinomial_chunks,
    _normal_cdf,
    _RankedScores,
)


@dataclass(frozen=True, eq=False)
class Sample:
    """One model's outputs on its own evaluation rows (coded as :class:`Paired`'s)."""

    task: Task
    y_true: np.ndarray
    side: Side
    n_classes: int = 2

    @property
    def n(self) -> int:
        return len(self.y_true)


@dataclass(frozen=True)
class Estimate:
    """One model's metric and its standard error (NaN when it cannot be estimated)."""

    value: float
    se: float


def side_errors(
    sample: Sample,
    metrics: Sequence[str],
    *,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
) -> dict[str, Estimate]:
    """The value and standard error of each of ``metrics`` for one model on its rows.

    Names outside the registry, for another task, or needing outputs the sample lacks are left
    out. Resampling is seeded by ``seed`` and the metric's name.
    """
    data = Paired(sample.task, sample.y_true, sample.side, sample.side, sample.n_classes)
    out: dict[str, Estimate] = {}
    for name in metrics:
        spec = REGISTRY.get(name)
        if spec is None or sample.task not in spec.tasks or sample.n == 0:
            continue
        needed = sample.side.y_score if spec.needs == "scores" else sample.side.y_pred
        if needed is None:
            continue
        rng = np.random.default_rng([seed, zlib.crc32(name.encode()), 1])
        out[name] = _estimate(name, data, resamples, rng)
    return out


def unpaired_statistics(
    baseline: Sample,
    candidate: Sample,
    metrics: Sequence[str],
    *,
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    higher_is_better: Mapping[str, bool] | None = None,
) -> dict[str, PairedStat]:
    """Δ of each metric between two independent samples, with its normal interval.

    Same contract as :func:`mlci.model.stats.paired_statistics` (direction-adjusted Δ, the
    interval at ``confidence``), with ``method="unpaired"`` and a two-sided z-test p-value.
    """
    directions = higher_is_better or {}
    base = side_errors(baseline, metrics, seed=seed, resamples=resamples)
    cand = side_errors(candidate, metrics, seed=seed + 1, resamples=resamples)
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    out: dict[str, PairedStat] = {}
    for name in metrics:
        if name not in base or name not in cand:
            continue
        sign = 1.0 if directions.get(name, REGISTRY[name].higher_is_better) else -1.0
        out[name] = difference(name, base[name], cand[name], sign, confidence, z)
    return out


def difference(
    name: str, base: Estimate, cand: Estimate, sign: float, confidence: float, z: float
) -> PairedStat:
    """Δ = sign·(candidate − baseline) of two independent estimates, with its normal interval."""
    delta = sign * (cand.value - base.value)
    se = math.sqrt(base.se**2 + cand.se**2)
    finite = math.isfinite(delta) and math.isfinite(se)
    low, high = (delta - z * se, delta + z * se) if finite else (math.nan, math.nan)
    p: float | None = None
    if finite:
        p = 2 * _normal_cdf(-abs(delta) / se) if se > 0 else float(delta == 0)
    return PairedStat(
        name,
        base.value,
        cand.value,
        delta,
        low,
        high,
        confidence,
        "unpaired",
        p,
        _se=se if finite else None,
    )


# -- one side -----------------------------------------------------------------------------------


def _estimate(name: str, data: Paired, resamples: int, rng: np.random.Generator) -> Estimate:
    if name in COUNT_METRICS:
        return _count_estimate(name, data, resamples, rng)
    if name == "roc_auc":
        return _auc_estimate(data)
    if name == "average_precision":
        return _ap_estimate(data)
    return _mean_estimate(name, data, resamples, rng)


def _spread(replicates: np.ndarray) -> float:
    finite = replicates[np.isfinite(replicates)]
    if len(finite) < max(20, len(replicates) // 2):
        return math.nan
    return float(np.std(finite, ddof=1))


def _count_estimate(name: str, data: Paired, resamples: int, rng: np.random.Generator) -> Estimate:
    assert data.candidate.y_pred is not None
    k = 2 if data.task == "binary" else data.n_classes
    t = np.asarray(data.y_true, dtype=np.int64)
    a = np.asarray(data.candidate.y_pred, dtype=np.int64)
    cells, counts = _joint_table(t, a, a, k)
    table = _JointTable(cells, k, data.task == "binary")
    value = float(table.metric(name, counts[None, :].astype(float))[1][0])
    draws = _multinomial_chunks(counts, resamples, rng)
    replicates = np.concatenate([table.metric(name, d)[1] for d in draws])
    return Estimate(value, _spread(replicates))


def _auc_estimate(data: Paired) -> Estimate:
    """DeLong's variance of one AUC: the other side is a constant score (its components are
    constant, so they add nothing to the variance of the difference)."""
    score = data.candidate.y_score
    assert score is not None
    constant = np.zeros_like(np.asarray(score, dtype=float))
    if data.task == "binary":
        _, value, var = _delong_binary(np.asarray(data.y_true) == 1, constant, score)
    else:
        _, value, var = _delong_ovr(data.y_true, constant, score, data.n_classes)
    se = math.sqrt(var) if math.isfinite(var) and var >= 0 else math.nan
    return Estimate(value, se)


def _ap_estimate(data: Paired) -> Estimate:
    score = np.asarray(data.candidate.y_score, dtype=float)
    ranked = _RankedScores(np.asarray(data.y_true) == 1, score)
    value = float(ranked.average_precision(np.ones((1, data.n)))[0])
    influence = ranked.influence()
    n = len(influence)
    var = float(np.sum(influence**2) - np.sum(influence) ** 2 / n)
    return Estimate(value, math.sqrt(var) if math.isfinite(var) and var >= 0 else math.nan)


_ROW_MEANS = frozenset({"log_loss", "brier_score", "mae", "mse", "mape"})


def _mean_estimate(name: str, data: Paired, resamples: int, rng: np.random.Generator) -> Estimate:
    """The bootstrap of the side's row means; with both sides the same model, the form's
    candidate value is that model's metric in every replicate."""
    form = _MEAN_FORMS[name](data)
    _, _, value = form.combine(form.terms.mean(axis=0, keepdims=True))
    if name in _ROW_MEANS:  # the bootstrap variance of a mean is exactly the rows' variance / n
        return Estimate(float(value[0]), float(np.std(form.terms[:, 1]) / math.sqrt(data.n)))
    if data.n * resamples <= EXACT_BUDGET:
        means = _bootstrap_means(form.terms, resamples, rng)
    else:
        means = _grouped_means(form.terms, form.terms.sum(axis=1), resamples, rng)
    _, _, replicates = form.combine(means)
    return Estimate(float(value[0]), _spread(replicates))


# -- metrics files ----------------------------------------------------------------------------

FROM_A_FILE = "the metrics come from a metrics file"


def reported_evidence(
    current: Mapping[str, float],
    current_se: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    baseline_se: Mapping[str, float],
    directions: Mapping[str, bool],
    *,
    confidence: float = 0.95,
) -> Evidence:
    """The unpaired interval of Δ of each metric whose standard error both the candidate's
    metrics file and the baseline's run give (:mod:`mlci.model.uncertainty`)."""
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    stats: dict[str, PairedStat] = {}
    for name, value in current.items():
        if baseline is None or name not in baseline or name not in directions:
            continue
        if name not in current_se or name not in baseline_se:
            continue
        base, cand = Estimate(baseline[name], baseline_se[name]), Estimate(value, current_se[name])
        sign = 1.0 if directions[name] else -1.0
        stats[name] = difference(name, base, cand, sign, confidence, z)
    if not current_se:
        why = FROM_A_FILE
    else:
        why = f"{FROM_A_FILE}, and the baseline's run or this one gives no uncertainty for them"
    return Evidence(stats, unpaired=why)
