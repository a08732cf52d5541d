"""Stable hashes: same value, same hash, whatever the array layout; different values differ."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from mlci.data.hashing import combine, hash_array, row_hashes, splitmix64


def hashes(arr: pa.Array) -> list[int | None]:
    h, valid = hash_array(arr)
    return [int(x) if v else None for x, v in zip(h, valid, strict=True)]


def test_integral_floats_hash_like_integers_and_text_apart() -> None:
    ints = hashes(pa.array([1, 2, None]))
    assert hashes(pa.array([1.0, 2.0, None])) == ints
    assert hashes(pa.array([1.5]))[0] not in ints
    assert hashes(pa.array(["1"]))[0] not in ints
    assert hashes(pa.array([-0.0]))[0] == hashes(pa.array([0]))[0]


def test_layouts_do_not_change_hashes() -> None:
    values = ["a", "bb", None, "", "ünï", "a" * 100, "a" * 99 + "b"]
    plain = hashes(pa.array(values))
    assert hashes(pa.array(values, pa.large_string())) == plain
    assert hashes(pa.array(values).dictionary_encode()) == plain
    assert hashes(pa.array(values).slice(2)) == plain[2:]
    assert len({h for h in plain if h is not None}) == 6


def test_position_matters() -> None:
    assert len(set(hashes(pa.array(["ab", "ba", "aab", "aba", "baa"])))) == 5


def test_a_million_distinct_ids_do_not_collide() -> None:
    ids = pa.array([f"user-{i:08d}" for i in range(1_000_000)])
    h, _ = hash_array(ids)
    assert len(np.unique(h)) == 1_000_000
    ints, _ = hash_array(pa.array(np.arange(1_000_000)))
    assert len(np.unique(ints)) == 1_000_000


def test_timestamps_dates_and_booleans() -> None:
    ts = pa.array([0, 86_400_000_000], pa.timestamp("us"))
    assert hashes(pa.array([0, 1], pa.date32())) == hashes(ts)
    assert hashes(pa.array([True, False])) != hashes(pa.array([1, 0]))


def test_combined_keys_and_rows() -> None:
    a, b = pa.array([1, 1, 2, None]), pa.array(["x", "y", "x", "x"])
    h, valid = combine([hash_array(a), hash_array(b)])
    assert valid.tolist() == [True, True, True, False]
    assert len(set(h[:3].tolist())) == 3
    rows = row_hashes([pa.array([1, 1, None, None]), pa.array(["x", "x", "y", "y"])])
    assert rows[0] == rows[1] and rows[2] == rows[3] and rows[0] != rows[2]


def test_splitmix64_is_a_bijection_on_a_sample() -> None:
    x = np.arange(200_000, dtype=np.uint64) * np.uint64(0x10001)
    assert len(np.unique(splitmix64(x))) == len(x)
