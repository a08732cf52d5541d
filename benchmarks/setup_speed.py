"""Set-up speed of the GitHub Action: how long until `mlci` is ready, and how fast it starts.

Runs the action's own install step (the `run:` of step `install` in action.yml, with the `env:`
it gets there) into fresh virtual environments, exactly as a job does:

- cold: an empty cache dir, so uv and every wheel are downloaded (first run, or a cache miss);
- warm: the cache dir the cold run filled (an actions/cache hit; restoring the cache itself is
  not included: it depends on GitHub's cache service, not on us);

then times `mlci --help` and `python -c "import mlci.cli"` in the installed environment (median
of N runs, after one untimed run that writes the bytecode).

Usage:
    .venv/bin/python benchmarks/setup_speed.py [--runs N] [--python PATH] [--skip-cold]
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


def install_step() -> str:
    """The shell script of the action's install step."""
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "install")
    script: str = step["run"]
    return script


def run_install(python: str, venv: Path, cache: Path, work: Path) -> float:
    """Run the install step as the runner would; return its wall time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CI_PREFIXES)}
    env.update(
        GITHUB_ACTION_PATH=str(REPO),
        GITHUB_OUTPUT=str(work / "output"),
        RUNNER_TEMP=str(work),
        MLCI_PYTHON=python,
        MLCI_VENV=str(venv),
        MLCI_CACHE_DIR=str(cache),
    )
    script = work / "install.sh"
    script.write_text(install_step(), encoding="utf-8")
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
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return tuple(times)


def measure(python: str, runs: int, *, cold: bool) -> list[Timing]:
    """All the measurements, in a temporary directory that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mlci-setup-speed-") as tmp:
        work, cache = Path(tmp), Path(tmp) / "cache"
        timings = []
        first = run_install(python, work / "venv-cold", cache, work)
        if cold:
            timings.append(Timing("set-up, cold cache (s)", (first,), 10.0))
        warm = tuple(run_install(python, work / f"venv-{i}", cache, work) for i in range(runs))
        timings.append(Timing("set-up, warm cache (s)", warm, 3.0))
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
    args = parser.parse_args(argv)
    timings = measure(args.python, args.runs, cold=not args.skip_cold)
    print(report(timings, args.python))
    return 0 if all(t.median < t.target for t in timings) else 1


if __name__ == "__main__":
    raise SystemExit(main())
