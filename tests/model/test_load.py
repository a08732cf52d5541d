from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.config import PredictionsConfig
from mlci.errors import ModelError
from mlci.model.load import (
    load_metrics_file,
    load_model,
    read_predictions,
    show_path,
    strip_affixes,
)

FIXTURES = Path(__file__).parent / "fixtures"
WriteCsv = Callable[..., Path]


def _error(func: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ModelError) as err:
        func(*args, **kwargs)
    return str(err.value)


# --- metrics files -----------------------------------------------------------------------------


def test_dvc_style_nested_yaml_is_flattened_with_dots() -> None:
    assert load_metrics_file(FIXTURES / "dvc_metrics.yaml") == {
        "train.loss": 0.21,
        "train.accuracy": 0.93,
        "test.loss": 0.25,
        "test.accuracy": 0.9,
        "test.per_class.cat.f1": 0.88,
        "epochs": 20.0,
    }


def test_json_numbers_kept_and_other_leaves_skipped(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    document = {"auc": 0.9, "n": 3, "ok": True, "name": "x", "hist": [1, 2], "none": None}
    path.write_text(json.dumps({**document, "test": {"auc": 0.8}}))
    assert load_metrics_file(path) == {"auc": 0.9, "n": 3.0, "test.auc": 0.8}


def test_yml_suffix_and_top_level_numbers(tmp_path: Path) -> None:
    path = tmp_path / "m.yml"
    path.write_text("accuracy: 0.5\nrmse: 12\n")
    assert load_metrics_file(path) == {"accuracy": 0.5, "rmse": 12.0}


def test_toml_metrics_are_flattened_like_json(tmp_path: Path) -> None:
    path = tmp_path / "metrics.toml"
    path.write_text('auc = 0.9\nname = "x"\n[test]\nloss = 0.25\n[test.per_class]\ncat = 1\n')
    assert load_metrics_file(path) == {"auc": 0.9, "test.loss": 0.25, "test.per_class.cat": 1.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("auc = \n", "not valid TOML"),
        ("a = " + "{b = " * 70 + "1" + "}" * 70 + "\n", "nested too deeply"),
    ],
)
def test_toml_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text)
    assert message in _error(load_metrics_file, path)


def test_scikit_learn_names_are_read_under_the_registered_metric(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    document = {"neg_log_loss": -0.31, "f1_score": 0.8, "mae": 2, "mean_absolute_error": 3}
    path.write_text(json.dumps({**document, "test": {"neg_log_loss": -0.4}}))
    assert load_metrics_file(path) == {
        "log_loss": 0.31,  # the loss itself: scikit-learn's neg_* score negated
        "f1": 0.8,
        "mae": 2.0,  # written under both names: the registered one is kept
        "test.neg_log_loss": -0.4,  # only top-level names are scikit-learn's
    }


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "metrics.json",
            '{"acc": 0.9,\n "loss": }',
            ": invalid JSON at line 2, column 10 (Expecting value).",
        ),
        (
            "metrics.yaml",
            "acc: 0.9\nloss: [1,\n",
            ":3: not valid YAML: expected the node content, but found '<stream end>'.",
        ),
        (
            "metrics.json",
            "[0.9, 0.8]",
            "must hold a mapping of metric names to numbers, got a list.",
        ),
        (
            "metrics.json",
            '{"run": "abc", "ok": true}',
            'has no numeric metric; expected e.g. {"accuracy": 0.91}.',
        ),
        ("metrics.json", '{"loss": NaN}', ": `loss` is NaN; a metric must be a finite number."),
        (
            "metrics.json",
            '{"eval": {"loss": -Infinity}}',
            ": `eval.loss` is -inf; a metric must be a finite number.",
        ),
        ("metrics.yaml", "loss: .inf\n", ": `loss` is inf; a metric must be a finite number."),
    ],
)
def test_metrics_file_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    sep = "" if message.startswith(":") else " "
    assert _error(load_metrics_file, path) == f"Metrics file {path}{sep}{message}"


