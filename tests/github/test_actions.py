"""`mlci run` and `mlci publish` inside GitHub Actions, end to end through the CLI: a real git
project, the GitHub API fake over HTTP, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from mlci.cli import main
from tests.helpers.github import BOT_TOKEN, READ_TOKEN, REPO, WRITE_TOKEN

PR_NUMBER = 12


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def write_predictions(project: Any, c: float) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    train, evaluation = frame.iloc[::2], frame.iloc[1::2]
    model = LogisticRegression(C=c, max_iter=5000).fit(
        train.drop(columns="target"), train["target"]
    )
    x = evaluation.drop(columns="target")
    preds = pd.DataFrame(
        {
            "y_true": evaluation["target"].to_numpy(),
            "y_pred": model.predict(x),
            "y_score": model.predict_proba(x)[:, 1],
        }
    )
    project.write("preds.csv", preds.to_csv(index=False))


@pytest.fixture
def project(git_project: Any) -> Any:
    config = {
        "name": "churn-model",
        "model": {
            "task": "binary",
            "predictions": {"path": "preds.csv", "y_score": "y_score"},
            "metrics": ["accuracy", "roc_auc"],
        },
        "gates": [{"metric": "roc_auc", "max_regression": 0.001}],
    }
    git_project.write("mlci.yml", yaml.safe_dump(config))
    write_predictions(git_project, 1.0)
    return git_project


class Runner:
    """Runs `mlci` as the action would, with the environment of one workflow run."""

    def __init__(self, fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake, self.tmp, self.monkeypatch = fake, tmp_path, monkeypatch
        self.runs = 0

    def env(
        self,
        event_name: str,
        payload: dict[str, Any],
        *,
        ref: str,
        sha: str,
        token: str = WRITE_TOKEN,
    ) -> tuple[Path, Path]:
        self.runs += 1
        run_dir = self.tmp / f"run{self.runs}"
        run_dir.mkdir()
        event = run_dir / "event.json"
        event.write_text(json.dumps(payload))
        outputs, summary = run_dir / "output", run_dir / "summary.md"
        values = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_TOKEN": token,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": self.fake.url,
            "GITHUB_SERVER_URL": self.fake.url,
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REF": ref,
            "GITHUB_SHA": sha,
            "GITHUB_RUN_ID": str(5000 + self.runs),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        for key, value in values.items():
            self.monkeypatch.setenv(key, value)
        return outputs, summary

    def pull_request(
        self,
        project: Any,
        head: str,
        *,
        head_ref: str = "feature",
        head_repo: str = REPO,
        event_name: str = "pull_request",
        **kw: Any,
    ) -> tuple[Path, Path]:
        payload = {
            "number": PR_NUMBER,
            "repository": {"full_name": REPO, "default_branch": "main"},
            "pull_request": {
                "number": PR_NUMBER,
                "head": {"sha": head, "ref": head_ref, "repo": {"full_name": head_repo}},
                "base": {"ref": "main", "repo": {"full_name": REPO}},
            },
        }
        # GITHUB_SHA of a pull_request run is the synthetic merge commit, not the head; a
        # pull_request_target run is on the base branch: GITHUB_REF is refs/heads/main
        ref = f"refs/pull/{PR_NUMBER}/merge" if event_name == "pull_request" else "refs/heads/main"
        return self.env(event_name, payload, ref=ref, sha="f" * 40, **kw)


@pytest.fixture
def runner(fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    return Runner(fake, tmp_path, monkeypatch)


def outputs_of(path: Path) -> dict[str, str]:
    """Parse GITHUB_OUTPUT's `name<<DELIM ... DELIM` blocks as the runner does."""
    lines, values = path.read_text().splitlines(), {}
    i = 0
    while i < len(lines):
        name, delim = lines[i].split("<<", 1)
        end = lines.index(delim, i + 1)
        values[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return values


def ours(fake: Any) -> list[dict[str, Any]]:
    return [c for c in fake.snapshot()["comments"] if c["number"] == PR_NUMBER]


def statuses(fake: Any, sha: str) -> list[tuple[str, str]]:
    return [(s["state"], s["context"]) for s in fake.snapshot()["statuses"] if s["sha"] == sha]


def test_main_push_stores_record_then_pr_gets_one_comment_and_a_status(project, fake, runner):
    base = project.commit("main")
    runner.env("push", {"repository": {"default_branch": "main"}}, ref="refs/heads/main", sha=base)
    code, out, _ = cli(
        "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / "o-main")
    )
    assert code == 0, out
    assert any(base in f for f in project.remote_records())
    assert statuses(fake, base) == [
        ("pending", "mlci/churn-model"),
        ("success", "mlci/churn-model"),
    ]
    assert ours(fake) == []

    project.checkout("-b", "feature")
    write_predictions(project, 0.0005)
    head = project.commit("worse model", push=False)
    fake.add_pull(REPO, PR_NUMBER, head, head_repo=REPO)
    outputs, summary = runner.pull_request(project, head)

    code, out, err = cli(
        "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / "o-pr")
    )

    assert (code, err) == (1, "")
    comments = ours(fake)
    assert len(comments) == 1
    assert comments[0]["body"].startswith("<!-- mlci:report name=churn-model -->")
    assert "### ❌ mlci · churn-model" in comments[0]["body"]
    assert f"<!-- mlci:commit {head}" in comments[0]["body"]
    assert statuses(fake, head) == [
        ("pending", "mlci/churn-model"),
        ("failure", "mlci/churn-model"),
    ]
    assert statuses(fake, "f" * 40) == [], "never the synthetic merge commit"
    values = outputs_of(outputs)
    assert values["verdict"] == "fail"
    assert values["comment-url"].endswith(f"#issuecomment-{comments[0]['id']}")
    assert Path(values["report-json"]).is_file()
    assert values["report-html"] == str((project.path / "o-pr" / "report.html").resolve())
    assert Path(values["report-html"]).is_file()
    assert "### ❌ mlci · churn-model" in summary.read_text()
    claim = json.loads((project.path / "o-pr" / "pull-request.json").read_text())
    assert claim == {"number": PR_NUMBER, "head_sha": head}
    assert "::error" in out  # an annotation for the failing gate
    assert not fake.snapshot()["token_leaked"]
    assert WRITE_TOKEN not in out + summary.read_text() + outputs.read_text()


def test_the_records_push_authenticates_with_the_token_in_git_alone(
    project, fake, runner, serve_git, monkeypatch
):
    base = project.commit("main")
    server = serve_git(project.remote.parent, tokens={WRITE_TOKEN: "write"})  # private repo
    git(project.path, "remote", "set-url", "origin", server.repo_url(project.remote.name))
    runner.env("push", {"repository": {"default_branch": "main"}}, ref="refs/heads/main", sha=base)
    monkeypatch.setenv("GITHUB_SERVER_URL", server.url)
    before = dict(os.environ)

    code, out, err = cli(
        "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / "o")
    )

    assert (code, err) == (0, ""), out
    assert any(base in f for f in project.remote_records())
    assert [s.token for s in server.pushes()] == [WRITE_TOKEN]
    assert dict(os.environ) == before, "no credential was added to mlci's environment"
    basic = base64.b64encode(f"x-access-token:{WRITE_TOKEN}".encode()).decode()
    assert out.count(f"::add-mask::{basic}") == 1
    assert out.count(basic) == 1 and WRITE_TOKEN not in out


def test_credentials_the_checkout_left_in_git_config_are_warned_about(project, fake, runner):
    base = project.commit("main")
    git(project.path, "config", f"http.{fake.url}/.extraheader", "AUTHORIZATION: basic eA==")
    runner.env("push", {"repository": {"default_branch": "main"}}, ref="refs/heads/main", sha=base)

    code, out, _ = cli(
        "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / "o")
    )

    assert code == 0
    assert "::warning title=mlci::The checkout left credentials in the repository's git " in out
    assert "set `persist-credentials: false` on actions/checkout" in out


@pytest.mark.parametrize("event_name", ["pull_request", "pull_request_target"])
@pytest.mark.parametrize("token", [READ_TOKEN, WRITE_TOKEN])
def test_a_fork_pull_request_whose_branch_is_called_main_never_stores_a_record(
    project, fake, runner, serve_git, monkeypatch, token, event_name
):
    base = project.commit("main")
    server = serve_git(project.remote.parent, tokens={WRITE_TOKEN: "write", READ_TOKEN: "read"})
    git(project.path, "remote", "set-url", "origin", server.repo_url(project.remote.name))
    runner.env("push", {"repository": {"default_branch": "main"}}, ref="refs/heads/main", sha=base)
    monkeypatch.setenv("GITHUB_SERVER_URL", server.url)
    config = str(project.path / "mlci.yml")
    assert (
        cli("run", "-c", config, "--output-dir", str(project.path / "o-main"), "--no-html")[0] == 0
    )
    stored = project.remote_records()
    assert len(stored) == 1 and len(server.pushes()) == 1
    write_predictions(project, 0.0005)  # the fork's `main`: a worse model, never merged
    head = project.commit("fork's main", push=False)
    fake.add_pull(REPO, PR_NUMBER, head, head_repo="someone/widgets")
    outputs, summary = runner.pull_request(
        project,
        head,
        head_ref="main",
        head_repo="someone/widgets",
        event_name=event_name,
        token=token,
    )
    monkeypatch.setenv("GITHUB_SERVER_URL", server.url)

    code, out, err = cli("run", "-c", config, "--output-dir", str(project.path / "o"), "--no-html")

    assert (code, err) == (1, ""), out  # a verdict, never exit 2 for lack of push rights
    assert project.remote_records() == stored, "no record for the fork's commit"
    assert len(server.pushes()) == 1, "nothing was even tried"
    assert not (project.path / ".git" / "refs" / "heads" / "mlci-records").exists()
    assert "Stored the record" not in out
    doc = json.loads((project.path / "o" / "report.json").read_text())
    assert (doc["commit"], doc["ref"]) == (head, f"refs/pull/{PR_NUMBER}/head")
    assert (doc["baseline"]["commit"], doc["baseline"]["how"]) == (base, "merge_base")
    assert "### ❌ mlci · churn-model" in summary.read_text()
    assert outputs_of(outputs)["verdict"] == "fail"
    if token == READ_TOKEN:
        assert ours(fake) == [] and "token is read-only" in out
    else:
        assert len(ours(fake)) == 1


def test_pr_update_edits_the_same_comment_and_fail_on_gate_off_exits_0(project, fake, runner):
    project.commit("main")
    project.checkout("-b", "feature")
    write_predictions(project, 0.0005)
    first = project.commit("worse", push=False)
    fake.add_pull(REPO, PR_NUMBER, first, head_repo=REPO)
    runner.pull_request(project, first)
    code, _, _ = cli(
        "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / "o1")
    )
    assert code == 0  # no baseline: change rules skipped
    write_predictions(project, 0.5)
    second = project.commit("better", push=False)
    fake.move_head(REPO, PR_NUMBER, second)
    outputs, _ = runner.pull_request(project, second)

    code, _, _ = cli(
        "run",
        "-c",
        str(project.path / "mlci.yml"),
        "--output-dir",
        str(project.path / "o2"),
        "--no-fail-on-gate",
        "--no-html",
    )

    assert code == 0
    values = outputs_of(outputs)
    assert "report-json" in values and "report-html" not in values  # --no-html: not written
    assert not (project.path / "o2" / "report.html").exists()
    comments = ours(fake)
    assert len(comments) == 1
    assert comments[0]["edits"] == 1
    assert f"<!-- mlci:commit {second}" in comments[0]["body"]


def test_read_only_token_degrades_to_summary_and_keeps_the_verdict(project, fake, runner):
    project.commit("main")
    project.checkout("-b", "feature")
    head = project.commit("fork change", push=False)
    fake.add_pull(REPO, PR_NUMBER, head, head_repo="someone/widgets")
    outputs, summary = runner.pull_request(project, head, token=READ_TOKEN)

    code, out, err = cli(
        "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / "o")
    )

    assert (code, err) == (0, "")
    assert ours(fake) == []
    assert "token is read-only" in out and "fork-comment.yml" in out
    assert "### ✅ mlci · churn-model" in summary.read_text()
    assert outputs_of(outputs)["verdict"] == "pass"


def test_fork_report_is_published_from_workflow_run_after_checks(project, fake, runner):
    project.commit("main")
    project.checkout("-b", "feature")
    write_predictions(project, 0.0005)
    head = project.commit("fork change", push=False)
    fake.add_pull(REPO, PR_NUMBER, head, head_repo="someone/widgets")
    runner.pull_request(project, head, token=READ_TOKEN)
    report_dir = project.path / "o"
    cli("run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(report_dir))
    artifact = runner.tmp / "artifact"
    shutil.copytree(report_dir, artifact)
    (artifact / "report.md").write_text("@everyone <img src=x> forged")  # never posted
    workflow_run = {
        "workflow_run": {"head_sha": head, "event": "pull_request"},
        "repository": {"full_name": REPO, "default_branch": "main"},
    }
    runner.env("workflow_run", workflow_run, ref="refs/heads/main", sha="e" * 40, token=BOT_TOKEN)

    code, out, err = cli(
        "publish", "--report-dir", str(artifact), "-c", str(project.path / "mlci.yml")
    )

    assert (code, err) == (0, ""), out
    comments = ours(fake)
    assert len(comments) == 1
    assert "forged" not in comments[0]["body"]
    assert "### ✅ mlci · churn-model" in comments[0]["body"]
    assert statuses(fake, head)[-1] == ("success", "mlci/churn-model")


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("claim_other_pr", "Pull request #3 is at"),
        ("report_of_other_commit", "refusing to post it"),
        ("corrupt_report", "report.json of the artifact is not"),
    ],
)
def test_publish_refuses_reports_that_do_not_match_the_run(project, fake, runner, tamper, message):
    project.commit("main")
    project.checkout("-b", "feature")
    head = project.commit("fork change", push=False)
    fake.add_pull(REPO, PR_NUMBER, head, head_repo="someone/widgets")
    fake.add_pull(REPO, 3, "b" * 40, head_repo=REPO)
    runner.pull_request(project, head, token=READ_TOKEN)
    artifact = project.path / "o"
    cli("run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(artifact))
    if tamper == "claim_other_pr":
        (artifact / "pull-request.json").write_text('{"number": 3}')
    elif tamper == "report_of_other_commit":
        doc = json.loads((artifact / "report.json").read_text())
        doc["commit"] = "c" * 40
        (artifact / "report.json").write_text(json.dumps(doc))
    else:
        (artifact / "report.json").write_text('{"schema_version": 1, "verdict": "pass"}')
    workflow_run = {
        "workflow_run": {"head_sha": head, "event": "pull_request"},
        "repository": {"full_name": REPO, "default_branch": "main"},
    }
    runner.env("workflow_run", workflow_run, ref="refs/heads/main", sha="e" * 40, token=BOT_TOKEN)

    code, _, err = cli(
        "publish", "--report-dir", str(artifact), "-c", str(project.path / "mlci.yml")
    )

    assert code == 2
    assert message in err
    assert ours(fake) == []


def test_status_description_names_failures_and_counts_inconclusive_as_warnings():
    from mlci.github.actions import status_description
    from mlci.results import BaselineInfo, CheckResult, GateResult, Report

    def gate(metric: str, status: str) -> GateResult:
        return GateResult(metric, "max_regression", status, "error", "≤ 0.005", "")  # type: ignore[arg-type]

    base = BaselineInfo(commit=None, how="none", branch="main")
    failing = Report(
        "m",
        "fail",
        "a" * 40,
        "refs/heads/x",
        base,
        gates=(gate("roc_auc", "fail"), gate("roc_auc", "fail"), gate("f1", "fail")),
        checks=(CheckResult("eval", "range", "age", "fail", "error", ""),),
    )
    assert status_description(failing) == "gate failed: roc_auc, f1; 1 data check failed"
    passing = Report(
        "m",
        "pass",
        "a" * 40,
        "refs/heads/x",
        base,
        gates=(gate("roc_auc", "inconclusive"), gate("f1", "pass")),
    )
    assert status_description(passing) == "passed with 1 warning"


def test_a_run_that_stops_with_bad_input_replaces_its_pending_status(project, fake, runner):
    project.commit("main")
    project.checkout("-b", "feature")
    (project.path / "preds.csv").write_text("y_true,y_pred\n1,1\n")  # no y_score column
    head = project.commit("break the predictions", push=False)
    fake.add_pull(REPO, PR_NUMBER, head, head_repo=REPO)
    runner.pull_request(project, head)

    code, _, err = cli(
        "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / "o")
    )

    assert code == 2 and "y_score" in err
    [(state, context), (final, _)] = statuses(fake, head)
    assert (state, context, final) == ("pending", "mlci/churn-model", "error")
    [status] = [s for s in fake.snapshot()["statuses"] if s["state"] == "error"]
    assert status["description"].startswith("mlci stopped before a verdict: ")
    assert status["description"].startswith(
        "mlci stopped before a verdict: Predictions file preds.csv has no column"
    )
    assert ours(fake) == []


def test_a_comment_that_cannot_be_posted_leaves_the_verdict_status_not_pending(
    project, fake, runner
):
    project.commit("main")
    project.checkout("-b", "feature")
    head = project.commit("same model", push=False)
    fake.add_pull(REPO, PR_NUMBER, head, head_repo=REPO)
    runner.pull_request(project, head)
    fake.add_faults({"method": "POST", "path": r"/issues/\d+/comments$", "status": 503, "count": 9})

    code, out, err = cli(
        "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / "o")
    )

    assert code == 2 and "GitHub kept failing while posting the comment" in err
    assert "the commit status mlci/churn-model is set (success)" in out
    assert statuses(fake, head) == [
        ("pending", "mlci/churn-model"),
        ("success", "mlci/churn-model"),
    ]
    [final] = [s for s in fake.snapshot()["statuses"] if s["state"] == "success"]
    assert final["description"].endswith(" · PR comment failed (see the job log)")


def test_a_rerun_on_the_same_commit_leaves_the_comment_alone(project, fake, runner):
    project.commit("main")
    project.checkout("-b", "feature")
    head = project.commit("same model", push=False)
    fake.add_pull(REPO, PR_NUMBER, head, head_repo=REPO)
    for _ in range(2):  # two runs (new run ids: the footer links another run) of one commit
        runner.pull_request(project, head)
        code, _, _ = cli(
            "run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / "o")
        )
        assert code == 0

    [comment] = ours(fake)
    assert comment["edits"] == 0
    assert "/actions/runs/5001#artifacts" in comment["body"]
    assert [r["method"] for r in fake.snapshot()["requests"] if "/comments" in r["path"]].count(
        "POST"
    ) == 1
