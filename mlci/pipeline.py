"""The one place that wires I/O to the pure core: `mlci run`, `mlci validate`, `mlci evaluate`.

    config ─► datasets ─► profile, checks, drift vs the baseline profile ─┐
              model / predictions / metrics file ─► metrics ──────────────┼─► compare ─► gates
              baseline record (merge base with the target branch) ────────┘       ─► report, record

Every stage below is a small function of plain values; this module only reads, writes and
hands values from one stage to the next.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mlci import __version__
from mlci.config import Config, load_config
from mlci.errors import EXIT_GATE_FAILED, EXIT_PASS, MlciError
from mlci.results import (
    BaselineInfo,
    CheckResult,
    GateResult,
    MetricComparison,
    ModelEvaluation,
    Report,
    SliceResult,
    Verdict,
)

if TYPE_CHECKING:
    import pandas as pd

    from mlci.data.progress import Progress
    from mlci.data.stage import DatasetOutcome
    from mlci.github.actions import ActionsContext
    from mlci.model.budgets import BudgetsOutcome
    from mlci.model.load import Predictions
    from mlci.model.pairing import PairedOutcome
    from mlci.model.slices import SlicesOutcome
    from mlci.records.format import Record
    from mlci.records.store import RecordStore
    from mlci.report.plots import PlotInputs


@dataclass(frozen=True)
class Revision:
    """The commit under evaluation and where it sits."""

    repo: Path
    commit: str
    branch: str | None
    on_baseline_branch: bool

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}" if self.branch else self.commit


@dataclass(frozen=True)
class Outcome:
    """Everything one run produced: the report to render and the record to store."""

    report: Report
    record: Record
    plots: PlotInputs | None = None  # what the HTML report's figures are drawn from


# --- stages -------------------------------------------------------------------------------


def locate(config: Config, *, commit: str | None = None, branch: str | None = None) -> Revision:
    """Find the repository, the commit and the branch being evaluated."""
    from mlci import git

    repo = git.repo_root(config.root)
    sha = git.resolve_commit(repo, commit) if commit else git.head_commit(repo)
    if sha is None:
        raise MlciError(f"Unknown commit {commit!r}: it is not in the repository at {repo}.")
    name = branch if branch is not None else git.current_branch(repo)
    return Revision(repo, sha, name, name == config.baseline.branch)


def open_store(config: Config, repo: Path) -> RecordStore:
    from mlci.records.store import open_store as _open

    return _open(config.baseline.store, repo)


def find_baseline(
    config: Config, rev: Revision, store: RecordStore
) -> tuple[BaselineInfo, Record | None]:
    """The baseline record: the merge base with the target branch, or its nearest ancestor."""
    from mlci.records.baseline import resolve_baseline

    return resolve_baseline(
        rev.repo,
        rev.commit,
        target_branch=config.baseline.branch,
        store=store,
        name=config.name,
        max_depth=config.baseline.max_depth,
    )


def data_stage(
    config: Config,
    baseline: Record | None,
    *,
    progress: Progress | None = None,
    against: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[tuple[DatasetOutcome, ...], dict[str, pd.DataFrame]]:
    """Read, profile, check and compare every dataset with the baseline's profile, in one
    streaming pass each; then read the model's evaluation dataset (only that one) in memory."""
    from mlci.data.read import read_dataset
    from mlci.data.stage import run_data_stage

    outcomes = run_data_stage(config, baseline, progress=progress, against=against)
    frames: dict[str, pd.DataFrame] = {}
    if config.model is not None and config.model.model is not None:
        name = config.model.model.data
        frames[name] = read_dataset(config.datasets[name])
    return outcomes, frames


def _baseline_profile(baseline: Record | None, name: str) -> Mapping[str, Any] | None:
    if baseline is None:
        return None
    entry = baseline.datasets.get(name)
    return entry.get("profile") if entry else None


def model_stage(config: Config, frames: Mapping[str, pd.DataFrame]) -> ModelEvaluation | None:
    if config.model is None:
        return None
    from mlci.model.evaluate import evaluate as _evaluate

    return _evaluate(config.model, frames)


