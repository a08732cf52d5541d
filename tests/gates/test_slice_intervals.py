"""Slice gates judged on evidence: each slice's interval, the modes, Holm, worst, max_gap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from mlci.config import GateConfig, Margin
from mlci.gates import compare_slices, slice_gates
from mlci.model.slice_stats import SliceEvidence, slice_evidence, subset
from mlci.model.slices import SliceValues
from mlci.model.stats import Paired, PairedStat, Side, holm, paired_statistics
from mlci.model.unpaired import Estimate
from tests.helpers.slices import DIRECTIONS, values

Z = norm.ppf(0.975)


def stat(delta: float, se: float) -> PairedStat:
    """A normal interval of Δ, as DeLong's is."""
    return PairedStat(
        "recall", 0.8, 0.8 + delta, delta, delta - Z * se, delta + Z * se, 0.95, "delong", _se=se
    )


def judged(deltas: dict[str, tuple[float, float]], gate: GateConfig, mode: str = "lenient"):
    """Slices ``{key: (Δ, SE)}`` with baseline recall 0.8, judged by ``gate``."""
    current = [values(k, recall=0.8 + d) for k, (d, _) in deltas.items()]
    base = {(("plan",), (k,)): values(k, recall=0.8) for k in deltas}
    evidence = SliceEvidence(
        stats={(("plan",), (k,)): {"recall": stat(d, se)} for k, (d, se) in deltas.items()}
    )
    results = compare_slices(current, base, DIRECTIONS, stats=evidence.stats)
    return results, slice_gates(
        [gate], results, has_baseline=True, min_size=30, mode=mode, evidence=evidence
    )


REGRESSION = GateConfig("recall", slice=("plan",), max_regression=Margin(absolute=0.04))


def test_a_slice_fails_only_when_its_whole_interval_is_beyond_the_margin():
    slices = {"a": (-0.05, 0.02), "b": (-0.15, 0.02), "c": (0.0, 0.02)}
    results, got = judged(slices, REGRESSION)
    status = {g.metric: (g.status, g.mode) for g in got}
    assert status == {
        "recall [plan=a]": ("inconclusive", "lenient"),  # −0.05 but the interval reaches −0.01
        "recall [plan=b]": ("fail", "lenient"),
        "recall [plan=c]": ("pass", "lenient"),
    }
    b = next(g for g in got if g.metric == "recall [plan=b]")
    assert "95% CI of Δ [−0.1892, −0.1108]" in b.message
    # the slice's comparison carries its interval, for the comment's slice table
    shown = {r.key[0]: r.metric("recall") for r in results}
    assert shown["b"].ci_low == pytest.approx(-0.15 - Z * 0.02)
    _, point = judged(slices, REGRESSION, mode="point")
    assert [g.status for g in point] == ["fail", "fail", "pass"]
    _, strict = judged(slices, REGRESSION, mode="strict")
    assert [g.status for g in strict] == ["fail", "fail", "pass"]  # c: [−0.039, +0.039]
    _, strict_wide = judged({"c": (0.0, 0.025)}, REGRESSION, mode="strict")
    assert strict_wide[0].status == "fail"  # [−0.049, +0.049] is not within the margin


def test_holm_runs_across_every_blocking_slice_rule():
    # two slices each just beyond the margin on their own; their p-values do not survive
    # Holm's adjustment for 2 comparisons, a clear breach does
    se = 0.01
    beyond = 0.04 + 2.1 * se  # one-sided p = Φ(−2.1) ≈ 0.018 < 0.025, × 2 = 0.036
    _, got = judged({"a": (-beyond, se), "b": (-beyond, se)}, REGRESSION)
    assert [g.status for g in got] == ["inconclusive", "inconclusive"]
    p = norm.cdf(-2.1)
    assert got[0].p_value == pytest.approx(holm([p, p])[0])
    assert "Holm's correction for 2 blocking slice comparisons" in got[0].message
    _, clear = judged({"a": (-beyond, se), "b": (-0.04 - 4 * se, se)}, REGRESSION)
    assert [g.status for g in clear] == ["fail", "fail"]  # 2·Φ(−4), then Φ(−2.1)·1
    warn = GateConfig(
        "recall", slice=("plan",), max_regression=Margin(absolute=0.04), severity="warn"
    )
    _, not_blocking = judged({"a": (-beyond, se), "b": (-beyond, se)}, warn)
    assert [g.status for g in not_blocking] == ["warn", "warn"]  # not in the family


def test_worst_is_the_slice_with_the_strongest_evidence_of_a_breach():
    worst_gate = GateConfig(
        "recall", slice=("plan",), max_regression=Margin(absolute=0.04), slices="worst"
    )
    # "a" dropped most but is tiny and noisy; "b" dropped less but is sure of it
    _, [got] = judged({"a": (-0.09, 0.05), "b": (-0.07, 0.01), "c": (0.01, 0.01)}, worst_gate)
    assert (got.metric, got.status) == ("recall [plan=b]", "fail")
    assert got.message.endswith("(the worst of 3 slices)")
    # Holm counts every slice of a worst rule: choosing the worst is a multiple comparison
    se = 0.01
    beyond = 0.04 + 2.1 * se
    _, [held] = judged({"a": (-beyond, se), "b": (0.0, se), "c": (0.0, se)}, worst_gate)
    assert held.status == "inconclusive"


