"""`mlci publish --report-dir DIR [--config FILE ...]`: judge and post a report made by another
job (the fork-safe comment workflow).

A pull request from a fork gets a read-only token, so its job cannot comment. It uploads its
report directory as an artifact; a `workflow_run` job of the base repository (template
`workflows-templates/fork-comment.yml`) checks out the DEFAULT BRANCH (never the PR's code),
downloads the artifact as data and runs this command, which treats the artifact as claims:

1. the commit is the ``workflow_run`` event's (``workflow_run.head_sha``), and the claimed pull
   request's head must be that commit (checked through the API);
2. the configs are the default branch's (``--config``, one or several); only reports named
   like one of them are accepted, each at most once, and a report naming anything else refuses
   the whole artifact;
3. each ``report.json`` must be a small file (at most :data:`MAX_REPORT_BYTES`) valid against
   its JSON Schema, with no metric, slice or budget named twice;
4. every gate's status and the verdict are judged again from the report's numbers with the
   default branch's gates and stats (:func:`mlci.rejudge.rejudge`), the override label is
   checked again when that config honours one, and the comment is rendered from the result
   (the artifact's markdown is never posted). The comment says whose job computed the numbers
   and, when the PR's own rules differ, how;
5. the sticky comment and the commit status are written as `mlci run` writes them; a config
   given with ``--config`` that the artifact has no report for gets an ``error`` status.

What this can and cannot verify is written down in docs/security-fork-publishing.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mlci.bounded import MAX_EVENT_BYTES, MAX_REPORT_BYTES, DocumentError, parse_json, read_bytes
from mlci.config import load_config
from mlci.errors import EXIT_PASS, MlciError
from mlci.github.actions import detect, finish_for_pull_request
from mlci.github.client import GitHubClient, ReadOnlyToken
from mlci.github.override import OverrideClient, for_report
from mlci.github.publish import set_status
from mlci.github.workflow import write_outputs
from mlci.rejudge import check_report, rejudge
from mlci.report.jsonreport import load_report
from mlci.report.markdown import full_report_hint

if TYPE_CHECKING:
    from mlci.config import Config
    from mlci.github.actions import ActionsContext
    from mlci.github.client import GitHubClient
    from mlci.results import Report

PULL_REQUEST_FILE = "pull-request.json"
REPORT_FILE = "report.json"
MAX_CLAIM_BYTES = 4096
MAX_REPORTS = 20  # report directories in one artifact (one per config)
NO_REPORT = "no report for this config in the evaluation run's artifact"
_RUN_ID = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class _Run:
    """The evaluation run the ``workflow_run`` event is about (trusted: GitHub wrote it)."""

    head_sha: str
    run_id: str | None
    default_branch: str | None


@dataclass(frozen=True)
class _Found:
    """One report of the artifact: where it is, the report and the pull request it claims."""

    folder: Path
    report: Report
    number: int


def publish_command(
    *,
    report_dir: Path,
    config_paths: Sequence[Path] = (Path("mlci.yml"),),
    environ: Mapping[str, str],
    stdout: TextIO,
) -> int:
    """Judge the downloaded reports with the default branch's configs and publish them."""

    ctx = detect(environ)
    if ctx is None:
        raise MlciError(
            "`mlci publish` runs inside GitHub Actions (GITHUB_ACTIONS=true), in a "
            "workflow_run job: see workflows-templates/fork-comment.yml."
        )
    run = _workflow_run(ctx.settings.event_path)
    configs = _configs(config_paths)
    found = _reports(report_dir, configs, run.head_sha)
    number = _one_pull_request(found)
    branch = run.default_branch or next(iter(configs.values())).baseline.branch
    client = GitHubClient(ctx.settings)
    try:
        pull = client.pull_request(number)
        if pull.head_sha != run.head_sha:
            raise MlciError(
                f"Pull request #{number} is at {pull.head_sha[:12]}, not at the "
                f"workflow run's commit {run.head_sha[:12]}: refusing to post (the "
                "report may be stale or the artifact may claim another PR)."
            )
        verdicts = []
        for item in found:
            config = configs[item.report.name]
            judged = _judged(item.report, config, branch, number, client, stdout)
            _publish_one(ctx, judged, config, number, run, client, stdout)
            verdicts.append(judged.verdict)
        if len(verdicts) > 1 and ctx.settings.output is not None:  # the step's, for all configs
            overall = "fail" if "fail" in verdicts else "pass"
            write_outputs(ctx.settings.output, {"verdict": overall})
        reported = {item.report.name for item in found}
        for name in configs:
            if name not in reported:
                _no_report(ctx, client, name, run.head_sha, stdout)
    finally:
        client.close()
    return EXIT_PASS


