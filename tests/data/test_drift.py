from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.config import DriftConfig, Thresholds
from mlci.data.drift import drift_checks
from mlci.data.profile import profile_frame
from mlci.results import CheckResult

N = 200_000  # large samples: sampling noise well below the tolerances below


def js_oracle(p: Any, q: Any) -> float:
    """Jensen-Shannon distance (base 2) written out with numpy logs, independent of scipy."""
    p = np.asarray(p, dtype=float) / np.sum(p)
    q = np.asarray(q, dtype=float) / np.sum(q)
    m = (p + q) / 2

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        keep = a > 0
        return float(np.sum(a[keep] * (np.log(a[keep]) - np.log(b[keep]))) / np.log(2))

    return float(np.sqrt((kl(p, m) + kl(q, m)) / 2))


def interval_counts(x: np.ndarray, edges: list[float]) -> list[int]:
    """Counts per (-inf, e1], ..., (e_last, inf) by explicit comparisons (not searchsorted)."""
    bounds = [-np.inf, *edges, np.inf]
    return [int(((x > lo) & (x <= hi)).sum()) for lo, hi in pairwise(bounds)]


def h_oracle(p1: float, p2: float) -> float:
    return abs(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2)))


def psi_oracle(p: Any, q: Any, floor: float = 1e-4) -> float:
    p = np.maximum(np.asarray(p, dtype=float) / np.sum(p), floor)
    q = np.maximum(np.asarray(q, dtype=float) / np.sum(q), floor)
    return float(sum((b - a) * math.log(b / a) for a, b in zip(p, q, strict=True)))


def two_proportion_oracle(x1: int, n1: int, x2: int, n2: int) -> float:
    from scipy import stats

    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * stats.norm.sf(abs(z)))


def drift(
    base: pd.DataFrame, cur: pd.DataFrame, cfg: DriftConfig | None = None, **kw: Any
) -> list[CheckResult]:
    return drift_checks("eval", profile_frame(base), cur, cfg or DriftConfig(), **kw)


def past_fail(times: float, fail: float) -> str:
    """What a drift at or past its fail threshold adds under the default severity (warn)."""
    return (
        f" That is {times:.1f}× the fail threshold {fail:g}, but drift only warns: its severity "
        "defaults to warn (set `drift: {severity: error}` on the dataset to fail)."
    )


def by(results: list[CheckResult], check: str, column: str = "x") -> CheckResult:
    found = [r for r in results if r.check == check and r.column == column]
    assert len(found) == 1, [(r.check, r.column) for r in results]
    return found[0]


# --- numeric: the DESIGN's measured numbers ----------------------------------------------


@pytest.fixture(scope="module")
def normal_baseline() -> tuple[np.ndarray, dict[str, Any]]:
    x = np.random.default_rng(7).normal(size=N)
    return x, profile_frame(pd.DataFrame({"x": x}))


@pytest.mark.parametrize(
    ("shift", "scale", "expected"),
    [(0.25, 1.0, 0.105), (0.5, 1.0, 0.205), (0.0, 1.5, 0.186), (0.0, 0.5, 0.356)],
)
def test_numeric_drift_matches_the_design_measurements(
    normal_baseline: tuple[np.ndarray, dict[str, Any]], shift: float, scale: float, expected: float
) -> None:
    _, baseline = normal_baseline
    x = np.random.default_rng(8).normal(shift, scale, size=N)
    r = by(drift_checks("eval", baseline, pd.DataFrame({"x": x}), DriftConfig()), "drift")
    assert r.score == pytest.approx(expected, abs=0.006)
    assert (r.method, r.severity) == ("jensen_shannon", "warn")
    # the same number from first principles: the baseline's decile bins, hand-written JS
    bins = baseline["columns"]["x"]["bins"]
    assert r.score == pytest.approx(
        js_oracle(bins["counts"], interval_counts(x, bins["edges"])), abs=1e-12
    )


def test_same_distribution_scores_near_zero_at_10k_rows(
    normal_baseline: tuple[np.ndarray, dict[str, Any]],
) -> None:
    _, baseline = normal_baseline
    x = np.random.default_rng(9).normal(size=10_000)
    r = by(drift_checks("eval", baseline, pd.DataFrame({"x": x}), DriftConfig()), "drift")
    assert r.score is not None and r.score < 0.03
    assert r.status == "pass"
    assert r.message.startswith("No drift in `x`: Jensen-Shannon distance ")


