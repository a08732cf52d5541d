"""Mergeable summaries of a column: moments, quantiles, distinct count and top values.

Each summary is built from chunks, merges with another of its kind (the summary of the union
of the data), and serialises to JSON-safe values. What is exact and what is approximate:

- :class:`Moments` (count, mean, sum of squared deviations, Chan et al.): exact up to float
  rounding; merging is associative.
- :class:`Quantiles`: the values themselves while there are at most ``exact_limit`` of them
  (quantiles then match ``numpy.quantile``); beyond, a KLL sketch (Karnin, Lang, Liberty 2016)
  with parameter ``k``, whose rank error stays within :func:`rank_error_bound` (4/k).
- :class:`Distinct`: the exact set of value hashes while it has at most ``exact_limit``
  members; beyond, HyperLogLog with 2¹² registers (standard error 1.6 %). Merging takes the
  register-wise maximum, which equals the sketch of the union exactly.
- :class:`TopValues`: exact counts of every value while there are at most ``limit`` distinct
  values ("complete"); beyond, the ``limit`` most frequent with, per value, an upper bound of
  its undercount, and ``rest_max``, a bound on the count of any value not listed.

Each summary has two serialisations: ``to_json``, the compact form a stored profile keeps
(compacted with ``stored()``), and ``state``, its whole state at full precision, which
``from_state`` restores exactly: what an unfinished piece of a profile carries, so pieces
merge as if one process had seen all the data.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlci.bounded import inflate
from mlci.data import arrays as A
from mlci.data.hashing import U64

# --- moments ---------------------------------------------------------------------------------


@dataclass
class Moments:
    """Count, mean and M2 (sum of squared deviations from the mean) of finite values."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, values: np.ndarray) -> None:
        if len(values) == 0:
            return
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(np.mean(values))
            m2 = float(np.sum(np.square(values - mean)))
        self.merge(Moments(len(values), mean, m2))

    def merge(self, other: Moments) -> None:
        """Chan, Golub and LeVeque's pairwise update."""
        if other.n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.m2 = other.n, other.mean, other.m2
            return
        n = self.n + other.n
        with np.errstate(over="ignore", invalid="ignore"):
            delta = other.mean - self.mean
            self.mean = self.mean + delta * other.n / n
            self.m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        self.n = n

    @property
    def std(self) -> float | None:
        """Sample standard deviation (ddof=1); None below two values or when not finite."""
        if self.n < 2:
            return None
        value = math.sqrt(self.m2 / (self.n - 1)) if self.m2 >= 0 else float("nan")
        return value if math.isfinite(value) else None


# --- quantiles -------------------------------------------------------------------------------

QUANTILE_EXACT_LIMIT = 100_000  # values kept exactly while profiling
STORED_EXACT_LIMIT = 1_024  # values kept exactly in a stored (serialised) profile
KLL_K = 2_048  # while profiling
STORED_K = 512  # in a stored profile
_C = 2 / 3


def rank_error_bound(k: int) -> float:
    """The normalised rank error a KLL sketch with parameter ``k`` stays within: 4/k.

    KLL's error is O(1/k) with high probability (DataSketches quotes 1.65 % at 99 %
    confidence for k = 200, i.e. 3.3/k). Measured with this module's compaction schedule
    (capacities ``k·(2/3)^depth``, random offsets) over normal and exponential streams of
    20k to 1M values in chunks of 1k to 262k, the largest error of any of 4,001 rank queries
    was 3.1/k; tests/data/test_sketch.py checks the bound. k = 2,048 (while profiling):
    0.2 %; k = 512 (stored): 0.8 %.
    """
    return 4.0 / k


