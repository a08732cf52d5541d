"""The model stage: the candidate's metrics from a metrics file, a predictions file or a model."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from mlci.config import MlflowConfig, ModelConfig, ModelFileConfig
from mlci.errors import ModelError
from mlci.model.dvc import combined_metrics, declared_metrics_files
from mlci.model.isolate import predict_in_child
from mlci.model.load import (
    Predictions,
    is_pickle,
    load_metrics_file_with_errors,
    load_model,
    read_predictions,
    show_path,
)
from mlci.model.metrics import compute_metrics, default_metrics
from mlci.model.mlflow_run import download_model, run_metrics
from mlci.model.predict import predict
from mlci.results import ModelEvaluation
from mlci.yamlfile import near_miss

_PROBABILITY_METRICS = ("log_loss", "brier_score")


def evaluate(cfg: ModelConfig, datasets: Mapping[str, pd.DataFrame]) -> ModelEvaluation:
    """The candidate's metrics; see :func:`evaluate_with_predictions`."""
    return evaluate_with_predictions(cfg, datasets)[0]


def evaluate_with_predictions(
    cfg: ModelConfig, datasets: Mapping[str, pd.DataFrame]
) -> tuple[ModelEvaluation, Predictions | None]:
    """The candidate's metrics, and its per-example predictions when there are any.

    Parameters
    ----------
    cfg: the config's ``model`` section; exactly one of ``metrics_file``, ``predictions`` and
        ``model`` is used (checked in that order of richness: model, predictions, metrics file).
    datasets: the loaded datasets by name; the ``model`` level predicts
        ``datasets[cfg.model.data]``.

    Returns
    -------
    The evaluation (metrics: ``cfg.metrics``, or the task's defaults; for a metrics file, every
    numeric metric of the file) and the predictions (``None`` for a metrics file).
    """
    if cfg.model is not None:
        predictions = _predict_dataset(cfg.model, cfg.task, datasets)
        return _evaluate_predictions(cfg, predictions, "model"), predictions
    if cfg.mlflow is not None and cfg.mlflow.model is not None:
        predictions = predict_mlflow_model(cfg.mlflow, cfg.task, datasets)
        return _evaluate_predictions(cfg, predictions, "model"), predictions
    if cfg.predictions is not None:
        predictions = read_predictions(cfg.predictions, cfg.task)
        return _evaluate_predictions(cfg, predictions, "predictions"), predictions
    if cfg.metrics_file is not None:
        found, errors = load_metrics_file_with_errors(cfg.metrics_file)
        metrics = _select(found, cfg.metrics, cfg.metrics_file)
        kept = {name: se for name, se in errors.items() if name in metrics}
        return ModelEvaluation(cfg.task, "metrics_file", metrics, standard_errors=kept), None
    if cfg.metrics_files or cfg.dvc_metrics is not None:
        files = cfg.metrics_files
        if cfg.dvc_metrics is not None:
            files = tuple(declared_metrics_files(cfg.dvc_metrics))
        loaded = [(path, load_metrics_file_with_errors(path)) for path in files]
        read = combined_metrics([(path, values) for path, (values, _) in loaded])
        metrics = _select(read, cfg.metrics, files[0])
        errors = combined_metrics([(path, errs) for path, (_, errs) in loaded])
        kept = {name: se for name, se in errors.items() if name in metrics}
        return ModelEvaluation(cfg.task, "metrics_file", metrics, standard_errors=kept), None
    if cfg.mlflow is not None:
        metrics = _select(run_metrics(cfg.mlflow), cfg.metrics, f"MLflow run {cfg.mlflow.named}")
        return ModelEvaluation(cfg.task, "metrics_file", metrics), None
    raise ModelError(
        "`model` needs one of `metrics_file`, `predictions`, `model`, `dvc_metrics` or "
        "`mlflow`; add one."
    )


def _evaluate_predictions(
    cfg: ModelConfig, predictions: Predictions, source: Literal["model", "predictions"]
) -> ModelEvaluation:
    names = cfg.metrics or _default_metrics(cfg.task, predictions)
    metrics = compute_metrics(
        cfg.task,
        predictions.y_true,
        y_pred=predictions.y_pred,
        y_score=predictions.y_score,
        y_proba=predictions.y_proba,
        labels=predictions.labels,
        pos_label=predictions.pos_label,
        metrics=names,
    )
    return ModelEvaluation(cfg.task, source, metrics, n_rows=len(predictions.y_true))


def _default_metrics(task: str, predictions: Predictions) -> tuple[str, ...]:
    """The task's defaults; probability metrics only when the scores are probabilities."""
    scores = predictions.y_score if predictions.y_score is not None else predictions.y_proba
    names = default_metrics(task, scores=scores is not None)
    if scores is not None and not _are_probabilities(scores):
        names = tuple(n for n in names if n not in _PROBABILITY_METRICS)
    return names


def _are_probabilities(scores: np.ndarray) -> bool:
    return bool(np.all((scores >= 0) & (scores <= 1)))


