"""The GitHub API client mlci uses, and the retry policy that makes it robust.

PyGithub's own retry is disabled (``retry=None``) so what happens on a 5xx, a timeout or a rate
limit is decided here, by :class:`RetryPolicy`, and is testable with an injected ``sleep``:

- reads and idempotent writes (PATCH, DELETE) are retried on 5xx, connection errors and
  timeouts with jittered exponential backoff;
- a POST is never blindly retried: the caller passes ``landed()``, a re-read that finds the
  write if it did land, and the POST is repeated only when it did not;
- rate limits are waited out (primary: until ``X-RateLimit-Reset``; secondary: ``Retry-After``,
  or at least 60 s) as long as the total wait stays under ``max_wait_total``;
- 401 fails fast; a 403 "Resource not accessible by ..." raises :class:`ReadOnlyToken`.

Every message derived from an exception goes through :func:`redact`.
"""

from __future__ import annotations

import contextlib
import math
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from mlci import __version__
from mlci.errors import MlciError
from mlci.github.settings import Settings

if TYPE_CHECKING:
    import github  # PyGithub: heavy (~0.2 s), imported only when GitHub is called

T = TypeVar("T")
CallKind = Literal["read", "idempotent_write", "post"]
FailureKind = Literal["retry", "rate_limit", "read_only", "bad_credentials", "fatal"]

BOT_IDENTITY = "github-actions[bot]"
BAD_CREDENTIALS = "GitHub rejected the token (401 Bad credentials). Check the `github-token` input."
_TOKEN_PATTERN = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b")


class GitHubError(MlciError):
    """A GitHub API call failed in a way mlci cannot fix by retrying."""


class ReadOnlyToken(GitHubError):
    """The token may read but not write (GitHub's 403 "Resource not accessible by ...").

    The usual cause is a pull request from a fork; publishing degrades to the job summary.
    """


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret, and anything shaped like a GitHub token, replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _TOKEN_PATTERN.sub("***", text)


@dataclass(frozen=True)
class Failure:
    """A failed call, classified: what to do about it and how to describe it."""

    kind: FailureKind
    summary: str  # e.g. "502 Bad Gateway", "timed out"
    wait: float = 0.0  # rate limits: seconds to wait before retrying
    secondary: bool = False  # a secondary rate limit without Retry-After


