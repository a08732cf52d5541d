"""Gate modes: point, lenient and strict change rules with the interval of Δ, and Holm.

Intervals are given directly (a :class:`PairedStat` with a DeLong-style standard error), so each
case states its interval; the statistics themselves are tested in tests/model/test_stats.py.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from statsmodels.stats.multitest import multipletests

from mlci.config import GateConfig, Margin
from mlci.gates import (
    Evidence,
    compare_metrics,
    evaluate_gates,
    point_fallback_note,
    verdict,
    with_intervals,
)
from mlci.model.stats import PairedStat

Z95 = 1.959963984540054


def stat(name: str, delta: float, se: float, *, confidence: float = 0.95) -> PairedStat:
    """A normal interval Δ ± z·se (direction-adjusted), as DeLong gives."""
    z = Z95 if confidence == 0.95 else 1.6448536269514722
    return PairedStat(
        name, 0.0, 0.0, delta, delta - z * se, delta + z * se, confidence, "delong", None, _se=se
    )


def comparisons(value: float, baseline: float, name: str = "roc_auc", higher: bool = True):
    return compare_metrics({name: value}, {name: baseline}, {name: higher})


def judge(
    gate: GateConfig, value: float, baseline: float, se: float, mode: str, **kw
) -> tuple[str, str]:
    higher = kw.pop("higher", True)
    comps = comparisons(value, baseline, gate.metric, higher)
    delta = comps[0].delta
    evidence = Evidence({gate.metric: stat(gate.metric, delta, se)})
    (result,) = evaluate_gates(
        [gate],
        with_intervals(comps, evidence.stats),
        has_baseline=True,
        mode=mode,
        evidence=evidence,
    )
    return result.status, result.message


REGRESSION = GateConfig("roc_auc", max_regression=Margin(absolute=0.005))


@pytest.mark.parametrize(
    ("value", "se", "expected"),
    [
        # Δ = −0.007, CI [−0.0129, −0.0011]: a point breach the interval does not confirm
        (0.905, 0.003, {"point": "fail", "lenient": "inconclusive", "strict": "fail"}),
        # Δ = −0.015, CI [−0.0189, −0.0111]: the whole interval is beyond the margin
        (0.897, 0.002, {"point": "fail", "lenient": "fail", "strict": "fail"}),
        # Δ = −0.002, CI [−0.0079, +0.0039]: fine on the point, non-inferiority not shown
        (0.910, 0.003, {"point": "pass", "lenient": "pass", "strict": "fail"}),
        # Δ = +0.001, CI [−0.003, +0.005]: non-inferiority shown
        (0.913, 0.002, {"point": "pass", "lenient": "pass", "strict": "pass"}),
    ],
)
def test_max_regression_by_mode(value, se, expected):
    got = {mode: judge(REGRESSION, value, 0.912, se, mode)[0] for mode in expected}
    assert got == expected


def test_messages_say_what_the_interval_shows():
    assert judge(REGRESSION, 0.905, 0.912, 0.003, "lenient")[1] == (
        "roc_auc got worse by 0.007 (−0.77%), more than the tolerated regression of 0.005, but "
        "its 95% CI of Δ [−0.01288, −0.00112] is not entirely beyond the margin: inconclusive"
    )
    assert judge(REGRESSION, 0.897, 0.912, 0.002, "lenient")[1] == (
        "roc_auc got worse by 0.015 (−1.6%), more than the tolerated regression of 0.005, and so "
        "is the whole 95% CI of Δ [−0.01892, −0.01108]"
    )
    assert judge(REGRESSION, 0.910, 0.912, 0.003, "strict")[1] == (
        "roc_auc got worse by 0.002 (−0.22%), within the tolerated regression of 0.005; its 95% "
        "CI of Δ [−0.00788, +0.00388] is not entirely within the margin: not shown"
    )


def test_interval_exactly_at_the_margin():
    """The interval's end on the margin counts as within it, as the point comparison does."""
    comps = comparisons(0.905, 0.912)
    at_margin = PairedStat("roc_auc", 0, 0, comps[0].delta, -0.009, -0.005, 0.95, "bootstrap")
    evidence = Evidence({"roc_auc": at_margin})
    (lenient,) = evaluate_gates(
        [REGRESSION], comps, has_baseline=True, mode="lenient", evidence=evidence
    )
    assert lenient.status == "inconclusive"
    at_low = PairedStat("roc_auc", 0, 0, 0.0, -0.005, 0.004, 0.95, "bootstrap")
    (strict,) = evaluate_gates(
        [REGRESSION],
        comparisons(0.912, 0.912),
        has_baseline=True,
        mode="strict",
        evidence=Evidence({"roc_auc": at_low}),
    )
    assert strict.status == "pass"


