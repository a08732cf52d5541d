"""Data validation at scale: `mlci run` side by side with DuckDB, Polars and pandas + scipy.

Builds synthetic 20-column datasets (10 float columns with nulls, 4 integer columns (one a
unique id), 4 categorical columns with 5/50/500/5,000 levels, 1 boolean, 1 label) as Parquet
and CSV in a cache directory (``$MLCI_BENCH_DIR``, default ``~/.cache/mlci-bench``; nothing is
committed), each with a "reference" copy and a drifted "current" copy: ``f0`` shifted by 0.5σ,
``f1`` with σ × 1.5, ``c50`` with its two most common levels swapped for two rare ones, and the
null rate of ``f2`` tripled (1 % → 3 %).

For each size and format, every tool does the work of a pull request's data check — the profile
of the current data, drift of every column against the reference, ten constraints — each run as
one fresh process timed with ``/usr/bin/time`` (wall time, CPU time, peak memory):

- **mlci run**: ``mlci run`` on a pull-request branch of a git repository whose main commit has
  its record stored (the reference's profile, as a team's main branch holds it): reading the
  current file, the profile, drift of every column, the ten constraints, the comment, the
  record, report.json and report.html with its figures. **--no-html**: the same without
  report.html. mlci reads the current file; the reference is the stored profile.
- **DuckDB** (no drift): ``SUMMARIZE`` of both files (min, max, approximate distinct count,
  mean, std, quartiles, count, null %) and the ten constraints in one query.
- **Polars**: both files read eagerly; ``describe()``, ``n_unique()`` and the top 20 values of
  the current data; drift of every column (the reference's deciles or its top 20 values,
  Jensen-Shannon distance, null rates); the ten constraints as expressions.
- **pandas + scipy**: the same in pandas (``describe`` with 19 percentiles, ``value_counts``,
  ``np.histogram``-style counts over the reference's deciles, ``jensenshannon`` and
  ``chi2_contingency`` per column).

The peers have no stored profile, so they read both files; each prints the columns it found
drifted, and mlci's report.json is checked for exactly the planted drift.

The tools run interleaved (each round runs every tool once, in turn), ``--repeat`` rounds after
one untimed round (bytecode written, files in the page cache, as on a runner that just checked
the data out). Cells give the range of wall times over the rounds, the CPU time (user + system)
and the peak RSS; the load average is printed before and after each size, and
``--quiet-load`` waits for a quiet machine first. The output is a markdown table to paste.

Usage::

    python benchmarks/data_scale.py --peer-python /tmp/peers/bin/python     # 100k, 1M, 5M
    python benchmarks/data_scale.py --sizes 100000 --formats csv --repeat 5 --peer-python ...
    python benchmarks/data_scale.py --widths 10 20 40   # cost per column (mlci validate, 1M rows)

The peers are no dependencies of mlci: install them in a throwaway venv, e.g.
``python3 -m venv /tmp/peers && /tmp/peers/bin/pip install duckdb polars pandas scipy pyarrow``.
Without ``--peer-python`` only mlci runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
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
PLANTED = {("drift", "f0"), ("drift", "f1"), ("drift", "c50"), ("drift_null_rate", "f2")}
PLANTED_TEXT = "f0 f1 c50 f2:nulls"

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


def build(
    directory: Path, rows: int, formats: Sequence[str] = ("parquet", "csv")
) -> dict[str, Path]:
    """Write reference and current copies in ``formats`` (Parquet row groups of 500,000 rows;
    files already there are kept)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for copy, drifted, seed in (("reference", False, 1), ("current", True, 2)):
        wanted = {fmt: directory / f"{copy}-{rows}.{fmt}" for fmt in formats}
        paths.update({f"{copy}.{fmt}": path for fmt, path in wanted.items()})
        if all(path.exists() for path in wanted.values()):
            continue
        rng = np.random.default_rng(seed)
        parquet: pq.ParquetWriter | None = None
        csv: pcsv.CSVWriter | None = None
        for start in range(0, rows, CHUNK):
            table = chunk(rng, start, min(CHUNK, rows - start), drifted)
            if "parquet" in wanted:
                parquet = parquet or pq.ParquetWriter(wanted["parquet"], table.schema)
                parquet.write_table(table, row_group_size=CHUNK)
            if "csv" in wanted:
                csv = csv or pcsv.CSVWriter(str(wanted["csv"]), table.schema)
                csv.write_table(table)
        for writer in (parquet, csv):
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


