from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm

from mlci.errors import ModelError
from mlci.model.metrics import (
    REGISTRY,
    MetricWarning,
    compute_metrics,
    default_metrics,
    default_pos_label,
    higher_is_better,
)

CLASSES = ("a", "b", "c")
CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True)
class Case:
    """Inputs for one task; y_proba columns are in CLASSES order."""

    task: str
    y_true: np.ndarray
    y_pred: np.ndarray
    y_score: np.ndarray | None = None
    y_proba: np.ndarray | None = None

    def compute(self, names: list[str]) -> dict[str, float]:
        labels = CLASSES if self.y_proba is not None else None
        return compute_metrics(
            self.task,
            self.y_true,
            y_pred=self.y_pred,
            y_score=self.y_score,
            y_proba=self.y_proba,
            labels=labels,
            metrics=names,
        )


def _binary(n: int = 80, seed: int = 0) -> Case:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    y_score = np.clip(0.35 * y_true + rng.uniform(0, 0.65, n), 0, 1)
    return Case("binary", y_true, (y_score >= 0.5).astype(int), y_score=y_score)


def _multiclass(n: int = 90, seed: int = 1) -> Case:
    rng = np.random.default_rng(seed)
    codes = rng.choice(3, n, p=[0.5, 0.3, 0.2])  # imbalanced: macro != weighted
    raw = rng.dirichlet([1, 1, 1], n) + 0.3 * np.eye(3)[codes]
    proba = raw / raw.sum(axis=1, keepdims=True)
    labels = np.array(CLASSES)
    return Case("multiclass", labels[codes], labels[proba.argmax(axis=1)], y_proba=proba)


def _regression(n: int = 70, seed: int = 2) -> Case:
    rng = np.random.default_rng(seed)
    y_true = rng.normal(10, 3, n)
    return Case("regression", y_true, y_true + rng.normal(0, 2, n))


CASES = {"binary": _binary(), "multiclass": _multiclass(), "regression": _regression()}


def _perfect(case: Case) -> Case:
    if case.task == "multiclass":
        codes = np.searchsorted(np.array(CLASSES), case.y_true)
        proba = 0.9 * np.eye(3)[codes] + 0.1 / 3
        return Case(case.task, case.y_true, case.y_true, y_proba=proba)
    score = None if case.y_score is None else 0.05 + 0.9 * case.y_true
    return Case(case.task, case.y_true, case.y_true, y_score=score)


# The independent oracle: scikit-learn called directly, per metric and task.
Oracle = Callable[[Case], float]
_PR = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}


def _averaged(func: Callable[..., float]) -> dict[str, Oracle]:
    return {
        "binary": lambda c: func(c.y_true, c.y_pred),
        "multiclass": lambda c: func(c.y_true, c.y_pred, average="macro"),
    }


