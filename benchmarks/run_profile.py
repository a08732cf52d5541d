"""Where the time of a 100,000-row `mlci run` goes, phase by phase, in 100 ms steps.

Sets up the pull-request project of ``benchmarks/data_scale.py`` (a git repository whose main
commit has the reference's record stored; the PR branch reads the drifted current file; ten
constraints, drift of every column, report.html with its figures), then:

1. times the ``mlci`` program itself (``--repeat`` runs after one untimed run: wall and CPU
   time of the process and its figure worker, peak memory);
2. runs it once more with every phase timed from inside (the same program: a small harness
   wraps the pipeline's functions with clocks, then calls ``mlci.cli.main()``), and prints
   each phase's start, wall time and CPU time with one █ per 100 ms;
3. sums ``python -X importtime`` by top-level package: what start-up imports.

Usage::

    .venv/bin/python benchmarks/run_profile.py [--rows 100000] [--format csv] [--repeat 5]
        [--no-html]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import data_scale as ds  # benchmarks/ is on the path when this file runs as a script

# Phases: (label, module, attribute, depth). Each is wrapped with a wall and a CPU clock; a
# phase may run inside another (depth), and the report shows them in the order they started.
PHASES = [
    ("import mlci.commands.run (and all it imports)", "mlci.commands.run", "<import>", 1),
    ("load mlci.yml", "mlci.config", "load_config", 1),
    ("find the commit (git)", "mlci.pipeline", "locate", 1),
    ("start the figure worker", "mlci.figure_worker", "FigureWorker.start", 1),
    ("find the baseline record (git)", "mlci.pipeline", "find_baseline", 1),
    ("data stage", "mlci.data.stage", "run_data_stage", 1),
    ("read, profile, check, count drift", "mlci.data.stage", "_scan", 2),
    ("finish profiles, checks and drift", "mlci.data.stage", "_outcome", 2),
    ("model stage and gates", "mlci.pipeline", "model_stage", 1),
    ("values for the figures", "mlci.pipeline", "_plot_inputs", 1),
    ("write the outputs", "mlci.commands.run", "write_outputs", 1),
    ("report.md (the comment)", "mlci.report.markdown", "render_comment", 2),
    ("report.json", "mlci.report.jsonreport", "dumps_report", 2),
    ("record.json", "mlci.records.format", "Record.to_json", 2),
    ("wait for the figures", "mlci.figure_worker", "FigureWorker.result", 2),
    ("draw the figures here", "mlci.commands.run", "_draw_figures", 2),
    ("report.html", "mlci.report.html", "render_html", 2),
    ("store the record", "mlci.records.store", "DirStore.put", 1),
]

HARNESS = r"""
import functools, importlib.abc, json, os, sys, time

def started():
    # seconds since this process started (Linux: /proc/self/stat), for the start-up
    try:
        ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        boot = time.clock_gettime(time.CLOCK_BOOTTIME)
        return boot - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0

T0 = time.perf_counter() - started()
marks = []
PHASES = json.loads(sys.argv[1])

