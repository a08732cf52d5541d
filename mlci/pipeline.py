"""The stages of one run, wired together: what `mlci run` and `mlci release` evaluate.

    config ─► datasets ─► profile, checks, drift vs the baseline profile ─┐
              model / predictions / metrics file ─► metrics ──────────────┼─► compare ─► gates
              baseline record (merge base with the target branch) ────────┘       ─► report, record

Every stage is a function of plain values elsewhere (``mlci.data``, ``mlci.model``,
``mlci.gates``); this module only finds the inputs, hands each stage's values to the next and
assembles the report and the record. It writes nothing: the commands do (``mlci.commands``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci import __version__, git
from mlci.config import Config, config_hash, rules_document, rules_of, rules_of_text
from mlci.data.progress import Progress
from mlci.data.read import read_dataset
from mlci.data.stage import DatasetOutcome, baseline_profiles, run_data_stage
from mlci.errors import MlciError
from mlci.evidence import paired_stage, slices_evidence
from mlci.gates import (
    BudgetsOutcome,
    SlicesOutcome,
    judge_budgets,
    judge_metrics,
    judge_slices,
    point_fallback_note,
    verdict,
)
from mlci.gates.known import check_gated_metrics
from mlci.github.actions import ActionsContext
from mlci.github.event import stores_record
from mlci.model.slices import measure_slices
from mlci.paths import relative_inside
from mlci.records.baseline import resolve_baseline
from mlci.records.format import Record, dataset_entry, environment_info, model_entry
from mlci.records.history import history_from_store
from mlci.records.store import RecordStore
from mlci.report.plots import PlotInputs, drifted_distributions, worst_slices
from mlci.results import (
    BaselineInfo,
    GateResult,
    MetricComparison,
    ModelEvaluation,
    ParamChange,
    Report,
)
from mlci.rulediff import rule_changes

if TYPE_CHECKING:
    import pandas as pd

    from mlci.model.load import Predictions
    from mlci.model.pairing import PairedOutcome

History = dict[str, list[tuple[str, float]]]  # metric: [(short sha, value)], oldest first


@dataclass(frozen=True)
class Revision:
    """The commit under evaluation and where it sits.

    ``on_baseline_branch``: this run evaluates the baseline branch itself (its record is stored
    and its missing baseline tolerated); ``pull_request``: the number of the pull request whose
    head is evaluated, in GitHub Actions.
    """

    repo: Path
    commit: str
    branch: str | None
    on_baseline_branch: bool
    pull_request: int | None = None

    @property
    def ref(self) -> str:
        if self.pull_request is not None:
            return f"refs/pull/{self.pull_request}/head"
        return f"refs/heads/{self.branch}" if self.branch else self.commit


@dataclass(frozen=True)
class Outcome:
    """Everything one run produced: the report to render and the record to store."""

    report: Report
    record: Record
    plots: PlotInputs | None = None  # what the HTML report's figures are drawn from


@dataclass(frozen=True)
class _Judged:
    """The model's side of a run, judged: metrics, slices and budgets with their gates."""

    evaluation: ModelEvaluation | None
    predictions: Predictions | None
    comparisons: tuple[MetricComparison, ...]
    gates: tuple[GateResult, ...]  # the overall metrics' gates
    paired: PairedOutcome | None
    slices: SlicesOutcome
    budgets: BudgetsOutcome

    @property
    def all_gates(self) -> tuple[GateResult, ...]:
        return (*self.gates, *self.slices.gates, *self.budgets.gates)


# --- where the run stands -------------------------------------------------------------------