def test_baseline_independent_of_sample_same_distribution_is_below_warn() -> None:
    rng = np.random.default_rng(10)
    scores = [
        by(
            drift(
                pd.DataFrame({"x": rng.normal(size=10_000)}),
                pd.DataFrame({"x": rng.normal(size=10_000)}),
            ),
            "drift",
        ).score
        for _ in range(5)
    ]
    assert all(s is not None and s < 0.1 for s in scores)


# --- numeric: exact small cases ----------------------------------------------------------


def numeric_baseline(counts: list[int], edges: list[float], mean: float = 0.5) -> dict[str, Any]:
    """A hand-made baseline profile: only the keys drift reads."""
    column = {
        "kind": "numeric",
        "logical_type": "number",
        "count": sum(counts),
        "nulls": 0,
        "mean": mean,
        "std": 1.0,
        "bins": {"edges": edges, "counts": counts},
    }
    return {"rows": sum(counts), "columns": {"x": column}}


def test_numeric_drift_over_baseline_edges_exactly() -> None:
    baseline = numeric_baseline([50, 50, 0], [0.0, 1.0])
    # current: 20 values <= 0, 40 in (0, 1], 40 above 1; infinities and NaN are not counted
    x = [0.0] * 20 + [1.0] * 40 + [2.0] * 40 + [np.inf, np.nan]
    r = by(drift_checks("eval", baseline, pd.DataFrame({"x": x}), DriftConfig()), "drift")
    expected = js_oracle([50, 50, 0], [20, 40, 40])
    assert r.score == pytest.approx(expected, abs=1e-12)
    assert expected > 0.2
    assert r.status == "warn"  # default drift severity is warn
    psi = psi_oracle([50, 50, 0], [20, 40, 40])
    assert r.message == (
        f"`x` drifted: Jensen-Shannon distance {expected:.3f} ≥ 0.2 (mean 0.5 → 1.2; "
        f"PSI {psi:.3f}). That is {expected / 0.2:.1f}× the fail threshold 0.2, but drift only "
        "warns: its severity defaults to warn (set `drift: {severity: error}` on the dataset to "
        "fail)."
    )
    assert r.expected == "warn ≥ 0.1, fail ≥ 0.2 (when p < 0.001)"
    assert r.examples == ("mean 0.5 → 1.2", f"PSI {psi:.3f}")  # no quantiles, no sketch here


def test_fail_threshold_with_error_severity_fails() -> None:
    baseline = numeric_baseline([50, 50, 0], [0.0, 1.0])
    x = pd.DataFrame({"x": [0.0] * 20 + [1.0] * 40 + [2.0] * 40})
    r = by(drift_checks("eval", baseline, x, DriftConfig(severity="error")), "drift")
    assert (r.status, r.severity) == ("fail", "error")


def test_warn_threshold_warns_even_with_error_severity() -> None:
    baseline = numeric_baseline([5000, 5000, 0], [0.0, 1.0])
    x = pd.DataFrame({"x": [0.0] * 4500 + [1.0] * 5500})
    score = js_oracle([50, 50, 0], [45, 55, 0])
    cfg = DriftConfig(numeric=Thresholds(score - 1e-9, 1.0), severity="error")
    assert by(drift_checks("eval", baseline, x, cfg), "drift").status == "warn"
    cfg = DriftConfig(numeric=Thresholds(score + 1e-9, 1.0), severity="error")
    assert by(drift_checks("eval", baseline, x, cfg), "drift").status == "pass"


# --- categorical and boolean -------------------------------------------------------------


def test_categorical_drift_over_top_values_and_other() -> None:
    base = pd.DataFrame({"x": ["a"] * 60 + ["b"] * 40})
    cur = pd.DataFrame({"x": ["a"] * 30 + ["b"] * 50 + ["c"] * 20 + [None] * 5})
    r = by(drift(base, cur), "drift")
    expected = js_oracle([60, 40, 0], [30, 50, 20])
    assert r.score == pytest.approx(expected, abs=1e-12)
    assert r.method == "jensen_shannon"
    assert r.message == (
        f"`x` drifted: Jensen-Shannon distance {expected:.3f} ≥ 0.2 "
        "('a' 60% → 30%; (other) 0% → 20%; 'b' 40% → 50%)."
    ) + past_fail(expected / 0.2, 0.2)
    assert r.examples == ("'a' 60% → 30%", "(other) 0% → 20%", "'b' 40% → 50%")


