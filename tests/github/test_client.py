"""The retry policy and the client, through real PyGithub against the fake (fake sleep)."""

from __future__ import annotations

import re

import pytest
from github.GithubException import GithubException

from mlci.github.client import (
    BAD_CREDENTIALS,
    GitHubError,
    ReadOnlyToken,
    RetryPolicy,
    classify,
    make_github,
    redact,
)
from tests.helpers.fake_github import FakeGitHub
from tests.helpers.github import HEAD, PR, READ_TOKEN, REPO, Sleeps


def requests_to(fake: FakeGitHub, pattern: str) -> list[tuple[str, int]]:
    log = fake.snapshot()["requests"]
    return [(r["method"], r["status"]) for r in log if re.search(pattern, r["path"])]


def test_reads_5xx_are_retried_with_jittered_exponential_backoff(fake, make_client, sleeps):
    fake.add_faults({"method": "GET", "path": r"/pulls/7$", "status": 503, "count": 3})

    pull = make_client().pull_request(PR)

    assert pull.head_sha == HEAD and pull.head_repo == REPO and pull.base_ref == "main"
    assert requests_to(fake, r"/pulls/7$") == [("GET", 503)] * 3 + [("GET", 200)]
    assert sleeps.waits == [0.375, 0.75, 1.5]  # (b/2 + b/2 * 0.5) for b = 0.5, 1, 2


def test_persistent_5xx_gives_up_after_max_attempts(fake, make_client, sleeps):
    fake.add_faults({"method": "GET", "path": r"/comments", "status": 502, "count": 9})

    with pytest.raises(GitHubError) as e:
        make_client().list_comments(PR)

    assert str(e.value) == (
        "GitHub kept failing while listing the comments of pull request #7: "
        "502 Bad Gateway (5 attempts). Re-run the job later."
    )
    assert len(requests_to(fake, r"/comments")) == 5
    assert sleeps.waits == [0.375, 0.75, 1.5, 3.0]


def test_backoff_is_capped():
    policy = RetryPolicy(rng=lambda: 1.0)
    assert [policy.backoff(n) for n in (1, 2, 5, 6, 20)] == [0.5, 1.0, 8.0, 8.0, 8.0]
    assert RetryPolicy(rng=lambda: 0.0).backoff(20) == 4.0


def test_timeout_on_a_get_is_retried(fake, make_client, make_settings, sleeps):
    fake.add_faults({"method": "GET", "path": r"/pulls/7$", "kind": "timeout", "delay": 1.6})

    pull = make_client(settings=make_settings(timeout=1)).pull_request(PR)

    assert pull.head_sha == HEAD
    assert requests_to(fake, r"/pulls/7$") == [("GET", None), ("GET", 200)]  # first: no answer
    assert sleeps.waits == [0.375]


def test_primary_rate_limit_waits_until_reset(fake, make_client, sleeps):
    fake.add_faults({"method": "GET", "path": r"/pulls/7$", "kind": "primary_rate_limit"})

    assert make_client().pull_request(PR).head_sha == HEAD

    [wait] = sleeps.waits
    assert 0.9 <= wait <= 2.1  # until X-RateLimit-Reset (1 s away) plus 1 s of clock skew
    assert requests_to(fake, r"/pulls/7$") == [("GET", 403), ("GET", 200)]


def test_secondary_rate_limit_honours_retry_after(fake, make_client, sleeps):
    fault = {"path": r"/pulls/7$", "kind": "secondary_rate_limit", "retry_after": 7}
    fake.add_faults({"method": "GET", **fault})

    assert make_client().pull_request(PR).head_sha == HEAD
    assert sleeps.waits == [7.0]


def test_secondary_rate_limit_without_retry_after_waits_a_minute(fake, make_client, sleeps):
    fake.add_faults({"method": "GET", "path": r"/pulls/7$", "kind": "secondary_rate_limit"})

    assert make_client().pull_request(PR).head_sha == HEAD
    assert sleeps.waits == [60.0]


