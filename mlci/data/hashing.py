"""Stable 64-bit hashes of column values, vectorised with numpy.

The same value gets the same hash in every process and on every machine, so hashes computed
on shards, in earlier runs or in other datasets can be compared: uniqueness, duplicate rows,
train/evaluation overlap and the distinct-count sketch all use them.

Values are hashed by what they mean, not by how they are stored: an integral float hashes like
the integer (an id column read as float because it has nulls still matches the integer ids),
a string by its UTF-8 bytes, a timestamp by its instant in microseconds. Two different values
collide with probability about 2⁻⁶⁴ per pair: among n distinct keys the chance of any
collision is about n² / 2⁶⁵ (below one in a million for 5 billion keys).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlci.data import arrays as A

U64 = np.uint64
_GOLDEN = U64(0x9E3779B97F4A7C15)
_M1 = U64(0xBF58476D1CE4E5B9)
_M2 = U64(0x94D049BB133111EB)
_TAG_INT = U64(0x5A17_0001)
_TAG_FLOAT = U64(0x5A17_0002)
_TAG_TEXT = U64(0x5A17_0003)
_TAG_TIME = U64(0x5A17_0004)
_TAG_BOOL = U64(0x5A17_0005)
NULL_HASH = U64(0x6E75_6C6C_6E75_6C6C)  # "nullnull": nulls in duplicate-row hashes


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser of every element of a uint64 array (a bijection, well mixed)."""
    z = x + _GOLDEN
    z = (z ^ (z >> U64(30))) * _M1
    z = (z ^ (z >> U64(27))) * _M2
    return np.asarray(z ^ (z >> U64(31)), dtype=U64)


def hash_array(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, valid)``: a uint64 hash per element and a mask of the non-null elements.

    Null elements get hash 0 and ``valid`` False.
    """
    valid = _valid(arr)
    kind = arr.type
    if pa.types.is_dictionary(kind):
        dictionary_hashes, _ = hash_array(arr.dictionary)
        indices = A.ints(arr.indices)
        out = dictionary_hashes[indices] if len(dictionary_hashes) else np.zeros(len(arr), U64)
    elif pa.types.is_boolean(kind):
        bits = A.booleans(arr).astype(U64)
        out = splitmix64(bits ^ _TAG_BOOL)
    elif pa.types.is_integer(kind):
        out = _hash_ints(A.ints(arr))
    elif pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        out = hash_floats(A.floats(arr.cast(pa.float64(), safe=False)))
    elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        micros = A.ints(arr.cast(pa.timestamp("us"), safe=False))
        out = splitmix64(micros.view(U64) ^ _TAG_TIME)
    elif is_text(kind):
        out = _hash_text(arr)
    else:
        out = _hash_text(A.strings([None if v is None else str(v) for v in arr.to_pylist()]))
    out = np.where(valid, out, U64(0))
    return out, valid


def hash_floats(values: np.ndarray) -> np.ndarray:
    """Hashes of float64 values; integral values hash like the same integers."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        integral = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**63)
    ints = np.where(integral, values, 0.0).astype(np.int64)
    canonical = np.where(np.isnan(values), np.nan, values) + 0.0  # one NaN, -0.0 -> 0.0
    bits = canonical.view(U64)
    return np.where(integral, _hash_ints(ints), splitmix64(bits ^ _TAG_FLOAT))


def hash_float_bits(values: np.ndarray) -> np.ndarray:
    """Hashes of float64 values by their bits (-0.0 as 0.0): cheaper than :func:`hash_floats`,
    for distinct counts within one numeric column."""
    canonical = np.asarray(values, dtype=np.float64) + 0.0
    return splitmix64(canonical.view(U64) ^ _TAG_FLOAT)


def combine(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One hash per row of several columns' ``(hashes, valid)``; valid where all parts are."""
    hashes, valid = parts[0]
    out = splitmix64(hashes.copy())
    valid = valid.copy()
    for i, (h, v) in enumerate(parts[1:], start=1):
        out = splitmix64(out ^ (h + _step(i)))
        valid &= v
    return out, valid


def row_hashes(columns: list[pa.Array]) -> np.ndarray:
    """One hash per row over all columns, with nulls hashed as a value (for duplicate rows)."""
    out = np.zeros(len(columns[0]) if columns else 0, dtype=U64)
    for i, arr in enumerate(columns):
        h, v = hash_array(arr)
        h = np.where(v, h, NULL_HASH)
        out = splitmix64(out ^ (h + _step(i + 1)))
    return out


def _step(i: int) -> np.uint64:
    """``i`` times the golden-ratio constant, modulo 2**64 (a different offset per column)."""
    return U64((i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)


def is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


def _valid(arr: pa.Array) -> np.ndarray:
    return A.valid(arr)


def _hash_ints(values: np.ndarray) -> np.ndarray:
    return splitmix64(np.asarray(values, dtype=np.int64).view(U64) ^ _TAG_INT)


def _hash_text(arr: pa.Array) -> np.ndarray:
    """Strings by their bytes: dictionary-encode, hash each distinct string once, then gather."""
    if len(arr) == 0:
        return np.zeros(0, dtype=U64)
    if pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.large_string())
    encoded = pc.dictionary_encode(arr)
    dictionary = encoded.dictionary
    distinct = _hash_bytes(dictionary) if len(dictionary) else np.zeros(1, U64)
    indices = A.ints(encoded.indices)
    return distinct[indices]


def _hash_bytes(arr: Any) -> np.ndarray:
    """Hash of each string of a (large) string or binary array, from its offsets and bytes.

    Tabulation hashing: byte ``b`` at position ``i`` contributes a fixed random 64-bit word
    ``T[i mod 64][b]`` (plus ``i // 64`` times a constant); a string's words are XORed and
    mixed with its length. Vectorised over all bytes of the array at once.
    """
    large = pa.types.is_large_string(arr.type) or pa.types.is_large_binary(arr.type)
    buffers = arr.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if large else np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, np.uint8)
    )
    start, end = int(offsets[0]), int(offsets[-1])
    lengths = np.diff(offsets)
    starts = offsets[:-1] - start
    small: type[np.signedinteger[Any]] = np.int32 if end - start < 2**31 else np.int64
    positions: np.ndarray = np.arange(end - start, dtype=small)
    positions -= np.repeat(starts.astype(small), lengths)
    index: np.ndarray = (positions & 63) << 8
    index |= data[start:end]
    terms = _TABLE[index]
    if end - start and int(lengths.max()) > 64:
        terms += (positions >> 6).astype(U64) * np.full(1, _GOLDEN)
    sums = np.zeros(len(lengths), dtype=U64)
    nonempty = lengths > 0
    if len(terms):
        sums[nonempty] = np.bitwise_xor.reduceat(terms, np.asarray(starts[nonempty], np.int64))
    return splitmix64(sums ^ splitmix64(lengths.astype(U64) ^ _TAG_TEXT))


_TABLE = splitmix64(np.arange(64 * 256, dtype=U64) ^ U64(0x7AB1_E5EED))
