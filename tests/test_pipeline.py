"""`mlci run` end to end on real git repositories, for every task and every model input level.

Metric values are compared with scikit-learn computed here, independently of mlci.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from sklearn import datasets, metrics
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split

from mlci.cli import main

pytestmark = pytest.mark.integration  # the pipeline in real git repositories

TASKS: dict[str, Any] = {
    "binary": (datasets.load_breast_cancer, LogisticRegression(max_iter=5000)),
    "multiclass": (datasets.load_wine, RandomForestClassifier(n_estimators=20, random_state=0)),
    "regression": (datasets.load_diabetes, Ridge(alpha=1.0)),
}


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def split(task: str, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    loader, _ = TASKS[task]
    frame = loader(as_frame=True).frame
    train, evaluation = train_test_split(frame, test_size=0.4, random_state=seed)
    return train, evaluation


def fit(task: str, train: pd.DataFrame, **params: Any) -> Any:
    _, model = TASKS[task]
    model = model.set_params(**params) if params else model
    return model.fit(train.drop(columns="target"), train["target"])


def expected_metrics(task: str, model: Any, evaluation: pd.DataFrame) -> dict[str, float]:
    """scikit-learn's own values, for the default metrics of each task."""
    x, y = evaluation.drop(columns="target"), evaluation["target"]
    pred = model.predict(x)
    if task == "regression":
        return {
            "mae": metrics.mean_absolute_error(y, pred),
            "rmse": float(np.sqrt(metrics.mean_squared_error(y, pred))),
            "r2": metrics.r2_score(y, pred),
        }
    proba = model.predict_proba(x)
    out = {"accuracy": metrics.accuracy_score(y, pred)}
    if task == "binary":
        out.update(
            f1=metrics.f1_score(y, pred),
            roc_auc=metrics.roc_auc_score(y, proba[:, 1]),
            log_loss=metrics.log_loss(y, proba),
        )
    else:
        out.update(
            f1=metrics.f1_score(y, pred, average="macro"),
            log_loss=metrics.log_loss(y, proba, labels=model.classes_),
        )
    return out


def write_level(
    project: Any, task: str, level: str, model: Any, evaluation: pd.DataFrame
) -> dict[str, Any]:
    """Write the inputs of one level and return the `model:` section of the config."""
    names = list(expected_metrics(task, model, evaluation))
    if level == "metrics_file":
        values = expected_metrics(task, model, evaluation)
        project.write("out/metrics.json", json.dumps({"eval": values}))
        return {
            "task": task,
            "metrics_file": "out/metrics.json",
            "metrics": [f"eval.{n}" for n in names],
        }
    if level == "predictions":
        x = evaluation.drop(columns="target")
        preds = pd.DataFrame({"label": evaluation["target"].to_numpy(), "pred": model.predict(x)})
        section: dict[str, Any] = {"path": "out/preds.csv", "y_true": "label", "y_pred": "pred"}
        if task == "binary":
            preds["score"] = model.predict_proba(x)[:, 1]
            section["y_score"] = "score"
        elif task == "multiclass":
            cols = [f"p_{c}" for c in model.classes_]
            preds[cols] = model.predict_proba(x)
            section["y_proba"] = cols
        (project.path / "out").mkdir(exist_ok=True)
        preds.to_csv(project.path / "out/preds.csv", index=False)
        return {"task": task, "predictions": section, "metrics": names}
    sio.dump(model, project.path / "model.skops")
    section = {"path": "model.skops", "data": "eval", "target": "target"}
    if task == "multiclass":  # skops does not trust a forest's trees unless told to
        section["trusted_types"] = ["sklearn.tree._tree.Tree"]
    return {"task": task, "model": section, "metrics": names}


def write_config(
    project: Any, model_section: dict[str, Any], gates: list[dict[str, Any]], **extra: Any
) -> None:
    doc: dict[str, Any] = {
        "version": 1,
        "name": "demo-model",
        "datasets": {"eval": {"path": "data/eval.csv"}},
        "model": model_section,
        "gates": gates,
    }
    doc.update(extra)
    project.write("mlci.yml", yaml.safe_dump(doc, sort_keys=False))


