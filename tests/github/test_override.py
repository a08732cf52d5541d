"""Accepting a failing PR gate with a label: `mlci run` in Actions against the API fake, and the
lookups (labels, label events, permissions) through the real PyGithub client."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from mlci.cli import main
from mlci.github.client import RetryPolicy
from mlci.github.override import Override, OverrideClient, apply_override, check_override
from mlci.github.settings import Settings
from mlci.records.format import Record
from mlci.results import BaselineInfo, CheckResult, GateResult, Report
from tests.helpers.github import REPO, WRITE_TOKEN, Sleeps

PR = 21
LABEL = "mlci-accept-regression"
ZWSP = "\u200b"


def write_predictions(project: Any, quality: float) -> None:
    y = np.random.default_rng(1).integers(0, 2, 2000)
    score = 1 / (1 + np.exp(-(quality * (2 * y - 1) + np.random.default_rng(2).normal(size=2000))))
    frame = pd.DataFrame({"y_true": y, "y_pred": (score >= 0.5).astype(int), "y_score": score})
    project.write("preds.csv", frame.to_csv(index=False))


@pytest.fixture
def project(git_project: Any) -> Any:
    config = {
        "name": "churn-model",
        "model": {
            "task": "binary",
            "predictions": {"path": "preds.csv", "y_score": "y_score"},
            "metrics": ["roc_auc"],
        },
        "gates": [{"metric": "roc_auc", "max_regression": 0.001, "mode": "point"}],
        "override": {"label": LABEL},
    }
    git_project.write("mlci.yml", yaml.safe_dump(config))
    write_predictions(git_project, 1.5)
    return git_project


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def actions_env(
    monkeypatch: pytest.MonkeyPatch,
    fake: Any,
    tmp_path: Path,
    event: str,
    payload: dict[str, Any],
    ref: str,
    sha: str,
) -> Path:
    run = tmp_path / f"run-{event}"
    run.mkdir()
    (run / "event.json").write_text(json.dumps(payload))
    values = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": WRITE_TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": fake.url,
        "GITHUB_SERVER_URL": fake.url,
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(run / "event.json"),
        "GITHUB_REF": ref,
        "GITHUB_SHA": sha,
        "GITHUB_RUN_ID": "77",
        "GITHUB_OUTPUT": str(run / "output"),
        "GITHUB_STEP_SUMMARY": str(run / "summary.md"),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return run


def failing_pull_request(
    project: Any, fake: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    """main recorded at quality 1.5; PR #21 at quality 1.2 (ROC AUC several hundredths lower)."""
    base = project.commit("main")
    actions_env(
        monkeypatch,
        fake,
        tmp_path,
        "push",
        {"repository": {"default_branch": "main"}},
        "refs/heads/main",
        base,
    )
    assert (
        cli(
            "run",
            "-c",
            str(project.path / "mlci.yml"),
            "--output-dir",
            str(tmp_path / "main-out"),
            "--no-html",
        )[0]
        == 0
    )
    project.checkout("-b", "feature")
    write_predictions(project, 1.2)
    head = project.commit("worse model", push=False)
    fake.add_pull(REPO, PR, head, head_repo=REPO)
    return head


def run_pull_request(
    project: Any, fake: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, head: str
) -> tuple[int, str, Path]:
    payload = {
        "number": PR,
        "repository": {"full_name": REPO, "default_branch": "main"},
        "pull_request": {
            "number": PR,
            "head": {"sha": head, "ref": "feature", "repo": {"full_name": REPO}},
            "base": {"ref": "main", "repo": {"full_name": REPO}},
        },
    }
    actions_env(
        monkeypatch, fake, tmp_path, "pull_request", payload, f"refs/pull/{PR}/merge", "f" * 40
    )
    out_dir = tmp_path / "pr-out"
    code, out, err = cli(
        "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(out_dir), "--no-html"
    )
    assert err == "", err
    return code, out, out_dir


def comment(fake: Any) -> str:
    [only] = [c for c in fake.snapshot()["comments"] if c["number"] == PR]
    return str(only["body"])


def statuses(fake: Any, sha: str) -> list[str]:
    return [s["state"] for s in fake.snapshot()["statuses"] if s["sha"] == sha]


# -- through `mlci run` ----------------------------------------------------------------------------