# --- the peers -----------------------------------------------------------------------------
# Each reads the reference and the current file (argv 1 and 2) and prints the drifted columns
# on its last line: "drifted: f0 f1 ..." (a numeric column by Jensen-Shannon distance over the
# reference's deciles, a categorical one over its top 20 values and the rest, both ≥ 0.1; a
# null rate by Cohen's h ≥ 0.1, as "f2:nulls").

PANDAS_SCRIPT = r"""
import math, sys
import numpy as np, pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency

ref_path, cur_path = sys.argv[1], sys.argv[2]
read = pd.read_parquet if cur_path.endswith(".parquet") else pd.read_csv
ref, cur = read(ref_path), read(cur_path)
# the profile of the current data
numeric = cur.select_dtypes("number")
profile = {
    "describe": numeric.describe(percentiles=[i / 20 for i in range(1, 20)]).to_dict(),
    "nulls": cur.isna().sum().to_dict(),
    "distinct": cur.nunique().to_dict(),
    "top": {c: cur[c].value_counts().head(20).to_dict()
            for c in cur.columns if not pd.api.types.is_numeric_dtype(cur[c])},
}
# drift of every column against the reference
drifted = []
for name in cur.columns:
    r, c = ref[name], cur[name]
    if pd.api.types.is_numeric_dtype(r) and not pd.api.types.is_bool_dtype(r):
        rv, cv = r.dropna().to_numpy(float), c.dropna().to_numpy(float)
        edges = np.unique(np.quantile(rv, [i / 10 for i in range(1, 10)]))
        base = np.bincount(np.searchsorted(edges, rv), minlength=len(edges) + 1)
        counts = np.bincount(np.searchsorted(edges, cv), minlength=len(edges) + 1)
    else:
        top = r.value_counts().head(20)
        found = c.value_counts().reindex(top.index, fill_value=0)
        base = np.append(top.to_numpy(), r.notna().sum() - top.sum())
        counts = np.append(found.to_numpy(), c.notna().sum() - found.sum())
    js = jensenshannon(base, counts, base=2)
    keep = (base + counts) > 0
    p = chi2_contingency(np.vstack([base[keep], counts[keep]]))[1]
    h = abs(2 * math.asin(math.sqrt(c.isna().mean())) - 2 * math.asin(math.sqrt(r.isna().mean())))
    drifted += [name] * bool(js >= 0.1) + [name + ":nulls"] * bool(h >= 0.1)
# ten constraints
f0 = cur["f0"]
checks = [
    pd.api.types.is_float_dtype(f0) and f0.isna().mean() <= 0.05,
    bool(cur["f3"].dropna().between(-100, 200).all()),
    pd.api.types.is_integer_dtype(cur["i0"]) and bool(cur["i0"].between(0, 120).all()),
    not cur["i1"].isna().any(),
    not cur["i3"].duplicated().any(),
    bool(cur["c5"].dropna().isin([f"L5_{i:04d}" for i in range(5)]).all()),
    cur["c50"].isna().mean() <= 0.01,
    bool(cur["c5000"].dropna().str.len().between(3, 12).all()),
    pd.api.types.is_bool_dtype(cur["flag"]),
    len(cur) >= 1000,
]
print(sum(checks), "of", len(checks), "constraints passed")
print("drifted:", " ".join(sorted(drifted)))
"""

