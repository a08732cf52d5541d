"""An MLflow model loaded as a pyfunc and scored on the evaluation data (`model.mlflow.model`),
against a real local tracking store (SQLite) with logged scikit-learn models: its metrics equal
scikit-learn's on the same rows, slices and paired intervals work as for a local model file, and
the model's code runs only in the credential-free child process."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.base import clone
from sklearn.metrics import accuracy_score, roc_auc_score

from mlci.cli import main
from mlci.config import MlflowConfig, ModelConfig
from mlci.errors import ModelError
from mlci.model.evaluate import evaluate_with_predictions
from tests.helpers.hostile_pickles import WithPayload, dump_environment

pytestmark = pytest.mark.integration  # a real tracking store, child processes, git

TOKEN = "ghs_pyfuncT0kenAbCdEf0123456789"
STORE_TOKEN = "mlflow-store-secret-0123456789"


class HostileModel(WithPayload):
    """Logs as a classifier (MLflow gives it the pyfunc flavor); loads as the real model after
    running its payload."""

    def predict(self, X: Any) -> Any:
        return self.model.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.model.predict_proba(X)


def log_model(store: dict[str, Any], model: Any, name: str, **kw: Any) -> str:
    """Log ``model`` in a run of its own and register it as a version of ``name`` (the store's
    URIs are in the environment while its fixture lasts)."""
    with mlflow.start_run(experiment_id=store["experiment"]):
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name, **kw)
    return str(info.registered_model_version)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, binary_model: Any) -> Iterator[dict[str, Any]]:
    """A tracking store with churn v1 (@champion) and a weaker v2 (@challenger)."""
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)  # the fluent API's default is ./mlflow.db
        patch.setenv("MLFLOW_REGISTRY_URI", uri)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        artifacts = (folder / "artifacts").as_uri()
        store = {"uri": uri, "experiment": client.create_experiment("churn", artifacts)}
        weaker = clone(binary_model.model).set_params(logisticregression__C=0.0005)
        train = binary_model.frame  # the other half of the rows trained the first model
        weaker.fit(train.drop(columns=["label"]), train["label"])
        log_model(store, binary_model.model, "churn")
        log_model(store, weaker, "churn")
        client.set_registered_model_alias("churn", "champion", "1")
        client.set_registered_model_alias("churn", "challenger", "2")
        yield {**store, "models": {"1": binary_model.model, "2": weaker}}


def sklearn_metrics(model: Any, frame: Any) -> dict[str, float]:
    X, y = frame.drop(columns=["label", "plan"], errors="ignore"), frame["label"]
    return {
        "accuracy": accuracy_score(y, model.predict(X)),
        "roc_auc": roc_auc_score(y, model.predict_proba(X)[:, 1]),
    }


def write_config(project: Any, uri: str, model: str) -> None:
    config = {
        "name": "churn",
        "datasets": {"eval": {"path": "eval.csv"}},
        "model": {
            "task": "binary",
            "metrics": ["accuracy", "roc_auc"],
            "slices": [["plan"]],
            "mlflow": {
                "model": model,
                "tracking_uri": uri,
                "data": "eval",
                "target": "label",
                "allow_unsafe_pickle": True,
            },
        },
        "gates": [{"metric": "roc_auc", "max_regression": 0.001}],
        "budgets": {"model_size_mb": {"max": 50}},
    }
    project.write("mlci.yml", json.dumps(config))


def run_mlci(project: Any, out: str) -> tuple[int, dict[str, Any], str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / out)]
    code = main(argv, stdout=stdout, stderr=stderr, environ={})
    assert stderr.getvalue() == "", stderr.getvalue()
    return code, json.loads((project.path / out / "report.json").read_text()), stdout.getvalue()


def model_bytes(uri: str, model: str, folder: Path) -> int:
    """The bytes of every file of ``model``, downloaded with MLflow's own client."""
    client = MlflowClient(uri, uri)
    name, version = model.removeprefix("models:/").split("/")
    source = client.get_model_version_download_uri(name, version)
    local = mlflow.artifacts.download_artifacts(source, dst_path=str(folder), tracking_uri=uri)
    return sum(f.stat().st_size for f in Path(local).rglob("*") if f.is_file())


