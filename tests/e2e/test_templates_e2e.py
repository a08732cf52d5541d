"""The workflow templates end to end: act runs them, with the real action.yml, against a
fixture repository, while the GitHub API fake (tests/helpers/fake_github.py) runs as a process of
its own and records every request. Each test asserts the final state: the comments and statuses
in the fake (``/_fake/state``), the records branch in the fixture's bare origin, the job's result,
outputs, summary and artifacts, and that the token is in no log (every run).

Covered: main.yml (push), pull-request.yml (opened, synchronize, failing gate, API faults, a
GHES-style API URL), fork-pull-request.yml with a read-only token and fork-comment.yml on
workflow_run (genuine and tampered artifact), pull-request.yml for a fork's branch called `main`
(no record stored, with a push-capable or a read-only token). release.yml: test_release_e2e.py.

main.yml runs once per module for a push to main with the fixture project
(tests/helpers/templates.py); its record is every pull request's baseline, and each test works on a
copy of that repository. The file takes 1.5-3 minutes.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.act_harness import ActRun, FixtureRepo
from tests.helpers.templates import (
    BOT,
    CONFIG,
    CONTEXT,
    FORK,
    GOOD,
    MARKER,
    MLCI_STEP,
    NAME,
    READ_TOKEN,
    WORSE,
    WRITE_TOKEN,
    FakeGitHubProcess,
    PackageSources,
    Templates,
    assert_no_token_in_log,
    comments_on,
    copy_repo,
    record_of,
    records,
    report_header,
    requests_to,
    roc_auc_of,
    statuses_on,
    verdict_of,
    write_project,
)

pytestmark = pytest.mark.e2e


# ---------------------------------------------------------------------------------------------
# fixtures


@dataclass(frozen=True)
class MainRun:
    """The module's one push to main through main.yml, and the fake's state after it."""

    repo: FixtureRepo
    run: ActRun
    commit: str
    state: Mapping[str, Any]


@pytest.fixture(scope="module")
def main_run(
    tmp_path_factory: pytest.TempPathFactory,
    fake_process: FakeGitHubProcess,
    project_action: Path,
    packages: PackageSources,
) -> MainRun:
    """acme/widgets with the fixture project pushed to main and main.yml run for that push."""
    root = tmp_path_factory.mktemp("main")
    repo = FixtureRepo(root / "github")
    write_project(repo)
    commit = repo.commit("Add the model and its mlci config")
    fake_process.reset()
    fake_process.add_pull(1, commit, head_ref="docs")  # the fake knows a repository by its PRs
    templates = Templates(root / "act", repo, fake_process, project_action, packages)
    run = templates.run("main.yml", "push", repo.push_event())
    return MainRun(repo, run, commit, fake_process.state())


@pytest.fixture
def templates(
    tmp_path: Path,
    main_run: MainRun,
    fake: FakeGitHubProcess,
    project_action: Path,
    packages: PackageSources,
) -> Templates:
    """Templates for a copy of the repository whose main commit has its record."""
    assert main_run.run.ok, "main.yml failed, so there is no baseline:\n" + main_run.run.tail()
    repo = copy_repo(main_run.repo, tmp_path / "github")
    return Templates(tmp_path / "act", repo, fake, project_action, packages)


# ---------------------------------------------------------------------------------------------
# 1. push to main


def test_push_to_main_stores_the_record_on_the_records_branch_and_sets_the_status(
    main_run: MainRun,
) -> None:
    run, commit, state = main_run.run, main_run.commit, main_run.state

    assert run.ok, run.tail()
    assert run.jobs == {"mlci": "success"}
    assert verdict_of(run, "mlci") == "pass"
    path = f"{NAME}/{commit[:2]}/{commit}.json"
    assert records(main_run.repo) == [path]
    record = record_of(main_run.repo, path)
    assert (record["name"], record["commit"]) == (NAME, commit)
    assert record["model"]["metrics"]["roc_auc"] == pytest.approx(roc_auc_of(GOOD), abs=1e-12)
    assert statuses_on(state, commit) == [("pending", CONTEXT), ("success", CONTEXT)]
    assert state["comments"] == []
    assert report_header("pass") in run.summary("mlci")
    assert state["token_leaked"] is False


# ---------------------------------------------------------------------------------------------
# 2-3. a pull request opened, then updated


def test_pull_request_gets_one_comment_and_a_status_then_updates_edit_that_comment_once(
    templates: Templates, fake: FakeGitHubProcess
) -> None:
    repo = templates.repo
    repo.branch("feature")
    repo.write("README.md", "# widgets\n\nThe widget classifier.\n")
    first = repo.commit("Document the model")
    event = templates.open_pull_request(7, "feature")
    merge = event["pull_request"]["merge_commit_sha"]

    opened = templates.run("pull-request.yml", "pull_request", event)

    assert opened.ok, opened.tail()
    state = fake.state()
    [comment] = comments_on(state, 7)
    assert comment["login"] == BOT
    assert comment["body"].startswith(MARKER)
    assert report_header("pass") in comment["body"]
    assert f"<!-- mlci:commit {first} run={opened.run_id} -->" in comment["body"]
    assert statuses_on(state, first) == [("pending", CONTEXT), ("success", CONTEXT)]
    assert statuses_on(state, merge) == [], "never the synthetic merge commit"
    assert verdict_of(opened, "mlci") == "pass"
    assert opened.output("mlci", MLCI_STEP, "comment-url").endswith(
        f"#issuecomment-{comment['id']}"
    )
    assert report_header("pass") in opened.summary("mlci")
    report = json.loads((opened.artifact("mlci-report") / "report.json").read_text())
    assert report["commit"] == first
    assert report["baseline"]["commit"] == repo.origin_rev("refs/heads/main")
    assert report["gates"][0]["status"] == "pass"
    assert state["token_leaked"] is False

    repo.write("README.md", "# widgets\n\nThe widget classifier, documented.\n")
    second = repo.commit("Say more")
    event = templates.open_pull_request(7, "feature", action="synchronize")

    updated = templates.run("pull-request.yml", "pull_request", event)

    assert updated.ok, updated.tail()
    state = fake.state()
    [edited] = comments_on(state, 7)
    assert (edited["id"], edited["edits"]) == (comment["id"], 1)
    assert f"<!-- mlci:commit {second} run={updated.run_id} -->" in edited["body"]
    assert first not in edited["body"]
    assert statuses_on(state, second) == [("pending", CONTEXT), ("success", CONTEXT)]
    assert requests_to(state, "POST", "/issues/7/comments") == [201]
    assert state["token_leaked"] is False

    # "Re-run jobs": the same event and run id (GitHub keeps artifacts apart per attempt).
    attempt = templates.runner.root / f"run-{updated.run_id}-attempt-2"
    rerun = templates.run(
        "pull-request.yml",
        "pull_request",
        event,
        run_id=updated.run_id,
        work_dir=attempt,
        artifacts_dir=attempt / "artifacts",
    )

    assert rerun.ok, rerun.tail()
    state = fake.state()
    assert comments_on(state, 7) == [edited], "an unchanged report is not written again"
    assert requests_to(state, "PATCH", "/issues/comments/") == [200]
    assert rerun.output("mlci", MLCI_STEP, "comment-url") == updated.output(
        "mlci", MLCI_STEP, "comment-url"
    )


# ---------------------------------------------------------------------------------------------
# 4. a gate fails


def test_a_regressing_pull_request_fails_the_job_and_its_status(
    templates: Templates, fake: FakeGitHubProcess
) -> None:
    repo = templates.repo
    repo.branch("worse")
    repo.write("preds.csv", WORSE)
    head = repo.commit("Retrain with fewer features")
    event = templates.open_pull_request(8, "worse")

    run = templates.run("pull-request.yml", "pull_request", event, api_path="/api/v3")  # GHES

    assert run.returncode != 0
    assert run.jobs == {"mlci": "failure"}
    state = fake.state()
    [comment] = comments_on(state, 8)
    assert report_header("fail") in comment["body"]
    assert statuses_on(state, head) == [("pending", CONTEXT), ("failure", CONTEXT)]
    assert verdict_of(run, "mlci") == "fail"
    assert report_header("fail") in run.summary("mlci")
    report = json.loads((run.artifact("mlci-report") / "report.json").read_text())
    [gate] = report["gates"]
    assert gate["status"] == "fail"
    drop = roc_auc_of(GOOD) - roc_auc_of(WORSE)  # the oracle: scikit-learn on the two CSVs
    assert drop > 0.1
    assert gate["value"] == pytest.approx(-drop, abs=1e-12)
    [auc] = [m for m in report["metrics"] if m["name"] == "roc_auc"]
    assert auc["value"] == pytest.approx(roc_auc_of(WORSE), abs=1e-12)
    assert auc["baseline"] == pytest.approx(roc_auc_of(GOOD), abs=1e-12)
    assert state["requests"]
    assert all(r["path"].startswith("/api/v3/") for r in state["requests"])
    assert state["token_leaked"] is False


# ---------------------------------------------------------------------------------------------
# 5. a pull request from a fork: evaluated read-only, commented from workflow_run


def workflow_run_event(repo: FixtureRepo, run_id: int, head: str, branch: str) -> dict[str, Any]:
    """The payload of workflow_run "completed" for the fork evaluation run ``run_id``."""
    return {
        "action": "completed",
        "workflow_run": {
            "id": run_id,
            "name": "mlci (fork-safe evaluation)",
            "event": "pull_request",
            "status": "completed",
            "conclusion": "success",
            "head_sha": head,
            "head_branch": branch,
            "head_repository": {"full_name": FORK},
            "pull_requests": [],  # GitHub lists none for a fork's PR
        },
        "workflow": {"name": "mlci (fork-safe evaluation)"},
        "repository": repo.repository_payload(),
        "sender": {"login": "contributor"},
    }


def test_fork_pull_request_is_evaluated_read_only_then_published_by_workflow_run(
    templates: Templates, fake: FakeGitHubProcess
) -> None:
    repo = templates.repo
    repo.branch("fork-feature")
    repo.write("README.md", "# widgets\n\nA contribution from a fork.\n")
    head = repo.commit("Contribute docs")
    event = templates.open_pull_request(9, "fork-feature", head_repo=FORK)

    evaluated = templates.run("fork-pull-request.yml", "pull_request", event, token=READ_TOKEN)

    assert evaluated.ok, evaluated.tail()
    assert verdict_of(evaluated, "evaluate") == "pass"
    assert report_header("pass") in evaluated.summary("evaluate")
    # comment: 'false', so only the status write was refused, and the message says that
    assert f"mlci could not set the commit status {CONTEXT}: the token is read-only" in (
        evaluated.stdout
    )
    assert "could not post the PR comment" not in evaluated.stdout
    state = fake.state()
    assert state["comments"] == [] and state["statuses"] == []
    assert set(requests_to(state, "POST", "/statuses/")) == {403}
    artifact = evaluated.artifact("mlci-report")
    assert {"report.json", "pull-request.json"} <= {p.name for p in artifact.iterdir()}
    claim = json.loads((artifact / "pull-request.json").read_text())
    assert claim == {"number": 9, "head_sha": head}
    assert state["token_leaked"] is False

    # A tampered artifact: it claims pull request #10, whose head is another commit.
    fake.add_pull(10, repo.origin_rev("refs/heads/main"), head_ref="other")
    tampered = evaluated.artifacts_dir.parent / "77" / "mlci-report"
    shutil.copytree(artifact, tampered)
    (tampered / "pull-request.json").write_text(json.dumps({"number": 10, "head_sha": head}))
    refused = templates.run(
        "fork-comment.yml", "workflow_run", workflow_run_event(repo, 77, head, "fork-feature")
    )

    assert refused.returncode != 0
    assert refused.jobs == {"publish": "failure"}
    assert "Pull request #10 is at" in refused.log
    state = fake.state()
    assert state["comments"] == [] and state["statuses"] == []

    published = templates.run(
        "fork-comment.yml",
        "workflow_run",
        workflow_run_event(repo, evaluated.run_id, head, "fork-feature"),
    )

    assert published.ok, published.tail()
    state = fake.state()
    [comment] = comments_on(state, 9)
    assert comment["login"] == BOT
    assert comment["body"].startswith(MARKER)
    assert report_header("pass") in comment["body"]
    assert f"<!-- mlci:commit {head} run={published.run_id} -->" in comment["body"]
    assert statuses_on(state, head) == [("success", CONTEXT)]
    assert comments_on(state, 10) == []
    assert verdict_of(published, "publish") == "pass"
    assert state["token_leaked"] is False


def test_a_fork_that_loosens_its_gates_and_forges_its_artifact_is_judged_by_main(
    templates: Templates, fake: FakeGitHubProcess
) -> None:
    repo = templates.repo
    repo.branch("fork-loose")
    loose = CONFIG.replace("max_regression: 0.02", "max_regression: 1.0")
    assert loose != CONFIG
    repo.write("mlci.yml", loose)
    repo.write("preds.csv", WORSE)
    head = repo.commit("A worse model, and gates to match")
    event = templates.open_pull_request(12, "fork-loose", head_repo=FORK)

    evaluated = templates.run("fork-pull-request.yml", "pull_request", event, token=READ_TOKEN)

    assert evaluated.ok, evaluated.tail()
    assert verdict_of(evaluated, "evaluate") == "pass"  # judged by the fork's own gates
    artifact = evaluated.artifact("mlci-report")
    report = json.loads((artifact / "report.json").read_text())
    assert report["gate_changes"] == ["roc_auc: max_regression 0.02 → 1"]

    # A forged copy: another config's name. Refused whole: no status, no comment.
    forged = evaluated.artifacts_dir.parent / "78" / "mlci-report"
    shutil.copytree(artifact, forged)
    (forged / "report.json").write_text(json.dumps({**report, "name": "release-model"}))
    refused = templates.run(
        "fork-comment.yml", "workflow_run", workflow_run_event(repo, 78, head, "fork-loose")
    )

    assert refused.jobs == {"publish": "failure"}
    assert "The artifact has a report named 'release-model'" in refused.log
    state = fake.state()
    assert statuses_on(state, head) == [] and comments_on(state, 12) == []

    # The genuine artifact, whose own verdict (and gates) say pass: main's gates fail it.
    published = templates.run(
        "fork-comment.yml",
        "workflow_run",
        workflow_run_event(repo, evaluated.run_id, head, "fork-loose"),
    )

    assert published.ok, published.tail()
    state = fake.state()
    assert statuses_on(state, head) == [("failure", CONTEXT)]
    [comment] = comments_on(state, 12)
    body = comment["body"]
    assert body.startswith(f"{MARKER}\n{report_header('fail')} — 1 gate failed\n")
    assert "🔒 **Fork-safe publishing:** the numbers below were computed by this pull " in body
    assert (
        "this PR changes its gates: roc\\_auc: max\\_regression 0.02 → 1 (not applied: the "
        "status uses the gates of `main`)."
    ) in body
    assert f"/actions/runs/{evaluated.run_id}#artifacts" in body
    assert verdict_of(published, "publish") == "fail"


def test_a_fork_pull_request_whose_branch_is_called_main_stores_no_record(
    templates: Templates, fake: FakeGitHubProcess
) -> None:
    repo = templates.repo
    stored = records(repo)
    repo.branch("fork-main")
    repo.write("README.md", "# widgets\n\nA fork's main, never merged.\n")
    head = repo.commit("Change the fork's main")
    event = templates.open_pull_request(12, "fork-main", head_repo=FORK)
    event["pull_request"]["head"]["ref"] = "main"  # the fork's branch is called main
    event["pull_request"]["head"]["label"] = f"{FORK.split('/')[0]}:main"

    for token in (WRITE_TOKEN, READ_TOKEN):  # a push-capable token, then a fork's read-only one
        run = templates.run("pull-request.yml", "pull_request", event, token=token)

        assert run.ok, run.tail()
        assert verdict_of(run, "mlci") == "pass"
        assert report_header("pass") in run.summary("mlci")
        assert records(repo) == stored, "the fork's commit got no record"
        report = json.loads((run.artifact("mlci-report") / "report.json").read_text())
        assert report["commit"] == head
        assert report["baseline"]["commit"] == repo.origin_rev("refs/heads/main")
    state = fake.state()
    assert [c["body"].startswith(MARKER) for c in comments_on(state, 12)] == [True]
    assert statuses_on(state, head) == [("pending", CONTEXT), ("success", CONTEXT)]
    assert state["token_leaked"] is False


# ---------------------------------------------------------------------------------------------
# 6. faults injected into the API while the real stack runs


def test_a_lost_comment_answer_and_a_failed_status_write_leave_one_of_each(
    templates: Templates, fake: FakeGitHubProcess
) -> None:
    repo = templates.repo
    repo.branch("flaky")
    repo.write("README.md", "# widgets\n\nWritten while GitHub was flaky.\n")
    head = repo.commit("Document under load")
    event = templates.open_pull_request(11, "flaky")
    fake.add_faults(
        [
            {"method": "POST", "path": r"/issues/11/comments$", "kind": "after", "status": 502},
            {"method": "POST", "path": rf"/statuses/{head}$", "kind": "status", "status": 503},
        ]
    )

    run = templates.run("pull-request.yml", "pull_request", event)

    assert run.ok, run.tail()
    state = fake.state()
    assert state["faults_left"] == []
    [comment] = comments_on(state, 11)
    assert report_header("pass") in comment["body"]
    assert requests_to(state, "POST", "/issues/11/comments") == [502]  # landed; not posted again
    assert statuses_on(state, head) == [("pending", CONTEXT), ("success", CONTEXT)]
    assert requests_to(state, "POST", f"/statuses/{head}") == [503, 201, 201]
    assert run.output("mlci", MLCI_STEP, "comment-url").endswith(f"#issuecomment-{comment['id']}")
    assert state["token_leaked"] is False


# ---------------------------------------------------------------------------------------------
# 7. the token check itself


def test_the_token_check_allows_the_add_mask_command_only(tmp_path: Path) -> None:
    basic = base64.b64encode(f"x-access-token:{WRITE_TOKEN}".encode()).decode()
    mask = {"command": "add-mask", "arg": basic, "msg": "  ⚙  ***"}
    (tmp_path / "act.jsonl").write_text(json.dumps(mask) + "\n")
    (tmp_path / "act.stderr").write_text("")
    (tmp_path / "act.log").write_text("[job]   ⚙  ***\n")
    run = ActRun((), 0, 0.0, 1, tmp_path / "act.log", tmp_path / "none", {}, (), {}, {}, "", "")

    assert_no_token_in_log(run, WRITE_TOKEN)
    (tmp_path / "act.log").write_text(f"[job]   | AUTHORIZATION: basic {basic}\n")
    with pytest.raises(AssertionError, match=r"the token's basic-auth form is in act\.log"):
        assert_no_token_in_log(run, WRITE_TOKEN)
    (tmp_path / "act.log").write_text("")
    leak = {"msg": f"git -c http.extraheader='AUTHORIZATION: basic {basic}' push"}
    (tmp_path / "act.jsonl").write_text(json.dumps(mask) + "\n" + json.dumps(leak) + "\n")
    with pytest.raises(AssertionError, match="basic-auth form in: "):
        assert_no_token_in_log(run, WRITE_TOKEN)