def _select(
    metrics: dict[str, float], wanted: Sequence[str], source: Path | str
) -> dict[str, float]:
    """The metrics of a metrics file (or ``source``) named in ``model.metrics`` (all of them
    when empty)."""
    if not wanted:
        return metrics
    shown = f"Metrics file {show_path(source)}" if isinstance(source, Path) else source
    for name in wanted:
        if name not in metrics:
            close = near_miss(name, metrics)
            hint = f" Did you mean `{close}`?" if close else ""
            raise ModelError(
                f"{shown} has no metric `{name}` (listed in "
                f"`model.metrics`).{hint} Metrics in the file: {', '.join(metrics)}."
            )
    return {name: metrics[name] for name in wanted}


# --- the model level -----------------------------------------------------------------------------


def predict_mlflow_model(
    cfg: MlflowConfig, task: str, datasets: Mapping[str, pd.DataFrame]
) -> Predictions:
    """The MLflow model ``cfg.model`` names predicting ``cfg.data``: downloaded here, loaded
    as a pyfunc only in the child process without credentials (:mod:`mlci.model.isolate`)."""
    with tempfile.TemporaryDirectory(prefix="mlci-mlflow-") as tmp:
        local = download_model(cfg, Path(tmp))
        try:
            return _predict_dataset(cfg.model_file(local), task, datasets)
        except ModelError as exc:
            shown = str(exc).replace(f"Model file {show_path(local)}", "The model")
            raise ModelError(f"model.mlflow.model: {cfg.model}: {shown}") from None


def predict_dataset(
    cfg: ModelFileConfig, task: str, datasets: Mapping[str, pd.DataFrame]
) -> Predictions:
    """Load the model file of ``cfg`` and predict its dataset (``frame``: the whole dataset)."""
    return _predict_dataset(cfg, task, datasets)


def _predict_dataset(
    cfg: ModelFileConfig, task: str, datasets: Mapping[str, pd.DataFrame]
) -> Predictions:
    """A pickle (allowed by ``allow_unsafe_pickle``) is loaded and predicts in a child process
    without credentials (:mod:`mlci.model.isolate`); any other model file in this process."""
    frame = _dataset(cfg, datasets)
    y_true = _target(cfg, frame)
    if is_pickle(cfg.path) and cfg.allow_unsafe_pickle:
        predictions = predict_in_child(cfg, task, frame, y_true)
    else:
        predictions = predict_frame(cfg, task, frame, y_true)
    if predictions.labels is not None and task == "multiclass":
        _check_known_classes(cfg, y_true, predictions.labels)
    return replace(predictions, frame=frame)


def predict_frame(
    cfg: ModelFileConfig, task: str, frame: pd.DataFrame, y_true: np.ndarray
) -> Predictions:
    """Load the model file of ``cfg`` in this process and predict ``frame`` (its features)."""
    model = load_model(
        cfg.path, allow_unsafe_pickle=cfg.allow_unsafe_pickle, trusted_types=cfg.trusted_types
    )
    X = frame[list(_features(cfg, frame, model))]
    return predict(model, X, task, pos_label=cfg.pos_label, y_true=y_true)


def _dataset(cfg: ModelFileConfig, datasets: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    if cfg.data not in datasets:
        known = ", ".join(datasets) or "none"
        raise ModelError(
            f"`model.model.data` names dataset `{cfg.data}`, which is not among the datasets "
            f"({known}); add it under `datasets`."
        )
    frame = datasets[cfg.data]
    if frame.empty:
        raise ModelError(f"Dataset `{cfg.data}` has no rows; the model needs rows to predict.")
    return frame


def _target(cfg: ModelFileConfig, frame: pd.DataFrame) -> np.ndarray:
    if cfg.target not in frame.columns:
        raise ModelError(_missing_column(cfg.data, cfg.target, "model.model.target", frame))
    target = frame[cfg.target]
    missing = target.isna().to_numpy()
    if missing.any():
        raise ModelError(
            f"Dataset `{cfg.data}`: target column `{cfg.target}` has {int(missing.sum())} "
            f"missing value(s), first in data row {int(missing.argmax()) + 1}; "
            "every evaluation row needs a target."
        )
    return target.to_numpy()


def _features(cfg: ModelFileConfig, frame: pd.DataFrame, model: object) -> tuple[str, ...]:
    """``model.model.features``, else the model's own feature names, else all but the target
    (and the example id column)."""
    if cfg.features is not None:
        features = cfg.features
    elif hasattr(model, "feature_names_in_"):
        features = tuple(str(c) for c in model.feature_names_in_)
    else:
        features = tuple(str(c) for c in frame.columns if c not in (cfg.target, cfg.id))
    for name in features:
        if name not in frame.columns:
            raise ModelError(_missing_column(cfg.data, name, "model.model.features", frame))
    return features


def _missing_column(dataset: str, name: str, key: str, frame: pd.DataFrame) -> str:
    columns = [str(c) for c in frame.columns]
    close = near_miss(name, columns, shortening=True)  # from the file's own columns
    hint = f" Did you mean `{close}`?" if close else ""
    return (
        f"Dataset `{dataset}` has no column `{name}` (`{key}`).{hint} "
        f"Columns: {', '.join(columns)}."
    )


def _check_known_classes(
    cfg: ModelFileConfig, y_true: np.ndarray, labels: tuple[object, ...]
) -> None:
    unknown = sorted({str(v) for v in y_true.tolist()} - {str(c) for c in labels})
    if unknown:
        raise ModelError(
            f"Dataset `{cfg.data}`: target `{cfg.target}` has classes the model was not trained "
            f"on: {', '.join(unknown)}; the model knows {', '.join(map(str, labels))}."
        )