def setup_task(
    project: Any, task: str, level: str, gates: list[dict[str, Any]], **params: Any
) -> dict[str, float]:
    train, evaluation = split(task)
    model = fit(task, train, **params)
    (project.path / "data").mkdir(exist_ok=True)
    evaluation.to_csv(project.path / "data/eval.csv", index=False)
    write_config(project, write_level(project, task, level, model, evaluation), gates)
    return expected_metrics(task, model, evaluation)


def report(out_dir: Path) -> dict[str, Any]:
    return json.loads((out_dir / "report.json").read_text())


@pytest.mark.parametrize("level", ["metrics_file", "predictions", "model"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_run_matches_scikit_learn_for_every_task_and_level(git_project, task, level):
    expected = setup_task(git_project, task, level, gates=[])
    git_project.commit("baseline")
    out = git_project.path / "mlci-out"

    code, stdout, stderr = run_cli(
        "run", "--config", str(git_project.path / "mlci.yml"), "--output-dir", str(out)
    )

    assert (code, stderr) == (0, "")
    got = {m["name"].removeprefix("eval."): m["value"] for m in report(out)["metrics"]}
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert "mlci: PASS" in stdout


def test_main_stores_record_and_pr_compares_with_merge_base(git_project):
    setup_task(
        git_project,
        "binary",
        "model",
        gates=[
            {"metric": "roc_auc", "max_regression": 0.001},
            {"metric": "accuracy", "min": 0.5},
        ],
    )
    base = git_project.commit("train on main")
    out = git_project.path / "mlci-out"
    code, stdout, _ = run_cli(
        "run", "-c", str(git_project.path / "mlci.yml"), "--output-dir", str(out), "--push"
    )
    assert code == 0
    assert f"Stored the record of {base[:7]}" in stdout
    assert any(base in name for name in git_project.remote_records())

    git_project.checkout("-b", "pr/worse")
    train, evaluation = split("binary")
    weak = fit("binary", train.iloc[:, [0, 1, -1]], C=0.0001)
    sio.dump(weak, git_project.path / "model.skops")
    keep = [*train.columns[[0, 1]], "target"]
    evaluation[keep].to_csv(git_project.path / "data/eval.csv", index=False)
    git_project.commit("weaker model", push=False)

    code, stdout, _ = run_cli(
        "run", "-c", str(git_project.path / "mlci.yml"), "--output-dir", str(out)
    )

    doc = report(out)
    assert code == 1
    assert doc["verdict"] == "fail"
    assert doc["baseline"]["commit"] == base
    assert doc["baseline"]["how"] == "merge_base"
    failed = [g for g in doc["gates"] if g["status"] == "fail"]
    assert [(g["metric"], g["rule"]) for g in failed] == [("roc_auc", "max_regression")]
    assert "mlci: FAIL" in stdout
    assert len(git_project.remote_records()) == 1, "a PR run must not store a record"


def test_baseline_is_the_merge_base_not_the_tip_of_main(git_project):
    setup_task(
        git_project, "regression", "predictions", gates=[{"metric": "r2", "max_regression": 0.0}]
    )
    first = git_project.commit("main 1")
    run_cli(
        "run",
        "-c",
        str(git_project.path / "mlci.yml"),
        "--output-dir",
        str(git_project.path / "o1"),
        "--push",
    )
    git_project.checkout("-b", "feature")
    git_project.write("notes.txt", "feature work\n")
    git_project.commit("feature", push=False)
    git_project.checkout("main")
    setup_task(
        git_project,
        "regression",
        "predictions",
        gates=[{"metric": "r2", "max_regression": 0.0}],
        alpha=50.0,
    )
    git_project.commit("main 2: a different model")
    run_cli(
        "run",
        "-c",
        str(git_project.path / "mlci.yml"),
        "--output-dir",
        str(git_project.path / "o2"),
        "--push",
    )
    assert len(git_project.remote_records()) == 2
    git_project.checkout("feature")

    code, _, _ = run_cli(
        "run",
        "-c",
        str(git_project.path / "mlci.yml"),
        "--output-dir",
        str(git_project.path / "o3"),
    )

    doc = report(git_project.path / "o3")
    assert doc["baseline"]["commit"] == first
    assert all(m["change"] == pytest.approx(0.0) for m in doc["metrics"])
    assert code == 0


def test_no_baseline_skips_change_rules_and_on_missing_fail_is_exit_2(git_project):
    setup_task(
        git_project,
        "binary",
        "predictions",
        gates=[{"metric": "f1", "max_regression": 0.01}, {"metric": "f1", "min": 0.5}],
    )
    git_project.commit("main")
    git_project.checkout("-b", "pr")
    git_project.commit("pr", push=False)
    out = git_project.path / "mlci-out"

    code, _, _ = run_cli("run", "-c", str(git_project.path / "mlci.yml"), "--output-dir", str(out))

    doc = report(out)
    assert code == 0
    assert doc["baseline"]["commit"] is None
    assert {g["rule"]: g["status"] for g in doc["gates"]} == {
        "max_regression": "skipped",
        "min": "pass",
    }
    markdown = (out / "report.md").read_text()
    assert "skipped" in markdown

    config = yaml.safe_load((git_project.path / "mlci.yml").read_text())
    config["baseline"] = {"on_missing": "fail"}
    git_project.write("mlci.yml", yaml.safe_dump(config))
    code, _stdout, stderr = run_cli("run", "-c", str(git_project.path / "mlci.yml"))
    assert code == 2
    assert stderr.startswith("mlci: error: No baseline: ")
    assert "`baseline.on_missing: skip`" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_data_check_failure_fails_the_verdict_and_drift_is_reported(git_project):
    setup_task(git_project, "binary", "predictions", gates=[])
    config = yaml.safe_load((git_project.path / "mlci.yml").read_text())
    config["datasets"]["eval"]["checks"] = [
        {"column": "mean radius", "type": "number", "min": 0, "max": 40},
        {"row_count": {"min": 100}},
    ]
    git_project.write("mlci.yml", yaml.safe_dump(config))
    git_project.commit("main")
    assert (
        run_cli(
            "run",
            "-c",
            str(git_project.path / "mlci.yml"),
            "--output-dir",
            str(git_project.path / "o1"),
        )[0]
        == 0
    )
    git_project.checkout("-b", "pr/units")
    frame = pd.read_csv(git_project.path / "data/eval.csv")
    frame["mean radius"] *= 10
    frame.to_csv(git_project.path / "data/eval.csv", index=False)
    git_project.commit("radius in mm", push=False)

    code, _, _ = run_cli(
        "run",
        "-c",
        str(git_project.path / "mlci.yml"),
        "--output-dir",
        str(git_project.path / "o2"),
        "--push",
    )

    doc = report(git_project.path / "o2")
    assert code == 1
    by_check = {(c["check"], c["column"]): c["status"] for c in doc["checks"]}
    assert by_check[("range", "mean radius")] == "fail"
    assert by_check[("drift", "mean radius")] in {"warn", "fail"}
    assert by_check[("drift", "mean texture")] == "pass"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nmodel: {task: binary, metrics_file: nope.json}\n", "Metrics file"),
        ("name: x\ndatasets: {eval: {path: missing.csv}}\n", "file not found"),
        ("name: x\nnmae: y\n", "Did you mean 'name'?"),
        ("name: [unclosed\n", "not valid YAML"),
        (
            "name: x\ngates: [{metric: mystery_thing, min: 1}]\nmodel: {task: regression, "
            "metrics_file: m.json}\n",
            "no known direction",
        ),
    ],
)
def test_bad_input_is_exit_2_with_one_line(git_project, text, message):
    git_project.write("mlci.yml", text)
    git_project.write("m.json", json.dumps({"mystery_thing": 3.0}))
    git_project.commit("c")

    code, _stdout, stderr = run_cli(
        "run",
        "-c",
        str(git_project.path / "mlci.yml"),
        "--output-dir",
        str(git_project.path / "out"),
    )

    assert code == 2, stderr
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert "Traceback" not in stderr
    assert not (git_project.path / "out" / "record.json").exists()
    assert git_project.remote_records() == []


