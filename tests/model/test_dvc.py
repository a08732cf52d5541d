"""DVC metrics: every metrics file a dvc.yaml declares (JSON, YAML, TOML), named and diffed as
the real `dvc metrics show`/`dvc metrics diff --json` name and diff them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlci.cli import main
from mlci.errors import ModelError
from mlci.model.dvc import declared_metrics_files

pytestmark = pytest.mark.integration  # real git repositories and the real dvc CLI

DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    metrics:
      - train/metrics.json:
          cache: false
  evaluate:
    cmd: python evaluate.py
    wdir: eval
    metrics:
      - scores.yaml:
          cache: false
metrics:
  - summary.toml
"""


def dvc(project: Any, *args: str) -> str:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=project.path,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout


def write_metrics(project: Any, auc: float, loss: float, f1: float, rmse: float) -> None:
    project.write("train/metrics.json", json.dumps({"auc": auc, "train": {"loss": loss}}))
    project.write("eval/scores.yaml", f"test:\n  f1: {f1}\n  n: 200\n")
    project.write("summary.toml", f"rmse = {rmse}\n[by_split]\nvalid = {rmse + 0.5}\n")


def run_mlci(project: Any, out: str) -> dict[str, Any]:
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / out)]
    code = main(argv, stdout=stdout, stderr=stderr, environ={})
    assert (code, stderr.getvalue()) == (0, ""), stdout.getvalue()
    return json.loads((project.path / out / "report.json").read_text())


def test_every_declared_file_is_read_and_each_delta_equals_dvc_metrics_diff(git_project):
    dvc(git_project, "init", "-q")
    git_project.write("dvc.yaml", DVC_YAML)
    git_project.write("mlci.yml", "name: m\nmodel:\n  task: binary\n  dvc_metrics: true\n")
    git_project.write(".gitignore", "mlci-out*/\n")
    write_metrics(git_project, auc=0.91, loss=0.31, f1=0.8, rmse=2.25)
    main_sha = git_project.commit("main")
    run_mlci(git_project, "mlci-out-main")  # on main: the baseline record
    git_project.checkout("-b", "feature")
    write_metrics(git_project, auc=0.9075, loss=0.2875, f1=0.8125, rmse=2.0)
    git_project.commit("feature")

    report = run_mlci(git_project, "mlci-out")
    diff = json.loads(dvc(git_project, "metrics", "diff", "--json", main_sha, "HEAD"))

    assert report["baseline"]["commit"] == main_sha
    ours = {m["name"]: m["change"] for m in report["metrics"]}
    theirs = {
        f"{path}:{name}": entry["diff"]
        for path, metrics in diff.items()
        for name, entry in metrics.items()
        if "diff" in entry
    }
    assert set(theirs) == {
        "train/metrics.json:auc",
        "train/metrics.json:train.loss",
        "eval/scores.yaml:test.f1",
        "summary.toml:rmse",
        "summary.toml:by_split.valid",
    }
    assert {k: ours[k] for k in theirs} == pytest.approx(theirs, abs=1e-12)
    assert ours["eval/scores.yaml:test.n"] == 0  # unchanged: dvc leaves it out of the diff
    shown = json.loads(dvc(git_project, "metrics", "show", "--json"))
    files = shown[""]["data"]
    assert sorted(files) == sorted({k.split(":")[0] for k in ours})


def test_a_list_of_metrics_files_is_named_the_same_way(git_project):
    write_metrics(git_project, auc=0.91, loss=0.31, f1=0.8, rmse=2.25)
    git_project.write(
        "mlci.yml",
        "name: m\nmodel:\n  task: binary\n  metrics_file: [train/metrics.json, summary.toml]\n"
        "gates:\n  - {metric: 'train/metrics.json:auc', min: 0.9}\n",
    )
    git_project.commit("main")
    report = run_mlci(git_project, "o")
    assert [m["name"] for m in report["metrics"]] == [
        "train/metrics.json:auc",
        "train/metrics.json:train.loss",
        "summary.toml:rmse",
        "summary.toml:by_split.valid",
    ]
    assert [g["status"] for g in report["gates"]] == ["pass"]


def test_dvc_yaml_errors(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    dvc_yaml = tmp_path / "dvc.yaml"
    cases = {
        "stages: {train: {cmd: x}}\n": "declares no metrics file",
        "metrics: [../outside.json]\n": "leads outside the repository",
        "stages:\n  t:\n    foreach: [a, b]\n    do: {cmd: x}\n": "is templated",
        "metrics: metrics.json\n": "`metrics` must be a list of paths",
    }
    for text, message in cases.items():
        dvc_yaml.write_text(text)
        with pytest.raises(ModelError) as info:
            declared_metrics_files(dvc_yaml)
        assert message in str(info.value), text
    with pytest.raises(ModelError, match="not found"):
        declared_metrics_files(tmp_path / "missing" / "dvc.yaml")
