"""Monitoring one day of logs: wall time and peak memory of `mlci monitor` on Parquet partitions.

Builds, in a cache directory (``$MLCI_BENCH_DIR``, default ``~/.cache/mlci-bench/monitor``;
nothing is committed), a git project whose release was evaluated on 200,000 rows, and a day of
production request logs of N rows split into 24 hourly Parquet partitions
(``prod/date=2024-05-01/hour=HH/part-0.parquet``): an integer request id, 8 float features (one
drifted by half a standard deviation), 2 integer features, 3 categorical features (5, 50 and
500 levels) and the served score; and delayed labels for 10 % of the requests.

For each size it runs, as one fresh process timed with ``/usr/bin/time``, ``mlci monitor
--release v1.0.0 --no-store -q``: the partitions streamed through the data stage (profile,
five constraints including the uniqueness of the id across all partitions, drift of every
column against the release's profile), and, with ``--labels``, the served scores joined with
the labels by id and the release's metrics with their intervals. Each size runs once untimed
first (bytecode written, files in the page cache), then ``--repeat`` times; the best wall time
is printed with the largest peak RSS (MiB), and the time and memory per million rows.

Usage::

    python benchmarks/monitor_scale.py                       # 1M and 10M rows, data only
    python benchmarks/monitor_scale.py --sizes 1000000 5000000 10000000 --labels --repeat 2
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PYTHON = sys.executable
MLCI = str(Path(PYTHON).with_name("mlci"))
HOURS = 24
LEVELS = {"c5": 5, "c50": 50, "c500": 500}
RELEASE_ROWS = 200_000

CONFIG = """\
name: bench-model
datasets:
  eval:
    path: data/eval.parquet
    checks:
      - {column: request_id, unique: true}
      - {column: i0, type: integer, min: 0, max: 1000}
      - {column: f0, max_null_fraction: 0.05}
      - {column: c5, allowed: [L5_0000, L5_0001, L5_0002, L5_0003, L5_0004]}
      - {row_count: {min: 1000}}
model:
  task: binary
  predictions: {path: data/preds.parquet, y_score: y_score, id: request_id}
  metrics: [accuracy, roc_auc, log_loss]
gates:
  - {metric: roc_auc, min: 0.6, max_regression: 0.02}
monitor:
  data:
    eval: {path: prod/}
  predictions: {id: request_id, y_score: score}
LABELS
"""
LABELS = "  labels: {path: labels/, y_true: churned}"


def rows(
    rng: np.random.Generator, start: int, n: int, *, drift: float
) -> tuple[pa.Table, np.ndarray]:
    """``n`` requests from id ``start``, and their true labels."""
    y = rng.integers(0, 2, n)
    cols: dict[str, pa.Array] = {"request_id": pa.array(np.arange(start, start + n))}
    for i in range(8):
        values = rng.normal(0.0, 1.0, n) + (drift if i == 0 else 0.0)
        nulls = rng.random(n) < 0.01
        cols[f"f{i}"] = pa.array(values, mask=nulls)
    cols["i0"] = pa.array(rng.integers(0, 1000, n))
    cols["i1"] = pa.array(rng.integers(0, 50, n))
    for name, k in LEVELS.items():
        levels = np.asarray([f"L{k}_{j:04d}" for j in range(k)])
        weights = 1.0 / np.arange(1, k + 1) ** 0.8
        cols[name] = pa.array(levels[rng.choice(k, n, p=weights / weights.sum())])
    score = 1.0 / (1.0 + np.exp(-(1.2 * (2 * y - 1) + rng.normal(0.0, 1.0, n))))
    cols["score"] = pa.array(score)
    return pa.table(cols), y


def project(root: Path, size: int, labels: bool) -> Path:
    """The released project and the day of logs (reused when already built)."""
    work = root / f"day-{size}{'-labels' if labels else ''}"
    if (work / ".ready").exists():
        return work
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    release, y = rows(rng, 0, RELEASE_ROWS, drift=0.0)
    (work / "data").mkdir(exist_ok=True)
    pq.write_table(release.drop(["score"]), work / "data" / "eval.parquet")
    preds = pa.table(
        {"request_id": release["request_id"], "y_true": pa.array(y), "y_score": release["score"]}
    )
    pq.write_table(preds, work / "data" / "preds.parquet")
    (work / "mlci.yml").write_text(CONFIG.replace("LABELS", LABELS if labels else ""))
    (work / ".gitignore").write_text("prod/\nlabels/\nmlci-out/\n.ready\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=work, check=True)
    subprocess.run([*git, "add", "-A"], cwd=work, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "model"], cwd=work, check=True)
    subprocess.run(
        [MLCI, "run", "-q", "--no-html", "--output-dir", "mlci-out"], cwd=work, check=True
    )
    subprocess.run(["git", "tag", "v1.0.0"], cwd=work, check=True)
    write_day(work, size, labels, rng)
    (work / ".ready").write_text("")
    return work


def write_day(work: Path, size: int, labels: bool, rng: np.random.Generator) -> None:
    per_hour = -(-size // HOURS)
    label_parts = []
    for hour in range(HOURS):
        n = min(per_hour, size - hour * per_hour)
        table, y = rows(rng, 10_000_000 + hour * per_hour, n, drift=0.5)
        folder = work / "prod" / "date=2024-05-01" / f"hour={hour:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / "part-0.parquet", row_group_size=131_072)
        keep = rng.random(n) < 0.1
        label_parts.append(
            pa.table({"request_id": table["request_id"].filter(keep), "churned": pa.array(y[keep])})
        )
    if labels:
        (work / "labels").mkdir(exist_ok=True)
        pq.write_table(pa.concat_tables(label_parts), work / "labels" / "labels.parquet")


def timed(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one fresh process."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CI")}
    env["GITHUB_ACTIONS"] = ""  # no progress lines
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *argv], cwd=cwd, capture_output=True, text=True,
        check=False, env=env,
    )  # fmt: skip
    wall, rss_kb = out.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss_kb) / 1024, out.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--labels", action="store_true", help="also join 10%% labels by id")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    base = Path(os.environ.get("MLCI_BENCH_DIR") or Path.home() / ".cache" / "mlci-bench")
    root = base / "monitor"
    load = os.getloadavg()[0]
    print(f"load average before: {load:.1f}; {os.cpu_count()} CPUs")
    print("| rows | files | size | labels | wall | peak RSS | exit |")
    print("|---:|---:|---:|---|---:|---:|---:|")
    measured = []
    for size in args.sizes:
        work = project(root, size, args.labels)
        command = [MLCI, "monitor", "--release", "v1.0.0", "--no-store", "-q"]
        timed(command, work)  # untimed: bytecode and page cache
        runs = [timed(command, work) for _ in range(args.repeat)]
        wall = min(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        code = runs[-1][2]
        data = sum(p.stat().st_size for p in (work / "prod").rglob("*.parquet"))
        print(
            f"| {size:,} | {HOURS} | {data / 2**20:,.0f} MiB | {'10%' if args.labels else 'none'} "
            f"| {wall:.1f} s | {rss:,.0f} MiB | {code} |"
        )
        measured.append((size, wall, rss))
    if len(measured) > 1:
        (n0, t0, m0), (n1, t1, m1) = measured[0], measured[-1]
        millions = (n1 - n0) / 1e6
        print(
            f"per million rows ({n0:,} to {n1:,}): {(t1 - t0) / millions:.2f} s and "
            f"{(m1 - m0) / millions:+.0f} MiB"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