def judge(
    config: Config,
    evaluation: ModelEvaluation | None,
    baseline: Record | None,
    checks: Sequence[CheckResult],
    *,
    paired: PairedOutcome | None = None,
) -> tuple[tuple[MetricComparison, ...], Any, Any]:
    """Compare the metrics with the baseline's and apply the gates (pure).

    ``paired`` brings the intervals of Δ (and, when the baseline model was re-scored on this
    run's rows, the baseline's metrics on them).
    """
    from mlci.gates import (
        Evidence,
        compare_metrics,
        evaluate_gates,
        resolve_directions,
        verdict,
        with_intervals,
    )

    current = dict(evaluation.metrics) if evaluation else {}
    base_metrics = _baseline_metrics(baseline)
    if paired is not None and paired.baseline_metrics is not None and base_metrics is not None:
        base_metrics = {**base_metrics, **paired.baseline_metrics}
    evidence = paired.evidence if paired is not None else Evidence()
    directions = resolve_directions(config, list(current) + [g.metric for g in config.gates])
    comparisons = with_intervals(compare_metrics(current, base_metrics, directions), evidence.stats)
    gates = evaluate_gates(
        config.gates,
        comparisons,
        has_baseline=base_metrics is not None,
        mode=config.stats.mode,
        evidence=evidence,
    )
    return comparisons, gates, verdict(gates, checks)


def paired_stage(
    config: Config,
    rev: Revision,
    baseline: Record | None,
    evaluation: ModelEvaluation | None,
    predictions: Predictions | None,
    frames: Mapping[str, pd.DataFrame],
) -> PairedOutcome | None:
    """Pair the candidate's predictions with the baseline's, re-scoring the baseline's model
    file on this run's rows when the stored ones are for other rows (or missing)."""
    if evaluation is None:
        return None
    from mlci.gates import resolve_directions
    from mlci.model.pairing import paired_outcome
    from mlci.model.rescore import rescore_baseline

    model, rescore = config.model, None
    if model is not None and model.model is not None and baseline is not None:
        model_file, commit = model.model, baseline.commit
        rescore = lambda: rescore_baseline(  # noqa: E731
            model_file, model.task, rev.repo, commit, frames
        )
    return paired_outcome(
        config,
        predictions,
        baseline,
        metrics=list(evaluation.metrics),
        directions=resolve_directions(config, list(evaluation.metrics)),
        rescore=rescore,
    )


def _paired_notes(
    config: Config, gates: Sequence[GateResult], paired: PairedOutcome | None
) -> tuple[str, ...]:
    from mlci.gates import point_fallback_note

    if paired is None:
        return ()
    note = point_fallback_note(
        config.gates, gates, mode=config.stats.mode, evidence=paired.evidence
    )
    return (*paired.notes, *((note,) if note else ()))


def _record_extra(paired: PairedOutcome | None) -> dict[str, Any]:
    """The record's additions: the candidate's per-example predictions, compactly."""
    if paired is None or paired.stored is None:
        return {}
    return {"predictions": paired.stored}


def _baseline_metrics(baseline: Record | None) -> dict[str, float] | None:
    if baseline is None or not baseline.model:
        return None
    raw = baseline.model.get("metrics") or {}
    return {k: (float("nan") if v is None else float(v)) for k, v in raw.items()}


# --- the whole pipeline ------------------------------------------------------------------


def evaluate_revision(
    config: Config, rev: Revision, store: RecordStore, *, progress: Progress | None = None
) -> Outcome:
    """Run every stage for one revision against its baseline; no output is written."""
    from mlci.records.format import Record, environment_info

    base_info, base_record = find_baseline(config, rev, store)
    if base_record is None and config.baseline.on_missing == "fail" and not rev.on_baseline_branch:
        raise MlciError(
            f"No baseline: {base_info.reason}. Push to {config.baseline.branch} once with mlci "
            "enabled, or set `baseline.on_missing: skip`."
        )
    datasets, frames = data_stage(config, base_record, progress=progress)
    checks = tuple(c for d in datasets for c in d.checks)
    evaluation, predictions = _model_with_predictions(config, frames)
    paired = paired_stage(config, rev, base_record, evaluation, predictions, frames)
    comparisons, gates, verdict = judge(config, evaluation, base_record, checks, paired=paired)
    slices, budgets = _slices_and_budgets(
        config, rev, base_info, base_record, evaluation, predictions, frames
    )
    all_gates = (*gates, *slices.gates, *budgets.gates)
    verdict = _verdict(all_gates, checks)
    history, history_notes = _history(config, rev, store, base_info)
    report = Report(
        name=config.name,
        verdict=verdict,
        commit=rev.commit,
        ref=rev.ref,
        baseline=base_info,
        metrics=comparisons,
        gates=all_gates,
        checks=checks,
        datasets=tuple(d.summary for d in datasets),
        evaluation=evaluation,
        tool_version=__version__,
        notes=(
            *_paired_notes(config, gates, paired),
            *slices.notes,
            *budgets.notes,
            *history_notes,
        ),
        history={m: tuple(v for _, v in points) for m, points in history.items() if points},
        slices=slices.slices,
        budgets=budgets.budgets,
    )
    record = Record(
        name=config.name,
        commit=rev.commit,
        ref=rev.ref,
        created_at=_now(),
        config_hash=_config_hash(config),
        tool_version=__version__,
        environment=environment_info(),
        datasets={d.summary.name: _dataset_entry(d) for d in datasets},
        model=_model_entry(evaluation),
        gates=tuple(g.to_dict() for g in all_gates),
        checks=tuple(c.to_dict() for c in checks),
        verdict=verdict,
        extra={**_record_extra(paired), **_slices_and_budgets_extra(slices, budgets)},
    )
    plots = _plot_inputs(
        config, evaluation, predictions, datasets, frames, base_record, history, slices.slices
    )
    return Outcome(report, record, plots)


