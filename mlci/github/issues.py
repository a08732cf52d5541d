"""The sticky monitoring issue: one GitHub issue per config name, opened while an alert lasts.

`mlci monitor` keeps at most one open issue per config. It is found the way the sticky PR comment
is (:mod:`mlci.github.publish`): by its author (the token's identity) **and** a hidden marker that
is the very first line of its body; a marker anywhere else is data, never a match, and an issue
someone else opened with our marker is left alone.

- an alert (a fail threshold crossed) and no open issue: the issue is **opened** (a POST is never
  blindly repeated: a lost answer is checked by listing again, as for comments);
- an alert and an open issue: its title and body are **updated** in place (``unchanged`` when they
  already say this); duplicates left by a race are closed as duplicates of the oldest;
- no alert and an open issue: a comment says the run is clean, then the issue is **closed**;
- no alert and no issue: nothing.

Every data-derived string in the body is escaped by the caller's renderer
(:mod:`mlci.monitor.markdown`); the title is plain text and is neutralised here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mlci.github.client import GitHubClient
from mlci.report.escape import ZWSP, strip_controls
from mlci.vocab import clip

IssueAction = Literal["opened", "updated", "unchanged", "closed", "none"]
MAX_TITLE = 256  # GitHub refuses longer titles
MAX_BODY = 65_536


def issue_marker(name: str) -> str:
    """The hidden first line of config ``name``'s monitoring issue.

    >>> issue_marker("churn-model")
    '<!-- mlci:monitor name=churn-model -->'
    """
    return f"<!-- mlci:monitor name={re.sub(r'[^A-Za-z0-9._-]', '_', name)} -->"


def plain_title(text: str) -> str:
    """An issue title from ``text``: one line, no control or invisible characters, no mention
    or reference (``@x``, ``#12`` get a zero-width space), at most 256 characters."""
    line = " ".join(strip_controls(text).split())
    line = line.replace("@", "@" + ZWSP).replace("#", "#" + ZWSP)
    return clip(line, MAX_TITLE)


@dataclass(frozen=True)
class IssueInfo:
    """An issue, as plain values (pull requests, which the issues API also lists, excluded)."""

    number: int
    title: str
    body: str
    state: str
    author: str
    url: str  # html_url
    created_at: str


@dataclass(frozen=True)
class IssueOutcome:
    """What :func:`sync_issue` did to the issue; ``number``/``url`` of the issue it touched."""

    action: IssueAction
    number: int | None = None
    url: str | None = None


class IssueClient(GitHubClient):
    """The issue calls of the monitor, each under the client's retry policy."""

    def list_open_issues(self) -> list[IssueInfo]:
        """Every open issue of the repository, all pages, oldest first (no pull requests)."""

        def get() -> list[IssueInfo]:
            found = self._repo.get_issues(state="open", sort="created", direction="asc")
            return [_issue(i) for i in found if not _is_pull_request(i)]

        return self.retry.call(get, what="listing the open issues")

    def create_issue(
        self,
        title: str,
        body: str,
        *,
        labels: Sequence[str] = (),
        landed: Callable[[], IssueInfo | None],
    ) -> IssueInfo:
        def post() -> IssueInfo:
            created = self._repo.create_issue(title, body=body, labels=list(labels))
            return _issue(created)

        what = "opening the monitoring issue"
        return self.retry.call(post, kind="post", landed=landed, what=what)

    def edit_issue(self, number: int, **fields: Any) -> IssueInfo:
        """PATCH issue ``number`` with ``title``, ``body``, ``state``, ``state_reason``."""
        issue = self._repo.get_issue(number)  # lazy: no request

        def patch() -> IssueInfo:
            issue.edit(**fields)
            return _issue(issue)

        what = f"updating issue #{number}"
        return self.retry.call(patch, kind="idempotent_write", what=what)

    def comment_on_issue(self, number: int, body: str) -> None:
        """Add a comment (checked by listing when the answer is lost)."""

        def landed() -> bool | None:
            found = self.list_comments(number)
            return True if any(c.body.rstrip() == body.rstrip() for c in found) else None

        issue = self._repo.get_issue(number)

        def post() -> bool:
            issue.create_comment(body)
            return True

        what = f"commenting on issue #{number}"
        self.retry.call(post, kind="post", landed=landed, what=what)


def is_ours(issue: IssueInfo, name: str, identity: str) -> bool:
    """Config ``name``'s monitoring issue: authored by ``identity``, the marker its first line."""
    first = issue.body.split("\n", 1)[0].rstrip()
    return issue.author.lower() == identity.lower() and first == issue_marker(name)


def compose_issue_body(name: str, markdown: str) -> str:
    """The issue body: the marker as the first line, then ``markdown`` (whose own marker line,
    if it starts with one, is not repeated), within GitHub's 65,536 characters."""
    text = markdown.rstrip("\n")
    if text.split("\n", 1)[0].rstrip() != issue_marker(name):
        text = f"{issue_marker(name)}\n{text}"
    return clip(text, MAX_BODY - 1) + "\n"


def sync_issue(
    client: IssueClient,
    name: str,
    *,
    alert: bool,
    title: str,
    body: str,
    closing_note: str,
    identity: str,
    labels: Sequence[str] = (),
) -> IssueOutcome:
    """Open, update or close config ``name``'s one monitoring issue (see the module docstring).

    Parameters:
        client: the GitHub client (retries and rate limits are handled there).
        name: the config's name (the marker).
        alert: a fail threshold was crossed in this run.
        title: the issue's title (plain text, neutralised here).
        body: the rendered, escaped markdown (the marker is added as its first line).
        closing_note: the comment posted before the issue is closed (escaped markdown).
        identity: the login our issues are authored by.
        labels: labels of a new issue.

    Raises:
        ReadOnlyToken: the token may not write issues (the caller degrades to the summary).
        GitHubError: a call kept failing.
    """
    ours = _ours(client.list_open_issues(), name, identity)
    if not alert:
        for issue in ours:
            client.comment_on_issue(issue.number, closing_note)
            client.edit_issue(issue.number, state="closed", state_reason="completed")
        first = ours[0] if ours else None
        return IssueOutcome("closed" if ours else "none", *_where(first))
    full, heading = compose_issue_body(name, body), plain_title(title)
    if not ours:
        return _open(client, name, heading, full, identity, labels)
    keep = ours[0]
    _close_duplicates(client, keep, ours[1:])
    if keep.title == heading and keep.body.rstrip() == full.rstrip():
        return IssueOutcome("unchanged", keep.number, keep.url)
    edited = client.edit_issue(keep.number, title=heading, body=full)
    return IssueOutcome("updated", edited.number, edited.url or keep.url)


def _open(
    client: IssueClient,
    name: str,
    title: str,
    body: str,
    identity: str,
    labels: Sequence[str],
) -> IssueOutcome:
    def landed() -> IssueInfo | None:
        mine = _ours(client.list_open_issues(), name, identity)
        return next((i for i in mine if i.body.rstrip() == body.rstrip()), None)

    created = client.create_issue(title, body, labels=labels, landed=landed)
    ours = _ours(client.list_open_issues(), name, identity)  # another run may have raced us
    if len(ours) > 1:
        _close_duplicates(client, ours[0], ours[1:])
        keep = ours[0]
        if keep.number != created.number:
            client.edit_issue(keep.number, title=title, body=body)
        return IssueOutcome("opened" if keep.number == created.number else "updated", *_where(keep))
    return IssueOutcome("opened", created.number, created.url)


def _close_duplicates(client: IssueClient, keep: IssueInfo, extras: Sequence[IssueInfo]) -> None:
    for extra in extras:
        client.comment_on_issue(extra.number, f"Closed by mlci: duplicate of #{keep.number}.")
        client.edit_issue(extra.number, state="closed", state_reason="not_planned")


def _ours(issues: Sequence[IssueInfo], name: str, identity: str) -> list[IssueInfo]:
    mine = [i for i in issues if is_ours(i, name, identity)]
    return sorted(mine, key=lambda i: (i.created_at, i.number))


def _where(issue: IssueInfo | None) -> tuple[int | None, str | None]:
    return (issue.number, issue.url) if issue is not None else (None, None)


def _is_pull_request(i: Any) -> bool:
    """The issues API lists pull requests too; their page is .../pull/N (reading the
    ``pull_request`` attribute of an issue would cost one more request per issue)."""
    return "/pull/" in (i.html_url or "")


def _issue(i: Any) -> IssueInfo:
    return IssueInfo(
        number=i.number,
        title=i.title or "",
        body=i.body or "",
        state=i.state or "",
        author=i.user.login if i.user is not None else "",
        url=i.html_url or "",
        created_at=i.created_at.isoformat() if i.created_at else "",
    )
