"""The rules of a gate entry applied to compared metrics (pure).

:func:`evaluate_gates` applies each rule of each gate entry; :func:`point_fallback_note` says
when change rules meant for ``lenient`` or ``strict`` fell back to point estimates.

What the rules and modes mean (inclusive bounds, the more lenient of two margins, the slack of
1e-12, how ``point``, ``lenient`` and ``strict`` use the interval of Δ, Holm's adjustment) is
written once, in docs/statistics.md; the tests in tests/gates/test_rules.py and
tests/gates/test_modes.py hold this module to it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from mlci.config import GateConfig, GateMode, Margin
from mlci.model.stats import Evidence, PairedStat, holm
from mlci.results import GateResult, MetricComparison, Status
from mlci.vocab import fmt_delta, fmt_pct, fmt_share, fmt_value

RuleKind = Literal["min", "max", "max_regression", "min_improvement", "max_improvement"]
SLACK = 1e-12
NO_BASELINE = "no baseline"
POINT_FALLBACK = "Change rules were judged on point estimates"  # how point_fallback_note starts


# -- gates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One rule of a gate entry, ready to check."""

    gate: GateConfig
    kind: RuleKind
    bound: float | None = None  # min / max
    margin: Margin | None = None  # change rules

    @property
    def needs_baseline(self) -> bool:
        return self.margin is not None


def evaluate_gates(
    gates: Sequence[GateConfig],
    comparisons: Sequence[MetricComparison],
    *,
    has_baseline: bool,
    mode: GateMode = "point",
    evidence: Evidence | None = None,
) -> tuple[GateResult, ...]:
    """One :class:`GateResult` per rule set on each gate entry, in config order.

    See the module docstring for the semantics of each rule, of combined margins, of missing
    and undefined metrics, of severities, of the floating-point slack and of the modes.
    ``mode`` applies to gates without their own ``mode``; ``evidence`` holds the intervals.

    Example: a gate ``{metric: roc_auc, min: 0.85, max_regression: 0.005}`` on a candidate
    at 0.905 with a baseline at 0.912 gives a passing ``min`` and a failing ``max_regression``.
    """
    by_name = {c.name: c for c in comparisons}
    results: list[GateResult] = []
    for gate in gates:
        if gate.slice is not None:  # applied to slices by mlci.gates.slices.slice_gates
            continue
        for rule in _rules(gate):
            applied = gate.mode or mode
            results.append(
                _evaluate(rule, by_name, has_baseline=has_baseline, mode=applied, evidence=evidence)
            )
    return _holm_adjusted(results, evidence or Evidence())


def point_fallback_note(
    gates: Sequence[GateConfig],
    results: Sequence[GateResult],
    *,
    mode: GateMode,
    evidence: Evidence | None,
) -> str | None:
    """The report's note when change rules meant for lenient/strict used point estimates.

    ``results`` are :func:`evaluate_gates`' results for ``gates`` and ``mode``.
    """
    requested = [gate.mode or mode for gate in gates if gate.slice is None for _ in _rules(gate)]
    fell_back = [
        f"{r.metric} ({r.rule.replace('_', ' ')})"
        for wanted, r in zip(requested, results, strict=False)
        if wanted != "point" and r.mode == "point"
    ]
    if not fell_back:
        return None
    why = evidence.unpaired if evidence is not None and evidence.unpaired else "no paired data"
    return (
        f"{POINT_FALLBACK}, without confidence intervals: {why}. "
        "Intervals need per-example predictions of both models (a predictions file or a model), "
        "or a metrics file that gives each metric's uncertainty in this run and the baseline's. "
        f"Judged without intervals: {', '.join(fell_back)}."
    )


def _rules(gate: GateConfig) -> list[_Rule]:
    rules = [_Rule(gate, "min", bound=gate.min), _Rule(gate, "max", bound=gate.max)]
    rules += [
        _Rule(gate, "max_regression", margin=gate.max_regression),
        _Rule(gate, "min_improvement", margin=gate.min_improvement),
        _Rule(gate, "max_improvement", margin=gate.max_improvement),
    ]
    return [r for r in rules if r.bound is not None or r.margin is not None]


def _evaluate(
    rule: _Rule,
    by_name: Mapping[str, MetricComparison],
    *,
    has_baseline: bool,
    mode: GateMode = "point",
    evidence: Evidence | None = None,
) -> GateResult:
    name = rule.gate.metric
    comparison = by_name.get(name)
    if comparison is None:
        return _result(rule, False, _missing_message(name, list(by_name)))
    if math.isnan(comparison.value):
        return _result(rule, False, f"{name} is undefined (n/a)")
    if not rule.needs_baseline:
        return _check_bound(rule, comparison.value)
    if not has_baseline or comparison.baseline is None:
        return _result(rule, None, NO_BASELINE)
    if math.isnan(comparison.baseline):
        return _result(rule, None, f"the baseline's {name} is undefined (n/a)")
    if comparison.delta is None:
        return _result(rule, None, f"{name} has no known direction")
    if mode == "point":
        return _check_change(rule, comparison)
    return _check_change_with_evidence(rule, comparison, mode, evidence or Evidence())


