"""A DVC-tracked model at the baseline commit is read through dvc.api (the cache, else a local
directory remote) and re-scored on this run's rows, so change rules get paired intervals; an
unreachable remote is a readable reason, and the rules inconclusive."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import skops.io as sio
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from mlci.cli import main
from tests.test_pipeline_paired import make_data

pytestmark = pytest.mark.integration  # real git and DVC repositories, a directory remote

FEATURES = ["a", "b", "c"]


def dvc(project: Any, *args: str) -> None:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=project.path,
        env=env,
        check=True,
        capture_output=True,
    )


def run(project: Any, out: str) -> tuple[dict[str, Any], str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / out)]
    code = main([*argv, "--no-html"], stdout=stdout, stderr=stderr, environ={})
    assert stderr.getvalue() == "" and code in (0, 1), stdout.getvalue()
    report = json.loads((project.path / out / "report.json").read_text())
    return report, (project.path / out / "report.md").read_text()


def fit(columns: list[str], seed: int) -> LogisticRegression:
    train = make_data(seed)
    return LogisticRegression().fit(train[columns], train["target"])


def dvc_project(project: Any, remote: Path) -> tuple[LogisticRegression, pd.DataFrame]:
    """main: a DVC-tracked model pushed to a directory remote, its record stored; then a PR
    with other evaluation rows and a worse model, the baseline model gone from the cache."""
    dvc(project, "init", "-q")
    dvc(project, "remote", "add", "-d", "storage", str(remote))
    baseline = fit(FEATURES, 0)
    sio.dump(baseline, project.path / "model.skops")
    dvc(project, "add", "model.skops")
    dvc(project, "push", "-q")
    (project.path / "data").mkdir()
    make_data(1).to_csv(project.path / "data/eval.csv", index=False)
    config = {
        "name": "dvc-model",
        "datasets": {"eval": {"path": "data/eval.csv"}},
        "model": {
            "task": "binary",
            "model": {"path": "model.skops", "data": "eval", "target": "target"},
        },
        "gates": [{"metric": "roc_auc", "max_regression": 0.005}],
    }
    project.write("mlci.yml", yaml.safe_dump(config))
    project.write(".gitignore", "/model.skops\n/o*/\n")
    project.commit("main: model tracked by DVC")
    run(project, "o1")  # the baseline record

    project.checkout("-b", "pr/worse-model")
    new_rows = make_data(5, 1500)
    new_rows.to_csv(project.path / "data/eval.csv", index=False)
    train = make_data(0)
    worse = LogisticRegression().fit(train[FEATURES].assign(a=0.0, b=0.0), train["target"])
    sio.dump(worse, project.path / "model.skops")
    dvc(project, "add", "model.skops")
    project.commit("worse model, other rows", push=False)
    shutil.rmtree(project.path / ".dvc" / "cache")  # the baseline model only in the remote
    dvc(project, "add", "model.skops")  # the candidate back in the cache, as a checkout has it
    return baseline, new_rows


def test_the_baseline_model_comes_from_the_remote_and_is_re_scored(git_project, tmp_path):
    baseline, rows = dvc_project(git_project, tmp_path / "remote")

    report, _ = run(git_project, "o2")

    (roc,) = [m for m in report["metrics"] if m["name"] == "roc_auc"]
    expected = roc_auc_score(rows["target"], baseline.predict_proba(rows[FEATURES])[:, 1])
    assert roc["baseline"] == pytest.approx(expected, abs=1e-12)  # model A on the new rows
    assert roc["method"] == "delong" and roc["ci_low"] < roc["ci_high"]
    assert report["gates"][0]["status"] == "fail"  # a real drop, no longer inconclusive
    assert any("was re-scored on this run's evaluation rows" in n for n in report["notes"])


def test_an_unreachable_remote_is_a_reason_and_the_rules_get_unpaired_intervals(
    git_project, tmp_path
):
    dvc_project(git_project, tmp_path / "remote")
    shutil.rmtree(tmp_path / "remote")

    report, markdown = run(git_project, "o2")

    # no baseline model to re-score on these rows: each side's own standard error instead
    (roc,) = [m for m in report["metrics"] if m["name"] == "roc_auc"]
    assert roc["method"] == "unpaired" and roc["ci_low"] < roc["ci_high"]
    assert report["gates"][0]["status"] == "fail"  # the worse model is still caught
    assert (
        "tracks model.skops with DVC, and it could not be read from the DVC cache or remote"
        in markdown
    )