def test_the_model_is_scored_like_a_local_one_with_slices_and_paired_intervals(
    git_project: Any, store: dict[str, Any], binary_model: Any, tmp_path: Path
) -> None:
    frame = binary_model.frame.copy()
    frame["plan"] = ["pro" if i % 3 == 0 else "basic" for i in range(len(frame))]
    git_project.write("eval.csv", frame.to_csv(index=False))
    git_project.write(".gitignore", "o*/\n")
    write_config(git_project, store["uri"], "models:/churn@champion")
    git_project.commit("main")

    code, main_report, _ = run_mlci(git_project, "o-main")
    assert code == 0
    v1 = sklearn_metrics(store["models"]["1"], frame)
    assert main_report["evaluation"]["source"] == "model"
    assert main_report["evaluation"]["metrics"] == pytest.approx(v1, abs=1e-12)
    pro = frame[frame["plan"] == "pro"]
    by_slice = {s["label"]: s for s in main_report["slices"]}
    sliced = {m["name"]: m["value"] for m in by_slice["plan=pro"]["metrics"]}
    assert sliced == pytest.approx(sklearn_metrics(store["models"]["1"], pro), abs=1e-12)

    git_project.checkout("-b", "feature")
    write_config(git_project, store["uri"], "models:/churn/2")
    git_project.commit("the weaker model")
    code, report, stdout = run_mlci(git_project, "o")

    v2 = sklearn_metrics(store["models"]["2"], frame)
    metrics = {m["name"]: m for m in report["metrics"]}
    assert {k: metrics[k]["value"] for k in v2} == pytest.approx(v2, abs=1e-12)
    assert metrics["roc_auc"]["change"] == pytest.approx(v2["roc_auc"] - v1["roc_auc"], abs=1e-12)
    assert metrics["roc_auc"]["method"] == "delong"  # paired with main's stored predictions
    assert metrics["accuracy"]["method"].startswith("multinomial")
    assert (
        metrics["roc_auc"]["ci_low"] < metrics["roc_auc"]["change"] < metrics["roc_auc"]["ci_high"]
    )
    assert v2["roc_auc"] < v1["roc_auc"] - 0.001 and code == 1  # the weaker model fails the gate
    run_id = MlflowClient(store["uri"], store["uri"]).get_model_version("churn", "2").run_id
    assert f"Tagged MLflow run {run_id}: mlci.verdict=fail." in stdout

    # budgets: the size of every file of each model, the baseline's from main's record
    sizes = {v: model_bytes(store["uri"], f"models:/churn/{v}", tmp_path / v) for v in "12"}
    [main_size] = main_report["budgets"]
    assert main_size["value"] == pytest.approx(sizes["1"] / 1e6)
    [size] = report["budgets"]
    assert (size["name"], size["baseline_source"]) == ("model_size_mb", "record")
    assert (size["value"], size["baseline"]) == pytest.approx((sizes["2"] / 1e6, sizes["1"] / 1e6))


def test_the_model_code_runs_in_a_process_without_any_credential(
    tmp_path: Path, store: dict[str, Any], binary_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = tmp_path / "seen.json"
    hostile = HostileModel(dump_environment(seen), binary_model.model)
    version = log_model(store, hostile, "hostile", serialization_format="cloudpickle")
    for name, value in {
        "GITHUB_TOKEN": TOKEN,
        "MLCI_GITHUB_TOKEN": TOKEN,
        "MLFLOW_TRACKING_TOKEN": STORE_TOKEN,
        "RENAMED_COPY": f"Bearer {TOKEN}",
    }.items():
        monkeypatch.setenv(name, value)
    source = MlflowConfig(
        model=f"models:/hostile/{version}",
        tracking_uri=store["uri"],
        data="eval",
        target="label",
        allow_unsafe_pickle=True,
    )

    evaluation, _ = evaluate_with_predictions(
        ModelConfig(task="binary", mlflow=source, metrics=("accuracy", "roc_auc")),
        {"eval": binary_model.frame},
    )

    environ = json.loads(seen.read_text())
    assert environ["pid"] != os.getpid(), "the model's code ran in another process"
    assert TOKEN not in json.dumps(environ) and STORE_TOKEN not in json.dumps(environ)
    assert os.environ["GITHUB_TOKEN"] == TOKEN, "the parent's token is untouched"
    oracle = sklearn_metrics(binary_model.model, binary_model.frame)
    assert evaluation.metrics == pytest.approx(oracle, abs=1e-12)  # and it was the real model


def test_a_runs_uri_scores_and_a_missing_or_untrusted_model_is_one_readable_error(
    tmp_path: Path, store: dict[str, Any], binary_model: Any
) -> None:
    missing = MlflowConfig(
        model="models:/churn@nobody",
        tracking_uri=store["uri"],
        data="eval",
        target="label",
        allow_unsafe_pickle=True,
    )
    with pytest.raises(ModelError) as info:
        evaluate_with_predictions(
            ModelConfig(task="binary", mlflow=missing), {"eval": binary_model.frame}
        )
    assert str(info.value).startswith("model.mlflow.model: models:/churn@nobody: ")
    assert "\n" not in str(info.value)

    run_id = MlflowClient(store["uri"], store["uri"]).get_model_version("churn", "1").run_id
    by_run = MlflowConfig(
        model=f"runs:/{run_id}/model",
        tracking_uri=store["uri"],
        data="eval",
        target="label",
        allow_unsafe_pickle=True,
    )
    evaluation, _ = evaluate_with_predictions(
        ModelConfig(task="binary", mlflow=by_run, metrics=("accuracy", "roc_auc")),
        {"eval": binary_model.frame},
    )
    oracle = sklearn_metrics(store["models"]["1"], binary_model.frame)
    assert evaluation.metrics == pytest.approx(oracle, abs=1e-12)  # a runs:/ URI works too

    project = tmp_path / "p"
    project.mkdir()
    (project / ".git").mkdir()
    (project / "mlci.yml").write_text(
        "name: m\ndatasets: {eval: {path: e.csv}}\nmodel:\n  task: binary\n"
        "  mlflow: {model: 'models:/churn@champion', data: eval, target: label}\n"
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(["validate", "-c", str(project / "mlci.yml")], stdout=stdout, stderr=stderr)
    assert code == 2
    assert "model.mlflow.model: loading an MLflow model as a pyfunc runs code" in stderr.getvalue()
    assert "allow_unsafe_pickle: true" in stderr.getvalue()
