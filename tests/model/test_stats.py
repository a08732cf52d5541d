"""Paired statistics against independent references.

- metric values: scikit-learn;
- McNemar: statsmodels' ``mcnemar(exact=True)``;
- DeLong: a slow O(m·n) implementation written here from the 1988 paper's definitions;
- bootstrap and multinomial intervals: ``scipy.stats.bootstrap(paired=True, method="percentile")``
  on the same rows, agreeing within Monte Carlo error;
- Holm: statsmodels' ``multipletests(method="holm")``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from sklearn import metrics as skm
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from mlci.model import stats
from mlci.model.metrics import REGISTRY, compute_metrics
from mlci.model.stats import Paired, Side, holm, paired_statistics

# -- synthetic paired predictions -----------------------------------------------------------------


def binary_pair(n: int, seed: int = 0, *, shift: float = 0.0, ties: bool = False) -> Paired:
    """Two correlated probabilistic classifiers of one truth; ``shift`` weakens the candidate."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    common = rng.normal(0, 1, n)
    logit_b = 1.2 * (2 * y - 1) + common + rng.normal(0, 0.7, n)
    logit_c = (1.2 - shift) * (2 * y - 1) + common + rng.normal(0, 0.7, n)
    base, cand = 1 / (1 + np.exp(-logit_b)), 1 / (1 + np.exp(-logit_c))
    if ties:
        base, cand = np.round(base, 1), np.round(cand, 1)
    return Paired("binary", y, Side((base >= 0.5) * 1, base), Side((cand >= 0.5) * 1, cand))


def multiclass_pair(n: int, k: int = 3, seed: int = 0) -> Paired:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    signal = np.eye(k)[y] * 1.5
    common = rng.normal(0, 1, (n, k))

    def proba(noise: float) -> np.ndarray:
        logits = signal + common + rng.normal(0, noise, (n, k))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    base, cand = proba(0.8), proba(0.9)
    return Paired(
        "multiclass", y, Side(base.argmax(1), base), Side(cand.argmax(1), cand), n_classes=k
    )


def regression_pair(n: int, seed: int = 0) -> Paired:
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 3, n)
    common = rng.normal(0, 1, n)
    base = y + common + rng.normal(0, 0.5, n)
    cand = y + common + rng.normal(0.1, 0.6, n)
    return Paired("regression", y, Side(base), Side(cand))


PAIRS = {
    "binary": binary_pair(600),
    "multiclass": multiclass_pair(600),
    "regression": regression_pair(600),
}

# logarithmic errors need targets and predictions above -1
POSITIVE_REGRESSION = Paired(
    "regression",
    PAIRS["regression"].y_true + 10,
    Side(PAIRS["regression"].baseline.y_pred + 10),
    Side(PAIRS["regression"].candidate.y_pred + 10),
)


def sklearn_value(task: str, name: str, data: Paired, side: Side) -> float:
    """The metric by mlci's registry, i.e. by scikit-learn."""
    if task == "binary":
        kw = {"y_pred": side.y_pred, "y_score": side.y_score}
    elif task == "multiclass":
        kw = {"y_pred": side.y_pred, "y_proba": side.y_score, "labels": list(range(3))}
    else:
        kw = {"y_pred": side.y_pred}
    return compute_metrics(task, data.y_true, metrics=[name], **kw)[name]


@pytest.mark.parametrize(
    ("task", "name"),
    [(task, name) for name, spec in REGISTRY.items() for task in sorted(spec.tasks)],
)
def test_every_registry_metric_has_an_interval_around_scikit_learns_delta(task, name):
    data = POSITIVE_REGRESSION if name in ("msle", "rmsle") else PAIRS[task]
    stat = paired_statistics(data, [name], resamples=400)[name]

    base = sklearn_value(task, name, data, data.baseline)
    cand = sklearn_value(task, name, data, data.candidate)
    sign = 1 if REGISTRY[name].higher_is_better else -1
    assert (stat.baseline, stat.candidate) == pytest.approx((base, cand), abs=1e-12)
    assert stat.delta == pytest.approx(sign * (cand - base), abs=1e-12)
    assert stat.ci_low <= stat.delta <= stat.ci_high
    assert stat.ci_high - stat.ci_low > 0
    assert stat.confidence == 0.95


