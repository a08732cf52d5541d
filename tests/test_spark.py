"""mlci.spark in Spark's local mode (2 cores; needs Java 17+): a DataFrame, or Parquet files
read by the executors, profiled on the executors equals `mlci profile` of the same rows in one
process, Arrow types kept (nullable integers stay integers), through a tree of merges, with
empty partitions; and the recipe of docs/spark.md runs as written.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from pyspark.sql.functions import spark_partition_id

import mlci.spark
from mlci.commands.profile import scan_file
from mlci.spark import ARROW_BATCH, _deal, profile_dataframe, profile_files

ROOT = Path(__file__).resolve().parents[1]
ROWS = 30_000
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # pyspark about pandas 3


def table(rows: int = ROWS, seed: int = 0) -> pa.Table:
    """Every kind of column Spark hands over, with nulls, at a size one process is exact."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3, 1, rows)
    amount[rng.random(rows) < 0.02] = np.nan  # NaN is a value in Spark, a null in mlci
    missing = rng.random(rows) < 0.1
    return pa.table(
        {
            "id": pa.array([f"c{i:06d}" for i in range(rows)]),
            "amount": pa.array(amount, mask=rng.random(rows) < 0.03),
            "age": pa.array(rng.integers(10, 98, rows).astype(np.int32), mask=missing),
            "visits": pa.array(rng.poisson(3, rows), mask=rng.random(rows) < 0.01),
            "plan": pa.array(rng.choice(["basic", "pro", "team"], rows), mask=missing),
            "active": pa.array(rng.random(rows) < 0.3),
            "price": pa.array(
                [Decimal(int(v)) / 100 for v in rng.integers(100, 99_999, rows)],
                pa.decimal128(7, 2),
            ),
            "joined": pa.array(rng.integers(18_000, 20_000, rows).astype(np.int32), pa.date32()),
            "seen": pa.array(
                (rng.integers(0, 10**9, rows) * 1_000_000).astype("datetime64[us]"),
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )


def assert_same_profile(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal, the moments up to rounding."""
    assert got["rows"] == want["rows"]
    assert list(got["columns"]) == list(want["columns"])
    for name, column in want["columns"].items():
        mine = got["columns"][name]
        assert list(mine) == list(column), name
        for key, value in column.items():
            if key in ("mean", "std") and value is not None:
                assert math.isclose(mine[key], value, rel_tol=1e-9), (name, key)
            elif key == "sketch" and "m2" in value:
                assert math.isclose(mine[key]["m2"], value["m2"], rel_tol=1e-9), name
                assert mine[key] | {"m2": 0} == value | {"m2": 0}, (name, key)
            else:
                assert mine[key] == value, (name, key)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rows as one Parquet file, in 3 row groups."""
    path = tmp_path_factory.mktemp("spark") / "train.parquet"
    pq.write_table(table(), path, row_group_size=ROWS // 3)
    return path


@pytest.fixture(scope="module")
def whole(data: Path) -> dict[str, Any]:
    """`mlci profile` of the file: one process."""
    profiler, _ = scan_file(data, name="train")
    return profiler.finish()


def test_a_dataframe_profile_equals_the_one_process_profile(
    spark: Any, data: Path, whole: dict[str, Any]
) -> None:
    """Through a tree of merges (12 partitions, some empty, 2 pieces per merge: 3 levels on
    the executors): the same profile, with Spark's own types (integers stay integers)."""
    df = spark.read.parquet(str(data))
    uneven = df.repartition(12, (df.visits % 5))  # hashed into 12: at most 5 hold rows
    profile = profile_dataframe(uneven, fan_in=2)
    assert_same_profile(profile, whole)
    rows = table()
    age = profile["columns"]["age"]
    assert (age["dtype"], age["logical_type"]) == ("int32", "integer")
    assert age["nulls"] == rows.column("age").null_count
    extremes = pc.min_max(rows["age"]).as_py()
    assert (age["min"], age["max"]) == (float(extremes["min"]), float(extremes["max"]))
    joined = pc.min_max(rows["joined"]).as_py()
    assert profile["columns"]["joined"]["min"] == joined["min"].isoformat()


def test_nullable_integers_give_an_integer_schema(spark: Any, tmp_path: Path) -> None:
    """`schema infer` of a Spark profile proposes `type: integer` with whole bounds."""
    rows = [(int(v) if v % 7 else None,) for v in range(10, 98)] * 10
    df = spark.createDataFrame(rows, "age int")
    (tmp_path / "p.json").write_text(json.dumps({"train": profile_dataframe(df)}))
    done = subprocess.run(
        [_mlci(), "schema", "infer", "p.json", "-o", "schema.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = (tmp_path / "schema.yml").read_text()
    assert re.search(r"\n  age:\n    type: integer +#", text), text
    assert re.search(r"\n    min: \d+ +# observed 10, ", text), text  # whole numbers
    assert re.search(r"\n    max: \d+ +# observed 97, ", text), text


def test_pieces_are_written_for_mlci_profile_merge(spark: Any, tmp_path: Path) -> None:
    """One piece per partition with rows; `mlci profile merge` of the part files (empty ones
    among them) gives the profile the function returned."""
    pq.write_table(table(2_000), tmp_path / "small.parquet")
    df = spark.read.parquet(str(tmp_path / "small.parquet")).repartition(6, "plan")  # 4 kinds
    holding = df.groupBy(spark_partition_id()).count().count()
    assert holding < 6  # empty partitions among them
    profile = profile_dataframe(df, pieces=str(tmp_path / "pieces"))
    parts = sorted((tmp_path / "pieces").glob("part-*"))
    assert len([p for p in parts if p.stat().st_size]) == holding
    done = subprocess.run(
        [_mlci(), "profile", "merge", *map(str, parts), "--name", "train", "-o", "m.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert_same_profile(json.loads((tmp_path / "m.json").read_text())["train"], profile)


def test_without_the_rdd_api_the_pieces_are_counted_first(
    spark: Any, data: Path, whole: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spark Connect has no `DataFrame.rdd`: the tree is then shaped by the number of pieces,
    counted from the cached pieces (one pass over the data all the same)."""
    monkeypatch.setattr(mlci.spark, "_partitions", lambda df: None)
    df = spark.read.parquet(str(data)).repartition(7)
    assert_same_profile(profile_dataframe(df, fan_in=3), whole)


def test_an_empty_dataframe_has_its_columns_and_no_rows(spark: Any) -> None:
    """Typed as the same columns are when they hold rows (what Spark hands mapInArrow)."""
    schema = (
        "n long, i int, x double, f float, s string, d date, t timestamp, m decimal(5,2), "
        "b boolean, a array<int>"
    )
    empty = profile_dataframe(spark.createDataFrame([], schema))
    assert (empty["rows"], [c["count"] for c in empty["columns"].values()]) == (0, [0] * 10)
    row = (1, 1, 1.0, 1.0, "s", date(2024, 1, 1), datetime(2024, 1, 1), Decimal("1.25"), True, [1])
    typed = profile_dataframe(spark.createDataFrame([row], schema))["columns"]
    for name, column in empty["columns"].items():
        keys = ("kind", "dtype", "logical_type")
        assert [column[k] for k in keys] == [typed[name][k] for k in keys], name


def test_arguments_are_checked(spark: Any) -> None:
    df = spark.createDataFrame([(1, 2)], "a int, b int")
    with pytest.raises(ValueError, match=r"^The 'fan_in' of profile_dataframe must be an"):
        profile_dataframe(df, fan_in=1)
    with pytest.raises(ValueError, match=r"^Two columns of the DataFrame are named 'a': "):
        profile_dataframe(df.select("a", "b", df.b.alias("a")))


def test_the_arrow_batch_size_is_raised_for_the_job_only(spark: Any, data: Path) -> None:
    """Bigger batches from the JVM while profiling; the session's own setting afterwards,
    unset or set."""
    df = spark.read.parquet(str(data))
    assert spark.conf.get(ARROW_BATCH, None) is None
    profile_dataframe(df)
    assert spark.conf.get(ARROW_BATCH, None) is None
    spark.conf.set(ARROW_BATCH, "5000")
    try:
        profile_dataframe(df)
        assert spark.conf.get(ARROW_BATCH) == "5000"
    finally:
        spark.conf.unset(ARROW_BATCH)


# --- profile_files ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rows of ``data`` as a folder the way Spark writes one: 4 files of uneven row
    groups, one file of no rows, a _SUCCESS marker and hidden checksum files."""
    where = tmp_path_factory.mktemp("spark-files") / "train"
    (where / "nested").mkdir(parents=True)
    rows = table()
    cuts = [0, 4_000, 13_000, 21_000, ROWS]
    for i, (start, stop) in enumerate(itertools.pairwise(cuts)):
        sub = where / "nested" if i == 3 else where
        part = rows.slice(start, stop - start)
        pq.write_table(part, sub / f"part-{i}.parquet", row_group_size=2_500 + 1_000 * i)
        (sub / f".part-{i}.parquet.crc").write_bytes(b"not parquet")
    pq.write_table(rows.slice(0, 0), where / "part-9.parquet")
    (where / "_SUCCESS").write_bytes(b"")
    return where


@pytest.mark.parametrize("tasks", [None, 1, 3, 64])
def test_files_profile_equals_the_one_process_profile(
    spark: Any, folder: Path, whole: dict[str, Any], tasks: int | None
) -> None:
    """Row groups dealt to any number of tasks (more than there are: one each), read by the
    executors: the profile of the one file of all the rows, Parquet's types kept."""
    profile = profile_files(spark, folder, tasks=tasks)
    assert_same_profile(profile, whole)
    assert profile["columns"]["age"]["dtype"] == "int32"


def test_files_are_given_as_files_globs_and_folders(
    spark: Any, folder: Path, data: Path, whole: dict[str, Any]
) -> None:
    assert_same_profile(profile_files(spark, [str(data)]), whole)
    parts = [str(folder / "part-*.parquet"), folder / "nested"]
    assert_same_profile(profile_files(spark, parts, tasks=2), whole)
    assert profile_files(spark, str(folder / "part-0.parquet"))["rows"] == 4_000


def test_only_the_columns_asked_for_are_profiled(
    spark: Any, folder: Path, whole: dict[str, Any]
) -> None:
    profile = profile_files(spark, folder, columns=["plan", "amount"])
    want = {**whole, "columns": {c: whole["columns"][c] for c in ("plan", "amount")}}
    assert_same_profile(profile, want)


def test_files_pieces_are_written_for_mlci_profile_merge(
    spark: Any, folder: Path, tmp_path: Path
) -> None:
    profile = profile_files(spark, folder, tasks=3, pieces=str(tmp_path / "pieces"))
    parts = sorted((tmp_path / "pieces").glob("part-*"))
    assert len([p for p in parts if p.stat().st_size]) == 3
    done = subprocess.run(
        [_mlci(), "profile", "merge", *map(str, parts), "--name", "train", "-o", "m.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert_same_profile(json.loads((tmp_path / "m.json").read_text())["train"], profile)


def test_files_of_no_rows_give_their_columns_and_no_rows(
    spark: Any, folder: Path, tmp_path: Path
) -> None:
    empty = profile_files(spark, folder / "part-9.parquet", pieces=str(tmp_path / "pieces"))
    assert empty["rows"] == 0
    assert list(empty["columns"]) == table().column_names
    assert all(c["count"] == 0 for c in empty["columns"].values())
    assert (tmp_path / "pieces").is_dir()


@pytest.mark.parametrize("tasks", [1, 2])
def test_files_of_different_columns_merge_as_mlci_profile_merge_does(
    spark: Any, tmp_path: Path, tasks: int
) -> None:
    """A column one file lacks counts as null there."""
    rows = table(6_000, seed=5)
    pq.write_table(rows.slice(0, 2_000), tmp_path / "a.parquet")
    pq.write_table(rows.slice(2_000).drop_columns(["plan", "seen"]), tmp_path / "b.parquet")
    want, _ = scan_file(tmp_path / "a.parquet", name="train")
    want.merge(scan_file(tmp_path / "b.parquet", name="train")[0])
    profile = profile_files(spark, tmp_path, tasks=tasks)
    assert_same_profile(profile, want.finish())
    assert profile["columns"]["plan"]["nulls"] == 4_000 + rows.column("plan")[:2_000].null_count


def test_files_problems_are_named(spark: Any, folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^No file or folder at '.*missing'\.$"):
        profile_files(spark, tmp_path / "missing")
    with pytest.raises(ValueError, match=r"^No file matches '.*\*\.pq'\.$"):
        profile_files(spark, str(folder / "*.pq"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"^No data file in the folder '.*empty'\.$"):
        profile_files(spark, tmp_path / "empty")
    (tmp_path / "notes.parquet").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"^Cannot read '.*notes\.parquet' as Parquet \("):
        profile_files(spark, tmp_path / "notes.parquet")
    pq.write_table(pa.table({"plan": [1, 2]}), tmp_path / "other.parquet")
    with pytest.raises(ValueError, match=r"^Column 'plan' is categorical in '.*' and numeric "):
        profile_files(spark, [folder / "part-0.parquet", tmp_path / "other.parquet"])
    with pytest.raises(ValueError, match=r"^No file has the column\(s\) 'nope'\.$"):
        profile_files(spark, folder, columns=["plan", "nope"])
    for tasks in (0, 1.5, True):
        with pytest.raises(ValueError, match=r"^The 'tasks' of profile_files must be an"):
            profile_files(spark, folder, tasks=tasks)  # type: ignore[arg-type]


def test_files_need_the_rdd_api(folder: Path) -> None:
    class Connect:  # a Spark Connect session: no SparkContext
        @property
        def sparkContext(self) -> Any:
            raise NotImplementedError("[NOT_IMPLEMENTED] sparkContext() is not implemented.")

    with pytest.raises(ValueError, match=r"^profile_files needs Spark's RDD API .* Profile the"):
        profile_files(Connect(), folder)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(20))
def test_row_groups_are_dealt_out_evenly(seed: int) -> None:
    """Each row group once, in file order within a task; no task holds more rows than the
    even share plus the largest row group (the greedy bound)."""
    rng = np.random.default_rng(seed)
    units = [
        (f"f{f}", g, int(rng.integers(1, 10**6)))
        for f in range(3)
        for g in range(rng.integers(1, 9))
    ]
    tasks = int(rng.integers(1, 12))
    bins = _deal(units, tasks)
    assert len(bins) == min(tasks, len(units))
    assert sorted(u for b in bins for u in b) == sorted(units)
    assert all(b == sorted(b) for b in bins)
    share = sum(u[2] for u in units) / len(bins)
    assert max(sum(u[2] for u in b) for b in bins) <= share + max(u[2] for u in units)


# --- docs/spark.md ----------------------------------------------------------------------------


def recipe_blocks() -> list[tuple[str, str]]:
    """The fenced blocks of the section "## Recipe" of docs/spark.md: (language, code)."""
    text = (ROOT / "docs" / "spark.md").read_text(encoding="utf-8")
    section = text.split("\n## Recipe", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"\n```(\w+)\n(.*?)\n```", section, flags=re.S)


def test_the_recipe_of_the_docs_runs_as_written(
    spark: Any, spark_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a project laid out as the page says: the Python block on the driver (this Spark
    session, which `getOrCreate` finds; the project is its JVM's working directory, so the
    relative paths mean the same to Spark), then the shell block with the installed `mlci`."""
    blocks = recipe_blocks()
    assert [language for language, _ in blocks] == ["yaml", "python", "bash"]
    tmp_path = spark_cwd
    (tmp_path / "data" / "train").mkdir(parents=True)
    rows = table(ROWS, seed=3)
    for i, start in enumerate(range(0, ROWS, ROWS // 3)):  # the training set, in 3 files
        pq.write_table(rows.slice(start, ROWS // 3), tmp_path / f"data/train/part-{i}.parquet")
    pq.write_table(table(5_000, seed=4), tmp_path / "data/latest.parquet")  # what CI checks
    (tmp_path / "mlci.yml").write_text(blocks[0][1] + "\n")
    monkeypatch.chdir(tmp_path)

    exec(compile(blocks[1][1], "docs/spark.md", "exec"), {"__name__": "__main__"})

    env = dict(os.environ, PATH=f"{Path(_mlci()).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", blocks[2][1]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mlci: PASS" in done.stdout  # eval drawn like train: no drift, no failed check
    profiled = json.loads((tmp_path / "train-profile.json").read_text())["train"]
    merged = json.loads((tmp_path / "merged.json").read_text())["train"]
    assert profiled["rows"] == ROWS
    assert_same_profile(merged, profiled)
    one_process, _ = scan_file(tmp_path / "data/train/part-0.parquet", name="train")
    assert list(profiled["columns"]) == list(one_process.finish()["columns"])
    schema = (tmp_path / ".mlci" / "schema.yml").read_text()
    assert re.search(r"\n  age:\n    type: integer +#", schema), schema


def _mlci() -> str:
    return str(Path(sys.executable).with_name("mlci"))
