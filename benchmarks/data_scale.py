"""Data validation at scale: wall time and peak memory of profile + drift + ten constraints.

Builds synthetic 20-column datasets (10 float columns with nulls, 4 integer columns (one a
unique id), 4 categorical columns with 5/50/500/5,000 levels, 1 boolean, 1 label) of 100k,
1M and 5M rows as Parquet and CSV in a cache directory (``$MLCI_BENCH_DIR``, default
``~/.cache/mlci-bench``; nothing is committed), each with a "reference" copy and a drifted
"current" copy: ``f0`` shifted by 0.5σ, ``f1`` with σ × 1.5, ``c50`` with its two most
common levels swapped for two rare ones, and the null rate of ``f2`` tripled (1 % → 3 %).

For each size and format it runs, each as one fresh process timed with ``/usr/bin/time``:

- **mlci**: ``mlci validate --config bench.yml --against reference-profile.json -q`` (the
  reference profile is written once beforehand by ``mlci validate --save-profiles``, as a
  record would hold it): reading, profile, drift of every column and ten constraints;
- **pandas+scipy**: the same work written plainly (``pd.read_*``, ``describe``,
  ``value_counts``, ``np.histogram`` over the reference deciles, ``jensenshannon``,
  ``chi2_contingency``, the ten constraints as pandas expressions).

With ``--peer-python PATH`` (an interpreter with ``duckdb`` and ``polars`` installed: they are
no dependencies of mlci, so put them in a throwaway venv) it also times profiling alone, each
as one fresh process measured the same way:

- **mlci profile**: ``mlci validate`` of a config without checks, ``--against`` an empty
  profile file: reading and the profile (no drift, no constraints);
- **duckdb**: ``SUMMARIZE SELECT * FROM read_parquet(...)`` (``read_csv_auto`` for CSV):
  per column min, max, approximate distinct count, mean, std, quartiles, count, null %;
- **polars**: ``pl.read_parquet``/``pl.read_csv``, ``describe()`` (count, null count, mean,
  std, min, quartiles, max per column) and ``n_unique()`` of every column;

and prints the ratio of mlci's wall time to the fastest peer's.

Usage::

    python benchmarks/data_scale.py                 # 100k and 1M, Parquet and CSV
    python benchmarks/data_scale.py --sizes 5000000 --formats csv
    python benchmarks/data_scale.py --repeat 3      # best of three
    python benchmarks/data_scale.py --peer-python /tmp/peers-venv/bin/python  # + DuckDB, Polars
    python benchmarks/data_scale.py --widths 10 20 40   # cost per column (profile only)

Each command runs once untimed first (bytecode written, file in the page cache, as on a
runner that just checked the data out), then ``--repeat`` times; the best wall time is
printed with the largest peak RSS (MiB) of those runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
MLCI = str(Path(PYTHON).with_name("mlci"))
CHUNK = 500_000
LEVELS = {"c5": 5, "c50": 50, "c500": 500, "c5000": 5_000}

# --- the synthetic data ----------------------------------------------------------------------


def _levels(n: int) -> np.ndarray:
    return np.asarray([f"L{n}_{i:04d}" for i in range(n)])


def _zipf_probabilities(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** 0.8
    return weights / weights.sum()


def chunk(rng: np.random.Generator, start: int, rows: int, drifted: bool) -> pa.Table:
    """One chunk of the dataset; ``drifted`` plants the drift of the current copy."""
    cols: dict[str, pa.Array] = {}
    for i in range(10):
        loc, scale = 10.0 * i, 1.0 + i
        if drifted and i == 0:
            loc += 0.5 * scale
        if drifted and i == 1:
            scale *= 1.5
        values = rng.normal(loc, scale, rows)
        null_rate = 0.01 if i == 2 else 0.002 * (i + 1)
        if drifted and i == 2:
            null_rate = 0.03
        mask = rng.random(rows) < null_rate
        cols[f"f{i}"] = pa.array(values, mask=mask)
    cols["i0"] = pa.array(rng.integers(18, 91, rows))
    cols["i1"] = pa.array(rng.poisson(3.0, rows))
    cols["i2"] = pa.array(rng.integers(0, 1_000_000, rows))
    cols["i3"] = pa.array(np.arange(start, start + rows) * 7919 % 1_000_000_007)  # a unique id
    for name, n in LEVELS.items():
        p = _zipf_probabilities(n)
        if drifted and name == "c50":
            p = p.copy()
            p[[0, 1, 48, 49]] = p[[48, 49, 0, 1]]
        index = rng.choice(n, size=rows, p=p)
        cols[name] = pa.array(_levels(n)[index])
    cols["flag"] = pa.array(rng.random(rows) < 0.3)
    cols["label"] = pa.array((rng.random(rows) < 0.2).astype(np.int64))
    return pa.table(cols)


def build(directory: Path, rows: int) -> dict[str, Path]:
    """Write reference and current copies as Parquet and CSV (skips files already there)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for copy, drifted, seed in (("reference", False, 1), ("current", True, 2)):
        parquet = directory / f"{copy}-{rows}.parquet"
        csv = directory / f"{copy}-{rows}.csv"
        paths[f"{copy}.parquet"], paths[f"{copy}.csv"] = parquet, csv
        if parquet.exists() and csv.exists():
            continue
        rng = np.random.default_rng(seed)
        writer: pq.ParquetWriter | None = None
        with pa.OSFile(str(csv), "wb") as sink:
            csv_writer: pcsv.CSVWriter | None = None
            for start in range(0, rows, CHUNK):
                table = chunk(rng, start, min(CHUNK, rows - start), drifted)
                if writer is None:
                    writer = pq.ParquetWriter(parquet, table.schema)
                    csv_writer = pcsv.CSVWriter(sink, table.schema)
                writer.write_table(table, row_group_size=CHUNK)
                assert csv_writer is not None
                csv_writer.write_table(table)
            if csv_writer is not None:
                csv_writer.close()
        if writer is not None:
            writer.close()
    return paths


