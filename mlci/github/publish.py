"""Publish mlci's verdict on GitHub: the sticky PR comment, the commit status, the job summary,
the step outputs and annotations.

The comment is ours when its body STARTS with this config's report marker (its first line)
AND its author is our own login, across every page of comments: a marker anywhere else (data
rendered into a comment is escaped, but a comment of another config or user could still quote
one) never counts. It is edited in place, never duplicated (a POST whose answer was lost is
detected by re-reading, and extra copies are deleted, the oldest kept), left alone when the
report is unchanged (whatever run wrote it: the run id and the footer's link to the run are
ignored), and never overwritten with the report of a commit that is no longer the PR head.

The final commit status is set even when the comment cannot be posted (its description then
says so), so a run never leaves its status ``pending``. A read-only token (a pull request from
a fork) degrades to the job summary and outputs with one clear message that names the write
GitHub refused; other GitHub failures are raised once the status, summary and outputs are
written. Publishing never changes the verdict.

This package receives ready markdown and a verdict; rendering lives in ``mlci.report``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, TextIO

from mlci.github.client import Comment, GitHubClient, GitHubError, ReadOnlyToken
from mlci.github.event import EventPlan
from mlci.github.settings import Settings
from mlci.github.workflow import write_outputs, write_summary
from mlci.report.markdown import marker
from mlci.results import Verdict
from mlci.vocab import clip

CommentAction = Literal["created", "updated", "unchanged", "skipped_stale"]
StatusState = Literal["error", "failure", "pending", "success"]
Write = Literal["comment", "status"]
MAX_DESCRIPTION = 140
STATUS_KINDS = ("pull_request", "push_default", "push_other", "tag")
PENDING_DESCRIPTION = "mlci is evaluating…"
READ_ONLY_MESSAGE = (
    "mlci could not post the PR comment: the token is read-only (a pull request from a fork?). "
    "Grant `pull-requests: write` and `statuses: write`, or use "
    "workflows-templates/fork-comment.yml to comment from a workflow_run job."
)
COMMENT_FAILED = " · PR comment failed (see the job log)"
_COMMIT_LINE = re.compile(r"<!-- mlci:commit ([0-9A-Za-z]+) run=([0-9A-Za-z_-]*) -->")
_RUN_LINK = re.compile(r"/actions/runs/[0-9]+(?:/attempts/[0-9]+)?")


@dataclass(frozen=True)
class CommentOutcome:
    """What happened to the sticky comment. ``url`` is its web address, when known."""

    url: str | None
    action: CommentAction


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish` did. ``degraded`` is set when the token could not write."""

    comment: CommentOutcome | None
    status: StatusState | None
    degraded: bool = False
    summary_truncated: bool = False
    message: str | None = None

    @property
    def comment_url(self) -> str | None:
        return self.comment.url if self.comment is not None else None


def commit_line(head_sha: str, run_id: str) -> str:
    """The second hidden line: which head commit (and run) a comment reports on."""
    return f"<!-- mlci:commit {head_sha} run={run_id} -->"


def compose_body(name: str, body: str, *, head_sha: str, run_id: str) -> str:
    """The comment as posted: the rendered ``body`` (the marker its first line, added when it is
    not) and the commit line last."""
    text = body.rstrip("\n")
    if _first_line(text) != marker(name):
        text = f"{marker(name)}\n{text}"
    return f"{text}\n{commit_line(head_sha, run_id)}\n"


def is_ours(comment: Comment, name: str, identity: str) -> bool:
    """Whether ``comment`` is config ``name``'s sticky comment: written by ``identity`` and
    starting with the marker line (a marker anywhere else is data, never a match)."""
    return comment.author.lower() == identity.lower() and _first_line(comment.body) == marker(name)


def upsert_comment(
    client: GitHubClient,
    pr_number: int,
    name: str,
    body: str,
    *,
    head_sha: str,
    run_id: str,
    identity: str,
) -> CommentOutcome:
    """Create or update the one sticky comment of config ``name`` on the pull request.

    Parameters:
        client: the GitHub client (retries and rate limits are handled there).
        pr_number, name: which PR and which config's comment.
        body: the rendered markdown.
        head_sha, run_id: the commit this report is about and the run that made it.
        identity: the login our comments are authored by.

    Returns:
        ``skipped_stale`` (and no write) when the PR head is no longer ``head_sha`` or a later
        run already reported on it; ``unchanged`` when the comment already says this;
        otherwise ``updated`` or ``created``.
    """
    if client.pull_request(pr_number).head_sha != head_sha:
        return CommentOutcome(None, "skipped_stale")
    full = compose_body(name, body, head_sha=head_sha, run_id=run_id)
    ours = _ours(client.list_comments(pr_number), name, identity)
    if not ours:
        return _create(client, pr_number, name, full, identity)
    keep = ours[0]
    _delete_extras(client, pr_number, ours[1:])
    if _reported_by_later_run(keep.body, head_sha, run_id):
        return CommentOutcome(keep.url, "skipped_stale")
    if _same_report(keep.body, full):
        return CommentOutcome(keep.url, "unchanged")
    return CommentOutcome(client.edit_comment(pr_number, keep.id, full).url, "updated")