@dataclass
class Quantiles:
    """Exact values up to ``exact_limit``, then a KLL sketch with parameter ``k``.

    ``levels[h]`` holds sorted items of weight 2**h. In exact mode there is one level of
    weight-1 items and nothing was ever compacted.
    """

    k: int = KLL_K
    exact_limit: int = QUANTILE_EXACT_LIMIT
    seed: int = 0
    n: int = 0
    exact: bool = True
    levels: list[np.ndarray] = field(default_factory=list)
    _pending: list[np.ndarray] = field(default_factory=list)
    _rng: random.Random | None = None

    def add_sorted(self, values: np.ndarray) -> None:
        """Add finite values, sorted ascending."""
        if len(values) == 0:
            return
        self.n += len(values)
        if self.exact:
            self._pending.append(values)
            if self.n > self.exact_limit:
                self._to_sketch()
            return
        self._insert(values, 0)

    def merge(self, other: Quantiles) -> None:
        other._flush()
        self._flush()
        if other.n == 0:
            return
        if self.exact and other.exact and self.n + other.n <= self.exact_limit:
            self.n += other.n
            for h, items in enumerate(other.levels):
                while len(self.levels) <= h:
                    self.levels.append(np.zeros(0))
                self.levels[h] = _merged(self.levels[h], items)
            return
        if self.exact:
            self._to_sketch()
        self.n += other.n
        for h, items in enumerate(other.levels):
            if len(items):
                self._insert(items, h, weighted=True)

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """``(items, cumulative weights)``: items ascending, weights summing to ``n``."""
        self._flush()
        if not self.levels:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        if len(self.levels) == 1 and self.exact:
            items = self.levels[0]
            return items, np.arange(1, len(items) + 1, dtype=np.int64)
        items = np.concatenate(self.levels)
        weights = np.concatenate(
            [np.full(len(lv), 1 << h, dtype=np.int64) for h, lv in enumerate(self.levels)]
        )
        order = np.argsort(items, kind="stable")
        return items[order], np.cumsum(weights[order])

    def rank(self, x: np.ndarray) -> np.ndarray:
        """Estimated count of values ``<= x`` for each x."""
        items, cum = self.values()
        index = np.searchsorted(items, np.asarray(x, dtype=np.float64), side="right")
        padded = np.concatenate([[0], cum])
        return np.asarray(padded[index], dtype=np.float64)

    def quantiles(self, qs: Sequence[float]) -> np.ndarray:
        """Quantiles: interpolated like numpy's when exact, else the sketch's inverse CDF."""
        items, cum = self.values()
        q = np.asarray(qs, dtype=np.float64)
        if len(items) == 0:
            return np.full(len(q), np.nan)
        if self.exact:
            return weighted_quantiles(items, np.diff(np.concatenate([[0], cum])), q)
        index = np.searchsorted(cum, q * self.n, side="left")
        return np.asarray(items[np.clip(index, 0, len(items) - 1)])

    def stored(self, k: int = STORED_K, exact_limit: int = STORED_EXACT_LIMIT) -> Quantiles:
        """A copy compacted for storage: exact up to ``exact_limit`` values, else KLL(k)."""
        self._flush()
        copy = Quantiles(k=k, exact_limit=exact_limit, seed=self.seed)
        if self.exact and self.n <= exact_limit:
            copy.n, copy.levels = self.n, [lv.copy() for lv in self.levels]
            return copy
        copy.exact = False
        copy.n = self.n
        copy.levels = [lv.copy() for lv in self.levels]
        copy._compress()
        return copy

    def to_json(self) -> dict[str, Any]:
        self._flush()
        return {
            "n": self.n,
            "k": self.k,
            "exact": self.exact,
            "levels": [encode_floats(lv) for lv in self.levels],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], *, exact_limit: int = STORED_EXACT_LIMIT) -> Quantiles:
        levels = [decode_floats(text) for text in doc.get("levels", [])]
        return cls(
            k=int(doc["k"]),
            exact_limit=exact_limit,
            n=int(doc["n"]),
            exact=bool(doc["exact"]),
            levels=levels,
        )

    def state(self) -> dict[str, Any]:
        """Everything, uncompacted: ``from_state`` gives back an equal summary."""
        self._flush()
        return {
            "n": self.n,
            "k": self.k,
            "exact_limit": self.exact_limit,
            "seed": self.seed,
            "exact": self.exact,
            "levels": [_b64(zlib.compress(_le_floats(lv), 1)) for lv in self.levels],
        }

    @classmethod
    def from_state(cls, doc: dict[str, Any]) -> Quantiles:
        """The summary :meth:`state` saved.

        Raises:
            ValueError: the state is inconsistent (weights that do not add up to ``n``, an
                unsorted level).
        """
        n = int(doc["n"])
        levels = [_inflate_floats(text, n) for text in doc["levels"]]
        q = cls(
            k=int(doc["k"]),
            exact_limit=int(doc["exact_limit"]),
            seed=int(doc["seed"]),
            n=n,
            exact=bool(doc["exact"]),
            levels=levels,
        )
        weight = sum(len(lv) << h for h, lv in enumerate(levels))
        ordered = all(bool(np.all(lv[1:] >= lv[:-1])) for lv in levels)
        if weight != q.n or not ordered or q.k < 2 or q.seed < 0 or q.exact_limit < 0:
            raise ValueError("an inconsistent quantile sketch")
        return q

    # -- internals --

    def _flush(self) -> None:
        if self._pending:
            first = self.levels[0] if self.levels else np.zeros(0)
            runs = [run for run in (first, *self._pending) if len(run)]
            # runs sorted already: one is kept as it is, several merged (a stable sort merges
            # sorted runs in linear time)
            merged = runs[0] if len(runs) == 1 else np.sort(np.concatenate(runs), kind="stable")
            self.levels = [merged, *self.levels[1:]]
            self._pending = []

    @classmethod
    def from_counts(cls, keys: np.ndarray, counts: np.ndarray, *, seed: int = 0) -> Quantiles:
        """Exact ranks of values with counts: a value counted c times goes to every level h
        whose bit is set in c (weights 2**h add up to c)."""
        order = np.argsort(keys)
        keys, counts = keys[order], np.asarray(counts, dtype=np.int64)[order]
        n = int(counts.sum())
        top = int(counts.max()).bit_length() if len(counts) else 0
        levels = [keys[(counts >> h) & 1 == 1] for h in range(top)]
        return cls(exact_limit=max(n, QUANTILE_EXACT_LIMIT), seed=seed, n=n, levels=levels)

    def _to_sketch(self) -> None:
        self._flush()
        self._random()  # seeded from the values, before they move
        self.exact = False
        levels, self.levels = self.levels, []
        for h, items in enumerate(levels):
            if len(items):
                self._insert(items, h, weighted=h > 0)

    def _random(self) -> random.Random:
        """The compaction coins: seeded by ``seed`` and the values held when first needed.

        The same data gives the same sketch; pieces of one dataset profiled apart (same
        ``seed``, other values) compact independently, so their errors do not add up when
        they are merged.
        """
        if self._rng is None:
            digest = hashlib.sha256(f"{self.seed}:{self.n}".encode())
            for level in self.levels:
                digest.update(np.ascontiguousarray(level, dtype="<f8").tobytes())
            # Python's generator: numpy.random would cost its import (~6 ms) for a few coins
            self._rng = random.Random(int.from_bytes(digest.digest()[:16], "little"))
        return self._rng

    def _insert(self, items: np.ndarray, h: int, weighted: bool = False) -> None:
        """Add sorted items at level h; a long run is first thinned to about k items."""
        if not weighted:
            items, h = self._thin(items)
        while len(self.levels) <= h:
            self.levels.append(np.zeros(0))
        self.levels[h] = _merged(self.levels[h], items)
        self._compress()

    def _thin(self, items: np.ndarray) -> tuple[np.ndarray, int]:
        """Keep every 2**j-th item of a sorted run (random start): rank error at most 2**j.

        The first ``len % 2**j`` items stay at weight 1 so the total weight is exact.
        """
        j = max(0, math.floor(math.log2(max(1, len(items) / self.k))))
        if j == 0:
            return items, 0
        step = 1 << j
        rest = len(items) % step
        if rest:
            self._insert(items[:rest], 0, weighted=True)
        start = self._random().randrange(step)
        return items[rest + start :: step], j

    def _capacity(self, h: int) -> int:
        depth = len(self.levels) - 1 - h
        return max(2, int(self.k * _C**depth))

    def _compress(self) -> None:
        h = 0
        while h < len(self.levels):
            level = self.levels[h]
            if len(level) > self._capacity(h):
                keep = level[:0]
                if len(level) % 2:
                    first = bool(self._random().getrandbits(1))
                    keep, level = (level[:1], level[1:]) if first else (level[-1:], level[:-1])
                promoted = level[self._random().getrandbits(1) :: 2]
                self.levels[h] = keep
                if h + 1 == len(self.levels):
                    self.levels.append(np.zeros(0))
                self.levels[h + 1] = _merged(self.levels[h + 1], promoted)
            h += 1


