"""Set-up speed of the GitHub Action: how long until `mlci` is ready, and how fast it starts.

Runs the action's own install step (the `run:` of step `install` in action.yml, with the `env:`
it gets there) into fresh virtual environments, exactly as a job does:

- cold: an empty cache dir, so uv and every wheel are downloaded (first run, or a cache miss);
- warm: the cache dir the cold run filled (an actions/cache hit; restoring the cache itself is
  not included: it depends on GitHub's cache service, not on us);

then times `mlci --help` and `python -c "import mlci.cli"` in the installed environment (median
of N runs, after one untimed run that writes the bytecode), and the first `mlci run` in each
freshly installed environment on a small project (a data CSV with checks, a predictions CSV,
one gate; report.html included, as in a job): what a job pays on top of the set-up, mostly
importing the scientific stack for the first time. Python writes the bytecode of what it imports
on that first run: PYTHONDONTWRITEBYTECODE, which GitHub's runners do not set, is removed.

``--action-path`` runs the install of another tree (a copy with a patched scripts/install-mlci),
to compare a variant of the install with the same measurements.

Usage:
    .venv/bin/python benchmarks/setup_speed.py [--runs N] [--python PATH] [--skip-cold]
        [--action-path DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CI_PREFIXES = ("GITHUB_", "RUNNER_", "MLCI_", "INPUT_", "ACTIONS_", "UV_", "VIRTUAL_ENV")
NOT_ON_RUNNERS = ("PYTHONDONTWRITEBYTECODE",)
ROWS = 2000
CONFIG = """\
name: setup-speed
datasets:
  eval:
    path: eval.csv
    checks:
      - {column: id, unique: true}
      - {column: age, type: integer, min: 0, max: 120}
      - {column: plan, allowed: [basic, pro]}
model:
  task: binary
  predictions: {path: preds.csv, y_score: y_score}
  metrics: [accuracy, roc_auc]
gates:
  - {metric: roc_auc, min: 0.6}
"""


@dataclass(frozen=True)
class Timing:
    """Wall times of one measurement, in seconds, and the target it must stay under."""

    name: str
    seconds: tuple[float, ...]
    target: float

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def row(self) -> str:
        verdict = "✅" if self.median < self.target else "❌"
        return (
            f"| {self.name} | {self.median:.3f} | {min(self.seconds):.3f} | "
            f"{max(self.seconds):.3f} | {len(self.seconds)} | < {self.target:g} | {verdict} |"
        )


def job_env(**extra: str) -> dict[str, str]:
    """This process's environment as a job would have it: no CI variables, bytecode written."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(CI_PREFIXES) and k not in NOT_ON_RUNNERS
    }
    env.update(extra)
    return env


def install_step(action_path: Path) -> str:
    """The shell script of the action's install step."""
    action = yaml.safe_load((action_path / "action.yml").read_text(encoding="utf-8"))
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "install")
    script: str = step["run"]
    return script


def run_install(python: str, venv: Path, cache: Path, work: Path, action_path: Path) -> float:
    """Run the install step as the runner would; return its wall time."""
    env = job_env(
        GITHUB_ACTION_PATH=str(action_path),
        GITHUB_OUTPUT=str(work / "output"),
        RUNNER_TEMP=str(work),
        MLCI_PYTHON=python,
        MLCI_VENV=str(venv),
        MLCI_CACHE_DIR=str(cache),
    )
    script = work / "install.sh"
    script.write_text(install_step(action_path), encoding="utf-8")
    start = time.perf_counter()
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def time_command(argv: Sequence[str], runs: int) -> tuple[float, ...]:
    """Wall times of ``runs`` runs of ``argv``, after one untimed warm-up run."""
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=job_env())
    times = []
    for _ in range(runs):
        times.append(time_once(argv))
    return tuple(times)


