"""`mlci monitor` in GitHub Actions: the sticky monitoring issue, the live release, degraded
permissions; a real git project with its origin and the GitHub API fake over HTTP."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mlci.github.issues import issue_marker
from tests.helpers.git import git
from tests.helpers.github import BOT_TOKEN, READ_TOKEN, REPO
from tests.helpers.monitor import NAME, MonitorProject, cli

BOT = "github-actions[bot]"


class Actions:
    """The environment of one workflow run of the monitor template."""

    def __init__(self, fake: Any, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake, self.tmp, self.monkeypatch = fake, tmp, monkeypatch
        self.runs = 0

    def enter(
        self, event: str = "schedule", *, ref: str = "refs/heads/main", token: str = BOT_TOKEN
    ) -> Path:
        self.runs += 1
        run = self.tmp / f"actions-{self.runs}"
        run.mkdir()
        payload = {"schedule": "0 6 * * *"} if event == "schedule" else {}
        payload["repository"] = {"full_name": REPO, "default_branch": "main"}
        (run / "event.json").write_text(json.dumps(payload))
        for key, value in {
            "GITHUB_ACTIONS": "true",
            "GITHUB_TOKEN": token,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": self.fake.url,
            "GITHUB_SERVER_URL": self.fake.url,
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(run / "event.json"),
            "GITHUB_REF": ref,
            "GITHUB_SHA": "0" * 40,
            "GITHUB_RUN_ID": str(7000 + self.runs),
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_OUTPUT": str(run / "output"),
            "GITHUB_STEP_SUMMARY": str(run / "summary.md"),
        }.items():
            self.monkeypatch.setenv(key, value)
        return run

    def leave(self) -> None:
        for key in ("GITHUB_ACTIONS", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_OUTPUT"):
            self.monkeypatch.delenv(key, raising=False)


@pytest.fixture
def actions(fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Actions:
    return Actions(fake, tmp_path, monkeypatch)


@pytest.fixture
def released(project: MonitorProject, fake: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """v1.0.0 released and deployed through the API (outside Actions), its record pushed."""
    code, out, err = project.run_main("--push")
    assert (code, err) == (0, ""), out
    sha = git(project.path, "rev-parse", "v1.0.0^{commit}")
    git(project.path, "push", "-q", "origin", "refs/tags/v1.0.0")
    fake.add_ref(REPO, "v1.0.0", sha)
    for key, value in {
        "GITHUB_TOKEN": BOT_TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": fake.url,
        "GITHUB_SERVER_URL": fake.url,
    }.items():
        monkeypatch.setenv(key, value)
    out_dir = str(project.tmp / "release-out")
    code, out, err = cli(
        "release",
        "-c",
        str(project.path / "mlci.yml"),
        "--tag",
        "v1.0.0",
        "--bootstrap",
        "--output-dir",
        out_dir,
    )
    assert (code, err) == (0, ""), out
    return sha


def issues(fake: Any) -> list[dict[str, Any]]:
    return [i for i in fake.snapshot()["issues"] if i["repo"] == REPO]


def outputs(run: Path) -> dict[str, str]:
    text = (run / "output").read_text()
    found, lines = {}, text.splitlines()
    for i, line in enumerate(lines):
        if "<<" in line:
            name, _, delimiter = line.partition("<<")
            found[name] = lines[i + 1] if lines[i + 1] != delimiter else ""
    return found


def test_a_drifted_day_opens_one_issue_a_later_one_updates_it_a_clean_day_closes_it(
    project: MonitorProject, fake: Any, released: str, actions: Actions
) -> None:
    project.production(tenure_shift=3.0)
    run = actions.enter()
    code, out, err = project.monitor()

    assert (code, err) == (1, ""), out
    [issue] = issues(fake)
    assert issue["login"] == BOT and issue["state"] == "open"
    assert issue["title"] == f"mlci monitor: {NAME} — drift in tenure"
    assert issue["body"].startswith(issue_marker(NAME) + "\n### ❌ mlci monitor")
    assert "**Drifted:** `tenure`" in issue["body"]
    assert (
        "release `v1.0.0`" in issue["body"]
        and "live in the deployment environment" in issue["body"]
    )
    assert outputs(run)["issue-url"].endswith(f"/issues/{issue['number']}")
    assert outputs(run)["verdict"] == "fail"
    assert "drift in 1 column" in (run / "summary.md").read_text()
    assert "::error title=mlci data%3A drift on eval.tenure::" in out

    project.production(tenure_shift=3.0, seed=200)  # the next day: still drifted
    actions.enter()
    code, out, _ = project.monitor()
    assert code == 1, out
    [same] = issues(fake)
    assert (same["number"], same["state"], same["edits"]) == (issue["number"], "open", 1)

    project.production(seed=300)  # recovered
    actions.enter()
    code, out, _ = project.monitor()

    assert code == 0, out
    [closed] = issues(fake)
    assert (closed["number"], closed["state"], closed["state_reason"]) == (
        issue["number"],
        "closed",
        "completed",
    )
    [note] = [c for c in fake.snapshot()["comments"] if c["number"] == issue["number"]]
    assert note["body"].startswith("✅ **Resolved** by monitoring run [")
    assert "against release `v1.0.0`" in note["body"]
    posts = [r for r in fake.snapshot()["requests"] if r["method"] == "POST"]
    assert sum(r["path"].endswith(f"/repos/{REPO}/issues") for r in posts) == 1
    history = [p for p in project.git.remote_records() if p.startswith(f"{NAME}/monitor/")]
    assert len(history) == 3  # pushed to the records branch of origin, one per run
    assert fake.snapshot()["token_leaked"] is False


def test_a_read_only_token_degrades_to_the_job_summary(
    project: MonitorProject, fake: Any, released: str, actions: Actions
) -> None:
    project.production(tenure_shift=3.0)
    run = actions.enter(token=READ_TOKEN)

    code, out, err = project.monitor()

    assert (code, err) == (1, ""), out
    assert issues(fake) == []
    assert (
        "::warning title=mlci monitor::mlci could not open, update or close the monitoring "
        "issue: the token may not write issues. Grant the job `issues: write`."
    ) in out
    summary = (run / "summary.md").read_text()
    assert "### ❌ mlci monitor · churn-model — drift in 1 column" in summary
    assert outputs(run)["issue-url"] == ""


def test_a_pull_request_run_only_reports(
    project: MonitorProject, fake: Any, released: str, actions: Actions
) -> None:
    project.production(tenure_shift=3.0)
    before = project.git.remote_records()
    run = actions.enter("pull_request", ref="refs/pull/3/merge")
    payload = {
        "pull_request": {
            "number": 3,
            "head": {"sha": "1" * 40, "ref": "main", "repo": {"full_name": REPO}},
            "base": {"ref": "main", "repo": {"full_name": REPO}},
        },
        "number": 3,
        "repository": {"full_name": REPO, "default_branch": "main"},
    }
    (run / "event.json").write_text(json.dumps(payload))

    code, out, _ = project.monitor()

    assert code == 1, out
    assert issues(fake) == []
    assert project.git.remote_records() == before
    assert "not touching the monitoring issue: only a schedule or workflow_dispatch run" in out
    assert "drift in 1 column" in (run / "summary.md").read_text()


def test_the_record_comes_from_the_release_when_the_clone_has_no_tags(
    project: MonitorProject, fake: Any, released: str, actions: Actions
) -> None:
    git(project.path, "tag", "-d", "v1.0.0")  # a shallow checkout without tags
    project.production()
    actions.enter()

    code, out, err = project.monitor("--no-store")

    assert (code, err) == (0, ""), out
    release = project.monitor_json()["release"]
    assert (release["tag"], release["commit"], release["how"]) == ("v1.0.0", released, "deployment")
    assert release["record_source"] == "asset"
    assert "using the record.json of release v1.0.0 (checked against its SHA256SUMS)" in out


def test_a_tampered_release_record_is_refused(
    project: MonitorProject, fake: Any, released: str, actions: Actions
) -> None:
    git(project.path, "tag", "-d", "v1.0.0")
    [release] = fake.snapshot()["releases"]
    [record] = [a for a in release["assets"] if a["name"] == "record.json"]
    with fake.lock:
        fake.state.assets[record["id"]]["data"] = b'{"forged": true}\n'
    project.production()
    actions.enter()

    code, _, err = project.monitor("--no-store")

    assert code == 2
    assert "record.json of release v1.0.0 does not match its SHA256SUMS: refused" in err


def test_without_a_deployment_the_latest_release_is_live(
    project: MonitorProject, fake: Any, released: str, actions: Actions
) -> None:
    with fake.lock:
        fake.state.deployments.clear()
        fake.state.deployment_statuses.clear()
    project.production()
    actions.enter()

    code, out, _ = project.monitor("--no-store")

    assert code == 0, out
    assert project.monitor_json()["release"]["how"] == "latest_release"


def test_a_release_published_by_hand_is_the_latest_when_none_names_the_config(
    project: MonitorProject, fake: Any, actions: Actions
) -> None:
    code, out, err = project.run_main("--push")
    assert (code, err) == (0, ""), out
    git(project.path, "push", "-q", "origin", "refs/tags/v1.0.0")
    request = urllib.request.Request(
        f"{fake.url}/repos/{REPO}/releases",
        data=json.dumps({"tag_name": "v1.0.0", "body": "Released by hand."}).encode(),
        method="POST",
        headers={"Authorization": f"token {BOT_TOKEN}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=5)
    project.production()
    actions.enter()

    code, out, err = project.monitor("--no-store")

    assert (code, err) == (0, ""), out
    assert project.monitor_json()["release"]["how"] == "latest_release"
    assert "using the repository's latest release" in out
