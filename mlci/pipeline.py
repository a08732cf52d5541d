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
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mlci import __version__
from mlci.config import Config, DatasetConfig, load_config
from mlci.errors import EXIT_GATE_FAILED, EXIT_PASS, MlciError
from mlci.results import (
    BaselineInfo,
    CheckResult,
    DatasetSummary,
    MetricComparison,
    ModelEvaluation,
    Report,
)

if TYPE_CHECKING:
    import pandas as pd

    from mlci.records.format import Record
    from mlci.records.store import RecordStore


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
class DatasetOutcome:
    """One dataset after the data stage."""

    summary: DatasetSummary
    profile: dict[str, Any]
    checks: tuple[CheckResult, ...]


@dataclass(frozen=True)
class Outcome:
    """Everything one run produced: the report to render and the record to store."""

    report: Report
    record: Record


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


def find_baseline(config: Config, rev: Revision,
                  store: RecordStore) -> tuple[BaselineInfo, Record | None]:
    """The baseline record: the merge base with the target branch, or its nearest ancestor."""
    from mlci.records.baseline import resolve_baseline

    return resolve_baseline(rev.repo, rev.commit, target_branch=config.baseline.branch,
                            store=store, name=config.name,
                            max_depth=config.baseline.max_depth)


def data_stage(config: Config, baseline: Record | None) -> tuple[
        tuple[DatasetOutcome, ...], dict[str, pd.DataFrame]]:
    """Read, profile, check and compare every dataset with the baseline's profile."""
    from mlci.data.read import read_dataset

    frames = {name: read_dataset(ds) for name, ds in config.datasets.items()}
    outcomes = tuple(
        _dataset_outcome(ds, frames, baseline, config.root) for ds in config.datasets.values()
    )
    return outcomes, frames


def _dataset_outcome(ds: DatasetConfig, frames: Mapping[str, pd.DataFrame],
                     baseline: Record | None, root: Path) -> DatasetOutcome:
    from mlci.data.checks import run_checks
    from mlci.data.drift import drift_checks
    from mlci.data.profile import profile_frame
    from mlci.data.read import fingerprint
    from mlci.data.schema import load_schema_file

    frame = frames[ds.name]
    profile = profile_frame(frame)
    specs: list[Mapping[str, Any]] = list(load_schema_file(ds.schema)) if ds.schema else []
    specs.extend(ds.checks)
    others = {name: f for name, f in frames.items() if name != ds.name}
    checks = run_checks(ds.name, frame, specs, others=others)
    base_profile = _baseline_profile(baseline, ds.name)
    if ds.drift.enabled and base_profile is not None:
        checks.extend(drift_checks(ds.name, base_profile, frame, ds.drift, current=profile))
    summary = DatasetSummary(ds.name, _display_path(ds.path, root), len(frame), len(frame.columns),
                             fingerprint(ds.path))
    return DatasetOutcome(summary, profile, tuple(checks))


def _baseline_profile(baseline: Record | None, name: str) -> Mapping[str, Any] | None:
    if baseline is None:
        return None
    entry = baseline.datasets.get(name)
    return entry.get("profile") if entry else None


def _display_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def model_stage(config: Config, frames: Mapping[str, pd.DataFrame]) -> ModelEvaluation | None:
    if config.model is None:
        return None
    from mlci.model.evaluate import evaluate as _evaluate

    return _evaluate(config.model, frames)


def judge(config: Config, evaluation: ModelEvaluation | None, baseline: Record | None,
          checks: Sequence[CheckResult]) -> tuple[tuple[MetricComparison, ...], Any, Any]:
    """Compare the metrics with the baseline's and apply the gates (pure)."""
    from mlci.gates import compare_metrics, evaluate_gates, resolve_directions, verdict

    current = dict(evaluation.metrics) if evaluation else {}
    base_metrics = _baseline_metrics(baseline)
    directions = resolve_directions(config, list(current) + [g.metric for g in config.gates])
    comparisons = compare_metrics(current, base_metrics, directions)
    gates = evaluate_gates(config.gates, comparisons, has_baseline=base_metrics is not None)
    return comparisons, gates, verdict(gates, checks)


def _baseline_metrics(baseline: Record | None) -> dict[str, float] | None:
    if baseline is None or not baseline.model:
        return None
    raw = baseline.model.get("metrics") or {}
    return {k: (float("nan") if v is None else float(v)) for k, v in raw.items()}


# --- the whole pipeline ------------------------------------------------------------------