def test_categorical_counts_come_from_the_data_not_the_current_top() -> None:
    # 'rare' was the baseline's top value; now 25 other values each outnumber it, so it is
    # outside the current profile's top 20 but must still be counted as itself
    base = pd.DataFrame({"x": ["rare"] * 100})
    values = ["rare"] * 10 + [f"v{i}" for i in range(25) for _ in range(20)]
    r = by(drift(base, pd.DataFrame({"x": values})), "drift")
    assert r.score == pytest.approx(js_oracle([100, 0], [10, 500]), abs=1e-12)


def test_identical_categories_do_not_drift() -> None:
    base = pd.DataFrame({"x": ["a", "b"] * 50})
    r = by(drift(base, base), "drift")
    assert (r.score, r.status) == (0.0, "pass")
    assert r.message == "No drift in `x`: Jensen-Shannon distance 0.000 < 0.1 (no category moved)."


def test_categorical_thresholds_are_used() -> None:
    base = pd.DataFrame({"x": ["a"] * 6000 + ["b"] * 4000})
    cur = pd.DataFrame({"x": ["a"] * 5500 + ["b"] * 4500})
    score = js_oracle([60, 40], [55, 45])
    loose = DriftConfig(categorical=Thresholds(0.5, 0.9))
    assert by(drift(base, cur, loose), "drift").status == "pass"
    tight = DriftConfig(categorical=Thresholds(score / 2, score), severity="error")
    assert by(drift(base, cur, tight), "drift").status == "fail"


def test_boolean_drift_is_cohens_h_of_the_share_of_true() -> None:
    base = pd.DataFrame({"x": [True] * 80 + [False] * 20})
    cur = pd.DataFrame({"x": pd.Series([True] * 50 + [False] * 50 + [None] * 10, dtype=object)})
    r = by(drift(base, cur), "drift")
    assert r.score == pytest.approx(h_oracle(0.8, 0.5), abs=1e-12)
    assert (r.method, r.status) == ("cohen_h", "warn")  # h 0.64 ≥ 0.5 and p = 7e-6
    assert r.message == "`x` drifted: Cohen's h 0.644 ≥ 0.5 (true 80% → 50%)." + past_fail(
        r.score / 0.5, 0.5
    )
    p = two_proportion_oracle(80, 100, 50, 100)
    assert r.observed == f"h 0.644 (p {p:.2g})"


# --- null rate ---------------------------------------------------------------------------


def with_nulls(n_null: int, rows: int = 1_000) -> pd.DataFrame:
    return pd.DataFrame({"x": [np.nan] * n_null + [1.0] * (rows - n_null)})


def test_null_rate_1_to_3_percent_warns() -> None:
    r = by(drift(with_nulls(100, 10_000), with_nulls(300, 10_000)), "drift_null_rate")
    assert r.score == pytest.approx(h_oracle(0.01, 0.03), abs=1e-12)
    assert r.score == pytest.approx(0.148, abs=0.001)
    assert (r.status, r.method) == ("warn", "cohen_h")
    assert r.message == "Null rate of `x` changed 1% → 3% (Cohen's h 0.148 ≥ 0.1)."


def test_null_rate_1_to_3_percent_of_1000_rows_is_not_significant() -> None:
    # 10 vs 30 nulls in 1,000 rows: p = 0.0014, not below alpha = 0.001
    r = by(drift(with_nulls(10), with_nulls(30)), "drift_null_rate")
    p = two_proportion_oracle(10, 1000, 30, 1000)
    assert p == pytest.approx(0.0014, abs=0.0001)
    assert r.status == "pass"
    assert r.message == (
        f"Null rate of `x` 1% → 3% (Cohen's h 0.148 ≥ 0.1 but p = {p:.2g} ≥ 0.001 with "
        "1,000 and 1,000 rows)."
    )


def test_null_rate_1_to_10_percent_fails() -> None:
    cfg = DriftConfig(severity="error")
    r = by(drift(with_nulls(10), with_nulls(100), cfg), "drift_null_rate")
    assert r.observed.startswith("1% → 10% (h 0.443, p ")
    assert r.score == pytest.approx(h_oracle(0.01, 0.10), abs=1e-12)
    assert r.score == pytest.approx(0.443, abs=0.001)
    assert r.status == "fail"
    assert r.message == "Null rate of `x` changed 1% → 10% (Cohen's h 0.443 ≥ 0.3)."


