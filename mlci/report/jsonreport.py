"""``report.json``: the machine-readable report, with a stable, documented shape.

The shape is described field by field in ``docs/report-json.md`` and validated by the JSON
Schema ``mlci/jsonschemas/report.schema.json``. Undefined numbers (NaN, infinities) are ``null``.
Fields are only added within a ``schema_version``; renaming or removing one bumps it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import Any

from mlci.bounded import MAX_REPORT_BYTES, DocumentError, parse_json
from mlci.errors import MlciError
from mlci.report.phrases import count_statuses
from mlci.results import (
    BaselineInfo,
    BudgetResult,
    CheckResult,
    DatasetSummary,
    GateResult,
    MetricComparison,
    ModelEvaluation,
    ParamChange,
    Report,
    SliceResult,
    Status,
)
from mlci.schemacheck import is_valid
from mlci.yamlfile import packaged_schema

SCHEMA_VERSION = 1


def report_to_dict(report: Report) -> dict[str, Any]:
    """``report`` as plain JSON values, in the documented shape (see ``docs/report-json.md``).

    Example: ``report_to_dict(report)["summary"]["gates"]`` is
    ``{"passed": 2, "failed": 1, "warnings": 0, "skipped": 0}``.
    """
    b = report.baseline
    document = {
        "schema_version": SCHEMA_VERSION,
        "name": report.name,
        "verdict": report.verdict,
        "commit": report.commit,
        "ref": report.ref,
        "tool_version": report.tool_version,
        "baseline": {
            "commit": b.commit,
            "how": b.how,
            "branch": b.branch,
            "reason": b.reason,
            "distance": b.distance,
        },
        "summary": {
            "gates": _gate_counts(g.status for g in report.gates),
            "checks": _check_counts(c.status for c in report.checks),
        },
        "metrics": [_metric(m) for m in report.metrics],
        "gates": [g.to_dict() for g in report.gates],
        "checks": [c.to_dict() for c in report.checks],
        "datasets": [asdict(d) for d in report.datasets],
        "evaluation": _evaluation(report.evaluation),
        "notes": list(report.notes),
        "slices": [_slice(s) for s in report.slices],
        "budgets": [asdict(b) for b in report.budgets],
        "gate_changes": list(report.gate_changes),
        "params_changed": [asdict(p) for p in report.params_changed],
        "judged_with": report.judged_with,
        "rules": dict(report.rules),
    }
    return _json_safe(document)


def _slice(s: SliceResult) -> dict[str, Any]:
    return {
        "grouping": list(s.grouping),
        "key": list(s.key),
        "label": s.label,
        "n": s.n,
        "too_small": s.too_small,
        "min_size": s.min_size,
        "sorted_by": s.sorted_by,
        "baseline_n": s.baseline_n,
        "metrics": [_slice_metric(m) for m in s.metrics],
    }


def _slice_metric(m: MetricComparison) -> dict[str, Any]:
    """A slice's metric: the comparison, with the interval of its Δ when it has one."""
    keys = ("name", "value", "baseline", "change", "change_pct", "delta", "higher_is_better")
    full = _metric(m)
    interval = ("ci_low", "ci_high", "ci_level", "p_value", "method")
    return {k: full[k] for k in (*keys, *(interval if m.method is not None else ()))}


def _slice_from(s: dict[str, Any]) -> SliceResult:
    data = _fields(SliceResult, s)
    data.update(grouping=tuple(s["grouping"]), key=tuple(s["key"]))
    data["metrics"] = tuple(_metric_from(m) for m in s.get("metrics", ()))
    return SliceResult(**data)


def dumps_report(report: Report) -> str:
    """``report.json``'s text: indented, key order as documented, non-ASCII kept, newline-ended."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _gate_counts(statuses: Iterable[Status]) -> dict[str, int]:
    n = count_statuses(statuses)
    return {
        "passed": n.passed,
        "failed": n.failed,
        "warnings": n.warnings,
        "skipped": n.skipped,
        "inconclusive": n.inconclusive,
    }


def _check_counts(statuses: Iterable[Status]) -> dict[str, int]:
    n = count_statuses(statuses)
    return {
        "passed": n.passed,
        "failed": n.failed,
        "warnings": n.warnings,
        "skipped": n.skipped,
        "insufficient_data": n.insufficient_data,
    }


def _metric(m: MetricComparison) -> dict[str, Any]:
    return {
        "name": m.name,
        "value": m.value,
        "baseline": m.baseline,
        "change": m.change,
        "change_pct": m.change_pct,
        "delta": m.delta,
        "higher_is_better": m.higher_is_better,
        "ci_low": m.ci_low,
        "ci_high": m.ci_high,
        "ci_level": m.ci_level,
        "p_value": m.p_value,
        "method": m.method,
    }


def _evaluation(e: ModelEvaluation | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {"task": e.task, "source": e.source, "metrics": dict(e.metrics), "n_rows": e.n_rows}


def _json_safe(value: Any) -> Any:
    """Non-finite floats become ``None``; tuples become lists; numpy scalars become Python."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalar
        return _json_safe(value.item())
    return str(value)