def _slices_and_budgets(
    config: Config,
    rev: Revision,
    base_info: BaselineInfo,
    baseline: Record | None,
    evaluation: ModelEvaluation | None,
    predictions: Predictions | None,
    frames: Mapping[str, pd.DataFrame],
) -> tuple[SlicesOutcome, BudgetsOutcome]:
    """Metrics per slice, and the model's size/latency/memory budgets, each with its gates."""
    from mlci.model.budgets import evaluate_budgets
    from mlci.model.slices import evaluate_slices

    slices = evaluate_slices(config, evaluation, predictions, baseline)
    budgets = evaluate_budgets(
        config, frames, repo=rev.repo, baseline_commit=base_info.commit, baseline=baseline
    )
    return slices, budgets


def _slices_and_budgets_extra(slices: SlicesOutcome, budgets: BudgetsOutcome) -> dict[str, Any]:
    """The record's slices (compact) and measured budgets, for later runs to compare with."""
    extra: dict[str, Any] = {"slices": list(slices.record)} if slices.record else {}
    if budgets.record is not None:
        extra["budgets"] = dict(budgets.record)
    return extra


def _verdict(gates: Sequence[GateResult], checks: Sequence[CheckResult]) -> Verdict:
    from mlci.gates import verdict

    return verdict(gates, checks)


def _model_with_predictions(
    config: Config, frames: Mapping[str, pd.DataFrame]
) -> tuple[ModelEvaluation | None, Predictions | None]:
    """The candidate's metrics and, when there are any, its per-example predictions."""
    if config.model is None:
        return None, None
    from mlci.model.evaluate import evaluate_with_predictions

    return evaluate_with_predictions(config.model, frames)


def _gated_metrics(config: Config) -> list[str]:
    return list(dict.fromkeys(g.metric for g in config.gates))


def _history(
    config: Config, rev: Revision, store: RecordStore, base: BaselineInfo
) -> tuple[dict[str, list[tuple[str, float]]], tuple[str, ...]]:
    """The gated metrics on the baseline branch up to the baseline; a failure is only a note."""
    from mlci.records.history import history_from_store

    metrics = _gated_metrics(config)
    if not metrics:
        return {}, ()
    try:
        return history_from_store(
            rev.repo, store, config.name, config.baseline.branch, metrics, start=base.commit
        ), ()
    except MlciError as exc:
        return {}, (f"Metric history unavailable: {exc}",)


