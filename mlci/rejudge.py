"""Judge a report again with another config: what `mlci publish` does with a fork's report.

The fork-safe workflow posts, from a privileged ``workflow_run`` job, the report that a pull
request's own (unprivileged) job computed and uploaded. Whoever controls that job controls the
artifact, so :func:`rejudge` takes the report's *numbers* and nothing it says about them:

- recomputed, with the default branch's config: every metric's Δ (from the value and the
  baseline value, with that config's metric directions), every gate's status (by
  :func:`mlci.gates.evaluate_gates`, :func:`mlci.gates.slice_gates` and
  :func:`mlci.gates.budget_gates`: the same code as ``mlci run``), the notes about how
  they were judged, and the verdict (:func:`mlci.gates.verdict`);
- ignored: the report's verdict, its gate results, its directions, its baseline branch, the
  notes of its own run about judging (point estimates, the override label);
- used as reported, because only running the pull request's code could check them: the metric,
  baseline, slice and budget values, and the intervals of Δ (only those computed at the
  default branch's ``stats.confidence``; any other level is judged on the point estimate);
- data checks: their statuses are claims that can only fail the verdict (a reported ``fail``
  fails it; a reported pass is shown as reported, it cannot be checked here);
- no baseline: the change rules are skipped, as in ``mlci run``, unless the config says
  ``baseline.on_missing: fail``, which then fails them (``mlci run`` would have stopped).

Pure: values in, values out. :func:`check_report` refuses the reports whose numbers are
ambiguous (a metric, slice or budget named twice).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Literal, cast

from mlci.config import Config, GateConfig, rules_from_document, rules_of
from mlci.errors import ConfigError, MlciError
from mlci.gates import (
    NO_BASELINE,
    POINT_FALLBACK,
    Evidence,
    budget_gates,
    budget_results,
    compare_metrics,
    compare_slices,
    evaluate_gates,
    point_fallback_note,
    resolve_directions,
    slice_gates,
    slice_order,
    verdict,
    with_intervals,
)
from mlci.model.slice_stats import SliceEvidence
from mlci.model.slices import SliceValues
from mlci.model.stats import Method, PairedStat, ReportedInterval
from mlci.results import (
    BudgetResult,
    GateResult,
    MetricComparison,
    Report,
    SliceResult,
)
from mlci.rulediff import rule_changes
from mlci.vocab import fmt_int, fmt_share

# How every note about the override label starts (accepted, refused, not checked: see
# mlci.github.override): a report judged again drops such notes of the PR's own run.
OVERRIDE_NOTES = ("Overridden by @", "The label ", "Could not check the override label")
JUDGING_NOTES = (POINT_FALLBACK, *OVERRIDE_NOTES)  # notes of the PR's run that are judged again


def rejudge(report: Report, config: Config, *, branch: str) -> Report:
    """``report`` judged with ``config`` (the default branch ``branch``'s), as described in the
    module docstring; ``judged_with`` is set to ``branch`` and ``gate_changes`` says how the
    report's own rules differ from the config's.
    """
    directions = resolve_directions(config, [m.name for m in report.metrics])
    has_baseline = report.baseline.commit is not None
    current = {m.name: m.value for m in report.metrics}
    base = {m.name: m.baseline for m in report.metrics if m.baseline is not None}
    comparisons = compare_metrics(current, base if has_baseline else None, directions)
    stats, unpaired = _intervals(report.metrics, comparisons, config.stats.confidence, branch)
    evidence = Evidence(stats=stats, unpaired=unpaired)
    comparisons = with_intervals(comparisons, stats)
    mode = config.stats.mode
    gates = evaluate_gates(
        config.gates, comparisons, has_baseline=has_baseline, mode=mode, evidence=evidence
    )
    slices, slice_results = _slices(
        report, config, directions, has_baseline=has_baseline, branch=branch
    )
    budgets, budget_results_ = _budgets(report, config)
    judged = _no_baseline_allowed(
        (*gates, *slice_results, *budget_results_), config, has_baseline=has_baseline, branch=branch
    )
    fallback = point_fallback_note(config.gates, gates, mode=mode, evidence=evidence)
    kept = tuple(n for n in report.notes if not n.startswith(JUDGING_NOTES))
    return replace(
        report,
        verdict=verdict(judged, report.checks),
        baseline=replace(report.baseline, branch=config.baseline.branch),
        metrics=comparisons,
        gates=judged,
        slices=slices,
        budgets=budgets,
        notes=(*kept, *((fallback,) if fallback else ())),
        history={},
        gate_changes=_gate_changes(report, config, judged, branch),
        judged_with=branch,
    )


def _no_baseline_allowed(
    gates: tuple[GateResult, ...], config: Config, *, has_baseline: bool, branch: str
) -> tuple[GateResult, ...]:
    """Without a baseline, change rules are skipped, unless the config says
    ``baseline.on_missing: fail`` (where `mlci run` would stop): then they are breached."""
    if has_baseline or config.baseline.on_missing != "fail":
        return gates
    why = f"no baseline, which `baseline.on_missing: fail` on {branch} does not allow"
    return tuple(
        replace(g, status="fail" if g.severity == "error" else "warn", message=why)
        if g.status == "skipped" and g.message == NO_BASELINE
        else g
        for g in gates
    )


def check_report(report: Report) -> None:
    """Refuse a report whose numbers are ambiguous: a metric, a slice (or a metric within a
    slice) or a budget named twice. Raises :class:`MlciError`."""
    _unique("metric", (m.name for m in report.metrics))
    _unique("slice", (s.label for s in report.slices))
    for s in report.slices:
        _unique(f"metric of slice {s.label}", (m.name for m in s.metrics))
    _unique("budget", (b.name for b in report.budgets))


def _unique(what: str, names: Iterable[str]) -> None:
    counts = Counter(names)
    twice = [name for name, n in counts.items() if n > 1]
    if twice:
        raise MlciError(
            f"The report names the {what} {twice[0]!r} {counts[twice[0]]} times: "
            "refusing an ambiguous report."
        )


# -- intervals ----------------------------------------------------------------------------------


def _intervals(
    reported: Sequence[MetricComparison],
    comparisons: Sequence[MetricComparison],
    confidence: float,
    branch: str,
) -> tuple[dict[str, PairedStat], str]:
    """The reported intervals usable at ``confidence``, direction-adjusted like the recomputed
    Δ; and, for the report, why the others cannot be used."""
    by_name = {c.name: c for c in comparisons}
    stats: dict[str, PairedStat] = {}
    other_levels: set[float] = set()
    for m in reported:
        c = by_name[m.name]
        low, high = m.ci_low, m.ci_high
        if c.delta is None or c.baseline is None or low is None or high is None:
            continue
        if m.higher_is_better is None or not (math.isfinite(low) and math.isfinite(high)):
            continue
        if low > high:
            continue
        if m.ci_level is None or not math.isclose(m.ci_level, confidence, abs_tol=1e-9):
            other_levels.add(m.ci_level if m.ci_level is not None else math.nan)
            continue
        if m.higher_is_better != c.higher_is_better:  # the PR's own direction: turn it around
            low, high = -high, -low
        method = cast("Method", m.method or "bootstrap")
        stats[m.name] = ReportedInterval(
            m.name, c.baseline, c.value, c.delta, low, high, confidence, method, m.p_value
        )
    if other_levels:
        levels = ", ".join(_percent(level) for level in sorted(other_levels))
        why = (
            f"the evaluation run computed its intervals at {levels} confidence, not at the "
            f"{_percent(confidence)} of `stats.confidence` on {branch}"
        )
    else:
        why = "the evaluation run reported none"
    return stats, why


def _percent(level: float) -> str:
    return "an unknown level" if math.isnan(level) else fmt_share(level)


# -- slices and budgets -------------------------------------------------------------------------


def _slices(
    report: Report,
    config: Config,
    directions: Mapping[str, bool],
    *,
    has_baseline: bool,
    branch: str,
) -> tuple[tuple[SliceResult, ...], tuple[GateResult, ...]]:
    """The report's slices compared and gated again, in ``stats.mode`` with the intervals the
    report gives for each slice's Δ (``max_gap`` is judged on the values: the report keeps no
    slice's standard error). A slice smaller than the config's ``min_slice_size`` is too small
    (never gated); one at least that large that the report gives no metrics for (its run used
    a larger minimum) fails the gates on its grouping."""
    min_size = config.model.min_slice_size if config.model is not None else 30
    values: list[SliceValues] = []
    base: dict[tuple[tuple[str, ...], tuple[str | None, ...]], SliceValues] = {}
    unmeasured: list[SliceResult] = []
    for s in report.slices:
        metrics = {m.name: m.value for m in s.metrics} if s.n >= min_size else {}
        if s.n >= min_size and not metrics:
            unmeasured.append(SliceResult(s.grouping, s.key, s.n, (), False, min_size))
            continue
        values.append(SliceValues(s.grouping, s.key, s.n, metrics))
        before = {m.name: m.baseline for m in s.metrics if m.baseline is not None}
        if has_baseline and before:
            base[(s.grouping, s.key)] = SliceValues(s.grouping, s.key, s.baseline_n or 0, before)
    order = slice_order(config, [m.name for m in report.metrics])
    results = compare_slices(values, base, directions, order=order, min_size=min_size)
    reported = {(s.grouping, s.key): s.metrics for s in report.slices}
    confidence = config.stats.confidence
    stats = {
        (r.grouping, r.key): _intervals(
            reported[(r.grouping, r.key)], r.metrics, confidence, branch
        )[0]
        for r in results
        if not r.too_small
    }
    results = tuple(
        replace(r, metrics=with_intervals(r.metrics, stats.get((r.grouping, r.key), {})))
        for r in results
    )
    gates = slice_gates(
        config.gates,
        results,
        has_baseline=has_baseline,
        min_size=min_size,
        mode=config.stats.mode,
        evidence=SliceEvidence(stats=stats, unpaired="the evaluation run reported none"),
        confidence=confidence,
    )
    unjudged = tuple(g for s in unmeasured for g in _unmeasured(config.gates, s))
    return _in_grouping_order(results, unmeasured), (*gates, *unjudged)


def _unmeasured(gates: Sequence[GateConfig], s: SliceResult) -> tuple[GateResult, ...]:
    """Every rule on ``s``'s grouping breached: the slice is large enough to be gated, but the
    report gives no metrics for it."""
    why = (
        f"{s.label} has {fmt_int(s.n)} rows (at least {fmt_int(s.min_size)}), but the report "
        "gives no metrics for it: it cannot be judged"
    )
    on_it = [replace(g, slices="every", max_gap=None) for g in gates if g.slice == s.grouping]
    results = slice_gates(on_it, [s], has_baseline=True, min_size=s.min_size)
    return tuple(replace(r, message=why) for r in results)


def _in_grouping_order(
    results: Sequence[SliceResult], extra: Sequence[SliceResult]
) -> tuple[SliceResult, ...]:
    """``results`` with the ``extra`` slices after the others of their grouping."""
    everything = (*results, *extra)
    groupings = dict.fromkeys(s.grouping for s in everything)
    return tuple(s for g in groupings for s in everything if s.grouping == g)


def _budgets(
    report: Report, config: Config
) -> tuple[tuple[BudgetResult, ...], tuple[GateResult, ...]]:
    """The reported budgets compared again, and gated with the config's budget rules (a budget
    the config gates but the report does not give fails its rules)."""
    current = {b.name: b.value for b in report.budgets}
    base: dict[str, tuple[float, Literal["same_job", "record"]]] = {}
    for b in report.budgets:
        if b.baseline is not None and b.baseline_source != "none":
            base[b.name] = (b.baseline, b.baseline_source)
    methods = {b.name: b.method for b in report.budgets}
    results = budget_results(current, base, methods)
    gates = budget_gates(config.budgets, results) if config.budgets is not None else ()
    return results, gates


# -- what the pull request changed --------------------------------------------------------------


def _gate_changes(
    report: Report, config: Config, judged: Sequence[GateResult], branch: str
) -> tuple[str, ...]:
    """How the rules the report was judged with differ from ``config``'s: from the report's
    ``rules`` when they are valid, else (or when they say nothing changed) from its gate
    results, which were then judged with other rules."""
    changes: tuple[str, ...] = ()
    if report.rules:
        try:
            claimed = rules_from_document(report.rules, source="the report's rules")
        except ConfigError:
            claimed = None
        if claimed is not None:
            changes = rule_changes(rules_of(config), claimed)
    if not changes and _signature(report.gates) != _signature(judged):
        changes = (
            f"its own run judged with other gates than the config of {branch} "
            "(the report does not say which)",
        )
    return changes


def _signature(gates: Sequence[GateResult]) -> Counter[tuple[str, str, str, str, str]]:
    return Counter((g.metric, g.rule, g.threshold, g.severity, g.scope) for g in gates)