# --- what is checked ----------------------------------------------------------------------

CHECKS = [
    {"column": "f0", "type": "number", "max_null_fraction": 0.05},
    {"column": "f3", "min": -100, "max": 200},
    {"column": "i0", "type": "integer", "min": 0, "max": 120},
    {"column": "i1", "nullable": False},
    {"column": "i3", "unique": True},
    {"column": "c5", "allowed": [f"L5_{i:04d}" for i in range(5)]},
    {"column": "c50", "max_null_fraction": 0.01},
    {"column": "c5000", "min_length": 3, "max_length": 12},
    {"column": "flag", "type": "boolean"},
    {"row_count": {"min": 1000}},
]


def config_text(path: Path, checks: list[object] | None = CHECKS) -> str:
    text = f"version: 1\nname: bench\ndatasets:\n  current:\n    path: {path}\n"
    return text + (f"    checks: {json.dumps(checks)}\n" if checks else "")


PANDAS_SCRIPT = r"""
import json, sys
import numpy as np, pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency

path, reference = sys.argv[1], json.load(open(sys.argv[2]))
df = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
results = []
# profile
numeric = df.select_dtypes("number")
profile = {
    "describe": numeric.describe(percentiles=[i / 20 for i in range(1, 20)]).to_dict(),
    "nulls": df.isna().sum().to_dict(),
    "distinct": df.nunique().to_dict(),
    "top": {c: df[c].value_counts().head(20).to_dict()
            for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])},
}
# drift of every column against the reference deciles / categories
for name, ref in reference.items():
    s = df[name]
    if ref["kind"] == "numeric":
        edges = [-np.inf, *ref["edges"], np.inf]
        counts, _ = np.histogram(s.dropna(), bins=edges)
        base = np.asarray(ref["counts"])
    else:
        counts = s.astype(str).value_counts()
        base = np.asarray(list(ref["counts"].values()))
        counts = np.asarray([counts.get(k, 0) for k in ref["counts"]])
    js = jensenshannon(base, counts, base=2)
    keep = (base + counts) > 0
    p = chi2_contingency(np.vstack([base[keep], counts[keep]]))[1]
    null_rate = s.isna().mean()
    results.append((name, float(js), float(p), float(null_rate)))
# ten constraints
f0 = df["f0"]
checks = [
    pd.api.types.is_float_dtype(f0) and f0.isna().mean() <= 0.05,
    bool(df["f3"].dropna().between(-100, 200).all()),
    pd.api.types.is_integer_dtype(df["i0"]) and bool(df["i0"].between(0, 120).all()),
    not df["i1"].isna().any(),
    not df["i3"].duplicated().any(),
    bool(df["c5"].dropna().isin([f"L5_{i:04d}" for i in range(5)]).all()),
    df["c50"].isna().mean() <= 0.01,
    bool(df["c5000"].dropna().str.len().between(3, 12).all()),
    pd.api.types.is_bool_dtype(df["flag"]),
    len(df) >= 1000,
]
drifted = sum(js >= 0.1 for _, js, _, _ in results)
print(sum(checks), "of", len(checks), "constraints passed;", drifted, "columns drifted")
"""


