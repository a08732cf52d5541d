"""The monitor template end to end: workflows-templates/monitor.yml run by act on ``schedule`` and
``workflow_dispatch`` with the real action.yml (`command: monitor`), against the GitHub API fake
as a process of its own. What is checked is what GitHub and the repository hold afterwards: the
one monitoring issue (opened on a drifted day naming the column, closed by the next clean day),
the monitor records appended to the records branch of the origin, the artifact (report,
monitor.json, OpenMetrics text parsed by prometheus_client) and the job's outputs and summary.

The module's repository: the fixture project (tests/helpers/templates.py) with a ``monitor``
section, main.yml run once to store the record of main, tagged v1.0.0 and published as a release
through the API. Production rows are committed under ``prod/`` as Parquet partitions (in real
use a step downloads them). About 1-2 minutes on 2 cores.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from tests.helpers.act_harness import ActRun, FixtureRepo
from tests.helpers.templates import (
    BOT,
    CONFIG,
    NAME,
    READ_TOKEN,
    REPO,
    ROWS,
    FakeGitHubProcess,
    PackageSources,
    Templates,
    copy_repo,
    records,
    write_project,
)

pytestmark = pytest.mark.e2e

JOB = "monitor"
MLCI_STEP = "1"  # the template's steps: checkout, mlci monitor, upload the artifact
MARKER = f"<!-- mlci:monitor name={NAME} -->"
MONITOR_CONFIG = CONFIG + "monitor:\n  data:\n    eval: {path: prod/}\n"
CRON = "17 6 * * *"


def production(repo: FixtureRepo, *, age_shift: int, seed: int) -> None:
    """A day of request logs as three Parquet partitions (the fixture's eval columns)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for hour in range(3):
        n = ROWS // 2
        start = 100_000 + hour * n
        frame = pd.DataFrame(
            {
                "id": np.arange(start, start + n),
                "age": 18 + rng.integers(0, 60, n) + age_shift,
                "plan": rng.choice(["basic", "pro"], n, p=[2 / 3, 1 / 3]),
            }
        )
        folder = repo.work / "prod" / "date=2024-05-01" / f"hour={hour:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(folder / "part-0000.parquet", index=False)


def schedule_event(repo: FixtureRepo) -> dict[str, Any]:
    return {"schedule": CRON, "repository": repo.repository_payload()}


def dispatch_event(repo: FixtureRepo, release: str = "") -> dict[str, Any]:
    return {
        "inputs": {"release": release},
        "ref": f"refs/heads/{repo.default_branch}",
        "repository": repo.repository_payload(),
        "sender": {"login": "octocat"},
    }


def issues(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [i for i in state["issues"] if i["repo"] == REPO]


def monitor_history(repo: FixtureRepo) -> list[str]:
    return [p for p in records(repo) if p.startswith(f"{NAME}/monitor/")]


@dataclass(frozen=True)
class Released:
    """The repository with v1.0.0 recorded and published."""

    repo: FixtureRepo
    commit: str


@pytest.fixture(scope="module")
def released(
    tmp_path_factory: pytest.TempPathFactory,
    fake_process: FakeGitHubProcess,
    project_action: Path,
    packages: PackageSources,
) -> Released:
    root = tmp_path_factory.mktemp("monitored")
    repo = FixtureRepo(root / "github")
    write_project(repo, MONITOR_CONFIG)
    commit = repo.commit("Add the model, its mlci config and monitoring")
    fake_process.reset()
    fake_process.add_ref("main", commit)
    templates = Templates(root / "act", repo, fake_process, project_action, packages)
    main = templates.run("main.yml", "push", repo.push_event())
    assert main.ok, "main.yml failed, so there is no record to monitor against:\n" + main.tail()
    repo.tag("v1.0.0")
    return Released(repo, commit)


@pytest.fixture
def templates(
    tmp_path: Path,
    released: Released,
    fake: FakeGitHubProcess,
    project_action: Path,
    packages: PackageSources,
) -> Templates:
    """Templates for a copy of the released repository; the fake holds the v1.0.0 release."""
    repo = copy_repo(released.repo, tmp_path / "github")
    fake.add_ref("v1.0.0", released.commit)
    body = f"<!-- mlci:release name={NAME} -->\nreleased\n<!-- mlci:release-end -->"
    fake.api("POST", f"/repos/{REPO}/releases", {"tag_name": "v1.0.0", "body": body})
    return Templates(tmp_path / "act", repo, fake, project_action, packages)


def run_day(templates: Templates, *, age_shift: int, seed: int, **options: Any) -> ActRun:
    production(templates.repo, age_shift=age_shift, seed=seed)
    templates.repo.commit(f"production of day {seed}")
    event = options.pop("event", None) or schedule_event(templates.repo)
    return templates.run("monitor.yml", options.pop("event_name", "schedule"), event, **options)


def test_a_drifted_day_opens_one_issue_and_the_next_clean_day_closes_it(
    templates: Templates, fake: FakeGitHubProcess
) -> None:
    drifted = run_day(templates, age_shift=40, seed=1)

    assert drifted.jobs == {JOB: "failure"}, drifted.tail()  # fail-on-gate: a red run
    state = fake.state()
    [issue] = issues(state)
    assert (issue["login"], issue["state"]) == (BOT, "open")
    assert issue["title"] == f"mlci monitor: {NAME} — drift in age"
    assert issue["body"].startswith(MARKER + "\n### ❌ mlci monitor · widget-classifier")
    assert "**Drifted:** `age`" in issue["body"]
    assert "release `v1.0.0`" in issue["body"]
    assert drifted.output(JOB, MLCI_STEP, "verdict") == "fail"
    assert drifted.output(JOB, MLCI_STEP, "issue-url").endswith(f"/issues/{issue['number']}")
    assert "drift in 1 column" in drifted.summary(JOB)
    artifact = drifted.artifact("mlci-monitor")
    doc = json.loads((artifact / "monitor.json").read_text())
    assert doc["summary"]["drifted_columns"] == ["eval.age"]
    assert (doc["release"]["tag"], doc["release"]["how"]) == ("v1.0.0", "latest_release")
    assert (doc["run"]["event"], doc["datasets"][0]["files"]) == ("schedule", 3)
    families = {
        f.name: f for f in text_string_to_metric_families((artifact / "mlci.prom").read_text())
    }
    [verdict] = families["mlci_verdict"].samples
    assert (verdict.value, verdict.labels["tag"], verdict.labels["source"]) == (
        0,
        "v1.0.0",
        "monitor",
    )
    assert len(monitor_history(templates.repo)) == 1

    clean = run_day(templates, age_shift=0, seed=2)

    assert clean.ok, clean.tail()
    state = fake.state()
    [closed] = issues(state)
    assert (closed["number"], closed["state"], closed["state_reason"]) == (
        issue["number"],
        "closed",
        "completed",
    )
    [note] = [c for c in state["comments"] if c["number"] == issue["number"]]
    assert note["body"].startswith("✅ **Resolved** by monitoring run [")
    assert clean.output(JOB, MLCI_STEP, "verdict") == "pass"
    assert clean.output(JOB, MLCI_STEP, "issue-url") == ""
    assert len(monitor_history(templates.repo)) == 2
    assert state["token_leaked"] is False


def test_a_dispatch_compares_with_the_release_given_and_a_read_only_token_degrades(
    templates: Templates, fake: FakeGitHubProcess
) -> None:
    event = dispatch_event(templates.repo, release="v1.0.0")

    run = run_day(
        templates,
        age_shift=40,
        seed=3,
        event=event,
        event_name="workflow_dispatch",
        token=READ_TOKEN,
    )

    assert run.jobs == {JOB: "failure"}, run.tail()
    assert issues(fake.state()) == []
    assert "the token may not write issues. Grant the job `issues: write`." in run.log
    assert "drift in 1 column" in run.summary(JOB)
    doc = json.loads((run.artifact("mlci-monitor") / "monitor.json").read_text())
    assert (doc["release"]["how"], doc["run"]["event"]) == ("given", "workflow_dispatch")
    assert doc["release"]["commit"] == templates.repo.origin_rev("refs/tags/v1.0.0")
