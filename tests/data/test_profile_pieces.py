"""Unfinished pieces: a dataset profiled in 2 to 1,024 pieces, saved as JSON, reloaded and merged
in any order and grouping gives the profile one process computes from the whole — equal where
that one is exact, within the stated rank error elsewhere; a piece of no rows adds nothing."""

from __future__ import annotations

import base64
import json
import random
import zlib
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlci.data.profile import Profiler, load_profiler, merge_profiles, profile_table
from mlci.data.sketch import KLL_K, Quantiles, rank_error_bound
from mlci.errors import DataError

APPROX = {"mean", "std"}  # moments: up to float rounding
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def whole_profile(table: pa.Table, batch: int = 131_072) -> dict[str, Any]:
    """One process, the way the readers feed it: batches in order."""
    profiler = Profiler()
    for b in table.to_batches(max_chunksize=batch):
        profiler.update_batch(b)
    return profiler.finish()


def piece_of(table: pa.Table, batch: int) -> dict[str, Any]:
    """A piece of a table, as it travels: JSON text."""
    profiler = Profiler()
    for b in table.to_batches(max_chunksize=batch):
        profiler.update_batch(b)
    return json.loads(json.dumps(profiler.piece(), allow_nan=False))


def merged(pieces: list[dict[str, Any]], rnd: random.Random) -> dict[str, Any]:
    """The pieces merged in a random order and grouping (a tree of random fan-in)."""
    level = [Profiler.load(p) for p in pieces]
    rnd.shuffle(level)
    while len(level) > 1:
        fan_in = rnd.randint(2, 16)
        groups = [level[i : i + fan_in] for i in range(0, len(level), fan_in)]
        level = []
        for group in groups:
            for other in group[1:]:
                group[0].merge(other)
            level.append(group[0])
    return level[0].finish()


def split(table: pa.Table, cuts: list[int]) -> list[pa.Table]:
    bounds = [0, *sorted(cuts), table.num_rows]
    return [table.slice(a, b - a) for a, b in pairwise(bounds)]


def assert_same_profile(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["rows"] == want["rows"]
    assert list(got["columns"]) == list(want["columns"])
    for name, column in want["columns"].items():
        mine = got["columns"][name]
        assert set(mine) == set(column), name
        for key, value in column.items():
            if key in APPROX and value is not None:
                assert mine[key] == pytest.approx(value, rel=1e-9, abs=1e-9), (name, key)
            elif key == "sketch":
                if value.get("m2") is not None:
                    assert mine[key]["m2"] == pytest.approx(value["m2"], rel=1e-9, abs=1e-9)
                assert {k: v for k, v in mine[key].items() if k != "m2"} == {
                    k: v for k, v in value.items() if k != "m2"
                }, (name, key)
            else:
                assert mine[key] == value, (name, key)


# --- the exact regime: equal ------------------------------------------------------------------

MAYBE_FLOAT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 0.5, 0.5]),
    st.none(),
)
ROWS = st.lists(
    st.tuples(
        MAYBE_FLOAT,
        st.one_of(st.integers(-5, 5), st.none()),
        st.one_of(st.sampled_from(["a", "b", "ccc", "é|`x`", "a" * 210]), st.none()),
        st.one_of(st.booleans(), st.none()),
        st.one_of(st.integers(0, 10**6), st.none()),
    ),
    min_size=1,
    max_size=120,
)