def time_once(argv: Sequence[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=cwd, env=job_env())
    return time.perf_counter() - start


def write_project(directory: Path) -> Path:
    """The small project `mlci run` is timed on (a git repository); returns its mlci.yml."""
    directory.mkdir()
    plans = ("basic", "pro")
    rows = "".join(f"{i},{18 + i % 60},{plans[i % 3 == 0]}\n" for i in range(ROWS))
    (directory / "eval.csv").write_text("id,age,plan\n" + rows, encoding="utf-8")
    preds = "".join(
        f"{i % 2},{i % 2},{0.3 + 0.4 * (i % 2) + (i % 7) / 100:.2f}\n" for i in range(ROWS)
    )
    (directory / "preds.csv").write_text("y_true,y_pred,y_score\n" + preds, encoding="utf-8")
    (directory / "mlci.yml").write_text(CONFIG, encoding="utf-8")
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], [*identity, "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=directory, check=True)
    return directory / "mlci.yml"


def mlci_run(venv: Path, config: Path, out: Path) -> float:
    """Wall time of `mlci run` on the project (no record stored, so every run does the same)."""
    mlci = str(venv / "bin" / "mlci")
    argv = [mlci, "run", f"--config={config}", f"--output-dir={out}", "--no-store", "--quiet"]
    return time_once(argv, cwd=config.parent)


def measure(python: str, runs: int, *, cold: bool, action_path: Path = REPO) -> list[Timing]:
    """All the measurements, in a temporary directory that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mlci-setup-speed-") as tmp:
        work, cache = Path(tmp), Path(tmp) / "cache"
        timings = []
        cold_install = run_install(python, work / "venv-cold", cache, work, action_path)
        if cold:
            timings.append(Timing("set-up, cold cache (s)", (cold_install,), 10.0))
        venvs = [work / f"venv-{i}" for i in range(runs)]
        warm = tuple(run_install(python, v, cache, work, action_path) for v in venvs)
        timings.append(Timing("set-up, warm cache (s)", warm, 3.0))
        config = write_project(work / "project")
        first = tuple(mlci_run(v, config, work / "out") for v in venvs)
        timings.append(Timing("first `mlci run` in a fresh set-up (s)", first, 20.0))
        total = tuple(a + b for a, b in zip(warm, first, strict=True))
        timings.append(Timing("set-up, warm cache + first `mlci run` (s)", total, 23.0))
        later = tuple(mlci_run(venvs[0], config, work / "out") for _ in range(runs))
        timings.append(Timing("a later `mlci run`, bytecode written (s)", later, 20.0))
        venv = work / "venv-0"
        timings.append(
            Timing(
                "`mlci --help` (s)", time_command([str(venv / "bin" / "mlci"), "--help"], runs), 0.3
            )
        )
        timings.append(
            Timing(
                '`python -c "import mlci.cli"` (s)',
                time_command([str(venv / "bin" / "python"), "-c", "import mlci.cli"], runs),
                0.3,
            )
        )
        return timings


def report(timings: Sequence[Timing], python: str) -> str:
    """The results as a markdown table, with the machine they were measured on."""
    version = subprocess.run(
        [python, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    lines = [
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, {version}",
        "",
        "| measurement | median | min | max | runs | target | |",
        "|---|---:|---:|---:|---:|---:|---|",
        *(t.row() for t in timings),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter the environments are made from (default: this one)",
    )
    parser.add_argument(
        "--skip-cold",
        action="store_true",
        help="fill the cache untimed (skips the download measurement)",
    )
    parser.add_argument(
        "--action-path",
        type=Path,
        default=REPO,
        help="the tree whose action.yml and scripts/install-mlci are run (default: this one)",
    )
    args = parser.parse_args(argv)
    timings = measure(args.python, args.runs, cold=not args.skip_cold, action_path=args.action_path)
    print(report(timings, args.python))
    return 0 if all(t.median < t.target for t in timings) else 1


if __name__ == "__main__":
    raise SystemExit(main())
