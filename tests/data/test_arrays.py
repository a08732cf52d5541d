"""Arrow arrays through their buffers, and the data path without pandas."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from mlci.data import arrays as A


@pytest.mark.parametrize(
    "arr",
    [
        pa.array([1.5, None, -2.0, 4.0]),
        pa.array([1, None, 3, 4], pa.int32()),
        pa.array([7, 8, 9, None], pa.uint16()),
        pa.array([True, None, False, True]),
        pa.array(np.arange(20, dtype=np.int64)).slice(3, 11),
        pa.array([None, 1.0] * 9).slice(5, 7),
    ],
)
def test_floats_and_valid_match_to_pylist(arr: pa.Array) -> None:
    expected = [np.nan if v is None else float(v) for v in arr.to_pylist()]
    np.testing.assert_array_equal(A.floats(arr), np.asarray(expected))
    assert A.valid(arr).tolist() == [v is not None for v in arr.to_pylist()]


def test_booleans_ints_and_round_trips() -> None:
    bools = pa.array([True, None, False, True] * 3).slice(1, 9)
    assert A.booleans(bools).tolist() == [bool(v) for v in bools.to_pylist()]
    assert A.ints(pa.array([5, None, 7]), fill=-1).tolist() == [5, -1, 7]
    assert A.array(np.array([0.5, 2.0])).to_pylist() == [0.5, 2.0]
    assert A.array(np.array([True, False, True])).to_pylist() == [True, False, True]
    assert A.strings(["a", None, "ü", ""]).to_pylist() == ["a", None, "ü", ""]
    assert A.indices([2, 0]).type == pa.int64()


def test_profiling_a_file_never_imports_pandas_or_scipy(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, None] * 50, "s": ["a", "b", None] * 50}), path)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from mlci.config import DatasetConfig, DriftConfig
        from mlci.data.checks import CheckSuite
        from mlci.data.read import scan
        from mlci.data.profile import Profiler, views_of
        from mlci.data.drift import DriftScan, drift_results
        cfg = DatasetConfig(name="d", path=Path({str(path)!r}))
        p, _ = scan(cfg, lambda s: Profiler(), lambda p, b: p.update(views_of(b, 0)))
        profile = p.finish()
        suite = CheckSuite("d", [{{"column": "s", "allowed": ["a"], "pattern": "[a-z]"}}])
        scan_ = DriftScan(profile, DriftConfig())
        drift_results("d", profile, profile, DriftConfig(), scan_)
        print(sorted(m for m in ("pandas", "scipy") if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "values",
    [
        [],
        [3.0],
        [2.0, 1.0, 2.0, np.nan, -0.0, 0.0, np.nan, np.inf, -np.inf, 1.0],
        [np.nan, np.nan],
        [5, 3, 5, 5, 1, -7],
        np.array([2**64 - 1, 0, 2**64 - 1, 7], dtype=np.uint64),
        np.random.default_rng(3).integers(0, 50, 10_000),
        np.random.default_rng(4).normal(size=1_000).round(1),
    ],
)
def test_distinct_sorted_is_what_np_unique_returns(values: object) -> None:
    array = np.asarray(values)
    got = A.distinct_sorted(array)
    expected = np.unique(array)  # the oracle
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)  # NaN equal to NaN here


def test_distinct_sorted_leaves_numpy_ma_unimported() -> None:
    code = textwrap.dedent(
        """
        import sys, numpy as np
        from mlci.data import arrays as A
        A.distinct_sorted(np.array([3.0, 1.0, 3.0, float("nan")]))
        print("numpy.ma" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
