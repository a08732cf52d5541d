"""Cost of the paired statistics: every default metric with its 95% interval, at scale.

Target (issue 5): all default binary metrics (accuracy, precision, recall, f1, roc_auc,
log_loss) with 95% intervals for 1,000,000 predictions in under 2 s on 2 cores.

Two probabilistic classifiers of one truth, correlated like two versions of a model, are
compared with :func:`mlci.model.stats.paired_statistics` exactly as a run does (2,000 resamples,
seed 0). Each case is timed N times after one untimed warm-up call (which pays the one-off
imports, reported separately as "first call"); the table shows the median and the range. The
machine's load average is printed too: other processes on a shared machine slow every number.

Slices (issue 13): the same default metrics with their intervals on every slice of a grouping
(:func:`mlci.model.slice_stats.slice_evidence`, each slice's rows paired), 1,000,000 rows in
50 slices, target under 5 s; the overall case next to it shows what the machine's load does.

Usage:
    .venv/bin/python benchmarks/stats_cost.py [--rows 1000000] [--runs 5] [--slices 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

TARGET_SECONDS = 2.0
SLICES_TARGET_SECONDS = 5.0
BINARY_DEFAULTS = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"]


@dataclass(frozen=True)
class Case:
    name: str
    metrics: list[str]
    make: Callable[[int], object]
    target: float | None = None


def binary(n: int) -> object:
    from mlci.model.stats import Paired, Side

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    common = rng.normal(0, 1, n)

    def model(strength: float) -> np.ndarray:
        logit = strength * (2 * y - 1) + common + rng.normal(0, 0.7, n)
        return 1 / (1 + np.exp(-logit))

    base, cand = model(1.2), model(1.18)
    return Paired("binary", y, Side((base >= 0.5) * 1, base), Side((cand >= 0.5) * 1, cand))


def multiclass(n: int) -> object:
    from mlci.model.stats import Paired, Side

    k = 5
    rng = np.random.default_rng(0)
    y = rng.integers(0, k, n)
    common = rng.normal(0, 1, (n, k))

    def model(noise: float) -> np.ndarray:
        logits = 1.5 * np.eye(k)[y] + common + rng.normal(0, noise, (n, k))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    base, cand = model(0.8), model(0.85)
    return Paired("multiclass", y, Side(base.argmax(1), base), Side(cand.argmax(1), cand), k)


def regression(n: int) -> object:
    from mlci.model.stats import Paired, Side

    rng = np.random.default_rng(0)
    y = rng.normal(10, 3, n)
    common = rng.normal(0, 1, n)
    base = y + common + rng.normal(0, 0.5, n)
    cand = y + common + rng.normal(0.02, 0.55, n)
    return Paired("regression", y, Side(base), Side(cand))


def cases(rows: int) -> list[Case]:
    return [
        Case(f"binary, default metrics, {rows:,} rows", BINARY_DEFAULTS, binary, TARGET_SECONDS),
        Case(f"binary, accuracy + precision + recall + f1, {rows:,} rows",
             ["accuracy", "precision", "recall", "f1"], binary),
        Case(f"binary, roc_auc (DeLong), {rows:,} rows", ["roc_auc"], binary),
        Case(f"binary, log_loss (bootstrap), {rows:,} rows", ["log_loss"], binary),
        Case(f"binary, average_precision (influence), {rows:,} rows", ["average_precision"],
             binary),
        Case(f"multiclass (5 classes), default metrics, {rows:,} rows",
             ["accuracy", "balanced_accuracy", "f1", "roc_auc", "log_loss"], multiclass),
        Case(f"regression, default metrics, {rows:,} rows", ["mae", "rmse", "r2"], regression),
        Case("binary, default metrics, 10,000 rows", BINARY_DEFAULTS, binary),
    ]  # fmt: skip


def measure(case: Case, rows: int, runs: int) -> tuple[float, list[float]]:
    from mlci.model.stats import paired_statistics

    n = 10_000 if case.name.endswith("10,000 rows") else rows
    data = case.make(n)
    start = time.perf_counter()
    paired_statistics(data, case.metrics)  # type: ignore[arg-type]
    first = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        paired_statistics(data, case.metrics)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return first, times


def measure_slices(rows: int, slices: int, runs: int) -> tuple[float, list[float], list[float]]:
    """First call, wall times and CPU times of every slice's intervals, ``slices`` slices."""
    from mlci.model.slice_stats import slice_evidence
    from mlci.model.slices import SliceValues

    data = binary(rows)
    segment = np.random.default_rng(1).integers(0, slices, rows)
    order = np.argsort(segment, kind="stable")
    bounds = np.cumsum(np.bincount(segment, minlength=slices))[:-1]
    values = [
        SliceValues(("segment",), (str(i),), len(r), {"recall": 0.0}, rows=r)
        for i, r in enumerate(np.split(order, bounds))
    ]

    def once() -> None:
        slice_evidence(values, data, positions=None, n_rows=rows, metrics=BINARY_DEFAULTS)  # type: ignore[arg-type]

    start = time.perf_counter()
    once()
    first = time.perf_counter() - start
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        once()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return first, walls, cpus


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slices", type=int, default=50)
    args = parser.parse_args(argv)

    load = os.getloadavg()
    print(f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, numpy {np.__version__}; load average before: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")  # fmt: skip
    print("| case | median (s) | min | max | first call | target | |")
    print("|---|---:|---:|---:|---:|---:|---|")
    missed = False
    for case in cases(args.rows):
        first, times = measure(case, args.rows, args.runs)
        median = statistics.median(times)
        target = "" if case.target is None else f"< {case.target:g}"
        ok = "" if case.target is None else ("✅" if median < case.target else "❌")
        missed |= ok == "❌"
        print(f"| {case.name} | {median:.3f} | {min(times):.3f} | {max(times):.3f} | "
              f"{first:.3f} | {target} | {ok} |", flush=True)  # fmt: skip
    first, walls, cpus = measure_slices(args.rows, args.slices, max(1, args.runs // 2))
    median = statistics.median(walls)
    ok = "✅" if median < SLICES_TARGET_SECONDS else "❌"
    missed |= ok == "❌"
    print(f"| binary, default metrics on each of {args.slices} slices, {args.rows:,} rows | "
          f"{median:.3f} | {min(walls):.3f} | {max(walls):.3f} | {first:.3f} | "
          f"< {SLICES_TARGET_SECONDS:g} | {ok} |")  # fmt: skip
    print(f"\n(slices: CPU time {statistics.median(cpus):.3f} s, median)")
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