def set_status(
    client: GitHubClient,
    sha: str,
    state: StatusState,
    description: str,
    *,
    context: str,
    target_url: str | None = None,
) -> None:
    """Set commit status ``context`` on ``sha``; the description is clipped to 140 chars."""
    client.create_status(
        sha, state, context=context, description=one_line(description), target_url=target_url
    )


def start(
    settings: Settings, plan: EventPlan, name: str, *, client: GitHubClient | None = None
) -> bool:
    """Set the pending status at the start of a run. False when not applicable or read-only."""
    if plan.kind not in STATUS_KINDS:
        return False
    with _client_for(settings, client) as gh:
        try:
            set_status(
                gh,
                plan.head_sha,
                "pending",
                PENDING_DESCRIPTION,
                context=f"mlci/{name}",
                target_url=settings.run_url,
            )
        except ReadOnlyToken:
            return False  # publish() says it once, at the end
    return True


def publish(
    settings: Settings,
    plan: EventPlan,
    *,
    name: str,
    body: str | None,
    verdict: Verdict,
    summary_markdown: str | None,
    outputs: Mapping[str, str],
    annotations: Sequence[str],
    stdout: TextIO,
    description: str | None = None,
    client: GitHubClient | None = None,
) -> PublishResult:
    """Publish a finished run: job summary, annotations, PR comment (pull requests, when
    ``body`` is given), commit status, then outputs (always written, with ``comment-url``).

    A token that may not write degrades to summary + outputs and prints one message saying
    which write was refused (:func:`read_only_message`). Other GitHub failures raise
    ``GitHubError`` after the summary and outputs are written. The exit code is the caller's
    business.
    """
    truncated = False
    if settings.step_summary is not None and summary_markdown:
        truncated = write_summary(settings.step_summary, summary_markdown)
    for line in annotations:
        print(line, file=stdout)
    comment: CommentOutcome | None = None
    state: StatusState | None = None
    refused: list[Write] = []
    failed: GitHubError | None = None
    try:
        with _client_for(settings, client) as gh:
            try:
                comment = _publish_comment(settings, plan, gh, name, body)
            except ReadOnlyToken:
                refused.append("comment")
            except GitHubError as exc:
                failed = exc  # the status is still set, then this is raised
            try:
                text = _with_comment_failure(description, verdict, bool(refused or failed))
                state = _publish_status(settings, plan, gh, name, verdict, text, comment)
            except ReadOnlyToken:
                refused.append("status")
    finally:
        if settings.output is not None:
            url = comment.url if comment is not None and comment.url else ""
            write_outputs(settings.output, {**outputs, "comment-url": url})
    message = None
    if refused:
        message = read_only_message(
            refused[0],
            context=f"mlci/{name}",
            pull_request=plan.kind == "pull_request",
            comment_requested=body is not None,
            commented=comment is not None and comment.action != "skipped_stale",
            status_set=state is not None,
        )
        print(message, file=stdout)
    if failed is not None:
        if state is not None:
            print(
                f"mlci: the commit status mlci/{name} is set ({state}), but the PR comment "
                "could not be posted.",
                file=stdout,
            )
        raise failed
    return PublishResult(comment, state, message is not None, truncated, message)


def read_only_message(
    refused: Write,
    *,
    context: str,
    pull_request: bool,
    comment_requested: bool,
    commented: bool = False,
    status_set: bool = False,
) -> str:
    """The one line printed when GitHub refused the ``refused`` write for lack of permission.

    Parameters:
        refused: the write that failed; the comment is written before the status.
        context: the status context, ``mlci/<name>``.
        pull_request: the run is about a pull request.
        comment_requested: a comment was asked for (``comment: 'false'`` turns it off, as the
            fork evaluation template does, where only the status write can fail).
        commented: the comment was posted (or already said this) before the status failed.
        status_set: the comment was refused but the status was set after it.
    """
    if refused == "comment" and status_set:
        return (
            f"mlci set the commit status {context} but could not post the PR comment: the token "
            "may not write pull request comments. Grant the job `pull-requests: write`."
        )
    if refused == "comment":
        return READ_ONLY_MESSAGE
    grant = "Grant the job `statuses: write`."
    if commented:
        return (
            f"mlci posted the PR comment but could not set the commit status {context}: the "
            f"token may not write commit statuses. {grant}"
        )
    if pull_request and not comment_requested:
        return (
            f"mlci could not set the commit status {context}: the token is read-only (a pull "
            "request from a fork?). The verdict is in the job summary and the outputs; "
            "workflows-templates/fork-comment.yml posts the comment and sets the status from a "
            "workflow_run job. For a pull request from this repository, grant the job "
            "`statuses: write`."
        )
    return (
        f"mlci could not set the commit status {context}: the token may not write commit "
        f"statuses. {grant}"
    )


