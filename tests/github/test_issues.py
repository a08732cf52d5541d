"""The sticky monitoring issue through the real PyGithub client against the API fake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mlci.github.client import GitHubError, ReadOnlyToken, RetryPolicy
from mlci.github.issues import (
    IssueClient,
    compose_issue_body,
    issue_marker,
    plain_title,
    sync_issue,
)
from mlci.github.settings import Settings
from tests.helpers.github import NAME, OTHER_TOKEN, PR, READ_TOKEN, REPO, WRITE_TOKEN, Sleeps

IDENTITY = "mlci-user"  # the login of WRITE_TOKEN in the fake
MARKER = issue_marker(NAME)


@pytest.fixture
def make_issue_client(
    make_settings: Callable[..., Settings], sleeps: Sleeps
) -> Callable[..., IssueClient]:
    def make(token: str = WRITE_TOKEN) -> IssueClient:
        return IssueClient(make_settings(token), retry=RetryPolicy(sleep=sleeps, rng=lambda: 0.5))

    return make


def sync(client: IssueClient, alert: bool, body: str = "drift in `tenure`", **kw: Any) -> Any:
    return sync_issue(
        client,
        NAME,
        alert=alert,
        title=kw.pop("title", f"mlci monitor: {NAME} — drift in tenure"),
        body=body,
        closing_note=kw.pop("closing_note", "Resolved: the run of today is clean."),
        identity=kw.pop("identity", IDENTITY),
        **kw,
    )


def issues(fake: Any) -> list[dict[str, Any]]:
    return list(fake.snapshot()["issues"])


def comments(fake: Any, number: int) -> list[str]:
    return [c["body"] for c in fake.snapshot()["comments"] if c["number"] == number]


def writes(fake: Any) -> list[str]:
    return [
        f"{r['method']} {r['path'].split('?')[0]}"
        for r in fake.snapshot()["requests"]
        if r["method"] != "GET"
    ]


def test_an_alert_opens_one_issue_later_alerts_update_it_and_a_clean_run_closes_it(
    fake, make_issue_client
):
    client = make_issue_client()

    opened = sync(client, True, labels=["mlci-monitor"])

    [issue] = issues(fake)
    assert (opened.action, opened.number) == ("opened", issue["number"])
    assert opened.url.endswith(f"/{REPO}/issues/{issue['number']}")
    assert issue["body"].startswith(MARKER + "\n")
    assert "drift in `tenure`" in issue["body"]
    assert issue["labels"] == ["mlci-monitor"] and issue["login"] == IDENTITY

    assert sync(client, True).action == "unchanged"
    updated = sync(client, True, body="drift in `tenure` and `plan`")
    assert (updated.action, updated.number) == ("updated", issue["number"])
    [issue] = issues(fake)
    assert "`plan`" in issue["body"] and issue["edits"] == 1

    closed = sync(client, False)

    [issue] = issues(fake)
    assert (closed.action, closed.number) == ("closed", issue["number"])
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert comments(fake, issue["number"]) == ["Resolved: the run of today is clean."]
    assert writes(fake).count(f"POST /repos/{REPO}/issues") == 1
    assert sync(client, False).action == "none"  # nothing open: nothing to do


def test_a_new_alert_after_the_issue_closed_opens_a_new_one(fake, make_issue_client):
    client = make_issue_client()
    first = sync(client, True)
    sync(client, False)

    again = sync(client, True)

    assert again.action == "opened" and again.number != first.number
    assert [i["state"] for i in issues(fake)] == ["closed", "open"]


def test_only_an_issue_by_us_with_the_marker_first_is_ours(fake, make_issue_client):
    other = fake.seed_issue(REPO, "copied", f"{MARKER}\nnot by mlci", "someone-else")
    quoted = fake.seed_issue(REPO, "quoted", f"see\n{MARKER}\n", IDENTITY)
    other_config = fake.seed_issue(REPO, "x", f"{issue_marker('other-model')}\nbody", IDENTITY)

    opened = sync(make_issue_client(), True)

    assert opened.action == "opened"
    assert opened.number not in (other, quoted, other_config, PR)
    assert [i["state"] for i in issues(fake)] == ["open"] * 4


def test_a_clean_run_never_closes_an_issue_that_is_not_ours(fake, make_issue_client):
    theirs = fake.seed_issue(REPO, "copied", f"{MARKER}\nnot by mlci", "someone-else")

    assert sync(make_issue_client(), False).action == "none"

    assert [(i["number"], i["state"]) for i in issues(fake)] == [(theirs, "open")]


def test_duplicates_left_by_a_race_are_closed_as_duplicates_of_the_oldest(fake, make_issue_client):
    first = fake.seed_issue(REPO, "a", f"{MARKER}\nold", IDENTITY)
    second = fake.seed_issue(REPO, "b", f"{MARKER}\nolder run", IDENTITY)

    outcome = sync(make_issue_client(), True)

    assert (outcome.action, outcome.number) == ("updated", first)
    states = {i["number"]: (i["state"], i["state_reason"]) for i in issues(fake)}
    assert states == {first: ("open", None), second: ("closed", "not_planned")}
    assert comments(fake, second) == [f"Closed by mlci: duplicate of #{first}."]


def test_a_post_that_landed_but_answered_502_is_not_repeated(fake, make_issue_client):
    fake.add_faults({"method": "POST", "path": rf"^/repos/{REPO}/issues$", "kind": "after"})

    outcome = sync(make_issue_client(), True)

    assert outcome.action == "opened"
    assert len(issues(fake)) == 1
    assert writes(fake).count(f"POST /repos/{REPO}/issues") == 1


def test_5xx_and_rate_limits_are_retried(fake, make_issue_client, sleeps):
    fake.add_faults(
        [
            {"method": "GET", "path": rf"^/repos/{REPO}/issues$", "status": 502},
            {"method": "PATCH", "path": r"/issues/\d+$", "kind": "secondary_rate_limit"},
        ]
    )
    client = make_issue_client()
    sync(client, True)
    assert sync(client, True, body="changed").action == "updated"
    assert len(sleeps.waits) == 2


def test_a_read_only_token_raises_read_only(fake, make_issue_client):
    with pytest.raises(ReadOnlyToken, match="opening the monitoring issue"):
        sync(make_issue_client(READ_TOKEN), True)
    assert issues(fake) == []


def test_another_users_token_does_not_see_our_issue_as_its_own(fake, make_issue_client):
    mine = sync(make_issue_client(), True)
    theirs = sync(make_issue_client(OTHER_TOKEN), True, identity="someone-else")
    assert theirs.number != mine.number


def test_failures_name_the_call(fake, make_issue_client):
    fake.add_faults(
        {"method": "GET", "path": rf"^/repos/{REPO}/issues$", "status": 500, "count": 9}
    )
    with pytest.raises(GitHubError, match="listing the open issues"):
        sync(make_issue_client(), True)


def test_the_marker_is_the_first_line_and_titles_are_inert() -> None:
    body = compose_issue_body(NAME, "### ❌ drift\n")
    assert body.split("\n")[0] == MARKER
    assert compose_issue_body(NAME, body) == body  # not added twice
    assert len(compose_issue_body(NAME, "x" * 100_000)) <= 65_536
    title = plain_title("drift in @octo/team and #12\u202e\nmore\x00")
    assert "@octo" not in title and "#12" not in title and "\u202e" not in title
    assert "\n" not in title and "\x00" not in title
    assert len(plain_title("y" * 400)) == 256
    assert issue_marker("a b/c") == "<!-- mlci:monitor name=a_b_c -->"
