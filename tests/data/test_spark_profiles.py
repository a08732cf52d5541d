"""Profiles beyond one machine, on Spark: each partition is profiled by mlci inside PySpark's
`mapInPandas` (local mode, 2 workers), the partition profiles are merged, and the merge equals
the profile of the whole dataset computed in one process.

Needs pyspark (the `spark` extra) and Java 17+. The recipe is the one in docs/data-at-scale.md,
section "Data validation beyond one machine".
"""

from __future__ import annotations

import io
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlci.cli import main
from mlci.commands.profile import merge_all
from mlci.data.profile import Profiler, frame_table, profile_frame

ROWS = 4_000
PARTITIONS = 4
pytestmark = [
    pytest.mark.integration,  # Spark in local mode
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


def profile_partition(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """mapInPandas: one profile per partition, as one row holding its JSON."""
    profiler = Profiler()
    for frame in frames:
        for batch in frame_table(frame).to_batches():
            profiler.update_batch(batch)
    if profiler.rows:
        yield pd.DataFrame({"profile": [json.dumps(profiler.finish())]})


def dataset() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    amount = rng.lognormal(3, 1, ROWS)
    amount[rng.random(ROWS) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "id": [f"c{i:05d}" for i in range(ROWS)],
            "amount": amount,
            "age": rng.integers(18, 90, ROWS),
            "plan": rng.choice(["basic", "pro", "team"], ROWS),
            "active": rng.random(ROWS) < 0.3,
        }
    )


def test_partition_profiles_from_spark_merge_into_the_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.fail("pyspark is not installed: pip install -e '.[spark]' (it needs Java 17+)")

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # the workers run this interpreter
    monkeypatch.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("mlci-profiles")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(PARTITIONS))
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")  # several frames each
        .getOrCreate()
    )
    try:
        df = dataset()
        sdf = spark.createDataFrame(df).repartition(PARTITIONS)
        rows = sdf.mapInPandas(profile_partition, schema="profile string").collect()
    finally:
        spark.stop()

    profiles = [json.loads(row.profile) for row in rows]
    assert len(profiles) == PARTITIONS
    assert all(p["rows"] > 0 for p in profiles)
    assert sum(p["rows"] for p in profiles) == ROWS
    merged, whole = merge_all(profiles), profile_frame(df)

    assert merged["rows"] == whole["rows"] == ROWS
    for name, column in whole["columns"].items():
        got = merged["columns"][name]
        for key in ("kind", "logical_type", "count", "nulls", "min", "max", "top", "other"):
            assert got.get(key) == column.get(key), (name, key)
    for name in ("amount", "age"):
        got, want = merged["columns"][name], whole["columns"][name]
        assert math.isclose(got["mean"], want["mean"], rel_tol=1e-12)
        assert math.isclose(got["std"], want["std"], rel_tol=1e-12)
    assert merged["columns"]["age"]["quantiles"] == whole["columns"]["age"]["quantiles"]
    assert merged["columns"]["amount"]["nulls"] == int(df["amount"].isna().sum())

    # the same profiles written as JSON lines, as a Spark job would, merge with the CLI too
    (tmp_path / "profiles.jsonl").write_text("\n".join(row.profile for row in rows) + "\n")
    out = io.StringIO()
    code = main(
        [
            "profile",
            "merge",
            str(tmp_path / "profiles.jsonl"),
            "--name",
            "train",
            "-o",
            str(tmp_path / "merged.json"),
        ],
        stdout=out,
    )
    assert code == 0, out.getvalue()
    assert json.loads((tmp_path / "merged.json").read_text())["train"] == merged