@dataclass(frozen=True)
class RetryPolicy:
    """How mlci retries GitHub API calls. All time goes through ``sleep`` and ``clock``.

    ``secondary_wait`` is the wait after a secondary rate limit without ``Retry-After``
    (GitHub: "at least one minute"), doubled on each repeat.
    """

    max_attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    max_wait_total: float = 60.0
    secondary_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random
    clock: Callable[[], float] = time.time
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def call(
        self,
        fn: Callable[[], T],
        *,
        kind: CallKind = "read",
        landed: Callable[[], T | None] | None = None,
        what: str = "a GitHub API call",
    ) -> T:
        """Run ``fn`` under this policy.

        Parameters:
            fn: the API call.
            kind: ``read`` and ``idempotent_write`` are retried; ``post`` only after
                ``landed()`` (run as a read) returned None.
            landed: for a POST, returns the created object if an earlier attempt landed.
            what: the call, for messages ("posting the PR comment").

        Raises:
            GitHubError (or ReadOnlyToken) with one clear, redacted line.
        """
        waited = 0.0
        secondary_hits = 0
        for attempt in range(1, self.max_attempts + 1):
            try:
                return fn()
            except Exception as exc:
                failure = classify(exc, clock=self.clock, secrets=self.secrets)
                if failure is None:
                    raise
            self._raise_if_final(failure, attempt, what)
            wait = self._wait_for(failure, attempt, secondary_hits)
            secondary_hits += failure.secondary
            if failure.kind == "rate_limit" and waited + wait > self.max_wait_total:
                raise GitHubError(
                    f"GitHub API rate limit: would have to wait {math.ceil(wait)} s "
                    f"(more than the {self.max_wait_total:g} s cap). Re-run the job later."
                )
            self.sleep(wait)
            waited += wait
            if kind == "post":
                found = self._check_landed(failure, landed, what)
                if found is not None:
                    return found
        raise AssertionError("unreachable")  # the last attempt raises in _raise_if_final

    def backoff(self, attempt: int) -> float:
        """Jittered exponential backoff after failed attempt ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling / 2 + ceiling / 2 * self.rng()

    def _wait_for(self, failure: Failure, attempt: int, secondary_hits: int) -> float:
        if failure.kind != "rate_limit":
            return self.backoff(attempt)
        if failure.secondary:
            return self.secondary_wait * 2**secondary_hits
        return failure.wait

    def _raise_if_final(self, failure: Failure, attempt: int, what: str) -> None:
        if failure.kind == "bad_credentials":
            raise GitHubError(BAD_CREDENTIALS)
        if failure.kind == "read_only":
            raise ReadOnlyToken(
                f"GitHub refused {what}: the token is read-only ({failure.summary})."
            )
        if failure.kind == "fatal":
            raise GitHubError(f"GitHub rejected {what}: {failure.summary}.")
        if attempt >= self.max_attempts:
            raise GitHubError(
                f"GitHub kept failing while {what}: {failure.summary} "
                f"({self.max_attempts} attempts). Re-run the job later."
            )

    def _check_landed(
        self, failure: Failure, landed: Callable[[], T | None] | None, what: str
    ) -> T | None:
        if landed is not None:
            return self.call(landed, kind="read", what=f"checking whether {what} worked")
        if failure.kind == "rate_limit":
            return None  # a rate-limited request was not processed: repeating it is safe
        raise GitHubError(
            f"GitHub failed while {what} ({failure.summary}); mlci does not repeat a write it "
            "cannot check. Re-run the job."
        )


def classify(
    exc: BaseException, *, clock: Callable[[], float] = time.time, secrets: Iterable[str] = ()
) -> Failure | None:
    """What a failed call means, or None for an exception that is not about GitHub."""
    import requests  # PyGithub's HTTP library: imported with it, only when GitHub is called
    from github.GithubException import GithubException  # PyGithub: heavy, only in CI

    if isinstance(exc, GithubException):
        return _classify_status(exc.status, exc.data, exc.headers or {}, clock, tuple(secrets))
    if isinstance(exc, requests.exceptions.Timeout):
        return Failure("retry", "the request timed out")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return Failure("retry", redact(f"connection failed ({type(exc).__name__})", secrets))
    return None


def _classify_status(
    status: int, data: Any, headers: dict[str, Any], clock: Callable[[], float], secrets: tuple
) -> Failure:
    headers = {str(k).lower(): str(v) for k, v in headers.items()}
    summary = redact(_summary(status, data), secrets)
    message = (data.get("message") if isinstance(data, dict) else None) or ""
    if status == 401:
        return Failure("bad_credentials", summary)
    if status in (403, 429):
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            reset = float(headers["x-ratelimit-reset"])
            return Failure("rate_limit", summary, wait=max(reset - clock(), 0.0) + 1.0)
        if "retry-after" in headers:
            return Failure("rate_limit", summary, wait=max(float(headers["retry-after"]), 0.0))
        if status == 429 or "rate limit" in message.lower():
            return Failure("rate_limit", summary, secondary=True)
        if message.lower().startswith("resource not accessible"):
            return Failure("read_only", summary)
    if status >= 500:
        return Failure("retry", summary)
    if status == 404:
        summary += " (check GITHUB_REPOSITORY and that the token can see the repository)"
    return Failure("fatal", summary)


def _summary(status: int, data: Any) -> str:
    """``422 Validation Failed: body is too long (maximum is 65536 characters)``."""
    message = data.get("message") if isinstance(data, dict) else None
    text = f"{status} {message}" if message else f"{status} {_REASONS.get(status, 'error')}"
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list):
        details = [e.get("message") or e.get("code") for e in errors if isinstance(e, dict)]
        if any(details):
            text += ": " + "; ".join(str(d) for d in details if d)
    return text


_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Comment:
    """An issue comment, as plain values."""

    id: int
    body: str
    author: str
    url: str  # html_url
    created_at: str


@dataclass(frozen=True)
class PullInfo:
    """The parts of a pull request mlci needs."""

    number: int
    head_sha: str
    head_repo: str | None
    base_ref: str
    base_repo: str
    url: str


class GitHubClient:
    """The few GitHub calls mlci makes, each under the retry policy, returning plain values."""

    def __init__(
        self,
        settings: Settings,
        *,
        retry: RetryPolicy | None = None,
        gh: github.Github | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy()
        if settings.token not in self.retry.secrets:
            self.retry = _with_secret(self.retry, settings.token)
        self._gh = gh or make_github(settings)
        self._repo = self._gh.get_repo(settings.repository)  # lazy: no request
        self._identity: str | None = settings.identity

    def close(self) -> None:
        self._gh.close()

    def identity(self) -> str:
        """The login our comments carry: the token's user, or github-actions[bot] for an
        installation token (GITHUB_TOKEN cannot read /user). ``Settings.identity`` wins."""
        if self._identity is None:
            try:
                user = self._gh.get_user()
                what = "reading the token's user"
                self._identity = self.retry.call(lambda: user.login, what=what)
            except ReadOnlyToken:
                self._identity = BOT_IDENTITY
        return self._identity

    def pull_request(self, number: int) -> PullInfo:
        def get() -> PullInfo:
            pr = self._repo.get_pull(number)
            head_repo = pr.head.repo
            return PullInfo(
                number=pr.number,
                head_sha=pr.head.sha,
                head_repo=head_repo.full_name if head_repo is not None else None,
                base_ref=pr.base.ref,
                base_repo=pr.base.repo.full_name,
                url=pr.html_url,
            )

        return self.retry.call(get, what=f"reading pull request #{number}")

    def list_comments(self, number: int) -> list[Comment]:
        """Every comment of the PR, all pages, oldest first."""
        issue = self._repo.get_issue(number)
        return self.retry.call(
            lambda: [_comment(c) for c in issue.get_comments()],
            what=f"listing the comments of pull request #{number}",
        )

    def create_comment(
        self, number: int, body: str, *, landed: Callable[[], Comment | None]
    ) -> Comment:
        issue = self._repo.get_issue(number)
        return self.retry.call(
            lambda: _comment(issue.create_comment(body)),
            kind="post",
            landed=landed,
            what=f"posting the comment on pull request #{number}",
        )

    def edit_comment(self, number: int, comment_id: int, body: str) -> Comment:
        comment = self._repo.get_issue(number).get_comment(comment_id)

        def edit() -> Comment:
            comment.edit(body)
            return _comment(comment)

        what = f"updating the comment on pull request #{number}"
        return self.retry.call(edit, kind="idempotent_write", what=what)

    def delete_comment(self, number: int, comment_id: int) -> None:
        from github.GithubException import UnknownObjectException  # PyGithub: heavy

        comment = self._repo.get_issue(number).get_comment(comment_id)

        def delete() -> None:
            with contextlib.suppress(UnknownObjectException):
                comment.delete()  # 404: already gone, an earlier attempt landed

        what = f"deleting a duplicate comment on pull request #{number}"
        self.retry.call(delete, kind="idempotent_write", what=what)

    def create_status(
        self, sha: str, state: str, *, context: str, description: str, target_url: str | None
    ) -> None:
        from github.GithubObject import NotSet  # PyGithub: heavy, only in CI

        commit = self._repo.get_commit(sha)  # lazy: no request

        def post() -> bool:
            url = target_url if target_url is not None else NotSet
            commit.create_status(state, target_url=url, description=description, context=context)
            return True

        def landed() -> bool | None:
            found = self._newest_status(commit, context)
            return True if found is not None and found[:2] == (state, description) else None

        what = f"setting the {context} status on {sha[:12]}"
        self.retry.call(post, kind="post", landed=landed, what=what)

    def latest_status(self, sha: str, context: str) -> tuple[str, str, str | None] | None:
        """``(state, description, target_url)`` of the newest status ``context`` on ``sha``."""
        commit = self._repo.get_commit(sha)  # lazy: no request
        what = f"reading the {context} status of {sha[:12]}"
        return self.retry.call(lambda: self._newest_status(commit, context), what=what)

    @staticmethod
    def _newest_status(commit: Any, context: str) -> tuple[str, str, str | None] | None:
        for status in commit.get_statuses():  # newest first
            if status.context == context:
                return status.state, status.description or "", status.target_url or None
        return None


def make_github(settings: Settings) -> github.Github:
    """A PyGithub client for ``settings`` with its own retries and request spacing disabled."""
    import github  # PyGithub: heavy (~0.2 s), imported only when GitHub is called

    return github.Github(
        auth=github.Auth.Token(settings.token),
        base_url=settings.api_url,
        timeout=settings.timeout,
        user_agent=f"mlci/{__version__}",
        per_page=100,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )


def _with_secret(policy: RetryPolicy, secret: str) -> RetryPolicy:

    return replace(policy, secrets=(*policy.secrets, secret))


def _comment(c: Any) -> Comment:
    return Comment(
        id=c.id,
        body=c.body or "",
        author=c.user.login if c.user is not None else "",
        url=c.html_url,
        created_at=c.created_at.isoformat() if c.created_at else "",
    )
