"""`mlci run` inside GitHub Actions: what the event means for the run, and publishing its result.

The pipeline calls :func:`detect` once; outside Actions it returns None and nothing here runs.
Inside, the run evaluates the PR head (never the synthetic merge commit), sets the pending
status, and at the end publishes the comment, the status, the summary, the outputs and the
annotations. Publishing never changes the verdict.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mlci.errors import MlciError
from mlci.git import GitAuth, extraheader_keys
from mlci.github.workflow import format_annotation

# The client, the event and publishing are imported where they are used: a run outside
# Actions (or with nothing to publish) does not pay for them at start-up.
if TYPE_CHECKING:
    from mlci.github.client import GitHubClient
    from mlci.github.event import EventPlan
    from mlci.github.settings import Settings
    from mlci.results import Report


@dataclass(frozen=True)
class ActionsContext:
    """The run's GitHub settings and what its event asks for."""

    settings: Settings
    plan: EventPlan

    @property
    def commit(self) -> str:
        return self.plan.head_sha

    @property
    def branch(self) -> str | None:
        """The branch being evaluated: the PR's head branch, the pushed branch, or None."""
        if self.plan.kind == "pull_request":
            return self.plan.head_ref
        return self.plan.branch


def detect(environ: Mapping[str, str]) -> ActionsContext | None:
    """The Actions context of this process, or None when not running in GitHub Actions."""
    if environ.get("GITHUB_ACTIONS", "") != "true":
        return None
    from mlci.github.event import load_event, plan_for_event
    from mlci.github.settings import Settings

    settings = Settings.from_environ(environ)
    payload = load_event(settings)
    plan = plan_for_event(settings.event_name, settings.ref, settings.sha, payload)
    return ActionsContext(settings, plan)


def git_auth(ctx: ActionsContext, stdout: TextIO) -> GitAuth:
    """The credentials of mlci's own fetches and pushes of the records branch: the workflow's
    token, for those git processes only (see :class:`mlci.git.GitAuth`).

    Actions masks the raw token in logs but not the base64 form git sends, so that form is
    masked here before any git process could print it.
    """
    auth = GitAuth(ctx.settings.server_url, ctx.settings.token)
    print(f"::add-mask::{auth.basic}", file=stdout)
    return auth


def warn_persisted_credentials(repo: Path, stdout: TextIO) -> None:
    """Warn when the checkout left credentials in the repository's git config: every process
    of the job (the code mlci runs for the user among them) can read them there."""
    keys = extraheader_keys(repo)
    if not keys:
        return
    message = (
        f"The checkout left credentials in the repository's git config ({', '.join(keys)}): "
        "any code this job runs can read them there. mlci authenticates its own git calls; "
        "set `persist-credentials: false` on actions/checkout."
    )
    print(format_annotation("warning", message, title="mlci"), file=stdout)


def begin(ctx: ActionsContext, name: str, stdout: TextIO) -> bool:
    """Set the pending status; a failure here is reported but does not stop the run.

    Returns whether the status is now pending.
    """

    from mlci.github.publish import start

    try:
        return start(ctx.settings, ctx.plan, name)
    except MlciError as exc:
        print(f"mlci: warning: could not set the pending status: {exc}", file=stdout)
        return False


@contextmanager
def pending_status(
    ctx: ActionsContext | None, name: str, stdout: TextIO, *, root: Path | None = None
) -> Iterator[None]:
    """The commit status is ``pending`` while the block runs (:func:`begin`), and never stays so:
    when the block raises (bad input, an internal error, a cancelled job) while the status is
    still the pending one, it becomes ``error`` with the reason (paths under ``root`` shown
    relative to it). Outside Actions: nothing."""
    if ctx is None:
        yield
        return
    pending = begin(ctx, name, stdout)
    try:
        yield
    except BaseException as exc:
        if pending:
            reason = _stop_reason(exc)
            if root is not None:
                reason = reason.replace(f"{root}{os.sep}", "")
            _settle_with_error(ctx, name, reason, stdout)
        raise


def _settle_with_error(ctx: ActionsContext, name: str, reason: str, stdout: TextIO) -> None:
    from mlci.github.client import GitHubClient, redact
    from mlci.github.publish import PENDING_DESCRIPTION, set_status

    context, sha = f"mlci/{name}", ctx.plan.head_sha
    reason = redact(reason, [ctx.settings.token])
    try:
        client = GitHubClient(ctx.settings)
        try:
            current = client.latest_status(sha, context)
            if current is None or current[:2] != ("pending", PENDING_DESCRIPTION):
                return  # the final status is set already
            set_status(
                client,
                sha,
                "error",
                f"mlci stopped before a verdict: {reason}",
                context=context,
                target_url=ctx.settings.run_url,
            )
        finally:
            client.close()
    except MlciError as failed:
        print(f"mlci: warning: could not replace the pending status: {failed}", file=stdout)