def locate(
    config: Config,
    *,
    commit: str | None = None,
    branch: str | None = None,
    actions: ActionsContext | None = None,
    change_request: bool = False,
) -> Revision:
    """Find the repository, the commit and the branch being evaluated.

    In GitHub Actions (``actions``) whether the run is on the baseline branch comes from the
    event: a push to that branch (:func:`mlci.github.event.stores_record`), never a branch name,
    which a pull request chooses. Elsewhere it is the checked-out (or given) branch, unless the
    run is another CI's merge or pull request pipeline (``change_request``, see
    :func:`mlci.ci.detect_ci`), which never is.
    """
    repo = git.repo_root(config.root)
    sha = git.resolve_commit(repo, commit) if commit else git.head_commit(repo)
    if sha is None:
        raise MlciError(f"Unknown commit {commit!r}: it is not in the repository at {repo}.")
    name = branch if branch is not None else git.current_branch(repo)
    if actions is None:
        return Revision(repo, sha, name, name == config.baseline.branch and not change_request)
    settings = actions.settings
    baseline = stores_record(settings.event_name, settings.ref, config.baseline.branch)
    number = actions.plan.pr_number if actions.plan.kind == "pull_request" else None
    return Revision(repo, sha, name, baseline, number)


def find_baseline(
    config: Config, rev: Revision, store: RecordStore
) -> tuple[BaselineInfo, Record | None]:
    """The baseline record: the merge base with the target branch, or its nearest ancestor."""
    return resolve_baseline(
        rev.repo,
        rev.commit,
        target_branch=config.baseline.branch,
        store=store,
        name=config.name,
        max_depth=config.baseline.max_depth,
        skip_unreadable=config.baseline.on_missing != "fail",
    )


# --- the stages --------------------------------------------------------------------------------


def evaluation_frames(config: Config) -> dict[str, pd.DataFrame]:
    """The model's evaluation dataset in memory, by name (none without a model to score)."""
    scored = config.model.scored() if config.model is not None else None
    if scored is None:
        return {}
    return {scored.data: read_dataset(config.datasets[scored.data])}


def model_stage(
    config: Config,
    rev: Revision,
    base: BaselineInfo,
    baseline: Record | None,
    frames: Mapping[str, pd.DataFrame],
) -> _Judged:
    """The candidate's metrics, paired with the baseline's where possible, its slices and its
    budgets, each judged by its gates."""
    if config.model is None:
        return _without_model(config, baseline)
    # the model's side (pandas, the loaders, budgets): imported only by a run with a model
    from mlci.model.budgets import measure_budgets
    from mlci.model.evaluate import evaluate_with_predictions
    from mlci.model.pairing import baseline_metrics

    evaluation, predictions = evaluate_with_predictions(config.model, frames)
    current = dict(evaluation.metrics) if evaluation else {}
    check_gated_metrics(config, current)  # a typo'd gate is a config error, before any judging
    paired = paired_stage(config, rev.repo, baseline, evaluation, predictions, frames)
    evidence = paired.evidence if paired is not None else None
    base_metrics = baseline_metrics(baseline, paired)
    comparisons, gates = judge_metrics(config, current, base_metrics, evidence=evidence)
    measured_slices = measure_slices(config, evaluation, predictions)
    evidence_by_slice = slices_evidence(config, measured_slices, paired, predictions, baseline)
    slices = judge_slices(config, measured_slices, baseline, evidence_by_slice)
    measured = measure_budgets(
        config, frames, repo=rev.repo, baseline_commit=base.commit, baseline=baseline
    )
    budgets = judge_budgets(config.budgets, measured)
    return _Judged(evaluation, predictions, comparisons, gates, paired, slices, budgets)


def _without_model(config: Config, baseline: Record | None) -> _Judged:
    """A run without a model section, judged as :func:`model_stage` would: no metrics, slices
    or budgets of its own (a gate meets only the baseline's metrics)."""
    base_metrics = baseline.metrics() if baseline is not None else None
    comparisons, gates = judge_metrics(config, {}, base_metrics, evidence=None)
    slices = judge_slices(config, None, baseline)
    budgets = judge_budgets(config.budgets, None)
    return _Judged(None, None, comparisons, gates, None, slices, budgets)


# --- the whole run -----------------------------------------------------------------------------