def test_severity_warn_turns_interval_breaches_into_warnings():
    gate = GateConfig("roc_auc", max_regression=Margin(absolute=0.005), severity="warn")
    assert judge(gate, 0.897, 0.912, 0.002, "lenient")[0] == "warn"
    assert judge(gate, 0.905, 0.912, 0.003, "lenient")[0] == "inconclusive"
    assert judge(gate, 0.910, 0.912, 0.003, "strict")[0] == "warn"


def test_lower_is_better_metric_with_a_relative_margin():
    """log_loss 0.300 → 0.312 is a 4% rise; the margin is 2% of 0.300 = 0.006."""
    gate = GateConfig("log_loss", max_regression=Margin(relative=0.02))
    status, message = judge(gate, 0.312, 0.300, 0.004, "lenient", higher=False)
    assert status == "inconclusive"  # Δ = −0.012, CI [−0.0198, −0.0042] reaches −0.006
    assert "95% CI of Δ [+0.00416, +0.01984]" in message  # shown as the raw rise, like Δ
    assert judge(gate, 0.320, 0.300, 0.004, "lenient", higher=False)[0] == "fail"


P, L, S = "point", "lenient", "strict"


@pytest.mark.parametrize(
    ("rule", "value", "se", "expected"),
    [
        # required improvement 0.01: Δ = +0.012 but the CI reaches below 0.01
        ("min_improvement", 0.924, 0.003, {P: "pass", L: "pass", S: "fail"}),
        # Δ = +0.006: short by the point, the CI reaches 0.01: lenient cannot confirm the shortfall
        ("min_improvement", 0.918, 0.003, {P: "fail", L: "inconclusive", S: "fail"}),
        # believable improvement ≤ 0.01: Δ = +0.013 with the CI reaching below 0.01
        ("max_improvement", 0.925, 0.003, {P: "fail", L: "inconclusive", S: "fail"}),
        ("max_improvement", 0.935, 0.003, {P: "fail", L: "fail", S: "fail"}),
        ("max_improvement", 0.913, 0.002, {P: "pass", L: "pass", S: "pass"}),
    ],
)
def test_improvement_rules_by_mode(rule, value, se, expected):
    gate = GateConfig("roc_auc", **{rule: Margin(absolute=0.01)})
    got = {mode: judge(gate, value, 0.912, se, mode)[0] for mode in expected}
    assert got == expected


def test_a_gates_own_mode_overrides_the_default():
    comps = comparisons(0.905, 0.912)
    evidence = Evidence({"roc_auc": stat("roc_auc", comps[0].delta, 0.003)})
    gates = [REGRESSION, GateConfig("roc_auc", max_regression=Margin(absolute=0.005), mode="point")]
    results = evaluate_gates(gates, comps, has_baseline=True, mode="lenient", evidence=evidence)
    assert [(r.status, r.mode) for r in results] == [("inconclusive", "lenient"), ("fail", "point")]


def test_without_an_interval_rules_fall_back_to_point_with_a_note():
    comps = comparisons(0.905, 0.912)
    evidence = Evidence(unpaired="the metrics come from a metrics file")
    results = evaluate_gates(
        [REGRESSION], comps, has_baseline=True, mode="lenient", evidence=evidence
    )
    assert [(r.status, r.mode) for r in results] == [("fail", "point")]
    assert point_fallback_note([REGRESSION], results, mode="lenient", evidence=evidence) == (
        "Change rules were judged on point estimates, without confidence intervals: the metrics "
        "come from a metrics file. Intervals need per-example predictions of both models (a "
        "predictions file or a model), or a metrics file that gives each metric's uncertainty in "
        "this run and the baseline's. Judged without intervals: roc_auc (max regression)."
    )
    point = evaluate_gates([REGRESSION], comps, has_baseline=True, mode="point")
    assert point_fallback_note([REGRESSION], point, mode="point", evidence=evidence) is None


