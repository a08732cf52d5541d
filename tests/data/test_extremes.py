"""Extreme columns on both sides of drift and through the checks: nothing may raise. Estimates
from sketches are clamped to what the rows allow before they enter a test (a unique id column
of many rows once put a distinct share above 100% into the two-proportion test)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlci.config import DriftConfig, Thresholds
from mlci.data.drift import drift_checks, two_proportions
from mlci.data.profile import possible, profile_frame
from tests.helpers.checks import run

LONG = "x" * 1_000_000  # a 1M-character string

COLUMNS: dict[str, Callable[[int], Any]] = {
    "all unique": lambda n: np.arange(n, dtype=np.int64),
    "all null": lambda n: pd.Series([None] * n, dtype=object),
    "one value": lambda n: np.full(n, 7, dtype=np.int64),
    "all NaN": lambda n: np.full(n, np.nan),
    "huge ints": lambda n: np.array(
        [np.iinfo(np.int64).max - i if i % 2 else np.iinfo(np.int64).min + i for i in range(n)],
        dtype=np.int64,
    ),
    "infinities": lambda n: np.array([math.inf, -math.inf, 0.0] * n)[:n],
    "1M-long strings": lambda n: pd.Series([LONG + str(i % 3) for i in range(n)], dtype=object),
    "unique strings": lambda n: pd.Series([f"id-{i}" for i in range(n)], dtype=object),
}

CHECKS = (
    {"column": "x", "unique": True},
    {"column": "x", "max_null_fraction": 0.1},
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base_kind=st.sampled_from(sorted(COLUMNS)),
    cur_kind=st.sampled_from(sorted(COLUMNS)),
    base_rows=st.integers(0, 120),
    cur_rows=st.integers(0, 120),
    severity=st.sampled_from(["warn", "error"]),
)
def test_extreme_columns_on_both_sides_never_raise(
    base_kind: str, cur_kind: str, base_rows: int, cur_rows: int, severity: str
) -> None:
    if "1M" in base_kind:
        base_rows = min(base_rows, 4)
    if "1M" in cur_kind:
        cur_rows = min(cur_rows, 4)
    base = pd.DataFrame({"x": COLUMNS[base_kind](base_rows), "y": np.arange(base_rows)})
    cur = pd.DataFrame({"x": COLUMNS[cur_kind](cur_rows), "y": np.arange(cur_rows)})
    cfg = DriftConfig(severity=severity, min_rows=1)  # type: ignore[arg-type]
    results = drift_checks("eval", profile_frame(base), cur, cfg)
    assert all(
        r.status in {"pass", "warn", "fail", "skipped", "insufficient_data"} for r in results
    )
    for r in results:
        assert r.score is None or math.isfinite(r.score), r
    run(cur, *CHECKS)


def test_two_proportions_takes_impossible_counts() -> None:
    """A count above its rows (a sketch's estimate) is clamped; no math domain error."""
    p = two_proportions(1_000_733, 1_000_000, 999_000, 1_000_000)
    assert 0.0 <= p <= 1.0
    assert two_proportions(5, 0, 3, 10) == 1.0  # an empty side tells nothing
    assert two_proportions(-3, 10, 4, 10) == two_proportions(0, 10, 4, 10)


def test_possible_clamps_an_estimate_to_the_rows() -> None:
    assert possible(1_000_733.4, 1_000_000) == 1_000_000
    assert possible(-2, 10) == 0
    assert possible(41.6, 100) == 42


def test_a_unique_id_beyond_the_exact_limits_drifts_without_error() -> None:
    """Past 100,000 distinct values the count is a HyperLogLog estimate: clamped to the rows,
    and the id's drift (its share of distinct values) is computed, not a crash."""
    n = 150_000
    base = pd.DataFrame({"id": np.arange(n, dtype=np.int64)})
    cur = pd.DataFrame({"id": np.arange(n // 2, n // 2 + n, dtype=np.int64)})
    profile = profile_frame(base)
    column = profile["columns"]["id"]
    assert column["distinct"] <= column["count"]
    results = drift_checks("eval", profile, cur, DriftConfig())
    [id_drift] = [r for r in results if r.check == "drift_cardinality"]
    assert id_drift.status == "pass", id_drift.message
    assert "ID-like" in id_drift.message


def test_a_drift_past_fail_that_only_warns_says_so() -> None:
    base = pd.DataFrame({"x": np.zeros(500)})
    cur = pd.DataFrame({"x": np.full(500, 100.0)})
    cfg = DriftConfig(numeric=Thresholds(0.1, 0.2))
    [warned] = [
        r for r in drift_checks("eval", profile_frame(base), cur, cfg) if r.check == "drift"
    ]
    assert warned.status == "warn"
    assert "the fail threshold 0.2, but drift only warns: its severity defaults to warn" in (
        warned.message
    )
    assert "set `drift: {severity: error}`" in warned.message
    strict = DriftConfig(numeric=Thresholds(0.1, 0.2), severity="error")
    [failed] = [
        r for r in drift_checks("eval", profile_frame(base), cur, strict) if r.check == "drift"
    ]
    assert failed.status == "fail" and "only warns" not in failed.message