POLARS_SCRIPT = r"""
import math, sys
import numpy as np, polars as pl

def js(p, q):
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    def kl(a, b):
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / b[mask])))
    return math.sqrt(max(0.0, (kl(p, m) + kl(q, m)) / 2))

ref_path, cur_path = sys.argv[1], sys.argv[2]
read = pl.read_parquet if cur_path.endswith(".parquet") else pl.read_csv
ref, cur = read(ref_path), read(cur_path)
# the profile of the current data
summary = cur.describe()
distinct = cur.select(pl.all().n_unique())
tops = {n: cur[n].value_counts(sort=True).head(20) for n, t in cur.schema.items() if t == pl.String}
# drift of every column against the reference
drifted = []
for name, dtype in cur.schema.items():
    r, c = ref[name], cur[name]
    if dtype.is_numeric():
        rv, cv = r.drop_nulls().to_numpy(), c.drop_nulls().to_numpy()
        edges = np.unique(np.quantile(rv, [i / 10 for i in range(1, 10)]))
        base = np.bincount(np.searchsorted(edges, rv), minlength=len(edges) + 1)
        counts = np.bincount(np.searchsorted(edges, cv), minlength=len(edges) + 1)
    else:
        top = r.drop_nulls().value_counts(sort=True).head(20)
        found = top.select(name).join(
            c.drop_nulls().value_counts(), on=name, how="left"
        ).fill_null(0)
        base = np.append(top["count"].to_numpy(), r.len() - r.null_count() - top["count"].sum())
        counts = np.append(
            found["count"].to_numpy(), c.len() - c.null_count() - found["count"].sum()
        )
    score = js(base.astype(float), counts.astype(float))
    h = abs(2 * math.asin(math.sqrt(c.null_count() / c.len()))
            - 2 * math.asin(math.sqrt(r.null_count() / r.len())))
    drifted += [name] * bool(score >= 0.1) + [name + ":nulls"] * bool(h >= 0.1)
# ten constraints
allowed = [f"L5_{i:04d}" for i in range(5)]
checks = cur.select(
    (pl.col("f0").null_count() / pl.len() <= 0.05).alias("a"),
    pl.col("f3").is_between(-100, 200).all().alias("b"),
    pl.col("i0").is_between(0, 120).all().alias("c"),
    (pl.col("i1").null_count() == 0).alias("d"),
    (pl.col("i3").n_unique() == pl.len()).alias("e"),
    pl.col("c5").drop_nulls().is_in(allowed).all().alias("f"),
    (pl.col("c50").null_count() / pl.len() <= 0.01).alias("g"),
    pl.col("c5000").str.len_chars().is_between(3, 12).all().alias("h"),
    (pl.len() >= 1000).alias("i"),
).row(0)
passed = sum(checks) + (cur.schema["flag"] == pl.Boolean)
print(passed, "of 10 constraints passed")
print("drifted:", " ".join(sorted(drifted)))
"""

DUCKDB_SCRIPT = r"""
import sys
import duckdb

ref_path, cur_path = sys.argv[1], sys.argv[2]
reader = "read_parquet" if cur_path.endswith(".parquet") else "read_csv_auto"
con = duckdb.connect()
for path in (ref_path, cur_path):
    quoted = path.replace("'", "''")
    summary = con.sql(f"SUMMARIZE SELECT * FROM {reader}('{quoted}')").fetchall()
quoted = cur_path.replace("'", "''")
allowed = ", ".join(f"'L5_{i:04d}'" for i in range(5))
checks = con.sql(f'''
    SELECT count(*) FILTER (f0 IS NULL) <= 0.05 * count(*),
           bool_and(f3 BETWEEN -100 AND 200),
           bool_and(i0 BETWEEN 0 AND 120),
           count(*) FILTER (i1 IS NULL) = 0,
           count(DISTINCT i3) = count(*),
           bool_and(c5 IN ({allowed})),
           count(*) FILTER (c50 IS NULL) <= 0.01 * count(*),
           bool_and(length(c5000) BETWEEN 3 AND 12),
           count(*) >= 1000
    FROM {reader}('{quoted}')
''').fetchall()[0]
print(sum(bool(v) for v in checks) + 1, "of 10 constraints passed (flag: boolean by type)")
print("drifted: (no drift)")
"""

PEERS = {"DuckDB": DUCKDB_SCRIPT, "Polars": POLARS_SCRIPT, "pandas+scipy": PANDAS_SCRIPT}
PEER_MODULES = "duckdb, polars, pandas, scipy, pyarrow"