def evaluate_revision(config: Config, rev: Revision, store: RecordStore) -> Outcome:
    """Run every stage for one revision against its baseline; no output is written."""
    from mlci.records.format import Record, environment_info

    base_info, base_record = find_baseline(config, rev, store)
    if base_record is None and config.baseline.on_missing == "fail" and not rev.on_baseline_branch:
        raise MlciError(
            f"No baseline: {base_info.reason}. Push to {config.baseline.branch} once with mlci "
            "enabled, or set `baseline.on_missing: skip`."
        )
    datasets, frames = data_stage(config, base_record)
    checks = tuple(c for d in datasets for c in d.checks)
    evaluation = model_stage(config, frames)
    comparisons, gates, verdict = judge(config, evaluation, base_record, checks)
    report = Report(
        name=config.name, verdict=verdict, commit=rev.commit, ref=rev.ref, baseline=base_info,
        metrics=comparisons, gates=gates, checks=checks,
        datasets=tuple(d.summary for d in datasets), evaluation=evaluation,
        tool_version=__version__,
    )
    record = Record(
        name=config.name, commit=rev.commit, ref=rev.ref, created_at=_now(),
        config_hash=_config_hash(config), tool_version=__version__,
        environment=environment_info(),
        datasets={d.summary.name: _dataset_entry(d) for d in datasets},
        model=_model_entry(evaluation), gates=tuple(g.to_dict() for g in gates),
        checks=tuple(c.to_dict() for c in checks), verdict=verdict,
    )
    return Outcome(report, record)


def _dataset_entry(d: DatasetOutcome) -> dict[str, Any]:
    s = d.summary
    return {"path": s.path, "fingerprint": s.fingerprint, "rows": s.rows, "columns": s.columns,
            "profile": d.profile}


def _model_entry(evaluation: ModelEvaluation | None) -> dict[str, Any] | None:
    if evaluation is None:
        return None
    return {"task": evaluation.task, "source": evaluation.source, "n_rows": evaluation.n_rows,
            "metrics": dict(evaluation.metrics)}


def _config_hash(config: Config) -> str:
    from mlci.config import config_hash

    return config_hash(config)


def _now() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(
        timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_outputs(outcome: Outcome, output_dir: Path, *, max_comment_chars: int) -> dict[str, Path]:
    """Write report.md, report.json and record.json; return their paths."""
    from mlci.report.jsonreport import dumps_report
    from mlci.report.markdown import render_comment

    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "report_markdown": output_dir / "report.md",
        "report_json": output_dir / "report.json",
        "record": output_dir / "record.json",
    }
    _write_atomic(paths["report_markdown"],
                  render_comment(outcome.report, max_chars=max_comment_chars))
    _write_atomic(paths["report_json"], dumps_report(outcome.report))
    _write_atomic(paths["record"], outcome.record.to_json())
    return paths


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run(config_path: Path, *, output_dir: Path, store: bool = True, commit: str | None = None,
        branch: str | None = None, quiet: bool = False, comment: bool = True,
        fail_on_gate: bool = True, environ: MutableMapping[str, str] | None = None,
        stdout: TextIO) -> int:
    """`mlci run`: evaluate, compare, gate, report; on the baseline branch store the record.

    Inside GitHub Actions (``GITHUB_ACTIONS=true``) the run also sets the pending and final
    commit status, posts or edits the sticky PR comment, writes the job summary, the step
    outputs and annotations. ``fail_on_gate=False`` reports a failing verdict but exits 0.
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
    outcome = evaluate_revision(config, rev, records)
    paths = write_outputs(outcome, output_dir, max_comment_chars=config.report.max_comment_chars)
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
        finish(actions, outcome.report, markdown=markdown, paths=paths,
               comment=comment and config.report.comment, stdout=stdout)
    print(f"mlci: {outcome.report.verdict.upper()}", file=stdout)
    if outcome.report.verdict == "pass" or not fail_on_gate:
        return EXIT_PASS
    return EXIT_GATE_FAILED


def _print_paths(paths: Mapping[str, Path], stdout: TextIO) -> None:
    for label, path in paths.items():
        print(f"{label.replace('_', ' ')}: {path}", file=stdout)


def validate(config_path: Path, *, quiet: bool = False, stdout: TextIO) -> int:
    """`mlci validate`: the data stage alone, against the baseline's profiles when available."""
    config = load_config(config_path)
    if not config.datasets:
        raise MlciError(f"{config.path.name}: no `datasets` configured: nothing to validate.")
    rev = locate(config)
    _, base_record = find_baseline(config, rev, open_store(config, rev.repo))
    datasets, _ = data_stage(config, base_record)
    checks = [c for d in datasets for c in d.checks]
    failed = [c for c in checks if c.status == "fail"]
    if not quiet:
        for c in checks:
            if c.status != "pass":
                print(f"{c.status.upper():>17}  {c.dataset}: {c.message}", file=stdout)
        print(f"{len(checks)} checks: {len(checks) - len(failed)} passed or warned, "
              f"{len(failed)} failed.", file=stdout)
    print(f"mlci: {'FAIL' if failed else 'PASS'}", file=stdout)
    return EXIT_GATE_FAILED if failed else EXIT_PASS


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
