from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn import metrics as skm

from mlci.config import ModelConfig, ModelFileConfig, PredictionsConfig
from mlci.errors import ModelError
from mlci.model.evaluate import evaluate, evaluate_with_predictions
from mlci.results import ModelEvaluation

TREE = "sklearn.tree._tree.Tree"  # RandomForest's trees: not trusted by skops by default
WriteCsv = Callable[..., Path]


def _model_cfg(trained: Any, path: Path, **kwargs: Any) -> ModelConfig:
    skops.io.dump(trained.model, path)
    model = ModelFileConfig(
        path=path, data="eval", target=trained.target, trusted_types=(TREE,), **kwargs
    )
    return ModelConfig(task=trained.task, model=model)


def _expected(task: str, y: Any, y_pred: Any, scores: Any, classes: Any = None) -> dict[str, float]:
    """The default metrics of each task, computed with scikit-learn directly."""
    if task == "binary":
        return {
            "accuracy": skm.accuracy_score(y, y_pred),
            "precision": skm.precision_score(y, y_pred),
            "recall": skm.recall_score(y, y_pred),
            "f1": skm.f1_score(y, y_pred),
            "roc_auc": skm.roc_auc_score(y, scores),
            "log_loss": skm.log_loss(y, scores),
        }
    if task == "multiclass":
        return {
            "accuracy": skm.accuracy_score(y, y_pred),
            "balanced_accuracy": skm.balanced_accuracy_score(y, y_pred),
            "f1": skm.f1_score(y, y_pred, average="macro"),
            "roc_auc": skm.roc_auc_score(y, scores, multi_class="ovr", labels=classes),
            "log_loss": skm.log_loss(y, scores, labels=classes),
        }
    return {
        "mae": skm.mean_absolute_error(y, y_pred),
        "rmse": skm.root_mean_squared_error(y, y_pred),
        "r2": skm.r2_score(y, y_pred),
    }


def _scores(trained: Any) -> Any:
    if trained.task == "binary":
        return trained.model.predict_proba(trained.X)[:, 1]
    if trained.task == "multiclass":
        return trained.model.predict_proba(trained.X)
    return None


# --- model level -------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["binary_model", "multiclass_model", "regression_model"])
def test_model_level(tmp_path: Path, which: str, request: pytest.FixtureRequest) -> None:
    trained = request.getfixturevalue(which)
    cfg = _model_cfg(trained, tmp_path / "model.skops")
    evaluation, predictions = evaluate_with_predictions(cfg, {"eval": trained.frame})
    y = trained.frame[trained.target]
    classes = getattr(trained.model, "classes_", None)
    expected = _expected(
        trained.task, y, trained.model.predict(trained.X), _scores(trained), classes
    )
    assert evaluation == ModelEvaluation(trained.task, "model", expected, n_rows=len(y))
    assert predictions is not None
    assert predictions.frame is trained.frame
    np.testing.assert_array_equal(predictions.y_true, y.to_numpy())
    assert evaluate(cfg, {"eval": trained.frame}) == evaluation


