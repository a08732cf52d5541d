"""`mlci monitor`: compare production data (and, with labels, performance) with the live release.

    live release (deployment, latest release, or --release) ─► its record (store, or its asset)
    production rows (files, folders of partitions, globs; or profiles) ─► checks, drift ──┐
    served outputs ⋈ delayed labels (by id) ─► the release's metrics with intervals ─► gates ┴►
    the verdict
    ─► report.md, report.json, monitor.json (+ OpenMetrics) ─► monitor record (appended)
    ─► the sticky monitoring issue: opened / updated / closed; the job summary and outputs

The library is :mod:`mlci.monitor` (the live release, the streamed data, the label join, the
intervals, monitor.json and its markdown); this module wires it to files, git, the records
store and GitHub. In GitHub Actions only a ``schedule`` or ``workflow_dispatch`` run on the
baseline branch stores its monitor record and manages the issue
(:func:`mlci.github.event.monitors_production`): the event decides, as for the records of
``mlci run``. A token that may not write issues or push the records branch degrades to the job
summary, with a message naming the permission.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mlci import __version__, git
from mlci.commands.profile import load_profiles, merge_all, named_profiles
from mlci.config import Config, load_config, rules_document
from mlci.data.progress import make_progress
from mlci.data.stage import baseline_profiles
from mlci.errors import EXIT_GATE_FAILED, EXIT_PASS, GitError, MlciError
from mlci.files import write_atomic
from mlci.gates import Evidence, compare_metrics, evaluate_gates, resolve_directions, with_intervals
from mlci.github.actions import ActionsContext, detect, git_auth, warn_persisted_credentials
from mlci.github.client import GitHubError, ReadOnlyToken
from mlci.github.deployments import DeploymentsClient
from mlci.github.event import monitors_production
from mlci.github.issues import IssueClient, issue_marker, sync_issue
from mlci.github.settings import Settings
from mlci.github.workflow import annotations_for, format_annotation, write_outputs, write_summary
from mlci.model.metrics import default_metrics
from mlci.model.pairing import stored_form_of
from mlci.monitor.data import Monitored, monitored_dataset, profile_outcome, run_monitor_data
from mlci.monitor.intervals import ValueInterval, change_intervals, value_intervals
from mlci.monitor.markdown import closing_note, issue_title, render_monitor
from mlci.monitor.performance import Performance, evaluate_joined, join_labels
from mlci.monitor.release import LiveRelease, find_live_release
from mlci.monitor.result import (
    MonitorOutcome,
    ReleaseRef,
    RunInfo,
    dumps_document,
    history_path,
    monitor_document,
    monitor_exposition,
    monitor_report,
)
from mlci.monitor.sources import Format, expand
from mlci.monitor.terminal import render_terminal
from mlci.paths import check_output
from mlci.records.format import utc_now
from mlci.records.store import RecordStore, open_store
from mlci.report.jsonreport import dumps_report
from mlci.report.openmetrics import render_openmetrics
from mlci.results import GateResult, MetricComparison
from mlci.userenv import conceal_from_proc, tokens_in

ClientFactory = Callable[[Settings], DeploymentsClient]
ISSUES_HINT = "Grant the job `issues: write`."
CONTENTS_HINT = "Grant the job `contents: write` (it pushes the records branch)."


@dataclass(frozen=True)
class Inputs:
    """What to monitor besides the config: ``--data NAME=PATH``, ``--profile NAME=FILE``."""

    data: Mapping[str, Path] = field(default_factory=dict)
    profiles: Mapping[str, Sequence[Path]] = field(default_factory=dict)


def inputs_of(data: Sequence[str], profiles: Sequence[str]) -> Inputs:
    """The ``NAME=PATH`` values of ``--data`` and ``--profile`` (a profile's shards grouped)."""
    given: dict[str, list[Path]] = {}
    for value in profiles:
        name, path = _pair(value, "--profile")
        given.setdefault(name, []).append(path)
    return Inputs(
        data=dict(_pair(value, "--data") for value in data),
        profiles={name: tuple(paths) for name, paths in given.items()},
    )


def _pair(value: str, option: str) -> tuple[str, Path]:
    """``NAME=PATH`` of ``--data``/``--profile``."""
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise MlciError(
            f"{option} {value!r}: expected NAME=PATH, the dataset's name in mlci.yml and a path, "
            f"e.g. {option} eval=logs/2024-05-01/."
        )
    return name, Path(path)


def monitor_command(
    config_path: Path,
    *,
    output_dir: Path,
    release: str | None = None,
    data: Sequence[str] = (),
    profiles: Sequence[str] = (),
    store: bool = True,
    push: bool = False,
    issue: bool = True,
    openmetrics: Path | None = None,
    fail_on_gate: bool = True,
    quiet: bool = False,
    environ: Mapping[str, str],
    stdout: TextIO,
    client_factory: ClientFactory | None = None,
) -> int:
    """Monitor production against the live release: 0 within every fail threshold, 1 not.

    Parameters:
        config_path: mlci.yml (its ``monitor`` section, unless ``data``/``profiles`` are given).
        output_dir: report.md, report.json and monitor.json go there.
        release: the release's tag (default: the live release, see :mod:`mlci.monitor.release`).
        data: ``NAME=PATH`` values of ``--data``: production rows standing in for a dataset.
        profiles: ``NAME=FILE`` values of ``--profile``: profiles of production rows (shards
            of a dataset are merged).
        store: append the monitor record to the records branch (see the module docstring).
        push: outside GitHub Actions, also push it (in Actions it is always pushed).
        issue: in GitHub Actions, open, update or close the monitoring issue.
        openmetrics: also write the OpenMetrics text there.
        fail_on_gate: exit 1 when a fail threshold is crossed (else 0, the verdict reported).
        environ: the environment (``GITHUB_*``, the token).
        client_factory: makes the GitHub client from the settings (tests inject retries).
    """
    inputs = inputs_of(data, profiles)
    config = load_config(config_path)
    actions = detect(environ)
    repo = git.repo_root(config.root)
    for path, option in ((output_dir, "--output-dir"), (openmetrics, "--openmetrics")):
        if path is not None:
            check_output(path, repo, option)
    settings = actions.settings if actions is not None else _settings(environ)
    conceal_from_proc([*tokens_in(environ), *([settings.token] if settings else [])])
    auth = None
    if actions is not None:
        auth = git_auth(actions, stdout)
        warn_persisted_credentials(repo, stdout)
    allowed, why = _production_run(config, actions)
    client = (client_factory or _default_client)(settings) if settings is not None else None
    try:
        records = open_store(
            config.baseline.store, repo, push=actions is not None or push, auth=auth
        )
        live = _live_release(config, repo, records, release, client, stdout)
        outcome = monitor_once(
            config, live, inputs, settings, env=environ, quiet=quiet, stdout=stdout
        )
        paths = _write(outcome, output_dir, openmetrics)
        if store and allowed:
            _store(outcome, paths, records, actions, stdout)
        elif actions is not None and store:
            print(f"mlci: not storing the monitor record: {why}", file=stdout)
        url = _issue(config, outcome, actions, client, stdout) if issue and allowed else None
        if issue and not allowed and actions is not None:
            print(f"mlci: not touching the monitoring issue: {why}", file=stdout)
        _report(outcome, paths, actions, url, quiet, stdout)
    finally:
        if client is not None:
            client.close()
    print(f"mlci: {'FAIL' if outcome.alert else 'PASS'}", file=stdout)
    return EXIT_GATE_FAILED if outcome.alert and fail_on_gate else EXIT_PASS


def monitor_once(
    config: Config,
    live: LiveRelease,
    inputs: Inputs,
    settings: Settings | None,
    *,
    env: Mapping[str, str],
    quiet: bool,
    stdout: TextIO,
) -> MonitorOutcome:
    """Measure production against ``live``; no output is written."""

    base = baseline_profiles(live.record)
    monitored, profiled = _inputs(config, inputs, base)
    notes: list[str] = []
    progress = make_progress(quiet=quiet, environ=env, stdout=stdout)
    outcomes = list(run_monitor_data(monitored, base, progress=progress))
    for name, (profile, shown) in profiled.items():
        ds = monitored_dataset(config.datasets[name], _severity(config))
        outcomes.append(profile_outcome(ds, profile, base.get(name), shown))
    for d in outcomes:
        if d.summary.name not in base:
            notes.append(
                f"The release record has no profile of dataset '{d.summary.name}': its drift "
                "was not measured (the release was evaluated without it)."
            )
    checks = tuple(c for d in outcomes for c in d.checks)
    performance, comparisons, gates, release_intervals, more = _performance(config, live, monitored)
    return MonitorOutcome(
        name=config.name,
        created_at=utc_now(env),
        tool_version=__version__,
        release=ReleaseRef(live.tag, live.commit, live.how, live.record_source, live.url),
        run=_run_info(settings),
        datasets=tuple(outcomes),
        files={m.dataset.name: len(m.files.paths) for m in monitored},
        checks=checks,
        comparisons=comparisons,
        gates=gates,
        performance=performance,
        release_intervals=release_intervals,
        notes=(*notes, *more),
        rules=rules_document(config),
    )


# -- what is monitored ----------------------------------------------------------------------------


def _inputs(
    config: Config, inputs: Inputs, base: Mapping[str, Mapping[str, Any]]
) -> tuple[list[Monitored], dict[str, tuple[dict[str, Any], str]]]:
    """The monitored files and profiles by dataset; the CLI's names win over the config's.

    The served model's output columns are left out of the data of the dataset that holds them
    (they are outputs, not inputs), unless the release profiled a column of that name.
    """
    repository = config.repository or config.root
    paths: dict[str, tuple[Path, Format | None, str, str]] = {}
    if config.monitor is not None:
        for name, d in config.monitor.data.items():
            written = config.raw_value(f"monitor.data.{name}.path") or str(d.path)
            paths[name] = (d.path, d.format, written, f"monitor.data.{name}")
    for name, path in inputs.data.items():
        _known(config, name, "--data")
        paths[name] = (Path(os.path.abspath(path)), None, str(path), f"--data {name}")
    profiled = {}
    for name, files in inputs.profiles.items():
        _known(config, name, "--profile")
        paths.pop(name, None)
        profiled[name] = (_merged_profile(name, files), ", ".join(str(f) for f in files))
    if not paths and not profiled:
        raise MlciError(
            f"{config.path.name}: nothing to monitor: add a `monitor` section (monitor.data: the "
            "production rows of a dataset) or give --data NAME=PATH. See docs/monitoring.md."
        )
    monitored = []
    for name, (path, fmt, written, what) in paths.items():
        found = expand(path, fmt=fmt, what=what, shown=written, repository=repository)
        ds = monitored_dataset(config.datasets[name], _severity(config))
        monitored.append(Monitored(ds, found, _outputs_of(config, name, base.get(name))))
    return monitored, profiled


def _outputs_of(config: Config, name: str, profile: Mapping[str, Any] | None) -> frozenset[str]:
    outputs = config.monitor.predictions if config.monitor is not None else None
    if outputs is None or outputs.data != name:
        return frozenset()
    columns = [c for c in (outputs.y_pred, outputs.y_score, *(outputs.y_proba or ())) if c]
    profiled = set(profile["columns"]) if profile is not None else set()
    return frozenset(c for c in columns if c not in profiled)


def _known(config: Config, name: str, option: str) -> None:
    if name not in config.datasets:
        listed = ", ".join(config.datasets) or "none"
        raise MlciError(
            f"{option} {name}: no dataset {name!r} in {config.path.name} (datasets: {listed}). "
            "The production rows stand in for a configured dataset: its checks and drift apply."
        )


def _merged_profile(name: str, files: Sequence[Path]) -> dict[str, Any]:
    profiles = [p for f in files for _, p in named_profiles(f, load_profiles(f), name)]
    if not profiles:
        raise MlciError(f"--profile: the files hold no profile of dataset {name!r}.")
    return merge_all(profiles, name)


def _severity(config: Config) -> str:
    return config.monitor.drift_severity if config.monitor is not None else "error"


# -- performance ---------------------------------------------------------------------------------


def _performance(
    config: Config, live: LiveRelease, monitored: Sequence[Monitored]
) -> tuple[
    Performance | None,
    tuple[MetricComparison, ...],
    tuple[GateResult, ...],
    dict[str, ValueInterval],
    list[str],
]:
    """The release's metrics on the labeled production rows, compared and gated."""
    monitor = config.monitor
    if monitor is None or monitor.predictions is None or monitor.labels is None:
        return None, (), (), {}, ["Performance was not monitored: no `monitor.labels` configured."]
    assert config.model is not None  # the config requires `model` with monitor.predictions
    served = next((m for m in monitored if m.dataset.name == monitor.predictions.data), None)
    if served is None:
        why = f"the rows of '{monitor.predictions.data}' were given as a profile, not as rows"
        return None, (), (), {}, [f"Performance was not monitored: {why}."]
    labels = expand(
        monitor.labels.path,
        fmt=monitor.labels.format,
        what="monitor.labels",
        shown=config.raw_value("monitor.labels.path") or str(monitor.labels.path),
        repository=config.repository or config.root,
    )
    task = config.model.task
    joined = join_labels(
        served.files, served.dataset, monitor.predictions, labels, monitor.labels, task=task
    )
    metrics = _release_metrics(config, live)

    directions = resolve_directions(config, metrics)
    performance = evaluate_joined(
        joined,
        task=task,
        metrics=metrics,
        directions=directions,
        confidence=config.stats.confidence,
        seed=config.stats.seed,
    )
    notes = _join_notes(performance)
    if not performance.metrics:
        return performance, (), (), {}, notes
    comparisons, gates, release_intervals = _judge(config, live, performance, directions)
    return performance, comparisons, gates, release_intervals, notes


def _release_metrics(config: Config, live: LiveRelease) -> list[str]:
    """The metrics the release was evaluated with, else the config's (or the task's)."""

    model = live.record.model or {}
    names = list(model.get("metrics", {})) if isinstance(model.get("metrics"), dict) else []
    assert config.model is not None
    return names or list(config.model.metrics) or list(default_metrics(config.model.task))


def _judge(
    config: Config, live: LiveRelease, performance: Performance, directions: Mapping[str, bool]
) -> tuple[tuple[MetricComparison, ...], tuple[GateResult, ...], dict[str, ValueInterval]]:

    release_values = _release_values(live)
    release_intervals = _release_intervals(config, live, list(performance.metrics), directions)
    stats = change_intervals(
        performance.metrics,
        release_values or {},
        production_intervals=performance.intervals,
        release_intervals=release_intervals,
        directions=directions,
        confidence=config.stats.confidence,
    )
    comparisons = with_intervals(
        compare_metrics(performance.metrics, release_values, directions), stats
    )
    gates = evaluate_gates(
        config.gates,
        comparisons,
        has_baseline=release_values is not None,
        mode=config.stats.mode,
        evidence=Evidence(stats, unpaired="" if stats else "no interval of the change"),
    )
    return comparisons, gates, release_intervals


def _release_values(live: LiveRelease) -> dict[str, float] | None:
    model = live.record.model
    if not model or not isinstance(model.get("metrics"), dict):
        return None
    return {k: float("nan") if v is None else float(v) for k, v in model["metrics"].items()}


def _release_intervals(
    config: Config, live: LiveRelease, metrics: list[str], directions: Mapping[str, bool]
) -> dict[str, ValueInterval]:
    """The intervals of the release's own metrics, from its record's stored predictions."""

    doc = live.record.extra.get("predictions") if live.record.extra else None
    if doc is None:
        return {}
    try:
        outputs = stored_form_of(doc)
    except ValueError:
        return {}
    return value_intervals(
        outputs,
        metrics,
        directions=directions,
        confidence=config.stats.confidence,
        seed=config.stats.seed,
    )


def _join_notes(p: Performance) -> list[str]:
    j = p.joined
    notes = []
    waiting = j.served_rows - j.labeled_rows
    if j.labeled_rows == 0:
        notes.append(
            f"No production row has a label yet ({j.served_rows:,} served rows, {j.label_rows:,} "
            "labels): the release's metrics were not measured."
        )
    elif waiting:
        notes.append(
            f"The metrics are measured on the {j.labeled_rows:,} of {j.served_rows:,} production "
            f"rows that have a label; {waiting:,} are still waiting for theirs."
        )
    if j.unmatched_labels:
        notes.append(f"{j.unmatched_labels:,} labels have an id that is not in these rows.")
    if j.repeated_ids:
        notes.append(f"{j.repeated_ids:,} labeled rows repeat an id served earlier (each counts).")
    return notes


# -- the live release ------------------------------------------------------------------------------


def _live_release(
    config: Config,
    repo: Path,
    records: RecordStore,
    tag: str | None,
    client: DeploymentsClient | None,
    stdout: TextIO,
) -> LiveRelease:

    def resolve(repository: Path, name: str) -> str | None:
        return git.resolve_commit(repository, f"refs/tags/{name}")

    live = find_live_release(
        config,
        repo,
        records,
        tag=tag,
        client=client,
        resolve_tag=resolve,
        log=lambda line: print(f"mlci: {line}", file=stdout),
    )
    print(f"mlci: comparing production with release {live.describe()}.", file=stdout)
    return live


def _settings(env: Mapping[str, str]) -> Settings | None:
    """GitHub settings outside Actions, when a token and the repository are set."""

    has_token = env.get("MLCI_GITHUB_TOKEN") or env.get("GITHUB_TOKEN")
    if not (has_token and env.get("GITHUB_REPOSITORY")):
        return None
    return Settings.from_environ(env)


def _default_client(settings: Settings) -> DeploymentsClient:

    return DeploymentsClient(settings)


def _production_run(config: Config, actions: ActionsContext | None) -> tuple[bool, str]:
    """Whether this run stores its monitor record and manages the issue, and why not."""
    if actions is None:
        return True, ""

    s = actions.settings
    if monitors_production(s.event_name, s.ref, config.baseline.branch):
        return True, ""
    return False, (
        f"only a schedule or workflow_dispatch run on {config.baseline.branch} does (this is a "
        f"{s.event_name or 'unknown'} run on {s.ref or 'an unknown ref'}); the report is in the "
        "job summary"
    )


def _run_info(settings: Settings | None) -> RunInfo:
    if settings is None or not settings.run_id:
        return RunInfo("")
    return RunInfo(settings.run_id, settings.run_attempt, settings.event_name, settings.run_url)


# -- outputs ---------------------------------------------------------------------------------------


def _write(outcome: MonitorOutcome, output_dir: Path, openmetrics: Path | None) -> dict[str, Path]:

    paths = {
        "report_markdown": output_dir / "report.md",
        "report_json": output_dir / "report.json",
        "monitor_json": output_dir / "monitor.json",
    }
    write_atomic(paths["report_markdown"], render_monitor(outcome))
    write_atomic(paths["report_json"], dumps_report(monitor_report(outcome)))
    write_atomic(paths["monitor_json"], dumps_document(monitor_document(outcome)))
    if openmetrics is not None:
        write_atomic(openmetrics, render_openmetrics(monitor_exposition(outcome)))
        paths["openmetrics"] = openmetrics
    return paths


def _store(
    outcome: MonitorOutcome,
    paths: Mapping[str, Path],
    records: RecordStore,
    actions: ActionsContext | None,
    stdout: TextIO,
) -> None:
    data = paths["monitor_json"].read_bytes()
    path = history_path(outcome.name, outcome.created_at, outcome.run, _digest(data))
    message = f"mlci: monitor {outcome.name} vs {outcome.release.tag}: {outcome.verdict}\n"
    try:
        records.append(path, data, message=message)
    except GitError as exc:
        _warn(f"Could not store the monitor record: {exc} {CONTENTS_HINT}", actions, stdout)
        return
    print(f"mlci: stored the monitor record {path} in {records}.", file=stdout)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _issue(
    config: Config,
    outcome: MonitorOutcome,
    actions: ActionsContext | None,
    client: DeploymentsClient | None,
    stdout: TextIO,
) -> str | None:
    """Open, update or close the monitoring issue (GitHub Actions only); its URL."""
    if actions is None or client is None:
        return None

    issues = IssueClient(actions.settings, retry=client.retry)
    try:
        outcome_issue = sync_issue(
            issues,
            config.name,
            alert=outcome.alert,
            title=issue_title(outcome),
            body=render_monitor(outcome, marker=issue_marker(config.name)),
            closing_note=closing_note(outcome),
            identity=issues.identity(),
            labels=config.monitor.issue_labels if config.monitor else (),
        )
    except ReadOnlyToken:
        _warn(
            "mlci could not open, update or close the monitoring issue: the token may not write "
            f"issues. {ISSUES_HINT} The report is in the job summary.",
            actions,
            stdout,
        )
        return None
    except GitHubError as exc:
        _warn(f"The monitoring issue could not be updated: {exc}", actions, stdout)
        return None
    finally:
        issues.close()
    if outcome_issue.action != "none":
        print(
            f"mlci: monitoring issue #{outcome_issue.number}: {outcome_issue.action}.", file=stdout
        )
    return outcome_issue.url if outcome_issue.action != "closed" else None


def _report(
    outcome: MonitorOutcome,
    paths: Mapping[str, Path],
    actions: ActionsContext | None,
    issue_url: str | None,
    quiet: bool,
    stdout: TextIO,
) -> None:
    if not quiet:
        print(render_terminal(outcome), file=stdout)
        for label, path in paths.items():
            print(f"{label.replace('_', ' ')}: {path}", file=stdout)
    if actions is None:
        return

    settings = actions.settings
    for line in annotations_for(outcome.checks, outcome.gates):
        print(line, file=stdout)
    if settings.step_summary is not None:
        markdown = paths["report_markdown"].read_text(encoding="utf-8")
        if issue_url:
            markdown += f"\nMonitoring issue: {issue_url}\n"
        write_summary(settings.step_summary, markdown)
    if settings.output is not None:
        outputs = {
            "verdict": outcome.verdict,
            "report-json": str(paths["report_json"].resolve()),
            "report-markdown": str(paths["report_markdown"].resolve()),
            "monitor-json": str(paths["monitor_json"].resolve()),
            "issue-url": issue_url or "",
        }
        write_outputs(settings.output, outputs)


def _warn(message: str, actions: ActionsContext | None, stdout: TextIO) -> None:
    if actions is None:
        print(f"mlci: warning: {message}", file=stdout)
        return

    print(format_annotation("warning", message, title="mlci monitor"), file=stdout)
