"""scikit-learn's names for mlci's metrics: each alias equals what scikit-learn computes under
that name (its scorer, sign included, or its function), reported under one canonical name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LinearRegression, LogisticRegression

from mlci.errors import ModelError
from mlci.model.metrics import (
    REGISTRY,
    canonical_name,
    compute_metrics,
    higher_is_better,
    lookup,
)
from mlci.scorers import ALIASES, resolve_alias

SCORERS = set(skm.get_scorer_names())


def _fitted(task: str) -> tuple[Any, np.ndarray, np.ndarray]:
    """A real estimator, fitted on half of a noisy problem, and the other half to score."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 3))
    signal = x @ np.array([1.0, -0.5, 0.25]) + rng.normal(scale=1.0, size=400)
    if task == "regression":
        y: np.ndarray = 20 + 3 * signal  # positive: logarithmic errors are defined
        model: Any = LinearRegression()
    else:
        edges = [0.0] if task == "binary" else [-0.6, 0.6]
        y = np.digitize(signal, edges)
        model = LogisticRegression()
    model.fit(x[:200], y[:200])
    return model, x[200:], y[200:]


def _mlci_value(name: str, task: str, model: Any, x: np.ndarray, y: np.ndarray) -> float:
    kwargs: dict[str, Any] = {"y_pred": model.predict(x)}
    if task == "binary":
        kwargs["y_score"] = model.predict_proba(x)[:, 1]
    elif task == "multiclass":
        kwargs["y_proba"] = model.predict_proba(x)
    (value,) = compute_metrics(task, y, metrics=[name], **kwargs).values()
    return value


SCORER_CASES = [
    (name, task)
    for name in sorted(ALIASES)
    if name in SCORERS
    for task in sorted(REGISTRY[ALIASES[name].metric].tasks)
]


def test_every_alias_names_a_registered_metric_and_no_registered_name_is_an_alias() -> None:
    assert all(alias.metric in REGISTRY for alias in ALIASES.values())
    assert not set(ALIASES) & set(REGISTRY)
    assert {a.sign for a in ALIASES.values()} <= {1, -1}


def test_the_scorer_names_users_ask_for_resolve() -> None:
    for name in ("neg_log_loss", "f1_macro", "brier_score_loss", "neg_root_mean_squared_error"):
        assert lookup(name) is not None, name
    # every scikit-learn scorer of a metric mlci has is known by its scorer name
    for name in ("accuracy", "balanced_accuracy", "f1_weighted", "jaccard_macro", "r2"):
        assert name in SCORERS and lookup(name) is not None


@pytest.mark.parametrize(("name", "task"), SCORER_CASES)
def test_a_scorer_alias_equals_scikit_learns_scorer(name: str, task: str) -> None:
    model, x, y = _fitted(task)
    expected = skm.get_scorer(name)(model, x, y)  # signed: neg_* scorers are negated
    value = _mlci_value(name, task, model, x, y)
    assert resolve_alias(name).sign * value == pytest.approx(expected, rel=1e-9, abs=1e-12)


FUNCTION_CASES = [
    (name, "multiclass" if name == "top_k_accuracy_score" else sorted(REGISTRY[a.metric].tasks)[0])
    for name, a in sorted(ALIASES.items())
    if name not in SCORERS
]


@pytest.mark.parametrize(("name", "task"), FUNCTION_CASES)
def test_a_function_alias_equals_scikit_learns_function(name: str, task: str) -> None:
    model, x, y = _fitted(task)
    spec = REGISTRY[ALIASES[name].metric]
    if spec.needs == "labels":
        argument = model.predict(x)
    else:
        proba = model.predict_proba(x)
        argument = proba[:, 1] if task == "binary" else proba
    expected = getattr(skm, name)(y, argument)
    assert _mlci_value(name, task, model, x, y) == pytest.approx(expected, rel=1e-9)


def test_values_are_reported_under_the_canonical_name_once() -> None:
    values = compute_metrics(
        "binary",
        [0, 1, 1, 0],
        y_pred=[0, 1, 0, 0],
        y_score=[0.2, 0.9, 0.4, 0.3],
        metrics=["neg_log_loss", "log_loss", "f1_score", "brier_score_loss"],
    )
    assert list(values) == ["log_loss", "f1", "brier_score"]
    assert values["log_loss"] > 0  # the loss itself, not scikit-learn's negated score
    assert canonical_name("neg_mean_absolute_error") == "mae"
    assert canonical_name("not_a_metric") == "not_a_metric"


@pytest.mark.parametrize(
    ("name", "higher"),
    [
        ("log_loss", False),
        ("neg_log_loss", True),  # the scorer is the loss negated: higher is better
        ("brier_score_loss", False),
        ("neg_max_error", True),
        ("max_error", False),
        ("matthews_corrcoef", True),
        ("explained_variance_score", True),
    ],
)
def test_directions_of_aliases_follow_the_sign(name: str, higher: bool) -> None:
    assert higher_is_better(name) is higher


def test_an_alias_for_another_task_is_refused_by_its_own_name() -> None:
    with pytest.raises(ModelError) as info:
        compute_metrics("regression", [1.0, 2.0], y_pred=[1.0, 2.0], metrics=["neg_log_loss"])
    assert str(info.value).startswith("Metric `neg_log_loss` is for ")


def test_a_misspelt_scorer_name_gets_a_suggestion() -> None:
    with pytest.raises(ModelError) as info:
        compute_metrics("binary", [0, 1], y_pred=[0, 1], metrics=["neg_log_los"])
    assert "Did you mean `neg_log_loss`?" in str(info.value)
