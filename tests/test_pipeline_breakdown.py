"""`mlci run` end to end with slices and budgets, on real git repositories.

- A regression hidden in one customer segment: the overall recall even improves, the slice gate
  on `plan` catches the drop in `pro`.
- Budgets: the baseline's model file is taken from the baseline commit and measured in the same
  job; a model that grew past its size budget fails.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio
import yaml
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score

from mlci.cli import main

PLANS = ("basic", "pro", "enterprise")


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def run(project: Any, out: str) -> tuple[int, dict[str, Any], str]:
    code, _, stderr = run_cli(
        "run",
        "-c",
        str(project.path / "mlci.yml"),
        "--output-dir",
        str(project.path / out),
        "--no-html",
    )
    assert stderr == ""
    doc = json.loads((project.path / out / "report.json").read_text())
    return code, doc, (project.path / out / "report.md").read_text()


def write_config(
    project: Any, model: dict[str, Any], gates: list[dict[str, Any]], **extra: Any
) -> None:
    doc = {
        "version": 1,
        "name": "churn",
        "datasets": {"eval": {"path": "data/eval.csv"}},
        "model": model,
        "gates": gates,
        **extra,
    }
    project.write("mlci.yml", yaml.safe_dump(doc, sort_keys=False))


# --- a regression hidden in one slice --------------------------------------------------------


def segment_predictions(hide_regression: bool) -> pd.DataFrame:
    """2,000 customers; 10% of each plan's positives missed on main. The PR misses 45 more
    positives in `pro` and 50 fewer elsewhere: overall recall rises, `pro` recall collapses."""
    rng = np.random.default_rng(7)
    plan = np.repeat(PLANS, [900, 300, 800])
    label = rng.permutation(np.tile([0, 1], 1000))
    pred = label.copy()
    positives = np.flatnonzero(label == 1)
    pred[rng.choice(positives, size=100, replace=False)] = 0
    if hide_regression:
        pro_hits = np.flatnonzero((plan == "pro") & (label == 1) & (pred == 1))
        other_misses = np.flatnonzero((plan != "pro") & (label == 1) & (pred == 0))
        pred[pro_hits[:45]] = 0
        pred[other_misses[:50]] = 1
    return pd.DataFrame({"plan": plan, "label": label, "pred": pred})


def test_a_slice_gate_catches_a_regression_the_overall_metric_hides(git_project):
    git_project.write("data/eval.csv", "id\n1\n")
    model = {
        "task": "binary",
        "metrics": ["accuracy", "recall", "precision"],
        "predictions": {"path": "out/preds.csv", "y_true": "label", "y_pred": "pred"},
        "slices": [["plan"]],
    }
    write_config(
        git_project,
        model,
        gates=[
            {"metric": "recall", "max_regression": 0.02},
            {"metric": "recall", "slice": ["plan"], "max_regression": 0.05},
            {"metric": "recall", "slice": ["plan"], "max_gap": 0.5, "severity": "warn"},
        ],
    )
    main_preds = segment_predictions(hide_regression=False)
    (git_project.path / "out").mkdir()
    main_preds.to_csv(git_project.path / "out/preds.csv", index=False)
    git_project.commit("main")
    code, doc, _ = run(git_project, "o1")
    assert code == 0, doc["gates"]

    git_project.checkout("-b", "pr/segment")
    pr_preds = segment_predictions(hide_regression=True)
    pr_preds.to_csv(git_project.path / "out/preds.csv", index=False)
    git_project.commit("retrain", push=False)
    code, doc, markdown = run(git_project, "o2")

    overall = {m["name"]: m for m in doc["metrics"]}["recall"]
    assert overall["delta"] > 0  # the overall recall got better...
    failed = [(g["metric"], g["rule"], g["scope"]) for g in doc["gates"] if g["status"] == "fail"]
    assert failed == [("recall [plan=pro]", "max_regression", "slice")]  # ...pro's did not
    assert code == 1
    pro = pr_preds[pr_preds.plan == "pro"]
    pro_main = main_preds[main_preds.plan == "pro"]
    first = doc["slices"][0]
    assert (first["label"], first["n"], first["sorted_by"]) == ("plan=pro", 300, "recall")
    recall = {m["name"]: m for m in first["metrics"]}["recall"]
    assert recall["value"] == recall_score(pro.label, pro.pred)
    assert recall["baseline"] == recall_score(pro_main.label, pro_main.pred)
    assert recall["delta"] < -0.2
    assert "<details><summary>Slices (worst first)</summary>" in markdown
    assert "**Worst slices:** plan = `pro`: recall 0.5734 (−0.3147 ⬇), worst of 3" in markdown
    stored = json.loads((git_project.path / "o1" / "record.json").read_text())
    assert [e["key"] for e in stored["extra"]["slices"]] == [["basic"], ["enterprise"], ["pro"]]


# --- budgets, measured for both models in the same job ---------------------------------------


def eval_frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 4))
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    frame["label"] = (x[:, 0] + x[:, 1] ** 2 + rng.normal(scale=0.5, size=600) > 1).astype(int)
    return frame.iloc[:300], frame.iloc[300:]


def test_budgets_compare_both_models_in_the_same_job(git_project):
    train, evaluation = eval_frame()
    (git_project.path / "data").mkdir()
    evaluation.to_csv(git_project.path / "data/eval.csv", index=False)
    features = train.drop(columns="label")
    sio.dump(LogisticRegression().fit(features, train.label), git_project.path / "model.skops")
    model = {
        "task": "binary",
        "model": {
            "path": "model.skops",
            "data": "eval",
            "target": "label",
            "trusted_types": ["sklearn.tree._tree.Tree"],
        },
    }
    budgets = {
        "model_size_mb": {"max": 5, "max_regression": {"relative": 0.5}},
        "latency_p95_ms": {"max": 10_000},
        "batch_latency_p95_ms": {},
        "peak_memory_mb": {"max": 500},
        "repeats": 5,
        "warmup": 1,
        "batch_size": 100,
    }
    write_config(git_project, model, gates=[], budgets=budgets)
    git_project.commit("main")
    main_size = (git_project.path / "model.skops").stat().st_size
    code, doc, _ = run(git_project, "o1")
    assert code == 0

    git_project.checkout("-b", "pr/forest")
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(features, train.label)
    sio.dump(forest, git_project.path / "model.skops")
    git_project.commit("a forest", push=False)
    code, doc, markdown = run(git_project, "o2")

    size = (git_project.path / "model.skops").stat().st_size
    by_name = {b["name"]: b for b in doc["budgets"]}
    assert list(by_name) == [
        "model_size_mb",
        "latency_p95_ms",
        "batch_latency_p95_ms",
        "peak_memory_mb",
    ]
    assert by_name["model_size_mb"]["value"] == size / 1e6
    assert by_name["model_size_mb"]["baseline"] == main_size / 1e6
    assert all(b["baseline_source"] == "same_job" for b in doc["budgets"])
    assert all(b["value"] > 0 and b["baseline"] > 0 for b in doc["budgets"])
    assert "100 rows" in by_name["batch_latency_p95_ms"]["method"]
    failed = [(g["metric"], g["rule"]) for g in doc["gates"] if g["status"] == "fail"]
    assert failed == [("model_size_mb", "max_regression")]
    assert code == 1
    assert "| Budget | main | this PR | Δ | Gate | Measured |" in markdown
    record = json.loads((git_project.path / "o1" / "record.json").read_text())
    assert record["extra"]["budgets"]["model_size_mb"] == main_size / 1e6


def test_budgets_need_a_model_file(git_project, monkeypatch):
    monkeypatch.chdir(git_project.path)
    git_project.write("m.json", json.dumps({"accuracy": 0.9}))
    git_project.write(
        "mlci.yml",
        "name: x\nmodel: {task: binary, metrics_file: m.json}\n"
        "budgets: {model_size_mb: {max: 1}}\n",
    )
    git_project.commit("c")
    code, _, stderr = run_cli("run", "-c", "mlci.yml")
    assert code == 2
    assert stderr.strip() == (
        "mlci: error: mlci.yml:3: budgets: budgets are measured on a model: set `model.model` or "
        "`model.mlflow.model` (they do not apply to `model.metrics_file`, `model.predictions` "
        "or an MLflow `run`)."
    )
