"""Paired statistics: how sure mlci is of Δ, the change between baseline and candidate.

Both models are compared on the **same evaluation rows**, so the uncertainty of their difference
is much smaller than the uncertainty of either metric alone (the rows that are hard for one model
are mostly hard for the other). For every metric :func:`paired_statistics` returns the
direction-adjusted Δ (positive is better, as the gates use it), a confidence interval of Δ, a
p-value where a classical test exists, and the method:

- **count metrics** (accuracy, balanced_accuracy, precision, recall, f1, f1_weighted, f1_micro):
  the joint table of (truth, baseline prediction, candidate prediction) holds everything these
  metrics depend on. The interval resamples that table: multinomial draws of its cell counts,
  which is the row bootstrap computed exactly and cheaply (``method="multinomial"``); accuracy
  adds McNemar's exact test on the discordant cells (``"multinomial+mcnemar"``).
- **ROC AUC**: DeLong's test for two correlated AUCs in the O(n log n) midrank form of Sun & Xu
  (2014); the interval is Δ ± z·SE from the DeLong variance of the difference (``"delong"``).
  Multiclass (one-vs-rest, macro) uses the same structural components per class.
- **every other metric** (log_loss, brier_score, mae, mse, rmse, r2, mape, average_precision):
  a paired percentile bootstrap, the same resampled rows for both models (``"bootstrap"``),
  drawn in chunks of at most :data:`CHUNK_CELLS` so memory stays bounded. Above
  :data:`EXACT_BUDGET` row draws, metrics that are functions of row means (all of these but
  average_precision) use a grouped bootstrap (``"bootstrap_grouped"``): rows are sorted by their
  contribution to Δ into :data:`GROUPS` groups, the group counts are drawn exactly (multinomial)
  and only the small within-group part is drawn from its normal limit. That keeps 1,000,000 rows
  under a second; the test suite checks it against the plain bootstrap. average_precision, which
  needs whole replicates, uses instead the linear part of the bootstrap variance (its influence
  function, as DeLong's components are for the AUC) and a normal interval (``"influence"``).

Every resampling is seeded (the config's ``stats.seed`` and the metric's name), so the same
inputs give the same intervals. :func:`holm` adjusts p-values across comparisons.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Literal

import numpy as np

from mlci.model.metrics import REGISTRY

DEFAULT_RESAMPLES = 2000
CHUNK_CELLS = 1 << 22  # resampled values held at once (replicates × rows or cells): ~32 MB
EXACT_BUDGET = 25_000_000  # row draws (rows × resamples) above which the grouped bootstrap runs
GROUPS = 1000  # groups of the grouped bootstrap (at most)
ROWS_PER_GROUP = 200  # fewer groups for fewer rows: at least this many rows each (≥ 100 groups)

COUNT_METRICS = frozenset(
    {
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "f1_weighted",
        "f1_micro",
        *(f"{m}_{a}" for m in ("precision", "recall", "f1") for a in ("macro", "weighted")),
        *("jaccard", "jaccard_macro", "jaccard_micro", "jaccard_weighted"),
        *("matthews_corrcoef", "cohen_kappa"),
    }
)

Method = Literal[
    "multinomial",
    "multinomial+mcnemar",
    "delong",
    "bootstrap",
    "bootstrap_grouped",
    "influence",
    "unpaired",  # independent samples: mlci.model.unpaired
]
Task = Literal["binary", "multiclass", "regression"]


@dataclass(frozen=True, eq=False)
class Side:
    """One model's outputs on the evaluation rows.

    ``y_pred``: binary 0/1 (1 = the positive class), multiclass class codes ``0..k-1``,
    regression predicted values. ``y_score``: binary positive-class scores ``(n,)``, multiclass
    probabilities ``(n, k)`` with column ``j`` for code ``j``, regression ``None``.
    """

    y_pred: np.ndarray | None = None
    y_score: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Paired:
    """Both models on the same rows, row ``i`` of every array being the same example.

    ``y_true`` is coded like ``y_pred`` (binary 0/1, multiclass codes, regression values);
    ``n_classes`` is ``k`` for multiclass codes (2 for binary).
    """

    task: Task
    y_true: np.ndarray
    baseline: Side
    candidate: Side
    n_classes: int = 2

    @property
    def n(self) -> int:
        return len(self.y_true)


@dataclass(frozen=True, eq=False)
class PairedStat:
    """Δ of one metric with its interval.

    ``delta``, ``ci_low`` and ``ci_high`` are direction-adjusted (positive is better);
    ``baseline``/``candidate`` are the two metric values on the paired rows. ``p_value`` is
    two-sided for "no difference" (McNemar for accuracy, DeLong for ROC AUC), ``None`` for
    metrics without a classical test. ``resamples`` is the number of resamples (0 for DeLong).
    """

    metric: str
    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    confidence: float
    method: Method
    p_value: float | None = None
    resamples: int = 0
    _replicates: np.ndarray | None = field(default=None, repr=False)  # sorted, adjusted
    _se: float | None = field(default=None, repr=False)

    def p_breach(self, limit: float, *, breach: Literal["below", "above"]) -> float:
        """One-sided p-value that Δ lies beyond ``limit`` (``below``: Δ < limit is the breach).

        Small when the evidence says the true Δ is beyond ``limit``: the fraction of resampled
        Δ on the acceptable side (plus one, over resamples plus one), or the normal tail of the
        DeLong estimate. It is below ``(1 - confidence) / 2`` exactly when the interval lies
        beyond ``limit`` (up to the resolution of the resamples).
        """
        if not math.isfinite(self.delta):
            return math.nan
        if self._se is not None:
            beyond = self.delta - limit if breach == "below" else limit - self.delta
            if self._se == 0:
                return 0.0 if beyond < 0 else 1.0
            return _normal_cdf(beyond / self._se)
        reps = self._replicates
        if reps is None or len(reps) == 0:
            return math.nan
        if breach == "below":
            ok = len(reps) - int(np.searchsorted(reps, limit, side="left"))
        else:
            ok = int(np.searchsorted(reps, limit, side="right"))
        return (ok + 1) / (len(reps) + 1)


@dataclass(frozen=True, eq=False)
class ReportedInterval(PairedStat):
    """Δ known only by its interval, as a report.json carries it (no resamples, no variance).

    `mlci publish` judges a fork's reported numbers with these. The one-sided p-value of a
    breach treats Δ as normal with the standard error implied by the half of the interval on
    the breach's side, so it is below ``(1 - confidence) / 2`` exactly when that end of the
    interval lies beyond the limit, as :meth:`PairedStat.p_breach` is for a computed interval.
    """

    def p_breach(self, limit: float, *, breach: Literal["below", "above"]) -> float:
        if breach == "below":
            half, beyond = self.ci_high - self.delta, self.delta - limit
        else:
            half, beyond = self.delta - self.ci_low, limit - self.delta
        if not (math.isfinite(half) and math.isfinite(beyond)):
            return math.nan
        if half <= 0:
            return 0.0 if beyond < 0 else 1.0
        z = NormalDist().inv_cdf((1 + self.confidence) / 2)
        return _normal_cdf(beyond * z / half)


@dataclass(frozen=True)
class Evidence:
    """What the gates know about the uncertainty of each metric's Δ.

    ``stats``: paired statistics by metric (:func:`paired_statistics`).
    ``unpaired``: why there are none, for the report (change rules then use point estimates).
    ``inconclusive``: set when the evaluation rows changed and the baseline could not be
    re-scored; the change rules of lenient and strict gates are inconclusive with this reason.
    """

    stats: Mapping[str, PairedStat] = field(default_factory=dict)
    unpaired: str = ""
    inconclusive: str = ""


def paired_statistics(
    data: Paired,
    metrics: Sequence[str],
    *,
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    higher_is_better: Mapping[str, bool] | None = None,
) -> dict[str, PairedStat]:
    """Δ, its interval and a p-value for each of ``metrics`` on paired predictions.

    Parameters
    ----------
    data: both models' outputs on the same rows (see :class:`Paired`).
    metrics: registry names; names outside the registry, or that need outputs a side lacks
        (scores), are left out of the result.
    confidence: the interval's level, e.g. 0.95.
    seed: seeds every resampling together with the metric's name (reproducible, and
        independent of the order of ``metrics``).
    resamples: bootstrap / multinomial resamples per metric.
    higher_is_better: direction per metric (default: the registry's).

    Returns
    -------
    ``{name: PairedStat}`` in the order of ``metrics``.

    Example
    -------
    >>> y = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    >>> data = Paired("binary", y, Side(y_pred=np.array([0, 1, 0, 0, 1, 1, 1, 0])),
    ...               Side(y_pred=np.array([0, 1, 1, 0, 1, 1, 1, 0])))
    >>> stat = paired_statistics(data, ["accuracy"])["accuracy"]
    >>> stat.delta, stat.method
    (0.125, 'multinomial+mcnemar')
    """
    directions = higher_is_better or {}
    out: dict[str, PairedStat] = {}
    for name in metrics:
        spec = REGISTRY.get(name)
        if spec is None or data.task not in spec.tasks or not _available(name, data):
            continue
        higher = directions.get(name, spec.higher_is_better)
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        out[name] = _one(name, data, _Settings(confidence, resamples, higher, rng))
    return out


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (the same as statsmodels' ``multipletests(holm)``).

    Sorted ascending, the ``i``-th smallest (0-based) of ``m`` p-values is multiplied by
    ``m - i``; each adjusted value is at least the one before it and at most 1. Rejecting the
    hypotheses whose adjusted p-value is below α controls the family-wise error rate at α.

    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, i in enumerate(np.argsort(p, kind="stable")):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return [float(x) for x in adjusted]


# -- dispatch -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    confidence: float
    resamples: int
    higher: bool
    rng: np.random.Generator

    @property
    def tails(self) -> tuple[float, float]:
        alpha = 1 - self.confidence
        return alpha / 2, 1 - alpha / 2


def _available(name: str, data: Paired) -> bool:
    sides = (data.baseline, data.candidate)
    if REGISTRY[name].needs == "scores":
        return all(s.y_score is not None for s in sides)
    return all(s.y_pred is not None for s in sides)


def _one(name: str, data: Paired, s: _Settings) -> PairedStat:
    if name in COUNT_METRICS:
        return _count_stat(name, data, s)
    if name == "roc_auc":
        return _delong_stat(data, s)
    if name == "average_precision":
        return _ranked_stat(name, data, s)
    if name in _RESAMPLED:
        return _resampled_stat(name, data, s)
    return _mean_stat(name, data, s)


def _finish(
    name: str,
    base: float,
    cand: float,
    raw_replicates: np.ndarray,
    s: _Settings,
    method: Method,
    p_value: float | None = None,
) -> PairedStat:
    """A resampling result: the percentile interval of the direction-adjusted Δ."""
    sign = 1.0 if s.higher else -1.0
    delta = sign * (cand - base)
    reps = np.sort(sign * raw_replicates[np.isfinite(raw_replicates)])
    if not math.isfinite(delta) or len(reps) < max(20, len(raw_replicates) // 2):
        low = high = math.nan
    else:
        low, high = (float(q) for q in np.quantile(reps, s.tails))
    return PairedStat(
        name,
        base,
        cand,
        delta,
        low,
        high,
        s.confidence,
        method,
        p_value,
        resamples=len(raw_replicates),
        _replicates=reps,
    )


# -- count metrics: the joint table ---------------------------------------------------------------


def _count_stat(name: str, data: Paired, s: _Settings) -> PairedStat:
    assert data.baseline.y_pred is not None and data.candidate.y_pred is not None
    k = 2 if data.task == "binary" else data.n_classes
    t, a, b = (
        np.asarray(x, dtype=np.int64)
        for x in (data.y_true, data.baseline.y_pred, data.candidate.y_pred)
    )
    cells, counts = _joint_table(t, a, b, k)
    table = _JointTable(cells, k, data.task == "binary")
    observed = counts[None, :].astype(float)
    base, cand = (float(v[0]) for v in table.metric(name, observed))
    draws = _multinomial_chunks(counts, s.resamples, s.rng)
    raw = np.concatenate([np.subtract(*table.metric(name, d)[::-1]) for d in draws])
    p = _mcnemar(t, a, b) if name == "accuracy" else None
    method: Method = "multinomial+mcnemar" if name == "accuracy" else "multinomial"
    return _finish(name, base, cand, raw, s, method, p)


def _joint_table(
    t: np.ndarray, a: np.ndarray, b: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The non-empty cells ``(M, 3)`` of (truth, baseline, candidate) and their counts."""
    code = (t * k + a) * k + b
    if k**3 <= 1 << 20:
        all_counts = np.bincount(code, minlength=k**3)
        cells = np.flatnonzero(all_counts)
        counts = all_counts[cells]
    else:
        cells, counts = np.unique(code, return_counts=True)
    decoded = np.stack([cells // (k * k), (cells // k) % k, cells % k], axis=1)
    return decoded, counts.astype(np.int64)


def _multinomial_chunks(
    counts: np.ndarray, total: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """``total`` multinomial redraws of the table, in chunks of bounded size."""
    n, cells = int(counts.sum()), len(counts)
    per_chunk = max(1, CHUNK_CELLS // max(cells, 1))
    chunks = []
    for start in range(0, total, per_chunk):
        size = min(per_chunk, total - start)
        chunks.append(rng.multinomial(n, counts / n, size=size).astype(float))
    return chunks


class _JointTable:
    """Confusion matrices of both models from (replicate × cell) counts."""

    def __init__(self, cells: np.ndarray, k: int, binary: bool) -> None:
        self.k, self.binary = k, binary
        self.to_base = _ColumnSums(cells[:, 0] * k + cells[:, 1], k * k)
        self.to_cand = _ColumnSums(cells[:, 0] * k + cells[:, 2], k * k)
        self.present: dict[str, np.ndarray] = {}
        full = np.ones((1, len(cells)))  # every non-empty cell: the labels seen
        for side, sums in (("base", self.to_base), ("cand", self.to_cand)):
            conf = self._confusion(full, sums)[0]
            self.present[side] = (conf.sum(axis=0) > 0) | (conf.sum(axis=1) > 0)

    def _confusion(self, counts: np.ndarray, sums: _ColumnSums) -> np.ndarray:
        return sums(counts).reshape(len(counts), self.k, self.k)

    def metric(self, name: str, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(baseline, candidate) values of ``name`` for each row of ``counts``."""
        base = _from_confusion(
            name, self._confusion(counts, self.to_base), self.present["base"], self.binary
        )
        cand = _from_confusion(
            name, self._confusion(counts, self.to_cand), self.present["cand"], self.binary
        )
        return base, cand


class _ColumnSums:
    """Sums the columns of ``(R, M)`` counts into ``size`` bins, column ``j`` into ``target[j]``."""

    def __init__(self, target: np.ndarray, size: int) -> None:
        self.order = np.argsort(target, kind="stable")
        ordered = target[self.order]
        self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        self.bins = ordered[self.starts]
        self.size = size

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        out = np.zeros((len(counts), self.size))
        out[:, self.bins] = np.add.reduceat(counts[:, self.order], self.starts, axis=1)
        return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with 0 where ``den`` is 0 (scikit-learn's ``zero_division`` default)."""
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _from_confusion(name: str, conf: np.ndarray, present: np.ndarray, binary: bool) -> np.ndarray:
    """A count metric from confusion matrices ``(R, k, k)`` [true, predicted].

    ``present`` marks the labels scikit-learn would average over (seen in the truth or the
    predictions of the observed data); binary precision/recall/f1/jaccard are those of class 1,
    their ``_macro`` and ``_weighted`` forms average over the classes as scikit-learn does.
    """
    tp = np.diagonal(conf, axis1=1, axis2=2)
    true, pred = conf.sum(axis=2), conf.sum(axis=1)
    n = conf.sum(axis=(1, 2))
    if name in ("accuracy", "f1_micro"):
        return _ratio(tp.sum(axis=1), n)
    if name == "jaccard_micro":
        return _ratio(tp.sum(axis=1), (true + pred - tp).sum(axis=1))
    if name == "balanced_accuracy":
        with np.errstate(invalid="ignore", divide="ignore"):
            recall = np.where(true > 0, tp / np.where(true > 0, true, 1), np.nan)
        recall = recall[:, present]
        counted = np.isfinite(recall).sum(axis=1)
        return _ratio(np.nansum(recall, axis=1), counted)
    if name in ("matthews_corrcoef", "cohen_kappa"):
        return _AGREEMENT[name](conf, tp, true, pred, n)
    base, _, average = name.partition("_")
    per_class = {
        "precision": _ratio(tp, pred),
        "recall": _ratio(tp, true),
        "f1": _ratio(2 * tp, pred + true),
        "jaccard": _ratio(tp, true + pred - tp),
    }[base]
    if not average and binary:
        return per_class[:, 1]
    if average == "weighted":
        support = true[:, present]
        return _ratio((per_class[:, present] * support).sum(axis=1), support.sum(axis=1))
    return per_class[:, present].mean(axis=1)


def _matthews(
    conf: np.ndarray, tp: np.ndarray, true: np.ndarray, pred: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """scikit-learn's multiclass Matthews correlation (0 when a marginal is constant)."""
    cov_tp = tp.sum(axis=1) * n - (true * pred).sum(axis=1)
    cov_pp = n**2 - (pred * pred).sum(axis=1)
    cov_tt = n**2 - (true * true).sum(axis=1)
    denominator = np.sqrt(cov_tt * cov_pp)
    return _ratio(cov_tp, denominator)


def _kappa(
    conf: np.ndarray, tp: np.ndarray, true: np.ndarray, pred: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """Cohen's kappa: 1 - observed / expected disagreement (NaN when none is expected)."""
    observed = n - tp.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = n - (true * pred).sum(axis=1) / n
        return np.where(expected > 0, 1 - observed / np.where(expected > 0, expected, 1), np.nan)


_AGREEMENT: Mapping[str, Callable[..., np.ndarray]] = {
    "matthews_corrcoef": _matthews,
    "cohen_kappa": _kappa,
}


def _mcnemar(t: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """McNemar's exact test: the discordant pairs are Binomial(n, 1/2) when accuracy is equal."""
    from scipy.special import bdtr  # scipy: heavy, needed only for McNemar's exact test

    base_only = int(np.count_nonzero((a == t) & (b != t)))
    cand_only = int(np.count_nonzero((a != t) & (b == t)))
    discordant = base_only + cand_only
    if discordant == 0:
        return 1.0
    return float(min(1.0, 2 * bdtr(min(base_only, cand_only), discordant, 0.5)))


# -- ROC AUC: DeLong ----------------------------------------------------------------------------


def _delong_stat(data: Paired, s: _Settings) -> PairedStat:
    base_score, cand_score = data.baseline.y_score, data.candidate.y_score
    assert base_score is not None and cand_score is not None
    if data.task == "binary":
        base, cand, var = _delong_binary(np.asarray(data.y_true) == 1, base_score, cand_score)
    else:
        base, cand, var = _delong_ovr(data.y_true, base_score, cand_score, data.n_classes)
    sign = 1.0 if s.higher else -1.0
    delta = sign * (cand - base)
    se = math.sqrt(var) if math.isfinite(var) and var >= 0 else math.nan
    z = NormalDist().inv_cdf(s.tails[1])
    low = high = math.nan
    p: float | None = None
    if math.isfinite(se) and math.isfinite(delta):
        low, high = delta - z * se, delta + z * se
        p = 2 * _normal_cdf(-abs(delta) / se) if se > 0 else float(delta == 0)
    return PairedStat(
        "roc_auc",
        base,
        cand,
        delta,
        low,
        high,
        s.confidence,
        "delong",
        p,
        _se=se if math.isfinite(se) else None,
    )


def _delong_binary(
    positive: np.ndarray, base: np.ndarray, cand: np.ndarray
) -> tuple[float, float, float]:
    """Both AUCs and the variance of their difference (Sun & Xu's fast DeLong)."""
    m, n = int(positive.sum()), int((~positive).sum())
    if m < 1 or n < 1:
        return math.nan, math.nan, math.nan
    auc_b, v10_b, v01_b = _structural_components(positive, np.asarray(base, dtype=float))
    auc_c, v10_c, v01_c = _structural_components(positive, np.asarray(cand, dtype=float))
    if m < 2 or n < 2:
        return auc_b, auc_c, math.nan
    var = np.var(v10_c - v10_b, ddof=1) / m + np.var(v01_c - v01_b, ddof=1) / n
    return auc_b, auc_c, float(var)


def _structural_components(
    positive: np.ndarray, score: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and DeLong's V10 (per positive) and V01 (per negative), from one sort.

    With midranks ``tz`` over all rows, ``tx`` within positives and ``ty`` within negatives:
    ``V10 = (tz - tx) / n`` (the share of negatives below a positive, ties counted half) and
    ``V01 = 1 - (tz - ty) / m``; the AUC is the mean of V10.
    """
    order = np.argsort(score)
    ranked = score[order]
    pos_sorted = positive[order]
    tz = np.empty(len(score))
    tz[order] = _midranks_sorted(ranked)
    within = np.empty(len(score))  # midranks among the rows of the same class
    within[order[pos_sorted]] = _midranks_sorted(ranked[pos_sorted])
    within[order[~pos_sorted]] = _midranks_sorted(ranked[~pos_sorted])
    m, n = int(positive.sum()), len(score) - int(positive.sum())
    v10 = (tz[positive] - within[positive]) / n
    v01 = 1.0 - (tz[~positive] - within[~positive]) / m
    return float(v10.mean()), v10, v01


def _midranks_sorted(values: np.ndarray) -> np.ndarray:
    """1-based ranks of a sorted array, ties sharing the mean of their ranks."""
    if len(values) == 0:
        return np.empty(0)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    return np.repeat((starts + ends + 1) / 2.0, ends - starts)


def _delong_ovr(
    y: np.ndarray, base: np.ndarray, cand: np.ndarray, k: int
) -> tuple[float, float, float]:
    """Macro one-vs-rest AUCs and the variance of their difference.

    Each class's AUC is a two-sample U-statistic; its influence on row ``i`` is
    ``(V10_i - AUC) / m`` for a row of the class and ``(V01_i - AUC) / n`` otherwise. The
    macro difference's influence is the mean over classes of (candidate - baseline); its
    variance is the sum of squared influences (DeLong's variance, rows shared across classes).
    """
    codes = np.asarray(y, dtype=np.int64)
    influence = np.zeros(len(codes))
    aucs_b: list[float] = []
    aucs_c: list[float] = []
    for c in range(k):
        positive = codes == c
        m, n = int(positive.sum()), int((~positive).sum())
        if m < 1 or n < 1:
            return math.nan, math.nan, math.nan
        for sign, score, aucs in ((-1, base, aucs_b), (1, cand, aucs_c)):
            auc, v10, v01 = _structural_components(positive, np.asarray(score[:, c], dtype=float))
            aucs.append(auc)
            influence[positive] += sign * (v10 - auc) / m
            influence[~positive] += sign * (v01 - auc) / n
    influence /= k
    return float(np.mean(aucs_b)), float(np.mean(aucs_c)), float(np.sum(influence**2))


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


# -- metrics that are functions of row means: the paired bootstrap ------------------------------


@dataclass(frozen=True)
class _MeanForm:
    """A metric difference as ``combine(means of the columns of terms)``.

    ``terms`` is ``(n, p)``; ``combine`` maps means ``(R, p)`` to the raw Δ (candidate minus
    baseline) and the two metric values; ``key`` orders rows for the grouped bootstrap.
    """

    terms: np.ndarray
    combine: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
    key: np.ndarray


def _mean_stat(name: str, data: Paired, s: _Settings) -> PairedStat:
    form = _MEAN_FORMS[name](data)
    _, base, cand = form.combine(form.terms.mean(axis=0, keepdims=True))
    method: Method = "bootstrap" if data.n * s.resamples <= EXACT_BUDGET else "bootstrap_grouped"
    if method == "bootstrap":
        means = _bootstrap_means(form.terms, s.resamples, s.rng)
    else:
        means = _grouped_means(form.terms, form.key, s.resamples, s.rng)
    raw, _, _ = form.combine(means)
    return _finish(name, float(base[0]), float(cand[0]), raw, s, method)


def _resample_weights(n: int, total: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Row counts ``(R, n)`` of ``total`` bootstrap resamples, in chunks of bounded size."""
    per_chunk = max(1, CHUNK_CELLS // max(n, 1))
    chunks = []
    for start in range(0, total, per_chunk):
        size = min(per_chunk, total - start)
        rows = rng.integers(0, n, size=(size, n), dtype=np.int64 if n > 2**31 - 1 else np.int32)
        rows += (np.arange(size, dtype=rows.dtype) * n)[:, None]
        weights = np.bincount(rows.ravel(), minlength=size * n).reshape(size, n)
        chunks.append(weights)
    return chunks


def _bootstrap_means(terms: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    n = len(terms)
    return np.concatenate([w @ terms / n for w in _resample_weights(n, total, rng)])


def _grouped_means(
    terms: np.ndarray, key: np.ndarray, total: int, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap means of ``terms`` with the rows in :data:`GROUPS` groups along ``key``.

    A bootstrap resample is (a) how many draws fall in each group — multinomial, drawn exactly
    — and (b) which rows of the group they hit; (b) only adds a within-group sum whose mean and
    covariance are known, and which is drawn from its normal limit. Groups are contiguous in
    ``key`` (the row's contribution to Δ), so (b) is a small part of the variance.
    """
    n, p = terms.shape
    order = np.argsort(key)
    sorted_terms = terms[order]
    groups = min(GROUPS, max(100, n // ROWS_PER_GROUP), n)
    starts = np.linspace(0, n, groups + 1).astype(np.int64)[:-1]
    sizes = np.diff(np.r_[starts, n])
    means = np.add.reduceat(sorted_terms, starts, axis=0) / sizes[:, None]
    deviations = sorted_terms - np.repeat(means, sizes, axis=0)
    second = np.empty((groups, p, p))
    for i in range(p):
        for j in range(i, p):
            moment = np.add.reduceat(deviations[:, i] * deviations[:, j], starts) / sizes
            second[:, i, j] = second[:, j, i] = moment
    counts = rng.multinomial(n, sizes / n, size=total).astype(float)
    sums = counts @ means
    covariance = (counts @ second.reshape(groups, p * p)).reshape(total, p, p)
    eigenvalues, vectors = np.linalg.eigh(covariance)
    scaled = np.sqrt(np.maximum(eigenvalues, 0.0)) * rng.standard_normal((total, p))
    noise = np.einsum("rij,rj->ri", vectors, scaled)
    return (sums + noise) / n


def _pair(data: Paired, attr: str) -> tuple[np.ndarray, np.ndarray]:
    base, cand = getattr(data.baseline, attr), getattr(data.candidate, attr)
    return np.asarray(base, dtype=float), np.asarray(cand, dtype=float)


_EPS = float(np.finfo(np.float64).eps)


def _log_losses(data: Paired) -> tuple[np.ndarray, np.ndarray]:
    """Per-row cross-entropy, probabilities clipped to [eps, 1 - eps] as scikit-learn does."""
    base, cand = _pair(data, "y_score")
    if data.task == "binary":
        y = np.asarray(data.y_true) == 1

        def loss(p: np.ndarray) -> np.ndarray:
            return -np.log(np.where(y, np.clip(p, _EPS, 1 - _EPS), np.clip(1 - p, _EPS, 1 - _EPS)))

    else:
        rows, codes = np.arange(data.n), np.asarray(data.y_true, dtype=np.int64)

        def loss(p: np.ndarray) -> np.ndarray:
            return -np.log(np.clip(p[rows, codes], _EPS, 1 - _EPS))

    return loss(base), loss(cand)


def _brier(data: Paired) -> tuple[np.ndarray, np.ndarray]:
    base, cand = _pair(data, "y_score")
    y = (np.asarray(data.y_true) == 1).astype(float)
    return (base - y) ** 2, (cand - y) ** 2


def _errors(data: Paired) -> tuple[np.ndarray, np.ndarray]:
    base, cand = _pair(data, "y_pred")
    y = np.asarray(data.y_true, dtype=float)
    return y - base, y - cand


def _mean_of(
    per_row: Callable[[Paired], tuple[np.ndarray, np.ndarray]],
) -> Callable[[Paired], _MeanForm]:
    """A metric that is the mean of a per-row term: Δ is the mean of the row differences."""

    def form(data: Paired) -> _MeanForm:
        base, cand = per_row(data)
        terms = np.stack([cand - base, base], axis=1)  # Δ's own column keeps its precision
        return _MeanForm(terms, lambda m: (m[:, 0], m[:, 1], m[:, 1] + m[:, 0]), cand - base)

    return form


def _rmse(data: Paired) -> _MeanForm:
    base, cand = (e**2 for e in _errors(data))

    def combine(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b, c = np.sqrt(np.maximum(m[:, 0], 0)), np.sqrt(np.maximum(m[:, 1], 0))
        return c - b, b, c

    return _MeanForm(np.stack([base, cand], axis=1), combine, cand - base)


def _r2(data: Paired) -> _MeanForm:
    base, cand = (e**2 for e in _errors(data))
    y = np.asarray(data.y_true, dtype=float)
    shift = float(y.mean())  # centred for numerical stability; R² does not change
    centred = y - shift

    def combine(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        total = m[:, 3] - m[:, 2] ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            b = np.where(total > 0, 1 - m[:, 0] / total, np.nan)
            c = np.where(total > 0, 1 - m[:, 1] / total, np.nan)
        return c - b, b, c

    terms = np.stack([base, cand, centred, centred**2], axis=1)
    return _MeanForm(terms, combine, base - cand)


def _abs_errors(data: Paired) -> tuple[np.ndarray, np.ndarray]:
    base, cand = _errors(data)
    return np.abs(base), np.abs(cand)


def _squared_errors(data: Paired) -> tuple[np.ndarray, np.ndarray]:
    base, cand = _errors(data)
    return base**2, cand**2


def _pct_errors(data: Paired) -> tuple[np.ndarray, np.ndarray]:
    scale = np.maximum(np.abs(np.asarray(data.y_true, dtype=float)), _EPS)
    base, cand = _errors(data)
    return np.abs(base) / scale, np.abs(cand) / scale


def _squared_log_errors(data: Paired) -> tuple[np.ndarray, np.ndarray]:
    """Per-row squared log errors (NaN rows where a value is -1 or less: scikit-learn refuses)."""
    base, cand = _pair(data, "y_pred")
    y = np.asarray(data.y_true, dtype=float)
    with np.errstate(invalid="ignore"):
        log_y = np.log1p(np.where(y > -1, y, np.nan))
        log_base, log_cand = (np.log1p(np.where(p > -1, p, np.nan)) for p in (base, cand))
    return (log_y - log_base) ** 2, (log_y - log_cand) ** 2


def _rmsle(data: Paired) -> _MeanForm:
    base, cand = _squared_log_errors(data)

    def combine(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b, c = np.sqrt(np.maximum(m[:, 0], 0)), np.sqrt(np.maximum(m[:, 1], 0))
        return c - b, b, c

    return _MeanForm(np.stack([base, cand], axis=1), combine, cand - base)


def _explained_variance(data: Paired) -> _MeanForm:
    """1 - Var(y - prediction) / Var(y), from the means of the errors, the targets and their
    squares (centred for numerical stability)."""
    base, cand = _errors(data)
    y = np.asarray(data.y_true, dtype=float)
    centred = y - float(y.mean())

    def combine(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        total = m[:, 5] - m[:, 4] ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            b = np.where(total > 0, 1 - (m[:, 1] - m[:, 0] ** 2) / total, np.nan)
            c = np.where(total > 0, 1 - (m[:, 3] - m[:, 2] ** 2) / total, np.nan)
        return c - b, b, c

    terms = np.stack([base, base**2, cand, cand**2, centred, centred**2], axis=1)
    return _MeanForm(terms, combine, base**2 - cand**2)


def _top_k_hits(data: Paired) -> tuple[np.ndarray, np.ndarray]:
    """Whether the true class is among the 2 most probable, ties broken as scikit-learn does."""
    base, cand = _pair(data, "y_score")
    y = np.asarray(data.y_true, dtype=np.int64)[:, None]

    def hits(p: np.ndarray) -> np.ndarray:
        top = np.argsort(p, axis=1, kind="mergesort")[:, ::-1][:, :2]
        return (top == y).any(axis=1).astype(float)

    return hits(base), hits(cand)


_MEAN_FORMS: Mapping[str, Callable[[Paired], _MeanForm]] = {
    "log_loss": _mean_of(_log_losses),
    "brier_score": _mean_of(_brier),
    "mae": _mean_of(_abs_errors),
    "mse": _mean_of(_squared_errors),
    "mape": _mean_of(_pct_errors),
    "rmse": _rmse,
    "r2": _r2,
    "msle": _mean_of(_squared_log_errors),
    "rmsle": _rmsle,
    "explained_variance": _explained_variance,
    "top_k_accuracy": _mean_of(_top_k_hits),
}


# -- order statistics: whole replicates -----------------------------------------------------------


def _resampled_stat(name: str, data: Paired, s: _Settings) -> PairedStat:
    """Metrics of order statistics (medians, maxima): each replicate recomputed on resampled
    rows, in chunks of bounded size."""
    func = _RESAMPLED[name]
    y = np.asarray(data.y_true, dtype=float)
    base_pred, cand_pred = _pair(data, "y_pred")
    base, cand = (float(func(y[None], p[None])[0]) for p in (base_pred, cand_pred))
    per_chunk = max(1, CHUNK_CELLS // max(data.n, 1))
    raw = []
    for start in range(0, s.resamples, per_chunk):
        rows = s.rng.integers(0, data.n, size=(min(per_chunk, s.resamples - start), data.n))
        raw.append(func(y[rows], cand_pred[rows]) - func(y[rows], base_pred[rows]))
    return _finish(name, base, cand, np.concatenate(raw), s, "bootstrap")


def _d2_absolute_error(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """scikit-learn's D² of the absolute error (1 for a perfect fit of a constant target)."""
    error = np.abs(y - p).sum(axis=1)
    spread = np.abs(y - np.median(y, axis=1, keepdims=True)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(spread > 0, 1 - error / np.where(spread > 0, spread, 1), 1.0 * (error == 0))


_RESAMPLED: Mapping[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "median_absolute_error": lambda y, p: np.median(np.abs(y - p), axis=1),
    "max_error": lambda y, p: np.abs(y - p).max(axis=1),
    "d2_absolute_error": _d2_absolute_error,
}


# -- average precision: whole replicates --------------------------------------------------------


def _ranked_stat(name: str, data: Paired, s: _Settings) -> PairedStat:
    base_score, cand_score = _pair(data, "y_score")
    y = np.asarray(data.y_true) == 1
    ranked = [_RankedScores(y, base_score), _RankedScores(y, cand_score)]
    ones = np.ones((1, data.n))
    base, cand = (float(r.average_precision(ones)[0]) for r in ranked)
    if data.n * s.resamples > EXACT_BUDGET:
        return _influence_stat(name, base, cand, ranked, s)
    raw = np.concatenate(
        [
            ranked[1].average_precision(w) - ranked[0].average_precision(w)
            for w in _resample_weights(data.n, s.resamples, s.rng)
        ]
    )
    return _finish(name, base, cand, raw, s, "bootstrap")


def _influence_stat(
    name: str, base: float, cand: float, ranked: list[_RankedScores], s: _Settings
) -> PairedStat:
    """Δ ± z·SE with the bootstrap variance's linear part: Σ (c_cand − c_base)² over rows.

    ``c_j`` is the derivative of the metric with respect to the weight of row ``j``, so this is
    the variance of the paired bootstrap to first order (what DeLong's structural components
    are for the AUC), computed in O(n log n) instead of resampling whole replicates.
    """
    influence = ranked[1].influence() - ranked[0].influence()
    n = len(influence)
    var = float(np.sum(influence**2) - np.sum(influence) ** 2 / n)
    sign = 1.0 if s.higher else -1.0
    delta = sign * (cand - base)
    se = math.sqrt(max(var, 0.0))
    z = NormalDist().inv_cdf(s.tails[1])
    finite = math.isfinite(delta) and math.isfinite(se)
    low, high = (delta - z * se, delta + z * se) if finite else (math.nan, math.nan)
    return PairedStat(
        name,
        base,
        cand,
        delta,
        low,
        high,
        s.confidence,
        "influence",
        _se=se if finite else None,
    )


class _RankedScores:
    """One model's scores sorted once; average precision for any row weights."""

    def __init__(self, positive: np.ndarray, score: np.ndarray) -> None:
        self.order = np.argsort(-score, kind="stable")
        ranked = score[self.order]
        self.starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        self.positive = positive[self.order].astype(float)

    def average_precision(self, weights: np.ndarray) -> np.ndarray:
        """Σ over score thresholds of (recall gained) × precision, as scikit-learn computes it."""
        w = np.asarray(weights, dtype=float)[:, self.order]
        hits = np.add.reduceat(w * self.positive, self.starts, axis=1)
        seen = np.add.reduceat(w, self.starts, axis=1)
        tp, selected = np.cumsum(hits, axis=1), np.cumsum(seen, axis=1)
        precision = _ratio(tp, selected)
        total = tp[:, -1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (hits * precision).sum(axis=1) / total, np.nan)

    def influence(self) -> np.ndarray:
        """∂AP/∂w_j of each row (original order), at unit weights.

        With per-threshold positives P_g, rows selected SEL_g and precision prec_g (thresholds
        from the highest score down), AP = Σ P_g·prec_g / m. A row in group g moves P_g (if
        positive), m (if positive), and SEL_h, TP_h of every group h ≥ g, so
        ``c_j = (pos_j·(prec_g + A_g − AP) − B_g) / m`` with ``A_g = Σ_{h≥g} P_h / SEL_h`` and
        ``B_g = Σ_{h≥g} P_h·prec_h / SEL_h``.
        """
        ones = np.ones(len(self.positive))
        hits = np.add.reduceat(self.positive, self.starts)
        seen = np.add.reduceat(ones, self.starts)
        tp, selected = np.cumsum(hits), np.cumsum(seen)
        precision = tp / selected
        m = tp[-1]
        if m == 0:
            return np.full(len(ones), np.nan)
        ap = float((hits * precision).sum() / m)
        tail_a = np.cumsum((hits / selected)[::-1])[::-1]
        tail_b = np.cumsum((hits * precision / selected)[::-1])[::-1]
        group = np.repeat(np.arange(len(self.starts)), np.diff(np.r_[self.starts, len(ones)]))
        pos = self.positive
        sorted_c = (pos * (precision[group] + tail_a[group] - ap) - tail_b[group]) / m
        out = np.empty(len(ones))
        out[self.order] = sorted_c
        return out
