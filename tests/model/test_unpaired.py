"""Unpaired intervals of Δ: each side's standard error, against independent references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as sps
import sklearn.metrics as skm
from statsmodels.stats.proportion import confint_proportions_2indep

from mlci.model.stats import Side
from mlci.model.unpaired import Estimate, Sample, difference, side_errors, unpaired_statistics


def binary_sample(n: int, mu: float, seed: int) -> Sample:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = mu * y + rng.standard_normal(n)
    p = 1 / (1 + np.exp(-(mu * score - mu**2 / 2)))
    return Sample("binary", y, Side((p >= 0.5).astype(np.int64), p))


def test_a_hand_worked_delong_variance_of_one_auc():
    # positives score 0.9, 0.6, 0.4; negatives 0.5, 0.2. Pairs won: (0.9 > both) 2, (0.6 > both)
    # 2, (0.4 > 0.2) 1 → AUC 5/6. V10 per positive: 1, 1, 1/2; V01 per negative: 1 - 1/3 = 2/3
    # (0.5 is beaten by 2 of 3 positives), 1 (0.2 beaten by all three).
    # var = var(V10)/3 + var(V01)/2 = (1/12)/3 + (1/18)/2 = 1/36 + 1/36 = 1/18
    y = np.array([1, 1, 1, 0, 0])
    score = np.array([0.9, 0.6, 0.4, 0.5, 0.2])
    got = side_errors(Sample("binary", y, Side(None, score)), ["roc_auc"])["roc_auc"]
    assert got.value == pytest.approx(5 / 6)
    assert got.se == pytest.approx(math.sqrt(1 / 18))


def test_independent_aucs_are_delongs_test_for_two_samples():
    base, cand = binary_sample(3000, 1.19, 1), binary_sample(2500, 1.0, 2)
    stat = unpaired_statistics(base, cand, ["roc_auc"])["roc_auc"]
    auc = [skm.roc_auc_score(s.y_true, s.side.y_score) for s in (base, cand)]
    assert stat.delta == pytest.approx(auc[1] - auc[0], abs=1e-12)

    # Hanley & McNeil's variance of an AUC is a close, independent approximation
    def hanley(s: Sample, a: float) -> float:
        m, n = int(s.y_true.sum()), int((1 - s.y_true).sum())
        q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
        return (a * (1 - a) + (m - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / (m * n)

    se = math.sqrt(hanley(base, auc[0]) + hanley(cand, auc[1]))
    assert (stat.ci_high - stat.ci_low) / 2 == pytest.approx(1.959964 * se, rel=0.05)
    assert stat.method == "unpaired"
    assert stat.p_value == pytest.approx(2 * sps.norm.sf(abs(stat.delta) / se), rel=0.3)


def test_accuracy_is_walds_interval_for_two_proportions():
    base, cand = binary_sample(2000, 1.19, 3), binary_sample(1500, 1.05, 4)
    stat = unpaired_statistics(base, cand, ["accuracy"], resamples=20_000)["accuracy"]
    hits = [int((s.side.y_pred == s.y_true).sum()) for s in (cand, base)]
    low, high = confint_proportions_2indep(
        hits[0], cand.n, hits[1], base.n, method="wald", compare="diff"
    )
    assert stat.delta == pytest.approx(hits[0] / cand.n - hits[1] / base.n)
    assert stat.ci_low == pytest.approx(low, abs=0.002)
    assert stat.ci_high == pytest.approx(high, abs=0.002)


def test_mean_metrics_and_average_precision_match_the_textbook_errors():
    s = binary_sample(4000, 1.19, 5)
    got = side_errors(s, ["brier_score", "log_loss", "average_precision"], resamples=4000)
    brier = (s.side.y_score - s.y_true) ** 2
    assert got["brier_score"].value == pytest.approx(brier.mean())
    assert got["brier_score"].se == pytest.approx(brier.std(ddof=1) / math.sqrt(s.n), rel=0.08)
    assert got["log_loss"].value == pytest.approx(skm.log_loss(s.y_true, s.side.y_score))
    ap = skm.average_precision_score(s.y_true, s.side.y_score)
    assert got["average_precision"].value == pytest.approx(ap)
    rng = np.random.default_rng(0)
    boot = []
    for _ in range(300):
        i = rng.integers(0, s.n, s.n)
        boot.append(skm.average_precision_score(s.y_true[i], s.side.y_score[i]))
    assert got["average_precision"].se == pytest.approx(np.std(boot, ddof=1), rel=0.2)


def test_regression_and_multiclass_sides():
    rng = np.random.default_rng(6)
    y = rng.normal(size=800)
    pred = y + rng.normal(scale=0.5, size=800)
    got = side_errors(Sample("regression", y, Side(pred, None)), ["mae", "rmse", "r2"])
    assert got["mae"].value == pytest.approx(skm.mean_absolute_error(y, pred))
    assert got["mae"].se == pytest.approx(np.abs(y - pred).std() / math.sqrt(800), rel=0.1)
    assert got["r2"].value == pytest.approx(skm.r2_score(y, pred))
    codes = rng.integers(0, 3, 900)
    proba = rng.dirichlet(np.ones(3), 900)
    proba[np.arange(900), codes] += 0.3
    proba /= proba.sum(axis=1, keepdims=True)
    sample = Sample("multiclass", codes, Side(proba.argmax(axis=1), proba), n_classes=3)
    got = side_errors(sample, ["accuracy", "roc_auc", "f1"])
    assert got["roc_auc"].value == pytest.approx(skm.roc_auc_score(codes, proba, multi_class="ovr"))
    assert got["f1"].value == pytest.approx(
        skm.f1_score(codes, proba.argmax(axis=1), average="macro")
    )
    assert all(e.se > 0 for e in got.values())


def test_what_a_side_cannot_give_is_left_out_and_undefined_is_nan():
    s = Sample("binary", np.array([1, 1, 1]), Side(np.array([1, 0, 1]), None))
    got = side_errors(s, ["accuracy", "roc_auc", "no_such_metric"])
    assert list(got) == ["accuracy"]
    one_class = Sample("binary", np.array([1, 1, 1]), Side(None, np.array([0.2, 0.5, 0.9])))
    assert math.isnan(side_errors(one_class, ["roc_auc"])["roc_auc"].value)
    stat = difference("roc_auc", Estimate(0.8, 0.01), Estimate(math.nan, math.nan), 1.0, 0.95, 1.96)
    assert math.isnan(stat.ci_low) and stat.p_value is None


def test_lower_is_better_metrics_are_direction_adjusted():
    base, cand = binary_sample(1000, 1.19, 7), binary_sample(1000, 0.9, 8)
    stat = unpaired_statistics(base, cand, ["log_loss"])["log_loss"]
    assert stat.delta == pytest.approx(stat.baseline - stat.candidate)
    assert stat.delta < 0  # the weaker candidate has a higher loss: worse