def test_outside_a_git_repository_is_a_clear_error(tmp_path):
    (tmp_path / "m.json").write_text('{"accuracy": 0.9}')
    (tmp_path / "mlci.yml").write_text("name: x\nmodel: {task: binary, metrics_file: m.json}\n")
    code, _, stderr = run_cli("run", "-c", str(tmp_path / "mlci.yml"))
    assert code == 2
    assert "not inside a git repository" in stderr


# -- records reflect commits ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_baseline_branch", "wanted", "changed", "store"),
    [
        (True, True, [], True),
        (True, False, [], False),
        (False, True, [], False),
        (True, True, ["model.skops"], False),
        (False, True, ["model.skops"], False),
    ],
)
def test_store_plan(on_baseline_branch, wanted, changed, store):
    from mlci.commands.run import store_plan

    plan = store_plan(
        on_baseline_branch=on_baseline_branch, wanted=wanted, commit="a" * 40, changed=changed
    )
    assert plan.store is store
    assert bool(plan.note) is (on_baseline_branch and wanted and bool(changed))


def test_the_store_plan_names_the_files_that_differ():
    from mlci.commands.run import store_plan

    plan = store_plan(
        on_baseline_branch=True, wanted=True, commit="3f2c1ab" + "0" * 33, changed=list("abcde")
    )
    assert plan.note == (
        "not storing the record of 3f2c1ab: 5 tracked files differ from the commit (a, b, c "
        "and 2 more). Commit them and run mlci again."
    )


