from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlci.config import Config, GateConfig, Margin, ModelConfig
from mlci.errors import ConfigError
from mlci.gates import compare_metrics, evaluate_gates, resolve_directions, verdict
from mlci.model.metrics import REGISTRY
from mlci.results import CheckResult, GateResult, MetricComparison

NAN = float("nan")


def config(*gates: GateConfig, directions: dict[str, Any] | None = None, **kw: Any) -> Config:
    model = ModelConfig(task="binary", directions=directions or {})
    return Config(
        name="m", path=Path("/repo/mlci.yml"), root=Path("/repo"), model=model, gates=gates, **kw
    )


def one(
    gate: GateConfig,
    value: float,
    baseline: float | None = None,
    *,
    higher: bool = True,
    has_baseline: bool = True,
) -> GateResult:
    """Evaluate a single-rule gate on one metric."""
    base = None if baseline is None else {gate.metric: baseline}
    comparisons = compare_metrics({gate.metric: value}, base, {gate.metric: higher})
    (result,) = evaluate_gates([gate], comparisons, has_baseline=has_baseline)
    return result


def check(status: str) -> CheckResult:
    return CheckResult("eval", "range", "age", status, "error", "msg")  # type: ignore[arg-type]


# -- resolve_directions -------------------------------------------------------------------------


def test_directions_come_from_the_registry_and_name_patterns() -> None:
    got = resolve_directions(config(), ["roc_auc", "log_loss", "val_accuracy", "eval.loss"])
    assert got == {"roc_auc": True, "log_loss": False, "val_accuracy": True, "eval.loss": False}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registry_metric_gets_its_registry_direction(name: str) -> None:
    cfg = config(GateConfig(metric=name, min=0.0))
    assert resolve_directions(cfg, [name]) == {name: REGISTRY[name].higher_is_better}


def test_model_directions_override_the_registry() -> None:
    cfg = config(directions={"log_loss": "higher", "throughput": "higher"})
    got = resolve_directions(cfg, ["log_loss", "throughput"])
    assert got == {"log_loss": True, "throughput": True}


def test_gate_direction_beats_model_directions() -> None:
    gate = GateConfig(metric="throughput", min=1.0, direction="lower")
    cfg = config(gate, directions={"throughput": "higher"})
    assert resolve_directions(cfg, ["throughput"]) == {"throughput": False}


def test_ungated_metric_of_unknown_direction_is_left_out() -> None:
    assert resolve_directions(config(), ["roc_auc", "foo"]) == {"roc_auc": True}


def test_gated_metric_of_unknown_direction_is_a_config_error() -> None:
    gates = (
        GateConfig(metric="roc_auc", min=0.8),
        GateConfig(metric="foo", max_regression=Margin(0.1)),
    )
    cfg = config(*gates, lines={"gates[1].metric": 12})
    with pytest.raises(ConfigError) as info:
        resolve_directions(cfg, ["roc_auc"])
    assert str(info.value) == (
        "mlci.yml:12: gates[1].metric: metric 'foo' has no known direction. "
        "Add `direction: higher` (or lower) to the gate, or `model.directions: {foo: higher}`."
    )


def test_gated_metrics_are_resolved_even_when_not_reported() -> None:
    cfg = config(GateConfig(metric="foo", min=1.0, direction="higher"))
    assert resolve_directions(cfg, []) == {"foo": True}


def test_contradicting_gate_directions_are_a_config_error() -> None:
    gates = (
        GateConfig(metric="foo", min=1.0, direction="higher"),
        GateConfig(metric="foo", max=9.0, direction="lower"),
    )
    with pytest.raises(ConfigError, match=r"^mlci.yml: gates\[1\].direction: 'lower' contradicts"):
        resolve_directions(config(*gates), ["foo"])


# -- compare_metrics ----------------------------------------------------------------------------