# -- the inputs ---------------------------------------------------------------------------------


def _workflow_run(event_path: Path | None) -> _Run:
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
    run_id = str(run.get("id", ""))
    repository = doc.get("repository")
    default = repository.get("default_branch") if isinstance(repository, dict) else None
    return _Run(
        head_sha=str(run["head_sha"]),
        run_id=run_id if _RUN_ID.fullmatch(run_id) else None,
        default_branch=default if isinstance(default, str) and default else None,
    )


def _configs(paths: Sequence[Path]) -> dict[str, Config]:
    """The default branch's configs by name (each name once)."""

    configs: dict[str, Config] = {}
    for path in paths:
        config = load_config(path)
        if config.name in configs:
            raise MlciError(
                f"Two configs are named {config.name!r} ({configs[config.name].path} and "
                f"{config.path}): give each config of the repository its own name."
            )
        configs[config.name] = config
    return configs


def _reports(report_dir: Path, configs: Mapping[str, Config], head_sha: str) -> list[_Found]:
    """Every report of the artifact, checked: a configured name (each once), the run's commit."""

    found = [_read_report(folder) for folder in _report_folders(report_dir)]
    seen: dict[str, Path] = {}
    for item in found:
        name = item.report.name
        if name not in configs:
            listed = ", ".join(repr(n) for n in configs)
            raise MlciError(
                f"The artifact has a report named {name!r} ({item.folder}), but the default "
                f"branch configures only {listed}: refusing to post any of it."
            )
        if name in seen:
            raise MlciError(
                f"The artifact has two reports named {name!r} ({seen[name]} and "
                f"{item.folder}): refusing to post any of it."
            )
        seen[name] = item.folder
        if item.report.commit != head_sha:
            raise MlciError(
                f"The artifact's report is for commit {item.report.commit[:12]}, but the "
                f"workflow run was for {head_sha[:12]}: refusing to post it."
            )
        check_report(item.report)
    return sorted(found, key=lambda item: list(configs).index(item.report.name))


def _report_folders(report_dir: Path) -> list[Path]:
    """``report_dir`` when it holds report.json, else its subfolders that do (one config each)."""
    if (report_dir / REPORT_FILE).exists() or (report_dir / REPORT_FILE).is_symlink():
        return [report_dir]
    if not report_dir.is_dir():
        raise MlciError(f"{report_dir} is not a directory: give the downloaded artifact's folder.")
    folders = sorted(
        p for p in report_dir.iterdir() if p.is_dir() and not p.is_symlink() and _has_report(p)
    )
    if not folders:
        raise MlciError(
            f"{report_dir / REPORT_FILE} not found: the artifact holds no mlci report. Check "
            "that the pull-request workflow uploads its --output-dir."
        )
    if len(folders) > MAX_REPORTS:
        raise MlciError(
            f"The artifact holds {len(folders)} reports (at most {MAX_REPORTS}, one per config)."
        )
    return folders


def _has_report(folder: Path) -> bool:
    return (folder / REPORT_FILE).exists() or (folder / REPORT_FILE).is_symlink()


def _read_report(folder: Path) -> _Found:

    number = _claimed_pull_request(folder)  # the small file first
    source = f"{REPORT_FILE} of the artifact"
    report = load_report(_read(folder / REPORT_FILE, MAX_REPORT_BYTES), source=source)
    return _Found(folder, report, number)