def local_branch_records(project) -> list[str]:
    """The files on the local branch mlci-records of the working copy (none: no branch)."""
    import subprocess

    done = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "refs/heads/mlci-records"],
        cwd=project.path,
        capture_output=True,
        text=True,
    )
    return done.stdout.split() if done.returncode == 0 else []


def test_a_dirty_checkout_on_main_reports_but_stores_no_record(git_project):
    setup_task(git_project, "regression", "predictions", gates=[{"metric": "r2", "min": 0.0}])
    main = git_project.commit("main")
    git_project.write("scratch.txt", "untracked: does not count\n")
    preds = git_project.path / "out" / "preds.csv"
    frame = pd.read_csv(preds)
    frame["pred"] = frame["pred"] * 1.01  # edited after the commit
    frame.to_csv(preds, index=False)
    out = git_project.path / "mlci-out"

    code, stdout, stderr = run_cli(
        "run", "-c", str(git_project.path / "mlci.yml"), "--output-dir", str(out), "--push"
    )

    assert (code, stderr) == (0, "")
    lines = [line for line in stdout.splitlines() if "not storing" in line]
    assert lines == [
        f"mlci: warning: not storing the record of {main[:7]}: 1 tracked "
        "file differs from the commit (out/preds.csv). Commit them and run mlci again."
    ]
    assert "Stored the record" not in stdout
    assert git_project.remote_records() == [] and local_branch_records(git_project) == []
    assert report(out)["verdict"] == "pass"  # the report is still produced
    assert (out / "record.json").is_file()


