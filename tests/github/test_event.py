"""plan_for_event: the event classified from plain values; load_event reads the payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlci.errors import MlciError
from mlci.github.event import EventPlan, load_event, plan_for_event, stores_record
from mlci.github.settings import Settings

HEAD = "a" * 40
MERGE = "m" * 40


def pr_payload(*, head_repo: str | None = "octo/widgets", number: int = 7) -> dict:
    head_repo_json = None if head_repo is None else {"full_name": head_repo}
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": HEAD, "ref": "feature", "repo": head_repo_json},
            "base": {"sha": "b" * 40, "ref": "main", "repo": {"full_name": "octo/widgets"}},
        },
        "repository": {"full_name": "octo/widgets", "default_branch": "main"},
    }


def test_pull_request_uses_the_head_sha_not_the_merge_commit():
    plan = plan_for_event("pull_request", "refs/pull/7/merge", MERGE, pr_payload())

    assert plan == EventPlan(
        "pull_request",
        event_name="pull_request",
        head_sha=HEAD,
        ref="refs/pull/7/merge",
        pr_number=7,
        base_ref="main",
        head_ref="feature",
        is_fork=False,
        default_branch="main",
    )
    assert plan.head_sha != MERGE


def test_pull_request_target_is_a_pull_request():
    plan = plan_for_event("pull_request_target", "refs/heads/main", MERGE, pr_payload())
    assert (plan.kind, plan.head_sha) == ("pull_request", HEAD)


@pytest.mark.parametrize("head_repo", ["someone/widgets", None])  # None: the fork was deleted
def test_fork_pull_request(head_repo):
    plan = plan_for_event(
        "pull_request", "refs/pull/7/merge", MERGE, pr_payload(head_repo=head_repo)
    )
    assert plan.is_fork and plan.kind == "pull_request"


def test_push_to_the_default_branch():
    payload = {"repository": {"default_branch": "trunk"}}
    plan = plan_for_event("push", "refs/heads/trunk", "c" * 40, payload)
    assert (plan.kind, plan.branch, plan.head_sha, plan.default_branch) == (
        "push_default",
        "trunk",
        "c" * 40,
        "trunk",
    )


def test_explicit_default_branch_wins_over_the_payload():
    payload = {"repository": {"default_branch": "trunk"}}
    assert plan_for_event("push", "refs/heads/trunk", "c", payload, "main").kind == "push_other"
    assert plan_for_event("push", "refs/heads/main", "c", payload, "main").kind == "push_default"


def test_push_of_a_tag():
    plan = plan_for_event("push", "refs/tags/v1.4.0", "d" * 40, {})
    assert (plan.kind, plan.tag, plan.head_sha, plan.branch) == ("tag", "v1.4.0", "d" * 40, None)


def test_push_to_another_branch():
    plan = plan_for_event("push", "refs/heads/feature/x", "e" * 40, pr_payload())
    assert (plan.kind, plan.branch) == ("push_other", "feature/x")


@pytest.mark.parametrize(
    ("event", "ref"),
    [
        ("workflow_dispatch", "refs/heads/main"),
        ("schedule", "refs/heads/main"),
        ("workflow_run", "refs/heads/main"),
        ("release", "refs/tags/v1.0.0"),
    ],
)
def test_other_events(event, ref):
    plan = plan_for_event(event, ref, "f" * 40, {"repository": {"default_branch": "main"}})
    assert (plan.kind, plan.head_sha, plan.pr_number) == ("other", "f" * 40, None)


def test_pull_request_payload_without_head_sha_is_an_error():
    with pytest.raises(MlciError) as e:
        plan_for_event("pull_request", "refs/pull/7/merge", MERGE, {"number": 7})
    assert str(e.value) == (
        "The pull_request event payload has no pull_request.head.sha: "
        "GITHUB_EVENT_PATH must be the payload GitHub Actions wrote for this event."
    )


def settings_with(path: Path | None) -> Settings:
    return Settings(token="t", repository="o/r", event_path=path)


def test_load_event(tmp_path):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(pr_payload()))
    assert load_event(settings_with(path)) == pr_payload()


def test_load_event_errors(tmp_path):
    with pytest.raises(MlciError, match=r"^GITHUB_EVENT_PATH is not set"):
        load_event(settings_with(None))
    missing = tmp_path / "missing.json"
    with pytest.raises(MlciError) as e:
        load_event(settings_with(missing))
    assert str(e.value) == f"GITHUB_EVENT_PATH points to {missing}, which does not exist."
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(
        MlciError, match=r"^GITHUB_EVENT_PATH \(.*bad.json\) is not a readable JSON"
    ):
        load_event(settings_with(bad))
    bad.write_text("[1, 2]")
    with pytest.raises(MlciError, match=r"must hold a JSON object"):
        load_event(settings_with(bad))


@pytest.mark.parametrize(
    ("event_name", "ref", "baseline", "stores"),
    [
        ("push", "refs/heads/main", "main", True),
        ("push", "refs/heads/trunk", "trunk", True),
        ("push", "refs/heads/main", "trunk", False),
        ("push", "refs/heads/feature", "main", False),
        ("push", "refs/heads/main/x", "main", False),
        ("push", "refs/tags/main", "main", False),
        ("push", "refs/tags/v1.0.0", "main", False),
        ("push", "main", "main", False),
        # a pull request never stores, whatever its head branch is called
        ("pull_request", "refs/pull/7/merge", "main", False),
        ("pull_request_target", "refs/heads/main", "main", False),  # runs on the base branch
        ("pull_request", "refs/heads/main", "main", False),
        # other events on the baseline branch do not store either
        ("workflow_run", "refs/heads/main", "main", False),
        ("workflow_dispatch", "refs/heads/main", "main", False),
        ("schedule", "refs/heads/main", "main", False),
        ("merge_group", "refs/heads/gh-readonly-queue/main/pr-7-abc", "main", False),
        ("", "refs/heads/main", "main", False),
    ],
)
def test_only_a_push_to_the_baseline_branch_stores_a_record(event_name, ref, baseline, stores):
    assert stores_record(event_name, ref, baseline) is stores
