"""The mergeable summaries against exact answers computed with numpy and scipy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlci.data.hashing import hash_float_bits
from mlci.data.sketch import (
    Distinct,
    Moments,
    Quantiles,
    TopValues,
    ks_distance,
    rank_error_bound,
    weighted_quantiles,
)


def sketch_of(x: np.ndarray, chunk: int, **kw: object) -> Quantiles:
    q = Quantiles(**kw)  # type: ignore[arg-type]
    for i in range(0, len(x), chunk):
        q.add_sorted(np.sort(x[i : i + chunk]))
    return q


def max_rank_error(q: Quantiles, x: np.ndarray) -> float:
    xs = np.sort(x)
    grid = xs[np.linspace(0, len(xs) - 1, 2001).astype(int)]
    return float(np.max(np.abs(q.rank(grid) - np.searchsorted(xs, grid, side="right")))) / len(x)


# --- moments -------------------------------------------------------------------------------


def test_moments_merge_like_numpy() -> None:
    x = np.random.default_rng(0).gamma(2.0, 3.0, size=10_001)
    parts = [Moments() for _ in range(3)]
    for part, piece in zip(parts, np.array_split(x, 3), strict=True):
        part.add(piece)
    total = Moments()
    for part in parts:
        total.merge(part)
    assert (total.n, total.mean) == (len(x), pytest.approx(x.mean(), rel=1e-12))
    assert total.std == pytest.approx(np.std(x, ddof=1), rel=1e-12)
    assert Moments(1, 3.0, 0.0).std is None


# --- quantiles -----------------------------------------------------------------------------


def test_exact_quantiles_match_numpy_and_survive_storage() -> None:
    x = np.random.default_rng(1).normal(size=999)
    q = sketch_of(x, 100)
    qs = np.linspace(0, 1, 41)
    assert q.exact
    np.testing.assert_allclose(q.quantiles(qs), np.quantile(x, qs), rtol=1e-12)
    stored = Quantiles.from_json(q.stored().to_json())
    assert stored.exact
    np.testing.assert_allclose(stored.quantiles(qs), np.quantile(x, qs), rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("n", "chunk"), [(150_000, 1_000), (300_000, 65_536)])
def test_kll_rank_error_is_within_the_stated_bound(seed: int, n: int, chunk: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) if seed % 2 else rng.exponential(size=n)
    q = sketch_of(x, chunk, seed=seed)
    assert not q.exact
    assert max_rank_error(q, x) <= rank_error_bound(q.k)
    stored = q.stored()
    assert sum(len(level) << h for h, level in enumerate(stored.levels)) == n  # weight is exact
    assert max_rank_error(stored, x) <= rank_error_bound(stored.k)


def test_merged_kll_sketches_stay_within_the_bound() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=120_000), rng.normal(3, 2, size=80_000)
    merged = sketch_of(a, 10_000, seed=1).stored()
    merged.merge(sketch_of(b, 10_000, seed=2).stored())
    assert merged.n == 200_000
    assert max_rank_error(merged, np.concatenate([a, b])) <= rank_error_bound(512)


def test_compaction_coins_depend_on_the_values_as_well_as_the_seed() -> None:
    """The same values give the same sketch. Pieces of one column (one seed) with other values
    draw other coins: with the same coins, errors of many pieces would add up instead of
    averaging out. ``y`` ranks like ``x``, so equal coins would keep the same positions."""
    x = np.random.default_rng(0).normal(size=20_000)
    y = x + 1_000.0
    a, b, c = (sketch_of(v, 1_000, k=64, exact_limit=100, seed=5) for v in (x, x, y))
    assert all(np.array_equal(p, q) for p, q in zip(a.levels, b.levels, strict=True))
    shifted = [level - 1_000.0 for level in c.levels]
    assert not all(
        len(p) == len(q) and np.allclose(p, q) for p, q in zip(a.levels, shifted, strict=False)
    )


def test_weighted_quantiles_and_counts_are_exact() -> None:
    x = np.random.default_rng(2).integers(-3, 4, size=5_001).astype(float)
    keys, counts = np.unique(x, return_counts=True)
    qs = np.linspace(0, 1, 101)
    np.testing.assert_array_equal(weighted_quantiles(keys, counts, qs), np.quantile(x, qs))
    q = Quantiles.from_counts(keys, counts)
    points = np.arange(-4.0, 5.0, 0.5)
    np.testing.assert_array_equal(q.rank(points), np.searchsorted(np.sort(x), points, "right"))


def test_ks_distance_equals_scipy_when_exact_and_is_close_beyond() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=800), rng.normal(0.3, 1.2, size=600)
    exact = ks_distance(sketch_of(a, 100), sketch_of(b, 100))
    assert exact == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
    a, b = rng.normal(size=200_000), rng.normal(0.1, 1.0, size=150_000)
    approx = ks_distance(sketch_of(a, 50_000).stored(), sketch_of(b, 50_000).stored())
    assert approx == pytest.approx(stats.ks_2samp(a, b).statistic, abs=2 * rank_error_bound(512))


# --- distinct counts -----------------------------------------------------------------------


def test_distinct_is_exact_below_the_limit_then_hyperloglog() -> None:
    rng = np.random.default_rng(4)
    d = Distinct(exact_limit=1_000)
    d.add(hash_float_bits(rng.integers(0, 500, size=5_000).astype(float)))
    assert (d.exact, d.estimate()) == (True, 500)
    for _ in range(4):
        d.add(hash_float_bits(rng.normal(size=50_000)))
    assert not d.exact
    assert d.estimate() == pytest.approx(200_500, rel=0.05)  # 3 standard errors of 1.6 %


@pytest.mark.parametrize("n", [2_000, 9_000, 40_000])
def test_hyperloglog_across_its_ranges(n: int) -> None:
    d = Distinct(exact_limit=0)
    d.add(hash_float_bits(np.random.default_rng(n).normal(size=n)))
    assert d.estimate() == pytest.approx(n, rel=0.05)


def test_distinct_merge_equals_the_sketch_of_the_union_exactly() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=30_000), rng.normal(size=20_000)
    da, db, union = Distinct(exact_limit=100), Distinct(exact_limit=100), Distinct(exact_limit=100)
    da.add(hash_float_bits(a))
    db.add(hash_float_bits(b))
    union.add(hash_float_bits(np.concatenate([a, b])))
    da.merge(Distinct.from_json(db.stored().to_json()))
    assert da.registers is not None and union.registers is not None
    np.testing.assert_array_equal(da.registers, union.registers)


def hll_registers_one_by_one(hashes: np.ndarray) -> list[int]:
    """HyperLogLog's registers (p = 12) computed with Python integers, hash by hash."""
    registers = [0] * 4096
    for h in (int(v) for v in hashes):
        index, rest = h >> 52, h & ((1 << 52) - 1)
        rank = 52 - rest.bit_length() + 1  # leading zeros of the 52-bit remainder, plus one
        registers[index] = max(registers[index], rank)
    return registers


