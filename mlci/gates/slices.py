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

Slice gates are judged like overall gates (docs/statistics.md, "Slice gates"): in
``stats.mode`` (a gate's own ``mode`` first), each slice's change rules with the interval of
that slice's Δ (:mod:`mlci.model.slice_stats`); the blocking lenient results of every slice
gate form one family for Holm's adjustment (the overall rules are another); ``worst`` judges
every slice and keeps the worst by status, then evidence (smallest breach p-value); ``max_gap``
uses a simultaneous interval of the gap from each slice's standard error. Without intervals,
change rules use point estimates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from mlci.config import Config, GateConfig, GateMode
from mlci.gates.compare import compare_metrics, with_intervals
from mlci.gates.directions import resolve_directions
from mlci.gates.rules import NO_BASELINE, SLACK, evaluate_gates
from mlci.model.slice_stats import SliceEvidence
from mlci.model.slices import (
    Grouping,
    Key,
    MeasuredSlices,
    SliceValues,
    baseline_slices,
    record_entry,
)
from mlci.model.stats import Evidence, PairedStat, holm
from mlci.results import GateResult, MetricComparison, SliceResult, Status
from mlci.vocab import fmt_int, fmt_share, fmt_value

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
    config: Config,
    measured: MeasuredSlices | None,
    baseline: Record | None,
    evidence: SliceEvidence | None = None,
) -> SlicesOutcome:
    """The measured slices compared with the baseline record's same slices, and their gates.

    ``measured``: :func:`mlci.model.slices.measure_slices` (None: nothing was sliced).
    ``baseline``: the baseline record (its ``extra["slices"]``), or None. ``evidence``: the
    intervals of each slice's Δ (:func:`mlci.model.slice_stats.slice_evidence`); the gates are
    judged in ``config.stats.mode`` (a gate's own ``mode`` first) with them.
    """
    if measured is None:
        return SlicesOutcome()
    names = measured.metrics
    directions = resolve_directions(config, names)
    base = baseline_slices(baseline.extra if baseline is not None else None)
    order = slice_order(config, names)
    min_size = measured.min_size
    results = compare_slices(
        measured.values,
        base,
        directions,
        order=order,
        min_size=min_size,
        stats=evidence.stats if evidence is not None else None,
    )
    gates = slice_gates(
        config.gates,
        results,
        has_baseline=baseline is not None,
        min_size=min_size,
        mode=config.stats.mode,
        evidence=evidence,
        confidence=config.stats.confidence,
    )
    notes = (*measured.notes, *_without_intervals(config, gates))
    errors = {
        sid: {name: e.se for name, e in found.items()}
        for sid, found in (evidence.spread if evidence is not None else {}).items()
    }
    return SlicesOutcome(results, gates, notes, record_entry(measured.values, errors))