def wrap(module, label, attribute, depth):
    owner = module
    *outer, name = attribute.split(".")
    for part in outer:
        owner = getattr(owner, part, None)
    found = getattr(owner, "__dict__", {}).get(name)
    if found is None:  # renamed or moved: the table must follow the code
        print(f"MISSING {module.__name__}.{attribute}", file=sys.stderr)
        return
    method = isinstance(found, classmethod)
    raw = found.__func__ if method else found

    @functools.wraps(raw)
    def timed(*args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        try:
            return raw(*args, **kwargs)
        finally:
            marks.append((label, depth, t - T0, time.perf_counter() - t, time.process_time() - c))

    setattr(owner, name, classmethod(timed) if method else timed)

class Clocks(importlib.abc.MetaPathFinder):
    # wraps a module's phases as soon as the program imports it: nothing is imported early
    def find_spec(self, name, path, target=None):
        if not any(phase[1] == name for phase in PHASES):
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        run = spec.loader.exec_module

        def exec_module(module):
            t, c = time.perf_counter(), time.process_time()
            run(module)
            for label, owner, attribute, depth in PHASES:
                if owner != name:
                    continue
                if attribute == "<import>":  # the module's import itself, its own imports too
                    took = (time.perf_counter() - t, time.process_time() - c)
                    marks.append((label, depth, t - T0, *took))
                else:
                    wrap(module, label, attribute, depth)

        spec.loader.exec_module = exec_module
        return spec

import importlib.util
sys.meta_path.insert(0, Clocks())
t, c = time.perf_counter(), time.process_time()
marks.append(("Python start-up", 0, 0.0, t - T0, c))
import mlci.cli
marks.append(("import mlci.cli", 0, t - T0, time.perf_counter() - t, time.process_time() - c))
sys.argv = ["mlci", *sys.argv[2:]]
t = time.perf_counter()
try:
    code = mlci.cli.main()
finally:
    end = time.perf_counter()
    marks.append(("mlci run (the imports it needs included)", 0, t - T0, end - t, None))
    marks.append(("total", 0, 0.0, end - T0, time.process_time()))
    print("PHASES " + json.dumps(marks), file=sys.stderr)
"""


def bar(seconds: float) -> str:
    steps = round(seconds * 10)
    return "█" * steps if steps else ("▏" if seconds >= 0.005 else "")


def phases_table(marks: list[list]) -> str:  # type: ignore[type-arg]
    lines = [
        "| phase | starts at | wall | CPU | one █ per 100 ms |",
        "|---|---:|---:|---:|---|",
    ]
    total = next(m for m in marks if m[0] == "total")
    body = [m for m in marks if m[0] != "total"]
    for label, depth, start, wall, cpu in sorted(body, key=lambda m: (m[2], m[1])):
        name = ("&nbsp;&nbsp;" * depth) + label
        cpu_text = f"{cpu * 1000:,.0f} ms" if cpu is not None else ""
        lines.append(
            f"| {name} | {start * 1000:,.0f} ms | {wall * 1000:,.0f} ms | {cpu_text} | "
            f"{bar(wall)} |"
        )
    lines.append(
        f"| **total** (this process; the figure worker not counted in CPU) | | "
        f"**{total[3] * 1000:,.0f} ms** | {total[4] * 1000:,.0f} ms | {bar(total[3])} |"
    )
    return "\n".join(lines)


def traced(repo: Path, argv: list[str]) -> list[list]:  # type: ignore[type-arg]
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(HARNESS)
    try:
        done = subprocess.run(
            [ds.PYTHON, f.name, json.dumps(PHASES), *argv],
            cwd=repo,
            capture_output=True,
            text=True,
            env=ds.clean_env(),
            check=False,
        )
    finally:
        os.unlink(f.name)
    line = next((x for x in done.stderr.splitlines() if x.startswith("PHASES ")), None)
    missing = [x.removeprefix("MISSING ") for x in done.stderr.splitlines() if "MISSING " in x]
    if missing:
        raise SystemExit(f"benchmarks/run_profile.py: PHASES names what is gone: {missing}")
    if line is None:
        raise SystemExit(f"the traced run failed:\n{done.stdout}\n{done.stderr}")
    marks: list[list] = json.loads(line.removeprefix("PHASES "))  # type: ignore[type-arg]
    return marks


def imports(repo: Path, argv: list[str], runs: int = 3) -> str:
    """Self import time by top-level package (the smallest of ``runs`` runs), top 12."""
    found: list[collections.Counter[str]] = []
    for _ in range(runs):
        err = subprocess.run(
            [ds.PYTHON, "-X", "importtime", "-m", "mlci.cli", *argv],
            cwd=repo,
            capture_output=True,
            text=True,
            env=ds.clean_env(),
            check=False,
        ).stderr
        counts: collections.Counter[str] = collections.Counter()
        for line in err.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if not line.startswith("import time:") or len(parts) != 3:
                continue
            try:
                # imports on two threads at once garble the accounting (negative self times)
                counts[parts[2].strip().split(".")[0]] += max(0, int(parts[0]))
            except ValueError:
                continue
        found.append(counts)
    names = set().union(*found)
    best = {n: min(c.get(n, 0) for c in found) for n in names}
    total = sum(best.values())
    lines = [
        f"Imports of the main process (self time, smallest of {runs}): {total / 1000:,.0f} ms",
        "",
        "| package | import time |",
        "|---|---:|",
    ]
    for name, micros in sorted(best.items(), key=lambda kv: -kv[1])[:12]:
        lines.append(f"| {name} | {micros / 1000:,.1f} ms |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-html", action="store_true", help="profile `mlci run --no-html`")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(os.environ.get("MLCI_BENCH_DIR", Path.home() / ".cache" / "mlci-bench")),
    )
    args = parser.parse_args()
    paths = ds.build(args.dir, args.rows)
    work = args.dir / f"work-profile-{args.rows}-{args.format}"
    work.mkdir(parents=True, exist_ok=True)
    fmt = args.format
    repo = ds.project(work, paths[f"reference.{fmt}"], paths[f"current.{fmt}"], fmt)
    argv = ["run", "-q", *(["--no-html"] if args.no_html else [])]
    load = os.getloadavg()
    ds.timed([ds.MLCI, *argv], repo)
    samples = [ds.timed([ds.MLCI, *argv], repo) for _ in range(args.repeat)]
    walls, cpus = [s[0] for s in samples], [s[1] for s in samples]
    print(
        ds.machine(None).replace(
            "### Results",
            f"### `mlci {' '.join(argv)}`, {args.rows:,}"
            f" rows of {fmt.upper() if fmt == 'csv' else 'Parquet'}",
        )
    )
    print()
    print(
        f"The program, {args.repeat} runs: wall {min(walls):.2f}–{max(walls):.2f} s (median "
        f"{statistics.median(walls):.2f} s), CPU {statistics.median(cpus):.2f} s (its figure "
        f"worker included), peak {max(s[2] for s in samples):,.0f} MiB; load average "
        f"{load[0]:.2f} before, {os.getloadavg()[0]:.2f} after."
    )
    print()
    marks = min((traced(repo, argv) for _ in range(3)), key=lambda m: m[-1][3])
    print("Phases of one traced run (the fastest of three):")
    print()
    print(phases_table(marks))
    print()
    print(imports(repo, argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