def load_report(text: str, *, source: str) -> Report:
    """Read a ``report.json`` back into a :class:`Report`, validating it first.

    Used where a report crosses a trust boundary (the fork-safe comment workflow downloads one
    from an artifact): anything malformed is a :class:`~mlci.errors.MlciError` naming
    ``source``, and the result is rendered again by mlci, never posted as given.
    """

    try:
        doc = parse_json(text, limit=MAX_REPORT_BYTES)
    except DocumentError as exc:
        raise MlciError(f"{source}: {exc}.") from None
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        raise MlciError(f"{source} is not an mlci report of schema version {SCHEMA_VERSION}.")
    schema = packaged_schema("report.schema.json")
    if not is_valid(doc, schema, finite_numbers=False):
        _refuse_invalid(doc, schema, source)
    return _report_from_dict(doc)


def _refuse_invalid(doc: dict[str, Any], schema: Any, source: str) -> None:
    """Raise naming the problem jsonschema finds in a report the fast check did not accept."""
    import jsonschema  # ~50 ms: only to word what is wrong

    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise MlciError(f"{source} is not a valid mlci report: {where}: {exc.message}.") from None


def _report_from_dict(doc: dict[str, Any]) -> Report:
    b = doc["baseline"]
    evaluation = doc.get("evaluation")
    return Report(
        name=doc["name"],
        verdict=doc["verdict"],
        commit=doc["commit"],
        ref=doc["ref"],
        baseline=BaselineInfo(
            commit=b["commit"],
            how=b["how"],
            branch=b["branch"],
            reason=b.get("reason", ""),
            distance=b.get("distance", 0),
        ),
        metrics=tuple(_metric_from(m) for m in doc["metrics"]),
        gates=tuple(GateResult(**_fields(GateResult, g)) for g in doc["gates"]),
        checks=tuple(_check_from(c) for c in doc["checks"]),
        datasets=tuple(DatasetSummary(**_fields(DatasetSummary, d)) for d in doc["datasets"]),
        evaluation=None
        if evaluation is None
        else ModelEvaluation(
            task=evaluation["task"],
            source=evaluation["source"],
            metrics={k: _num(v) for k, v in evaluation["metrics"].items()},
            n_rows=evaluation.get("n_rows"),
        ),
        tool_version=doc.get("tool_version", ""),
        notes=tuple(doc.get("notes", ())),
        slices=tuple(_slice_from(s) for s in doc.get("slices", ())),
        budgets=tuple(_budget_from(b) for b in doc.get("budgets", ())),
        gate_changes=tuple(doc.get("gate_changes", ())),
        params_changed=tuple(
            ParamChange(**_fields(ParamChange, p)) for p in doc.get("params_changed", ())
        ),
        judged_with=doc.get("judged_with"),
        rules=doc.get("rules") or {},
    )


def _budget_from(b: dict[str, Any]) -> BudgetResult:
    data = _fields(BudgetResult, b)
    data["value"] = _num(data.get("value"))
    return BudgetResult(**data)


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _metric_from(m: dict[str, Any]) -> MetricComparison:
    return MetricComparison(
        name=m["name"],
        value=_num(m["value"]),
        baseline=m.get("baseline"),
        higher_is_better=m.get("higher_is_better"),
        change=m.get("change"),
        change_pct=m.get("change_pct"),
        delta=m.get("delta"),
        ci_low=m.get("ci_low"),
        ci_high=m.get("ci_high"),
        p_value=m.get("p_value"),
        method=m.get("method"),
        ci_level=m.get("ci_level"),
    )


def _check_from(c: dict[str, Any]) -> CheckResult:
    data = _fields(CheckResult, c)
    data["examples"] = tuple(data.get("examples") or ())
    return CheckResult(**data)