def test_repeated_secondary_rate_limit_backs_off_beyond_the_cap(fake, make_client, sleeps):
    fault = {"method": "GET", "path": r"/pulls/7$", "kind": "secondary_rate_limit", "count": 2}
    fake.add_faults(fault)

    with pytest.raises(GitHubError) as e:
        make_client().pull_request(PR)

    assert str(e.value) == (
        "GitHub API rate limit: would have to wait 120 s (more than the 60 s cap). "
        "Re-run the job later."
    )
    assert sleeps.waits == [60.0]


def test_429_with_retry_after(fake, make_client, sleeps):
    fault = {"method": "GET", "path": r"/pulls/7$", "kind": "too_many_requests", "retry_after": 3}
    fake.add_faults(fault)

    assert make_client().pull_request(PR).head_sha == HEAD
    assert requests_to(fake, r"/pulls/7$") == [("GET", 429), ("GET", 200)]
    assert sleeps.waits == [3.0]


def test_rate_limit_over_the_cap_is_a_clear_error(fake, make_client, sleeps):
    fault = {"path": r"/pulls/7$", "kind": "secondary_rate_limit", "retry_after": 3600}
    fake.add_faults({"method": "GET", **fault})

    with pytest.raises(GitHubError) as e:
        make_client().pull_request(PR)

    assert str(e.value) == (
        "GitHub API rate limit: would have to wait 3600 s (more than the 60 s cap). "
        "Re-run the job later."
    )
    assert sleeps.waits == []


def test_primary_rate_limit_far_away_is_a_clear_error(fake, make_client, sleeps):
    fault = {"method": "GET", "path": r"/pulls/7$", "kind": "primary_rate_limit", "reset_in": 900}
    fake.add_faults(fault)

    with pytest.raises(GitHubError, match=r"^GitHub API rate limit: would have to wait 90\d s "):
        make_client(max_wait_total=120).pull_request(PR)
    assert sleeps.waits == []


def test_401_fails_fast_with_one_request(fake, make_client, sleeps):
    with pytest.raises(GitHubError) as e:
        make_client("tok-nobody-knows-this").pull_request(PR)

    assert str(e.value) == BAD_CREDENTIALS
    assert str(e.value) == (
        "GitHub rejected the token (401 Bad credentials). Check the `github-token` input."
    )
    assert [(r["method"], r["status"]) for r in fake.snapshot()["requests"]] == [("GET", 401)]
    assert sleeps.waits == []


def test_injected_401_fails_fast(fake, make_client):
    fake.add_faults({"method": "GET", "path": r"/comments", "kind": "bad_credentials"})

    with pytest.raises(GitHubError, match=re.escape(BAD_CREDENTIALS)):
        make_client().list_comments(PR)
    assert len(requests_to(fake, r"/comments")) == 1


def test_read_only_token_write_raises_read_only_token(fake, make_client, sleeps):
    client = make_client(READ_TOKEN)

    with pytest.raises(ReadOnlyToken) as e:
        client.create_comment(PR, "hello", landed=lambda: None)

    assert str(e.value) == (
        "GitHub refused posting the comment on pull request #7: the token is read-only "
        "(403 Resource not accessible by integration)."
    )
    assert requests_to(fake, r"/comments") == [("POST", 403)]
    assert sleeps.waits == []


def test_installation_token_cannot_read_user_so_identity_is_the_bot(fake, make_client):
    assert make_client(READ_TOKEN).identity() == "github-actions[bot]"
    assert requests_to(fake, r"^/user$") == [("GET", 403)]


def test_404_names_the_repository_setting(fake, make_client):
    with pytest.raises(GitHubError) as e:
        make_client().pull_request(99)

    assert str(e.value) == (
        "GitHub rejected reading pull request #99: 404 Not Found "
        "(check GITHUB_REPOSITORY and that the token can see the repository)."
    )