ORACLES: dict[str, dict[str, Oracle]] = {
    "accuracy": {t: lambda c: skm.accuracy_score(c.y_true, c.y_pred) for t in CLASSIFICATION},
    "balanced_accuracy": {
        t: lambda c: skm.balanced_accuracy_score(c.y_true, c.y_pred) for t in CLASSIFICATION
    },
    **{name: _averaged(func) for name, func in _PR.items()},
    "f1_weighted": {
        t: lambda c: skm.f1_score(c.y_true, c.y_pred, average="weighted") for t in CLASSIFICATION
    },
    "f1_micro": {
        t: lambda c: skm.f1_score(c.y_true, c.y_pred, average="micro") for t in CLASSIFICATION
    },
    "roc_auc": {
        "binary": lambda c: skm.roc_auc_score(c.y_true, c.y_score),
        "multiclass": lambda c: skm.roc_auc_score(c.y_true, c.y_proba, multi_class="ovr"),
    },
    "average_precision": {"binary": lambda c: skm.average_precision_score(c.y_true, c.y_score)},
    "log_loss": {
        "binary": lambda c: skm.log_loss(c.y_true, c.y_score),
        "multiclass": lambda c: skm.log_loss(c.y_true, c.y_proba),
    },
    "brier_score": {"binary": lambda c: skm.brier_score_loss(c.y_true, c.y_score)},
    "mae": {"regression": lambda c: skm.mean_absolute_error(c.y_true, c.y_pred)},
    "mse": {"regression": lambda c: skm.mean_squared_error(c.y_true, c.y_pred)},
    "rmse": {"regression": lambda c: skm.root_mean_squared_error(c.y_true, c.y_pred)},
    "r2": {"regression": lambda c: skm.r2_score(c.y_true, c.y_pred)},
    "mape": {"regression": lambda c: skm.mean_absolute_percentage_error(c.y_true, c.y_pred)},
    **{
        f"{name}_{average}": {
            t: lambda c, f=func, a=average: f(c.y_true, c.y_pred, average=a) for t in CLASSIFICATION
        }
        for name, func in _PR.items()
        for average in ("macro", "weighted")
    },
    "jaccard": _averaged(skm.jaccard_score),
    **{
        f"jaccard_{average}": {
            t: lambda c, a=average: skm.jaccard_score(c.y_true, c.y_pred, average=a)
            for t in CLASSIFICATION
        }
        for average in ("macro", "micro", "weighted")
    },
    "matthews_corrcoef": {
        t: lambda c: skm.matthews_corrcoef(c.y_true, c.y_pred) for t in CLASSIFICATION
    },
    "cohen_kappa": {t: lambda c: skm.cohen_kappa_score(c.y_true, c.y_pred) for t in CLASSIFICATION},
    "top_k_accuracy": {
        "multiclass": lambda c: skm.top_k_accuracy_score(c.y_true, c.y_proba, k=2, labels=CLASSES)
    },
    "msle": {"regression": lambda c: skm.mean_squared_log_error(c.y_true, c.y_pred)},
    "rmsle": {"regression": lambda c: skm.root_mean_squared_log_error(c.y_true, c.y_pred)},
    "median_absolute_error": {
        "regression": lambda c: skm.median_absolute_error(c.y_true, c.y_pred)
    },
    "max_error": {"regression": lambda c: skm.max_error(c.y_true, c.y_pred)},
    "explained_variance": {
        "regression": lambda c: skm.explained_variance_score(c.y_true, c.y_pred)
    },
    "d2_absolute_error": {"regression": lambda c: skm.d2_absolute_error_score(c.y_true, c.y_pred)},
}

PAIRS = [(name, task) for name, spec in REGISTRY.items() for task in sorted(spec.tasks)]


def test_every_metric_has_an_oracle_for_each_of_its_tasks() -> None:
    declared = {(name, task) for name, task in PAIRS}
    oracles = {(name, task) for name, tasks in ORACLES.items() for task in tasks}
    assert declared == oracles


@pytest.mark.parametrize("name", list(REGISTRY))
def test_registry_declares_a_direction_and_higher_is_better_reports_it(name: str) -> None:
    spec = REGISTRY[name]
    assert spec.name == name
    assert isinstance(spec.higher_is_better, bool)
    assert spec.needs in ("labels", "scores")
    assert spec.tasks and spec.tasks <= {"binary", "multiclass", "regression"}
    assert spec.description
    assert higher_is_better(name) is spec.higher_is_better
    assert higher_is_better(f"test.{name}") is spec.higher_is_better


@pytest.mark.parametrize(("name", "task"), PAIRS)
def test_value_is_scikit_learns(name: str, task: str) -> None:
    case = CASES[task]
    assert case.compute([name]) == {name: ORACLES[name][task](case)}


@pytest.mark.parametrize(("name", "task"), PAIRS)
def test_direction_ranks_perfect_predictions_above_noisy_ones(name: str, task: str) -> None:
    noisy = CASES[task].compute([name])[name]
    perfect = _perfect(CASES[task]).compute([name])[name]
    assert noisy != perfect
    assert (perfect > noisy) is REGISTRY[name].higher_is_better


def _degenerate(task: str) -> Case:
    """Inputs on which some metrics are undefined: one class present, or a single row."""
    if task == "binary":
        return Case(task, np.ones(4, int), np.array([1, 0, 1, 1]), np.array([0.9, 0.2, 0.6, 0.7]))
    if task == "multiclass":
        proba = np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1]])
        return Case(task, np.array(["a", "a"]), np.array(["a", "b"]), y_proba=proba)
    return Case(task, np.array([3.0]), np.array([2.5]))


