"""Judging budgets: each measured budget next to the baseline's, and the rules of ``budgets:``.

The budgets are measured by :mod:`mlci.model.budgets`; their rules (``max``,
``max_regression``, ``min_improvement``) are those of :func:`mlci.gates.rules.evaluate_gates`,
every budget being lower-is-better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from mlci.config import BudgetRule, BudgetsConfig, GateConfig
from mlci.gates.compare import compare_metrics
from mlci.gates.rules import NO_BASELINE, evaluate_gates
from mlci.results import BaselineSource, BudgetResult, GateResult, MeasuredBudgets


@dataclass(frozen=True)
class BudgetsOutcome:
    """What the budget stage adds to a run: results, gate results, notes, the record entry."""

    budgets: tuple[BudgetResult, ...] = ()
    gates: tuple[GateResult, ...] = ()
    notes: tuple[str, ...] = ()
    record: Mapping[str, float] | None = None  # Record.extra["budgets"]


def judge_budgets(cfg: BudgetsConfig | None, measured: MeasuredBudgets | None) -> BudgetsOutcome:
    """The measured budgets (:class:`mlci.results.MeasuredBudgets`) next to the
    baseline's, gated with ``cfg``'s rules; nothing when nothing was measured."""
    if cfg is None or measured is None:
        return BudgetsOutcome()
    results = budget_results(measured.current, measured.baseline, measured.methods)
    if measured.unmeasured:
        reason = f"the baseline model was not measured in this job: {measured.unmeasured}"
        notes: tuple[str, ...] = (f"Budgets: {reason}.",)
    else:
        reason, notes = NO_BASELINE, ()
    gates = budget_gates(cfg, results, no_baseline=reason)
    return BudgetsOutcome(results, gates, notes, dict(measured.current))


def budget_results(
    current: Mapping[str, float],
    baseline: Mapping[str, tuple[float, BaselineSource]],
    methods: Mapping[str, str],
) -> tuple[BudgetResult, ...]:
    """Each measured budget next to the baseline's value and where that value came from."""
    base_values = {name: value for name, (value, _) in baseline.items()}
    lower = dict.fromkeys(current, False)
    return tuple(
        BudgetResult(
            name=c.name,
            value=c.value,
            baseline=c.baseline,
            change=c.change,
            change_pct=c.change_pct,
            delta=c.delta,
            baseline_source=baseline[c.name][1] if c.name in baseline else "none",
            method=methods.get(c.name, ""),
        )
        for c in compare_metrics(current, base_values, lower)
    )


def budget_gates(
    cfg: BudgetsConfig, results: Sequence[BudgetResult], *, no_baseline: str = NO_BASELINE
) -> tuple[GateResult, ...]:
    """The configured rules on the measured budgets, by :func:`mlci.gates.rules.evaluate_gates`.

    A change rule without a baseline value is skipped with the message ``no_baseline``.
    """
    gates = [_as_gate(name, rule) for name, rule in cfg.configured() if _has_rule(rule)]
    comparisons = [
        compare_metrics({r.name: r.value}, _baseline_of(r), {r.name: False})[0] for r in results
    ]
    return tuple(
        replace(g, scope="budget", message=no_baseline if g.message == NO_BASELINE else g.message)
        for g in evaluate_gates(gates, comparisons, has_baseline=True)
    )


def _baseline_of(r: BudgetResult) -> dict[str, float] | None:
    return None if r.baseline is None else {r.name: r.baseline}


def _has_rule(rule: BudgetRule) -> bool:
    return any(x is not None for x in (rule.max, rule.max_regression, rule.min_improvement))


def _as_gate(name: str, rule: BudgetRule) -> GateConfig:
    return GateConfig(
        metric=name,
        max=rule.max,
        max_regression=rule.max_regression,
        min_improvement=rule.min_improvement,
        severity=rule.severity,
        direction="lower",
        mode="point",
    )