def test_metrics_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "out" / "metrics.json"
    assert _error(load_metrics_file, path) == (
        f"Metrics file {path} not found; check `model.metrics_file` in the config."
    )


def test_metrics_file_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "metrics.txt"
    path.write_text("acc 0.9")
    assert _error(load_metrics_file, path) == (
        f"Metrics file {path}: unsupported suffix `.txt`; use .json, .yaml, .yml or .toml."
    )


def test_paths_under_the_working_directory_are_shown_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "metrics.json").write_text('{"loss": NaN}')
    monkeypatch.chdir(tmp_path)
    assert _error(load_metrics_file, tmp_path / "out" / "metrics.json") == (
        "Metrics file out/metrics.json: `loss` is NaN; a metric must be a finite number."
    )


# --- predictions files -------------------------------------------------------------------------


def _cfg(path: Path, **kwargs: Any) -> PredictionsConfig:
    return PredictionsConfig(path=path, **kwargs)


def test_binary_predictions_csv(write_csv: WriteCsv) -> None:
    path = write_csv(
        {"label": [0, 1, 1], "pred": [0, 1, 0], "score": [0.1, 0.9, 0.4], "x": [1, 2, 3]}
    )
    got = read_predictions(_cfg(path, y_true="label", y_pred="pred", y_score="score"), "binary")
    np.testing.assert_array_equal(got.y_true, [0, 1, 1])
    np.testing.assert_array_equal(got.y_pred, [0, 1, 0])
    np.testing.assert_array_equal(got.y_score, [0.1, 0.9, 0.4])
    assert got.y_proba is None
    assert got.labels == (0, 1)
    assert got.pos_label == 1
    assert list(got.frame.columns) == ["label", "pred", "score", "x"]


def test_binary_predictions_parquet_with_derived_labels(tmp_path: Path) -> None:
    path = tmp_path / "preds.parquet"
    pd.DataFrame({"y_true": ["no", "yes", "yes"], "p": [0.2, 0.5, 0.49]}).to_parquet(path)
    got = read_predictions(_cfg(path, y_score="p"), "binary")
    assert got.pos_label == "yes"
    np.testing.assert_array_equal(got.y_pred, ["no", "yes", "no"])


def test_binary_pos_label_from_config_matches_the_labels_by_text(write_csv: WriteCsv) -> None:
    path = write_csv({"y_true": [1, 0], "y_pred": [1, 1]})
    got = read_predictions(_cfg(path, pos_label="0"), "binary")
    assert got.pos_label == 0
    assert type(got.pos_label) is not str


def test_binary_two_probability_columns(write_csv: WriteCsv) -> None:
    path = write_csv({"y_true": ["a", "b"], "p_a": [0.7, 0.4], "p_b": [0.3, 0.6]})
    got = read_predictions(_cfg(path, y_proba=("p_a", "p_b"), pos_label="a"), "binary")
    np.testing.assert_array_equal(got.y_score, [0.7, 0.4])
    np.testing.assert_array_equal(got.y_pred, ["a", "b"])


def test_multiclass_labels_from_column_names_matched_to_integer_classes(
    write_csv: WriteCsv,
) -> None:
    path = write_csv(
        {
            "y_true": [0, 2, 1],
            "proba_0": [0.8, 0.1, 0.2],
            "proba_1": [0.1, 0.1, 0.7],
            "proba_2": [0.1, 0.8, 0.1],
        }
    )
    got = read_predictions(_cfg(path, y_proba=("proba_0", "proba_1", "proba_2")), "multiclass")
    assert got.labels == (0, 1, 2)
    assert all(type(label) is int for label in got.labels)
    np.testing.assert_array_equal(got.y_pred, [0, 2, 1])
    assert got.y_proba is not None
    assert got.y_proba.shape == (3, 3)