def check_peer_python(python: str) -> str:
    """The peers' versions; stops with one clear line unless ``python`` imports them all."""
    probe = subprocess.run(
        [python, "-c", f"import {PEER_MODULES} as _; import duckdb, polars, pandas, scipy; "
         "print(f'DuckDB {duckdb.__version__}, Polars {polars.__version__}, '"
         "f'pandas {pandas.__version__}, scipy {scipy.__version__}')"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if probe.returncode != 0:
        raise SystemExit(
            f"--peer-python {python} cannot import {PEER_MODULES}; make a throwaway venv with "
            "them: `python3 -m venv /tmp/peers && /tmp/peers/bin/pip install duckdb polars "
            "pandas scipy pyarrow`."
        )
    return probe.stdout.strip()


# --- mlci's side: a repository whose main branch has the reference's record ---------------


def project(work: Path, reference: Path, current: Path, fmt: str) -> Path:
    """A git repository whose main commit has the reference's record stored, checked out on a
    pull-request branch that reads the current file (data files are hard links, not copied)."""
    repo = work / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    (repo / "data").mkdir(parents=True)
    env = {**clean_env(), "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.invalid"}  # fmt: skip

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    (repo / ".gitignore").write_text("data/\nmlci-out/\n.mlci/records/\n")
    store = "baseline:\n  branch: main\n  store: {type: dir, path: .mlci/records}\n"
    (repo / "mlci.yml").write_text(config_text(Path(f"data/current.{fmt}")) + store)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "main")
    link(reference, repo / "data" / f"current.{fmt}")
    done = subprocess.run([MLCI, "run", "-q", "--no-html"], cwd=repo, env=env, capture_output=True)
    if not any((repo / ".mlci" / "records").rglob("*.json")):
        raise SystemExit(f"could not store the record of {reference}: {done.stderr.decode()}")
    link(current, repo / "data" / f"current.{fmt}")
    git("checkout", "-q", "-b", "pr")
    git("commit", "-q", "--allow-empty", "-m", "new data")
    return repo


def link(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copyfile(source, target)


def flagged(report: Path) -> str:
    """The drift mlci's report.json flags (warn or fail), as the peers print it."""
    doc = json.loads(report.read_text())
    found = {
        (c["check"], c["column"])
        for c in doc["checks"]
        if c["check"].startswith("drift") and c["status"] in ("warn", "fail")
    }
    names = [f"{col}:nulls" if check == "drift_null_rate" else col for check, col in found]
    return " ".join(sorted(names))


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Samples:
    """The runs of one tool on one file."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    drifted: str = ""

    def cell(self) -> str:
        if not self.wall:
            return "—"
        low, high = min(self.wall), max(self.wall)
        span = f"{low:.2f} s" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f} s"
        return span

    def detail(self) -> str:
        if not self.wall:
            return "—"
        return f"{statistics.median(self.cpu):.2f} s / {max(self.rss):,.0f} MiB"


def clean_env() -> dict[str, str]:
    """As on a runner: bytecode written, no CI variables (so no progress lines)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "CI") and not k.startswith("GITHUB_")
    }
    return env


