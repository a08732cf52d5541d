"""Spark in local mode against one mlci process: wall time, CPU and memory of profiling.

The same 20-column Parquet file as ``benchmarks/data_scale.py`` (10 float columns with nulls,
4 integer columns, 4 categorical with 5/50/500/5,000 levels, a boolean, a label; 5M rows by
default, cached in ``$MLCI_BENCH_DIR`` or ``~/.cache/mlci-bench``) is profiled, alternately:

- **one process**: ``mlci profile FILE`` as a fresh process (start-up and reading included),
  timed with ``/usr/bin/time``: wall seconds and peak RSS;
- **Spark, files**: ``mlci.spark.profile_files(spark, FILE)`` (the executors read the row
  groups with pyarrow), and
- **Spark, DataFrame**: ``mlci.spark.profile_dataframe(spark.read.parquet(FILE))`` (Spark's
  JVM reads the file and hands Python Arrow batches), both in one local session (``local[N]``,
  N = ``--cores``) started beforehand, after one untimed run of each that starts the Python
  workers ("after JVM start"): wall seconds; CPU seconds of the JVM and the Python workers;
  peak RSS of the JVM (in local mode the executor lives in the driver's JVM) and of each
  Python worker. Executor memory is the JVM's plus one Python worker per core.

The three run in turn, ``--repeat`` times. Each run also checks both Spark profiles against
the one-process profile: rows, counts, nulls, min and max equal for every column, quantiles
within the stated rank error.

The load average is printed before every run: the figures mean little on a busy machine.

Usage::

    python benchmarks/spark_scale.py                      # 5M rows, local[2], 3 runs each
    python benchmarks/spark_scale.py --rows 1000000 --repeat 5
    python benchmarks/spark_scale.py --cores 1            # Spark on one core
    python benchmarks/spark_scale.py --ways files         # profile_files alone (its memory)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import data_scale  # noqa: E402  (the dataset, built the same way)

MLCI = str(Path(sys.executable).with_name("mlci"))
TICK = os.sysconf("SC_CLK_TCK")
WAYS = ("files", "dataframe")  # mlci.spark.profile_files, mlci.spark.profile_dataframe


# --- processes --------------------------------------------------------------------------------


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (the JVM and the Python workers it starts)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system time of the processes and of their reaped children."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / TICK


def peak_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# --- the two ways -----------------------------------------------------------------------------


def one_process(path: Path, work: Path) -> tuple[float, float, float, dict[str, Any]]:
    """(wall s, CPU s, peak MiB, profile) of `mlci profile` in a fresh process."""
    out = work / "one-process.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", MLCI, "profile", str(path), "-q", "--name", "d",
         "-o", str(out)],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"mlci profile failed: {done.stderr}")
    wall, user, system, rss = done.stderr.strip().splitlines()[-1].split()
    cpu = float(user) + float(system)
    return float(wall), cpu, int(rss) / 1024, json.loads(out.read_text())["d"]


def start_spark(cores: int, memory: str) -> Any:
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the executors' Python: this one, with mlci
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("mlci-spark-scale")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", memory)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def on_spark(spark: Any, path: Path, how: str) -> tuple[float, float, float, dict[str, Any]]:
    """(wall s, CPU s of the JVM, CPU s of the Python workers, profile) of one profile_files
    (``how="files"``) or profile_dataframe (``how="dataframe"``)."""
    from mlci.spark import profile_dataframe, profile_files

    before = split_cpu()
    start = time.perf_counter()
    if how == "files":
        profile = profile_files(spark, str(path))
    else:
        profile = profile_dataframe(spark.read.parquet(str(path)))
    wall = time.perf_counter() - start
    after = split_cpu()
    return wall, after[0] - before[0], after[1] - before[1], profile


def split_cpu() -> tuple[float, float]:
    """CPU seconds so far of the JVM, and of the Python workers (their daemon included)."""
    pids = descendants(os.getpid())
    jvm = [p for p in pids if "java" in command(p).split(" ", 1)[0]]
    return cpu_seconds(jvm), cpu_seconds([p for p in pids if p not in jvm])


def memory(spark: Any) -> tuple[float, list[float]]:
    """Peak RSS (MiB) of the JVM and of each Python worker."""
    pids = [(p, command(p)) for p in descendants(os.getpid())]
    jvm = max((peak_mib(p) for p, c in pids if "java" in c.split(" ", 1)[0]), default=0.0)
    workers = [peak_mib(p) for p, c in pids if "pyspark.daemon" in c or "pyspark.worker" in c]
    return jvm, sorted(workers, reverse=True)


# --- checks -----------------------------------------------------------------------------------


def agreement(got: dict[str, Any], want: dict[str, Any]) -> str:
    """What differs between the Spark profile and the one-process profile ('' if nothing)."""
    problems = []
    if got["rows"] != want["rows"]:
        problems.append(f"rows {got['rows']} != {want['rows']}")
    for name, column in want["columns"].items():
        mine = got["columns"].get(name, {})
        for key in ("count", "nulls", "min", "max", "logical_type"):
            if mine.get(key) != column.get(key):
                problems.append(f"{name}.{key}")
        if column["kind"] == "numeric" and column.get("finite"):
            levels = [float(q) for q in column["quantiles"]]
            a = np.asarray([mine["quantiles"][f"{q:.2f}"] for q in levels], dtype=float)
            b = np.asarray([column["quantiles"][f"{q:.2f}"] for q in levels], dtype=float)
            spread = (column["max"] - column["min"]) or 1.0
            if np.max(np.abs(a - b)) / spread > 0.01:
                problems.append(f"{name}.quantiles")
    return ", ".join(problems)


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2, help="Spark's local[N] (default 2)")
    parser.add_argument("--driver-memory", default="1g", help="the JVM's heap (default 1g)")
    parser.add_argument(
        "--ways",
        default=",".join(WAYS),
        help="the Spark functions to time, of files,dataframe (default both; one alone gives "
        "the memory of that one)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(os.environ.get("MLCI_BENCH_DIR", Path.home() / ".cache" / "mlci-bench")),
    )
    args = parser.parse_args()
    ways = [w for w in WAYS if w in args.ways.split(",")]
    path = data_scale.build(args.dir, args.rows, formats=("parquet",))["reference.parquet"]
    work = args.dir / f"work-spark-{args.rows}"
    work.mkdir(parents=True, exist_ok=True)
    print(f"{args.rows:,} rows, {path.stat().st_size / 2**20:.0f} MiB of Parquet: {path}")

    started = time.perf_counter()
    spark = start_spark(args.cores, args.driver_memory)
    partitions = spark.read.parquet(str(path)).rdd.getNumPartitions()
    print(f"Spark local[{args.cores}] started in {time.perf_counter() - started:.1f} s; "
          f"{partitions} partitions")  # fmt: skip
    for how in ways:  # untimed: starts the Python workers
        wall, _, _, _ = on_spark(spark, path, how)
        print(f"first Spark run of {how} (workers starting): {wall:.2f} s")
    one_process(path, work)  # untimed: bytecode written, file in the page cache

    ones: list[float] = []
    sparks: dict[str, list[float]] = {how: [] for how in ways}
    heads = "".join(f"| {how} | CPU: JVM | CPU: Python " for how in ways)
    print(f"\n| run | load | one process | its CPU | its peak {heads}| agree |")
    print("|---:|---:|---:|---:|---:" + "|---:|---:|---:" * len(ways) + "|---|")
    for run in range(1, args.repeat + 1):
        load = os.getloadavg()[0]
        wall_one, cpu_one, rss, whole = one_process(path, work)
        ones.append(wall_one)
        cells, problems = [], []
        for how in ways:
            wall_spark, cpu_jvm, cpu_python, profile = on_spark(spark, path, how)
            sparks[how].append(wall_spark)
            cells.append(f"{wall_spark:.2f} s | {cpu_jvm:.1f} s | {cpu_python:.1f} s")
            if differs := agreement(profile, whole):
                problems.append(f"{how}: {differs}")
        print(
            f"| {run} | {load:.2f} | {wall_one:.2f} s | {cpu_one:.1f} s | {rss:.0f} MiB "
            f"| {' | '.join(cells)} | {'; '.join(problems) or 'yes'} |",
            flush=True,
        )
    jvm, workers = memory(spark)
    spark.stop()
    print(
        f"\none process: {min(ones):.2f}-{max(ones):.2f} s "
        f"({args.rows / statistics.median(ones) / 1e6:.2f}M rows/s)"
    )
    for how, walls in sparks.items():
        ratios = [s / o for s, o in zip(walls, ones, strict=True)]
        print(
            f"Spark local[{args.cores}], {how}: {min(walls):.2f}-{max(walls):.2f} s "
            f"({args.rows / statistics.median(walls) / 1e6 / args.cores:.2f}M rows/s per core); "
            f"/ one process: {min(ratios):.2f}-{max(ratios):.2f}x "
            f"(median {statistics.median(ratios):.2f}x)"
        )
    shown = ", ".join(f"{w:.0f}" for w in workers[: args.cores + 1])
    print(
        f"memory: JVM (driver = executor, heap {args.driver_memory}) peak {jvm:.0f} MiB; "
        f"Python workers peak {shown} MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