def evaluate_revision(
    config: Config,
    rev: Revision,
    store: RecordStore,
    *,
    created_at: str,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> Outcome:
    """Run every stage for one revision against its baseline; nothing is written.

    ``created_at`` is the record's time (:func:`mlci.records.format.utc_now`); ``jobs`` threads
    read and profile the data (None: the CPUs available).
    """
    base, base_record = find_baseline(config, rev, store)
    if base_record is None and config.baseline.on_missing == "fail" and not rev.on_baseline_branch:
        raise MlciError(
            f"No baseline: {base.reason}. Push to {config.baseline.branch} once with mlci "
            "enabled, or set `baseline.on_missing: skip`."
        )
    # every dataset in one streaming pass; the model's evaluation dataset also in memory
    datasets = run_data_stage(config, base_record, progress=progress, jobs=jobs)
    frames = evaluation_frames(config)
    checks = tuple(c for d in datasets for c in d.checks)
    judged = model_stage(config, rev, base, base_record, frames)
    history, history_notes = _history(config, rev, store, base)
    gate_changes, rules_notes = _gate_changes(config, rev, base, base_record)
    params_changed, params_notes = _params_changed(config, rev, base)
    notes = (*_judging_notes(config, judged), *history_notes, *rules_notes, *params_notes)
    report = Report(
        name=config.name,
        verdict=verdict(judged.all_gates, checks),
        commit=rev.commit,
        ref=rev.ref,
        baseline=base,
        metrics=judged.comparisons,
        gates=judged.all_gates,
        checks=checks,
        datasets=tuple(d.summary for d in datasets),
        evaluation=judged.evaluation,
        tool_version=__version__,
        notes=notes,
        history={m: tuple(v for _, v in points) for m, points in history.items() if points},
        slices=judged.slices.slices,
        budgets=judged.budgets.budgets,
        gate_changes=gate_changes,
        rules=rules_document(config),
        params_changed=params_changed,
    )
    record = _record(config, rev, report, datasets, judged, created_at)
    plots = _plot_inputs(config, judged, datasets, frames, base_record, history)
    return Outcome(report, record, plots)


def _judging_notes(config: Config, judged: _Judged) -> tuple[str, ...]:
    """What the report says about how the gates were judged (pairing, slices, budgets)."""
    paired = judged.paired
    if paired is None:
        return (*judged.slices.notes, *judged.budgets.notes)
    mode, evidence = config.stats.mode, paired.evidence
    note = point_fallback_note(config.gates, judged.gates, mode=mode, evidence=evidence)
    return (*paired.notes, *((note,) if note else ()), *judged.slices.notes, *judged.budgets.notes)


def _record(
    config: Config,
    rev: Revision,
    report: Report,
    datasets: Sequence[DatasetOutcome],
    judged: _Judged,
    created_at: str,
) -> Record:
    """The record of this run, for later runs to compare with."""
    evaluation = judged.evaluation
    return Record(
        name=config.name,
        commit=rev.commit,
        ref=rev.ref,
        created_at=created_at,
        config_hash=config_hash(config),
        tool_version=__version__,
        environment=environment_info(),
        datasets={d.summary.name: dataset_entry(d.summary, d.profile) for d in datasets},
        model=None if evaluation is None else model_entry(evaluation),
        gates=tuple(g.to_dict() for g in report.gates),
        checks=tuple(c.to_dict() for c in report.checks),
        verdict=report.verdict,
        extra=_record_extra(judged),
    )


def _record_extra(judged: _Judged) -> dict[str, Any]:
    """The record's additions: the candidate's per-example predictions (compact), its slices
    and its measured budgets."""
    extra: dict[str, Any] = {}
    if judged.paired is not None and judged.paired.stored is not None:
        extra["predictions"] = judged.paired.stored
    if judged.slices.record:
        extra["slices"] = list(judged.slices.record)
    if judged.budgets.record is not None:
        extra["budgets"] = dict(judged.budgets.record)
    if judged.evaluation is not None and judged.evaluation.standard_errors:
        extra["standard_errors"] = dict(judged.evaluation.standard_errors)
    return extra


# --- what the comment shows beside the numbers -------------------------------------------------


def _gate_changes(
    config: Config, rev: Revision, base: BaselineInfo, base_record: Record | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """How this revision's gates, stats, budgets and directions differ from the config at its
    baseline commit (or, without one, at its merge base with the baseline branch), and notes.

    Nothing on the baseline branch itself, nor when the baseline record's config hash is this
    config's. A baseline commit without the config file (mlci newly added) is no change.
    """
    if rev.on_baseline_branch:
        return (), ()
    if base_record is not None and base_record.config_hash == config_hash(config):
        return (), ()
    branch = config.baseline.branch
    commit = base.commit or git.merge_base_with_branch(rev.repo, rev.commit, branch)
    relative = relative_inside(config.path, rev.repo)
    if commit is None or relative is None:
        return (), ()
    try:
        text = git.file_at(rev.repo, commit, relative)
        old = rules_of_text(text, f"{relative}@{commit[:7]}") if text is not None else None
    except MlciError as exc:
        return (), (
            f"Could not compare the gates with the config of {branch} @ {commit[:7]}: {exc}",
        )
    return (rule_changes(old, rules_of(config)) if old is not None else ()), ()


def _params_changed(
    config: Config, rev: Revision, base: BaselineInfo
) -> tuple[tuple[ParamChange, ...], tuple[str, ...]]:
    """The DVC params that changed since the baseline commit (or, without one, the merge base
    with the baseline branch), with ``model.dvc_params``; and notes."""
    dvc_yaml = config.model.dvc_params if config.model is not None else None
    if dvc_yaml is None:
        return (), ()
    relative = relative_inside(dvc_yaml, rev.repo)
    if relative is None:
        raise MlciError(f"model.dvc_params: {dvc_yaml} is outside the repository {rev.repo}.")
    commit = base.commit or git.merge_base_with_branch(rev.repo, rev.commit, config.baseline.branch)
    if commit is None:
        return (), ("DVC params were not compared: there is no baseline commit.",)
    from mlci.model.dvc_params import params_diff  # a run with a model section only

    found = params_diff(rev.repo, relative, commit)
    return found.changes, found.notes


def _history(
    config: Config, rev: Revision, store: RecordStore, base: BaselineInfo
) -> tuple[History, tuple[str, ...]]:
    """The gated metrics on the baseline branch up to the baseline; a failure is only a note."""
    metrics = list(dict.fromkeys(g.metric for g in config.gates))
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
    judged: _Judged,
    datasets: Sequence[DatasetOutcome],
    frames: Mapping[str, pd.DataFrame],
    baseline: Record | None,
    history: History,
) -> PlotInputs:
    """The values the report's figures are drawn from (drawn later, only if wanted)."""
    checks = [c for d in datasets for c in d.checks]
    stored = baseline_profiles(baseline)
    base_profiles = {d.summary.name: stored.get(d.summary.name) for d in datasets}
    current = {d.summary.name: d.profile for d in datasets}
    evaluation = judged.evaluation
    metrics = dict(evaluation.metrics) if evaluation else {}
    try:
        distributions = drifted_distributions(checks, base_profiles, current, frames)
        slice_metric, worst = worst_slices(judged.slices.slices)
        notes: tuple[str, ...] = ()
    except Exception as exc:  # a figure must never fail the run
        distributions, slice_metric, worst = (), "", []
        notes = (f"Drift and slice figures not drawn ({type(exc).__name__}: {exc}).",)
    branch = config.baseline.branch
    return PlotInputs(
        task=evaluation.task if evaluation else None,
        predictions=judged.predictions,
        baseline_predictions=_baseline_predictions(judged, baseline),
        distributions=distributions,
        history=history,
        current={m: metrics[m] for m in history if m in metrics},
        slices=worst,
        slice_metric=slice_metric,
        names=(branch, "this PR"),
        branch=branch,
        notes=notes,
    )


def _baseline_predictions(judged: _Judged, baseline: Record | None) -> Predictions | None:
    """The baseline's stored predictions, drawn beside the candidate's (so none without them)."""
    if judged.predictions is None:
        return None
    from mlci.model.pairing import stored_predictions  # the model's side: see paired_stage

    return stored_predictions(baseline)
