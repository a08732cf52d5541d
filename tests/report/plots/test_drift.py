"""Drifted distributions: the figure and the counts under it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlci.report import plots
from mlci.report.plots import Distribution, distribution_from_profiles, drifted_distributions
from mlci.results import CheckResult
from tests.helpers.plots import MAX_BYTES, decode, profile_column


def test_a_constant_column_falls_back_to_bars() -> None:
    d = Distribution("eval", "flag", "numeric", (5, 0), (3, 2), edges=(1.0, 1.0, 1.0))
    decode(plots.drift_png(d))


def test_numeric_distribution_counts_over_the_baseline_bins() -> None:
    rng = np.random.default_rng(0)
    base = profile_column(pd.Series(rng.normal(size=5_000)))
    values = pd.Series(rng.normal(0.5, 1.5, size=4_000))
    exact = distribution_from_profiles("eval", "x", base, profile_column(values), values)
    approx = distribution_from_profiles("eval", "x", base, profile_column(values))
    assert exact is not None and approx is not None
    inner = base["bins"]["edges"]
    oracle = pd.cut(values, [-np.inf, *inner, np.inf], right=True).value_counts(sort=False)
    assert exact.current == tuple(float(c) for c in oracle)
    assert exact.baseline == tuple(float(c) for c in base["bins"]["counts"])
    assert exact.edges[1:-1] == tuple(inner)
    # from the 21-point quantile grid alone: within 1.5% of all rows per bin
    np.testing.assert_allclose(approx.current, exact.current, atol=0.015 * len(values))
    assert "median" in exact.note


def test_far_outliers_cut_the_outer_bins() -> None:
    base = profile_column(pd.Series(np.arange(100.0)))
    values = pd.Series([*np.arange(100.0), 1e9])
    d = distribution_from_profiles("eval", "x", base, profile_column(values), values)
    assert d is not None and d.clipped
    inner = base["bins"]["edges"]
    assert d.edges[-1] == inner[-1] + (inner[-1] - inner[0])


def test_categorical_distribution_puts_new_values_in_other() -> None:
    base = profile_column(pd.Series(["a"] * 60 + ["b"] * 40))
    values = pd.Series(["a"] * 30 + ["b"] * 30 + ["new"] * 40)
    d = distribution_from_profiles("eval", "plan", base, profile_column(values), values)
    assert d is not None
    shares = dict(zip(d.bins, d.current, strict=True))
    assert shares == {"a": 30, "b": 30, "(other)": 40}
    assert d.bins[0] == "(other)"  # moved most, so shown first


def test_kinds_that_differ_give_no_distribution() -> None:
    base = profile_column(pd.Series([1.0, 2.0]))
    assert distribution_from_profiles("d", "c", base, profile_column(pd.Series(["x"]))) is None


def drift_check(column: str, status: str, score: float, check: str = "drift") -> CheckResult:
    return CheckResult(
        "eval",
        check,
        column,
        status,
        "warn",
        f"{column} moved",
        score=score,  # type: ignore[arg-type]
    )


def test_drifted_distributions_worst_first_and_only_problems() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "c": [1.0] * 300})
    base = {"columns": {k: profile_column(frame[k] + 2) for k in frame}}
    current = {"columns": {k: profile_column(frame[k]) for k in frame}}
    checks = [
        drift_check("a", "warn", 0.15),
        drift_check("b", "fail", 0.12),
        drift_check("c", "pass", 0.01),
        drift_check("a", "warn", 0.2, check="drift_null_rate"),
    ]
    found = drifted_distributions(checks, {"eval": base}, {"eval": current}, {"eval": frame})
    assert [d.column for d in found] == ["b", "a"]  # a failure before a higher-scored warning
    assert found[1].note.startswith("JS 0.150 (warn) · null rate")
    assert drifted_distributions(checks, {"eval": None}, {"eval": current}) == ()


def test_numeric_and_categorical_drift_figures_decode() -> None:
    numeric = Distribution("eval", "age", "numeric", (10, 20, 10), (5, 20, 15), edges=(0, 1, 2, 4))
    categorical = Distribution(
        "eval", "plan", "categorical", (60, 30, 10), (40, 40, 20), bins=("a", "b", "(other)")
    )
    for png in (plots.drift_png(numeric), plots.drift_png(categorical)):
        decode(png)
        assert len(png) < MAX_BYTES