# Peers profile the file with their own engines; each runs with --peer-python's interpreter.
DUCKDB_SCRIPT = r"""
import sys
import duckdb

path = sys.argv[1]
reader = "read_parquet" if path.endswith(".parquet") else "read_csv_auto"
quoted = path.replace("'", "''")
summary = duckdb.sql(f"SUMMARIZE SELECT * FROM {reader}('{quoted}')").fetchall()
print(len(summary), "columns,", summary[0][10], "rows")
"""

POLARS_SCRIPT = r"""
import sys
import polars as pl

path = sys.argv[1]
df = pl.read_parquet(path) if path.endswith(".parquet") else pl.read_csv(path)
summary = df.describe()  # count, null_count, mean, std, min, 25%, 50%, 75%, max
distinct = df.select(pl.all().n_unique())
print(summary.width - 1, "columns,", df.height, "rows")
"""

PEERS = {"duckdb": DUCKDB_SCRIPT, "polars": POLARS_SCRIPT}


def check_peer_python(python: str) -> None:
    """Stop with one clear line unless ``python`` imports every peer."""
    probe = subprocess.run(
        [python, "-c", "import " + ", ".join(PEERS)], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        raise SystemExit(
            f"--peer-python {python} cannot import {' and '.join(PEERS)}; make a throwaway venv "
            "with them, e.g. `uv venv /tmp/peers-venv && uv pip install --python "
            "/tmp/peers-venv/bin/python duckdb polars`."
        )


def reference_summary(reference_profile: dict, path: Path) -> Path:
    """The reference's decile bins and category counts, for the pandas script."""
    summary = {}
    for name, col in reference_profile["columns"].items():
        if col["kind"] == "numeric":
            summary[name] = {"kind": "numeric", **{k: col["bins"][k] for k in ("edges", "counts")}}
        elif col["kind"] in ("categorical", "boolean"):
            summary[name] = {"kind": "categorical", "counts": dict(col["top"])}
    path.write_text(json.dumps(summary))
    return path


# --- measuring ----------------------------------------------------------------------------


def timed(argv: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stdout) of one fresh process."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CI")}
    env["GITHUB_ACTIONS"] = ""  # no progress lines
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *argv], cwd=cwd, capture_output=True, text=True,
        check=False, env=env,
    )  # fmt: skip
    last = out.stderr.strip().splitlines()[-1]
    wall, rss_kb = last.split()
    return float(wall), int(rss_kb) / 1024, out.stdout


def measure(
    paths: dict[str, Path], fmt: str, work: Path, repeat: int, peer_python: str | None = None
) -> dict[str, tuple[float, float]]:
    work.mkdir(parents=True, exist_ok=True)
    reference, current = paths[f"reference.{fmt}"], paths[f"current.{fmt}"]
    (work / "reference.yml").write_text(config_text(reference))
    (work / "bench.yml").write_text(config_text(current))
    (work / "profile.yml").write_text(config_text(current, checks=None))
    profiles = work / "reference-profiles.json"
    (work / "none.json").write_text("{}")
    subprocess.run(
        [MLCI, "validate", "-c", "reference.yml", "--save-profiles", str(profiles), "-q",
         "--against", "none.json"],
        cwd=work, capture_output=True, check=False,
    )  # fmt: skip
    if not profiles.exists():
        raise SystemExit(f"could not profile {reference}")
    summary = reference_summary(json.loads(profiles.read_text())["current"], work / "ref.json")
    plain = work / "plain.py"
    plain.write_text(PANDAS_SCRIPT)
    runs = {
        "mlci": [MLCI, "validate", "-c", "bench.yml", "--against", str(profiles), "-q"],
        "pandas+scipy": [PYTHON, str(plain), str(current), str(summary)],
    }
    if peer_python is not None:
        runs["mlci profile"] = [
            MLCI, "validate", "-c", "profile.yml", "--against", "none.json", "-q",
        ]  # fmt: skip
        for peer, text in PEERS.items():
            script = work / f"peer_{peer}.py"  # not duckdb.py: it would shadow the module
            script.write_text(text)
            runs[peer] = [peer_python, str(script), str(current)]
    best: dict[str, tuple[float, float]] = {}
    for tool, argv in runs.items():
        _, _, out = timed(argv, work)  # untimed: writes the bytecode, warms the page cache
        if tool in PEERS and "rows" not in out:
            raise SystemExit(f"{tool} failed on {current}; run it to see why: {' '.join(argv)}")
        for _ in range(repeat):
            wall, rss, _ = timed(argv, work)
            if tool not in best or wall < best[tool][0]:
                best[tool] = (wall, max(rss, best.get(tool, (0, 0))[1]))
    return best