def _plot_inputs(
    config: Config,
    evaluation: ModelEvaluation | None,
    predictions: Predictions | None,
    datasets: Sequence[DatasetOutcome],
    frames: Mapping[str, pd.DataFrame],
    baseline: Record | None,
    history: Mapping[str, Sequence[tuple[str, float]]],
    slices: Sequence[SliceResult] = (),
) -> PlotInputs:
    """The values the report's figures are drawn from (drawn later, only if wanted)."""
    from mlci.report.plots import PlotInputs, drifted_distributions, worst_slices

    checks = [c for d in datasets for c in d.checks]
    base_profiles = {d.summary.name: _baseline_profile(baseline, d.summary.name) for d in datasets}
    current = {d.summary.name: d.profile for d in datasets}
    metrics = dict(evaluation.metrics) if evaluation else {}
    branch = config.baseline.branch
    try:
        distributions = drifted_distributions(checks, base_profiles, current, frames)
        slice_metric, worst = worst_slices(slices)
        notes: tuple[str, ...] = ()
    except Exception as exc:  # a figure must never fail the run
        distributions, slice_metric, worst = (), "", []
        notes = (f"Drift and slice figures not drawn ({type(exc).__name__}: {exc}).",)
    return PlotInputs(
        task=evaluation.task if evaluation else None,
        predictions=predictions,
        baseline_predictions=_stored_predictions(baseline),
        distributions=distributions,
        history=history,
        current={m: metrics[m] for m in history if m in metrics},
        slices=worst,
        slice_metric=slice_metric,
        names=(branch, "this PR"),
        branch=branch,
        notes=notes,
    )


def _dataset_entry(d: DatasetOutcome) -> dict[str, Any]:
    s = d.summary
    return {
        "path": s.path,
        "fingerprint": s.fingerprint,
        "rows": s.rows,
        "columns": s.columns,
        "profile": d.profile,
    }


def _model_entry(evaluation: ModelEvaluation | None) -> dict[str, Any] | None:
    if evaluation is None:
        return None
    return {
        "task": evaluation.task,
        "source": evaluation.source,
        "n_rows": evaluation.n_rows,
        "metrics": dict(evaluation.metrics),
    }


def _config_hash(config: Config) -> str:
    from mlci.config import config_hash

    return config_hash(config)


def _now() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_outputs(
    outcome: Outcome,
    output_dir: Path,
    *,
    max_comment_chars: int,
    full_report_hint: str | None = None,
    html: bool = True,
    junit: Path | None = None,
) -> dict[str, Path]:
    """Write report.md, report.json, record.json, report.html (with its PNGs under figures/
    unless ``html`` is False) and the JUnit XML file ``junit``; return their paths."""
    from mlci.report.jsonreport import dumps_report
    from mlci.report.markdown import DEFAULT_HINT, render_comment

    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "report_markdown": output_dir / "report.md",
        "report_json": output_dir / "report.json",
        "record": output_dir / "record.json",
    }
    _write_atomic(
        paths["report_markdown"],
        render_comment(
            outcome.report,
            max_chars=max_comment_chars,
            full_report_hint=full_report_hint or DEFAULT_HINT,
        ),
    )
    _write_atomic(paths["report_json"], dumps_report(outcome.report))
    _write_atomic(paths["record"], outcome.record.to_json())
    if html:
        paths["report_html"] = _write_html(outcome, output_dir)
    if junit is not None:
        from mlci.report.junit import render_junit

        junit.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(junit, render_junit(outcome.report))
        paths["junit"] = junit
    return paths


def _stored_predictions(record: Record | None) -> Predictions | None:
    """The per-example predictions a record keeps (for the baseline's curves), if readable."""
    stored = record.extra.get("predictions") if record is not None else None
    if not isinstance(stored, Mapping):
        return None
    import numpy as np
    import pandas as pd

    from mlci.model.load import Predictions
    from mlci.model.pairing import decode

    try:
        rows = decode(stored)
    except ValueError:
        return None
    frame = pd.DataFrame(index=range(len(rows.y_true)))
    if rows.task == "regression":
        return Predictions(rows.y_true, rows.y_pred, None, None, None, frame)
    classes = np.asarray(rows.classes, dtype=object)
    if len(classes) == 0 or (rows.task == "binary" and len(classes) != 2):
        return None
    y_pred = None if rows.y_pred is None else classes[rows.y_pred.astype(np.int64)]
    y_true = classes[rows.y_true.astype(np.int64)]
    if rows.task == "binary":
        return Predictions(
            y_true, y_pred, rows.y_score, None, tuple(rows.classes), frame, rows.classes[-1]
        )
    labels = tuple(rows.score_classes) or None
    proba = rows.y_score if labels is not None else None
    return Predictions(y_true, y_pred, None, proba, labels, frame)


