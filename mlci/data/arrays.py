"""Arrow arrays to numpy and back through their buffers.

pyarrow's ``Array.to_numpy`` and ``pa.array`` import pandas when it is installed (to look
for pandas types), which costs about a second of start-up; the data stage needs neither, so
it converts through the buffers here: only numeric, boolean, dictionary and text arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_NUMPY: dict[pa.DataType, type[np.generic]] = {
    pa.int8(): np.int8,
    pa.int16(): np.int16,
    pa.int32(): np.int32,
    pa.int64(): np.int64,
    pa.uint8(): np.uint8,
    pa.uint16(): np.uint16,
    pa.uint32(): np.uint32,
    pa.uint64(): np.uint64,
    pa.float16(): np.float16,
    pa.float32(): np.float32,
    pa.float64(): np.float64,
    pa.date32(): np.int32,
    pa.date64(): np.int64,
}


def valid(arr: pa.Array) -> np.ndarray:
    """True where the element is not null."""
    if pa.types.is_null(arr.type):
        return np.zeros(len(arr), dtype=bool)
    if arr.null_count == 0:
        return np.ones(len(arr), dtype=bool)
    return _bits(arr.buffers()[0], arr.offset, len(arr))


def values(arr: pa.Array) -> np.ndarray:
    """The raw values of a primitive array (integers, floats, timestamps, dates) as numpy;
    null slots hold whatever the buffer has."""
    t = arr.type
    if pa.types.is_timestamp(t) or pa.types.is_duration(t):
        dtype: type[np.generic] = np.int64
    else:
        dtype = _NUMPY[t]
    data = np.frombuffer(arr.buffers()[1], dtype=dtype)
    return data[arr.offset : arr.offset + len(arr)]


def floats(arr: pa.Array) -> np.ndarray:
    """float64 values, NaN where null (numeric and boolean arrays)."""
    if pa.types.is_boolean(arr.type):
        out = booleans(arr).astype(np.float64)
    elif pa.types.is_null(arr.type):
        return np.full(len(arr), np.nan)
    else:
        raw = values(arr)
        out = raw if raw.dtype == np.float64 and arr.null_count == 0 else raw.astype(np.float64)
    if arr.null_count:
        out = np.where(valid(arr), out, np.nan)
    return out


def ints(arr: pa.Array, fill: int = 0) -> np.ndarray:
    """int64 values, ``fill`` where null (integer, timestamp and date arrays)."""
    out = values(arr).astype(np.int64)
    if arr.null_count:
        out = np.where(valid(arr), out, fill)
    return out


def booleans(arr: pa.Array) -> np.ndarray:
    """Values of a boolean array (False where null)."""
    out = _bits(arr.buffers()[1], arr.offset, len(arr))
    return out & valid(arr) if arr.null_count else out


def array(data: np.ndarray) -> pa.Array:
    """A numpy array of numbers or booleans as an Arrow array (no nulls)."""
    data = np.ascontiguousarray(data)
    if data.dtype == np.bool_:
        packed = np.packbits(data, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(data), [None, pa.py_buffer(packed)])
    t = pa.from_numpy_dtype(data.dtype)
    return pa.Array.from_buffers(t, len(data), [None, pa.py_buffer(data)])


def strings(items: Sequence[str | None]) -> pa.Array:
    """A list of strings (or None) as an Arrow string array."""
    encoded = [b"" if s is None else s.encode("utf-8") for s in items]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    large = offsets[-1] >= 2**31
    offsets = offsets.astype(np.int64 if large else np.int32)
    missing = np.fromiter((s is None for s in items), dtype=bool, count=len(items))
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little")) if missing.any() else None
    kind = pa.large_string() if large else pa.string()
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(kind, len(items), buffers, null_count=int(missing.sum()))


def indices(positions: np.ndarray | Sequence[int]) -> pa.Array:
    """Row positions as an Arrow int64 array (for ``take``)."""
    return array(np.asarray(positions, dtype=np.int64))


def _bits(buffer: pa.Buffer | None, offset: int, length: int) -> np.ndarray:
    if buffer is None:
        return np.ones(length, dtype=bool)
    raw = np.frombuffer(buffer, dtype=np.uint8)
    start, stop = offset // 8, (offset + length + 7) // 8
    bits = np.unpackbits(raw[start:stop], bitorder="little")
    first = offset % 8
    return bits[first : first + length].astype(bool)


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values, NaN once at the end: what ``np.unique`` returns, by a sort and
    a comparison of neighbours (faster, and without ``np.unique``'s import of ``numpy.ma``)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    new = ordered[1:] != ordered[:-1]
    if ordered.dtype.kind in "fc" and np.isnan(ordered[-1]):
        new &= ~(np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
    return ordered[np.concatenate([[True], new])]