def test_unchanged_null_rate_is_still_reported() -> None:
    r = by(drift(with_nulls(10), with_nulls(11)), "drift_null_rate")
    assert r.status == "pass"
    assert r.message == "Null rate of `x` 1% → 1.1% (Cohen's h 0.010 < 0.1)."


def test_datetime_columns_get_a_null_rate_only() -> None:
    dates = pd.DataFrame({"x": pd.date_range("2024-01-01", periods=100)})
    assert [r.check for r in drift(dates, dates)] == ["drift_null_rate"]


# --- insufficient data, selection, plumbing ----------------------------------------------


def test_too_few_values_is_insufficient_data() -> None:
    base = pd.DataFrame({"x": np.arange(200.0)})
    cur = pd.DataFrame({"x": [1.0] * 30 + [np.nan] * 70})
    results = drift(base, cur)
    r = by(results, "drift")
    assert (r.status, r.score) == ("insufficient_data", None)
    assert r.message == (
        "Too few finite values to measure drift of `x`: 200 in the baseline and 30 now; "
        "at least 50 needed on each side."
    )
    # there are enough rows for the null rate (0% -> 70%): it is scored, not insufficient
    null_rate = by(results, "drift_null_rate")
    assert null_rate.score == pytest.approx(h_oracle(0.0, 0.7), abs=1e-12)
    assert null_rate.status == "warn"


def test_too_few_rows_for_the_null_rate() -> None:
    small = pd.DataFrame({"x": ["a"] * 20})
    r = by(drift(small, small, DriftConfig(min_rows=50)), "drift_null_rate")
    assert (r.status, r.score) == ("insufficient_data", None)
    assert r.message == (
        "Too few rows to measure drift of `x`: 20 in the baseline and 20 now; "
        "at least 50 needed on each side."
    )
    assert by(drift(small, small, DriftConfig(min_rows=20)), "drift_null_rate").status == "pass"


def test_no_baseline_or_disabled_gives_nothing() -> None:
    df = pd.DataFrame({"x": range(100)})
    assert drift_checks("eval", None, df, DriftConfig()) == []
    assert drift(df, df, DriftConfig(enabled=False)) == []


def test_column_selection_one_sided_columns_and_kind_changes() -> None:
    base = pd.DataFrame({"a": range(100), "b": ["x"] * 100, "c": range(100), "gone": range(100)})
    cur = pd.DataFrame({"a": range(100), "b": range(100), "c": range(100), "new": range(100)})
    compared = {r.column for r in drift(base, cur)}
    assert compared == {"a", "c"}  # b changed kind; gone/new are on one side only
    assert {r.column for r in drift(base, cur, DriftConfig(columns=("c", "b")))} == {"c"}
    assert {r.column for r in drift(base, cur, DriftConfig(exclude=("a",)))} == {"c"}


def test_results_follow_the_current_column_order() -> None:
    base = pd.DataFrame({"b": range(100), "a": ["x", "y"] * 50})
    cur = base[["a", "b"]]
    assert [(r.column, r.check) for r in drift(base, cur)] == [
        ("a", "drift"),
        ("a", "drift_unseen"),
        ("a", "drift_null_rate"),
        ("b", "drift_cardinality"),  # 0..99 once each: an id
        ("b", "drift_null_rate"),
    ]


def test_a_given_current_profile_is_used() -> None:
    base = with_nulls(10)
    cur = with_nulls(10)
    fake = profile_frame(with_nulls(100))
    assert by(drift(base, cur), "drift_null_rate").status == "pass"
    r = by(drift(base, cur, current=fake), "drift_null_rate")
    assert r.score == pytest.approx(h_oracle(0.01, 0.10), abs=1e-12)


def test_drift_results_are_json_friendly() -> None:
    base = pd.DataFrame({"x": np.arange(100.0), "c": ["a", "b"] * 50})
    for r in drift(base, base):
        d = r.to_dict()
        assert d["dataset"] == "eval" and isinstance(d["examples"], list)
        assert d["score"] is None or isinstance(d["score"], float)


# --- the statistics against scipy ----------------------------------------------------------

import pyarrow as pa  # noqa: E402
from scipy import stats  # noqa: E402
from scipy.spatial.distance import jensenshannon  # noqa: E402

from mlci.config import DriftOverride  # noqa: E402
from mlci.data.drift import (  # noqa: E402
    chi2_sf,
    column_changes,
    g_test,
    js_distance,
    poisson_tail,
    psi,
    two_proportions,
)
from mlci.data.profile import profile_table  # noqa: E402