def test_multiclass_labels_from_config(write_csv: WriteCsv) -> None:
    path = write_csv({"y_true": ["cat", "dog"], "c1": [0.6, 0.3], "c2": [0.4, 0.7]})
    got = read_predictions(_cfg(path, y_proba=("c1", "c2"), labels=("cat", "dog")), "multiclass")
    assert got.labels == ("cat", "dog")
    np.testing.assert_array_equal(got.y_pred, ["cat", "dog"])


def test_multiclass_without_probabilities(write_csv: WriteCsv) -> None:
    path = write_csv({"y_true": ["a", "b", "c"], "y_pred": ["a", "c", "c"]})
    got = read_predictions(_cfg(path), "multiclass")
    assert got.y_proba is None and got.labels is None
    np.testing.assert_array_equal(got.y_pred, ["a", "c", "c"])


def test_regression_predictions(write_csv: WriteCsv) -> None:
    path = write_csv({"y_true": [1.5, 2, 3], "y_pred": [1, 2, 4]})
    got = read_predictions(_cfg(path), "regression")
    assert got.y_true.dtype == float
    np.testing.assert_array_equal(got.y_pred, [1.0, 2.0, 4.0])


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("p_basic", "p_pro", "p_enterprise"), ("basic", "pro", "enterprise")),
        (("p_basic", "p_business"), ("basic", "business")),
        (("basic_proba", "pro_proba"), ("basic", "pro")),
        (("prob.cat", "prob.car"), ("cat", "car")),
        (("cat", "car"), ("cat", "car")),
        (("x_a", "x_a"), ("x_a", "x_a")),
    ],
)
def test_strip_affixes(names: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert strip_affixes(names) == expected


BINARY = {"y_true": [0, 1, 1], "y_pred": [0, 1, 0], "score": [0.1, 0.9, 0.4]}


@pytest.mark.parametrize(
    ("columns", "cfg", "task", "message"),
    [
        (
            BINARY,
            {"y_true": "labl"},
            "binary",
            "has no column `labl` (`model.predictions.y_true`). Columns: y_true, y_pred, score.",
        ),
        (
            BINARY,
            {"y_score": "scor"},
            "binary",
            "has no column `scor` (`model.predictions.y_score`). Did you mean `score`? "
            "Columns: y_true, y_pred, score.",
        ),
        (  # the suggestion comes from the file's own columns, not from another setting
            {"label": [0, 1, 1], "prediction": [0, 1, 0]},
            {"y_true": "label", "y_pred": "pred"},
            "binary",
            "has no column `pred` (`model.predictions.y_pred`). Did you mean `prediction`? "
            "Columns: label, prediction.",
        ),
        (
            {**BINARY, "y_true": [0, None, 1]},
            {},
            "binary",
            ": column `y_true` (y_true) has 1 missing value(s), first in data row 2; "
            "every example needs a true label.",
        ),
        (
            {**BINARY, "score": [0.1, None, None]},
            {"y_score": "score"},
            "binary",
            ": column `score` (y_score) has 2 missing value(s), first in data row 2; "
            "every example needs a number.",
        ),
        (
            {**BINARY, "score": [0.1, 1.5, 0.2]},
            {"y_score": "score"},
            "binary",
            ": column `score` (y_score) has values outside [0, 1] (e.g. 1.5 in data row 2); "
            "expected probabilities.",
        ),
        (
            {**BINARY, "score": ["0.1", "high", "0.2"]},
            {"y_score": "score"},
            "binary",
            ": column `score` (y_score) is not numeric (e.g. 'high' in data row 2); "
            "expected numbers.",
        ),
        (
            {**BINARY, "y_true": [0, 1, 2]},
            {},
            "binary",
            ": the task is binary but the labels have 3 classes (0, 1, 2); "
            "set `model.task: multiclass`.",
        ),
        (
            {"y_true": [1.0, 2.0], "y_pred": [1.0, "bad"]},
            {},
            "regression",
            ": column `y_pred` (y_pred) is not numeric (e.g. 'bad' in data row 2); "
            "expected numbers.",
        ),
        (
            {"y_true": ["a", "b"], "p_a": [0.5, 0.3], "p_b": [0.4, 0.7]},
            {"y_proba": ("p_a", "p_b")},
            "multiclass",
            ": the y_proba columns of data row 1 sum to 0.9; each row's class probabilities "
            "must sum to 1 (within 0.01).",
        ),
        (
            {"y_true": ["a", "c"], "p_a": [0.6, 0.3], "p_b": [0.4, 0.7]},
            {"y_proba": ("p_a", "p_b")},
            "multiclass",
            ": y_true has classes without a y_proba column: c; the y_proba columns are for a, b. "
            "Set `model.predictions.labels` to the class of each y_proba column.",
        ),
        (
            {"y_true": ["a", "b"], "p_a": [0.6, -0.1], "p_b": [0.4, 1.1]},
            {"y_proba": ("p_a", "p_b")},
            "multiclass",
            ": column `p_a` (y_proba) has values outside [0, 1] (e.g. -0.1 in data row 2); "
            "expected probabilities.",
        ),
    ],
)
def test_predictions_errors(
    write_csv: WriteCsv, columns: dict[str, Any], cfg: dict[str, Any], task: str, message: str
) -> None:
    path = write_csv(columns)
    sep = "" if message.startswith(":") else " "
    got = _error(read_predictions, _cfg(path, **cfg), task)
    assert got == f"Predictions file {path}{sep}{message}"


def test_predictions_labels_of_wrong_length(write_csv: WriteCsv) -> None:
    path = write_csv({"y_true": ["a", "b"], "p_a": [0.6, 0.3], "p_b": [0.4, 0.7]})
    cfg = _cfg(path, y_proba=("p_a", "p_b"), labels=("a", "b", "c"))
    assert _error(read_predictions, cfg, "multiclass") == (
        "`model.predictions.labels` has 3 labels but `model.predictions.y_proba` has 2 columns; "
        "give one label per column."
    )


def test_predictions_y_pred_required_without_scores(write_csv: WriteCsv) -> None:
    path = write_csv({"y_true": [0, 1]})
    assert _error(read_predictions, _cfg(path), "binary") == (
        f"Predictions file {path} has no column `y_pred` (`model.predictions.y_pred`). "
        "Did you mean `y_true`? Columns: y_true."
    )


@pytest.mark.parametrize("content", ["", "y_true,y_pred\n"])
def test_predictions_empty_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "preds.csv"
    path.write_text(content)
    assert _error(read_predictions, _cfg(path), "binary") == (
        f"Predictions file {path} is empty; expected a header row and one row per example."
    )


def test_predictions_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "preds.csv"
    assert _error(read_predictions, _cfg(path), "binary") == (
        f"Predictions file {path} not found; check `model.predictions.path` in the config."
    )


def test_predictions_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "preds.xlsx"
    assert _error(read_predictions, _cfg(path), "binary") == (
        f"Predictions file {path}: unsupported suffix `.xlsx`; use .csv or .parquet."
    )


def test_predictions_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "preds.parquet"
    path.write_bytes(b"not parquet at all")
    assert _error(read_predictions, _cfg(path), "binary").startswith(
        f"Predictions file {path} could not be read as Parquet: "
    )


# --- model files -------------------------------------------------------------------------------


def test_skops_round_trip(tmp_path: Path, binary_model: Any) -> None:
    import skops.io

    path = tmp_path / "model.skops"
    skops.io.dump(binary_model.model, path)
    loaded = load_model(path)
    X = binary_model.X
    np.testing.assert_array_equal(loaded.predict_proba(X), binary_model.model.predict_proba(X))


def test_skops_untrusted_types_refused_unless_listed(tmp_path: Path, multiclass_model: Any) -> None:
    import skops.io

    path = tmp_path / "forest.skops"
    skops.io.dump(multiclass_model.model, path)
    assert _error(load_model, path) == (
        f"Model file {path} contains types skops does not trust by default: "
        "sklearn.tree._tree.Tree. If you trust them, list them under `model.model.trusted_types`."
    )
    loaded = load_model(path, trusted_types=["sklearn.tree._tree.Tree"])
    X = multiclass_model.X
    np.testing.assert_array_equal(loaded.predict(X), multiclass_model.model.predict(X))


@pytest.mark.parametrize("suffix", [".joblib", ".pkl", ".pickle"])
def test_pickles_refused_without_the_flag(
    tmp_path: Path, suffix: str, regression_model: Any
) -> None:
    import joblib

    path = tmp_path / f"model{suffix}"
    joblib.dump(regression_model.model, path)
    assert _error(load_model, path) == (
        f"{path} is a pickle: loading it runs arbitrary code. Save it with skops (skops.io.dump), "
        "or set `model.model.allow_unsafe_pickle: true` if you trust this file."
    )
    loaded = load_model(path, allow_unsafe_pickle=True)
    X = regression_model.X
    np.testing.assert_array_equal(loaded.predict(X), regression_model.model.predict(X))


def test_onnx_not_supported(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x08\x07")
    assert _error(load_model, path) == (
        f"Model file {path}: ONNX models are not supported yet; "
        "save the model with skops (skops.io.dump) instead."
    )


def test_model_missing_and_unknown_suffix(tmp_path: Path) -> None:
    assert _error(load_model, tmp_path / "model.skops") == (
        f"Model file {tmp_path / 'model.skops'} not found; check `model.model.path` in the config."
    )
    assert _error(load_model, tmp_path / "model.h5") == (
        f"Model file {tmp_path / 'model.h5'}: unsupported suffix `.h5`; "
        "use .skops (preferred), .joblib, .pkl or .pickle."
    )


@pytest.mark.parametrize(("suffix", "loader"), [(".skops", "skops"), (".joblib", "joblib")])
def test_corrupt_model_file(tmp_path: Path, suffix: str, loader: str) -> None:
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"garbage, not a model")
    message = _error(load_model, path, allow_unsafe_pickle=True)
    assert message.startswith(f"Model file {path} could not be loaded with {loader}: ")
    assert message.endswith(". Is it complete and saved by the same library?")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep.yaml", "a: " + "[" * 5_000 + "]" * 5_000),
    ],
)
def test_absurdly_nested_metrics_file_is_a_model_error(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ModelError, match="nested too deeply: more than 64 levels, the limit"):
        load_metrics_file(path)


HOSTILE = Path(__file__).parent.parent / "hostile"


def test_a_billion_laughs_metrics_file_is_refused() -> None:
    path = HOSTILE / "billion-laughs-metrics.yaml"
    assert _error(load_metrics_file, path) == (
        f"Metrics file {show_path(path)}: more than 250,000 values once aliases (*name) are "
        "expanded, the limit for this file; check the file for aliases that repeat large values."
    )


def test_a_recursive_alias_in_a_metrics_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text("accuracy: 0.9\nloop: &a [*a]\n")
    assert _error(load_metrics_file, path) == (
        f"Metrics file {path}:2: loop[0]: an alias refers to itself; expected a finite value."
    )


@pytest.mark.parametrize("name", ["metrics.json", "metrics.yaml"])
def test_a_metrics_file_past_2_mib_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    padding = " " * (2 << 20)
    path.write_text('{"accuracy": 0.9}' + padding if name.endswith(".json") else "a: 1\n" + padding)
    assert _error(load_metrics_file, path) == (
        f"Metrics file {path} could not be read: larger than 2 MiB, the limit for this file."
    )
