"""Predicting with a loaded scikit-learn-compatible model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from mlci.errors import ModelError
from mlci.model.load import Predictions
from mlci.model.metrics import default_pos_label


def predict(
    model: Any,
    X: pd.DataFrame,
    task: str,
    *,
    pos_label: Any = None,
    y_true: Any = None,
) -> Predictions:
    """Predict ``X`` with ``model``: labels/values, and scores when the model gives them.

    Binary: ``y_score`` is the positive class's column of ``predict_proba`` (else the
    ``decision_function``, oriented so larger means positive). Multiclass: ``y_proba`` is all of
    ``predict_proba`` with ``labels`` = ``model.classes_``. ``y_true`` is carried into the result
    (empty when not given); ``frame`` is ``X``.
    """
    y_pred = np.asarray(_call(model.predict, X))
    true = np.asarray(y_true) if y_true is not None else np.empty(0)
    if task == "regression":
        return Predictions(true, y_pred.astype(float), None, None, None, X)
    classes = tuple(np.asarray(getattr(model, "classes_", _unique(y_pred, true))).tolist())
    if task == "binary":
        return _binary(model, X, y_pred, true, classes, pos_label)
    proba = _proba(model, X)
    labels = classes if proba is not None else None
    return Predictions(true, y_pred, None, proba, labels, X)


def _binary(
    model: Any,
    X: pd.DataFrame,
    y_pred: np.ndarray,
    true: np.ndarray,
    classes: tuple[Any, ...],
    pos_label: Any,
) -> Predictions:
    if len(classes) > 2:
        raise ModelError(
            f"The task is binary but the model has {len(classes)} classes; "
            "set `model.task: multiclass`."
        )
    positive = default_pos_label(list(classes), pos_label)
    if len(classes) == 2 and positive not in classes:
        raise ModelError(
            f"pos_label {positive!r} is not one of the model's classes "
            f"({classes[0]!r}, {classes[1]!r}); set `model.model.pos_label` to one of them."
        )
    score = _binary_score(model, X, classes, positive)
    labels = classes if len(classes) == 2 else None
    return Predictions(true, y_pred, score, None, labels, X, positive)


def _binary_score(
    model: Any, X: pd.DataFrame, classes: tuple[Any, ...], positive: Any
) -> np.ndarray | None:
    proba = _proba(model, X)
    if proba is not None and proba.ndim == 2 and proba.shape[1] == len(classes) == 2:
        return proba[:, classes.index(positive)]
    if hasattr(model, "decision_function") and len(classes) == 2:
        decision = np.asarray(_call(model.decision_function, X), dtype=float).ravel()
        return decision if positive == classes[1] else -decision
    return None


def _proba(model: Any, X: pd.DataFrame) -> np.ndarray | None:
    if not hasattr(model, "predict_proba"):  # also False when the estimator cannot (SVC)
        return None
    return np.asarray(_call(model.predict_proba, X), dtype=float)


def _unique(*arrays: np.ndarray) -> list[Any]:
    return sorted(set(np.concatenate([a.ravel() for a in arrays]).tolist()), key=str)


def _call(method: Callable[[pd.DataFrame], Any], X: pd.DataFrame) -> Any:
    try:
        return method(X)
    except Exception as exc:  # models raise anything for bad input
        message = " ".join(str(exc).split()) or type(exc).__name__
        short = message if len(message) <= 200 else message[:197] + "..."
        raise ModelError(
            f"The model could not predict: {short.rstrip('.')}. Check that the evaluation data "
            "has the columns the model was trained on (`model.model.features`)."
        ) from exc
