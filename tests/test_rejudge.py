"""mlci.rejudge: a report judged again with a config gives what `mlci run` gave with it.

The oracle is the pipeline itself: a real run on a real git repository (intervals of Δ, slices,
Holm's correction) writes report.json; judging that file again with the same config must give
the same gate results and verdict, and with a stricter config what the rules say.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import yaml

from mlci.cli import main
from mlci.config import load_config
from mlci.model.stats import ReportedInterval
from mlci.rejudge import rejudge
from mlci.report.jsonreport import load_report

CONFIG: dict[str, Any] = {
    "name": "churn-model",
    "model": {
        "task": "binary",
        "predictions": {"path": "preds.csv", "y_score": "y_score", "id": "id"},
        "metrics": ["accuracy", "roc_auc", "log_loss"],
        "slices": [["plan"]],
    },
    "gates": [
        {"metric": "roc_auc", "max_regression": 0.005},
        {"metric": "accuracy", "max_regression": 0.01},
        {"metric": "log_loss", "max_regression": {"relative": 0.05}, "severity": "warn"},
        {"metric": "accuracy", "slice": ["plan"], "min": 0.6, "slices": "worst"},
        {"metric": "roc_auc", "slice": ["plan"], "max_regression": 0.05},
    ],
}


def write_predictions(project: Any, noise: float) -> None:
    rng = np.random.RandomState(7)
    n = 1200
    y = np.arange(n) % 2
    plan = np.array(["basic", "pro", "team"])[np.arange(n) % 3]
    score = np.clip(0.5 + (y - 0.5) * 0.5 + rng.normal(0, noise, n), 0.001, 0.999)
    rows = "".join(
        f"{i},{t},{int(s >= 0.5)},{s:.6f},{p}\n"
        for i, (t, s, p) in enumerate(zip(y, score, plan, strict=True))
    )
    project.write("preds.csv", "id,y_true,y_pred,y_score,plan\n" + rows)


def run(project: Any) -> dict[str, Any]:
    out = project.path / "out"
    code = main(
        ["run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(out), "--no-html"],
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert code in (0, 1)
    return dict(json.loads((out / "report.json").read_text()))


@pytest.fixture(scope="module")
def pr_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any]:
    from tests.conftest import GitProject

    project = GitProject(tmp_path_factory.mktemp("rejudge"))
    project.write("mlci.yml", yaml.safe_dump(CONFIG, sort_keys=False))
    write_predictions(project, 0.30)
    project.commit("main")
    run(project)
    project.checkout("-b", "pr")
    write_predictions(project, 0.36)  # a little worse: some breaches, some inconclusive
    project.commit("pr", push=False)
    return run(project), project


def test_the_same_config_judges_the_same(pr_report: tuple[dict[str, Any], Any]) -> None:
    doc, project = pr_report
    report = load_report(json.dumps(doc), source="report.json")
    assert any(m.ci_low is not None for m in report.metrics), "the run must have intervals"
    assert report.slices, "the run must have slices"

    judged = rejudge(report, load_config(project.path / "mlci.yml"), branch="main")

    def summary(gates: Any) -> list[tuple[Any, ...]]:
        return [(g.metric, g.rule, g.status, g.threshold, g.mode, g.scope) for g in gates]

    assert summary(judged.gates) == summary(report.gates)
    for before, after in zip(report.gates, judged.gates, strict=True):
        assert before.message == after.message or before.scope == "slice"
        if before.p_value is not None:  # Holm-adjusted from the reported interval's half-width
            assert after.p_value is not None
            assert (before.p_value < 0.025) == (after.p_value < 0.025)
    assert judged.verdict == report.verdict
    assert judged.gate_changes == () and judged.judged_with == "main"
    statuses = {g.status for g in report.gates}
    assert {"pass", "fail"} <= statuses or "inconclusive" in statuses


def test_a_stricter_default_branch_fails_what_the_pr_passed(
    pr_report: tuple[dict[str, Any], Any], tmp_path: Any
) -> None:
    doc, _ = pr_report
    strict = {**CONFIG, "gates": [{"metric": "roc_auc", "min": 0.999}], "stats": {"mode": "point"}}
    path = tmp_path / "mlci.yml"
    path.write_text(yaml.safe_dump(strict))

    judged = rejudge(load_report(json.dumps(doc), source="r"), load_config(path), branch="main")

    assert judged.verdict == "fail"
    assert [(g.metric, g.status) for g in judged.gates] == [("roc_auc", "fail")]
    assert judged.gate_changes[0] == "roc_auc: min 0.999 → none, max_regression none → 0.005"
    assert judged.gate_changes[-1] == "stats.mode point → lenient"  # main: point; the PR: default


@pytest.mark.parametrize("side", ["below", "above"])
def test_a_reported_interval_confirms_a_breach_exactly_when_it_lies_beyond(side: str) -> None:
    rng = np.random.default_rng(3)
    for _ in range(500):
        delta = rng.normal()
        low, high = sorted((delta - abs(rng.normal()), delta + abs(rng.normal())))
        limit = rng.normal()
        stat = ReportedInterval("m", 0.5, 0.5 + delta, delta, low, high, 0.95, "bootstrap")
        p = stat.p_breach(limit, breach=side)  # type: ignore[arg-type]
        beyond = high < limit if side == "below" else low > limit
        if not math.isclose(high if side == "below" else low, limit, abs_tol=1e-9):
            assert (p < 0.025) == beyond, (delta, low, high, limit, p)


def test_undefined_numbers_breach_and_missing_intervals_fall_back(
    pr_report: tuple[dict[str, Any], Any],
) -> None:
    doc, project = pr_report
    report = load_report(json.dumps(doc), source="r")
    roc = next(m for m in report.metrics if m.name == "roc_auc")
    broken = replace(
        report,
        metrics=tuple(
            replace(m, value=math.nan) if m.name == "accuracy" else replace(m, ci_low=None)
            for m in report.metrics
        ),
    )

    judged = rejudge(broken, load_config(project.path / "mlci.yml"), branch="main")

    [accuracy] = [g for g in judged.gates if g.metric == "accuracy" and g.scope == "metric"]
    assert accuracy.status == "fail" and accuracy.message == "accuracy is undefined (n/a)"
    [auc] = [g for g in judged.gates if g.metric == "roc_auc" and g.scope == "metric"]
    assert auc.mode == "point" and roc.ci_low is not None