def _one_pull_request(found: Sequence[_Found]) -> int:
    numbers = sorted({item.number for item in found})
    if len(numbers) > 1:
        listed = ", ".join(f"#{n}" for n in numbers)
        raise MlciError(f"The artifact's reports claim several pull requests ({listed}).")
    return numbers[0]


def _claimed_pull_request(folder: Path) -> int:
    doc = _json(folder / PULL_REQUEST_FILE, PULL_REQUEST_FILE, MAX_CLAIM_BYTES)
    number = doc.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise MlciError(
            f"{PULL_REQUEST_FILE} of the artifact must hold a positive pull request "
            f"number. Got {number!r}."
        )
    return number


def _read(path: Path, limit: int) -> str:
    """The text of ``path``: a regular file (no symbolic link) of at most ``limit`` bytes."""
    if path.is_symlink():
        raise MlciError(f"{path} is a symbolic link: the artifact may only hold plain files.")
    try:
        data = read_bytes(path, limit=limit)
    except DocumentError as exc:
        raise MlciError(f"{path}: {exc}.") from None
    except FileNotFoundError:
        raise MlciError(
            f"{path} not found: the artifact holds no mlci report. Check that the "
            "pull-request workflow uploads its --output-dir."
        ) from None
    except OSError as exc:
        raise MlciError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MlciError(f"{path} is not UTF-8 text.") from None


def _json(path: Path | None, what: str, limit: int) -> dict[str, Any]:
    if path is None:
        raise MlciError(f"Cannot read {what}: GITHUB_EVENT_PATH is not set.")
    try:
        doc = parse_json(_read(path, limit), limit=None)
    except DocumentError as exc:
        raise MlciError(f"{what}: {exc}.") from None
    if not isinstance(doc, dict):
        raise MlciError(f"{what} must be a JSON object.")
    return doc


# -- judging and writing ------------------------------------------------------------------------


def _judged(
    report: Report, config: Config, branch: str, number: int, client: GitHubClient, out: TextIO
) -> Report:
    """The report judged with ``config``, and the override label checked again if it counts."""

    judged = rejudge(report, config, branch=branch)
    if config.override is None:
        return judged
    overrides = OverrideClient(client.settings, retry=client.retry)
    try:
        return for_report(overrides, number, config.override.label, judged, stdout=out)
    finally:
        overrides.close()


def _publish_one(
    ctx: ActionsContext,
    report: Report,
    config: Config,
    number: int,
    run: _Run,
    client: GitHubClient,
    stdout: TextIO,
) -> None:

    environ = {
        "GITHUB_SERVER_URL": ctx.settings.server_url,
        "GITHUB_REPOSITORY": ctx.settings.repository,
        "GITHUB_RUN_ID": run.run_id or "",
    }
    url = finish_for_pull_request(
        ctx,
        report,
        number=number,
        head_sha=run.head_sha,
        client=client,
        stdout=stdout,
        comment=config.report.comment,
        max_chars=config.report.max_comment_chars,
        full_report_hint=full_report_hint(environ),  # the evaluation run's artifacts
    )
    where = f": {url}" if url else "."
    print(
        f"mlci: judged the report of {run.head_sha[:7]} with the gates of {report.judged_with} "
        f"({report.verdict}) and posted it on pull request #{number}{where}",
        file=stdout,
    )


def _no_report(
    ctx: ActionsContext, client: GitHubClient, name: str, head_sha: str, stdout: TextIO
) -> None:

    context = f"mlci/{name}"
    try:
        set_status(
            client, head_sha, "error", NO_REPORT, context=context, target_url=ctx.settings.run_url
        )
    except ReadOnlyToken:
        print(f"mlci: could not set {context}: the token may not write statuses.", file=stdout)
        return
    print(f"mlci: {context}: {NO_REPORT}; its status is set to error.", file=stdout)