def test_methods_by_metric():
    got = paired_statistics(
        PAIRS["binary"], ["accuracy", "f1", "roc_auc", "log_loss", "average_precision"]
    )
    assert {k: v.method for k, v in got.items()} == {
        "accuracy": "multinomial+mcnemar",
        "f1": "multinomial",
        "roc_auc": "delong",
        "log_loss": "bootstrap",
        "average_precision": "bootstrap",
    }
    assert got["f1"].p_value is None and got["log_loss"].p_value is None


def test_metrics_a_side_cannot_compute_are_left_out():
    data = PAIRS["binary"]
    labels_only = Paired("binary", data.y_true, Side(data.baseline.y_pred), data.candidate)
    assert list(paired_statistics(labels_only, ["roc_auc", "f1", "no_such_metric"])) == ["f1"]


def test_direction_adjusts_delta_and_interval():
    data = PAIRS["binary"]
    normal = paired_statistics(data, ["log_loss"])["log_loss"]
    flipped = paired_statistics(data, ["log_loss"], higher_is_better={"log_loss": True})
    assert flipped["log_loss"].delta == pytest.approx(-normal.delta)
    assert flipped["log_loss"].ci_low == pytest.approx(-normal.ci_high)


def test_seeded_and_independent_of_metric_order():
    data = PAIRS["regression"]
    one = paired_statistics(data, ["mae", "r2"], seed=7)
    two = paired_statistics(data, ["r2", "mae"], seed=7)
    other = paired_statistics(data, ["mae", "r2"], seed=8)
    assert one["r2"].ci_low == two["r2"].ci_low
    assert one["mae"].ci_high == two["mae"].ci_high
    assert one["mae"].ci_high != other["mae"].ci_high


# -- McNemar ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_mcnemar_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    y = rng.integers(0, 2, n)
    a = np.where(rng.random(n) < 0.8, y, 1 - y)
    b = np.where(rng.random(n) < 0.75, y, 1 - y)
    data = Paired("binary", y, Side(a), Side(b))

    p = paired_statistics(data, ["accuracy"])["accuracy"].p_value

    right_a, right_b = a == y, b == y
    table = [
        [np.sum(right_a & right_b), np.sum(right_a & ~right_b)],
        [np.sum(~right_a & right_b), np.sum(~right_a & ~right_b)],
    ]
    assert p == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-9)


def test_mcnemar_for_multiclass_and_identical_models():
    data = PAIRS["multiclass"]
    p = paired_statistics(data, ["accuracy"])["accuracy"].p_value
    y, a, b = data.y_true, data.baseline.y_pred, data.candidate.y_pred
    table = [
        [np.sum((a == y) & (b == y)), np.sum((a == y) & (b != y))],
        [np.sum((a != y) & (b == y)), np.sum((a != y) & (b != y))],
    ]
    assert p == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-9)
    same = Paired("binary", y % 2, Side(a % 2), Side(a % 2))
    stat = paired_statistics(same, ["accuracy"])["accuracy"]
    assert (stat.p_value, stat.delta, stat.ci_low, stat.ci_high) == (1.0, 0.0, 0.0, 0.0)


# -- DeLong ----------------------------------------------------------------------------------------