def gap_judged(values_se: dict[str, tuple[float, float]], max_gap: float, mode: str = "lenient"):
    current = [values(k, recall=v) for k, (v, _) in values_se.items()]
    spread = {(("plan",), (k,)): {"recall": Estimate(v, se)} for k, (v, se) in values_se.items()}
    results = compare_slices(current, {}, DIRECTIONS)
    gate = GateConfig("recall", slice=("plan",), max_gap=max_gap)
    [got] = slice_gates(
        [gate],
        results,
        has_baseline=False,
        min_size=30,
        mode=mode,
        evidence=SliceEvidence(spread=spread),
    )
    return got


def test_max_gap_is_judged_with_a_simultaneous_interval_of_the_gap():
    three = {"a": (0.9, 0.01), "b": (0.85, 0.01), "c": (0.75, 0.02)}
    se = math.sqrt(0.01**2 + 0.02**2)
    z = norm.ppf(1 - 0.025 / 3)  # 3 pairs of slices
    clear = gap_judged(three, 0.05)
    assert (clear.status, clear.mode) == ("fail", "lenient")
    assert clear.value == pytest.approx(0.15)
    low = 0.15 - z * se
    assert f"CI of the gap [{low:.3f}" in clear.message
    assert clear.p_value == pytest.approx(3 * norm.sf((0.15 - 0.05) / se))
    unsure = gap_judged(three, 0.12)
    assert unsure.status == "inconclusive"
    assert gap_judged(three, 0.2).status == "pass"
    assert gap_judged(three, 0.2, mode="strict").status == "fail"  # 0.15 + z·0.022 > 0.2
    assert gap_judged(three, 0.25, mode="strict").status == "pass"
    assert gap_judged(three, 0.12, mode="point").status == "fail"
    # without the slices' standard errors: point estimates
    results = compare_slices([values(k, recall=v) for k, (v, _) in three.items()], {}, DIRECTIONS)
    gate = GateConfig("recall", slice=("plan",), max_gap=0.12)
    [plain] = slice_gates([gate], results, has_baseline=False, min_size=30, mode="lenient")
    assert (plain.status, plain.mode) == ("fail", "point")


def test_slice_evidence_is_the_paired_statistics_of_each_slices_rows():
    rng = np.random.default_rng(3)
    n = 600
    y = rng.integers(0, 2, n)
    a, b = (np.clip(y * 0.4 + rng.uniform(0, 0.6, n), 0, 1) for _ in range(2))
    paired = Paired("binary", y, Side((a >= 0.5).astype(int), a), Side((b >= 0.5).astype(int), b))
    rows = {"x": np.flatnonzero(np.arange(n) % 3 == 0), "y": np.flatnonzero(np.arange(n) % 3 > 0)}
    found = [SliceValues(("plan",), (k,), len(r), {"recall": 0.5}, rows=r) for k, r in rows.items()]
    evidence = slice_evidence(
        found, paired, positions=None, n_rows=n, metrics=["recall", "roc_auc"]
    )
    for k, r in rows.items():
        expected = paired_statistics(subset(paired, r), ["recall", "roc_auc"])
        got = evidence.stats[(("plan",), (k,))]
        assert got["recall"].ci_low == expected["recall"].ci_low
        assert got["roc_auc"].delta == pytest.approx(expected["roc_auc"].delta)
    # paired on common ids: the paired rows are candidate rows 100.. (positions), so a slice
    # uses only its paired rows
    positions = np.arange(100, n)
    sub = subset(paired, positions)
    partial = slice_evidence(found, sub, positions=positions, n_rows=n, metrics=["recall"])
    x_rows = rows["x"][rows["x"] >= 100] - 100
    expected = paired_statistics(subset(sub, x_rows), ["recall"])["recall"]
    assert partial.stats[(("plan",), ("x",))]["recall"].delta == pytest.approx(expected.delta)


def test_without_paired_rows_a_slice_is_compared_unpaired_with_the_records_errors():
    from mlci.model.slices import baseline_slices, record_entry
    from mlci.model.unpaired import Sample, side_errors

    rng = np.random.default_rng(8)
    n = 900
    y = rng.integers(0, 2, n)
    score = np.clip(y * 0.3 + rng.uniform(0, 0.7, n), 0, 1)
    candidate = Sample("binary", y, Side((score >= 0.5).astype(int), score))
    rows = np.arange(n)
    recall = float(((score >= 0.5) & (y == 1)).sum() / (y == 1).sum())
    found = [SliceValues(("plan",), ("x",), n, {"recall": recall}, rows=rows)]
    stored = record_entry([values("x", n=800, recall=0.9)], {(("plan",), ("x",)): {"recall": 0.01}})
    assert stored[0]["se"] == {"recall": 0.01}
    base = baseline_slices({"slices": list(stored)})
    evidence = slice_evidence(
        found,
        None,
        candidate,
        positions=None,
        n_rows=n,
        metrics=["recall"],
        gap_metrics=["recall"],
        directions={"recall": True},
        unpaired="the rows changed",
        baseline=base,
    )
    stat = evidence.stats[(("plan",), ("x",))]["recall"]
    own = side_errors(Sample("binary", y, candidate.side), ["recall"])["recall"]
    se = math.sqrt(0.01**2 + own.se**2)
    assert stat.method == "unpaired" and stat.delta == pytest.approx(recall - 0.9)
    assert stat.ci_high - stat.ci_low == pytest.approx(2 * Z * se)
    assert evidence.unpaired == "the rows changed"
    # a record without standard errors: no interval (point estimates)
    plain = baseline_slices({"slices": list(record_entry([values("x", n=800, recall=0.9)]))})
    none = slice_evidence(
        found, None, candidate, positions=None, n_rows=n, metrics=["recall"],
        gap_metrics=["recall"], directions={"recall": True}, baseline=plain,
    )  # fmt: skip
    assert none.stats == {}