def test_outside_ci_a_record_stays_local_unless_pushed_and_is_a_baseline_either_way(git_project):
    setup_task(
        git_project, "regression", "predictions", gates=[{"metric": "r2", "max_regression": 0.0}]
    )
    main = git_project.commit("main")
    config = str(git_project.path / "mlci.yml")

    code, stdout, _ = run_cli("run", "-c", config, "--output-dir", str(git_project.path / "o1"))

    assert code == 0
    path = f"demo-model/{main[:2]}/{main}.json"
    assert local_branch_records(git_project) == [path]
    assert git_project.remote_records() == []
    assert (
        f"Stored the record of {main[:7]} in local branch mlci-records. Not pushed to origin: "
        "outside CI a record is pushed only with `mlci run --push`."
    ) in stdout
    git_project.checkout("-b", "feature")
    git_project.write("notes.txt", "feature work\n")
    git_project.commit("feature", push=False)
    code, _, _ = run_cli("run", "-c", config, "--output-dir", str(git_project.path / "o2"))
    assert code == 0
    assert report(git_project.path / "o2")["baseline"]["commit"] == main  # the local record
    assert len(local_branch_records(git_project)) == 1, "a branch that is not main stores nothing"

    git_project.checkout("main")
    code, stdout, _ = run_cli(
        "run", "-c", config, "--output-dir", str(git_project.path / "o3"), "--push"
    )

    assert code == 0
    assert git_project.remote_records() == [path]
    assert f"Stored the record of {main[:7]} in branch mlci-records of origin." in stdout


def dir_store_project(git_project, on_missing: str) -> tuple[str, str, Path]:
    """main1 - main2 on main, each with its record in a directory store; then a PR branch."""
    setup_task(git_project, "regression", "predictions", gates=[{"metric": "r2", "min": 0.0}])
    config = yaml.safe_load((git_project.path / "mlci.yml").read_text())
    config["baseline"] = {"store": {"type": "dir", "path": "records"}, "on_missing": on_missing}
    git_project.write("mlci.yml", yaml.safe_dump(config))
    git_project.write(".gitignore", "records/\nmlci-out/\n")
    records = git_project.path / "records" / "demo-model"
    shas = []
    for label in ("main 1", "main 2"):
        shas.append(git_project.commit(label))
        output = str(git_project.path / "mlci-out")
        code, out, err = run_cli(
            "run", "-c", str(git_project.path / "mlci.yml"), "-q", "--output-dir", output
        )
        assert (code, err) == (0, ""), out
    git_project.checkout("-b", "pr")
    git_project.commit("pr", push=False)
    return shas[0], shas[1], records


def test_a_baseline_record_from_a_newer_mlci_stops_the_run_asking_for_an_upgrade(git_project):
    _, main2, records = dir_store_project(git_project, "skip")
    doc = json.loads((records / f"{main2}.json").read_text())
    (records / f"{main2}.json").write_text(json.dumps({**doc, "schema_version": 2}))
    out = git_project.path / "o"

    code, _, stderr = run_cli(
        "run", "-c", str(git_project.path / "mlci.yml"), "--output-dir", str(out)
    )

    assert code == 2
    assert "was written by a newer mlci (schema 2, this mlci reads up to 1); upgrade mlci" in (
        stderr
    )
    assert "corrupt" not in stderr and len(stderr.strip().splitlines()) == 1
    assert not out.exists(), "nothing half-written"


@pytest.mark.parametrize("on_missing", ["skip", "fail"])
def test_a_corrupt_baseline_is_skipped_with_a_note_unless_it_is_required(git_project, on_missing):
    main1, main2, records = dir_store_project(git_project, on_missing)
    (records / f"{main2}.json").write_text('{"schema_version": 1, "name": "demo-model"}')
    out = git_project.path / "o"

    code, _, stderr = run_cli(
        "run", "-c", str(git_project.path / "mlci.yml"), "--output-dir", str(out)
    )

    if on_missing == "skip":
        assert (code, stderr) == (0, "")
        baseline = report(out)["baseline"]
        assert (baseline["commit"], baseline["how"]) == (main1, "ancestor")
        assert baseline["reason"] == f"skipped corrupt record of {main2[:7]}"
    else:
        assert code == 2
        assert stderr.startswith(
            f"mlci: error: The baseline cannot be read: Record for demo-model@{main2[:7]} in "
        )
        assert "With `baseline.on_missing: fail` mlci stops here" in stderr
        assert not out.exists()