def _missing_message(name: str, available: list[str]) -> str:
    near = difflib.get_close_matches(name, available, n=1)
    hint = f"; did you mean '{near[0]}'?" if near else "."
    listed = ", ".join(available[:10]) if available else "none"
    if len(available) > 10:
        listed += f", … {len(available) - 10} more"
    return f"metric '{name}' was not computed (available: {listed}){hint}"


def _check_bound(rule: _Rule, value: float) -> GateResult:
    bound = rule.bound
    assert bound is not None
    name, shown, limit = rule.gate.metric, fmt_value(value), fmt_value(bound)
    if rule.kind == "min":
        ok = _at_most(bound, value)
        message = (
            f"{name} {shown} ≥ {limit}" if ok else f"{name} {shown} is below the minimum {limit}"
        )
    else:
        ok = _at_most(value, bound)
        message = (
            f"{name} {shown} ≤ {limit}" if ok else f"{name} {shown} is above the maximum {limit}"
        )
    return _result(rule, ok, message, value=value)


def _check_change(rule: _Rule, c: MetricComparison) -> GateResult:
    assert c.delta is not None
    ok = _point_ok(rule, c)
    return _result(rule, ok, _change_message(rule, c, ok), value=c.delta, mode="point")


def _point_ok(rule: _Rule, c: MetricComparison) -> bool:
    assert rule.margin is not None and c.delta is not None and c.baseline is not None
    limits = _limits(rule.margin, c.baseline)
    delta, size = c.delta, max(abs(c.value), abs(c.baseline))  # the rounding error of delta
    if rule.kind == "max_regression":
        return any(_at_most(-delta, limit, size) for limit in limits)
    if rule.kind == "min_improvement":
        return any(_at_most(limit, delta, size) for limit in limits)
    return any(_at_most(delta, limit, size) for limit in limits)


# -- change rules with the interval of Δ ---------------------------------------------------------


def _check_change_with_evidence(
    rule: _Rule, c: MetricComparison, mode: GateMode, evidence: Evidence
) -> GateResult:
    assert c.delta is not None
    stat = evidence.stats.get(c.name)
    usable = stat is not None and math.isfinite(stat.ci_low) and math.isfinite(stat.ci_high)
    if not usable and evidence.inconclusive:
        message = f"{_movement(c)}; {evidence.inconclusive}"
        return _result(rule, None, message, value=c.delta, mode=mode, inconclusive=True)
    if stat is None or not usable:
        ok = _point_ok(rule, c)
        message = _change_message(rule, c, ok)
        return _result(rule, ok, message, value=c.delta, mode="point")
    return _judge_interval(rule, c, stat, mode)


def _effective_limit(rule: _Rule, c: MetricComparison) -> tuple[float, Literal["below", "above"]]:
    """The rule as a limit on Δ and the side of a breach (the most lenient margin applies)."""
    assert rule.margin is not None and c.baseline is not None
    limits = _limits(rule.margin, c.baseline)
    if rule.kind == "max_regression":
        return -max(limits), "below"
    if rule.kind == "min_improvement":
        return min(limits), "below"
    return max(limits), "above"


def _judge_interval(
    rule: _Rule, c: MetricComparison, stat: PairedStat, mode: GateMode
) -> GateResult:
    assert c.delta is not None and c.baseline is not None
    limit, side = _effective_limit(rule, c)
    low, high = stat.ci_low, stat.ci_high
    size = max(abs(c.value), abs(c.baseline))
    if side == "below":
        beyond, within = not _at_most(limit, high, size), _at_most(limit, low, size)
    else:
        beyond, within = not _at_most(low, limit, size), _at_most(high, limit, size)
    point_ok = _point_ok(rule, c)
    said, interval = _change_message(rule, c, point_ok), _interval_text(c, stat)
    if mode == "strict":
        message = (
            f"{said}, and so is the whole {interval}"
            if within
            else f"{said}; its {interval} is not entirely within the margin: not shown"
        )
        return _result(rule, within, message, value=c.delta, mode="strict")
    p = stat.p_breach(limit, breach=side)
    if beyond:
        message = f"{said}, and so is the whole {interval}"
        return _result(rule, False, message, value=c.delta, mode="lenient", p_value=p)
    if not point_ok:
        message = f"{said}, but its {interval} is not entirely beyond the margin: inconclusive"
        return _result(
            rule, None, message, value=c.delta, mode="lenient", p_value=p, inconclusive=True
        )
    return _result(rule, True, f"{said} ({interval})", value=c.delta, mode="lenient", p_value=p)


