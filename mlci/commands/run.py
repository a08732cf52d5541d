"""`mlci run`: evaluate a commit against its baseline, gate, report; store the baseline's record.

Inside GitHub Actions (``GITHUB_ACTIONS=true``) the run also sets the pending and final commit
status, posts or edits the sticky PR comment, writes the job summary, the step outputs and
annotations; there a record is stored for a push to the baseline branch only, and pushed to the
records branch's remote. In a GitLab merge request pipeline with ``MLCI_GITLAB_TOKEN`` set, it
posts or edits the sticky merge request note (:mod:`mlci.gitlab`). Outside Actions, a run on the
baseline branch stores its record locally, and pushes it only with ``--push``. Either way,
nothing is stored when tracked files differ from the commit (one line says so).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from mlci import git
from mlci.ci import detect_ci
from mlci.config import Config, load_config
from mlci.data.progress import make_progress
from mlci.errors import EXIT_GATE_FAILED, EXIT_PASS, MlciError
from mlci.figure_worker import FigureWorker
from mlci.files import write_atomic
from mlci.github.actions import (
    ActionsContext,
    detect,
    finish,
    git_auth,
    pending_status,
    warn_persisted_credentials,
)
from mlci.github.workflow import format_annotation
from mlci.gitlab.settings import TOKEN_VARIABLE, GitLabSettings, merge_request_pipeline
from mlci.gitlab.settings import from_environ as gitlab_settings
from mlci.jobs import resolve_jobs
from mlci.paths import check_output
from mlci.pipeline import Outcome, Revision, evaluate_revision, locate
from mlci.records.format import utc_now
from mlci.records.store import GitBranchStore, RecordStore, open_store
from mlci.report.html import render_html
from mlci.report.jsonreport import dumps_report
from mlci.report.markdown import DEFAULT_HINT, render_comment
from mlci.report.markdown import full_report_hint as report_hint
from mlci.report.phrases import verdict_state
from mlci.report.plots import PlotInputs, figure_files
from mlci.report.terminal import render_terminal
from mlci.userenv import conceal_from_proc, tokens_in


@dataclass(frozen=True)
class StorePlan:
    """Whether a run stores its record, and the one line that says why not when it matters."""

    store: bool
    note: str = ""


def run_command(
    config_path: Path,
    *,
    output_dir: Path,
    store: bool = True,
    push: bool = False,
    commit: str | None = None,
    branch: str | None = None,
    quiet: bool = False,
    comment: bool = True,
    fail_on_gate: bool = True,
    html: bool = True,
    junit: Path | None = None,
    openmetrics: Path | None = None,
    jobs: int | None = None,
    figure_process: bool = False,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> int:
    """`mlci run` (see the module docstring): 0 passed, 1 a blocking gate failed.

    ``fail_on_gate=False`` reports a failing verdict but exits 0; ``html=False`` skips
    report.html and its figures; ``junit`` also writes JUnit XML there, ``openmetrics`` the
    OpenMetrics text of the report (:mod:`mlci.report.openmetrics`). ``jobs`` threads read
    and profile the data (None: the CPUs available). ``figure_process``: with more than one
    CPU, draw the figures in a worker process started now, which imports matplotlib while the
    data is read (see :mod:`mlci.figure_worker`); for the ``mlci`` program, which owns its
    process. Only a config with a model gets one: the drift figures of a data-only run are
    SVG drawn in a few milliseconds without matplotlib. Called as a library, the figures are
    drawn in the caller's process.
    """
    config = load_config(config_path)
    figures = None
    if figure_process and html and config.model is not None and resolve_jobs(jobs) > 1:
        figures = FigureWorker.start()
    try:
        return _run(
            config,
            output_dir=output_dir,
            store=store,
            push=push,
            commit=commit,
            branch=branch,
            quiet=quiet,
            comment=comment,
            fail_on_gate=fail_on_gate,
            html=html,
            junit=junit,
            openmetrics=openmetrics,
            jobs=jobs,
            figures=figures,
            environ=environ,
            stdout=stdout,
        )
    finally:
        if figures is not None:
            figures.close()


def _run(
    config: Config,
    *,
    output_dir: Path,
    store: bool,
    push: bool,
    commit: str | None,
    branch: str | None,
    quiet: bool,
    comment: bool,
    fail_on_gate: bool,
    html: bool,
    junit: Path | None,
    openmetrics: Path | None,
    jobs: int | None,
    figures: FigureWorker | None,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> int:
    actions = detect(environ)
    ci = detect_ci(environ)  # another CI: None in GitHub Actions
    gitlab = gitlab_settings(environ) if actions is None else None  # a merge request's note
    if actions is not None:
        commit = commit or actions.commit
        branch = branch if branch is not None else actions.branch
    elif ci is not None:
        commit = commit or _known(config, ci.commit)
        branch = branch if branch is not None else ci.branch
    change_request = ci is not None and ci.change_request is not None
    rev = locate(
        config, commit=commit, branch=branch, actions=actions, change_request=change_request
    )
    _check_outputs(rev.repo, output_dir, junit, openmetrics)
    plan = _store_plan(rev, wanted=store)
    # code run for the user (a pickled model) must not read a token in /proc/<mlci>/environ
    conceal_from_proc([*tokens_in(environ), *([actions.settings.token] if actions else [])])
    auth = None
    if actions is not None:
        auth = git_auth(actions, stdout)
        warn_persisted_credentials(rev.repo, stdout)
    with pending_status(actions, config.name, stdout, root=rev.repo):  # never left pending
        records = open_store(
            config.baseline.store, rev.repo, push=actions is not None or push, auth=auth
        )
        progress = make_progress(quiet=quiet, environ=environ, stdout=stdout)
        outcome = evaluate_revision(
            config, rev, records, created_at=utc_now(environ), progress=progress, jobs=jobs
        )
        if actions is not None and config.override is not None:
            outcome = _override(actions, config.override.label, outcome, stdout)
        paths = write_outputs(
            outcome,
            output_dir,
            max_comment_chars=config.report.max_comment_chars,
            full_report_hint=report_hint(environ),
            html=html,
            junit=junit,
            figures=figures,
        )
        if openmetrics is not None:
            from mlci.report.openmetrics import exposition_of_report, render_openmetrics

            exposition = exposition_of_report(outcome.report, source="run", timestamp=time.time())
            write_atomic(openmetrics, render_openmetrics(exposition))
        if plan.store:
            records.put(outcome.record)
        if not quiet:
            print(render_terminal(outcome.report), file=stdout)
            _print_paths(paths, stdout)
        _say_stored(plan, outcome.record.commit, records, actions is not None, stdout)
        if actions is not None:
            _publish(actions, config, outcome, paths, comment=comment, stdout=stdout)
        elif comment and config.report.comment and merge_request_pipeline(environ):
            _note(gitlab, config.name, paths, stdout)
        _tag_mlflow_run(config, outcome, paths, environ, actions is not None, stdout)
    # the header's word: a pass with warnings or inconclusive gates ends "WARN", still exit 0
    print(f"mlci: {verdict_state(outcome.report).upper()}", file=stdout)
    failed = outcome.report.verdict != "pass" and fail_on_gate
    return EXIT_GATE_FAILED if failed else EXIT_PASS


def _tag_mlflow_run(
    config: Config,
    outcome: Outcome,
    paths: Mapping[str, Path],
    environ: Mapping[str, str],
    in_actions: bool,
    stdout: TextIO,
) -> None:
    """The verdict written back to the MLflow run the metrics came from (``model.mlflow``);
    a failure is a warning: it never changes the verdict."""
    source = config.model.mlflow if config.model is not None else None
    if source is None or not source.tag:
        return
    run_url = "{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}"
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    if in_actions and all(environ.get(k) for k in keys):
        where = run_url.format(**{k: environ[k] for k in keys})
    else:
        where = str(paths["report_json"])
    report = outcome.report
    from mlci.model.mlflow_run import tag_run

    try:
        run_id = tag_run(source, verdict=report.verdict, commit=report.commit, report=where)
    except MlciError as exc:
        print(_warning(str(exc), in_actions), file=stdout)
        return
    print(f"Tagged MLflow run {run_id}: mlci.verdict={report.verdict}.", file=stdout)


def store_plan(
    *, on_baseline_branch: bool, wanted: bool, commit: str, changed: Sequence[str]
) -> StorePlan:
    """Store the record of a run on the baseline branch, unless ``--no-store`` or the checkout
    differs from the commit (``changed``: the tracked files that differ): a record describes a
    commit, and later runs compare against it as that commit."""
    if not (on_baseline_branch and wanted):
        return StorePlan(False)
    if changed:
        more = len(changed) - 3
        shown = ", ".join(changed[:3]) + (f" and {more} more" if more > 0 else "")
        files = "file differs" if len(changed) == 1 else "files differ"
        return StorePlan(
            False,
            f"not storing the record of {commit[:7]}: {len(changed)} tracked {files} from the "
            f"commit ({shown}). Commit them and run mlci again.",
        )
    return StorePlan(True)


def _store_plan(rev: Revision, *, wanted: bool) -> StorePlan:
    changed = git.changed_files(rev.repo, rev.commit) if rev.on_baseline_branch and wanted else []
    return store_plan(
        on_baseline_branch=rev.on_baseline_branch, wanted=wanted, commit=rev.commit, changed=changed
    )


def _say_stored(
    plan: StorePlan, commit: str, records: RecordStore, in_actions: bool, stdout: TextIO
) -> None:
    """Where the record went, or why it was not stored."""
    if plan.store:
        print(_stored_line(commit, records), file=stdout)
    elif plan.note:
        print(_warning(plan.note, in_actions), file=stdout)


def _stored_line(commit: str, records: RecordStore) -> str:
    """The line that says where the record went, and how to publish one kept locally."""
    line = f"Stored the record of {commit[:7]} in {records}."
    if isinstance(records, GitBranchStore) and records.remote and not records.push:
        line += (
            f" Not pushed to {records.remote}: outside CI a record is pushed only with "
            "`mlci run --push`."
        )
    return line


def _known(config: Config, commit: str | None) -> str | None:
    """The commit a CI names, if the checkout has it (a shallow clone of a merge commit may
    not have its parent); None: the checkout's HEAD is evaluated."""
    if commit is None:
        return None
    return commit if git.resolve_commit(git.repo_root(config.root), commit) else None


