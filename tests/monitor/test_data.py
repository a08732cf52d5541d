"""Production partitions read as one stream: the same profile, checks and drift as one file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.config import DatasetConfig, DriftConfig
from mlci.data.profile import profile_frame
from mlci.data.stage import run_data_stage
from mlci.errors import DataError
from mlci.monitor.data import Monitored, monitored_dataset, profile_outcome, run_monitor_data
from mlci.monitor.sources import expand
from mlci.records.format import Record

CHECKS = (
    {"column": "id", "unique": True},
    {"column": "age", "type": "integer", "min": 0, "max": 120},
    {"column": "plan", "allowed": ["basic", "pro"]},
    {"row_count": {"min": 100}},
)


def frame(n: int, seed: int, *, start: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(start, start + n),
            "age": rng.integers(18, 80, n),
            "tenure": rng.normal(10 + shift, 3, n),
            "plan": rng.choice(["basic", "pro"], n),
        }
    )


def dataset(path: Path, fmt: str = "parquet") -> DatasetConfig:
    return DatasetConfig("eval", path, fmt, None, CHECKS, DriftConfig(severity="error"))  # type: ignore[arg-type]


def monitored(root: Path, written: str) -> Monitored:
    files = expand(root / written, fmt=None, what="t", shown=written, repository=root)
    return Monitored(dataset(root / written), files)


def base_profile() -> dict[str, Any]:
    return profile_frame(frame(5000, 1))


def write_parts(root: Path, parts: list[pd.DataFrame], suffix: str = "parquet") -> None:
    (root / "logs").mkdir(parents=True)
    for i, part in enumerate(parts):
        path = root / "logs" / f"part-{i}.{suffix}"
        if suffix == "parquet":
            part.to_parquet(path, index=False)
        else:
            part.to_csv(path, index=False)


def stage_of_one_file(
    root: Path, parts: list[pd.DataFrame], base: dict[str, Any], suffix="parquet"
):
    """The oracle: the same rows in one file through the data stage of a pull request."""
    whole = root / f"whole.{suffix}"
    data = pd.concat(parts, ignore_index=True)
    data.to_parquet(whole, index=False) if suffix == "parquet" else data.to_csv(whole, index=False)
    config = _config(dataset(whole, suffix))
    return run_data_stage(config, None, against={"eval": base})


def same_profile(a: Any, b: Any, path: str = "") -> bool:
    """Equal, floats within 1e-9 relative; the mergeable sketches left out."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set(a) - {"sketch"}
        assert keys == set(b) - {"sketch"}, path
        return all(same_profile(a[k], b[k], f"{path}.{k}") for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        return all(
            same_profile(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b, strict=True))
        )
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9), path
        return True
    assert a == b, path
    return True


def _config(ds: DatasetConfig) -> Any:
    from mlci.config import Config

    return Config(name="m", path=ds.path, root=ds.path.parent, datasets={"eval": ds})


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_partitions_give_what_one_file_of_the_same_rows_gives(tmp_path: Path, suffix: str) -> None:
    parts = [frame(700, s, start=1000 * s, shift=1.5) for s in range(4)]
    parts[2].loc[5, "id"] = parts[0].loc[3, "id"]  # a duplicate id across partitions
    write_parts(tmp_path, parts, suffix)
    base = base_profile()

    [streamed] = run_monitor_data([monitored(tmp_path, "logs")], {"eval": base})
    [oracle] = stage_of_one_file(tmp_path, parts, base, suffix)

    # batches differ (per partition): counts are exact, moments equal up to float rounding,
    # the quantile sketch within its rank error
    assert same_profile(streamed.profile, oracle.profile)
    shown = lambda d: [(c.check, c.column, c.status) for c in d.checks]  # noqa: E731
    assert shown(streamed) == shown(oracle)
    for mine, theirs in zip(streamed.checks, oracle.checks, strict=True):
        if theirs.score is None:
            assert mine.score is None
        else:
            assert mine.score == pytest.approx(theirs.score, rel=1e-6, abs=1e-9), mine.column
    [unique] = [c for c in streamed.checks if c.check == "unique"]
    assert unique.status == "fail"
    assert streamed.summary.rows == 2800 and streamed.summary.path == "logs"


def test_partitions_with_promoted_types_and_missing_columns_are_unified(tmp_path: Path) -> None:
    first, second = frame(300, 1), frame(300, 2, start=300)
    second["age"] = second["age"].astype(float) + 0.0  # double in one partition
    second = second.drop(columns=["plan"])  # a column missing from a partition
    write_parts(tmp_path, [first, second])

    [out] = run_monitor_data([monitored(tmp_path, "logs")], {"eval": base_profile()})

    assert out.profile["rows"] == 600
    assert out.profile["columns"]["plan"]["nulls"] == 300
    assert out.profile["columns"]["age"]["count"] == 600


