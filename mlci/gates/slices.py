"""Judging slices: each slice next to the baseline's, worst first, and the gates with ``slice``.

The slices are measured by :mod:`mlci.model.slices`. Slices of one grouping are sorted worst
first by one metric, direction-aware: the metric of the first gate on that grouping, else the
first metric of the evaluation.

Gates with ``slice: [plan]`` apply their rules to the slices of that grouping:

- ``slices: every`` (default): each rule on each slice; results are named like
  ``recall [plan=pro]``.
- ``slices: worst``: each rule only on the slice nearest to breaching it (the lowest value
  for ``min``, the highest for ``max``, the largest drop for ``max_regression`` and
  ``min_improvement``, the largest gain for ``max_improvement``): the same verdict as
  ``every``, in one line per rule.
- ``max_gap``: the difference between the best and the worst slice (direction-aware, always
  >= 0) must not exceed it; it needs no baseline. Named like ``recall [across plan]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mlci.config import Config, GateConfig
from mlci.gates.compare import compare_metrics
from mlci.gates.directions import resolve_directions
from mlci.gates.rules import NO_BASELINE, SLACK, evaluate_gates
from mlci.model.slices import (
    Grouping,
    Key,
    MeasuredSlices,
    SliceValues,
    baseline_slices,
    record_entry,
)
from mlci.results import GateResult, MetricComparison, SliceResult, Status
from mlci.vocab import fmt_int, fmt_value

if TYPE_CHECKING:
    from mlci.records.format import Record


@dataclass(frozen=True)
class SlicesOutcome:
    """What the slice stage adds to a run: results, gate results, notes, the record entry."""

    slices: tuple[SliceResult, ...] = ()
    gates: tuple[GateResult, ...] = ()
    notes: tuple[str, ...] = ()
    record: tuple[Mapping[str, Any], ...] = ()  # Record.extra["slices"]


def judge_slices(
    config: Config, measured: MeasuredSlices | None, baseline: Record | None
) -> SlicesOutcome:
    """The measured slices compared with the baseline record's same slices, and their gates.

    ``measured``: :func:`mlci.model.slices.measure_slices` (None: nothing was sliced).
    ``baseline``: the baseline record (its ``extra["slices"]``), or None.
    """
    if measured is None:
        return SlicesOutcome()
    names = measured.metrics
    directions = resolve_directions(config, names)
    base = baseline_slices(baseline.extra if baseline is not None else None)
    order = slice_order(config, names)
    min_size = measured.min_size
    results = compare_slices(measured.values, base, directions, order=order, min_size=min_size)
    gates = slice_gates(config.gates, results, has_baseline=baseline is not None, min_size=min_size)
    return SlicesOutcome(results, gates, measured.notes, record_entry(measured.values))


def slice_order(config: Config, names: Sequence[str]) -> dict[Grouping, str]:
    """The metric each grouping is sorted by: its first gate's, else the first metric."""
    order: dict[Grouping, str] = {}
    for gate in config.gates:
        if gate.slice is not None and gate.metric in names:
            order.setdefault(tuple(gate.slice), gate.metric)
    return order


# --- comparing and sorting ---------------------------------------------------------------------


def compare_slices(
    values: Sequence[SliceValues],
    baseline: Mapping[tuple[Grouping, Key], SliceValues],
    directions: Mapping[str, bool],
    *,
    order: Mapping[Grouping, str] | None = None,
    min_size: int = 0,
) -> tuple[SliceResult, ...]:
    """Each slice next to the baseline's same slice; each grouping's slices worst first.

    ``order`` names the metric each grouping is sorted by (default: the first metric with a
    known direction). Computed slices come first, worst to best (undefined values last), then
    the too-small ones, largest first.
    """
    results: list[SliceResult] = []
    for grouping, group in _by_grouping(values).items():
        sort_by = (order or {}).get(grouping) or _first_directed(group, directions)
        rows = [
            _result(v, baseline.get((v.grouping, v.key)), directions, sort_by, min_size)
            for v in group
        ]
        results += sorted(rows, key=lambda r: _rank(r, sort_by))
    return tuple(results)


def _by_grouping(values: Sequence[SliceValues]) -> dict[Grouping, list[SliceValues]]:
    groups: dict[Grouping, list[SliceValues]] = {}
    for v in values:
        groups.setdefault(v.grouping, []).append(v)
    return groups


def _first_directed(group: Sequence[SliceValues], directions: Mapping[str, bool]) -> str | None:
    names = next((list(v.metrics) for v in group if v.metrics), [])
    return next((n for n in names if n in directions), None)