def _write_html(outcome: Outcome, output_dir: Path) -> Path:
    """report.html, and its figures as PNG files under ``figures/`` (old PNGs there removed)."""
    from mlci.report.html import render_html
    from mlci.report.plots import figure_files

    figures, notes = _draw_figures(outcome.plots)
    folder = output_dir / "figures"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    for name, png in figure_files(figures).items():
        (folder / name).write_bytes(png)
    path = output_dir / "report.html"
    history = outcome.plots.history if outcome.plots is not None else None
    _write_atomic(path, render_html(outcome.report, figures=figures, history=history, notes=notes))
    return path


def _draw_figures(plots: PlotInputs | None) -> tuple[dict[str, bytes], list[str]]:
    """The report's figures; any failure (even importing matplotlib) becomes a note."""
    if plots is None:
        return {}, []
    try:
        from mlci.report.plots import make_figures

        return make_figures(plots)
    except Exception as exc:  # a figure must never fail the run
        return {}, [f"No figures were drawn ({type(exc).__name__}: {exc})."]


def full_report_hint(environ: Mapping[str, str]) -> str:
    """The comment footer's pointer to the report: a link to the run's artifacts in Actions.

    ``full report: [artifact `mlci-report`](https://github.com/o/r/actions/runs/1#artifacts)``
    when ``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY`` and ``GITHUB_RUN_ID`` are set and
    well-formed, else the plain hint (the values go into trusted markdown, so they are checked).
    """
    from mlci.report.markdown import DEFAULT_HINT

    server = environ.get("GITHUB_SERVER_URL", "").rstrip("/")
    repo, run_id = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
    if not (_SERVER.fullmatch(server) and _REPOSITORY.fullmatch(repo) and run_id.isdigit()):
        return DEFAULT_HINT
    return f"full report: [artifact `mlci-report`]({server}/{repo}/actions/runs/{run_id}#artifacts)"


_SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run(
    config_path: Path,
    *,
    output_dir: Path,
    store: bool = True,
    commit: str | None = None,
    branch: str | None = None,
    quiet: bool = False,
    comment: bool = True,
    fail_on_gate: bool = True,
    environ: MutableMapping[str, str] | None = None,
    html: bool = True,
    junit: Path | None = None,
    stdout: TextIO,
) -> int:
    """`mlci run`: evaluate, compare, gate, report; on the baseline branch store the record.

    Inside GitHub Actions (``GITHUB_ACTIONS=true``) the run also sets the pending and final
    commit status, posts or edits the sticky PR comment, writes the job summary, the step
    outputs and annotations. ``fail_on_gate=False`` reports a failing verdict but exits 0.
    ``html=False`` skips report.html and its figures; ``junit`` also writes JUnit XML there.
    """
    from mlci.github.actions import begin, detect, finish, git_credentials
    from mlci.report.terminal import render_terminal

    env = os.environ if environ is None else environ
    config = load_config(config_path)
    actions = detect(env)
    if actions is not None:
        commit = commit or actions.commit
        branch = branch if branch is not None else actions.branch
    rev = locate(config, commit=commit, branch=branch)
    if actions is not None:
        git_credentials(actions, rev.repo, os.environ, stdout)
        begin(actions, config.name, stdout)
    records = open_store(config, rev.repo)
    from mlci.data.progress import make_progress

    progress = make_progress(quiet=quiet, environ=env, stdout=stdout)
    outcome = evaluate_revision(config, rev, records, progress=progress)
    if actions is not None and config.override is not None:
        outcome = _override(actions, config.override.label, outcome, stdout)
    paths = write_outputs(
        outcome,
        output_dir,
        max_comment_chars=config.report.max_comment_chars,
        full_report_hint=full_report_hint(env),
        html=html,
        junit=junit,
    )
    stored = store and rev.on_baseline_branch
    if stored:
        records.put(outcome.record)
    if not quiet:
        print(render_terminal(outcome.report), file=stdout)
        _print_paths(paths, stdout)
    if stored:
        print(f"Stored the record of {rev.commit[:7]} in {records}.", file=stdout)
    if actions is not None:
        markdown = paths["report_markdown"].read_text(encoding="utf-8")
        finish(
            actions,
            outcome.report,
            markdown=markdown,
            paths=paths,
            comment=comment and config.report.comment,
            stdout=stdout,
        )
    print(f"mlci: {outcome.report.verdict.upper()}", file=stdout)
    if outcome.report.verdict == "pass" or not fail_on_gate:
        return EXIT_PASS
    return EXIT_GATE_FAILED


