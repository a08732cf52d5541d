"""`mlci publish --report-dir DIR`: post a report produced by another job (fork-safe comments).

A pull request from a fork gets a read-only token, so its job cannot comment. It uploads its
report directory as an artifact; a `workflow_run` job of the base repository (template
`workflows-templates/fork-comment.yml`) downloads it and runs this command, which:

1. trusts only the `workflow_run` event for the commit (`workflow_run.head_sha`);
2. validates `report.json` against its schema and renders the comment again from it (the
   artifact's own markdown is never posted: it was written by code from the fork);
3. checks through the API that the claimed pull request's head is that commit;
4. posts the sticky comment and the commit status like `mlci run` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from mlci.bounded import MAX_EVENT_BYTES, MAX_REPORT_BYTES, DocumentError, parse_json, read_text
from mlci.errors import EXIT_PASS, MlciError

PULL_REQUEST_FILE = "pull-request.json"


def publish_report(*, report_dir: Path, environ: Mapping[str, str], stdout: TextIO) -> int:
    """Validate the downloaded report, check it belongs to the run's PR, publish it."""
    from mlci.github.actions import detect, finish_for_pull_request
    from mlci.github.client import GitHubClient
    from mlci.report.jsonreport import load_report

    ctx = detect(environ)
    if ctx is None:
        raise MlciError(
            "`mlci publish` runs inside GitHub Actions (GITHUB_ACTIONS=true), in a "
            "workflow_run job: see workflows-templates/fork-comment.yml."
        )
    head_sha = _workflow_run_head(ctx.settings.event_path)
    number = _claimed_pull_request(report_dir)
    report = load_report(_read(report_dir / "report.json"), source="report.json of the artifact")
    if report.commit != head_sha:
        raise MlciError(
            f"The artifact's report is for commit {report.commit[:12]}, but the "
            f"workflow run was for {head_sha[:12]}: refusing to post it."
        )
    client = GitHubClient(ctx.settings)
    try:
        pull = client.pull_request(number)
        if pull.head_sha != head_sha:
            raise MlciError(
                f"Pull request #{number} is at {pull.head_sha[:12]}, not at the "
                f"workflow run's commit {head_sha[:12]}: refusing to post (the "
                "report may be stale or the artifact may claim another PR)."
            )
        url = finish_for_pull_request(
            ctx, report, number=number, head_sha=head_sha, client=client, stdout=stdout
        )
    finally:
        client.close()
    print(
        f"mlci: posted the report of {head_sha[:7]} on pull request #{number}"
        + (f": {url}" if url else "."),
        file=stdout,
    )
    return EXIT_PASS


def _read(path: Path, *, limit: int = MAX_REPORT_BYTES) -> str:
    try:
        return read_text(path, limit=limit)
    except DocumentError as exc:
        raise MlciError(f"{path}: {exc}.") from None
    except FileNotFoundError:
        raise MlciError(
            f"{path} not found: the artifact holds no mlci report. Check that the "
            "pull-request workflow uploads its --output-dir."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MlciError(f"{path} cannot be read: {exc}.") from None


def _workflow_run_head(event_path: Path | None) -> str:
    doc = _json(Path(event_path) if event_path else None, "the event payload", MAX_EVENT_BYTES)
    run = doc.get("workflow_run")
    if not isinstance(run, dict) or not isinstance(run.get("head_sha"), str):
        raise MlciError(
            "`mlci publish` must run on a `workflow_run` event: the event payload "
            "has no workflow_run.head_sha."
        )
    if run.get("event") not in ("pull_request", None):
        raise MlciError(
            f"The triggering run was a {run.get('event')!r} event, not a "
            "pull_request: nothing to post."
        )
    return str(run["head_sha"])


def _claimed_pull_request(report_dir: Path) -> int:
    doc = _json(report_dir / PULL_REQUEST_FILE, PULL_REQUEST_FILE, MAX_REPORT_BYTES)
    number = doc.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise MlciError(
            f"{PULL_REQUEST_FILE} of the artifact must hold a positive pull request "
            f"number. Got {number!r}."
        )
    return number


def _json(path: Path | None, what: str, limit: int) -> dict[str, Any]:
    if path is None:
        raise MlciError(f"Cannot read {what}: GITHUB_EVENT_PATH is not set.")
    try:
        doc = parse_json(_read(path, limit=limit), limit=limit)
    except DocumentError as exc:
        raise MlciError(f"{what}: {exc}.") from None
    if not isinstance(doc, dict):
        raise MlciError(f"{what} must be a JSON object.")
    return doc