def test_status_post_that_landed_is_not_repeated(fake, make_client):
    fake.add_faults({"method": "POST", "path": r"/statuses/", "kind": "after", "status": 500})

    make_client().create_status(
        HEAD, "success", context="mlci/x", description="fine", target_url=None
    )

    assert [(s["state"], s["context"]) for s in fake.snapshot()["statuses"]] == [
        ("success", "mlci/x")
    ]
    assert [m for m, _ in requests_to(fake, r"statuses")] == ["POST", "GET"]


def test_status_post_that_did_not_land_is_repeated(fake, make_client):
    fake.add_faults({"method": "POST", "path": r"/statuses/", "status": 503})

    make_client().create_status(
        HEAD, "failure", context="mlci/x", description="no", target_url=None
    )

    assert len(fake.snapshot()["statuses"]) == 1
    assert requests_to(fake, r"statuses") == [("POST", 503), ("GET", 200), ("POST", 201)]


def test_post_is_never_blindly_retried():
    calls: list[int] = []

    def post() -> str:
        calls.append(1)
        raise GithubException(502, {"message": "Server Error"}, {})

    with pytest.raises(GitHubError) as e:
        RetryPolicy(sleep=Sleeps()).call(post, kind="post", what="posting X")

    assert calls == [1]
    assert str(e.value) == (
        "GitHub failed while posting X (502 Server Error); mlci does not repeat a write it "
        "cannot check. Re-run the job."
    )


def test_post_is_repeated_only_when_landed_says_no():
    attempts: list[str] = []

    def post() -> str:
        attempts.append("post")
        if len(attempts) == 1:
            raise GithubException(500, {"message": "Server Error"}, {})
        return "created"

    def landed() -> str | None:
        attempts.append("check")
        return None

    assert RetryPolicy(sleep=Sleeps()).call(post, kind="post", landed=landed) == "created"
    assert attempts == ["post", "check", "post"]


def test_unrelated_exceptions_propagate_untouched():
    def broken() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        RetryPolicy(sleep=Sleeps()).call(broken)
    assert classify(KeyError("x")) is None


def test_redact_hides_the_token_and_token_shaped_strings():
    token = "ghp_" + "x1" * 18
    assert redact(f"bad {token} and s3cr3t", ["s3cr3t"]) == "bad *** and ***"
    assert redact("github_pat_" + "A" * 30) == "***"
    assert redact("nothing here", [""]) == "nothing here"


def test_exception_messages_are_redacted(fake, make_client, make_settings):
    # A server echoing the token in an error message must not put it on the user's screen.
    settings = make_settings()
    policy = RetryPolicy(sleep=Sleeps(), secrets=(settings.token,))

    def echo() -> None:
        raise GithubException(422, {"message": f"token {settings.token} is odd"}, {})

    with pytest.raises(GitHubError) as e:
        policy.call(echo, what="doing X")
    assert settings.token not in str(e.value)
    assert str(e.value) == "GitHub rejected doing X: 422 token *** is odd."


def test_make_github_disables_pygithub_retries_and_spacing(make_settings):
    gh = make_github(make_settings())
    requester = gh.requester
    assert requester.per_page == 100
    assert requester._Requester__retry is None
    assert requester._Requester__seconds_between_requests is None
    assert requester._Requester__seconds_between_writes is None
    assert requester.is_lazy
    gh.close()


def test_ghes_api_url_works(fake, make_client, make_settings):
    client = make_client(settings=make_settings(ghes=True))

    assert client.pull_request(PR).head_sha == HEAD
    comment = client.create_comment(PR, "hello", landed=lambda: None)
    assert comment.body == "hello"
    assert requests_to(fake, r"comments") == [("POST", 201)]
    assert fake.snapshot()["requests"][-1]["path"] == f"/api/v3/repos/{REPO}/issues/{PR}/comments"