def _override(actions: ActionsContext, label: str, outcome: Outcome, stdout: TextIO) -> Outcome:
    """A maintainer's override label on a failing pull request (never on a tag)."""
    from dataclasses import replace

    from mlci.github.override import for_pull_request

    report, record = for_pull_request(actions, label, outcome.report, outcome.record, stdout=stdout)
    return replace(outcome, report=report, record=record)


def _print_paths(paths: Mapping[str, Path], stdout: TextIO) -> None:
    for label, path in paths.items():
        print(f"{label.replace('_', ' ')}: {path}", file=stdout)


def validate(
    config_path: Path,
    *,
    quiet: bool = False,
    against: Path | None = None,
    save_profiles: Path | None = None,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO,
) -> int:
    """`mlci validate`: the data stage alone, against the baseline's profiles when available.

    ``against`` is a record.json (or a JSON file of profiles by dataset name, as written by
    ``save_profiles``) to compare with instead of the baseline record; then no git
    repository is needed.
    """
    from mlci.data.progress import make_progress

    config = load_config(config_path)
    if not config.datasets:
        raise MlciError(f"{config.path.name}: no `datasets` configured: nothing to validate.")
    progress = make_progress(quiet=quiet, environ=environ, stdout=stdout)
    if against is not None:
        from mlci.data.stage import run_data_stage

        datasets = run_data_stage(config, None, progress=progress, against=_profiles_file(against))
    else:
        rev = locate(config)
        _, base_record = find_baseline(config, rev, open_store(config, rev.repo))
        from mlci.data.stage import run_data_stage

        datasets = run_data_stage(config, base_record, progress=progress)
    if save_profiles is not None:
        profiles = {d.summary.name: d.profile for d in datasets}
        _write_atomic(save_profiles, json.dumps(profiles, allow_nan=False, sort_keys=True))
    checks = [c for d in datasets for c in d.checks]
    failed = [c for c in checks if c.status == "fail"]
    if not quiet:
        for c in checks:
            if c.status != "pass":
                print(f"{c.status.upper():>17}  {c.dataset}: {c.message}", file=stdout)
        print(
            f"{len(checks)} checks: {len(checks) - len(failed)} passed or warned, "
            f"{len(failed)} failed.",
            file=stdout,
        )
    print(f"mlci: {'FAIL' if failed else 'PASS'}", file=stdout)
    return EXIT_GATE_FAILED if failed else EXIT_PASS


def _profiles_file(path: Path) -> dict[str, Mapping[str, Any]]:
    """Baseline profiles by dataset name from a record.json or a saved profiles file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MlciError(
            f"--against {path}: file not found. Give a record.json or a file "
            "written by `mlci validate --save-profiles`."
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MlciError(f"--against {path}: not a JSON file ({exc}).") from None
    entries = doc.get("datasets", doc) if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise MlciError(
            f"--against {path}: expected a record.json or a JSON object of "
            "profiles by dataset name."
        )
    profiles: dict[str, Mapping[str, Any]] = {}
    for name, entry in entries.items():
        profile = entry.get("profile", entry) if isinstance(entry, dict) else None
        if isinstance(profile, dict) and "columns" in profile and "rows" in profile:
            profiles[name] = _finished(path, profile)
    return profiles


def _finished(path: Path, profile: dict[str, Any]) -> dict[str, Any]:
    """A profile, or the profile of a piece (written by `mlci profile --piece`)."""
    from mlci.data.profile import is_piece, load_profiler

    return (
        load_profiler(profile, source=f"--against {path}").finish()
        if is_piece(profile)
        else profile
    )


def evaluate(config_path: Path, *, as_json: bool = False, stdout: TextIO) -> int:
    """`mlci evaluate`: compute and print the model's metrics."""
    config = load_config(config_path)
    if config.model is None:
        raise MlciError(f"{config.path.name}: no `model` configured: nothing to evaluate.")
    needed = {config.model.model.data} if config.model.model else set()
    from mlci.data.read import read_dataset

    frames = {n: read_dataset(config.datasets[n]) for n in needed}
    evaluation = model_stage(config, frames)
    assert evaluation is not None
    if as_json:
        print(json.dumps(evaluation.metrics, indent=2, sort_keys=True), file=stdout)
    else:
        from mlci.report.numbers import fmt_value

        for name, value in evaluation.metrics.items():
            print(f"{name:<24} {fmt_value(value)}", file=stdout)
    return EXIT_PASS