def test_model_level_positive_class_given_by_name(tmp_path: Path, binary_model: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    frame = binary_model.frame.copy()
    frame["label"] = frame["label"].map({0: "malignant", 1: "benign"})
    X = frame[["mean radius", "mean texture"]]
    model = LogisticRegression().fit(X, frame["label"])
    path = tmp_path / "m.skops"
    skops.io.dump(model, path)
    model_cfg = ModelFileConfig(path=path, data="eval", target="label", pos_label="malignant")
    cfg = ModelConfig(task="binary", model=model_cfg, metrics=("recall", "roc_auc"))
    got = evaluate(cfg, {"eval": frame})
    malignant = list(model.classes_).index("malignant")
    y_pred = model.predict(X)
    assert got.metrics == {
        "recall": skm.recall_score(frame["label"], y_pred, pos_label="malignant"),
        "roc_auc": skm.roc_auc_score(
            frame["label"] == "malignant", model.predict_proba(X)[:, malignant]
        ),
    }


@pytest.mark.parametrize("pos_label", [None, 0])
def test_model_without_probabilities_uses_the_decision_function(
    tmp_path: Path, binary_model: Any, pos_label: int | None
) -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    X, y = binary_model.X, binary_model.frame["label"]
    model = make_pipeline(StandardScaler(), LinearSVC(C=0.01)).fit(X, y)
    path = tmp_path / "svc.skops"
    skops.io.dump(model, path)
    model_cfg = ModelFileConfig(path=path, data="eval", target="label", pos_label=pos_label)
    got = evaluate(ModelConfig(task="binary", model=model_cfg), {"eval": binary_model.frame})
    assert "log_loss" not in got.metrics  # margins are not probabilities
    positive = 1 if pos_label is None else pos_label
    decision = model.decision_function(X)
    oriented = decision if positive == 1 else -decision
    assert got.metrics["roc_auc"] == skm.roc_auc_score(y == positive, oriented)
    assert got.metrics["recall"] == skm.recall_score(y, model.predict(X), pos_label=positive)


def test_model_uses_its_own_feature_names_when_none_are_configured(
    tmp_path: Path, regression_model: Any
) -> None:
    frame = regression_model.frame.assign(region="north")  # not a feature of the model
    cfg = _model_cfg(regression_model, tmp_path / "ridge.skops")
    got = evaluate(cfg, {"eval": frame})
    y_pred = regression_model.model.predict(regression_model.X)
    assert got.metrics["mae"] == skm.mean_absolute_error(frame["progression"], y_pred)


def test_model_without_feature_names_gets_every_column_but_the_target(
    tmp_path: Path, regression_model: Any
) -> None:
    from sklearn.linear_model import Ridge

    X, y = regression_model.X, regression_model.frame["progression"]
    model = Ridge().fit(X.to_numpy(), y)
    path = tmp_path / "ridge.skops"
    skops.io.dump(model, path)
    cfg = ModelConfig(
        task="regression",
        model=ModelFileConfig(path=path, data="eval", target="progression"),
        metrics=("r2",),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X has feature names")
        got = evaluate(cfg, {"eval": regression_model.frame})
    assert got.metrics == {"r2": skm.r2_score(y, model.predict(X.to_numpy()))}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"target": "progresion"},
            "Dataset `eval` has no column `progresion` (`model.model.target`). "
            "Did you mean `progression`? Columns: age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, "
            "progression.",
        ),
        (
            {"features": ("age", "bmii")},
            "Dataset `eval` has no column `bmii` (`model.model.features`). Did you mean `bmi`? "
            "Columns: age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, progression.",
        ),
        (
            {"data": "holdout"},
            "`model.model.data` names dataset `holdout`, which is not among the datasets "
            "(eval); add it under `datasets`.",
        ),
    ],
)
def test_model_level_config_errors(
    tmp_path: Path, regression_model: Any, change: dict[str, Any], message: str
) -> None:
    cfg = _model_cfg(regression_model, tmp_path / "ridge.skops")
    assert cfg.model is not None
    model = ModelFileConfig(**{**cfg.model.__dict__, **change})
    with pytest.raises(ModelError) as err:
        evaluate(ModelConfig(task="regression", model=model), {"eval": regression_model.frame})
    assert str(err.value) == message


def test_model_that_cannot_predict_the_data(tmp_path: Path, regression_model: Any) -> None:
    cfg = _model_cfg(regression_model, tmp_path / "ridge.skops", features=("age", "bmi"))
    with pytest.raises(ModelError) as err:
        evaluate(cfg, {"eval": regression_model.frame})
    message = str(err.value)
    assert message.startswith("The model could not predict: The feature names should match")
    assert message.endswith(
        ". Check that the evaluation data has the columns the model was trained on "
        "(`model.model.features`)."
    )
    assert "\n" not in message


def test_missing_target_values(tmp_path: Path, regression_model: Any) -> None:
    frame = regression_model.frame.copy()
    frame.loc[3, "progression"] = np.nan
    cfg = _model_cfg(regression_model, tmp_path / "ridge.skops")
    with pytest.raises(ModelError) as err:
        evaluate(cfg, {"eval": frame})
    assert str(err.value) == (
        "Dataset `eval`: target column `progression` has 1 missing value(s), first in data row 4; "
        "every evaluation row needs a target."
    )


def test_binary_task_with_a_multiclass_model(tmp_path: Path, multiclass_model: Any) -> None:
    cfg = _model_cfg(multiclass_model, tmp_path / "forest.skops")
    assert cfg.model is not None
    with pytest.raises(ModelError) as err:
        evaluate(ModelConfig(task="binary", model=cfg.model), {"eval": multiclass_model.frame})
    assert str(err.value) == (
        "The task is binary but the model has 3 classes; set `model.task: multiclass`."
    )


def test_classes_the_model_never_saw(tmp_path: Path, multiclass_model: Any) -> None:
    frame = multiclass_model.frame.copy()
    frame.loc[0, "species"] = "hybrid"
    cfg = _model_cfg(multiclass_model, tmp_path / "forest.skops")
    with pytest.raises(ModelError) as err:
        evaluate(cfg, {"eval": frame})
    assert str(err.value) == (
        "Dataset `eval`: target `species` has classes the model was not trained on: hybrid; "
        "the model knows setosa, versicolor, virginica."
    )


# --- predictions level -------------------------------------------------------------------------


