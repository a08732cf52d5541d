"""The sticky comment, the status and publish(), through real PyGithub against the fake.

Every test asserts the final state held by the fake (comments, statuses, request log).
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace as changed
from typing import Any

import pytest

from mlci.github.client import GitHubClient, GitHubError, ReadOnlyToken
from mlci.github.event import EventPlan
from mlci.github.publish import (
    READ_ONLY_MESSAGE,
    CommentOutcome,
    commit_line,
    compose_body,
    publish,
    read_only_message,
    start,
    upsert_comment,
)
from mlci.github.settings import Settings
from mlci.report.markdown import marker, render_comment
from mlci.results import BaselineInfo, CheckResult, MetricComparison, Report
from tests.helpers.fake_github import FakeGitHub
from tests.helpers.github import (
    BOT_TOKEN,
    HEAD,
    NAME,
    OTHER_TOKEN,
    PR,
    READ_TOKEN,
    REPO,
    RUN,
    WRITE_TOKEN,
)

MARK = marker(NAME)
PLAN = EventPlan("pull_request", "pull_request", HEAD, f"refs/pull/{PR}/merge", pr_number=PR)


def ours(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in fake.snapshot()["comments"] if MARK in c["body"]]


def writes(fake: FakeGitHub) -> list[tuple[str, str, int]]:
    requests = fake.snapshot()["requests"]
    return [(r["method"], r["path"], r["status"]) for r in requests if r["method"] != "GET"]


def upsert(client: GitHubClient, body: str, *, run_id: str = RUN, head_sha: str = HEAD) -> Any:
    return upsert_comment(
        client, PR, NAME, body, head_sha=head_sha, run_id=run_id, identity=client.identity()
    )


def report(text: str) -> str:
    return f"{MARK}\n### ✅ mlci · {NAME}\n{text}\n"


# -- the sticky comment ---------------------------------------------------------------------


def test_first_run_creates_exactly_one_comment(fake, make_client):
    outcome = upsert(make_client(), report("first"))

    [comment] = ours(fake)
    assert comment["body"] == compose_body(NAME, report("first"), head_sha=HEAD, run_id=RUN)
    assert comment["body"].endswith(f"{commit_line(HEAD, RUN)}\n")
    assert comment["login"] == "mlci-user"
    assert outcome == CommentOutcome(
        f"{fake.url}/{REPO}/pull/{PR}#issuecomment-{comment['id']}", "created"
    )


def test_second_run_with_new_body_edits_the_same_comment(fake, make_client):
    client = make_client()
    first = upsert(client, report("first"))
    second = upsert(client, report("second"), run_id="1002")

    [comment] = ours(fake)
    assert "second" in comment["body"] and "run=1002" in comment["body"]
    assert comment["edits"] == 1
    assert second == CommentOutcome(first.url, "updated")


def test_unchanged_body_makes_no_write(fake, make_client):
    client = make_client()
    upsert(client, report("same"))
    before = writes(fake)
    again = upsert(client, report("same"))
    rerun = upsert(client, report("same"), run_id="1002")  # a new run, same report, same commit

    assert writes(fake) == before
    assert again.action == rerun.action == "unchanged"
    assert len(ours(fake)) == 1


def test_marker_is_added_when_the_body_lacks_it(fake, make_client):
    upsert(make_client(), "no marker here")

    [comment] = ours(fake)
    assert comment["body"].startswith(f"{MARK}\nno marker here\n")


def test_found_after_250_unrelated_comments(fake, make_client):
    for i in range(250):
        fake.seed_comment(REPO, PR, f"comment {i}", "someone-else")
    client = make_client()
    upsert(client, report("first"))
    outcome = upsert(client, report("second"), run_id="1002")

    assert outcome.action == "updated"
    [comment] = ours(fake)
    assert "second" in comment["body"]
    pages = [r["path"] for r in fake.snapshot()["requests"] if "page=3" in r["path"]]
    assert pages, "the third page of comments was never read"
    assert len(fake.snapshot()["comments"]) == 251


def test_comment_by_another_user_with_our_marker_is_ignored(fake, make_client):
    forged = fake.seed_comment(REPO, PR, report("forged by someone else"), "someone-else")

    outcome = upsert(make_client(), report("real"))

    comments = {c["id"]: c for c in ours(fake)}
    assert comments[forged]["body"] == report("forged by someone else")
    assert comments[forged]["edits"] == 0
    assert [c["login"] for c in comments.values()] == ["someone-else", "mlci-user"]
    assert outcome.action == "created"


def test_another_configs_comment_is_left_alone(fake, make_client):
    other = compose_body("churn-model-v2", "other config", head_sha=HEAD, run_id=RUN)
    other_id = fake.seed_comment(REPO, PR, other, "mlci-user")

    upsert(make_client(), report("mine"))

    comments = {c["id"]: c for c in fake.snapshot()["comments"]}
    assert comments[other_id]["body"] == other
    assert len(comments) == 2


def test_duplicates_are_reduced_to_the_oldest(fake, make_client):
    oldest = fake.seed_comment(REPO, PR, report("copy 1"), "mlci-user")
    fake.seed_comment(REPO, PR, report("copy 2"), "mlci-user")
    fake.seed_comment(REPO, PR, report("copy 3"), "mlci-user")

    outcome = upsert(make_client(), report("new"))

    [comment] = ours(fake)
    assert comment["id"] == oldest
    assert "new" in comment["body"]
    assert outcome.action == "updated"


def test_installation_token_identity_is_github_actions_bot(fake, make_client):
    client = make_client(BOT_TOKEN)
    assert client.identity() == "github-actions[bot]"
    upsert(client, report("first"))
    upsert(client, report("second"), run_id="1002")

    [comment] = ours(fake)
    assert comment["login"] == "github-actions[bot]"
    assert "second" in comment["body"]


def test_identity_override_from_settings(fake, make_client, make_settings):
    fake.seed_comment(REPO, PR, report("posted by the app"), "my-app[bot]")
    client = make_client(settings=make_settings(identity="my-app[bot]"))

    assert client.identity() == "my-app[bot]"
    assert not any(r["path"] == "/user" for r in fake.snapshot()["requests"])
    outcome = upsert(client, report("new"))
    [comment] = ours(fake)
    assert comment["login"] == "my-app[bot]" and "new" in comment["body"]
    assert outcome.action == "updated"


# -- robustness ---------------------------------------------------------------------------


def test_5xx_on_patch_then_success_updates_one_comment(fake, make_client, sleeps):
    client = make_client()
    upsert(client, report("first"))
    fake.add_faults({"method": "PATCH", "path": r"/issues/comments/\d+$", "status": 502})

    outcome = upsert(client, report("second"), run_id="1002")

    [comment] = ours(fake)
    assert "second" in comment["body"]
    assert [w[0:3:2] for w in writes(fake) if w[0] == "PATCH"] == [("PATCH", 502), ("PATCH", 200)]
    assert outcome.action == "updated"
    assert sleeps.waits == [0.375]


def test_502_after_the_post_landed_leaves_exactly_one_comment(fake, make_client):
    fake.add_faults({"method": "POST", "path": r"/issues/\d+/comments$", "kind": "after"})

    outcome = upsert(make_client(), report("first"))

    [comment] = ours(fake)
    posts = [w for w in writes(fake) if w[0] == "POST"]
    assert [status for _, _, status in posts] == [502]  # detected by re-reading: no second POST
    assert outcome == CommentOutcome(
        f"{fake.url}/{REPO}/pull/{PR}#issuecomment-{comment['id']}", "created"
    )


def test_500_before_the_post_is_retried_after_checking(fake, make_client):
    fake.add_faults({"method": "POST", "path": r"/issues/\d+/comments$", "status": 500})

    upsert(make_client(), report("first"))

    assert len(ours(fake)) == 1
    log = [(r["method"], r["status"]) for r in fake.snapshot()["requests"]]
    first_post = log.index(("POST", 500))
    assert log[first_post + 1] == ("GET", 200)  # the check before posting again
    assert ("POST", 201) in log[first_post + 2 :]


def test_post_that_timed_out_but_landed_is_not_repeated(fake, make_client, make_settings):
    fake.add_faults(
        {"method": "POST", "path": r"/comments$", "kind": "timeout", "delay": 1.6, "apply": True}
    )
    client = make_client(settings=make_settings(timeout=1))

    upsert(client, report("first"))

    assert len(ours(fake)) == 1
    assert [w[0] for w in writes(fake)] == ["POST"]


def test_comment_too_long_is_a_clear_error(fake, make_client):
    with pytest.raises(GitHubError) as e:
        upsert(make_client(), report("x" * 70_000))

    assert str(e.value) == (
        "GitHub rejected posting the comment on pull request #7: "
        "422 Validation Failed: body is too long (maximum is 65536 characters)."
    )
    assert ours(fake) == []


def test_stale_run_does_not_overwrite_a_newer_head(fake, make_client):
    client = make_client()
    upsert(client, report("old head"))
    fake.move_head(REPO, PR, "b" * 40)
    before = writes(fake)

    outcome = upsert(client, report("late result for the old head"), run_id="1000")

    assert outcome == CommentOutcome(None, "skipped_stale")
    assert writes(fake) == before
    [comment] = ours(fake)
    assert "old head" in comment["body"]


def test_an_older_run_does_not_overwrite_a_later_runs_report(fake, make_client):
    client = make_client()
    upsert(client, report("from run 1005"), run_id="1005")

    outcome = upsert(client, report("from run 1001"), run_id="1001")

    assert outcome.action == "skipped_stale"
    [comment] = ours(fake)
    assert "from run 1005" in comment["body"]


# -- statuses and publish() ---------------------------------------------------------------


def statuses(fake: FakeGitHub) -> list[tuple[str, str, str]]:
    return [(s["sha"], s["state"], s["description"]) for s in fake.snapshot()["statuses"]]


def run_publish(settings: Settings, client: GitHubClient, **changes: Any) -> Any:
    stdout = io.StringIO()
    arguments: dict[str, Any] = {
        "name": NAME,
        "body": report("the report"),
        "verdict": "pass",
        "summary_markdown": "# summary\n",
        "outputs": {"verdict": "pass"},
        "annotations": ["::warning title=mlci::drift"],
        "stdout": stdout,
        "client": client,
    }
    arguments.update(changes)
    plan = arguments.pop("plan", PLAN)
    result = publish(settings, plan, **arguments)
    return result, stdout.getvalue()


def test_status_goes_pending_then_success(fake, make_settings, make_client):
    settings = make_settings()
    client = make_client(settings=settings)

    assert start(settings, PLAN, NAME, client=client) is True
    assert statuses(fake) == [(HEAD, "pending", "mlci is evaluating…")]
    result, _ = run_publish(settings, client, description="all 4 gates passed")

    assert statuses(fake)[-1] == (HEAD, "success", "all 4 gates passed")
    [status] = [s for s in fake.snapshot()["statuses"] if s["state"] == "success"]
    assert status["context"] == f"mlci/{NAME}"
    assert status["target_url"] == result.comment_url
    assert result.status == "success"


def test_failure_status_description_is_clipped_to_140(fake, make_settings, make_client):
    settings = make_settings()
    long = "roc_auc regressed by 0.007 " * 20

    result, _ = run_publish(
        settings, make_client(settings=settings), verdict="fail", description=long
    )

    [(sha, state, description)] = statuses(fake)
    assert (sha, state, result.status) == (HEAD, "failure", "failure")
    assert len(description) == 140 and description.endswith("…")
    assert long.startswith(description[:-1])


def test_publish_on_a_pull_request_writes_everything(fake, make_settings, make_client):
    settings = make_settings()

    result, out = run_publish(settings, make_client(settings=settings))

    [comment] = ours(fake)
    assert result.comment_url == f"{fake.url}/{REPO}/pull/{PR}#issuecomment-{comment['id']}"
    assert settings.step_summary.read_text() == "# summary\n"
    output = settings.output.read_text()
    assert "verdict<<ghadelimiter_" in output and f"\n{result.comment_url}\n" in output
    assert out == "::warning title=mlci::drift\n"
    assert not result.degraded and result.message is None


def test_push_to_default_branch_sets_a_status_but_no_comment(fake, make_settings, make_client):
    settings = make_settings(event_name="push", ref="refs/heads/main", sha="c" * 40)
    plan = EventPlan("push_default", "push", "c" * 40, "refs/heads/main", branch="main")

    result, _ = run_publish(settings, make_client(settings=settings), plan=plan)

    assert ours(fake) == []
    assert statuses(fake) == [("c" * 40, "success", "mlci: passed")]
    assert result.comment is None
    [status] = fake.snapshot()["statuses"]
    assert status["target_url"] == f"{fake.url}/{REPO}/actions/runs/{RUN}"


def test_read_only_token_degrades_to_summary_and_outputs(fake, make_settings, make_client):
    settings = make_settings(READ_TOKEN)
    client = make_client(settings=settings)

    assert start(settings, PLAN, NAME, client=client) is False
    result, out = run_publish(settings, client, verdict="fail")

    assert result.degraded and result.message == READ_ONLY_MESSAGE
    assert out.count(READ_ONLY_MESSAGE) == 1
    assert "`pull-requests: write`" in out and "`statuses: write`" in out
    assert "workflows-templates/fork-comment.yml" in out
    assert settings.step_summary.read_text() == "# summary\n"
    assert "comment-url<<" in settings.output.read_text()
    assert ours(fake) == [] and statuses(fake) == []
    assert result.comment is None and result.status is None


FORK_STATUS_MESSAGE = (
    f"mlci could not set the commit status mlci/{NAME}: the token is read-only (a pull request "
    "from a fork?). The verdict is in the job summary and the outputs; "
    "workflows-templates/fork-comment.yml posts the comment and sets the status from a "
    "workflow_run job. For a pull request from this repository, grant the job "
    "`statuses: write`."
)
STATUS_MESSAGE = (
    f"mlci could not set the commit status mlci/{NAME}: the token may not write commit "
    "statuses. Grant the job `statuses: write`."
)
COMMENTED_STATUS_MESSAGE = (
    f"mlci posted the PR comment but could not set the commit status mlci/{NAME}: the token "
    "may not write commit statuses. Grant the job `statuses: write`."
)


def test_read_only_token_with_the_comment_off_names_the_status_it_could_not_set(
    fake, make_settings, make_client
):
    # fork-pull-request.yml: `comment: 'false'`, so only the status write is tried and refused
    settings = make_settings(READ_TOKEN)

    result, out = run_publish(settings, make_client(settings=settings), body=None)

    assert result.degraded and result.message == FORK_STATUS_MESSAGE
    assert out.count(FORK_STATUS_MESSAGE) == 1
    assert READ_ONLY_MESSAGE not in out and "PR comment" not in out
    assert writes(fake) == [("POST", f"/repos/{REPO}/statuses/{HEAD}", 403)]
    assert ours(fake) == [] and statuses(fake) == []
    assert "comment-url<<" in settings.output.read_text()


def test_read_only_token_on_a_push_names_the_status_and_the_permission(
    fake, make_settings, make_client
):
    settings = make_settings(READ_TOKEN, event_name="push", ref="refs/heads/main", sha="c" * 40)
    plan = EventPlan("push_default", "push", "c" * 40, "refs/heads/main", branch="main")

    result, out = run_publish(settings, make_client(settings=settings), plan=plan)

    assert result.message == STATUS_MESSAGE
    assert out.count(STATUS_MESSAGE) == 1
    assert statuses(fake) == []


class StatusesRefused(GitHubClient):
    """A token with `pull-requests: write` but not `statuses: write`: GitHub answers the status
    POST with 403 "Resource not accessible by integration", which the client raises as this."""

    def create_status(self, *args: Any, **kwargs: Any) -> None:
        raise ReadOnlyToken(
            "GitHub refused setting the commit status: the token is read-only (403 Resource not "
            "accessible by integration)."
        )


def test_a_refused_status_after_the_comment_says_the_comment_is_there(fake, make_settings):
    settings = make_settings()

    result, out = run_publish(settings, StatusesRefused(settings))

    [comment] = ours(fake)
    assert result.comment is not None and result.comment.action == "created"
    assert result.message == COMMENTED_STATUS_MESSAGE
    assert out.count(COMMENTED_STATUS_MESSAGE) == 1
    assert f"#issuecomment-{comment['id']}" in settings.output.read_text()


@pytest.mark.parametrize(
    ("refused", "pull_request", "requested", "commented", "expected"),
    [
        ("comment", True, True, False, READ_ONLY_MESSAGE),
        ("status", True, False, False, FORK_STATUS_MESSAGE),
        ("status", True, True, True, COMMENTED_STATUS_MESSAGE),
        ("status", True, True, False, STATUS_MESSAGE),  # the comment was stale: not posted
        ("status", False, True, False, STATUS_MESSAGE),  # a push: no comment to post
    ],
)
def test_the_read_only_message_depends_on_what_failed_and_what_was_asked(
    refused, pull_request, requested, commented, expected
):
    message = read_only_message(
        refused,
        context=f"mlci/{NAME}",
        pull_request=pull_request,
        comment_requested=requested,
        commented=commented,
    )
    assert message == expected


def test_a_github_failure_still_leaves_summary_and_outputs(fake, make_settings, make_client):
    settings = make_settings()
    fake.add_faults({"method": "GET", "path": r"/pulls/\d+$", "status": 503, "count": 5})

    with pytest.raises(GitHubError, match=r"^GitHub kept failing while reading pull request #7"):
        run_publish(settings, make_client(settings=settings))

    assert settings.step_summary.read_text() == "# summary\n"
    assert "comment-url<<" in settings.output.read_text()


def test_token_never_leaks(fake, make_settings, make_client, caplog, capsys, sleeps):
    caplog.set_level(logging.DEBUG)
    settings, unknown = make_settings(), make_settings("tok-unknown-31337")
    fake.add_faults(
        [
            {"method": "GET", "path": r"/comments$", "status": 502},
            {"method": "POST", "path": r"/comments$", "kind": "after"},
            {"method": "POST", "path": r"/statuses/", "kind": "secondary_rate_limit"},
        ]
    )
    result, out = run_publish(settings, make_client(settings=settings))
    fake.add_faults({"method": "GET", "path": r"/pulls/", "status": 500})
    with pytest.raises(GitHubError) as gave_up:
        run_publish(settings, make_client(settings=settings, max_attempts=1))
    with pytest.raises(GitHubError) as rejected:
        run_publish(unknown, make_client(settings=unknown))
    captured = capsys.readouterr()
    texts = [out, captured.out, captured.err, caplog.text, repr(settings), repr(result)]
    texts += [str(gave_up.value), repr(gave_up.value), str(rejected.value), repr(rejected.value)]
    texts += [settings.step_summary.read_text(), settings.output.read_text()]
    state = fake.snapshot()

    assert len(ours(fake)) == 1 and sleeps.waits[-1] == 60.0  # the faults were all hit
    assert str(rejected.value).startswith("GitHub rejected the token (401")
    for secret in (WRITE_TOKEN, "tok-unknown-31337"):
        assert not any(secret in text for text in texts)
        assert not any(secret in r["path"] for r in state["requests"])
    assert state["token_leaked"] is False


def test_comment_is_found_by_the_tokens_own_login(fake, make_settings, make_client):
    fake.seed_comment(REPO, PR, report("someone else's"), "someone-else")
    settings = make_settings(OTHER_TOKEN)

    run_publish(settings, make_client(settings=settings), body=report("theirs, updated"))

    assert [c["login"] for c in ours(fake)] == ["someone-else"]
    assert "theirs, updated" in ours(fake)[0]["body"]


@pytest.mark.parametrize("kind", ["other", "tag"])
def test_no_comment_outside_pull_requests(fake, make_settings, make_client, kind):
    settings = make_settings()
    plan = EventPlan(kind, "push", "d" * 40, "refs/tags/v1.0.0", tag="v1.0.0")  # type: ignore[arg-type]

    result, _ = run_publish(settings, make_client(settings=settings), plan=plan)

    assert ours(fake) == [] and result.comment is None
    expected = [("d" * 40, "success", "mlci: passed")] if kind == "tag" else []
    assert statuses(fake) == expected


def test_publish_and_start_build_their_own_client_from_settings(fake, make_settings):
    settings = make_settings(ghes=True)

    assert start(settings, PLAN, NAME) is True
    result, _ = run_publish(settings, None)

    assert result.comment is not None and result.comment.action == "created"
    assert [state for _, state, _ in statuses(fake)] == ["pending", "success"]
    assert all(r["path"].startswith("/api/v3/") for r in fake.snapshot()["requests"])


# -- the marker counts only as the first line, with the author ------------------------------------


def test_a_marker_further_down_is_data_not_ours(fake, make_client):
    # Our own comment for another config, whose data quotes this config's marker (unescaped, as
    # a careless renderer would leave it): neither edited nor deleted, and ours is created.
    quoting = compose_body("churn-model-v2", f"column {MARK}\n{MARK}", head_sha=HEAD, run_id=RUN)
    other = fake.seed_comment(REPO, PR, quoting, "mlci-user")

    first = upsert(make_client(), report("mine"))
    second = upsert(make_client(), report("mine, again"), run_id="1002")

    comments = {c["id"]: c for c in fake.snapshot()["comments"]}
    assert comments[other]["body"] == quoting and comments[other]["edits"] == 0
    assert first.action == "created" and second.action == "updated"
    [mine] = [c for c in comments.values() if c["id"] != other]
    assert mine["body"].startswith(f"{MARK}\n") and "mine, again" in mine["body"]


def test_a_body_that_carries_the_marker_inside_still_gets_it_first(fake, make_client):
    upsert(make_client(), f"### ✅ mlci · {NAME}\nsee {MARK}\n")

    [comment] = fake.snapshot()["comments"]
    assert comment["body"].startswith(f"{MARK}\n### ✅ mlci · {NAME}\nsee {MARK}\n")
    assert upsert(make_client(), f"### ✅ mlci · {NAME}\nsee {MARK}\n").action == "unchanged"


def test_a_forged_commit_line_inside_the_body_does_not_stop_a_later_run(fake, make_client):
    forged = report(f"data {commit_line(HEAD, '999999')}")  # a later run, claimed by data
    upsert(make_client(), forged, run_id="1001")

    outcome = upsert(make_client(), report("the next run"), run_id="1002")

    assert outcome.action == "updated"
    [comment] = ours(fake)
    assert "the next run" in comment["body"]


def test_two_configs_whose_data_carry_each_others_marker_keep_their_own_comments(
    fake, make_settings, make_client
):
    def body(name: str, other: str) -> str:
        hostile = f"<!-- mlci:report name={other} -->"
        examples = (hostile, f"`{hostile}`")
        data = (
            CheckResult("eval", "allowed", hostile, "fail", "error", hostile, examples=examples),
        )
        base = BaselineInfo(None, "none", "main")
        metrics = (MetricComparison(hostile, 0.5, None, True),)
        report_ = Report(name, "fail", HEAD, "refs/pull/7/merge", base, metrics, (), data)
        return render_comment(changed(report_, notes=(hostile,)))

    settings = make_settings()
    for run in ("1001", "1002", "1003"):
        for name, other in (("churn-a", "churn-b"), ("churn-b", "churn-a")):
            run_publish(
                changed(settings, run_id=run),
                make_client(settings=settings),
                name=name,
                body=body(name, other) + f"\nrun {run}\n",
                verdict="fail",
            )

    comments = fake.snapshot()["comments"]
    assert sorted(c["body"].split("\n", 1)[0] for c in comments) == [
        "<!-- mlci:report name=churn-a -->",
        "<!-- mlci:report name=churn-b -->",
    ]
    assert all("run 1003" in c["body"] and c["edits"] == 2 for c in comments)
    assert not [w for w in writes(fake) if w[0] == "DELETE"]
    assert all(c["body"].count("<!--") == 2 for c in comments)  # the marker and the commit line


# -- honest writes ----------------------------------------------------------------------------


def with_footer(text: str, run: str) -> str:
    link = f"https://github.example/{REPO}/actions/runs/{run}#artifacts"
    return f"{report(text)}\n<sub>mlci 0.1.0 · full report: [artifact `mlci-report`]({link})</sub>"


def test_a_rerun_of_the_same_report_writes_nothing_though_its_footer_links_another_run(
    fake, make_settings, make_client
):
    settings = make_settings()
    run_publish(settings, make_client(settings=settings), body=with_footer("same", RUN))
    before = writes(fake)

    rerun = changed(settings, run_id="1002")
    result, _ = run_publish(rerun, make_client(settings=rerun), body=with_footer("same", "1002"))

    assert writes(fake) == before  # neither the comment nor the (identical) status
    assert result.comment is not None and result.comment.action == "unchanged"
    assert result.status == "success"
    [comment] = ours(fake)
    assert f"runs/{RUN}#artifacts" in comment["body"] and f"run={RUN} -->" in comment["body"]
    changed_report = changed(settings, run_id="1003")
    run_publish(
        changed_report, make_client(settings=changed_report), body=with_footer("new", "1003")
    )
    assert "new" in ours(fake)[0]["body"] and ours(fake)[0]["edits"] == 1


def test_a_comment_that_fails_for_good_still_sets_the_final_status(
    fake, make_settings, make_client
):
    settings = make_settings()
    client = make_client(settings=settings)
    start(settings, PLAN, NAME, client=client)
    fake.add_faults({"method": "POST", "path": r"/issues/\d+/comments$", "status": 502, "count": 5})

    with pytest.raises(GitHubError, match=r"^GitHub kept failing while posting the comment"):
        run_publish(settings, client, verdict="fail", description="gate failed: roc_auc")

    assert ours(fake) == []
    assert statuses(fake) == [
        (HEAD, "pending", "mlci is evaluating…"),
        (HEAD, "failure", "gate failed: roc_auc · PR comment failed (see the job log)"),
    ]
    assert "comment-url<<" in settings.output.read_text()
    assert settings.step_summary.read_text() == "# summary\n"


def test_the_comment_failure_survives_clipping_of_a_long_description(
    fake, make_settings, make_client
):
    settings = make_settings()
    fake.add_faults({"method": "GET", "path": r"/pulls/\d+$", "status": 503, "count": 5})

    with pytest.raises(GitHubError):
        run_publish(settings, make_client(settings=settings), description="gate failed: " * 30)

    [(_, state, description)] = statuses(fake)
    assert state == "success" and len(description) == 140
    assert description.endswith("… · PR comment failed (see the job log)")


def test_a_refused_comment_with_a_status_permission_sets_the_status_and_says_so(
    fake, make_settings, make_client
):
    settings = make_settings()
    client = make_client(settings=settings)
    start(settings, PLAN, NAME, client=client)
    fake.add_faults({"method": "POST", "path": r"/issues/\d+/comments$", "kind": "read_only"})

    result, out = run_publish(settings, client, verdict="pass")

    assert ours(fake) == []
    assert statuses(fake)[-1] == (
        HEAD,
        "success",
        "mlci: passed · PR comment failed (see the job log)",
    )
    expected = (
        f"mlci set the commit status mlci/{NAME} but could not post the PR comment: the token "
        "may not write pull request comments. Grant the job `pull-requests: write`."
    )
    assert result.message == expected and out.count(expected) == 1
    assert result.degraded and result.status == "success"


def test_a_read_only_token_tries_the_status_after_the_refused_comment(
    fake, make_settings, make_client
):
    settings = make_settings(READ_TOKEN)

    result, _ = run_publish(settings, make_client(settings=settings))

    assert [w[0:3:2] for w in writes(fake)] == [("POST", 403), ("POST", 403)]
    assert result.message == READ_ONLY_MESSAGE and result.status is None
