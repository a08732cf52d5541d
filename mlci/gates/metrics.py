"""The overall metrics judged: compared with the baseline's, with their intervals, gated (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from mlci.config import Config
from mlci.gates.compare import compare_metrics, with_intervals
from mlci.gates.directions import resolve_directions
from mlci.gates.known import check_gated_metrics
from mlci.gates.rules import evaluate_gates
from mlci.model.stats import Evidence
from mlci.results import GateResult, MetricComparison


def judge_metrics(
    config: Config,
    current: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    *,
    evidence: Evidence | None = None,
) -> tuple[tuple[MetricComparison, ...], tuple[GateResult, ...]]:
    """The candidate's metrics next to the baseline's (None: no baseline), with the interval
    of each Δ that ``evidence`` has, and the results of ``config``'s gates on them in
    ``config.stats.mode`` (a gate's own ``mode`` first).

    Example: with a gate ``{metric: roc_auc, max_regression: 0.005}``,
    ``judge_metrics(config, {"roc_auc": 0.905}, {"roc_auc": 0.912})`` compares roc_auc
    (Δ −0.007) and fails its one rule.
    """
    evidence = evidence or Evidence()
    check_gated_metrics(config, current)
    directions = resolve_directions(config, [*current, *(g.metric for g in config.gates)])
    comparisons = with_intervals(compare_metrics(current, baseline, directions), evidence.stats)
    gates = evaluate_gates(
        config.gates,
        comparisons,
        has_baseline=baseline is not None,
        mode=config.stats.mode,
        evidence=evidence,
    )
    return comparisons, gates