def _result(
    v: SliceValues,
    base: SliceValues | None,
    directions: Mapping[str, bool],
    sort_by: str | None,
    min_size: int,
) -> SliceResult:
    base_metrics = dict(base.metrics) if base is not None and base.metrics else None
    return SliceResult(
        grouping=v.grouping,
        key=v.key,
        n=v.n,
        metrics=compare_metrics(v.metrics, base_metrics, directions) if v.metrics else (),
        too_small=not v.metrics,
        min_size=min_size,
        sorted_by=sort_by,
        baseline_n=base.n if base is not None else None,
    )


def _rank(r: SliceResult, sort_by: str | None) -> tuple[int, float, int]:
    """Worst first: computed slices by direction-adjusted value, undefined ones, too small."""
    if r.too_small:
        return (2, 0.0, -r.n)
    m = r.metric(sort_by) if sort_by else None
    if m is None or math.isnan(m.value):
        return (1, 0.0, -r.n)
    return (0, m.value if m.higher_is_better is not False else -m.value, -r.n)


# --- gates --------------------------------------------------------------------------------------

_RULE_KINDS = ("min", "max", "max_regression", "min_improvement", "max_improvement")
_CHANGE_KINDS = ("max_regression", "min_improvement", "max_improvement")


def slice_gates(
    gates: Sequence[GateConfig],
    slices: Sequence[SliceResult],
    *,
    has_baseline: bool,
    min_size: int,
) -> tuple[GateResult, ...]:
    """The results of every gate with a ``slice``, in config order (see the module docstring).

    ``slices`` are the run's slice results (too-small ones are ignored); ``has_baseline`` says
    whether there was a baseline record at all (change rules on a slice it lacks are skipped).
    """
    results: list[GateResult] = []
    for gate in gates:
        if gate.slice is None:
            continue
        group = [s for s in slices if s.grouping == tuple(gate.slice) and not s.too_small]
        results += _gate_results(gate, group, has_baseline=has_baseline, min_size=min_size)
    return tuple(replace(r, scope="slice") for r in results)


def _gate_results(
    gate: GateConfig, group: Sequence[SliceResult], *, has_baseline: bool, min_size: int
) -> list[GateResult]:
    columns = ", ".join(gate.slice or ())
    rules = [_single_rule(gate, kind) for kind in _RULE_KINDS if getattr(gate, kind) is not None]
    if not group:
        why = f"no slice by {columns} has {fmt_int(min_size)} rows or more"
        skipped = [_skipped(rule, f"{gate.metric} [{columns}]", why) for rule in rules]
        return skipped + ([_gap_skipped(gate, why)] if gate.max_gap is not None else [])
    results = []
    for rule in rules:
        if gate.slices == "worst":
            results.append(_on_worst(rule, group, has_baseline=has_baseline))
        else:
            results += [_on_slice(rule, s, has_baseline=has_baseline) for s in group]
    if gate.max_gap is not None:
        results.append(_gap_result(gate, group))
    return results


def _single_rule(gate: GateConfig, kind: str) -> GateConfig:
    """``gate`` with only the rule ``kind``, as an overall gate (no slice, no gap)."""
    cleared: dict[str, Any] = dict.fromkeys(_RULE_KINDS)
    cleared[kind] = getattr(gate, kind)
    return replace(gate, **cleared, slice=None, max_gap=None)


def _kind(rule: GateConfig) -> str:
    return next(kind for kind in _RULE_KINDS if getattr(rule, kind) is not None)


def _skipped(rule: GateConfig, name: str, why: str) -> GateResult:
    """A skipped result of ``rule`` (its threshold worded by :mod:`mlci.gates.rules`)."""
    template = evaluate_gates([rule], (), has_baseline=False)[0]
    return replace(template, metric=name, status="skipped", message=why, value=None)


def _on_slice(rule: GateConfig, s: SliceResult, *, has_baseline: bool) -> GateResult:
    """One single-rule gate on one slice, by :func:`mlci.gates.rules.evaluate_gates`."""
    name = f"{rule.metric} [{s.label}]"
    m = s.metric(rule.metric)
    if m is None:  # not computed: the overall message lists the metrics there are
        result = evaluate_gates([rule], s.metrics, has_baseline=has_baseline)[0]
        return replace(result, metric=name)
    if math.isnan(m.value):
        return _skipped(rule, name, f"{name} is undefined (n/a) in this slice")
    result = evaluate_gates(
        [replace(rule, metric=name)], [replace(m, name=name)], has_baseline=has_baseline
    )[0]
    if has_baseline and result.status == "skipped" and result.message == NO_BASELINE:
        why = f"the baseline record has no {rule.metric} for {s.label} (new or too small there)"
        return replace(result, message=why)
    return result