def column_scaling(directory: Path, rows: int, widths: list[int]) -> None:
    """Profile-only wall time of mlci on the same rows with 10, 20, 40 ... columns."""
    source = build(directory, rows)["reference.parquet"]
    table = pq.read_table(source)
    print(f"{'rows':>10} {'columns':>8} {'wall s':>8} {'peak MiB':>9}")
    for width in widths:
        columns = {}
        for i in range(width):
            name = table.column_names[i % table.num_columns]
            columns[f"{name}_{i // table.num_columns}"] = table.column(name)
        path = directory / f"wide-{rows}-{width}.parquet"
        if not path.exists():
            pq.write_table(pa.table(columns), path, row_group_size=CHUNK)
        work = directory / f"work-wide-{width}"
        work.mkdir(parents=True, exist_ok=True)
        (work / "wide.yml").write_text(f"name: wide\ndatasets:\n  d: {{path: {path}}}\n")
        (work / "none.json").write_text("{}")
        argv = [MLCI, "validate", "-c", "wide.yml", "--against", "none.json", "-q"]
        timed(argv, work)
        wall, rss = min(timed(argv, work)[:2] for _ in range(2))
        print(f"{rows:>10,} {width:>8} {wall:>8.2f} {rss:>9.0f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", default=["parquet", "csv"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(os.environ.get("MLCI_BENCH_DIR", Path.home() / ".cache" / "mlci-bench")),
    )
    parser.add_argument(
        "--widths",
        type=int,
        nargs="*",
        default=[],
        help="also time profiling 1M rows with this many columns, e.g. 10 20 40",
    )
    parser.add_argument(
        "--peer-python",
        metavar="PATH",
        help="an interpreter with duckdb and polars: also time their profiles (default: skip)",
    )
    args = parser.parse_args()
    if args.peer_python:
        check_peer_python(args.peer_python)
    if args.widths:
        column_scaling(args.dir, 1_000_000, args.widths)
        return 0
    print(f"{'rows':>10} {'format':>8} {'size':>9} {'tool':>13} {'wall s':>8} {'peak MiB':>9}")
    for rows in args.sizes:
        paths = build(args.dir, rows)
        for fmt in args.formats:
            size = paths[f"current.{fmt}"].stat().st_size / 2**20
            work = args.dir / f"work-{rows}-{fmt}"
            results = measure(paths, fmt, work, args.repeat, args.peer_python)
            for tool, (wall, rss) in results.items():
                print(
                    f"{rows:>10,} {fmt:>8} {size:>7.0f}MB {tool:>13} {wall:>8.2f} {rss:>9.0f}",
                    flush=True,
                )
            if args.peer_python:
                print(peer_ratios(results), flush=True)
    return 0


def peer_ratios(results: dict[str, tuple[float, float]]) -> str:
    """mlci's wall time over the fastest peer's, for the profile alone and the whole validate."""
    peer = min(PEERS, key=lambda name: results[name][0])
    fastest = results[peer][0]
    profile, validate = results["mlci profile"][0] / fastest, results["mlci"][0] / fastest
    return (
        f"{'':>29} mlci profile / {peer}: {profile:.2f}x;"
        f" mlci validate (profile + drift + checks) / {peer}: {validate:.2f}x"
    )


if __name__ == "__main__":
    raise SystemExit(main())
