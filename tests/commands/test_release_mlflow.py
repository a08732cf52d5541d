"""`mlci release` blesses an MLflow model version: the release alias is set when the release
gates pass, and left alone when they refuse (a real SQLite tracking store, the GitHub fake)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from tests.helpers.release import Project, github_env

pytestmark = pytest.mark.integration


def _registry(tmp_path: Path, roc_auc: float) -> tuple[str, MlflowClient]:
    """churn v1 @champion and v2 @candidate; v2's run logged ``roc_auc``."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("churn")
    client.create_registered_model("churn")
    for version, (alias, value) in enumerate((("champion", 0.90), ("candidate", roc_auc)), 1):
        run_id = client.create_run(experiment).info.run_id
        client.log_metric(run_id, "roc_auc", value)
        client.create_model_version("churn", f"runs:/{run_id}/model", run_id=run_id)
        client.set_registered_model_alias("churn", alias, str(version))
    return uri, client


def _release(project: Project, fake: Any, uri: str) -> tuple[int, str]:
    project.write_config(
        model={
            "task": "binary",
            "mlflow": {
                "run": "models:/churn@candidate",
                "tracking_uri": uri,
                "release_alias": "champion",
            },
        },
        gates=[{"metric": "roc_auc", "min": 0.92}],
    )
    project.commit("candidate model")
    assert project.run_main()[0] in (0, 1)
    project.tag("v1.0.0", fake)
    code, out, err = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))
    assert err == "", err
    return code, out


def test_a_passing_release_points_the_alias_at_the_version(
    project: Project, fake: Any, no_sleep_client: Any, tmp_path: Path
) -> None:
    uri, client = _registry(tmp_path, roc_auc=0.95)

    code, out = _release(project, fake, uri)

    assert code == 0, out
    assert str(client.get_model_version_by_alias("churn", "champion").version) == "2"
    assert "mlci: MLflow model churn version 2 is now @champion." in out


def test_a_refused_release_leaves_the_alias_alone(
    project: Project, fake: Any, no_sleep_client: Any, tmp_path: Path
) -> None:
    uri, client = _registry(tmp_path, roc_auc=0.91)  # below the gate's 0.92

    code, out = _release(project, fake, uri)

    assert code == 1
    assert str(client.get_model_version_by_alias("churn", "champion").version) == "1"
    assert "is now @champion" not in out