def table_of(rows: list[tuple]) -> pa.Table:
    f, i, s, b, t = zip(*rows, strict=True)
    return pa.table(
        {
            "f": pa.array(f, pa.float64(), from_pandas=False),
            "i": pa.array(i, pa.int32()),
            "s": pa.array(s, pa.string()),
            "b": pa.array(b, pa.bool_()),
            "t": pa.array(
                [None if v is None else T0 + timedelta(seconds=v) for v in t],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    rows=ROWS,
    pieces=st.integers(2, 1_024),
    data=st.data(),
    batch=st.integers(1, 50),
    seed=st.integers(0, 2**32 - 1),
)
def test_pieces_merge_into_the_profile_of_one_process(
    rows: list[tuple], pieces: int, data: st.DataObject, batch: int, seed: int
) -> None:
    """Cut anywhere (most of 1,024 pieces of a small table are empty), merged in any grouping:
    every part of the profile equals the one-process profile (the moments up to rounding)."""
    table = table_of(rows)
    cuts = data.draw(st.lists(st.integers(0, len(rows)), min_size=pieces - 1, max_size=pieces - 1))
    parts = [piece_of(part, batch) for part in split(table, cuts)]
    assert_same_profile(merged(parts, random.Random(seed)), whole_profile(table, batch))


def test_zero_and_negative_zero_in_two_pieces_are_one_value() -> None:
    """Found by the property test above: 0.0 in one piece and -0.0 in the other were merged
    into two distinct values, while one process (and pandas) counts one."""
    table = table_of([(0.0, None, "ccc", None, None), (-0.0, None, None, None, None)])
    parts = [piece_of(part, 2) for part in split(table, [1])]
    got = merged(parts, random.Random(1))["columns"]["f"]
    assert got["distinct"] == whole_profile(table, 2)["columns"]["f"]["distinct"] == 1


def dense(n: int, seed: int) -> pa.Table:
    """Every kind of column at sizes where one process is exact (n <= 100,000)."""
    rng = np.random.default_rng(seed)
    floats = rng.lognormal(3, 1, n)
    floats[rng.random(n) < 0.05] = np.nan
    levels = np.asarray([f"level-{i}" for i in range(5_000)])
    return pa.table(
        {
            "amount": floats,
            "age": pa.array(rng.integers(18, 90, n), mask=rng.random(n) < 0.1),  # nullable int
            "code": rng.integers(0, 8_000, n),  # 8,000 distinct: counted exactly
            "plan": levels[rng.zipf(1.2, n) % 5_000],
            "active": rng.random(n) < 0.3,
            "seen": pa.array(rng.integers(0, 10**9, n).astype("datetime64[s]")),
        }
    )


@pytest.mark.parametrize("pieces", [2, 16, 1_024])
def test_dense_pieces_equal_the_one_process_profile(pieces: int) -> None:
    table = dense(90_000, seed=pieces)
    parts = [
        piece_of(part, 10_000)
        for part in split(table, list(np.linspace(0, 90_000, pieces + 1)[1:-1].astype(int)))
    ]
    got = merged(parts, random.Random(pieces))
    want = whole_profile(table)
    assert_same_profile(got, want)
    assert got["columns"]["age"]["logical_type"] == "integer"
    assert got["columns"]["amount"]["bins"]["exact"] is True


def test_beyond_100k_values_counted_values_stay_exact() -> None:
    """A 1,001-value integer column and an 8,000-value one keep exact bins and quantiles at
    any size, merged or not (the issue's example lost them once stored)."""
    rng = np.random.default_rng(3)
    n = 400_000
    table = pa.table({"small": rng.integers(0, 1_001, n), "code": rng.integers(0, 8_000, n)})
    cuts = sorted(rng.integers(0, n, 15).tolist())
    got = merged([piece_of(p, 65_536) for p in split(table, cuts)], random.Random(1))
    want = whole_profile(table)
    for name in ("small", "code"):
        x = table.column(name).to_numpy()
        column = got["columns"][name]
        assert column["bins"] == want["columns"][name]["bins"]
        assert column["bins"]["exact"] and column["distinct_exact"]
        assert column["quantiles"] == want["columns"][name]["quantiles"]
        for key, value in column["quantiles"].items():
            assert value == pytest.approx(np.quantile(x, float(key)), abs=1e-9)


# --- beyond: within the stated bound ----------------------------------------------------------


@pytest.mark.parametrize("pieces", [2, 16, 1_024])
def test_sketched_pieces_are_within_the_rank_error_of_one_process(pieces: int) -> None:
    rng = np.random.default_rng(pieces)
    n = 300_000
    x = np.concatenate([rng.normal(0, 1, n // 2), rng.exponential(3.0, n - n // 2)])
    table = pa.table({"x": x})
    cuts = list(np.linspace(0, n, pieces + 1)[1:-1].astype(int))
    got = merged([piece_of(p, 50_000) for p in split(table, cuts)], random.Random(pieces))
    want = whole_profile(table)
    column, one = got["columns"]["x"], want["columns"]["x"]
    xs = np.sort(x)
    bound = rank_error_bound(KLL_K) * n  # 0.2 %: the profiling sketch, compacted only at the end
    for key, value in column["quantiles"].items():
        assert abs(np.searchsorted(xs, value, side="right") - float(key) * n) <= bound + 1, key
    exact = np.diff(np.searchsorted(xs, [-np.inf, *column["bins"]["edges"], np.inf], "right"))
    assert (
        max(abs(a - b) for a, b in zip(column["bins"]["counts"], exact, strict=True)) <= 2 * bound
    )
    for key in ("count", "min", "max", "distinct", "nulls"):
        assert column[key] == one[key], key  # distinct: the same HyperLogLog registers
    assert column["sketch"]["distinct"] == one["sketch"]["distinct"]


def sketch_of(x: np.ndarray, k: int, limit: int) -> Quantiles:
    q = Quantiles(k=k, exact_limit=limit, seed=11)  # every piece the same seed, as in a profile
    for i in range(0, len(x), 700):
        q.add_sorted(np.sort(x[i : i + 700]))
    return Quantiles.from_state(json.loads(json.dumps(q.state())))


@settings(max_examples=12, deadline=None)
@given(
    pieces=st.integers(2, 1_024),
    size=st.integers(200, 2_000),
    shape=st.sampled_from(["normal", "sorted", "few values"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_merged_sketches_of_up_to_1024_pieces_stay_within_the_bound(
    pieces: int, size: int, shape: str, seed: int
) -> None:
    """Each piece past its exact limit (a small k, so that 1,024 sketched pieces stay quick):
    merged in any grouping, the rank error stays within 4/k."""
    k, limit = 64, 128
    rng = np.random.default_rng(seed)
    x = rng.normal(size=pieces * size)
    if shape == "sorted":
        x = np.sort(x)  # each piece another range
    elif shape == "few values":
        x = np.round(x * 3)
    sketches = [sketch_of(part, k, limit) for part in np.array_split(x, pieces)]
    rnd = random.Random(seed)
    rnd.shuffle(sketches)
    while len(sketches) > 1:
        fan_in = rnd.randint(2, 16)
        groups = [sketches[i : i + fan_in] for i in range(0, len(sketches), fan_in)]
        sketches = []
        for group in groups:
            for other in group[1:]:
                group[0].merge(other)
            sketches.append(group[0])
    q = sketches[0]
    assert q.n == len(x)
    xs = np.sort(x)
    grid = xs[np.linspace(0, len(xs) - 1, 2_001).astype(int)]
    error = np.max(np.abs(q.rank(grid) - np.searchsorted(xs, grid, side="right"))) / len(x)
    assert error <= rank_error_bound(k)


# --- empty pieces and malformed ones ----------------------------------------------------------


def test_a_profile_of_no_rows_adds_nothing_whatever_its_column_types() -> None:
    data = profile_table(pa.table({"x": [1.5, 2.5], "s": ["a", "b"]}))
    empty = profile_table(
        pa.table({"x": pa.array([], pa.string()), "other": pa.array([], pa.int64())})
    )
    assert merge_profiles(data, empty) == merge_profiles(empty, data) == data
    assert merge_profiles(empty, empty) == empty  # the columns are kept when nothing else is


def test_a_malformed_piece_is_one_readable_error() -> None:
    piece = Profiler()
    piece.update_batch(pa.record_batch({"x": [1.0, 2.0]}))
    doc = piece.piece()
    doc["columns"]["x"]["quantiles"]["n"] = 3  # weights no longer add up
    with pytest.raises(
        DataError, match=r"^p\.json: a malformed piece of a profile \(an inconsistent"
    ):
        load_profiler(doc, source="p.json")
    doc = piece.piece() | {"piece_version": 9}
    with pytest.raises(DataError, match="a profile piece of version 9; this mlci reads version 1"):
        load_profiler(doc, source="p.json")
    doc = piece.piece()  # 80 MB of zeros in 78 KB: not inflated beyond what n allows
    bomb = base64.b64encode(zlib.compress(bytes(80_000_000), 9)).decode()
    doc["columns"]["x"]["quantiles"]["levels"] = [bomb]
    with pytest.raises(DataError, match="a quantile sketch level of more values than the"):
        load_profiler(doc, source="p.json")
    doc = piece.piece()
    del doc["columns"]["x"]["moments"]
    with pytest.raises(DataError, match=r"a malformed piece of a profile \(no 'moments'\)"):
        load_profiler(doc, source="p.json")
