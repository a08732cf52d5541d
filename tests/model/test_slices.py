"""Slices: metrics per group of rows, compared with the baseline's, sorted worst first, gated."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mlci.config import GateConfig, Margin, load_config
from mlci.errors import ModelError
from mlci.gates import compare_metrics, evaluate_gates
from mlci.model.load import Predictions
from mlci.model.slices import (
    SliceValues,
    baseline_slices,
    compare_slices,
    evaluate_slices,
    key_text,
    record_entry,
    slice_gates,
    slice_metrics,
)
from mlci.records.format import Record
from mlci.results import ModelEvaluation, SliceResult

DIRECTIONS = {"accuracy": True, "recall": True, "f1": True, "roc_auc": True, "log_loss": False}


def binary_predictions(n: int = 600, seed: int = 0) -> Predictions:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "pro", "enterprise"], n, p=[0.5, 0.3, 0.2]),
            "country": rng.choice(["DE", "FR"], n),
        }
    )
    y = rng.integers(0, 2, n)
    score = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    return Predictions(y, (score >= 0.5).astype(int), score, None, (0, 1), frame, 1)


def by_key(values: list[SliceValues]) -> dict[tuple[str | None, ...], SliceValues]:
    return {v.key: v for v in values}


# --- values ----------------------------------------------------------------------------------


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


# --- comparing and sorting -------------------------------------------------------------------


def values(key: str, n: int = 100, **metrics: float) -> SliceValues:
    return SliceValues(("plan",), (key,), n, metrics)


def test_worst_first_is_direction_aware() -> None:
    found = [
        values("a", recall=0.8, log_loss=0.2),
        values("b", recall=0.6, log_loss=0.5),
        values("c", recall=0.7, log_loss=0.1),
        values("small", n=3),
    ]
    by_recall = compare_slices(found, {}, DIRECTIONS, order={("plan",): "recall"})
    assert [r.key[0] for r in by_recall] == ["b", "c", "a", "small"]
    assert {r.sorted_by for r in by_recall} == {"recall"}
    by_loss = compare_slices(found, {}, DIRECTIONS, order={("plan",): "log_loss"})
    assert [r.key[0] for r in by_loss] == ["b", "a", "c", "small"]  # higher loss is worse


def test_each_slice_is_compared_with_the_same_slice_of_the_baseline_record() -> None:
    base = [values("a", n=90, recall=0.9), values("b", recall=0.5)]
    stored = Record.from_dict(record_doc({"slices": list(record_entry(base))}), source="test")
    parsed = baseline_slices(json.loads(stored.to_json())["extra"])
    found = [values("a", recall=0.8), values("new", recall=0.7)]
    results = {r.key[0]: r for r in compare_slices(found, parsed, DIRECTIONS)}
    assert results["a"].metrics == compare_metrics({"recall": 0.8}, {"recall": 0.9}, DIRECTIONS)
    assert results["a"].metric("recall").delta == pytest.approx(-0.1)  # type: ignore[union-attr]
    assert results["a"].baseline_n == 90
    assert results["new"].metric("recall").baseline is None  # type: ignore[union-attr]
    assert baseline_slices({"slices": [{"grouping": ["plan"]}, "junk", {"key": 1}]}) == {}


# --- gates ------------------------------------------------------------------------------------


def results_with_baseline() -> tuple[SliceResult, ...]:
    """pro regressed most (0.9 -> 0.7) but basic is the lowest (0.65 -> 0.66)."""
    current = [
        values("basic", recall=0.66),
        values("pro", recall=0.7),
        values("enterprise", recall=0.85),
        values("tiny", n=4),
    ]
    base = {
        (("plan",), (k,)): values(k, recall=r)
        for k, r in (("basic", 0.65), ("pro", 0.9), ("enterprise", 0.84))
    }
    return compare_slices(current, base, DIRECTIONS, min_size=30)


def test_every_slice_gets_each_rule() -> None:
    gate = GateConfig("recall", slice=("plan",), min=0.66, max_regression=Margin(absolute=0.05))
    got = slice_gates([gate], results_with_baseline(), has_baseline=True, min_size=30)
    assert [(g.metric, g.rule, g.status) for g in got] == [
        ("recall [plan=basic]", "min", "pass"),
        ("recall [plan=pro]", "min", "pass"),
        ("recall [plan=enterprise]", "min", "pass"),
        ("recall [plan=basic]", "max_regression", "pass"),
        ("recall [plan=pro]", "max_regression", "fail"),
        ("recall [plan=enterprise]", "max_regression", "pass"),
    ]
    assert {g.scope for g in got} == {"slice"}
    assert got[4].message == (
        "recall [plan=pro] got worse by 0.2 (−22.2%), more than the tolerated regression of 0.05"
    )


def test_worst_checks_the_slice_nearest_to_breaching_each_rule() -> None:
    gate = GateConfig(
        "recall",
        slice=("plan",),
        slices="worst",
        min=0.7,
        max_regression=Margin(absolute=0.05),
        severity="warn",
    )
    got = slice_gates([gate], results_with_baseline(), has_baseline=True, min_size=30)
    assert [(g.metric, g.rule, g.status) for g in got] == [
        ("recall [plan=basic]", "min", "warn"),  # the lowest value
        ("recall [plan=pro]", "max_regression", "warn"),  # the largest drop
    ]
    assert (
        got[0].message
        == "recall [plan=basic] 0.66 is below the minimum 0.7 (the worst of 3 slices)"
    )


def test_every_and_worst_agree_on_the_verdict() -> None:
    results = results_with_baseline()
    for rule in (
        {"min": 0.6},
        {"min": 0.68},
        {"max_regression": Margin(absolute=0.25)},
        {"max_regression": Margin(relative=0.1)},
        {"max": 0.8},
        {"max_improvement": Margin(absolute=0.005)},
    ):
        every = slice_gates(
            [GateConfig("recall", slice=("plan",), **rule)], results, has_baseline=True, min_size=30
        )
        worst = slice_gates(
            [GateConfig("recall", slice=("plan",), slices="worst", **rule)],
            results,
            has_baseline=True,
            min_size=30,
        )
        assert ({g.status for g in every} - {"pass"}) == ({worst[0].status} - {"pass"}), rule


def test_the_gap_rule_is_best_minus_worst_and_needs_no_baseline() -> None:
    found = [values("a", log_loss=0.2), values("b", log_loss=0.5), values("c", log_loss=0.3)]
    results = compare_slices(found, {}, DIRECTIONS)
    [ok] = slice_gates(
        [GateConfig("log_loss", slice=("plan",), max_gap=0.3)],
        results,
        has_baseline=False,
        min_size=30,
    )
    assert (ok.metric, ok.rule, ok.status, ok.threshold) == (
        "log_loss [across plan]",
        "max_gap",
        "pass",
        "max gap 0.3",
    )
    assert ok.value == pytest.approx(0.3)
    assert ok.message == (
        "log_loss differs by 0.3 across plan (best plan=a: 0.2, worst plan=b: 0.5), "
        "within the tolerated gap of 0.3"
    )
    [bad] = slice_gates(
        [GateConfig("log_loss", slice=("plan",), max_gap=0.29)],
        results,
        has_baseline=False,
        min_size=30,
    )
    assert bad.status == "fail"
    one = compare_slices([values("a", log_loss=0.2), values("b", n=2)], {}, DIRECTIONS)
    [skipped] = slice_gates(
        [GateConfig("log_loss", slice=("plan",), max_gap=0.1)], one, has_baseline=False, min_size=30
    )
    assert (skipped.status, skipped.message) == (
        "skipped",
        "fewer than 2 slices by plan have a defined log_loss",
    )


def test_gates_without_any_large_slice_or_metric() -> None:
    results = compare_slices([values("a", n=3)], {}, DIRECTIONS, min_size=30)
    got = slice_gates(
        [GateConfig("recall", slice=("plan",), min=0.5, max_gap=0.1)],
        results,
        has_baseline=False,
        min_size=30,
    )
    assert [(g.metric, g.rule, g.status, g.message) for g in got] == [
        ("recall [plan]", "min", "skipped", "no slice by plan has 30 rows or more"),
        ("recall [across plan]", "max_gap", "skipped", "no slice by plan has 30 rows or more"),
    ]
    results = compare_slices([values("a", recall=0.5)], {}, DIRECTIONS)
    [missing] = slice_gates(
        [GateConfig("f1", slice=("plan",), min=0.5)], results, has_baseline=False, min_size=30
    )
    assert (missing.metric, missing.status) == ("f1 [plan=a]", "fail")
    assert "metric 'f1' was not computed" in missing.message


def test_change_rules_on_a_slice_the_baseline_lacks_say_so() -> None:
    results = compare_slices([values("new", recall=0.5)], {}, DIRECTIONS)
    gate = GateConfig("recall", slice=("plan",), max_regression=Margin(absolute=0.01))
    [with_record] = slice_gates([gate], results, has_baseline=True, min_size=30)
    assert (with_record.status, with_record.message) == (
        "skipped",
        "the baseline record has no recall for plan=new (new or too small there)",
    )
    [without] = slice_gates([gate], results, has_baseline=False, min_size=30)
    assert (without.status, without.message) == ("skipped", "no baseline")


def test_overall_gates_leave_slice_gates_alone() -> None:
    comparisons = compare_metrics({"recall": 0.1}, None, DIRECTIONS)
    got = evaluate_gates(
        [GateConfig("recall", slice=("plan",), min=0.5), GateConfig("recall", min=0.05)],
        comparisons,
        has_baseline=False,
    )
    assert [(g.metric, g.status) for g in got] == [("recall", "pass")]


# --- the stage --------------------------------------------------------------------------------


def write_config(folder: Path, body: str) -> Any:
    (folder / "mlci.yml").write_text("name: m\n" + textwrap.dedent(body))
    return load_config(folder / "mlci.yml")


def evaluation(p: Predictions) -> ModelEvaluation:
    return ModelEvaluation("binary", "predictions", {"recall": 0.5, "accuracy": 0.5}, len(p.y_true))


def record_doc(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": "m",
        "commit": "a" * 40,
        "ref": "refs/heads/main",
        "created_at": "2024-01-01T00:00:00Z",
        "config_hash": "x",
        "tool_version": "0",
        "environment": {},
        "datasets": {},
        "model": None,
        "gates": [],
        "checks": [],
        "verdict": "pass",
        "extra": extra,
    }


def test_evaluate_slices_adds_the_groupings_of_gates_and_sorts_by_the_gated_metric(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = write_config(
        tmp_path,
        """\
        model: {task: binary, slices: [[plan, country]], min_slice_size: 50,
                predictions: {path: p.csv, y_pred: pred}}
        gates:
          - {metric: recall, slice: [plan], slices: worst, min: 0.0}
        """,
    )
    p = binary_predictions()
    outcome = evaluate_slices(config, evaluation(p), p, None)
    assert [r.grouping for r in outcome.slices][:1] == [("plan", "country")]
    plan = [r for r in outcome.slices if r.grouping == ("plan",)]
    assert {r.sorted_by for r in plan} == {"recall"}
    recalls = [r.metric("recall").value for r in plan]  # type: ignore[union-attr]
    assert recalls == sorted(recalls)
    assert [g.metric for g in outcome.gates] == [f"recall [{plan[0].label}]"]
    assert {r.min_size for r in outcome.slices} == {50}
    assert len(outcome.record) == sum(not r.too_small for r in outcome.slices)


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