def test_changed_evaluation_rows_make_change_rules_inconclusive():
    reason = (
        "evaluation data changed and the baseline model is not available: change rules are "
        "inconclusive"
    )
    gates = [REGRESSION, GateConfig("roc_auc", min=0.8)]
    comps = comparisons(0.905, 0.912)
    results = {
        mode: evaluate_gates(
            gates,
            comps,
            has_baseline=True,
            mode=mode,
            evidence=Evidence(unpaired=reason, inconclusive=reason),
        )
        for mode in ("point", "lenient", "strict")
    }
    assert [r.status for r in results["lenient"]] == ["inconclusive", "pass"]
    assert [r.status for r in results["strict"]] == ["inconclusive", "pass"]
    assert [r.status for r in results["point"]] == ["fail", "pass"]
    assert results["lenient"][0].message == f"roc_auc got worse by 0.007 (−0.77%); {reason}"
    assert verdict(results["lenient"], []) == "pass"


def test_inconclusive_never_fails_the_verdict():
    results = evaluate_gates(
        [REGRESSION],
        comparisons(0.905, 0.912),
        has_baseline=True,
        mode="lenient",
        evidence=Evidence({"roc_auc": stat("roc_auc", -0.007, 0.003)}),
    )
    assert results[0].status == "inconclusive"
    assert verdict(results, []) == "pass"


def test_holm_needs_the_family_wise_evidence():
    """Three blocking lenient rules whose intervals all lie beyond their margins.

    Alone, each would fail. Their one-sided p-values 1e-6, 0.013 and 0.02 become 3e-6, 0.026 and
    0.026 after Holm's step-down adjustment: only the first stays below 0.025.
    """
    margin, se = 0.005, 0.002
    names = ["roc_auc", "f1", "accuracy"]
    raw = [1e-6, 0.013, 0.02]
    deltas = [-margin + se * NormalDist().inv_cdf(p) for p in raw]  # Φ((Δ + margin)/se) = p
    comps = compare_metrics(
        {n: 0.9 + d for n, d in zip(names, deltas, strict=True)},
        dict.fromkeys(names, 0.9),
        dict.fromkeys(names, True),
    )
    evidence = Evidence({n: stat(n, d, se) for n, d in zip(names, deltas, strict=True)})
    gates = [GateConfig(n, max_regression=Margin(absolute=margin)) for n in names]

    results = evaluate_gates(gates, comps, has_baseline=True, mode="lenient", evidence=evidence)

    expected = multipletests(raw, method="holm")[1]
    assert [r.p_value for r in results] == pytest.approx(expected, rel=1e-6)
    assert [r.status for r in results] == ["fail", "inconclusive", "inconclusive"]
    assert results[1].message.endswith(
        "but not after Holm's correction for 3 blocking comparisons (adjusted p = 0.026): "
        "inconclusive"
    )
    alone = evaluate_gates(gates[1:2], comps, has_baseline=True, mode="lenient", evidence=evidence)
    assert alone[0].status == "fail"
    assert alone[0].p_value == pytest.approx(0.013, rel=1e-6)
    warn_only = [
        GateConfig(n, max_regression=Margin(absolute=margin), severity="warn") for n in names[1:]
    ]
    mixed = evaluate_gates(
        [gates[0], *warn_only], comps, has_baseline=True, mode="lenient", evidence=evidence
    )
    assert [r.status for r in mixed] == ["fail", "warn", "warn"]  # warnings are not in the family


def test_with_intervals_copies_the_statistics():
    comps = comparisons(0.905, 0.912)
    s = PairedStat("roc_auc", 0, 0, -0.007, -0.01, -0.004, 0.9, "delong", 0.03)
    (c,) = with_intervals(comps, {"roc_auc": s, "f1": s})
    assert (c.ci_low, c.ci_high, c.ci_level, c.p_value, c.method) == (
        -0.01,
        -0.004,
        0.9,
        0.03,
        "delong",
    )
    nan = PairedStat("roc_auc", 0, 0, math.nan, math.nan, math.nan, 0.95, "delong")
    assert with_intervals(comps, {"roc_auc": nan})[0].ci_low is None