def test_predictions_level_binary(write_csv: WriteCsv, binary_model: Any) -> None:
    y, X = binary_model.frame["label"], binary_model.X
    score = binary_model.model.predict_proba(X)[:, 1]
    path = write_csv({"label": y, "pred": binary_model.model.predict(X), "score": score})
    preds = PredictionsConfig(path=path, y_true="label", y_pred="pred", y_score="score")
    cfg = ModelConfig(task="binary", predictions=preds)
    evaluation, predictions = evaluate_with_predictions(cfg, {})
    written = pd.read_csv(path)
    expected = _expected("binary", written["label"], written["pred"], written["score"])
    assert evaluation == ModelEvaluation("binary", "predictions", expected, n_rows=len(y))
    assert predictions is not None and predictions.pos_label == 1


def test_predictions_level_multiclass(write_csv: WriteCsv, multiclass_model: Any) -> None:
    proba = multiclass_model.model.predict_proba(multiclass_model.X)
    columns = {f"p_{c}": proba[:, i] for i, c in enumerate(multiclass_model.model.classes_)}
    path = write_csv({"species": multiclass_model.frame["species"], **columns})
    preds = PredictionsConfig(path=path, y_true="species", y_pred=None, y_proba=tuple(columns))
    cfg = ModelConfig(task="multiclass", predictions=preds)
    got = evaluate(cfg, {})
    written = pd.read_csv(path)
    scores = written[list(columns)].to_numpy()
    classes = ["setosa", "versicolor", "virginica"]
    y_pred = np.array(classes)[scores.argmax(axis=1)]
    expected = _expected("multiclass", written["species"], y_pred, scores, classes)
    assert got == ModelEvaluation("multiclass", "predictions", expected, n_rows=len(written))


def test_predictions_level_regression_with_chosen_metrics(
    write_csv: WriteCsv, regression_model: Any
) -> None:
    y_pred = regression_model.model.predict(regression_model.X)
    path = write_csv({"y_true": regression_model.frame["progression"], "y_pred": y_pred})
    cfg = ModelConfig(
        task="regression", predictions=PredictionsConfig(path=path), metrics=("mape", "mse")
    )
    written = pd.read_csv(path)
    assert evaluate(cfg, {}).metrics == {
        "mape": skm.mean_absolute_percentage_error(written["y_true"], written["y_pred"]),
        "mse": skm.mean_squared_error(written["y_true"], written["y_pred"]),
    }


def test_predictions_level_labels_only_multiclass_defaults(write_csv: WriteCsv) -> None:
    y = ["a", "b", "c", "a", "b"]
    y_pred = ["a", "c", "c", "a", "b"]
    path = write_csv({"y_true": y, "y_pred": y_pred})
    got = evaluate(ModelConfig(task="multiclass", predictions=PredictionsConfig(path=path)), {})
    assert got.metrics == {
        "accuracy": skm.accuracy_score(y, y_pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, y_pred),
        "f1": skm.f1_score(y, y_pred, average="macro"),
    }


def test_predictions_level_score_metric_without_scores(write_csv: WriteCsv) -> None:
    path = write_csv({"y_true": [0, 1], "y_pred": [0, 1]})
    cfg = ModelConfig(task="binary", predictions=PredictionsConfig(path=path), metrics=("roc_auc",))
    with pytest.raises(ModelError) as err:
        evaluate(cfg, {})
    assert str(err.value) == "roc_auc needs scores: set `model.predictions.y_score`."


# --- metrics-file level ------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_metrics_file_level(tmp_path: Path, task: str) -> None:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"test": {"auc": 0.91, "loss": 0.3}, "throughput": 120}))
    evaluation, predictions = evaluate_with_predictions(
        ModelConfig(task=task, metrics_file=path), {}
    )
    assert predictions is None
    assert evaluation == ModelEvaluation(
        task, "metrics_file", {"test.auc": 0.91, "test.loss": 0.3, "throughput": 120.0}
    )


def test_metrics_file_level_keeps_the_configured_metrics(tmp_path: Path) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text("test:\n  auc: 0.91\n  loss: 0.3\nthroughput: 120\n")
    cfg = ModelConfig(task="binary", metrics_file=path, metrics=("test.loss", "test.auc"))
    assert evaluate(cfg, {}).metrics == {"test.loss": 0.3, "test.auc": 0.91}


def test_metrics_file_level_missing_configured_metric(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text('{"test": {"auc": 0.91}}')
    cfg = ModelConfig(task="binary", metrics_file=path, metrics=("test.acu",))
    with pytest.raises(ModelError) as err:
        evaluate(cfg, {})
    assert str(err.value) == (
        f"Metrics file {path} has no metric `test.acu` (listed in `model.metrics`). "
        "Did you mean `test.auc`? Metrics in the file: test.auc."
    )


def test_no_source_configured() -> None:
    with pytest.raises(ModelError) as err:
        evaluate(ModelConfig(task="binary"), {})
    assert str(err.value) == (
        "`model` needs one of `metrics_file`, `predictions`, `model`, `dvc_metrics` or "
        "`mlflow`; add one."
    )