def _without_intervals(config: Config, gates: Sequence[GateResult]) -> tuple[str, ...]:
    """The note naming the slice change rules that were judged on point estimates although
    their mode asks for intervals."""
    wanted = {
        g.metric
        for g in config.gates
        if g.slice is not None and (g.mode or config.stats.mode) != "point"
    }
    fell_back = sorted(
        {
            r.metric.split(" [")[0]
            for r in gates
            if r.mode == "point" and r.metric.split(" [")[0] in wanted
        }
    )
    if not fell_back:
        return ()
    return (
        f"Slice gates on {', '.join(fell_back)} were judged on point estimates, without "
        "confidence intervals: no paired per-example predictions for their slices.",
    )


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
    stats: Mapping[tuple[Grouping, Key], Mapping[str, PairedStat]] | None = None,
) -> tuple[SliceResult, ...]:
    """Each slice next to the baseline's same slice; each grouping's slices worst first.

    ``order`` names the metric each grouping is sorted by (default: the first metric with a
    known direction). Computed slices come first, worst to best (undefined values last), then
    the too-small ones, largest first. ``stats``: the intervals of each slice's Δ, shown
    with its metrics.
    """
    results: list[SliceResult] = []
    for grouping, group in _by_grouping(values).items():
        sort_by = (order or {}).get(grouping) or _first_directed(group, directions)
        rows = [
            _result(v, baseline.get((v.grouping, v.key)), directions, sort_by, min_size)
            for v in group
        ]
        rows = [
            replace(
                r, metrics=with_intervals(r.metrics, (stats or {}).get((r.grouping, r.key), {}))
            )
            for r in rows
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
_SEVERITY_RANK = {"fail": 5, "warn": 4, "inconclusive": 3, "pass": 2, "insufficient_data": 1}


@dataclass(frozen=True)
class _Judging:
    """How a run judges its slice gates: the baseline, the mode, the intervals."""

    has_baseline: bool
    min_size: int
    mode: GateMode = "point"
    evidence: SliceEvidence | None = None
    confidence: float = 0.95


@dataclass(frozen=True)
class _Entry:
    """A slice gate result; ``worst`` groups the per-slice results of one ``worst`` rule."""

    result: GateResult
    worst: int | None = None
    badness: float = 0.0
    slices: int = 0


def slice_gates(
    gates: Sequence[GateConfig],
    slices: Sequence[SliceResult],
    *,
    has_baseline: bool,
    min_size: int,
    mode: GateMode = "point",
    evidence: SliceEvidence | None = None,
    confidence: float = 0.95,
) -> tuple[GateResult, ...]:
    """The results of every gate with a ``slice``, in config order (see the module docstring).

    ``slices`` are the run's slice results (too-small ones are ignored); ``has_baseline`` says
    whether there was a baseline record at all (change rules on a slice it lacks are skipped).
    ``mode`` applies to gates without their own; ``evidence`` holds each slice's intervals
    (without them change rules use point estimates). The blocking lenient results of all slice
    gates form one family for Holm's adjustment, before ``worst`` rules keep their worst slice.
    """
    how = _Judging(has_baseline, min_size, mode, evidence, confidence)
    entries: list[_Entry] = []
    for gate in gates:
        if gate.slice is None:
            continue
        group = [s for s in slices if s.grouping == tuple(gate.slice) and not s.too_small]
        entries += _gate_results(gate, group, how, first_worst=len(entries))
    adjusted = _holm_family(entries, confidence)
    return tuple(replace(r, scope="slice") for r in _keep_worst(adjusted))


def _gate_results(
    gate: GateConfig, group: Sequence[SliceResult], how: _Judging, *, first_worst: int
) -> list[_Entry]:
    columns = ", ".join(gate.slice or ())
    rules = [_single_rule(gate, kind) for kind in _RULE_KINDS if getattr(gate, kind) is not None]
    if not group:
        why = f"insufficient data: no slice by {columns} has {fmt_int(how.min_size)} rows or more"
        results = [_skipped(rule, f"{gate.metric} [{columns}]", why) for rule in rules]
        results += [_gap_skipped(gate, why)] if gate.max_gap is not None else []
        return [_Entry(r) for r in results]
    entries: list[_Entry] = []
    for i, rule in enumerate(rules):
        if gate.slices == "worst":
            entries += _on_worst(rule, group, how, first_worst + i)
        else:
            entries += [_Entry(_on_slice(rule, s, how)) for s in group]
    if gate.max_gap is not None:
        entries.append(_Entry(_gap_result(gate, group, how)))
    return entries


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


def _on_slice(rule: GateConfig, s: SliceResult, how: _Judging) -> GateResult:
    """One single-rule gate on one slice, by :func:`mlci.gates.rules.evaluate_gates`, with the
    interval of the slice's Δ when there is one."""
    name = f"{rule.metric} [{s.label}]"
    m = s.metric(rule.metric)
    if m is None:  # not computed: the overall message lists the metrics there are
        result = evaluate_gates([rule], s.metrics, has_baseline=how.has_baseline)[0]
        return replace(result, metric=name)
    if math.isnan(m.value):
        return _skipped(rule, name, f"{name} is undefined (n/a) in this slice")
    result = evaluate_gates(
        [replace(rule, metric=name)],
        [replace(m, name=name)],
        has_baseline=how.has_baseline,
        mode=how.mode,
        evidence=_slice_evidence(how, s, rule.metric, name),
    )[0]
    if how.has_baseline and result.status == "skipped" and result.message == NO_BASELINE:
        why = f"the baseline record has no {rule.metric} for {s.label} (new or too small there)"
        return replace(result, message=why)
    return result


def _slice_evidence(how: _Judging, s: SliceResult, metric: str, name: str) -> Evidence:
    found = how.evidence.stats.get((s.grouping, s.key), {}) if how.evidence else {}
    stat = found.get(metric)
    if stat is not None:
        return Evidence({name: stat})
    why = how.evidence.unpaired if how.evidence is not None and how.evidence.unpaired else ""
    return Evidence(unpaired=why or "no paired predictions for this slice")


def _on_worst(
    rule: GateConfig, group: Sequence[SliceResult], how: _Judging, worst: int
) -> list[_Entry]:
    """``rule`` on every slice it can judge, to be reduced to the worst after Holm's
    adjustment (:func:`_keep_worst`)."""
    measured = [(s, m) for s in group if (m := s.metric(rule.metric)) is not None]
    if not measured:
        return [_Entry(_on_slice(rule, group[0], how))]  # "was not computed"
    defined = [(s, m) for s, m in measured if not math.isnan(m.value)]
    if not defined:
        columns = ", ".join(group[0].grouping)
        why = f"{rule.metric} is undefined (n/a) in every slice by {columns}"
        return [_Entry(_skipped(rule, f"{rule.metric} [{columns}]", why))]
    changed = [(s, m) for s, m in defined if m.delta is not None]
    pool = changed if _kind(rule) in _CHANGE_KINDS and changed else defined
    score = _badness(_kind(rule))
    return [_Entry(_on_slice(rule, s, how), worst, score(m), len(group)) for s, m in pool]


def _keep_worst(entries: Sequence[_Entry]) -> list[GateResult]:
    """Each ``worst`` rule's results reduced to its worst slice: the most severe status, then
    the strongest evidence of a breach (smallest p-value), then the nearest to breaching."""
    out: list[GateResult] = []
    done: set[int] = set()
    for entry in entries:
        if entry.worst is None:
            out.append(entry.result)
            continue
        if entry.worst in done:
            continue
        done.add(entry.worst)
        same = [e for e in entries if e.worst == entry.worst]
        pick = max(same, key=_worst_key)
        r = pick.result
        out.append(replace(r, message=f"{r.message} (the worst of {fmt_int(pick.slices)} slices)"))
    return out


def _worst_key(e: _Entry) -> tuple[int, float, float]:
    p = e.result.p_value
    return (_SEVERITY_RANK.get(e.result.status, 0), -p if p is not None else -1.0, e.badness)


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


def _holm_family(entries: Sequence[_Entry], confidence: float) -> list[_Entry]:
    """Holm-adjust the breach p-values of every blocking lenient slice result; a fail needs
    its adjusted p-value below ``(1 - confidence) / 2`` too (else it is inconclusive)."""
    family = [
        i
        for i, e in enumerate(entries)
        if e.result.mode == "lenient"
        and e.result.p_value is not None
        and e.result.severity == "error"
    ]
    out = list(entries)
    if len(family) < 2:
        return out
    adjusted = holm([entries[i].result.p_value for i in family])  # type: ignore[misc]
    for i, p in zip(family, adjusted, strict=True):
        r = replace(entries[i].result, p_value=p)
        if r.status == "fail" and p >= (1 - confidence) / 2:
            r = replace(
                r,
                status="inconclusive",
                message=f"{r.message}, but not after Holm's correction for {len(family)} "
                f"blocking slice comparisons (adjusted p = {p:.2g}): inconclusive",
            )
        out[i] = replace(entries[i], result=r)
    return out


# --- max_gap ------------------------------------------------------------------------------------


def _gap_result(gate: GateConfig, group: Sequence[SliceResult], how: _Judging) -> GateResult:
    """``max_gap``: best minus worst slice value (direction-aware), no baseline needed; in
    lenient and strict modes judged with the simultaneous interval of the gap."""
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
    said = (
        f"{gate.metric} differs by {fmt_value(gap)} across {columns} "
        f"(best {best.label}: {fmt_value(b.value)}, worst {worst.label}: {fmt_value(w.value)}"
        f"{_baseline_gap(defined)})"
    )
    point_ok = gap <= gate.max_gap + SLACK * max(1.0, gap, gate.max_gap)
    mode = gate.mode or how.mode
    se = _gap_se(how, gate.metric, best, worst)
    if mode == "point" or se is None:
        verdict = "within" if point_ok else "more than"
        message = f"{said}, {verdict} the tolerated gap of {fmt_value(gate.max_gap)}"
        return _gap(gate, "pass" if point_ok else _breach(gate), message, gap, mode="point")
    return _gap_judged(gate, said, gap, se, point_ok, mode, len(defined), how.confidence)


def _gap_se(how: _Judging, metric: str, best: SliceResult, worst: SliceResult) -> float | None:
    spread = how.evidence.spread if how.evidence is not None else {}
    a = spread.get((best.grouping, best.key), {}).get(metric)
    b = spread.get((worst.grouping, worst.key), {}).get(metric)
    if a is None or b is None:
        return None
    se = math.sqrt(a.se**2 + b.se**2)
    return se if math.isfinite(se) else None


def _gap_judged(
    gate: GateConfig,
    said: str,
    gap: float,
    se: float,
    point_ok: bool,
    mode: GateMode,
    k: int,
    confidence: float,
) -> GateResult:
    """The best and the worst of ``k`` slices are chosen by their values, so the interval is
    simultaneous over the ``k(k-1)/2`` pairs (Bonferroni): it holds for every pair at once."""
    assert gate.max_gap is not None
    pairs = k * (k - 1) // 2
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2 / pairs)
    low, high = max(gap - z * se, 0.0), gap + z * se
    interval = (
        f"{fmt_share(confidence)} CI of the gap [{fmt_value(low)}, {fmt_value(high)}] "
        f"(simultaneous over {fmt_int(k)} slices)"
    )
    tolerated = f"the tolerated gap of {fmt_value(gate.max_gap)}"
    if mode == "strict":
        ok = high <= gate.max_gap
        shown = "and so is the whole" if ok else "but not the whole"
        message = f"{said}, {'within' if point_ok else 'more than'} {tolerated}, {shown} {interval}"
        return _gap(gate, "pass" if ok else _breach(gate), message, gap, mode="strict")
    if se > 0:
        p = min(1.0, pairs * (1 - NormalDist().cdf((gap - gate.max_gap) / se)))
    else:
        p = float(point_ok)
    if low > gate.max_gap:
        message = f"{said}, more than {tolerated}, and so is the whole {interval}"
        return _gap(gate, _breach(gate), message, gap, mode="lenient", p_value=p)
    if not point_ok:
        message = f"{said}, more than {tolerated}, but its {interval} is not: inconclusive"
        return _gap(gate, "inconclusive", message, gap, mode="lenient", p_value=p)
    message = f"{said}, within {tolerated} ({interval})"
    return _gap(gate, "pass", message, gap, mode="lenient", p_value=p)


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


def _gap(
    gate: GateConfig,
    status: Status,
    message: str,
    value: float | None,
    *,
    mode: GateMode | None = None,
    p_value: float | None = None,
) -> GateResult:
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
        mode=mode,
        p_value=p_value,
    )
