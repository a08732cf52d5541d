"""`mlci run` writes report.html (with its figures), the PNGs and JUnit XML; plots never fail it.

A real git project: three commits on main store records (the metric history), then a pull
request shifts a column (drift) and changes the predictions.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from mlci import pipeline
from mlci.cli import main
from mlci.commands.run import write_outputs
from mlci.model.pairing import stored_predictions
from mlci.report.markdown import DEFAULT_HINT, full_report_hint
from tests.helpers.plots import parse_svg


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write_inputs(project: Any, seed: int, *, shift: float = 0.0) -> None:
    """An eval dataset and a predictions file of a binary classifier of varying quality."""
    rng = np.random.default_rng(seed)
    n = 400
    label = (rng.random(n) < 0.4).astype(int)
    score = np.clip(label * (0.3 + seed / 50) + rng.random(n) * 0.7, 0, 1)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40 + shift, 10, n).round(1),
            "plan": rng.choice(["basic", "pro"], n),
            "label": label,
        }
    )
    (project.path / "data").mkdir(exist_ok=True)
    frame.to_csv(project.path / "data/eval.csv", index=False)
    preds = pd.DataFrame({"label": label, "pred": (score >= 0.5).astype(int), "score": score})
    preds.to_csv(project.path / "data/preds.csv", index=False)


def write_config(project: Any) -> None:
    doc = {
        "version": 1,
        "name": "demo-model",
        "datasets": {"eval": {"path": "data/eval.csv"}},
        "model": {
            "task": "binary",
            "metrics": ["accuracy", "roc_auc"],
            "predictions": {
                "path": "data/preds.csv",
                "y_true": "label",
                "y_pred": "pred",
                "y_score": "score",
            },
        },
        "gates": [{"metric": "roc_auc", "min": 0.5}, {"metric": "roc_auc", "max_regression": 0.5}],
    }
    project.write("mlci.yml", yaml.safe_dump(doc, sort_keys=False))


@pytest.fixture
def pull_request(git_project: Any) -> Any:
    """Three recorded commits on main, then a PR branch with drift, not yet evaluated."""
    write_config(git_project)
    for seed in range(3):
        write_inputs(git_project, seed)
        git_project.commit(f"main {seed}")
        code, _, err = run_cli(
            "run",
            "-c",
            str(git_project.path / "mlci.yml"),
            "--output-dir",
            str(git_project.path / "out-main"),
            "-q",
            "--no-html",
        )
        assert code == 0, err
    git_project.checkout("-b", "pr")
    write_inputs(git_project, 5, shift=15.0)
    git_project.commit("shifted ages", push=False)
    return git_project


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.srcs += [v or "" for k, v in attrs if k == "src"]


def test_run_writes_html_figures_and_junit(pull_request: Any) -> None:
    out = pull_request.path / "out"
    junit = pull_request.path / "reports" / "mlci.xml"
    code, stdout, err = run_cli(
        "run",
        "-c",
        str(pull_request.path / "mlci.yml"),
        "--output-dir",
        str(out),
        "--junit",
        str(junit),
    )
    assert code == 0, err
    assert f"report html: {out / 'report.html'}" in stdout
    assert f"junit: {junit}" in stdout

    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert figures == [
        "calibration.png",
        "confusion_matrix.png",
        "drift-eval-age.svg",
        "history.png",
        "roc_pr.png",
    ]
    for name in figures:
        if name.endswith(".svg"):  # drift figures are SVG drawn without matplotlib
            parse_svg((out / "figures" / name).read_bytes())
            continue
        with Image.open(out / "figures" / name) as image:
            image.load()
            assert image.format == "PNG"

    page = (out / "report.html").read_text(encoding="utf-8")
    tags = _Tags()
    tags.feed(page)
    assert tags.tags.count("img") == len(figures)
    kinds = sorted(src.split(";")[0] for src in tags.srcs)
    assert kinds == ["data:image/png"] * 4 + ["data:image/svg+xml"]
    assert "http://" not in page and "https://" not in page
    assert 'id="history"' in page and "Distributions of the drifted columns" in page

    doc = json.loads((out / "report.json").read_text())
    history_line = next(
        x for x in (out / "report.md").read_text().splitlines() if x.startswith("**History on")
    )
    assert "roc\\_auc " in history_line and "(3 commits)" in history_line

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("tests", "0")) == len(doc["gates"]) + len(doc["checks"])
    assert int(suite.get("failures", "-1")) == sum(
        x["status"] == "fail" for x in [*doc["gates"], *doc["checks"]]
    )


def test_no_html_writes_neither_page_nor_figures(pull_request: Any) -> None:
    out = pull_request.path / "out"
    code, stdout, _ = run_cli(
        "run", "-c", str(pull_request.path / "mlci.yml"), "--output-dir", str(out), "--no-html"
    )
    assert code == 0
    assert not (out / "report.html").exists() and not (out / "figures").exists()
    assert "report html" not in stdout


def test_a_failing_plot_is_a_note_not_a_failed_run(
    pull_request: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlci.report.plots import figures

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("no ink")

    monkeypatch.setattr(figures, "roc_pr_png", broken)
    out = pull_request.path / "out"
    code, _, err = run_cli(
        "run", "-c", str(pull_request.path / "mlci.yml"), "--output-dir", str(out)
    )
    assert code == 0, err
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "The ROC and precision-recall curves could not be drawn (RuntimeError: no ink)." in page
    assert (out / "figures" / "calibration.png").exists()
    assert not (out / "figures" / "roc_pr.png").exists()


def test_no_matplotlib_at_all_still_writes_the_page(
    pull_request: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlci.report import plots

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise ImportError("No module named 'matplotlib'")

    monkeypatch.setattr(plots, "make_figures", unavailable)
    out = pull_request.path / "out"
    code, _, _ = run_cli("run", "-c", str(pull_request.path / "mlci.yml"), "--output-dir", str(out))
    assert code == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "No figures were drawn (ImportError: No module named &#x27;matplotlib&#x27;)." in page


@pytest.mark.parametrize(
    ("environ", "hint"),
    [
        (
            {
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REPOSITORY": "octo/churn",
                "GITHUB_RUN_ID": "1234",
            },
            "full report: [artifact `mlci-report`]"
            "(https://github.com/octo/churn/actions/runs/1234#artifacts)",
        ),
        (
            {
                "GITHUB_SERVER_URL": "https://ghe.example.com/",
                "GITHUB_REPOSITORY": "a/b",
                "GITHUB_RUN_ID": "7",
            },
            "full report: [artifact `mlci-report`](https://ghe.example.com/a/b/actions/runs/7#artifacts)",
        ),
        ({}, DEFAULT_HINT),
        (
            {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "octo/churn"},
            DEFAULT_HINT,
        ),
        (
            {
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REPOSITORY": "o/r) [x](http://e",
                "GITHUB_RUN_ID": "1",
            },
            DEFAULT_HINT,
        ),
        (
            {
                "GITHUB_SERVER_URL": "javascript:alert(1)",
                "GITHUB_REPOSITORY": "o/r",
                "GITHUB_RUN_ID": "1",
            },
            DEFAULT_HINT,
        ),
        (
            {
                "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_REPOSITORY": "o/r",
                "GITHUB_RUN_ID": "1 or 2",
            },
            DEFAULT_HINT,
        ),
    ],
)
def test_full_report_hint_links_the_run_artifacts(environ: dict[str, str], hint: str) -> None:
    assert full_report_hint(environ) == hint


def test_write_outputs_removes_stale_figures(tmp_path: Path) -> None:
    from mlci.records.format import Record
    from mlci.results import BaselineInfo, Report

    report = Report("m", "pass", "a" * 40, "refs/heads/x", BaselineInfo(None, "none", "main"))
    record = Record(
        name="m",
        commit="a" * 40,
        ref="refs/heads/x",
        verdict="pass",
        created_at="2024-01-01T00:00:00Z",
        config_hash="h",
        tool_version="0",
        environment={},
    )
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "old.png").write_bytes(b"x")
    (tmp_path / "figures" / "keep.txt").write_text("mine")
    paths = write_outputs(pipeline.Outcome(report, record), tmp_path, max_comment_chars=60_000)
    assert paths["report_html"] == tmp_path / "report.html"
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_the_baseline_predictions_stored_in_a_record_are_read_back(task: str) -> None:
    from mlci.model.load import Predictions
    from mlci.model.pairing import encode, row_outputs
    from mlci.records.format import Record

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(index=range(50))
    if task == "binary":
        truth = rng.choice(["no", "yes"], 50)
        score = rng.random(50)
        p = Predictions(
            truth, np.where(score >= 0.5, "yes", "no"), score, None, ("no", "yes"), frame, "yes"
        )
    elif task == "multiclass":
        proba = rng.dirichlet(np.ones(3), 50)
        truth = rng.choice(["a", "b", "c"], 50)
        p = Predictions(
            truth, np.asarray(["a", "b", "c"])[proba.argmax(1)], None, proba, ("a", "b", "c"), frame
        )
    else:
        truth = rng.normal(size=50)
        p = Predictions(truth, truth + 0.1, None, None, None, frame)
    stored = encode(row_outputs(p, task, id_column=None))
    record = Record(
        name="m",
        commit="a" * 40,
        ref="r",
        created_at="2024-01-01T00:00:00Z",
        config_hash="h",
        tool_version="0",
        environment={},
        verdict="pass",
        extra={"predictions": stored},
    )
    back = stored_predictions(record)
    assert back is not None
    if task == "regression":  # stored as float32
        np.testing.assert_allclose(back.y_true, p.y_true, rtol=1e-6)
        np.testing.assert_allclose(back.y_pred, p.y_pred, rtol=1e-6)
    else:
        np.testing.assert_array_equal(back.y_true, p.y_true)
        np.testing.assert_array_equal(back.y_pred, p.y_pred)
    if task == "binary":
        np.testing.assert_allclose(back.y_score, p.y_score, rtol=1e-6)  # stored as float32
        assert back.pos_label == "yes" and back.labels == ("no", "yes")
    if task == "multiclass":
        np.testing.assert_allclose(back.y_proba, p.y_proba, rtol=1e-6)
        assert back.labels == ("a", "b", "c")
    broken = Record(
        name="m",
        commit="a" * 40,
        ref="r",
        created_at="2024-01-01T00:00:00Z",
        config_hash="h",
        tool_version="0",
        environment={},
        verdict="pass",
        extra={"predictions": {"format": 99}},
    )
    assert stored_predictions(broken) is None
