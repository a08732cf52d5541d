"""Budgets judged: next to the baseline's value, gated like metrics, lower is better."""

from __future__ import annotations

import pytest

from mlci.config import BudgetRule, BudgetsConfig, Margin
from mlci.gates import budget_gates, budget_results, judge_budgets
from mlci.results import MeasuredBudgets


def test_budgets_are_gated_like_metrics_lower_is_better() -> None:
    cfg = BudgetsConfig(
        model_size_mb=BudgetRule(max=50, max_regression=Margin(relative=0.1)),
        latency_p95_ms=BudgetRule(max=20, severity="warn"),
        peak_memory_mb=BudgetRule(),
    )
    results = budget_results(
        {"model_size_mb": 12.0, "latency_p95_ms": 25.0, "peak_memory_mb": 3.0},
        {"model_size_mb": (10.0, "same_job"), "latency_p95_ms": (30.0, "same_job")},
        {"model_size_mb": "12,000,000 bytes"},
    )
    size = results[0]
    assert (size.change, size.delta, size.baseline_source, size.method) == (
        2.0,
        -2.0,
        "same_job",
        "12,000,000 bytes",
    )
    assert size.change_pct == pytest.approx(20.0)
    assert results[1].delta == 5.0  # 5 ms faster is better
    assert results[2].baseline_source == "none"
    gates = budget_gates(cfg, results)
    assert [(g.metric, g.rule, g.status, g.scope) for g in gates] == [
        ("model_size_mb", "max", "pass", "budget"),
        ("model_size_mb", "max_regression", "fail", "budget"),
        ("latency_p95_ms", "max", "warn", "budget"),
    ]
    assert gates[1].message == (
        "model_size_mb got worse by 2 (+20.0%), more than the tolerated regression of 10% (1)"
    )


def test_a_change_rule_without_a_baseline_value_is_skipped_with_the_reason() -> None:
    cfg = BudgetsConfig(latency_p95_ms=BudgetRule(max_regression=Margin(absolute=1)))
    results = budget_results({"latency_p95_ms": 3.0}, {}, {})
    [gate] = budget_gates(cfg, results, no_baseline="the baseline model was not measured")
    assert (gate.status, gate.message) == ("skipped", "the baseline model was not measured")


def test_a_baseline_model_not_measured_here_is_a_note_and_the_reason_of_skipped_rules() -> None:
    cfg = BudgetsConfig(latency_p95_ms=BudgetRule(max_regression=Margin(absolute=1)))
    measured = MeasuredBudgets({"latency_p95_ms": 3.0}, {}, {}, unmeasured="it failed to load")
    outcome = judge_budgets(cfg, measured)
    reason = "the baseline model was not measured in this job: it failed to load"
    assert outcome.notes == (f"Budgets: {reason}.",)
    assert [(g.status, g.message) for g in outcome.gates] == [("skipped", reason)]
    assert outcome.record == {"latency_p95_ms": 3.0}
    plain = judge_budgets(cfg, MeasuredBudgets({"latency_p95_ms": 3.0}, {}, {}))
    assert plain.notes == () and plain.gates[0].message == "no baseline"
    assert judge_budgets(cfg, None) == judge_budgets(None, measured) == type(outcome)()