def timed(argv: Sequence[str], cwd: Path) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MiB, stdout) of one fresh process and its children."""
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M", *argv],
        cwd=cwd, capture_output=True, text=True, check=False, env=clean_env(),
    )  # fmt: skip
    last = out.stderr.strip().splitlines()[-1].split()
    ok = (0, 1) if argv[0] == MLCI else (0,)  # mlci: 1 is a failed gate
    if len(last) != 4 or out.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{out.stdout}\n{out.stderr}")
    wall, user, system, rss_kb = last
    return float(wall), float(user) + float(system), int(rss_kb) / 1024, out.stdout


def commands(
    paths: dict[str, Path], fmt: str, work: Path, peer_python: str | None
) -> dict[str, tuple[list[str], Path]]:
    """What each tool runs, and where."""
    reference, current = paths[f"reference.{fmt}"], paths[f"current.{fmt}"]
    repo = project(work, reference, current, fmt)
    runs = {
        "mlci run": ([MLCI, "run", "-q"], repo),
        "--no-html": ([MLCI, "run", "-q", "--no-html"], repo),
    }
    if peer_python is not None:
        for peer, text in PEERS.items():
            script = work / f"peer_{peer.split('+')[0].lower()}.py"  # never duckdb.py
            script.write_text(text)
            runs[peer] = ([peer_python, str(script), str(reference), str(current)], work)
    return runs


def measure(
    runs: dict[str, tuple[list[str], Path]], repeat: int
) -> tuple[dict[str, Samples], tuple[float, float]]:
    """Every tool once untimed, then ``repeat`` interleaved rounds; and the load average."""
    results = {tool: Samples() for tool in runs}
    loads = [os.getloadavg()[0]]
    for argv, cwd in runs.values():
        timed(argv, cwd)
    for _ in range(repeat):
        for tool, (argv, cwd) in runs.items():
            wall, cpu, rss, out = timed(argv, cwd)
            samples = results[tool]
            samples.wall.append(wall)
            samples.cpu.append(cpu)
            samples.rss.append(rss)
            if tool in PEERS:
                samples.drifted = out.strip().splitlines()[-1].removeprefix("drifted: ")
            else:
                samples.drifted = flagged(cwd / "mlci-out" / "report.json")
        loads.append(os.getloadavg()[0])
    return results, (min(loads), max(loads))


def wait_for_quiet(threshold: float, longest: float) -> float:
    """Wait (up to ``longest`` seconds) until the 1-minute load average is below
    ``threshold``; the load average when done."""
    deadline = time.monotonic() + longest
    load = os.getloadavg()[0]
    while load >= threshold and time.monotonic() < deadline:
        print(f"<!-- load average {load:.2f}: waiting for < {threshold} -->", flush=True)
        time.sleep(min(60.0, max(1.0, deadline - time.monotonic())))
        load = os.getloadavg()[0]
    return load


# --- the tables -----------------------------------------------------------------------------


@dataclass
class Row:
    rows: int
    fmt: str
    size_mb: float
    results: dict[str, Samples]
    load: tuple[float, float]


def ahead(results: dict[str, Samples]) -> str:
    """How much faster the slowest `mlci run` was than the fastest peer (✅ when faster)."""
    peers = [s for tool, s in results.items() if tool in PEERS and s.wall]
    if not peers or not results["mlci run"].wall:
        return "—"
    mlci = max(results["mlci run"].wall)
    best = min(min(s.wall) for s in peers)
    return f"{'✅' if mlci < best else '❌'} {best / mlci:.2f}×"


def drift_cell(results: dict[str, Samples]) -> str:
    found = results["mlci run"].drifted
    return "✅" if sorted(found.split()) == sorted(PLANTED_TEXT.split()) else f"❌ {found}"


def tables(rows: Sequence[Row], tools: Sequence[str], header: str) -> str:
    lines = [header, ""]
    names = {"mlci run": "`mlci run`", "--no-html": "`--no-html`", "DuckDB": "DuckDB (no drift)"}
    heads = [names.get(t, t) for t in tools]
    lines.append(
        "| rows | format | file | " + " | ".join(heads) + " | slowest mlci run vs fastest peer "
        "| drift flagged | load |"
    )
    lines.append("|---:|---|---:|" + "---:|" * len(tools) + "---:|:---:|---:|")
    for r in rows:
        cells = [r.results[t].cell() for t in tools]
        lines.append(
            f"| {r.rows:,} | {r.fmt} | {r.size_mb:,.0f} MB | "
            + " | ".join(cells)
            + f" | {ahead(r.results)} | {drift_cell(r.results)} | {r.load[0]:.1f}–{r.load[1]:.1f} |"
        )
    lines += ["", "CPU time (median, user + system) / peak memory:", ""]
    lines.append("| rows | format | " + " | ".join(heads) + " |")
    lines.append("|---:|---|" + "---:|" * len(tools))
    for r in rows:
        cells = [r.results[t].detail() for t in tools]
        lines.append(f"| {r.rows:,} | {r.fmt} | " + " | ".join(cells) + " |")
    peers = [t for t in tools if t in PEERS and t != "DuckDB"]
    if peers:
        lines += ["", "Drift found by the peers (planted: " + PLANTED_TEXT + "):", ""]
        for r in rows:
            found = "; ".join(f"{t}: {r.results[t].drifted}" for t in peers)
            lines.append(f"- {r.rows:,} {r.fmt}: {found}")
    return "\n".join(lines)


def targets(rows: Sequence[Row]) -> str:
    """The issue's targets on 2 cores, checked on the slowest `mlci run` of each file."""
    goals = {
        (100_000, "Parquet"): 0.8,
        (100_000, "CSV"): 0.8,
        (1_000_000, "Parquet"): 1.3,
        (1_000_000, "CSV"): 2.0,
        (5_000_000, "CSV"): 7.0,
    }
    lines = []
    for r in rows:
        goal = goals.get((r.rows, r.fmt))
        run = r.results["mlci run"]
        if goal is None or not run.wall:
            continue
        memory = max(run.rss)
        ok = max(run.wall) < goal and (r.rows < 5_000_000 or memory < 1024)
        lines.append(
            f"- {r.rows:,} {r.fmt}: slowest `mlci run` {max(run.wall):.2f} s, peak {memory:,.0f} "
            f"MiB (target < {goal:g} s{', < 1 GiB' if r.rows >= 5_000_000 else ''}) "
            f"{'✅' if ok else '❌'}"
        )
    return "\n".join(lines)