def _check_outputs(
    repo: Path, output_dir: Path, junit: Path | None, openmetrics: Path | None = None
) -> None:
    """What mlci writes must not be led outside the repository by a committed symlink."""
    for path in (output_dir, output_dir / "figures"):
        check_output(path, repo, "--output-dir")
    if junit is not None:
        check_output(junit, repo, "--junit")
    if openmetrics is not None:
        check_output(openmetrics, repo, "--openmetrics")


def _warning(message: str, actions: bool) -> str:
    """One line: a warning annotation in GitHub Actions, else ``mlci: warning: ...``."""
    if not actions:
        return f"mlci: warning: {message}"
    return format_annotation("warning", message[:1].upper() + message[1:], title="mlci")


def _override(actions: ActionsContext, label: str, outcome: Outcome, stdout: TextIO) -> Outcome:
    """A maintainer's override label on a failing pull request (never on a tag)."""
    from mlci.github.override import for_pull_request  # the API client: only when it is needed

    report, record = for_pull_request(actions, label, outcome.report, outcome.record, stdout=stdout)
    return replace(outcome, report=report, record=record)


def _publish(
    actions: ActionsContext,
    config: Config,
    outcome: Outcome,
    paths: Mapping[str, Path],
    *,
    comment: bool,
    stdout: TextIO,
) -> None:
    """The commit status, the PR comment, the job summary and the step outputs."""
    markdown = paths["report_markdown"].read_text(encoding="utf-8")
    publish_comment = comment and config.report.comment
    finish(
        actions,
        outcome.report,
        markdown=markdown,
        paths=paths,
        comment=publish_comment,
        stdout=stdout,
    )