def test_compare_higher_is_better() -> None:
    (c,) = compare_metrics({"roc_auc": 0.905}, {"roc_auc": 0.912}, {"roc_auc": True})
    assert (c.name, c.value, c.baseline, c.higher_is_better) == ("roc_auc", 0.905, 0.912, True)
    assert c.change == pytest.approx(-0.007)
    assert c.change_pct == pytest.approx(-0.7675438596)
    assert c.delta == pytest.approx(-0.007)


def test_compare_lower_is_better_flips_delta_only() -> None:
    (c,) = compare_metrics({"log_loss": 0.309}, {"log_loss": 0.301}, {"log_loss": False})
    assert c.change == pytest.approx(0.008)
    assert c.change_pct == pytest.approx(2.657807309)
    assert c.delta == pytest.approx(-0.008)


def test_change_pct_is_relative_to_the_absolute_baseline() -> None:
    (c,) = compare_metrics({"r2": -0.5}, {"r2": -1.0}, {"r2": True})
    assert c.change_pct == pytest.approx(50.0)  # -0.5 is better than -1.0: a positive change
    assert c.delta == pytest.approx(0.5)


def test_change_pct_is_none_for_a_zero_baseline() -> None:
    (c,) = compare_metrics({"mae": 0.2}, {"mae": 0.0}, {"mae": False})
    assert (
        c.change == pytest.approx(0.2) and c.change_pct is None and c.delta == pytest.approx(-0.2)
    )


def test_compare_without_baseline_or_missing_baseline_metric() -> None:
    for base in (None, {"other": 1.0}):
        (c,) = compare_metrics({"f1": 0.7}, base, {"f1": True})
        assert (c.baseline, c.change, c.change_pct, c.delta) == (None, None, None, None)


@pytest.mark.parametrize(("cur", "base"), [(NAN, 0.9), (0.9, NAN), (NAN, NAN)])
def test_compare_nan_never_produces_a_change(cur: float, base: float) -> None:
    (c,) = compare_metrics({"f1": cur}, {"f1": base}, {"f1": True})
    assert (c.change, c.change_pct, c.delta) == (None, None, None)


def test_compare_unknown_direction_has_no_delta() -> None:
    (c,) = compare_metrics({"foo": 2.0}, {"foo": 1.0}, {})
    assert c.change == 1.0 and c.change_pct == 100.0
    assert c.delta is None and c.higher_is_better is None


def test_compare_keeps_the_candidates_order() -> None:
    got = compare_metrics({"b": 1.0, "a": 2.0, "c": 3.0}, {"a": 1.0}, {"a": True, "b": True})
    assert [c.name for c in got] == ["b", "a", "c"]


# -- absolute rules ------------------------------------------------------------------------------


def test_min_is_inclusive_and_needs_no_baseline() -> None:
    gate = GateConfig(metric="roc_auc", min=0.85)
    at = one(gate, 0.85, has_baseline=False)
    assert (at.status, at.rule, at.threshold, at.value) == ("pass", "min", "≥ 0.85", 0.85)
    assert at.message == "roc_auc 0.85 ≥ 0.85"
    below = one(gate, 0.8499, has_baseline=False)
    assert below.status == "fail"
    assert below.message == "roc_auc 0.8499 is below the minimum 0.85"


def test_max_is_inclusive() -> None:
    gate = GateConfig(metric="log_loss", max=0.35)
    assert one(gate, 0.35, higher=False).status == "pass"
    above = one(gate, 0.3501, higher=False)
    assert (above.status, above.threshold) == ("fail", "≤ 0.35")
    assert above.message == "log_loss 0.3501 is above the maximum 0.35"


def test_exact_threshold_passes_despite_float_rounding() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in floating point
    assert one(GateConfig(metric="mae", max=0.3), 0.1 + 0.2, higher=False).status == "pass"
    gate = GateConfig(metric="roc_auc", max_regression=Margin(absolute=0.005))
    assert 0.912 - 0.907 > 0.005  # the float trap the slack exists for
    assert one(gate, 0.907, 0.912).status == "pass"
    assert one(gate, 0.9069, 0.912).status == "fail"