def machine(peers: str | None) -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    text = (
        f"### Results — {date.today().isoformat()}, {platform.system()} {platform.machine()}, "
        f"{cpus} CPUs, Python {platform.python_version()}, pyarrow {pa.__version__}"
    )
    return text + (f"; {peers}" if peers else "")


# --- cost per column ------------------------------------------------------------------------


def column_scaling(directory: Path, rows: int, widths: list[int]) -> None:
    """Profile-only wall time of mlci on the same rows with 10, 20, 40 ... columns."""
    source = build(directory, rows)["reference.parquet"]
    table = pq.read_table(source)
    print("| rows | columns | mlci validate (profile only) | peak memory |")
    print("|---:|---:|---:|---:|")
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
        wall, _, rss, _ = min(timed(argv, work) for _ in range(2))
        print(f"| {rows:,} | {width} | {wall:.2f} s | {rss:,.0f} MiB |", flush=True)


# --- the command ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--formats", nargs="+", default=["parquet", "csv"])
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(os.environ.get("MLCI_BENCH_DIR", Path.home() / ".cache" / "mlci-bench")),
    )
    parser.add_argument(
        "--peer-python",
        metavar="PATH",
        help="an interpreter with duckdb, polars, pandas, scipy and pyarrow (default: mlci only)",
    )
    parser.add_argument(
        "--quiet-load",
        type=float,
        metavar="LOAD",
        help="before each size, wait until the 1-minute load average is below LOAD",
    )
    parser.add_argument(
        "--max-wait", type=float, default=1800, help="longest wait for --quiet-load (seconds)"
    )
    parser.add_argument(
        "--widths",
        type=int,
        nargs="*",
        default=[],
        help="instead: time profiling 1M rows with this many columns, e.g. 10 20 40",
    )
    args = parser.parse_args()
    if args.widths:
        column_scaling(args.dir, 1_000_000, args.widths)
        return 0
    peers = check_peer_python(args.peer_python) if args.peer_python else None
    tools = ["mlci run", "--no-html", *(PEERS if peers else ())]
    rows: list[Row] = []
    for size in args.sizes:
        paths = build(args.dir, size, args.formats)
        for fmt in args.formats:
            if args.quiet_load is not None:
                wait_for_quiet(args.quiet_load, args.max_wait)
            work = args.dir / f"work-{size}-{fmt}"
            work.mkdir(parents=True, exist_ok=True)
            runs = commands(paths, fmt, work, args.peer_python)
            results, load = measure(runs, args.repeat)
            label = "Parquet" if fmt == "parquet" else fmt.upper()
            mb = paths[f"current.{fmt}"].stat().st_size / 1e6
            rows.append(Row(size, label, mb, results, load))
            print(f"<!-- {size:,} {label}: done, load {load[0]:.1f}–{load[1]:.1f} -->", flush=True)
    print(tables(rows, tools, machine(peers)))
    print()
    print(targets(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