def test_a_label_by_a_writer_passes_the_pr_and_says_who_accepted_what(
    project, fake, monkeypatch, tmp_path
):
    head = failing_pull_request(project, fake, monkeypatch, tmp_path)
    fake.add_label(REPO, PR, LABEL, "maint")
    fake.set_permission(REPO, "maint", "write")

    code, out, out_dir = run_pull_request(project, fake, monkeypatch, tmp_path, head)

    assert code == 0, out
    body = comment(fake)
    assert "### ⚠️ mlci · churn-model — passed with 1 warning" in body
    assert (
        f"- Overridden by @{ZWSP}maint with the label mlci-accept-regression: 1 failing gate "
        "\\(roc\\_auc max regression 0.001\\) accepted. The failure stays in the record."
    ) in body
    assert f"overridden by @{ZWSP}maint: roc\\_auc got worse by" in body
    assert "@maint" not in body  # shown, never a mention
    assert statuses(fake, head) == ["pending", "success"]
    record = json.loads((out_dir / "record.json").read_text())
    assert record["verdict"] == "pass"
    assert record["extra"]["override"] == {
        "label": LABEL,
        "by": "maint",
        "permission": "write",
        "accepted": True,
        "gates": [
            {
                "metric": "roc_auc",
                "rule": "max_regression",
                "message": record["extra"]["override"]["gates"][0]["message"],
            }
        ],
    }
    assert record["extra"]["override"]["gates"][0]["message"].startswith("roc_auc got worse by")
    assert [g["status"] for g in record["gates"]] == ["warn"]


def test_a_label_by_a_read_only_user_is_not_applied_and_the_comment_says_why(
    project, fake, monkeypatch, tmp_path
):
    head = failing_pull_request(project, fake, monkeypatch, tmp_path)
    fake.add_label(REPO, PR, LABEL, "drive-by")  # no role: reads a public repository

    code, _, out_dir = run_pull_request(project, fake, monkeypatch, tmp_path, head)

    assert code == 1
    body = comment(fake)
    assert "### ❌ mlci · churn-model — 1 gate failed" in body
    assert (
        f"- The label mlci-accept-regression was applied by @{ZWSP}drive-by, who has read "
        "permission on the repository: not accepted \\(accepting a failing gate needs write, "
        "maintain or admin\\)."
    ) in body
    assert statuses(fake, head) == ["pending", "failure"]
    record = json.loads((out_dir / "record.json").read_text())
    assert record["verdict"] == "fail" and record["extra"]["override"]["accepted"] is False


def test_without_the_label_nothing_changes(project, fake, monkeypatch, tmp_path):
    head = failing_pull_request(project, fake, monkeypatch, tmp_path)
    fake.add_label(REPO, PR, "needs-review", "maint")

    code, _, out_dir = run_pull_request(project, fake, monkeypatch, tmp_path, head)

    assert code == 1
    assert "Overridden" not in comment(fake) and "label" not in comment(fake)
    paths = [r["path"].split("?")[0] for r in fake.snapshot()["requests"]]
    assert any(p.endswith(f"/issues/{PR}/labels") for p in paths)
    assert not any("/events" in p or "/collaborators/" in p for p in paths)
    assert "override" not in json.loads((out_dir / "record.json").read_text()).get("extra", {})


def test_without_an_override_label_configured_labels_are_not_even_read(
    project, fake, monkeypatch, tmp_path
):
    config = yaml.safe_load((project.path / "mlci.yml").read_text())
    del config["override"]
    project.write("mlci.yml", yaml.safe_dump(config))
    head = failing_pull_request(project, fake, monkeypatch, tmp_path)
    fake.add_label(REPO, PR, LABEL, "maint")
    fake.set_permission(REPO, "maint", "admin")

    code, _, _ = run_pull_request(project, fake, monkeypatch, tmp_path, head)

    assert code == 1
    assert not any("/labels" in r["path"] for r in fake.snapshot()["requests"])


# -- the lookups -----------------------------------------------------------------------------------


@pytest.fixture
def client(make_settings: Callable[..., Settings], sleeps: Sleeps) -> OverrideClient:
    return OverrideClient(make_settings(), retry=RetryPolicy(sleep=sleeps, rng=lambda: 0.5))