def _note(
    settings: GitLabSettings | None,
    name: str,
    paths: Mapping[str, Path],
    stdout: TextIO,
) -> None:
    """The sticky note on a GitLab merge request; a failure is one warning line, never a change
    of verdict (the report files and the JUnit XML are written already)."""
    if settings is None:
        print(f"mlci: no merge request note: set {TOKEN_VARIABLE} to post one.", file=stdout)
        return
    # requests (~50 ms to import): only for a merge request pipeline that posts a note
    from mlci.gitlab.client import GitLabError
    from mlci.gitlab.note import outcome_line, post_note

    markdown = paths["report_markdown"].read_text(encoding="utf-8")
    try:
        outcome = post_note(settings, name, markdown)
    except GitLabError as exc:
        print(_warning(str(exc), False), file=stdout)
        return
    print(outcome_line(outcome, settings.iid), file=stdout)


def _print_paths(paths: Mapping[str, Path], stdout: TextIO) -> None:
    for label, path in paths.items():
        print(f"{label.replace('_', ' ')}: {path}", file=stdout)


# --- the report files --------------------------------------------------------------------------


def write_outputs(
    outcome: Outcome,
    output_dir: Path,
    *,
    max_comment_chars: int,
    full_report_hint: str | None = None,
    html: bool = True,
    junit: Path | None = None,
    figures: FigureWorker | None = None,
) -> dict[str, Path]:
    """Write report.md, report.json, record.json, report.html (with its PNGs under figures/
    unless ``html`` is False) and the JUnit XML file ``junit``; return their paths.

    With a ``figures`` worker, the figures are drawn there while the other files are written.
    """
    if figures is not None and not (
        html and outcome.plots is not None and figures.submit(outcome.plots)
    ):
        figures = None
    paths = {
        "report_markdown": output_dir / "report.md",
        "report_json": output_dir / "report.json",
        "record": output_dir / "record.json",
    }
    hint = full_report_hint or DEFAULT_HINT
    markdown = render_comment(outcome.report, max_chars=max_comment_chars, full_report_hint=hint)
    write_atomic(paths["report_markdown"], markdown)
    write_atomic(paths["report_json"], dumps_report(outcome.report))
    write_atomic(paths["record"], outcome.record.to_json())
    if html:
        paths["report_html"] = _write_html(outcome, output_dir, figures)
    if junit is not None:
        from mlci.report.junit import render_junit

        write_atomic(junit, render_junit(outcome.report))
        paths["junit"] = junit
    return paths


def _write_html(outcome: Outcome, output_dir: Path, worker: FigureWorker | None = None) -> Path:
    """report.html, and its figures as PNG files under ``figures/`` (old PNGs there removed)."""
    drawn = worker.result() if worker is not None else None
    figures, notes = drawn if drawn is not None else _draw_figures(outcome.plots)
    folder = output_dir / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    for name, png in figure_files(figures).items():
        write_atomic(folder / name, png)
    path = output_dir / "report.html"
    history = outcome.plots.history if outcome.plots is not None else None
    write_atomic(path, render_html(outcome.report, figures=figures, history=history, notes=notes))
    return path


def _draw_figures(plots: PlotInputs | None) -> tuple[dict[str, bytes], list[str]]:
    """The report's figures; any failure (even importing matplotlib) becomes a note."""
    if plots is None:
        return {}, []
    try:
        from mlci.report.plots import make_figures  # here, so failing to import it is a note

        return make_figures(plots)
    except Exception as exc:  # a figure must never fail the run
        return {}, [f"No figures were drawn ({type(exc).__name__}: {exc})."]