def _interval_text(c: MetricComparison, stat: PairedStat) -> str:
    """``"95% CI of Δ [−0.013, +0.001]"``, in the raw units of the shown change."""
    low, high = (stat.ci_low, stat.ci_high) if c.higher_is_better else (-stat.ci_high, -stat.ci_low)
    return f"{fmt_share(stat.confidence)} CI of Δ [{fmt_delta(low)}, {fmt_delta(high)}]"


def _holm_adjusted(results: list[GateResult], evidence: Evidence) -> tuple[GateResult, ...]:
    """Holm-adjust the breach p-values of the blocking lenient rules; a fail needs both."""
    family = [
        i
        for i, r in enumerate(results)
        if r.mode == "lenient" and r.p_value is not None and r.severity == "error"
    ]
    if len(family) < 2:
        return tuple(results)
    adjusted = holm([results[i].p_value for i in family])  # type: ignore[misc]
    for i, p in zip(family, adjusted, strict=True):
        r = results[i]
        results[i] = replace(r, p_value=p)
        stat = evidence.stats[r.metric]
        if r.status == "fail" and p >= (1 - stat.confidence) / 2:
            results[i] = replace(
                r,
                status="inconclusive",
                p_value=p,
                message=f"{r.message}, but not after Holm's correction for {len(family)} "
                f"blocking comparisons (adjusted p = {p:.2g}): inconclusive",
            )
    return tuple(results)


def _limits(margin: Margin, baseline: float) -> list[float]:
    """The margin in metric units: absolute and/or relative to ``|baseline|`` (0 if neither)."""
    limits = [] if margin.absolute is None else [margin.absolute]
    if margin.relative is not None:
        limits.append(margin.relative * abs(baseline))
    return limits or [0.0]


def _at_most(a: float, b: float, size: float = 0.0) -> bool:
    """``a <= b`` up to the floating-point slack, relative to the size of the numbers involved."""
    return a <= b + SLACK * max(1.0, abs(a), abs(b), size)


def _change_message(rule: _Rule, c: MetricComparison, ok: bool) -> str:
    assert c.delta is not None and c.baseline is not None
    margin = _margin_text(rule.margin, c.baseline)
    if rule.kind == "max_regression":
        verdict = "within the tolerated" if ok else "more than the tolerated"
        return f"{_movement(c)}, {verdict} regression of {margin}"
    if rule.kind == "min_improvement":
        verdict = "meeting the required" if ok else "short of the required"
        return f"{_movement(c)}, {verdict} improvement of {margin}"
    if ok:
        return f"{_movement(c)}, within the believable improvement of {margin}"
    return (
        f"{_movement(c)}, more than the believable improvement of {margin}: "
        "check for leakage or a broken evaluation"
    )


def _movement(c: MetricComparison) -> str:
    """``"roc_auc got worse by 0.007 (−0.77%)"``: direction-adjusted, with the raw change."""
    assert c.delta is not None
    if c.delta == 0:
        return f"{c.name} did not change"
    pct = "" if c.change_pct is None else f" ({fmt_pct(c.change_pct)})"
    how = "improved" if c.delta > 0 else "got worse"
    return f"{c.name} {how} by {fmt_value(abs(c.delta))}{pct}"


def _margin_text(margin: Margin | None, baseline: float | None = None) -> str:
    """``"0.005"``, ``"2%"``, ``"0.005 or 2%"``; with a baseline, ``"2% (0.006)"``."""
    parts = []
    if margin is not None and margin.absolute is not None:
        parts.append(fmt_value(margin.absolute))
    if margin is not None and margin.relative is not None:
        rel = fmt_value(100 * margin.relative) + "%"
        if baseline is not None:
            rel += f" ({fmt_value(margin.relative * abs(baseline))})"
        parts.append(rel)
    return " or ".join(parts) or "0"


def _threshold(rule: _Rule) -> str:
    if rule.bound is not None:
        return ("≥ " if rule.kind == "min" else "≤ ") + fmt_value(rule.bound)
    return rule.kind.replace("_", " ") + " " + _margin_text(rule.margin)


def _result(
    rule: _Rule,
    ok: bool | None,
    message: str,
    value: float | None = None,
    *,
    mode: GateMode | None = None,
    p_value: float | None = None,
    inconclusive: bool = False,
) -> GateResult:
    """``ok=None``: skipped (or inconclusive); ``False``: a breach, ``fail`` or ``warn`` by
    severity."""
    status: Status
    if inconclusive:
        status = "inconclusive"
    elif ok is None:
        status = "skipped"
    elif ok:
        status = "pass"
    else:
        status = "fail" if rule.gate.severity == "error" else "warn"
    return GateResult(
        metric=rule.gate.metric,
        rule=rule.kind,
        status=status,
        severity=rule.gate.severity,
        threshold=_threshold(rule),
        message=message,
        value=value,
        mode=mode,
        p_value=p_value,
    )