def _stop_reason(exc: BaseException) -> str:
    """Why the run stopped, in a few words: the first line of an mlci error, or what kind."""
    if isinstance(exc, MlciError) and str(exc).strip():
        return str(exc).strip().splitlines()[0]
    if isinstance(exc, KeyboardInterrupt):
        return "the job was cancelled"
    return "an internal error (see the job log)"


def finish(
    ctx: ActionsContext,
    report: Report,
    *,
    markdown: str,
    paths: Mapping[str, Path],
    comment: bool,
    stdout: TextIO,
) -> str | None:
    """Publish the finished run; returns the comment's URL when there is one.

    On a pull request the output directory also gets ``pull-request.json`` (the PR number and
    head commit), which the fork-safe comment workflow needs to post the report later.
    """
    if ctx.plan.kind == "pull_request" and ctx.plan.pr_number is not None:
        claim = {"number": ctx.plan.pr_number, "head_sha": ctx.plan.head_sha}
        (paths["report_json"].parent / "pull-request.json").write_text(
            json.dumps(claim) + "\n", encoding="utf-8"
        )
    outputs = {
        "verdict": report.verdict,
        "report-json": str(paths["report_json"].resolve()),
        "report-markdown": str(paths["report_markdown"].resolve()),
    }
    html = paths.get("report_html")  # absent with --no-html
    if html is not None:
        outputs["report-html"] = str(html.resolve())
    return _publish(ctx.settings, ctx.plan, report, markdown, outputs, comment, stdout, None)


def finish_for_pull_request(
    ctx: ActionsContext,
    report: Report,
    *,
    number: int,
    head_sha: str,
    client: GitHubClient,
    stdout: TextIO,
    comment: bool = True,
    max_chars: int = 60_000,
    full_report_hint: str | None = None,
) -> str | None:
    """Publish a report on pull request ``number`` from another workflow (`mlci publish`):
    the comment (unless ``comment`` is false) rendered within ``max_chars``, with
    ``full_report_hint`` in its footer, and the status."""
    from mlci.github.event import EventPlan
    from mlci.report.markdown import DEFAULT_HINT, render_comment

    plan = EventPlan(
        "pull_request",
        event_name=ctx.settings.event_name,
        head_sha=head_sha,
        ref=f"refs/pull/{number}/head",
        pr_number=number,
    )
    hint = full_report_hint or DEFAULT_HINT
    markdown = render_comment(report, max_chars=max_chars, full_report_hint=hint)
    outputs = {"verdict": report.verdict}
    return _publish(ctx.settings, plan, report, markdown, outputs, comment, stdout, client)


def _publish(
    settings: Settings,
    plan: EventPlan,
    report: Report,
    markdown: str,
    outputs: Mapping[str, str],
    comment: bool,
    stdout: TextIO,
    client: GitHubClient | None,
) -> str | None:
    from mlci.github.publish import publish
    from mlci.github.workflow import annotations_for

    result = publish(
        settings,
        plan,
        name=report.name,
        body=markdown if comment else None,
        verdict=report.verdict,
        summary_markdown=markdown,
        outputs=outputs,
        annotations=annotations_for(report.checks, report.gates),
        stdout=stdout,
        description=status_description(report),
        client=client,
    )
    return result.comment_url


def status_description(report: Report) -> str:
    """The commit status line: the verdict and what failed, within GitHub's 140 characters."""
    failed = _names(g.metric for g in report.gates if g.status == "fail")
    checks = sum(1 for c in report.checks if c.status == "fail")
    if report.verdict == "pass":
        warned = sum(1 for g in report.gates if g.status in ("warn", "inconclusive"))
        warned += sum(1 for c in report.checks if c.status == "warn")
        return "passed" + (f" with {warned} warning{'s' if warned != 1 else ''}" if warned else "")
    parts = []
    if failed:
        parts.append(f"gate failed: {failed}")
    if checks:
        parts.append(f"{checks} data check{'s' if checks != 1 else ''} failed")
    return "; ".join(parts) or "failed"


def _names(metrics: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(metrics))
