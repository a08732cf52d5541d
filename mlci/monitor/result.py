"""What one monitoring run found, and its two documents: ``monitor.json`` and ``report.json``.

``monitor.json`` (``kind: "monitor"``, ``schema_version`` 1, validated by
``mlci/jsonschemas/monitor.schema.json`` and described in docs/monitoring.md) is also the monitor
record appended to the records branch, one per run. ``report.json`` is the usual report
(:mod:`mlci.report.jsonreport`) of the same run: the release's evaluation is the baseline
(``baseline.how: "release"``), so every tool that reads reports reads monitoring runs too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

from mlci.bounded import MAX_RECORD_BYTES, DocumentError, parse_json
from mlci.data.drift import DRIFT_CHECKS
from mlci.data.stage import DatasetOutcome
from mlci.errors import MlciError
from mlci.gates import verdict as judged
from mlci.monitor.intervals import ValueInterval
from mlci.monitor.performance import Performance
from mlci.report.openmetrics import Exposition, epoch_of, exposition_of_report
from mlci.report.phrases import count_statuses
from mlci.results import (
    BaselineInfo,
    CheckResult,
    GateResult,
    MetricComparison,
    ModelEvaluation,
    Report,
    Verdict,
)
from mlci.schemacheck import is_valid
from mlci.yamlfile import packaged_schema

SCHEMA_VERSION = 1
KIND = "monitor"


@dataclass(frozen=True)
class ReleaseRef:
    """The release compared with: its tag and commit, how it was chosen, where its record was."""

    tag: str
    commit: str
    how: str  # given | deployment | latest_release
    record_source: str  # store | asset
    url: str | None = None


@dataclass(frozen=True)
class RunInfo:
    """The workflow run (or local run) that monitored."""

    id: str
    attempt: str = ""
    event: str = ""
    url: str | None = None


@dataclass(frozen=True)
class MonitorOutcome:
    """Everything one monitoring run produced (pure values)."""

    name: str
    created_at: str
    tool_version: str
    release: ReleaseRef
    run: RunInfo
    datasets: tuple[DatasetOutcome, ...]
    files: Mapping[str, int]  # files read per dataset (0: a profile stood in for the rows)
    checks: tuple[CheckResult, ...]
    comparisons: tuple[MetricComparison, ...] = ()
    gates: tuple[GateResult, ...] = ()
    performance: Performance | None = None
    release_intervals: Mapping[str, ValueInterval] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    rules: Mapping[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> Verdict:
        return judged(self.gates, self.checks)

    @property
    def alert(self) -> bool:
        """A fail threshold was crossed: the monitoring issue is open while this holds."""
        return self.verdict == "fail"

    def drifted(self) -> list[CheckResult]:
        """The failing drift results, worst score first."""
        found = [c for c in self.checks if c.check in DRIFT_CHECKS and c.status == "fail"]
        return sorted(found, key=lambda c: -(c.score or 0.0))

    def failing(self) -> tuple[list[GateResult], list[CheckResult]]:
        """The failing gates and the failing checks that are not drift."""
        gates = [g for g in self.gates if g.status == "fail"]
        checks = [c for c in self.checks if c.status == "fail" and c.check not in DRIFT_CHECKS]
        return gates, checks


# -- report.json ---------------------------------------------------------------------------------


def monitor_report(outcome: MonitorOutcome) -> Report:
    """The run as a :class:`Report`: the release's evaluation is the baseline."""
    performance = outcome.performance
    evaluation = None
    if performance is not None and performance.metrics:
        evaluation = ModelEvaluation(
            performance.task,
            "predictions",
            dict(performance.metrics),
            performance.joined.labeled_rows,
        )
    return Report(
        name=outcome.name,
        verdict=outcome.verdict,
        commit=outcome.release.commit,
        ref=f"refs/tags/{outcome.release.tag}",
        baseline=BaselineInfo(outcome.release.commit, "release", outcome.release.tag),
        metrics=outcome.comparisons,
        gates=outcome.gates,
        checks=outcome.checks,
        datasets=tuple(d.summary for d in outcome.datasets),
        evaluation=evaluation,
        tool_version=outcome.tool_version,
        notes=outcome.notes,
        rules=outcome.rules,
    )


def monitor_exposition(outcome: MonitorOutcome) -> Exposition:
    """The run's OpenMetrics values: its report's, the metrics' own intervals, labeled rows."""
    base = exposition_of_report(
        monitor_report(outcome), source="monitor", timestamp=epoch_of(outcome.created_at)
    )
    p = outcome.performance
    intervals = {n: (i.low, i.high) for n, i in (p.intervals.items() if p else ())}
    labeled = p.joined.labeled_rows if p else None
    return replace(base, value_intervals=intervals, labeled_rows=labeled)


# -- monitor.json --------------------------------------------------------------------------------


