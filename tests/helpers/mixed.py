"""A mixed dataset (every kind of column, nulls, NaN, infinities) and checks of every shape,
for tests that compare outcomes across thread counts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq


def mixed_table(rows: int, seed: int, *, drifted: bool = False) -> pa.Table:
    """Every kind of column, with nulls, NaN and infinities; ``drifted`` plants drift in
    ``x`` (+0.5σ), ``cat`` (two common levels swapped for rare ones) and ``n``'s nulls."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.5 if drifted else 0.0, 1.0, rows)
    x[rng.random(rows) < 0.001] = np.inf
    levels = np.asarray([f"level-{i:03d}" for i in range(300)])
    p = 1 / np.arange(1, 301) ** 0.9
    if drifted:
        p[[0, 1, 298, 299]] = p[[298, 299, 0, 1]]
    cat = levels[rng.choice(300, rows, p=p / p.sum())]
    start = np.datetime64("2024-01-01T00:00:00", "s")
    return pa.table(
        {
            "x": pa.array(x, mask=rng.random(rows) < 0.01),
            "n": pa.array(
                rng.poisson(4, rows), mask=rng.random(rows) < (0.05 if drifted else 0.01)
            ),
            "id": pa.array(np.arange(rows) * 7919 % 1_000_003),
            "cat": pa.array(cat, mask=rng.random(rows) < 0.02),
            "text": pa.array([f"ü-{v}" for v in rng.integers(0, 50_000, rows)]),
            "flag": pa.array(rng.random(rows) < 0.3, mask=rng.random(rows) < 0.01),
            "when": pa.array(start + rng.integers(0, 86_400 * 365, rows).astype("timedelta64[s]")),
            "same": pa.array(np.full(rows, 7)),
            "nothing": pa.nulls(rows, pa.float64()),
        }
    )


def write_mixed(table: pa.Table, stem: str) -> None:
    pq.write_table(table, f"{stem}.parquet", row_group_size=50_000)
    pcsv.write_csv(table, f"{stem}.csv")
    lines = [json.dumps(row, default=str) for row in table.slice(0, 40_000).to_pylist()]
    Path(f"{stem}.jsonl").write_text("\n".join(lines).replace("Infinity", "1e400") + "\n")


MIXED_CHECKS = """\
    checks:
      - {column: x, max_null_fraction: 0.02}
      - {column: n, min: 0, max: 100, nullable: false, severity: warn}
      - {column: id, unique: true}
      - {column: cat, allowed: [level-000, level-001, level-298, level-299],
         max_unseen_fraction: 0.9}
      - {column: text, pattern: '^ü-[0-9]+$', min_length: 3}
      - {unique_key: [id, cat]}
      - {no_duplicate_rows: true}
      - {row_count: {min: 10}}
"""