def test_slack_scales_with_large_metrics() -> None:
    gate = GateConfig(metric="latency_us", max_regression=Margin(absolute=0.8))
    assert 1234567.8 - 1234567.0 - 0.8 > 1e-12  # beyond an absolute 1e-12 slack
    assert one(gate, 1234567.8, 1234567.0, higher=False).status == "pass"
    assert one(gate, 1234567.81, 1234567.0, higher=False).status == "fail"


# -- max_regression ------------------------------------------------------------------------------


def test_max_regression_absolute() -> None:
    gate = GateConfig(metric="roc_auc", max_regression=Margin(absolute=0.005))
    ok = one(gate, 0.909, 0.912)
    assert (ok.status, ok.value, ok.threshold) == (
        "pass",
        pytest.approx(-0.003),
        "max regression 0.005",
    )
    assert ok.message == (
        "roc_auc got worse by 0.003 (−0.33%), within the tolerated regression of 0.005"
    )
    bad = one(gate, 0.905, 0.912)
    assert bad.status == "fail"
    assert bad.message == (
        "roc_auc got worse by 0.007 (−0.77%), more than the tolerated regression of 0.005"
    )


def test_max_regression_never_fails_an_improvement() -> None:
    gate = GateConfig(metric="roc_auc", max_regression=Margin(absolute=0.0))
    result = one(gate, 0.95, 0.912)
    assert result.status == "pass"
    assert result.message.startswith("roc_auc improved by 0.038 (+4.2%)")


def test_max_regression_on_a_lower_is_better_metric() -> None:
    gate = GateConfig(metric="log_loss", max_regression=Margin(absolute=0.005))
    assert one(gate, 0.306, 0.301, higher=False).status == "pass"  # rose by 0.005: at the margin
    worse = one(gate, 0.309, 0.301, higher=False)
    assert worse.status == "fail" and worse.value == pytest.approx(-0.008)
    assert worse.message.startswith("log_loss got worse by 0.008 (+2.7%)")
    assert one(gate, 0.2, 0.301, higher=False).status == "pass"  # a fall is an improvement


def test_max_regression_relative() -> None:
    gate = GateConfig(metric="log_loss", max_regression=Margin(relative=0.02))
    assert one(gate, 0.306, 0.300, higher=False).status == "pass"  # +2.0% exactly
    bad = one(gate, 0.3061, 0.300, higher=False)
    assert (bad.status, bad.threshold) == ("fail", "max regression 2%")
    assert bad.message == (
        "log_loss got worse by 0.0061 (+2.0%), more than the tolerated regression of 2% (0.006)"
    )


def test_max_regression_relative_uses_the_absolute_baseline() -> None:
    gate = GateConfig(metric="r2", max_regression=Margin(relative=0.1))
    assert one(gate, -1.1, -1.0).status == "pass"  # dropped by 0.1 = 10% of |−1.0|
    assert one(gate, -1.11, -1.0).status == "fail"


def test_max_regression_with_both_margins_tolerates_a_drop_within_either() -> None:
    gate = GateConfig(metric="auc", max_regression=Margin(absolute=0.001, relative=0.05))
    # baseline 0.3: absolute margin 0.001, relative margin 0.015 -> the drop may reach 0.015
    assert one(gate, 0.29, 0.3).status == "pass"  # beyond absolute, within relative
    bad = one(gate, 0.284, 0.3)
    assert (bad.status, bad.threshold) == ("fail", "max regression 0.001 or 5%")
    gate = GateConfig(metric="auc", max_regression=Margin(absolute=0.02, relative=0.01))
    assert one(gate, 0.285, 0.3).status == "pass"  # beyond relative (0.003), within absolute


# -- improvements --------------------------------------------------------------------------------