def slow_delong(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """DeLong, DeLong & Clarke-Pearson (1988) by the definitions: (AUC_a, AUC_b, var(b - a))."""
    pos, neg = y == 1, y == 0
    m, n = pos.sum(), neg.sum()
    v10, v01 = [], []
    for s in (a, b):
        psi = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    s10, s01 = np.cov(np.stack(v10)), np.cov(np.stack(v01))
    contrast = np.array([-1.0, 1.0])
    var = contrast @ s10 @ contrast / m + contrast @ s01 @ contrast / n
    return float(v10[0].mean()), float(v10[1].mean()), float(var)


@pytest.mark.parametrize(("n", "ties"), [(50, False), (300, True), (801, False)])
def test_delong_matches_the_definition(n, ties):
    data = binary_pair(n, seed=n, shift=0.3, ties=ties)
    stat = paired_statistics(data, ["roc_auc"], confidence=0.9)["roc_auc"]

    auc_a, auc_b, var = slow_delong(data.y_true, data.baseline.y_score, data.candidate.y_score)
    z = sps.norm.ppf(0.95)
    assert (stat.baseline, stat.candidate) == pytest.approx((auc_a, auc_b), abs=1e-12)
    assert stat.ci_low == pytest.approx(auc_b - auc_a - z * math.sqrt(var), abs=1e-10)
    assert stat.ci_high == pytest.approx(auc_b - auc_a + z * math.sqrt(var), abs=1e-10)
    expected_p = 2 * sps.norm.sf(abs(auc_b - auc_a) / math.sqrt(var))
    assert stat.p_value == pytest.approx(expected_p, rel=1e-8)


def test_delong_one_class_is_undefined():
    y = np.ones(20, dtype=int)
    s = np.linspace(0, 1, 20)
    stat = paired_statistics(Paired("binary", y, Side(y, s), Side(y, s[::-1])), ["roc_auc"])
    assert math.isnan(stat["roc_auc"].delta) and math.isnan(stat["roc_auc"].ci_low)
    assert stat["roc_auc"].p_value is None


def test_multiclass_delong_agrees_with_the_bootstrap():
    data = multiclass_pair(1500, seed=3)
    stat = paired_statistics(data, ["roc_auc"])["roc_auc"]

    def macro_auc_difference(idx: np.ndarray) -> float:
        y = data.y_true[idx]
        return skm.roc_auc_score(y, data.candidate.y_score[idx], multi_class="ovr") - (
            skm.roc_auc_score(y, data.baseline.y_score[idx], multi_class="ovr")
        )

    rng = np.random.default_rng(0)
    boot = [macro_auc_difference(rng.integers(0, 1500, 1500)) for _ in range(300)]
    se_delong = (stat.ci_high - stat.ci_low) / (2 * sps.norm.ppf(0.975))
    assert se_delong == pytest.approx(np.std(boot, ddof=1), rel=0.2)


# -- resampling intervals against scipy's bootstrap ----------------------------------------------


def scipy_interval(data: Paired, statistic, n_resamples: int = 6000) -> tuple[float, float]:
    """scipy's paired percentile bootstrap over row indices.

    ``statistic`` maps index arrays ``(B, n)`` to ``(B,)`` values of the raw Δ, written here
    in plain numpy from each metric's definition.
    """
    result = sps.bootstrap(
        (np.arange(data.n),),
        lambda i, axis=-1: statistic(np.atleast_2d(i)),
        vectorized=True,
        paired=True,
        method="percentile",
        n_resamples=n_resamples,
        batch=500,
        random_state=np.random.default_rng(123),
    )
    ci = result.confidence_interval
    return float(ci.low), float(ci.high)


def mc_tolerance(width: float, ours: int = 2000, theirs: int = 6000) -> float:
    """4 standard errors of the difference of two percentile endpoints.

    The SE of a 2.5% quantile of B normal draws is σ·√(q(1-q)/B)/φ(z) ≈ 2.67σ/√B.
    """
    sigma = width / (2 * 1.96)
    return 4 * sigma * 2.67 * math.sqrt(1 / ours + 1 / theirs)


def row_mean_difference(base: np.ndarray, cand: np.ndarray):
    return lambda i: cand[i].mean(axis=-1) - base[i].mean(axis=-1)


def binary_log_losses(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    eps = np.finfo(float).eps
    return -(y * np.log(np.clip(p, eps, 1 - eps)) + (1 - y) * np.log(np.clip(1 - p, eps, 1 - eps)))


def test_log_loss_bootstrap_matches_scipy():
    data = binary_pair(800, seed=5)
    y, a, b = data.y_true, data.baseline.y_score, data.candidate.y_score
    stat = paired_statistics(data, ["log_loss"])["log_loss"]

    # lower is better: the adjusted Δ is baseline minus candidate
    low, high = scipy_interval(
        data, row_mean_difference(binary_log_losses(y, b), binary_log_losses(y, a))
    )
    tol = mc_tolerance(high - low)
    assert stat.method == "bootstrap"
    assert stat.ci_low == pytest.approx(low, abs=tol)
    assert stat.ci_high == pytest.approx(high, abs=tol)


def _rmse(y: np.ndarray, p: np.ndarray):
    return lambda i: np.sqrt(((y[i] - p[i]) ** 2).mean(axis=-1))


def _r2(y: np.ndarray, p: np.ndarray):
    def r2(i: np.ndarray) -> np.ndarray:
        total = ((y[i] - y[i].mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)
        return 1 - ((y[i] - p[i]) ** 2).sum(axis=-1) / total

    return r2


def _mape(y: np.ndarray, p: np.ndarray):
    return lambda i: (np.abs(y[i] - p[i]) / np.abs(y[i])).mean(axis=-1)


@pytest.mark.parametrize(("name", "func"), [("rmse", _rmse), ("r2", _r2), ("mape", _mape)])
def test_regression_bootstrap_matches_scipy(name, func):
    data = regression_pair(500, seed=9)
    y, a, b = data.y_true, data.baseline.y_pred, data.candidate.y_pred
    sign = 1 if REGISTRY[name].higher_is_better else -1
    stat = paired_statistics(data, [name])[name]

    base, cand = func(y, a), func(y, b)
    low, high = scipy_interval(data, lambda i: sign * (cand(i) - base(i)))
    tol = mc_tolerance(high - low)
    assert stat.ci_low == pytest.approx(low, abs=tol)
    assert stat.ci_high == pytest.approx(high, abs=tol)


def test_average_precision_bootstrap_matches_scipy():
    """scikit-learn's own average precision on each of 1,500 resamples."""
    data = binary_pair(300, seed=11, ties=True)
    y, a, b = data.y_true, data.baseline.y_score, data.candidate.y_score
    stat = paired_statistics(data, ["average_precision"])["average_precision"]

    def difference(i: np.ndarray) -> np.ndarray:
        ap = skm.average_precision_score
        return np.array([ap(y[r], b[r]) - ap(y[r], a[r]) for r in i])

    low, high = scipy_interval(data, difference, n_resamples=1500)
    tol = mc_tolerance(high - low, theirs=1500)
    assert stat.ci_low == pytest.approx(low, abs=tol)
    assert stat.ci_high == pytest.approx(high, abs=tol)


def _accuracy(y: np.ndarray, p: np.ndarray):
    return lambda i: (y[i] == p[i]).mean(axis=-1)


def _f1(y: np.ndarray, p: np.ndarray):
    def f1(i: np.ndarray) -> np.ndarray:
        tp = ((y[i] == 1) & (p[i] == 1)).sum(axis=-1)
        return 2 * tp / ((y[i] == 1).sum(axis=-1) + (p[i] == 1).sum(axis=-1))

    return f1


def _balanced_accuracy(y: np.ndarray, p: np.ndarray):
    def balanced(i: np.ndarray) -> np.ndarray:
        recalls = [((y[i] == c) & (p[i] == c)).sum(-1) / (y[i] == c).sum(-1) for c in range(3)]
        return np.mean(recalls, axis=0)

    return balanced


@pytest.mark.parametrize(
    ("name", "func"),
    [
        ("accuracy", _accuracy),
        ("f1", _f1),
        ("balanced_accuracy", _balanced_accuracy),
    ],
)
def test_multinomial_interval_is_the_row_bootstrap(name, func):
    data = multiclass_pair(700, seed=2) if name == "balanced_accuracy" else binary_pair(700, 4)
    y, a, b = data.y_true, data.baseline.y_pred, data.candidate.y_pred
    stat = paired_statistics(data, [name])[name]

    base, cand = func(y, a), func(y, b)
    low, high = scipy_interval(data, lambda i: cand(i) - base(i))
    tol = mc_tolerance(high - low)
    assert stat.ci_low == pytest.approx(low, abs=tol)
    assert stat.ci_high == pytest.approx(high, abs=tol)


def test_grouped_bootstrap_matches_the_plain_one(monkeypatch):
    """Above EXACT_BUDGET the grouped bootstrap runs; it must give the plain bootstrap's answer."""
    data = binary_pair(15_000, seed=6, shift=0.05)
    grouped = paired_statistics(data, ["log_loss", "brier_score"])
    monkeypatch.setattr(stats, "EXACT_BUDGET", 10**12)
    plain = paired_statistics(data, ["log_loss", "brier_score"])
    for name in grouped:
        assert (grouped[name].method, plain[name].method) == ("bootstrap_grouped", "bootstrap")
        tol = mc_tolerance(plain[name].ci_high - plain[name].ci_low, theirs=2000)
        assert grouped[name].ci_low == pytest.approx(plain[name].ci_low, abs=tol)
        assert grouped[name].ci_high == pytest.approx(plain[name].ci_high, abs=tol)


def test_chunking_bounds_memory_without_changing_the_answer(monkeypatch):
    data = regression_pair(300, seed=1)
    whole = paired_statistics(data, ["mae"], seed=3)["mae"]
    monkeypatch.setattr(stats, "CHUNK_CELLS", 1000)  # 3 replicates per chunk
    chunked = paired_statistics(data, ["mae"], seed=3)["mae"]
    assert chunked.resamples == whole.resamples == 2000
    assert (chunked.ci_low, chunked.ci_high) == pytest.approx((whole.ci_low, whole.ci_high))


# -- p-values of a breach, and Holm ---------------------------------------------------------------


def test_breach_p_value_agrees_with_the_interval():
    data = binary_pair(2000, seed=8, shift=0.25)
    got = paired_statistics(data, ["roc_auc", "log_loss"])
    for stat in got.values():
        alpha_half = (1 - stat.confidence) / 2
        # the interval lies below a limit just above its upper end, and not below one inside it
        assert stat.p_breach(stat.ci_high + 1e-9, breach="below") <= alpha_half + 1e-3
        assert stat.p_breach(stat.ci_high - 1e-4, breach="below") > alpha_half - 1e-3
        assert stat.p_breach(stat.ci_low - 1e-9, breach="above") <= alpha_half + 1e-3
    roc = got["roc_auc"]
    assert roc.p_breach(roc.ci_high, breach="below") == pytest.approx(0.025)


@pytest.mark.parametrize("seed", range(5))
def test_holm_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    p = rng.random(int(rng.integers(1, 12))) ** 3
    p[: len(p) // 3] = p[0]  # ties
    assert holm(p.tolist()) == pytest.approx(list(multipletests(p, method="holm")[1]))


def test_holm_small_example():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []


def test_average_precision_influence_interval_matches_the_bootstrap(monkeypatch):
    """Above EXACT_BUDGET average_precision uses the bootstrap variance's linear part."""
    data = binary_pair(3000, seed=12, shift=0.1, ties=True)
    plain = paired_statistics(data, ["average_precision"])["average_precision"]
    monkeypatch.setattr(stats, "EXACT_BUDGET", 0)
    linear = paired_statistics(data, ["average_precision"])["average_precision"]
    assert (plain.method, linear.method) == ("bootstrap", "influence")
    assert linear.delta == plain.delta
    tol = mc_tolerance(plain.ci_high - plain.ci_low, theirs=10**9)
    assert linear.ci_low == pytest.approx(plain.ci_low, abs=tol)
    assert linear.ci_high == pytest.approx(plain.ci_high, abs=tol)