def _with_comment_failure(description: str | None, verdict: Verdict, failed: bool) -> str:
    """The status description, ending with :data:`COMMENT_FAILED` (never clipped away) when the
    comment could not be posted."""
    text = description or ("mlci: passed" if verdict == "pass" else "mlci: a blocking gate failed")
    if not failed:
        return text
    return one_line(text, MAX_DESCRIPTION - len(COMMENT_FAILED)) + COMMENT_FAILED


def one_line(description: str, limit: int = MAX_DESCRIPTION) -> str:
    """One line of at most ``limit`` characters (a commit status or deployment description)."""
    return clip(" ".join(description.split()), limit)


def _publish_comment(
    settings: Settings, plan: EventPlan, client: GitHubClient, name: str, body: str | None
) -> CommentOutcome | None:
    if plan.kind != "pull_request" or plan.pr_number is None or body is None:
        return None
    return upsert_comment(
        client,
        plan.pr_number,
        name,
        body,
        head_sha=plan.head_sha,
        run_id=settings.run_id,
        identity=client.identity(),
    )


def _publish_status(
    settings: Settings,
    plan: EventPlan,
    client: GitHubClient,
    name: str,
    verdict: Verdict,
    text: str,
    comment: CommentOutcome | None,
) -> StatusState | None:
    if plan.kind not in STATUS_KINDS:
        return None
    state: StatusState = "success" if verdict == "pass" else "failure"
    target = comment.url if comment is not None and comment.url else settings.run_url
    context = f"mlci/{name}"
    if client.latest_status(plan.head_sha, context) == (state, one_line(text), target):
        return state  # already says exactly this (a re-run of the same report): no write
    set_status(client, plan.head_sha, state, text, context=context, target_url=target)
    return state


def _create(
    client: GitHubClient, pr_number: int, name: str, full: str, identity: str
) -> CommentOutcome:
    def landed() -> Comment | None:
        mine = _ours(client.list_comments(pr_number), name, identity)
        return next((c for c in mine if c.body.rstrip() == full.rstrip()), None)

    created = client.create_comment(pr_number, full, landed=landed)
    ours = _ours(client.list_comments(pr_number), name, identity)
    if not ours:
        return CommentOutcome(created.url, "created")
    keep = ours[0]
    _delete_extras(client, pr_number, ours[1:])
    if keep.id != created.id and not _same_report(keep.body, full):
        keep = client.edit_comment(pr_number, keep.id, full)
    return CommentOutcome(keep.url, "created")


def _ours(comments: Sequence[Comment], name: str, identity: str) -> list[Comment]:
    """Our comments for config ``name``, oldest first."""
    mine = [c for c in comments if is_ours(c, name, identity)]
    return sorted(mine, key=lambda c: (c.created_at, c.id))


def _first_line(body: str) -> str:
    return body.split("\n", 1)[0].rstrip()


def _delete_extras(client: GitHubClient, pr_number: int, extras: Sequence[Comment]) -> None:
    for extra in extras:
        client.delete_comment(pr_number, extra.id)


def _same_report(old: str, new: str) -> bool:
    """Same text about the same commit: which run wrote it, and so the footer's link to that
    run, does not matter."""
    return _without_run(old) == _without_run(new)


def _without_run(body: str) -> str:
    """``body`` without what differs between runs: the run id of its commit line (the last
    line) and the run in the links of the line before it (the footer)."""
    lines = body.replace("\r\n", "\n").rstrip("\n").split("\n")
    found = _COMMIT_LINE.fullmatch(lines[-1].strip())
    if found is None:
        return "\n".join(lines)
    lines[-1] = f"<!-- mlci:commit {found[1]} -->"
    if len(lines) > 1:
        lines[-2] = _RUN_LINK.sub("/actions/runs/*", lines[-2])
    return "\n".join(lines)


def _reported_by_later_run(body: str, head_sha: str, run_id: str) -> bool:
    """Whether the comment's commit line (its last line, the only one that counts) names
    ``head_sha`` and a run later than ``run_id``."""
    found = _COMMIT_LINE.fullmatch(body.rstrip().rsplit("\n", 1)[-1].strip())
    if found is None:
        return False
    sha, run = found[1], found[2]
    later = run.isdigit() and run_id.isdigit() and int(run) > int(run_id)
    return bool(sha == head_sha and later)


@contextmanager
def _client_for(settings: Settings, client: GitHubClient | None) -> Iterator[GitHubClient]:
    """Use the given client, or make one for ``settings`` and close it afterwards."""
    if client is not None:
        yield client
        return
    made = GitHubClient(settings)
    try:
        yield made
    finally:
        made.close()