def test_min_improvement() -> None:
    gate = GateConfig(metric="f1", min_improvement=Margin(absolute=0.01))
    assert one(gate, 0.80, 0.79).status == "pass"  # exactly the required gain
    short = one(gate, 0.795, 0.79)
    assert (short.status, short.threshold) == ("fail", "min improvement 0.01")
    assert (
        short.message == "f1 improved by 0.005 (+0.63%), short of the required improvement of 0.01"
    )
    assert one(gate, 0.78, 0.79).status == "fail"


def test_min_improvement_on_a_lower_is_better_metric_and_relative() -> None:
    gate = GateConfig(metric="rmse", min_improvement=Margin(relative=0.1))
    assert one(gate, 0.9, 1.0, higher=False).status == "pass"  # fell by 10%
    assert one(gate, 0.95, 1.0, higher=False).status == "fail"


def test_max_improvement_flags_a_suspicious_gain() -> None:
    gate = GateConfig(metric="roc_auc", max_improvement=Margin(absolute=0.05))
    assert one(gate, 0.75, 0.70).status == "pass"
    big = one(gate, 0.99, 0.70)
    assert (big.status, big.threshold) == ("fail", "max improvement 0.05")
    assert big.message == (
        "roc_auc improved by 0.29 (+41.4%), more than the believable improvement of 0.05: "
        "check for leakage or a broken evaluation"
    )
    assert one(gate, 0.10, 0.70).status == "pass"  # a drop is no suspicious gain


# -- baselines, missing and undefined metrics, severity -------------------------------------------


def test_change_rules_are_skipped_without_a_baseline() -> None:
    gate = GateConfig(metric="roc_auc", min=0.8, max_regression=Margin(0.005))
    comparisons = compare_metrics({"roc_auc": 0.9}, None, {"roc_auc": True})
    results = evaluate_gates([gate], comparisons, has_baseline=False)
    assert [(r.rule, r.status, r.message) for r in results] == [
        ("min", "pass", "roc_auc 0.9 ≥ 0.8"),
        ("max_regression", "skipped", "no baseline"),
    ]


def test_change_rules_are_skipped_when_the_baseline_lacks_the_metric() -> None:
    gate = GateConfig(metric="f1", min_improvement=Margin(0.01))
    comparisons = compare_metrics({"f1": 0.9}, {"roc_auc": 0.8}, {"f1": True})
    (result,) = evaluate_gates([gate], comparisons, has_baseline=True)
    assert (result.status, result.message, result.value) == ("skipped", "no baseline", None)


def test_change_rules_are_skipped_when_the_baseline_value_is_undefined() -> None:
    gate = GateConfig(metric="f1", max_regression=Margin(0.01))
    result = one(gate, 0.9, NAN)
    assert (result.status, result.message) == ("skipped", "the baseline's f1 is undefined (n/a)")


def test_missing_metric_fails_and_suggests_the_near_miss() -> None:
    gate = GateConfig(metric="roc_auk", min=0.8, max_regression=Margin(0.01))
    comparisons = compare_metrics({"roc_auc": 0.9, "f1": 0.7}, None, {})
    results = evaluate_gates([gate], comparisons, has_baseline=False)
    assert [r.status for r in results] == ["fail", "fail"]
    assert results[0].message == (
        "metric 'roc_auk' was not computed (available: roc_auc, f1); did you mean 'roc_auc'?"
    )


def test_missing_metric_without_a_near_miss() -> None:
    (result,) = evaluate_gates([GateConfig(metric="xyz", min=1.0)], [], has_baseline=True)
    assert result.message == "metric 'xyz' was not computed (available: none)."


def test_nan_metric_fails_every_rule() -> None:
    gate = GateConfig(metric="roc_auc", min=0.5, max_regression=Margin(0.01))
    comparisons = compare_metrics({"roc_auc": NAN}, {"roc_auc": 0.9}, {"roc_auc": True})
    results = evaluate_gates([gate], comparisons, has_baseline=True)
    assert [(r.status, r.message) for r in results] == [("fail", "roc_auc is undefined (n/a)")] * 2


