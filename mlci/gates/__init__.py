"""Gates: the one place that judges a run's numbers (pure functions, values in and out).

- :mod:`~mlci.gates.directions`: whether each metric is better higher or lower, decided once;
- :mod:`~mlci.gates.compare`: each candidate metric next to its baseline value, with the
  interval of Δ when there is one;
- :mod:`~mlci.gates.rules`: the rules of each gate entry (``min``, ``max`` and the change
  rules, in ``point``, ``lenient`` or ``strict`` mode), which :mod:`~mlci.gates.metrics`
  applies to the overall metrics;
- :mod:`~mlci.gates.slices` and :mod:`~mlci.gates.budgets`: the same rules on the slices and
  on the budgets that :mod:`mlci.model` measured;
- :mod:`~mlci.gates.verdict`: gate and data check results folded into pass or fail.

What the rules and modes mean is written once, in docs/statistics.md.
"""

from __future__ import annotations

from mlci.gates.budgets import BudgetsOutcome, budget_gates, budget_results, judge_budgets
from mlci.gates.compare import compare_metrics, with_intervals
from mlci.gates.directions import resolve_directions
from mlci.gates.metrics import judge_metrics
from mlci.gates.rules import (
    NO_BASELINE,
    POINT_FALLBACK,
    SLACK,
    evaluate_gates,
    point_fallback_note,
)
from mlci.gates.slices import SlicesOutcome, compare_slices, judge_slices, slice_gates, slice_order
from mlci.gates.verdict import verdict
from mlci.model.stats import Evidence

__all__ = [
    "NO_BASELINE",
    "POINT_FALLBACK",
    "SLACK",
    "BudgetsOutcome",
    "Evidence",
    "SlicesOutcome",
    "budget_gates",
    "budget_results",
    "compare_metrics",
    "compare_slices",
    "evaluate_gates",
    "judge_budgets",
    "judge_metrics",
    "judge_slices",
    "point_fallback_note",
    "resolve_directions",
    "slice_gates",
    "slice_order",
    "verdict",
    "with_intervals",
]
