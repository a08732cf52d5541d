"""What the budgets measured of one model: its file's size, its timings, its peak memory.

A plain value that both sides of :mod:`mlci.model.isolate` know: a pickled model is measured in
a child process (:mod:`mlci.model.child`), which sends it back as numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MB = 1_000_000


@dataclass(frozen=True)
class Measurement:
    """What was measured for one model (only the budgets asked for)."""

    size_bytes: int
    latency_ms: tuple[float, ...] = ()  # single-row timings, in repetition order
    batch_latency_ms: tuple[float, ...] = ()
    peak_memory_bytes: int | None = None
    batch_rows: int = 0

    def values(self) -> dict[str, float]:
        """``{budget name: value}`` in the budgets' units, for what was measured."""
        values = {"model_size_mb": self.size_bytes / MB}
        if self.latency_ms:
            values["latency_p95_ms"] = p95(self.latency_ms)
        if self.batch_latency_ms:
            values["batch_latency_p95_ms"] = p95(self.batch_latency_ms)
        if self.peak_memory_bytes is not None:
            values["peak_memory_mb"] = self.peak_memory_bytes / MB
        return values


def p95(samples: Sequence[float]) -> float:
    """The 95th percentile, linearly interpolated (NumPy's default)."""
    return float(np.percentile(np.asarray(samples, dtype=float), 95))
