"""`mlci run` names how a pull request changes its own gates, compared with its baseline's config
(real git repositories; the baseline's mlci.yml is read from git)."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import yaml

from mlci.cli import main

CONFIG: dict[str, Any] = {
    "name": "churn-model",
    "model": {
        "task": "binary",
        "predictions": {"path": "preds.csv", "y_score": "y_score"},
        "metrics": ["accuracy", "roc_auc"],
    },
    "gates": [{"metric": "roc_auc", "max_regression": 0.001}, {"metric": "accuracy", "min": 0.6}],
}


def write_predictions(project: Any, noise: float) -> None:
    rng = np.random.RandomState(3)
    y = np.arange(400) % 2
    score = np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, noise, y.size), 0, 1)
    rows = "".join(f"{t},{int(s >= 0.5)},{s:.6f}\n" for t, s in zip(y, score, strict=True))
    project.write("preds.csv", "y_true,y_pred,y_score\n" + rows)


def write_config(project: Any, **changes: Any) -> None:
    project.write("mlci.yml", yaml.safe_dump({**CONFIG, **changes}, sort_keys=False))


def run(project: Any) -> tuple[int, dict[str, Any], str]:
    out = project.path / "mlci-out"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(out), "--no-html"],
        stdout=stdout,
        stderr=stderr,
    )
    assert stderr.getvalue() == ""
    doc = json.loads((out / "report.json").read_text())
    return code, doc, (out / "report.md").read_text()


def on_main(project: Any) -> str:
    write_config(project)
    write_predictions(project, 0.25)
    base = project.commit("main")
    code, doc, _ = run(project)
    assert code == 0 and doc["gate_changes"] == []
    return base


def test_a_pr_that_loosens_its_gates_says_so_at_the_top_and_is_judged_by_them(git_project):
    on_main(git_project)
    git_project.checkout("-b", "loosen")
    gates = [{"metric": "roc_auc", "max_regression": 0.5}]
    write_config(git_project, gates=gates, stats={"mode": "point"})
    write_predictions(git_project, 0.9)  # much worse: the old gate would fail
    git_project.commit("loosen the gates", push=False)

    code, doc, markdown = run(git_project)

    assert code == 0 and doc["verdict"] == "pass"  # the PR's own gates, in a same-repo run
    assert doc["gate_changes"] == [
        "roc_auc: max_regression 0.001 → 0.5",
        "removed the gate on accuracy (min 0.6)",
        "stats.mode lenient → point",
    ]
    third = markdown.splitlines()[2]
    assert third.startswith(
        "⚠️ **Heads-up:** this PR changes its gates: roc\\_auc: max\\_regression"
    )
    assert third.endswith("(applied: the status uses this PR's own gates).")
    assert doc["rules"]["gates"] == gates and doc["rules"]["stats"] == {"mode": "point"}
    assert doc["rules"]["config_hash"].startswith("sha256:")


def test_other_changes_to_the_config_are_not_gate_changes(git_project):
    on_main(git_project)
    git_project.checkout("-b", "report-only")
    write_config(git_project, report={"max_comment_chars": 50_000})
    git_project.commit("a smaller comment", push=False)

    code, doc, markdown = run(git_project)

    assert (code, doc["gate_changes"]) == (0, [])
    assert "changes its gates" not in markdown


def test_without_a_stored_record_the_merge_base_config_is_the_reference(git_project):
    write_config(git_project)
    write_predictions(git_project, 0.25)
    git_project.commit("main, never evaluated")
    git_project.checkout("-b", "tighten")
    write_config(git_project, stats={"confidence": 0.99})
    git_project.commit("a wider interval", push=False)

    _, doc, _ = run(git_project)

    assert doc["baseline"]["commit"] is None
    assert doc["gate_changes"] == ["stats.confidence 0.95 → 0.99"]


def test_a_config_added_by_the_pr_changes_nothing(git_project):
    git_project.write("README.md", "no mlci yet\n")
    git_project.commit("main without mlci")
    git_project.checkout("-b", "add-mlci")
    write_config(git_project)
    write_predictions(git_project, 0.25)
    git_project.commit("add mlci", push=False)

    assert run(git_project)[1]["gate_changes"] == []


def test_a_baseline_config_that_cannot_be_read_is_a_note(git_project):
    git_project.write("mlci.yml", "name: [unclosed\n")
    write_predictions(git_project, 0.25)
    git_project.commit("a broken config on main")
    git_project.checkout("-b", "fix")
    write_config(git_project)
    git_project.commit("fix the config", push=False)

    _, doc, _ = run(git_project)

    assert doc["gate_changes"] == []
    [note] = [n for n in doc["notes"] if n.startswith("Could not compare the gates")]
    assert note.startswith("Could not compare the gates with the config of main @ ")
    assert "mlci.yml@" in note and "mlci-config-" not in note


def test_the_baseline_branch_itself_never_reports_changes(git_project):
    on_main(git_project)
    write_config(git_project, gates=[])
    git_project.commit("drop the gates on main")

    _, doc, _ = run(git_project)

    assert doc["gate_changes"] == []