def monitor_document(outcome: MonitorOutcome) -> dict[str, Any]:
    """``monitor.json`` as plain JSON values (NaN and infinities as null)."""
    checks = [c.to_dict() for c in outcome.checks]
    doc = {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "name": outcome.name,
        "created_at": outcome.created_at,
        "tool_version": outcome.tool_version,
        "verdict": outcome.verdict,
        "alert": outcome.alert,
        "release": asdict(outcome.release),
        "run": asdict(outcome.run),
        "summary": {
            "checks": _counts(c.status for c in outcome.checks),
            "gates": _counts(g.status for g in outcome.gates),
            "drifted_columns": sorted({_where(c) for c in outcome.drifted()}),
        },
        "drift": [_drift(c) for c in outcome.checks if c.check in DRIFT_CHECKS],
        "datasets": [_dataset(d, outcome) for d in outcome.datasets],
        "checks": checks,
        "performance": _performance(outcome),
        "gates": [g.to_dict() for g in outcome.gates],
        "notes": list(outcome.notes),
    }
    return _finite(doc)


def dumps_document(doc: Mapping[str, Any]) -> str:
    """Deterministic JSON: sorted keys, 2-space indent, newline-ended."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def load_document(text: str, *, source: str) -> dict[str, Any]:
    """A ``monitor.json`` read back and validated (bounded); MlciError naming ``source``."""
    try:
        doc = parse_json(text, limit=MAX_RECORD_BYTES)
    except DocumentError as exc:
        raise MlciError(f"{source}: {exc}.") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise MlciError(f"{source} is not an mlci monitor.json.")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise MlciError(
            f"{source} is a monitor.json of schema version {doc.get('schema_version')!r}; this "
            f"mlci reads version {SCHEMA_VERSION}."
        )
    if not is_valid(doc, packaged_schema("monitor.schema.json"), finite_numbers=False):
        _refuse_invalid(doc, source)
    return doc


def _refuse_invalid(doc: dict[str, Any], source: str) -> None:
    """Raise naming the problem jsonschema finds in a document the fast check did not accept."""
    from jsonschema.exceptions import best_match  # ~50 ms: only to word what is wrong

    error = best_match(_validator().iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise MlciError(f"{source} is not a valid monitor.json: {where}: {error.message}.")


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # the slow path: see _refuse_invalid

    return Draft202012Validator(packaged_schema("monitor.schema.json"))


def _counts(statuses: Any) -> dict[str, int]:
    n = count_statuses(statuses)
    return {
        "passed": n.passed,
        "failed": n.failed,
        "warnings": n.warnings,
        "skipped": n.skipped,
        "insufficient_data": n.insufficient_data,
        "inconclusive": n.inconclusive,
    }


def _where(c: CheckResult) -> str:
    return f"{c.dataset}.{c.column}" if c.column else c.dataset


def _drift(c: CheckResult) -> dict[str, Any]:
    return {
        "dataset": c.dataset,
        "column": c.column,
        "check": c.check,
        "method": c.method,
        "score": c.score,
        "status": c.status,
    }


def _dataset(d: DatasetOutcome, outcome: MonitorOutcome) -> dict[str, Any]:
    s = d.summary
    return {
        "name": s.name,
        "path": s.path,
        "files": outcome.files.get(s.name, 0),
        "rows": s.rows,
        "columns": s.columns,
        "fingerprint": s.fingerprint,
        "profile": d.profile,
    }


def _performance(outcome: MonitorOutcome) -> dict[str, Any] | None:
    p = outcome.performance
    if p is None:
        return None
    j = p.joined
    by_name = {c.name: c for c in outcome.comparisons}
    return {
        "task": p.task,
        "served_rows": j.served_rows,
        "labeled_rows": j.labeled_rows,
        "label_rows": j.label_rows,
        "unmatched_labels": j.unmatched_labels,
        "repeated_ids": j.repeated_ids,
        "metrics": [
            _metric(name, value, p, by_name.get(name)) for name, value in p.metrics.items()
        ],
    }


def _metric(name: str, value: float, p: Performance, c: MetricComparison | None) -> dict[str, Any]:
    interval = p.intervals.get(name)
    return {
        "name": name,
        "value": value,
        "value_ci_low": interval.low if interval else None,
        "value_ci_high": interval.high if interval else None,
        "method": interval.method if interval else None,
        "release": c.baseline if c else None,
        "change": c.change if c else None,
        "change_pct": c.change_pct if c else None,
        "delta": c.delta if c else None,
        "ci_low": c.ci_low if c else None,
        "ci_high": c.ci_high if c else None,
        "ci_level": c.ci_level if c else (interval.confidence if interval else None),
        "higher_is_better": c.higher_is_better if c else None,
    }


def _finite(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _finite(value.item())
    return value


def history_path(name: str, created_at: str, run: RunInfo, digest: str) -> str:
    """Where a monitor record goes on the records branch: ``<name>/monitor/<time>-<run>.json``,
    in time order, unique per run and attempt (``digest`` tells local runs apart)."""
    stamp = created_at.replace("-", "").replace(":", "")
    run_part = f"run{run.id}-{run.attempt or 1}" if run.id.isdigit() else f"local-{digest[:12]}"
    return f"{name}/monitor/{stamp}-{run_part}.json"