def test_a_partition_with_a_column_the_first_has_not_is_refused(tmp_path: Path) -> None:
    first, second = frame(300, 1), frame(300, 2, start=300)
    (tmp_path / "logs").mkdir()
    first.to_csv(tmp_path / "logs" / "a.csv", index=False)
    second.assign(extra=1).to_csv(tmp_path / "logs" / "b.csv", index=False)
    with pytest.raises(DataError, match=r"b.csv has column\(s\) extra that the first file"):
        run_monitor_data([monitored(tmp_path, "logs")], {"eval": base_profile()})


def test_drift_is_measured_against_the_release_profile(tmp_path: Path) -> None:
    write_parts(tmp_path, [frame(1500, 7, shift=3.0), frame(1500, 8, start=1500, shift=3.0)])

    [out] = run_monitor_data([monitored(tmp_path, "logs")], {"eval": base_profile()})

    [tenure] = [c for c in out.checks if c.check == "drift" and c.column == "tenure"]
    assert tenure.status == "fail" and tenure.score is not None and tenure.score >= 0.2
    [age] = [c for c in out.checks if c.check == "drift" and c.column == "age"]
    assert age.status == "pass"


def test_monitored_drift_fails_at_the_fail_threshold_unless_warn_is_asked() -> None:
    ds = DatasetConfig("eval", Path("x.csv"), drift=DriftConfig(severity="warn"))
    assert monitored_dataset(ds, "error").drift.severity == "error"
    assert monitored_dataset(ds, "warn").drift == ds.drift


def test_a_profile_stands_in_for_the_rows_with_the_same_drift_verdicts(tmp_path: Path) -> None:
    parts = [frame(1500, 7, shift=3.0), frame(1500, 8, start=1500, shift=0.0)]
    write_parts(tmp_path, parts)
    base = base_profile()
    [rows] = run_monitor_data([monitored(tmp_path, "logs")], {"eval": base})

    profile = json.loads(json.dumps(rows.profile))  # as a file written elsewhere holds it
    out = profile_outcome(dataset(tmp_path / "x"), profile, base, "profile.json")

    from_rows = {(c.check, c.column): c for c in rows.checks if c.check.startswith("drift")}
    from_profile = {(c.check, c.column): c for c in out.checks if c.check.startswith("drift")}
    assert from_profile.keys() == from_rows.keys()
    for key, c in from_rows.items():
        assert from_profile[key].status == c.status, key
        assert from_profile[key].score == pytest.approx(c.score, abs=0.02), key
    assert out.summary.rows == 3000
    assert not [c for c in out.checks if c.check in ("unique", "range")]  # row checks need rows


def test_no_rows_at_all_is_a_data_error(tmp_path: Path) -> None:
    write_parts(tmp_path, [frame(10, 1).iloc[:0]])
    with pytest.raises(DataError, match="hold no rows"):
        run_monitor_data([monitored(tmp_path, "logs")], {"eval": base_profile()})


def test_examples_of_a_failed_check_are_read_back_from_the_right_partition(tmp_path: Path) -> None:
    parts = [frame(300, 1), frame(300, 2, start=300)]
    parts[1].loc[17, "plan"] = "gold"
    write_parts(tmp_path, parts)

    [out] = run_monitor_data([monitored(tmp_path, "logs")], {"eval": base_profile()})

    [allowed] = [c for c in out.checks if c.check == "allowed"]
    assert allowed.status == "fail" and "gold" in " ".join(allowed.examples) + allowed.message


def test_the_record_profile_is_what_drift_reads(tmp_path: Path) -> None:
    # the release's profile as a stored record holds it (JSON round trip)
    record = Record(
        name="m",
        commit="a" * 40,
        ref="refs/tags/v1",
        created_at="2024-05-01T00:00:00Z",
        config_hash="sha256:x",
        tool_version="0",
        environment={},
        verdict="pass",
        datasets={"eval": {"profile": json.loads(json.dumps(base_profile()))}},
    )
    from mlci.data.stage import baseline_profiles

    write_parts(tmp_path, [frame(2000, 3, shift=3.0)])
    [out] = run_monitor_data([monitored(tmp_path, "logs")], baseline_profiles(record))
    assert any(c.check == "drift" and c.status == "fail" for c in out.checks)
    assert dataclasses.is_dataclass(out)
