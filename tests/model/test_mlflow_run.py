"""MLflow as a model source, against a real local tracking store (SQLite): a run's metrics read
by run id, runs:/ URI, registered model alias or version, and the verdict written back as tags."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from mlci.cli import main
from mlci.config import MlflowConfig
from mlci.errors import ModelError
from mlci.model.mlflow_run import resolve_run_id, run_metrics, tracking_uri

pytestmark = pytest.mark.integration  # a real tracking store, git repositories


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, str]:
    """``(tracking URI, run id)``: a run with metrics, registered as churn v1 @champion."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run = client.create_run(client.create_experiment("churn"))
    run_id = run.info.run_id
    client.log_metric(run_id, "roc_auc", 0.90, step=0)
    client.log_metric(run_id, "roc_auc", 0.93, step=1)  # the latest value counts
    client.log_metric(run_id, "log_loss", 0.31)
    client.create_registered_model("churn")
    version = client.create_model_version("churn", f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias("churn", "champion", version.version)
    return uri, run_id


def test_a_run_is_found_by_id_uri_alias_and_version(store: tuple[str, str]) -> None:
    uri, run_id = store
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    for name in (run_id, f"runs:/{run_id}/model", "models:/churn@champion", "models:/churn/1"):
        assert resolve_run_id(MlflowConfig(name, uri), client) == run_id, name
    assert run_metrics(MlflowConfig("models:/churn@champion", uri)) == {
        "roc_auc": 0.93,
        "log_loss": 0.31,
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("models:/churn@nobody", "model.mlflow.run: models:/churn@nobody: "),
        ("models:/missing/3", "model.mlflow.run: models:/missing/3: "),
        ("s3://bucket/model", "names no run; expected a run id, runs:/<run_id>"),
        ("0" * 32, "model.mlflow.run: run 00000000000000000000000000000000: "),
    ],
)
def test_a_run_that_is_not_there_is_one_readable_error(
    store: tuple[str, str], name: str, message: str
) -> None:
    with pytest.raises(ModelError) as info:
        run_metrics(MlflowConfig(name, store[0]))
    text = str(info.value)
    assert message in text and "\n" not in text and "Traceback" not in text


def test_mlci_run_gates_the_runs_metrics_and_tags_the_run(
    git_project: Any, store: tuple[str, str]
) -> None:
    uri, run_id = store
    config = {
        "name": "churn",
        "model": {
            "task": "binary",
            "mlflow": {"run": "models:/churn@champion", "tracking_uri": uri},
        },
        "gates": [{"metric": "roc_auc", "min": 0.95}],
    }
    git_project.write("mlci.yml", json.dumps(config))
    head = git_project.commit("main")
    out = git_project.path / "o"
    stdout, stderr = io.StringIO(), io.StringIO()

    code = main(
        ["run", "-c", str(git_project.path / "mlci.yml"), "--output-dir", str(out)],
        stdout=stdout,
        stderr=stderr,
        environ={},
    )

    assert (code, stderr.getvalue()) == (1, "")  # 0.93 < 0.95
    report = json.loads((out / "report.json").read_text())
    assert {m["name"]: m["value"] for m in report["metrics"]} == {
        "roc_auc": 0.93,
        "log_loss": 0.31,
    }
    tags = MlflowClient(tracking_uri=uri).get_run(run_id).data.tags
    assert tags["mlci.verdict"] == "fail"
    assert tags["mlci.commit"] == head
    assert tags["mlci.report"] == str(out / "report.json")
    assert f"Tagged MLflow run {run_id}: mlci.verdict=fail." in stdout.getvalue()


def test_credentials_go_only_to_the_server_the_environment_names(
    store: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """mlci.yml is a pull request's file: a tracking_uri in it must not receive the workflow's
    MLflow credentials; with none in the environment, or the same server, it is used."""
    uri, run_id = store
    elsewhere = "http://attacker.invalid:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "s3cret-token")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(ModelError, match="is not MLFLOW_TRACKING_URI, and MLFLOW_TRACKING_TOKEN"):
        run_metrics(MlflowConfig(run_id, elsewhere))
    assert run_metrics(MlflowConfig(run_id, uri))  # the environment's own server
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    assert tracking_uri(MlflowConfig(run_id, elsewhere)) == elsewhere  # nothing to leak
