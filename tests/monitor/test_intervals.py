"""The interval of a metric on one set of rows, and of the unpaired change since the release."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlci.model.load import Predictions
from mlci.model.metrics import REGISTRY, compute_metrics
from mlci.model.pairing import row_outputs
from mlci.monitor.intervals import ValueInterval, change_intervals, oracle_of, value_intervals

DIRECTIONS = {name: spec.higher_is_better for name, spec in REGISTRY.items()}


def binary(n: int, seed: int) -> Predictions:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = 1 / (1 + np.exp(-(1.2 * (2 * y - 1) + rng.normal(0, 1, n))))
    return Predictions(y, (s >= 0.5).astype(int), s, None, (0, 1), pd.DataFrame(index=range(n)), 1)


def naive_bootstrap(p: Predictions, task: str, metrics: list[str], reps: int = 300) -> dict:
    """The oracle: a plain percentile bootstrap of scikit-learn's metrics over the rows."""
    rng = np.random.default_rng(99)
    n = len(p.y_true)
    draws: dict[str, list[float]] = {m: [] for m in metrics}
    for _ in range(reps):
        i = rng.integers(0, n, n)
        values = compute_metrics(
            task,
            p.y_true[i],
            y_pred=None if p.y_pred is None else p.y_pred[i],
            y_score=None if p.y_score is None else p.y_score[i],
            y_proba=None if p.y_proba is None else p.y_proba[i],
            labels=p.labels,
            metrics=metrics,
        )
        for m in metrics:
            draws[m].append(values[m])
    return {m: np.percentile(v, [2.5, 97.5]) for m, v in draws.items()}


BINARY = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier_score"]


def test_binary_intervals_match_a_plain_bootstrap_of_sklearns_metrics() -> None:
    p = binary(2000, 0)
    found = value_intervals(
        row_outputs(p, "binary", id_column=None),
        BINARY,
        directions=DIRECTIONS,
        confidence=0.95,
        seed=0,
    )
    expected = compute_metrics(
        "binary", p.y_true, y_pred=p.y_pred, y_score=p.y_score, metrics=BINARY
    )
    oracle = naive_bootstrap(p, "binary", BINARY)
    for name in BINARY:
        interval = found[name]
        assert interval.value == pytest.approx(expected[name], abs=1e-9), name
        width = oracle[name][1] - oracle[name][0]
        assert interval.low == pytest.approx(oracle[name][0], abs=0.15 * width), name
        assert interval.high == pytest.approx(oracle[name][1], abs=0.15 * width), name
        assert interval.low < interval.value < interval.high


def test_regression_and_multiclass_intervals() -> None:
    rng = np.random.default_rng(3)
    n = 1500
    y = rng.normal(0, 1, n)
    reg = Predictions(y, y + rng.normal(0, 0.5, n), None, None, None, pd.DataFrame(index=range(n)))
    names = ["mae", "rmse", "r2"]
    found = value_intervals(
        row_outputs(reg, "regression", id_column=None),
        names,
        directions=DIRECTIONS,
        confidence=0.95,
        seed=0,
    )
    oracle = naive_bootstrap(reg, "regression", names)
    for name in names:
        width = oracle[name][1] - oracle[name][0]
        assert found[name].low == pytest.approx(oracle[name][0], abs=0.15 * width), name
        assert found[name].high == pytest.approx(oracle[name][1], abs=0.15 * width), name

    k = np.array(["a", "b", "c"])
    truth = rng.integers(0, 3, n)
    logits = rng.normal(0, 1, (n, 3))
    logits[np.arange(n), truth] += 1.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    multi = Predictions(
        k[truth], k[proba.argmax(1)], None, proba, ("a", "b", "c"), pd.DataFrame(index=range(n))
    )
    names = ["accuracy", "f1", "roc_auc", "log_loss"]
    found = value_intervals(
        row_outputs(multi, "multiclass", id_column=None),
        names,
        directions=DIRECTIONS,
        confidence=0.95,
        seed=0,
    )
    oracle = naive_bootstrap(multi, "multiclass", names)
    for name in names:
        width = oracle[name][1] - oracle[name][0]
        assert found[name].low == pytest.approx(oracle[name][0], abs=0.2 * width), name
        assert found[name].high == pytest.approx(oracle[name][1], abs=0.2 * width), name


def test_the_oracle_predicts_the_truth() -> None:
    outputs = row_outputs(binary(50, 1), "binary", id_column=None)
    oracle = oracle_of(outputs)
    assert np.array_equal(oracle.y_pred, outputs.y_true)
    assert np.array_equal(oracle.y_score, outputs.y_true.astype(float))


def test_the_change_interval_combines_both_sides_errors() -> None:
    production = {"roc_auc": 0.80, "log_loss": 0.50}
    release = {"roc_auc": 0.85, "log_loss": 0.40}
    prod = {
        "roc_auc": ValueInterval(0.80, 0.77, 0.82, 0.95, "delong"),
        "log_loss": ValueInterval(0.50, 0.47, 0.54, 0.95, "bootstrap"),
    }
    rel = {"roc_auc": ValueInterval(0.85, 0.84, 0.855, 0.95, "delong")}
    out = change_intervals(
        production,
        release,
        production_intervals=prod,
        release_intervals=rel,
        directions={"roc_auc": True, "log_loss": False},
        confidence=0.95,
    )
    roc = out["roc_auc"]
    assert roc.delta == pytest.approx(-0.05)
    # lower: production lower half (0.03) with the release's upper half (0.005)
    assert roc.ci_low == pytest.approx(-0.05 - math.hypot(0.03, 0.005))
    assert roc.ci_high == pytest.approx(-0.05 + math.hypot(0.02, 0.01))
    loss = out["log_loss"]  # lower is better: Δ = release - production; release taken as exact
    assert loss.delta == pytest.approx(-0.10)
    assert loss.ci_low == pytest.approx(-0.10 - 0.04)
    assert loss.ci_high == pytest.approx(-0.10 + 0.03)
    assert (roc.method, loss.method) == ("delong", "bootstrap")
    # a worse model whose whole interval is beyond a margin fails a lenient gate
    assert roc.p_breach(-0.01, breach="below") < 0.025
