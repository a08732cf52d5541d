"""The uncertainty shape of a metrics file, and the unpaired intervals it gives."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy.stats import norm

from mlci.errors import ModelError
from mlci.model.load import load_metrics_file, load_metrics_file_with_errors
from mlci.model.unpaired import reported_evidence


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(doc))
    return path


def test_each_way_of_saying_how_sure_gives_a_standard_error(tmp_path: Path) -> None:
    doc = {
        "roc_auc": {"value": 0.91, "se": 0.004},
        "test": {"f1": {"value": 0.8, "ci": [0.78, 0.82], "level": 0.9}, "loss": 0.3},
        "accuracy": {"value": 0.9, "n": 2500},
        "recall": {"value": 0.7, "ci": [0.68, 0.72]},
    }
    metrics, errors = load_metrics_file_with_errors(write(tmp_path, doc))
    assert metrics == {
        "roc_auc": 0.91,
        "test.f1": 0.8,
        "test.loss": 0.3,
        "accuracy": 0.9,
        "recall": 0.7,
    }
    assert errors["roc_auc"] == 0.004
    assert errors["test.f1"] == pytest.approx(0.02 / norm.ppf(0.95))
    assert errors["recall"] == pytest.approx(0.02 / norm.ppf(0.975))  # level 0.95 by default
    assert errors["accuracy"] == pytest.approx(math.sqrt(0.9 * 0.1 / 2500))  # Wald
    assert "test.loss" not in errors  # a plain number stays a point estimate
    assert load_metrics_file(write(tmp_path, doc)) == metrics


@pytest.mark.parametrize(
    ("metric", "said"),
    [
        ({"value": 0.9, "se": 0.01, "n": 100}, "`auc` gives se and n; give one of se, ci or n"),
        ({"value": 0.9, "se": -0.01}, "`auc.se` is -0.01; a standard error is at least 0"),
        ({"value": 0.9, "ci": [0.91, 0.95]}, "does not contain the value 0.9"),
        ({"value": 0.9, "ci": [0.8]}, "`auc.ci` must be [low, high]"),
        ({"value": 0.9, "ci": [0.8, 0.95], "level": 95}, "a confidence level is between 0 and 1"),
        ({"value": 0.9, "level": 0.95}, "`auc.level` belongs to a `ci`"),
        ({"value": 3.5, "n": 100}, "`auc.n` is for a proportion between 0 and 1"),
        ({"value": 0.9, "n": 10.5}, "`auc.n` must be a whole number of rows"),
        ({"value": "high", "se": 0.1}, "`auc.value` must be a finite number"),
    ],
)
def test_a_malformed_uncertainty_is_one_readable_error(
    tmp_path: Path, metric: dict[str, object], said: str
) -> None:
    with pytest.raises(ModelError, match=r"Metrics file .*metrics\.json: ") as caught:
        load_metrics_file_with_errors(write(tmp_path, {"auc": metric}))
    assert said in str(caught.value)


def test_a_group_named_like_a_shape_key_stays_a_group(tmp_path: Path) -> None:
    doc = {"value": {"auc": 0.9}, "train": {"value": 0.95, "other": 1}}
    metrics, errors = load_metrics_file_with_errors(write(tmp_path, doc))
    assert metrics == {"value.auc": 0.9, "train.value": 0.95, "train.other": 1.0}
    assert errors == {}


def test_both_sides_standard_errors_give_the_unpaired_interval() -> None:
    evidence = reported_evidence(
        {"roc_auc": 0.90, "log_loss": 0.35, "f1": 0.8},
        {"roc_auc": 0.004, "log_loss": 0.01},
        {"roc_auc": 0.92, "log_loss": 0.33, "f1": 0.8},
        {"roc_auc": 0.003},
        {"roc_auc": True, "log_loss": False, "f1": True},
    )
    assert list(evidence.stats) == ["roc_auc"]  # log_loss: the baseline gave none; f1: no side
    stat = evidence.stats["roc_auc"]
    se = math.sqrt(0.004**2 + 0.003**2)
    assert stat.delta == pytest.approx(-0.02)
    assert (stat.ci_low, stat.ci_high) == pytest.approx(
        (-0.02 - 1.959964 * se, -0.02 + 1.959964 * se)
    )
    assert stat.method == "unpaired"
    assert "baseline's run or this one gives no uncertainty" in evidence.unpaired