@pytest.mark.parametrize("df", [1, 2, 9, 20, 199])
def test_chi2_survival_matches_scipy(df: int) -> None:
    for x in (0.01, 0.5, df * 0.7, float(df), df + 3.0, 3.0 * df + 10, 400.0):
        assert chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=1e-9, abs=1e-300)


def test_g_test_matches_scipy_log_likelihood_contingency() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.integers(0, 200, size=10), rng.integers(1, 200, size=10)
        expected = stats.chi2_contingency(
            np.vstack([a, b]), lambda_="log-likelihood", correction=False
        ).pvalue
        assert g_test(a, b) == pytest.approx(expected, rel=1e-9)


def test_proportion_and_poisson_tails_match_scipy() -> None:
    assert two_proportions(30, 1000, 10, 1000) == pytest.approx(
        two_proportion_oracle(30, 1000, 10, 1000), rel=1e-12
    )
    assert two_proportions(0, 100, 0, 50) == 1.0
    for k, mean in ((1, 0.5), (5, 2.0), (40, 25.0), (3, 10.0)):
        assert poisson_tail(k, mean) == pytest.approx(stats.poisson.sf(k - 1, mean), rel=1e-9)


def test_js_and_psi_match_their_formulas() -> None:
    p, q = [10, 0, 30, 60], [20, 5, 25, 50]
    assert js_distance(np.array(p), np.array(q)) == pytest.approx(js_oracle(p, q), abs=1e-12)
    assert js_distance(np.array(p), np.array(q)) == pytest.approx(
        jensenshannon(p, q, base=2), abs=1e-12
    )
    assert psi(np.array(p), np.array(q)) == pytest.approx(psi_oracle(p, q), abs=1e-12)


def test_ks_distance_in_the_explanation_is_scipys() -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=900), rng.normal(0.4, 1.0, size=700)  # both kept exactly
    baseline = profile_table(pa.table({"x": a}))
    r = by(drift_checks("eval", baseline, pa.table({"x": b}), DriftConfig()), "drift")
    ks = stats.ks_2samp(a, b).statistic
    assert f"KS {ks:.3f}" in r.examples
    edges = baseline["columns"]["x"]["bins"]["edges"]
    assert r.score == pytest.approx(
        js_oracle(baseline["columns"]["x"]["bins"]["counts"], interval_counts(b, edges)),
        abs=1e-12,
    )


# --- trust: no alarms on noise, alarms on real change --------------------------------------


def sample(rng: np.random.Generator, n: int, shift: float = 0.0, scale: float = 1.0) -> pa.Table:
    levels = np.asarray([f"c{i}" for i in range(50)])
    weights = 1 / np.arange(1, 51)
    return pa.table(
        {
            "normal": rng.normal(shift, scale, n),
            "skewed": rng.exponential(2.0, n),
            "count": rng.poisson(3.0, n),
            "category": levels[rng.choice(50, size=n, p=weights / weights.sum())],
            "flag": rng.random(n) < 0.3,
        }
    )


@pytest.mark.parametrize("n", [1_000, 3_000])
def test_same_distribution_never_fails_and_rarely_warns(n: int) -> None:
    rng = np.random.default_rng(n)
    cfg = DriftConfig(severity="error")
    statuses = []
    for _ in range(15):
        baseline = profile_table(sample(rng, n))
        statuses += [r.status for r in drift_checks("eval", baseline, sample(rng, n), cfg)]
    assert "fail" not in statuses
    assert statuses.count("warn") <= 1  # alpha = 0.001 over 150 tests


@pytest.mark.parametrize("n", [1_000, 3_000])
@pytest.mark.parametrize(("shift", "scale"), [(0.5, 1.0), (0.0, 1.5)])
def test_half_sigma_shift_and_wider_spread_are_always_flagged(
    n: int, shift: float, scale: float
) -> None:
    rng = np.random.default_rng(n + int(10 * shift))
    for _ in range(8):
        baseline = profile_table(sample(rng, n))
        results = drift_checks("eval", baseline, sample(rng, n, shift, scale), DriftConfig())
        flagged = {r.column for r in results if r.status in ("warn", "fail")}
        assert flagged == {"normal"}


# --- unseen categories, ids, overrides, waivers --------------------------------------------


