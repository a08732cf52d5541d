"""A gate on a metric the run does not compute is a config error naming the likely metric."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.config import Config, load_config
from mlci.errors import ConfigError
from mlci.gates import judge_metrics
from mlci.gates.known import check_gated_metrics

REGRESSION = {"mae": 0.23, "rmse": 0.29, "r2": 0.89}


def config(tmp_path: Path, task: str, gate: str) -> Config:
    path = tmp_path / "mlci.yml"
    path.write_text(
        "version: 1\n"
        "name: m\n"
        "model:\n"
        f"  task: {task}\n"
        "  predictions: {path: preds.csv, y_true: label, y_pred: prediction}\n"
        "gates:\n"
        f"  - {gate}\n"
    )
    return load_config(path)


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        (
            "{metric: rsme, max: 1}",
            "mlci.yml:7: gates[0].metric: unknown metric 'rsme'. Did you mean 'rmse'? This "
            "run's metrics: mae, rmse, r2.",
        ),
        (  # a direction does not turn a typo into a gate failure
            "{metric: rsme, direction: lower, max_regression: 0.01}",
            "mlci.yml:7: gates[0].metric: unknown metric 'rsme'. Did you mean 'rmse'?",
        ),
        (
            "{metric: accuracy, min: 0.9}",
            "mlci.yml:7: gates[0].metric: 'accuracy' is a metric of binary and multiclass "
            "models; this regression model's metrics are: mae, rmse, r2. Gate one of those.",
        ),
        (
            "{metric: mape, max: 0.1}",
            "mlci.yml:7: gates[0].metric: 'mape' is not among this run's metrics (mae, rmse, "
            "r2): add it to `model.metrics`",
        ),
    ],
)
def test_gates_on_metrics_the_run_does_not_compute_are_config_errors(
    tmp_path: Path, gate: str, message: str
) -> None:
    cfg = config(tmp_path, "regression", gate)
    with pytest.raises(ConfigError) as caught:
        check_gated_metrics(cfg, REGRESSION)
    assert str(caught.value).startswith(message)
    with pytest.raises(ConfigError):  # judging refuses too (mlci release's strict re-check)
        judge_metrics(cfg, REGRESSION, None)


def test_a_metrics_files_own_names_are_the_candidates(tmp_path: Path) -> None:
    cfg = config(tmp_path, "binary", "{metric: val_acuracy, min: 0.9}")
    with pytest.raises(ConfigError, match="Did you mean 'val_accuracy'"):
        check_gated_metrics(cfg, {"val_accuracy": 0.93, "val_loss": 0.2})


def test_a_computed_metric_passes(tmp_path: Path) -> None:
    cfg = config(tmp_path, "regression", "{metric: rmse, max: 1}")
    check_gated_metrics(cfg, REGRESSION)
    _, gates = judge_metrics(cfg, REGRESSION, None)
    assert [g.status for g in gates] == ["pass"]
