"""Drift you can trust: false alarms on same-distribution samples, detection of real drift.

For each size (1,000 to 5,000,000 rows) and several seeds, a "reference" and a "current"
sample of the 20-column synthetic dataset of ``data_scale.py`` are drawn independently:

- **same distribution**: every drift result that warns or fails is a false alarm; the script
  prints their rate per column test, and the number of failures (which must be 0);
- **drifted** (the ``current`` copy of ``data_scale.py``): ``f0`` shifted by 0.5σ, ``f1``
  with σ × 1.5, ``c50`` with its levels reshuffled, the null rate of ``f2`` 1 % → 3 %: the
  script prints in how many seeds each is flagged (warn or fail), and how many results of
  the other 16 columns warned or failed.

Profiles and drift are computed by mlci's own streaming code, chunk by chunk, so 5M rows
need no more memory than one chunk. Drift severity is ``error`` so that "fail" is visible.

Usage::

    python benchmarks/drift_trust.py                      # 1k .. 1M rows
    python benchmarks/drift_trust.py --sizes 5000000 --seeds 2
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data_scale import chunk

from mlci.config import DriftConfig
from mlci.data.drift import DriftScan, drift_results
from mlci.data.profile import Profiler, views_of

CHUNK = 250_000
PLANTED = ("f0", "f1", "c50", "f2")  # columns with planted drift (any of their results)
SEEDS = {1_000: 100, 10_000: 40, 100_000: 10, 1_000_000: 3, 5_000_000: 2}


def profile(rows: int, seed: int, drifted: bool) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    profiler = Profiler()
    for start in range(0, rows, CHUNK):
        batch = chunk(rng, start, min(CHUNK, rows - start), drifted).to_batches()[0]
        profiler.update(views_of(batch, start))
    return profiler.finish()


def drift(reference: dict[str, Any], rows: int, seed: int, drifted: bool) -> list[Any]:
    cfg = DriftConfig(severity="error")
    rng = np.random.default_rng(seed)
    profiler, scan = Profiler(), DriftScan(reference, cfg)
    for start in range(0, rows, CHUNK):
        batch = chunk(rng, start, min(CHUNK, rows - start), drifted).to_batches()[0]
        views = views_of(batch, start)
        profiler.update(views)
        scan.update(views)
    return drift_results("current", reference, profiler.finish(), cfg, scan)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--seeds", type=int, help="seeds per size (default: more for small sizes)")
    args = parser.parse_args()
    print(
        f"{'rows':>10} {'seeds':>5} {'tests':>6} {'false warn':>10} {'false fail':>10} "
        f"{'f0 +0.5σ':>9} {'f1 σ×1.5':>9} {'c50 mix':>8} {'f2 nulls':>9} {'other':>6} {'s':>6}"
    )
    for rows in args.sizes:
        seeds = args.seeds or SEEDS.get(rows, 3)
        began = time.perf_counter()
        tests, false = 0, Counter[str]()
        found, other = Counter[str](), 0
        for seed in range(seeds):
            reference = profile(rows, 1_000 + seed, drifted=False)
            for r in drift(reference, rows, 2_000 + seed, drifted=False):
                tests += r.status != "insufficient_data"
                false[r.status] += 1
            planted: set[str] = set()
            for r in drift(reference, rows, 3_000 + seed, drifted=True):
                if r.status not in ("warn", "fail"):
                    continue
                if r.column in PLANTED:
                    planted.add(r.column)
                else:
                    other += 1
            found.update(planted)
        rate = false["warn"] / tests if tests else 0.0
        cells = [f"{found[c]}/{seeds}" for c in ("f0", "f1", "c50", "f2")]
        print(
            f"{rows:>10,} {seeds:>5} {tests:>6} {rate:>10.2%} {false['fail']:>10} "
            f"{cells[0]:>9} {cells[1]:>9} {cells[2]:>8} {cells[3]:>9} {other:>6} "
            f"{time.perf_counter() - began:>6.0f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
