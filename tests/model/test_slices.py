"""Slices measured: the metrics of each group of rows, exactly scikit-learn's on that subset."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mlci.config import GateConfig
from mlci.errors import ModelError
from mlci.gates import compare_slices, slice_gates
from mlci.model.load import Predictions
from mlci.model.slices import key_text, record_entry, slice_metrics
from tests.helpers.slices import (
    DIRECTIONS,
    binary_predictions,
    by_key,
    evaluation,
    write_config,
)
from tests.helpers.stages import evaluate_slices


def test_binary_slice_metrics_are_scikit_learns_on_each_subset() -> None:
    p = binary_predictions()
    names = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"]
    found, note = slice_metrics(p, "binary", names, ("plan", "country"), min_size=1)
    assert note == ""
    assert len(found) == 6
    for v in found:
        mask = ((p.frame.plan == v.key[0]) & (p.frame.country == v.key[1])).to_numpy()
        y, pred, score = p.y_true[mask], p.y_pred[mask], p.y_score[mask]  # type: ignore[index]
        assert v.n == mask.sum()
        assert v.metrics == {
            "accuracy": skm.accuracy_score(y, pred),
            "precision": skm.precision_score(y, pred),
            "recall": skm.recall_score(y, pred),
            "f1": skm.f1_score(y, pred),
            "roc_auc": skm.roc_auc_score(y, score),
            "log_loss": skm.log_loss(y, score, labels=[0, 1]),
        }


def test_multiclass_and_regression_slices_match_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    n = 300
    group = pd.DataFrame({"g": rng.choice(["a", "b"], n)})
    labels = ("x", "y", "z")
    proba = rng.dirichlet([1, 1, 1], n)
    truth = np.asarray(labels)[rng.integers(0, 3, n)]
    multi = Predictions(truth, None, None, proba, labels, group)
    found, _ = slice_metrics(multi, "multiclass", ["accuracy", "f1", "roc_auc"], ("g",), min_size=1)
    for v in found:
        m = (group.g == v.key[0]).to_numpy()
        pred = np.asarray(labels)[proba[m].argmax(axis=1)]
        assert v.metrics["accuracy"] == skm.accuracy_score(truth[m], pred)
        assert v.metrics["f1"] == skm.f1_score(truth[m], pred, average="macro")
        expected = skm.roc_auc_score(truth[m], proba[m], multi_class="ovr", labels=list(labels))
        assert v.metrics["roc_auc"] == expected

    y, pred = rng.normal(size=n), rng.normal(size=n)
    reg = Predictions(y, pred, None, None, None, group)
    found, _ = slice_metrics(reg, "regression", ["mae", "r2"], ("g",), min_size=1)
    for v in found:
        m = (group.g == v.key[0]).to_numpy()
        assert v.metrics == {
            "mae": skm.mean_absolute_error(y[m], pred[m]),
            "r2": skm.r2_score(y[m], pred[m]),
        }


def test_small_slices_are_listed_without_metrics_and_left_out_of_the_record() -> None:
    p = binary_predictions(200)
    p.frame.loc[:4, "plan"] = "trial"  # 5 rows
    found, _ = slice_metrics(p, "binary", ["accuracy"], ("plan",), min_size=30)
    small = by_key(found)[("trial",)]
    assert (small.n, small.metrics) == (5, {})
    assert [v.key for v in found][-1] == ("trial",)  # computed slices first, largest first
    assert ["trial"] not in [e["key"] for e in record_entry(found)]
    results = compare_slices(found, {}, DIRECTIONS, min_size=30)
    trial = next(r for r in results if r.key == ("trial",))
    assert trial.too_small and trial.metrics == () and trial.min_size == 30
    gates = slice_gates(
        [GateConfig("accuracy", slice=("plan",), min=0.99)],
        results,
        has_baseline=False,
        min_size=30,
    )
    assert "trial" not in " ".join(g.metric for g in gates)


def test_a_metric_scikit_learn_cannot_define_on_a_slice_is_nan_and_never_gated() -> None:
    p = binary_predictions(200)
    negatives = np.flatnonzero(p.y_true == 0)[:40]
    p.frame.loc[:, "plan"] = "rest"
    p.frame.loc[negatives, "plan"] = "no_positives"
    found, _ = slice_metrics(p, "binary", ["recall", "roc_auc", "accuracy"], ("plan",), min_size=30)
    empty = by_key(found)[("no_positives",)]
    with pytest.warns(UserWarning):  # scikit-learn's own fallback for recall would be 0
        assert skm.recall_score(p.y_true[negatives], p.y_pred[negatives]) == 0.0  # type: ignore[index]
    assert math.isnan(empty.metrics["recall"]) and math.isnan(empty.metrics["roc_auc"])
    assert empty.metrics["accuracy"] == skm.accuracy_score(
        p.y_true[negatives],
        p.y_pred[negatives],  # type: ignore[index]
    )
    results = compare_slices(found, {}, DIRECTIONS, min_size=30)
    assert [r.key for r in results] == [("rest",), ("no_positives",)]  # undefined last
    gates = slice_gates(
        [GateConfig("recall", slice=("plan",), min=0.99)], results, has_baseline=False, min_size=30
    )
    status = {g.metric: (g.status, g.message) for g in gates}
    assert status["recall [plan=no_positives]"] == (
        "skipped",
        "recall [plan=no_positives] is undefined (n/a) in this slice",
    )


def test_key_text_and_missing_values() -> None:
    assert [key_text(v) for v in (1.0, 2.5, np.int64(3), True, "pro", None, float("nan"))] == [
        "1",
        "2.5",
        "3",
        "True",
        "pro",
        None,
        None,
    ]
    frame = pd.DataFrame({"c": [1, "1", None, 1.0] * 10})
    p = Predictions(np.zeros(40), np.zeros(40), None, None, None, frame)
    found, _ = slice_metrics(p, "regression", ["mae"], ("c",), min_size=1)
    assert {v.key: v.n for v in found} == {("1",): 30, (None,): 10}
    result = compare_slices(found, {}, {"mae": False})
    assert [r.label for r in result] == ["c=1", "c=(missing)"]


def test_a_missing_slice_column_is_one_clear_line(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "model: {task: binary, slices: [[plna]],\n  predictions: {path: p.csv, y_pred: pred}}\n",
    )
    p = binary_predictions(50)
    with pytest.raises(ModelError) as info:
        evaluate_slices(config, evaluation(p), p, None)
    assert str(info.value) == (
        "mlci.yml:2: model.slices[0]: predictions file `p.csv` has no column `plna` to slice by."
        " Did you mean `plan`? Columns: plan, country."
    )


def test_model_level_slices_come_from_the_evaluation_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binary_model: Any
) -> None:
    import skops.io as sio

    from mlci.model.evaluate import evaluate_with_predictions

    monkeypatch.chdir(tmp_path)
    sio.dump(binary_model.model, tmp_path / "model.skops")
    frame = binary_model.frame.copy()
    frame["size"] = np.where(frame["mean radius"] > 14, "large", "small")  # not a feature
    config = write_config(
        tmp_path,
        """\
        datasets: {eval: {path: eval.csv}}
        model:
          task: binary
          model: {path: model.skops, data: eval, target: label}
          metrics: [accuracy, recall, roc_auc]
          slices: [[size]]
        """,
    )
    assert config.model is not None
    evaluated, predictions = evaluate_with_predictions(config.model, {"eval": frame})
    outcome = evaluate_slices(config, evaluated, predictions, None)

    for s in outcome.slices:
        rows = frame[frame["size"] == s.key[0]]
        X, y = rows[list(binary_model.model.feature_names_in_)], rows["label"]
        assert s.metric("accuracy").value == skm.accuracy_score(y, binary_model.model.predict(X))  # type: ignore[union-attr]
        expected_auc = skm.roc_auc_score(y, binary_model.model.predict_proba(X)[:, 1])
        assert s.metric("roc_auc").value == pytest.approx(expected_auc, abs=1e-15)  # type: ignore[union-attr]
    assert sorted(s.n for s in outcome.slices) == sorted(frame["size"].value_counts().tolist())