@pytest.mark.parametrize("n", [1, 50, 3_000, 60_000])
def test_hyperloglog_registers_equal_the_definition(n: int) -> None:
    rng = np.random.default_rng(n)
    hashes = rng.integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)
    hashes[: min(n, 3)] >>= np.uint64(40)  # long runs of leading zeros too
    d = Distinct(exact_limit=0)
    for part in np.array_split(hashes, 7):
        d.add(part)
    assert d.registers is not None
    assert d.registers.tolist() == hll_registers_one_by_one(hashes)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 400), max_size=80), min_size=1, max_size=8))
def test_exact_distinct_batch_by_batch_is_the_set_of_all_hashes(batches: list[list[int]]) -> None:
    d = Distinct(exact_limit=10_000)
    for batch in batches:
        d.add(np.asarray(batch, dtype=np.uint64))
    everything = np.asarray([v for batch in batches for v in batch], dtype=np.uint64)
    assert d.hashes is not None
    np.testing.assert_array_equal(d.hashes, np.unique(everything))


# --- top values ----------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 30), max_size=60), min_size=1, max_size=6),
    st.integers(1, 12),
)
def test_top_values_bounds_hold_after_truncation(chunks: list[list[int]], limit: int) -> None:
    top = TopValues.empty(pa.string(), limit=limit)
    truth: dict[str, int] = {}
    for chunk in chunks:
        keys, counts = np.unique(np.asarray(chunk, dtype=int), return_counts=True)
        if len(keys):
            top.add_counts(pa.array([f"v{k}" for k in keys]), counts)
        for k in chunk:
            truth[f"v{k}"] = truth.get(f"v{k}", 0) + 1
    listed = {}
    for key, count, error in top.items():
        assert count <= truth[key] <= count + error
        listed[key] = count
    assert all(c <= top.rest_max for k, c in truth.items() if k not in listed)
    if len(truth) <= limit:
        assert top.complete and listed == truth


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.text(st.characters(exclude_categories=["Cs"]), max_size=6),
        st.integers(1, 4),
        max_size=60,
    )
)
def test_value_counts_order_by_count_then_value_as_python_does(counted: dict[str, int]) -> None:
    """Text values are ordered by Arrow (UTF-8 bytes): the same order as Python's strings."""
    keys = pa.array(list(counted), pa.string())
    top = TopValues(
        keys, np.asarray(list(counted.values()), np.int64), np.zeros(len(keys), np.int64)
    )
    expected = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))  # the oracle
    assert [(k, c) for k, c, _ in top.items()] == expected
    assert [(k, c) for k, c, _ in top.items(3)] == expected[:3]