def weighted_quantiles(keys: np.ndarray, counts: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Quantiles of sorted ``keys`` each repeated ``counts`` times, interpolated linearly
    between order statistics exactly as ``numpy.quantile(..., method="linear")``."""
    cum = np.cumsum(counts)
    n = int(cum[-1])
    position = np.asarray(qs, dtype=np.float64) * (n - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, n - 1)
    a = keys[np.searchsorted(cum, low, side="right")]
    b = keys[np.searchsorted(cum, high, side="right")]
    t = position - low
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.where(t >= 0.5, b - (b - a) * (1 - t), a + (b - a) * t)
    return np.where(a == b, a, out)


def _merged(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A level ``a`` and new items ``b``, both ascending, as one: no sort when one is empty (a
    copy of ``b``, which may be a view of another level), else a stable sort, which merges two
    sorted runs in linear time (the default sort would treat them as unsorted)."""
    if len(a) == 0:
        return b.copy()
    if len(b) == 0:
        return a
    return np.sort(np.concatenate([a, b]), kind="stable")


def _union(ordered: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The sorted distinct values of two sorted arrays of distinct values (the values of
    ``new`` not in ``ordered`` inserted in place: no sort of the whole set per batch)."""
    if len(ordered) == 0:
        return new
    at = np.searchsorted(ordered, new)
    known = ordered[np.minimum(at, len(ordered) - 1)] == new
    if known.all():
        return ordered
    return np.insert(ordered, at[~known], new[~known])


def ks_distance(a: Quantiles, b: Quantiles) -> float | None:
    """Kolmogorov-Smirnov distance of two summaries: sup |F_a - F_b| over both item sets.

    Exact when both are exact; otherwise within the sum of their rank errors.
    """
    if a.n == 0 or b.n == 0:
        return None
    xa, _ = a.values()
    xb, _ = b.values()
    grid = np.concatenate([xa, xb])
    return float(np.max(np.abs(a.rank(grid) / a.n - b.rank(grid) / b.n)))


# --- distinct count --------------------------------------------------------------------------

DISTINCT_EXACT_LIMIT = 100_000  # hashes kept exactly while profiling
STORED_DISTINCT_LIMIT = 256  # hashes kept exactly in a stored profile
HLL_P = 12
_HLL_M = 1 << HLL_P
# below 3m distinct values linear counting is the better estimator (measured: the raw HLL
# estimate is biased by +2.7 % at 2.5m and +0.6 % at 3.7m; linear counting is unbiased)
_LINEAR_COUNTING_THRESHOLD = 3 * _HLL_M


@dataclass
class Distinct:
    """Exact set of uint64 hashes up to ``exact_limit``, then HyperLogLog (p = 12)."""

    exact_limit: int = DISTINCT_EXACT_LIMIT
    hashes: np.ndarray | None = field(default_factory=lambda: np.zeros(0, dtype=U64))
    registers: np.ndarray | None = None

    @property
    def exact(self) -> bool:
        return self.hashes is not None

    def add(self, hashes: np.ndarray) -> None:
        """Add value hashes (any order, repeats allowed)."""
        if len(hashes) == 0:
            return
        if self.hashes is not None:
            self.hashes = _union(self.hashes, A.distinct_sorted(hashes))
            if len(self.hashes) > self.exact_limit:
                self._to_hll()
            return
        self._update(hashes)

    def merge(self, other: Distinct) -> None:
        if other.hashes is not None:
            self.add(other.hashes)
            return
        assert other.registers is not None
        if self.hashes is not None:
            self._to_hll()
        assert self.registers is not None
        np.maximum(self.registers, other.registers, out=self.registers)

    def estimate(self) -> int:
        if self.hashes is not None:
            return len(self.hashes)
        assert self.registers is not None
        m = float(_HLL_M)
        zeros = int(np.count_nonzero(self.registers == 0))
        if zeros:
            linear = m * math.log(m / zeros)
            if linear <= _LINEAR_COUNTING_THRESHOLD:
                return round(linear)
        alpha = 0.7213 / (1 + 1.079 / m)
        raw = alpha * m * m / float(np.sum(np.power(2.0, -self.registers.astype(np.float64))))
        return round(raw)

    def stored(self, exact_limit: int = STORED_DISTINCT_LIMIT) -> Distinct:
        copy = Distinct(exact_limit=exact_limit)
        if self.hashes is not None and len(self.hashes) <= exact_limit:
            copy.hashes = self.hashes.copy()
            return copy
        copy.hashes = None
        copy.registers = self._registers_of_all()
        return copy

    def to_json(self) -> dict[str, Any]:
        if self.hashes is not None:
            return {"exact": True, "hashes": _b64(self.hashes.astype("<u8").tobytes())}
        assert self.registers is not None
        packed = zlib.compress(self.registers.astype(np.uint8).tobytes(), 9)
        return {"exact": False, "p": HLL_P, "registers": _b64(packed)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Distinct:
        if doc.get("exact"):
            raw = base64.b64decode(doc["hashes"])
            return cls(exact_limit=STORED_DISTINCT_LIMIT, hashes=np.frombuffer(raw, "<u8").copy())
        registers = np.frombuffer(
            inflate(base64.b64decode(doc["registers"]), limit=_HLL_M), np.uint8
        )
        return cls(exact_limit=STORED_DISTINCT_LIMIT, hashes=None, registers=registers.copy())

    def state(self) -> dict[str, Any]:
        """Everything: the hashes while exact (up to ``exact_limit``), else the registers."""
        doc: dict[str, Any] = {"exact_limit": self.exact_limit}
        if self.hashes is not None:
            doc["hashes"] = _b64(self.hashes.astype("<u8").tobytes())
        else:
            assert self.registers is not None
            doc["registers"] = _b64(zlib.compress(self.registers.astype(np.uint8).tobytes(), 1))
        return doc

    @classmethod
    def from_state(cls, doc: dict[str, Any]) -> Distinct:
        """The summary :meth:`state` saved.

        Raises:
            ValueError: the registers are not 2¹² bytes of ranks.
        """
        limit = int(doc["exact_limit"])
        if "hashes" in doc:
            raw = base64.b64decode(doc["hashes"], validate=True)
            hashes = np.frombuffer(raw, "<u8").astype(U64)
            return cls(exact_limit=limit, hashes=A.distinct_sorted(hashes))
        raw, _ = _inflate(doc["registers"], _HLL_M + 1)
        registers = np.frombuffer(raw, np.uint8).copy()
        if len(registers) != _HLL_M or int(registers.max()) > 64 - HLL_P + 1:
            raise ValueError("inconsistent distinct-count registers")
        return cls(exact_limit=limit, hashes=None, registers=registers)

    def _registers_of_all(self) -> np.ndarray:
        if self.registers is not None:
            return self.registers.copy()
        sketch = Distinct(exact_limit=0, hashes=None, registers=np.zeros(_HLL_M, np.uint8))
        sketch._update(self.hashes if self.hashes is not None else np.zeros(0, U64))
        assert sketch.registers is not None
        return sketch.registers

    def _to_hll(self) -> None:
        known = self.hashes if self.hashes is not None else np.zeros(0, U64)
        self.hashes = None
        self.registers = np.zeros(_HLL_M, dtype=np.uint8)
        self._update(known)

    def _update(self, hashes: np.ndarray) -> None:
        assert self.registers is not None
        if len(hashes) == 0:
            return
        index = (hashes >> U64(64 - HLL_P)).astype(np.int64)
        rest = hashes & U64((1 << (64 - HLL_P)) - 1)
        # position of the first 1-bit in the (64 - p)-bit remainder (frexp: its bit length)
        _, bit_length = np.frexp(rest.astype(np.float64))
        rank = (64 - HLL_P + 1) - bit_length.astype(np.uint32)
        # the largest rank per register (unbuffered, so repeated registers keep their maximum)
        np.maximum.at(self.registers, index, rank.astype(np.uint8))


# --- top values (heavy hitters) --------------------------------------------------------------

VALUES_LIMIT = 100_000  # distinct values counted exactly while profiling
STORED_VALUES = 1_000  # values kept in a stored profile


@dataclass
class TopValues:
    """Value counts: exact while complete, else the most frequent with error bounds.

    ``keys`` is an Arrow array of distinct values (strings, or float64 for numeric columns);
    ``counts[i]`` is a lower bound of the count of ``keys[i]`` and ``counts[i] + errors[i]``
    an upper bound. A value not listed occurred at most ``rest_max`` times. While
    ``rest_max`` is 0 the summary is complete: every value is listed with its exact count.
    Merging two summaries (Agarwal et al.'s mergeable summaries, top-k form): counts add; a
    value listed on one side only may have had up to the other side's ``rest_max``.
    """

    keys: pa.Array
    counts: np.ndarray
    errors: np.ndarray
    rest_max: int = 0
    limit: int = VALUES_LIMIT

    @classmethod
    def empty(cls, value_type: pa.DataType, limit: int = VALUES_LIMIT) -> TopValues:
        zeros = np.zeros(0, dtype=np.int64)
        return cls(_keys([], value_type), zeros, zeros.copy(), 0, limit)

    @property
    def complete(self) -> bool:
        return self.rest_max == 0

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def add_counts(self, keys: pa.Array, counts: np.ndarray) -> None:
        """Add the exact counts of one chunk (distinct, non-null keys)."""
        counts = np.asarray(counts, dtype=np.int64)
        self.merge(TopValues(keys, counts, np.zeros(len(counts), np.int64), 0, self.limit))

    def merge(self, other: TopValues) -> None:
        if len(other.keys) == 0 and other.rest_max == 0:
            return
        mine = len(self.keys)
        keys = pa.concat_arrays([self.keys, other.keys.cast(self.keys.type)])
        encoded = pc.dictionary_encode(keys)
        index = A.ints(encoded.indices)
        size = len(encoded.dictionary)
        counts = np.concatenate([self.counts, other.counts])
        errors = np.concatenate([self.errors, other.errors])
        summed = np.bincount(index, weights=counts, minlength=size).astype(np.int64)
        error = np.bincount(index, weights=errors, minlength=size).astype(np.int64)
        in_mine = np.bincount(index[:mine], minlength=size) > 0
        in_other = np.bincount(index[mine:], minlength=size) > 0
        error += np.where(in_mine, 0, self.rest_max) + np.where(in_other, 0, other.rest_max)
        self.keys, self.counts, self.errors = encoded.dictionary, summed, error
        self.rest_max += other.rest_max
        if len(self.keys) > self.limit:
            self.truncate(self.limit)

    def truncate(self, size: int) -> None:
        """Keep the ``size`` values with the largest counts; the others bound ``rest_max``."""
        order = self.order()
        kept, dropped = order[:size], order[size:]
        if len(dropped):
            upper = self.counts[dropped] + self.errors[dropped]
            self.rest_max = max(self.rest_max, int(upper.max()))
        self.keys = self.keys.take(A.indices(kept))
        self.counts = self.counts[kept]
        self.errors = self.errors[kept]

    def order(self) -> np.ndarray:
        """Indices by count descending, then by value ascending."""
        if len(self.keys) == 0:
            return np.zeros(0, dtype=np.int64)
        if pa.types.is_floating(self.keys.type):
            return np.lexsort((A.floats(self.keys), -self.counts))
        # text: Arrow compares UTF-8 bytes, which order as Python orders the strings (code
        # points), without making a Python string of every value
        table = pa.table({"count": A.array(self.counts), "key": self.keys})
        ranked = pc.sort_indices(table, [("count", "descending"), ("key", "ascending")])
        return A.ints(ranked)

    def items(self, limit: int | None = None) -> list[tuple[Any, int, int]]:
        """``(value, count, error)`` by count descending, then value (the first ``limit``)."""
        order = self.order()[:limit]
        keys = self.keys.take(A.indices(order)).to_pylist()
        counts, errors = self.counts[order].tolist(), self.errors[order].tolist()
        return list(zip(keys, counts, errors, strict=True))

    def stored(self, size: int = STORED_VALUES) -> TopValues:
        copy = TopValues(self.keys, self.counts.copy(), self.errors.copy(), self.rest_max)
        if len(copy.keys) > size:
            copy.truncate(size)
        return copy

    def to_json(self) -> dict[str, Any]:
        items = self.items()
        doc: dict[str, Any] = {
            "complete": self.complete,
            "counts": [[json_scalar(key), count] for key, count, _ in items],
        }
        if not self.complete:
            doc["errors"] = [error for _, _, error in items]
            doc["rest_max"] = self.rest_max
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any], value_type: pa.DataType) -> TopValues:
        pairs = doc.get("counts", [])
        errors = doc.get("errors") or [0] * len(pairs)
        return cls(
            _keys([k for k, _ in pairs], value_type),
            np.asarray([c for _, c in pairs], dtype=np.int64),
            np.asarray(errors, dtype=np.int64),
            int(doc.get("rest_max", 0)),
        )

    def state(self) -> dict[str, Any]:
        """Everything: every listed value (up to ``limit``) with its count and error bound."""
        floating = pa.types.is_floating(self.keys.type)
        return {
            "limit": self.limit,
            "rest_max": self.rest_max,
            "keys": encode_floats(A.floats(self.keys)) if floating else self.keys.to_pylist(),
            "counts": encode_ints(self.counts),
            "errors": encode_ints(self.errors),
        }

    @classmethod
    def from_state(cls, doc: dict[str, Any], value_type: pa.DataType) -> TopValues:
        """The summary :meth:`state` saved, its keys of ``value_type`` (float64 or text).

        Raises:
            ValueError: keys, counts and errors differ in length, or a count is negative.
        """
        raw = doc["keys"]
        if pa.types.is_floating(value_type):
            keys = A.array(decode_floats(raw))
        elif isinstance(raw, list) and all(isinstance(k, str) for k in raw):
            keys = A.strings(raw)
        else:
            raise ValueError("text values that are not text")
        counts, errors = decode_ints(doc["counts"]), decode_ints(doc["errors"])
        rest_max = int(doc["rest_max"])
        sizes = {len(keys), len(counts), len(errors)}
        if len(sizes) != 1 or rest_max < 0 or (len(counts) and int(counts.min()) < 0):
            raise ValueError("inconsistent value counts")
        return cls(keys, counts, errors, rest_max, int(doc["limit"]))


def _keys(items: Sequence[Any], value_type: pa.DataType) -> pa.Array:
    if pa.types.is_floating(value_type):
        return A.array(np.asarray(items, dtype=np.float64))
    return A.strings([str(k) for k in items])


def json_scalar(value: Any) -> Any:
    """An integral float as an int (``3.0`` -> ``3``), for shorter, friendlier JSON."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


# --- encoding --------------------------------------------------------------------------------


def encode_floats(values: np.ndarray) -> str:
    """Base64 of little-endian float64s: exact, and ~11 characters per value in JSON."""
    return _b64(np.asarray(values, dtype="<f8").tobytes())


def decode_floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f8").astype(np.float64)


def _le_floats(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype="<f8").tobytes()


def _inflate_floats(text: str, most: int) -> np.ndarray:
    """The floats of a zlib-compressed level of at most ``most`` values (bounded: a corrupt
    or hostile piece cannot make it inflate further)."""
    raw, rest = _inflate(text, 8 * most + 8)
    if rest or len(raw) > 8 * most or len(raw) % 8:
        raise ValueError("a quantile sketch level of more values than the sketch holds")
    return np.frombuffer(raw, dtype="<f8").astype(np.float64)


def _inflate(text: str, most: int) -> tuple[bytes, bool]:
    """Up to ``most`` bytes of zlib-compressed base64, and whether more were left.

    Raises:
        ValueError: not base64 of zlib data.
    """
    unpack = zlib.decompressobj()
    try:
        raw = unpack.decompress(base64.b64decode(text, validate=True), most)
    except zlib.error as exc:
        raise ValueError(f"corrupt compressed data ({exc})") from None
    return raw, bool(unpack.unconsumed_tail)


def encode_ints(values: np.ndarray) -> str:
    """Base64 of little-endian int64s."""
    return _b64(np.asarray(values, dtype="<i8").tobytes())


def decode_ints(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text, validate=True), dtype="<i8").astype(np.int64)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