@pytest.mark.parametrize(("name", "task"), PAIRS)
def test_undefined_values_are_nan_with_a_warning_never_an_error(name: str, task: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = _degenerate(task).compute([name])[name]
    assert isinstance(value, float)
    ours = [w for w in caught if issubclass(w.category, MetricWarning)]
    if math.isnan(value):
        assert ours
        assert str(ours[0].message).startswith(f"{name} = nan here: ")


@pytest.mark.parametrize(
    ("task", "name"), [("binary", "roc_auc"), ("multiclass", "roc_auc"), ("regression", "r2")]
)
def test_known_undefined_cases_are_nan(task: str, name: str) -> None:
    with pytest.warns(MetricWarning, match=f"^{name} = nan here: "):
        value = _degenerate(task).compute([name])[name]
    assert math.isnan(value)


def test_binary_roc_auc_with_one_class_says_why() -> None:
    with pytest.warns(MetricWarning) as record:
        compute_metrics("binary", [1, 1], y_score=[0.2, 0.7], metrics=["roc_auc"])
    assert str(record[0].message) == (
        "roc_auc = nan here: Only one class is present in y_true. "
        "ROC AUC score is not defined in that case."
    )


def test_binary_labels_are_derived_from_scores_at_one_half() -> None:
    case = CASES["binary"]
    got = compute_metrics("binary", case.y_true, y_score=case.y_score, metrics=["f1", "accuracy"])
    thresholded = (case.y_score >= 0.5).astype(int)
    assert got == {
        "f1": skm.f1_score(case.y_true, thresholded),
        "accuracy": skm.accuracy_score(case.y_true, thresholded),
    }


def test_binary_string_labels_use_the_positive_class() -> None:
    case = CASES["binary"]
    y_true = np.where(case.y_true == 1, "churn", "stay")
    y_pred = np.where(case.y_pred == 1, "churn", "stay")
    got = compute_metrics(
        "binary",
        y_true,
        y_pred=y_pred,
        y_score=case.y_score,
        pos_label="churn",
        metrics=["precision", "recall", "roc_auc", "log_loss", "brier_score"],
    )
    is_churn = y_true == "churn"
    assert got == {
        "precision": skm.precision_score(y_true, y_pred, pos_label="churn"),
        "recall": skm.recall_score(y_true, y_pred, pos_label="churn"),
        "roc_auc": skm.roc_auc_score(is_churn, case.y_score),
        "log_loss": skm.log_loss(is_churn, case.y_score),
        "brier_score": skm.brier_score_loss(y_true, case.y_score, pos_label="churn"),
    }


def test_binary_probabilities_of_two_columns_use_the_positive_column() -> None:
    case = CASES["binary"]
    proba = np.column_stack([1 - case.y_score, case.y_score])
    got = compute_metrics(
        "binary", case.y_true, y_proba=proba, labels=[0, 1], metrics=["roc_auc", "accuracy"]
    )
    assert got == CASES["binary"].compute(["roc_auc", "accuracy"])


@pytest.mark.parametrize(
    ("classes", "given", "expected"),
    [
        ([0, 1], None, 1),
        ([False, True], None, True),
        (["no", "yes"], None, "yes"),
        (["1", "0"], None, "1"),
        (["no", "yes"], "no", "no"),
        ([0], None, 1),
        ([False], None, 1),
        ([1.0, 0.0], None, 1.0),
        ([3, 7], None, 7),
    ],
)
def test_default_pos_label(classes: list[Any], given: Any, expected: Any) -> None:
    assert default_pos_label(classes, given) == expected


def test_multiclass_probability_columns_in_any_order() -> None:
    case = CASES["multiclass"]
    order = [2, 0, 1]
    got = compute_metrics(
        "multiclass",
        case.y_true,
        y_proba=case.y_proba[:, order],
        labels=[CLASSES[i] for i in order],
        metrics=["roc_auc", "log_loss", "accuracy"],
    )
    assert got == case.compute(["roc_auc", "log_loss", "accuracy"])


def test_multiclass_labels_default_to_argmax_of_probabilities() -> None:
    case = CASES["multiclass"]
    got = compute_metrics(
        "multiclass", case.y_true, y_proba=case.y_proba, labels=CLASSES, metrics=["f1"]
    )
    argmax = np.array(CLASSES)[case.y_proba.argmax(axis=1)]
    assert got == {"f1": skm.f1_score(case.y_true, argmax, average="macro")}


def test_results_follow_the_requested_order() -> None:
    got = CASES["regression"].compute(["r2", "mae", "rmse"])
    assert list(got) == ["r2", "mae", "rmse"]


@pytest.mark.parametrize(
    ("task", "kwargs", "message"),
    [
        ("binary", {"y_pred": [0, 1]}, "roc_auc needs scores: set `model.predictions.y_score`."),
        (
            "multiclass",
            {"y_pred": [0, 1]},
            "roc_auc needs scores: set `model.predictions.y_proba`.",
        ),
        (
            "binary",
            {"y_score": None},
            "accuracy needs predictions: set `model.predictions.y_pred`.",
        ),
    ],
)
def test_missing_inputs_name_the_config_key(
    task: str, kwargs: dict[str, Any], message: str
) -> None:
    name = "accuracy" if "y_score" in kwargs else "roc_auc"
    with pytest.raises(ModelError) as err:
        compute_metrics(task, [0, 1], metrics=[name], **kwargs)
    assert str(err.value) == message


def test_unknown_metric_suggests_the_near_miss() -> None:
    with pytest.raises(ModelError) as err:
        compute_metrics("binary", [0, 1], y_pred=[0, 1], metrics=["acuracy"])
    known = ", ".join(n for n, spec in REGISTRY.items() if "binary" in spec.tasks)
    assert "mae" not in known
    assert (
        str(err.value)
        == f"Unknown metric `acuracy`. Did you mean `accuracy`? Known binary metrics: {known}."
    )


def test_metric_of_another_task_is_refused() -> None:
    with pytest.raises(ModelError) as err:
        compute_metrics("binary", [0, 1], y_pred=[0, 1], metrics=["mae"])
    assert str(err.value) == "Metric `mae` is for regression tasks, not binary; remove it."


def test_binary_with_three_classes_is_refused() -> None:
    with pytest.raises(ModelError) as err:
        compute_metrics("binary", [0, 1, 2], y_pred=[0, 1, 1], metrics=["accuracy"])
    assert str(err.value) == (
        "A binary task has at most 2 classes, got 3 (0, 1, 2); set `model.task: multiclass`."
    )


def test_multiclass_class_without_probability_column_is_refused() -> None:
    with pytest.raises(ModelError, match=r"^y_true has classes without a y_proba column: d;"):
        compute_metrics(
            "multiclass",
            ["a", "d"],
            y_proba=[[0.5, 0.5], [0.5, 0.5]],
            labels=["a", "b"],
            metrics=["log_loss"],
        )


@pytest.mark.parametrize(
    ("task", "scores", "expected"),
    [
        ("binary", True, ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")),
        ("binary", False, ("accuracy", "precision", "recall", "f1")),
        ("multiclass", True, ("accuracy", "balanced_accuracy", "f1", "roc_auc", "log_loss")),
        ("multiclass", False, ("accuracy", "balanced_accuracy", "f1")),
        ("regression", True, ("mae", "rmse", "r2")),
    ],
)
def test_default_metrics(task: str, scores: bool, expected: tuple[str, ...]) -> None:
    names = default_metrics(task, scores=scores)
    assert names == expected
    assert all(task in REGISTRY[n].tasks for n in names)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("val_accuracy", True),
        ("top5_acc", True),
        ("my_score", True),
        ("auroc", True),
        ("pr_auc", True),
        ("weighted_precision", True),
        ("recall_at_10", True),
        ("f1_macro", True),
        ("mean_iou", True),
        ("mAP", True),
        ("neg_log_loss", True),
        ("test.r2", True),
        ("eval.loss", False),
        ("train/loss", False),
        ("valloss", False),
        ("reconstruction_error", False),
        ("mean_squared_error", False),
        ("val_mape", False),
        ("val_rmse", False),
        ("p95_latency_ms", False),
        ("inference_time", False),
        ("brier_score", False),
        ("throughput", None),
        ("n_params", None),
        ("epoch", None),
    ],
)
def test_direction_from_name_patterns(name: str, expected: bool | None) -> None:
    assert higher_is_better(name) is expected


@pytest.mark.parametrize(
    ("name", "overrides", "expected"),
    [
        ("throughput", {"throughput": "higher"}, True),
        ("accuracy", {"accuracy": "lower"}, False),
        ("eval.throughput", {"throughput": "higher"}, True),
        ("eval.loss", {"eval.loss": "higher"}, True),
        ("eval.loss", {"other": "higher"}, False),
    ],
)
def test_overrides_come_first(name: str, overrides: dict[str, str], expected: bool) -> None:
    assert higher_is_better(name, overrides) is expected