def _on_worst(rule: GateConfig, group: Sequence[SliceResult], *, has_baseline: bool) -> GateResult:
    """``rule`` on the slice nearest to breaching it."""
    measured = [(s, m) for s in group if (m := s.metric(rule.metric)) is not None]
    if not measured:
        return _on_slice(rule, group[0], has_baseline=has_baseline)  # "was not computed"
    defined = [(s, m) for s, m in measured if not math.isnan(m.value)]
    if not defined:
        columns = ", ".join(group[0].grouping)
        why = f"{rule.metric} is undefined (n/a) in every slice by {columns}"
        return _skipped(rule, f"{rule.metric} [{columns}]", why)
    worst = _nearest_to_breach(_kind(rule), defined)
    result = _on_slice(rule, worst, has_baseline=has_baseline)
    return replace(result, message=f"{result.message} (the worst of {fmt_int(len(group))} slices)")


def _nearest_to_breach(
    kind: str, defined: Sequence[tuple[SliceResult, MetricComparison]]
) -> SliceResult:
    changed = [(s, m) for s, m in defined if m.delta is not None]
    pool = changed if kind in _CHANGE_KINDS and changed else defined
    score = _badness(kind)
    return max(pool, key=lambda sm: score(sm[1]))[0]


def _badness(kind: str) -> Callable[[MetricComparison], float]:
    """How close a slice is to breaching a rule of ``kind``: larger is closer."""
    if kind == "min":
        return lambda m: -m.value
    if kind == "max":
        return lambda m: m.value
    if kind == "max_improvement":
        return lambda m: m.delta if m.delta is not None else -math.inf
    # max_regression, min_improvement: the largest drop; without any baseline, the worst value
    return lambda m: -m.delta if m.delta is not None else _adverse(m)


def _adverse(m: MetricComparison) -> float:
    return -m.value if m.higher_is_better is not False else m.value


def _gap_result(gate: GateConfig, group: Sequence[SliceResult]) -> GateResult:
    """``max_gap``: best minus worst slice value (direction-aware), no baseline needed."""
    assert gate.max_gap is not None
    columns = ", ".join(group[0].grouping)
    measured = [(s, m) for s in group if (m := s.metric(gate.metric)) is not None]
    defined = [(s, m) for s, m in measured if not math.isnan(m.value)]
    if not measured:
        available = ", ".join(m.name for m in group[0].metrics) or "none"
        why = f"metric '{gate.metric}' was not computed (available: {available})"
        return _gap(gate, _breach(gate), why, None)
    if len(defined) < 2:
        return _gap_skipped(gate, f"fewer than 2 slices by {columns} have a defined {gate.metric}")
    higher = defined[0][1].higher_is_better is not False
    ranked = sorted(defined, key=lambda sm: sm[1].value if higher else -sm[1].value)
    (worst, w), (best, b) = ranked[0], ranked[-1]
    gap = abs(b.value - w.value)
    ok = gap <= gate.max_gap + SLACK * max(1.0, gap, gate.max_gap)
    verdict = "within" if ok else "more than"
    message = (
        f"{gate.metric} differs by {fmt_value(gap)} across {columns} "
        f"(best {best.label}: {fmt_value(b.value)}, worst {worst.label}: {fmt_value(w.value)}"
        f"{_baseline_gap(defined)}), {verdict} the tolerated gap of {fmt_value(gate.max_gap)}"
    )
    status: Status = "pass" if ok else _breach(gate)
    return _gap(gate, status, message, gap)


def _baseline_gap(defined: Sequence[tuple[SliceResult, MetricComparison]]) -> str:
    values = [
        m.baseline for _, m in defined if m.baseline is not None and math.isfinite(m.baseline)
    ]
    if len(values) < 2:
        return ""
    return f"; {fmt_value(max(values) - min(values))} on the baseline"


def _breach(gate: GateConfig) -> Status:
    return "fail" if gate.severity == "error" else "warn"


def _gap_skipped(gate: GateConfig, why: str) -> GateResult:
    return _gap(gate, "skipped", why, None)


def _gap(gate: GateConfig, status: Status, message: str, value: float | None) -> GateResult:
    assert gate.max_gap is not None
    return GateResult(
        metric=f"{gate.metric} [across {', '.join(gate.slice or ())}]",
        rule="max_gap",
        status=status,
        severity=gate.severity,
        threshold=f"max gap {fmt_value(gate.max_gap)}",
        message=message,
        value=value,
        scope="slice",
    )