@pytest.mark.parametrize(
    ("role", "permission", "accepted"),
    [
        ("admin", "admin", True),
        ("maintain", "write", True),
        ("write", "write", True),
        ("triage", "read", False),
        ("read", "read", False),
    ],
)
def test_write_maintain_and_admin_may_accept(fake, client, role, permission, accepted):
    fake.add_label(REPO, 7, LABEL, "someone")
    fake.set_permission(REPO, "someone", role)
    assert check_override(client, 7, LABEL) == Override(LABEL, "someone", permission, accepted)


def test_the_newest_labeling_counts_and_a_removed_label_counts_not(fake, client):
    fake.add_label(REPO, 7, LABEL, "reader")
    fake.add_label(REPO, 7, LABEL, "reader", remove=True)
    assert check_override(client, 7, LABEL) is None
    fake.add_label(REPO, 7, "other", "maint")
    fake.add_label(REPO, 7, LABEL.upper(), "reader")  # label names are case-insensitive
    fake.add_label(REPO, 7, LABEL, "maint", remove=True)
    fake.add_label(REPO, 7, LABEL, "maint")
    fake.set_permission(REPO, "maint", "maintain")
    override = check_override(client, 7, LABEL)
    assert override is not None and (override.actor, override.accepted) == ("maint", True)


def test_a_label_nobody_applied_is_refused(fake, client):
    with fake.lock:  # labels set by a GitHub App's bulk import leave no event in this fake
        fake.state.labels[(REPO, 7)] = [LABEL]
    override = check_override(client, 7, LABEL)
    assert override == Override(LABEL, None, None, False)
    assert override.refusal == (
        "The label mlci-accept-regression is on the pull request, but no event says who "
        "applied it: not accepted. Remove it and apply it again."
    )


# -- applying it (pure) ----------------------------------------------------------------------------


def report_and_record(*, check_fails: bool = False) -> tuple[Report, Record]:
    gate = GateResult(
        "roc_auc",
        "max_regression",
        "fail",
        "error",
        "max regression 0.001",
        "roc_auc got worse by 0.02",
    )
    ok = GateResult("accuracy", "min", "pass", "error", "≥ 0.5", "accuracy 0.9 ≥ 0.5")
    checks = (
        CheckResult(
            "eval",
            "missing_column",
            "age",
            "fail" if check_fails else "pass",
            "error",
            "column age is missing",
        ),
    )
    report = Report(
        "m",
        "fail",
        "a" * 40,
        "refs/heads/f",
        BaselineInfo(None, "none", "main"),
        gates=(gate, ok),
        checks=checks,
    )
    record = Record(
        name="m",
        commit="a" * 40,
        ref="f",
        created_at="t",
        config_hash="h",
        tool_version="0",
        environment={},
        verdict="fail",
        gates=(gate.to_dict(), ok.to_dict()),
    )
    return report, record


def test_an_accepted_override_turns_failing_gates_into_warnings() -> None:
    report, record = apply_override(*report_and_record(), Override(LABEL, "maint", "write", True))
    assert report.verdict == "pass" and record.verdict == "pass"
    assert [g.status for g in report.gates] == ["warn", "pass"]
    assert report.gates[0].message == "overridden by @maint: roc_auc got worse by 0.02"
    assert record.extra["override"]["gates"] == [
        {"metric": "roc_auc", "rule": "max_regression", "message": "roc_auc got worse by 0.02"}
    ]


def test_an_override_does_not_accept_broken_data() -> None:
    report, record = apply_override(
        *report_and_record(check_fails=True), Override(LABEL, "maint", "admin", True)
    )
    assert report.verdict == "fail" and record.verdict == "fail"
    assert [g.status for g in report.gates] == ["warn", "pass"]


def test_control_endpoints_label_and_grant_over_http(fake, client):
    from tests.helpers.github import control

    control(fake, "labels", {"repo": REPO, "number": 7, "label": LABEL, "actor": "lead"})
    control(fake, "permissions", {"repo": REPO, "login": "lead", "role": "admin"})
    assert check_override(client, 7, LABEL) == Override(LABEL, "lead", "admin", True)
    control(
        fake, "labels", {"repo": REPO, "number": 7, "label": LABEL, "actor": "lead", "remove": True}
    )
    assert check_override(client, 7, LABEL) is None
    events = control(fake, "state")["issue_events"]
    assert [(e["event"], e["actor"]) for e in events] == [
        ("labeled", "lead"),
        ("unlabeled", "lead"),
    ]