def test_severity_warn_turns_a_breach_into_a_warning() -> None:
    gate = GateConfig(metric="recall", min=0.9, max_regression=Margin(0.01), severity="warn")
    comparisons = compare_metrics({"recall": 0.5}, {"recall": 0.8}, {"recall": True})
    results = evaluate_gates([gate], comparisons, has_baseline=True)
    assert [(r.status, r.severity) for r in results] == [("warn", "warn"), ("warn", "warn")]
    passing = one(GateConfig(metric="recall", min=0.1, severity="warn"), 0.5)
    assert passing.status == "pass"


def test_one_result_per_rule_in_config_order() -> None:
    gates = [
        GateConfig(
            metric="roc_auc",
            min=0.8,
            max=0.99,
            max_regression=Margin(0.01),
            min_improvement=Margin(0.0),
            max_improvement=Margin(0.1),
        ),
        GateConfig(metric="f1", min=0.5),
    ]
    comparisons = compare_metrics({"roc_auc": 0.9, "f1": 0.6}, {"roc_auc": 0.9}, {"roc_auc": True})
    results = evaluate_gates(gates, comparisons, has_baseline=True)
    assert [(r.metric, r.rule, r.status) for r in results] == [
        ("roc_auc", "min", "pass"),
        ("roc_auc", "max", "pass"),
        ("roc_auc", "max_regression", "pass"),
        ("roc_auc", "min_improvement", "pass"),
        ("roc_auc", "max_improvement", "pass"),
        ("f1", "min", "pass"),
    ]
    assert results[2].message == "roc_auc did not change, within the tolerated regression of 0.01"


# -- properties ----------------------------------------------------------------------------------

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
margins = st.floats(min_value=0.0, max_value=1e3, allow_nan=False)


@given(cur=values, base=values, a=margins)
def test_max_regression_matches_the_definition(cur: float, base: float, a: float) -> None:
    drop = base - cur
    if abs(drop - a) <= 1e-10 * max(1.0, abs(cur), abs(base)):
        return  # within the floating-point slack of the boundary: tested above
    gate = GateConfig(metric="m", max_regression=Margin(absolute=a))
    assert one(gate, cur, base).status == ("fail" if drop > a else "pass")


@given(cur=values, base=values, a=margins, r=st.floats(min_value=0, max_value=2))
def test_direction_is_a_mirror(cur: float, base: float, a: float, r: float) -> None:
    """A lower-is-better metric behaves exactly like the negated higher-is-better one."""
    for rule in ("max_regression", "min_improvement", "max_improvement"):
        gate = GateConfig(metric="m", **{rule: Margin(absolute=a, relative=r)})
        lower = one(gate, cur, base, higher=False)
        higher = one(gate, -cur, -base, higher=True)
        assert lower.status == higher.status
        assert lower.value == pytest.approx(higher.value)


# -- verdict -------------------------------------------------------------------------------------


def test_verdict() -> None:
    passed = GateResult("f1", "min", "pass", "error", "≥ 1", "ok")
    warned = GateResult("f1", "min", "warn", "warn", "≥ 1", "low")
    failed = GateResult("f1", "min", "fail", "error", "≥ 1", "low")
    skipped = GateResult("f1", "max_regression", "skipped", "error", "x", "no baseline")
    assert verdict([], []) == "pass"
    assert verdict([passed, warned, skipped], [check("warn"), check("insufficient_data")]) == "pass"
    assert verdict([passed, failed], [check("pass")]) == "fail"
    assert verdict([passed], [check("fail")]) == "fail"


def test_comparisons_feed_gates_by_name_only() -> None:
    stray = MetricComparison("f1", 0.9, None, True)
    (result,) = evaluate_gates([GateConfig(metric="f1", max=0.95)], [stray], has_baseline=False)
    assert result.status == "pass"