def test_unseen_categories_against_the_good_turing_expectation() -> None:
    base = pd.DataFrame({"plan": ["basic"] * 600 + ["pro"] * 395 + [f"rare{i}" for i in range(5)]})
    same = pd.DataFrame({"plan": ["basic"] * 600 + ["pro"] * 394 + [f"new{i}" for i in range(6)]})
    r = by(drift(base, same), "drift_unseen", "plan")
    assert r.status == "pass"  # 0.6% new values, about 0.5% expected from 5 singletons
    cur = pd.DataFrame({"plan": ["basic"] * 500 + ["pro"] * 380 + ["platinum"] * 120})
    r = by(drift(base, cur), "drift_unseen", "plan")
    assert r.score == pytest.approx(h_oracle(0.005, 0.12), abs=1e-12)
    assert r.status == "warn"
    assert r.examples == ("'platinum' ×120",)
    assert r.message == (
        "the categories of `plan` drifted: Cohen's h 0.566 ≥ 0.5 (12% of values are new; "
        "about 0.5% expected)."
    ) + past_fail(r.score / 0.5, 0.5)


def test_id_like_columns_are_compared_by_cardinality() -> None:
    base = pd.DataFrame({"id": np.arange(1_000), "user": [f"u{i}" for i in range(1_000)]})
    later = pd.DataFrame({"id": np.arange(5_000, 6_000), "user": [f"v{i}" for i in range(1_000)]})
    results = drift(base, later)
    assert {(r.column, r.check, r.status) for r in results if r.check != "drift_null_rate"} == {
        ("id", "drift_cardinality", "pass"),
        ("user", "drift_cardinality", "pass"),
    }
    repeated = pd.DataFrame({"id": np.repeat(np.arange(500), 2), "user": ["u"] * 1_000})
    results = drift(base, repeated)
    r = by(results, "drift_cardinality", "id")
    assert (r.status, r.score) == ("warn", pytest.approx(0.5))
    assert r.message == (
        "the cardinality of `id` drifted: relative change 0.500 ≥ 0.25 (ID-like, so compared "
        "by its share of distinct values: 100% → 50%)."
    ) + past_fail(0.5 / 0.25, 0.25)


def test_a_distinct_estimate_above_the_row_count_is_a_share_of_100_percent() -> None:
    # HyperLogLog may estimate more distinct values than a unique column has rows (its error
    # is 1.6 %): the share is then 100 %, on either side, not a crash
    base = profile_frame(pd.DataFrame({"id": np.arange(1_000)}))
    base["columns"]["id"]["distinct"] = 1_027
    results = drift_checks("eval", base, pd.DataFrame({"id": np.arange(1_000)}), DriftConfig())
    r = by(results, "drift_cardinality", "id")
    assert (r.status, r.score) == ("pass", 0.0)


def test_per_column_overrides_and_waivers() -> None:
    base = pd.DataFrame({"a": np.arange(10_000.0), "b": np.arange(10_000.0)})
    cur = pd.DataFrame({"a": np.arange(10_000.0) + 1_500, "b": np.arange(10_000.0) + 1_500})
    loose = DriftConfig(overrides={"a": DriftOverride(numeric=Thresholds(0.9, 0.95))}, waive=("b",))
    results = drift(base, cur, loose)
    assert by(results, "drift", "a").status == "pass"
    r = by(results, "drift", "b")
    assert r.status == "skipped"
    assert r.message.startswith("Drift of `b` is waived in mlci.yml: Jensen-Shannon distance ")
    assert by(drift(base, cur), "drift", "a").status == "warn"


# --- columns that came and went ------------------------------------------------------------


def test_removed_added_and_renamed_columns() -> None:
    rng = np.random.default_rng(3)
    base = profile_table(
        pa.table(
            {"age": rng.normal(40, 10, 500), "plan": ["a", "b"] * 250, "gone": np.arange(500.0)}
        )
    )
    cur = profile_table(
        pa.table(
            {"age_years": rng.normal(40, 10, 500), "plan": ["a", "b"] * 250, "extra": ["x"] * 500}
        )
    )
    results = column_changes("eval", base, cur, DriftConfig())
    assert [(r.check, r.column, r.status) for r in results] == [
        ("column_renamed", "age_years", "warn"),
        ("column_removed", "gone", "warn"),
        ("column_added", "extra", "warn"),
    ]
    assert results[0].message == (
        "Column `age` of the baseline is gone and `age_years` is new with the same profile: "
        "was `age` renamed to `age_years`?"
    )
    assert column_changes("eval", None, cur, DriftConfig()) == []
