"""Reports with slices and budgets, for the renderer tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mlci.results import BudgetResult, Report, SliceResult
from tests.helpers.report import gate, make_report, metric


def slice_result(
    key: str | None,
    n: int,
    recall: float | None,
    base: float | None = None,
    interval: tuple[float, float] | None = None,
    **kw: Any,
) -> SliceResult:
    """A slice of ``plan`` with a recall (None: too small), and the interval of its Δ."""
    metrics = () if recall is None else (metric("recall", recall, base), metric("f1", 0.7, base))
    if interval is not None and metrics:
        low, high = interval
        with_ci = replace(metrics[0], ci_low=low, ci_high=high, ci_level=0.95, method="multinomial")
        metrics = (with_ci, *metrics[1:])
    return SliceResult(
        grouping=("plan",),
        key=(key,),
        n=n,
        metrics=metrics,
        too_small=recall is None,
        min_size=30,
        sorted_by="recall",
        baseline_n=None if base is None else n,
        **kw,
    )


def budget(
    name: str = "latency_p95_ms", value: float = 2.5, base: float | None = 2.0
) -> BudgetResult:
    change = None if base is None else value - base
    return BudgetResult(
        name=name,
        value=value,
        baseline=base,
        change=change,
        change_pct=None if change is None or base is None else 100 * change / base,
        delta=None if change is None else -change,
        baseline_source="same_job" if base is not None else "none",
        method="p95 of 30 single-row predictions after 3 warm-up rounds",
    )


def sliced_report(**kw: Any) -> Report:
    """Two computed slices (worst first) and one too small; a slice gate; one budget."""
    fields: dict[str, Any] = {
        "slices": (
            slice_result("pro", 120, 0.61, 0.83, interval=(-0.3, -0.14)),
            slice_result("basic", 300, 0.8, 0.79),
            slice_result(None, 12, None),
        ),
        "budgets": (budget(),),
        "gates": (
            gate(
                "recall [plan=pro]",
                "fail",
                rule="max_regression",
                threshold="max regression 0.02",
                message="recall [plan=pro] got worse by 0.22",
                value=-0.22,
                scope="slice",
            ),
            gate(
                "recall [plan=basic]",
                "pass",
                rule="max_regression",
                threshold="max regression 0.02",
                value=0.01,
                scope="slice",
            ),
            gate(
                "recall [across plan]",
                "fail",
                rule="max_gap",
                threshold="max gap 0.1",
                message="recall differs by 0.19 across plan",
                value=0.19,
                scope="slice",
            ),
            gate("latency_p95_ms", "fail", rule="max", threshold="≤ 2", value=2.5, scope="budget"),
        ),
    }
    fields.update(kw)
    return make_report(**fields)
