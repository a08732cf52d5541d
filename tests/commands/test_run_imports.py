"""What a data-only `mlci run` imports: none of the heavy libraries it does not use.

Timing a run is noisy on a shared machine; the set of modules a process imported is not. Each
test runs the real `mlci` program (``mlci.cli.main()`` with the process's arguments, as the
console script calls it) in a fresh Python process on a small project in a git repository, and
reads that process's ``sys.modules`` after the run. A data-only run (datasets, checks, drift
against the baseline record, report.html with its figures) must leave pandas, scikit-learn,
matplotlib and scipy out of the main process: the figures are drawn by the figure worker. The
same project with a predictions file does import pandas and scikit-learn, which shows the probe
sees what a run imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HEAVY = ("pandas", "sklearn", "matplotlib", "scipy")

PROBE = """
import json, subprocess, sys
started = []
class Recording(subprocess.Popen):
    def __init__(self, args, *rest, **kw):
        started.append(" ".join(map(str, args)) if isinstance(args, list) else str(args))
        super().__init__(args, *rest, **kw)
subprocess.Popen = Recording
from mlci.cli import main
sys.argv = ["mlci", *sys.argv[1:]]
code = main()
loaded = sorted({name.split(".")[0] for name in sys.modules})
workers = [a for a in started if "mlci.figure_worker" in a]
print("MODULES " + json.dumps({"code": code, "loaded": loaded, "workers": len(workers)}))
"""

CONFIG = """\
version: 1
name: shop
datasets:
  orders:
    path: data/orders.csv
    checks:
      - {column: id, unique: true, nullable: false}
      - {column: amount, min: 0}
      - {column: country, allowed: [de, fr, it, es]}
baseline:
  branch: main
  store: {type: dir, path: .mlci/records}
"""

MODEL = """\
model:
  task: binary
  predictions: {path: data/predictions.csv, y_score: score}
"""


def orders(rows: int, shift: float) -> str:
    """A CSV of orders; ``shift`` moves the amounts (drift against the baseline)."""
    lines = ["id,amount,country,express"]
    for i in range(rows):
        amount = (i * 37) % 200 + shift * 100
        lines.append(f"{i},{amount:.2f},{'defrites'[2 * (i % 4) : 2 * (i % 4) + 2]},{i % 3 == 0}")
    return "\n".join(lines) + "\n"


def predictions(rows: int) -> str:
    lines = ["y_true,y_pred,score"]
    for i in range(rows):
        score = ((i * 7919) % 1000) / 1000
        lines.append(f"{int(i % 3 == 0)},{int(score > 0.5)},{score:.3f}")
    return "\n".join(lines) + "\n"


def run_program(cwd: Path, *args: str) -> dict[str, Any]:
    """`mlci run ...` as the program, in a fresh process: its exit code and modules."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("MODULES ")), None)
    assert line is not None, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(line.removeprefix("MODULES "))
    return result


def make_project(git_project: Any, *, model: bool) -> Path:
    """main has a record of the baseline data; the checked-out branch ``pr`` drifts."""
    git_project.write("mlci.yml", CONFIG + (MODEL if model else ""))
    git_project.write("data/orders.csv", orders(400, 0.0))
    if model:
        git_project.write("data/predictions.csv", predictions(400))
    git_project.commit("main", push=False)
    stored = run_program(git_project.path, "-q", "--no-html")
    assert stored["code"] == 0
    git_project.checkout("-b", "pr")
    git_project.write("data/orders.csv", orders(400, 1.5))
    git_project.commit("shifted amounts", push=False)
    return Path(git_project.path)


def test_a_data_only_run_imports_no_heavy_library(git_project: Any) -> None:
    repo = make_project(git_project, model=False)
    result = run_program(repo, "-q", "--jobs", "2")
    assert result["code"] == 0
    assert [m for m in HEAVY if m in result["loaded"]] == []
    # it did the whole run: compared with main's record, flagged the drift, drew its figure
    report = json.loads((repo / "mlci-out" / "report.json").read_text(encoding="utf-8"))
    drift = [c for c in report["checks"] if c["check"] == "drift" and c["column"] == "amount"]
    assert drift and all(c["status"] != "pass" for c in drift)
    assert list((repo / "mlci-out" / "figures").glob("drift-*.svg"))
    assert result["workers"] == 0  # SVG drift figures need no matplotlib worker process
    assert "<img" in (repo / "mlci-out" / "report.html").read_text(encoding="utf-8")


def test_without_the_report_too(git_project: Any) -> None:
    repo = make_project(git_project, model=False)
    result = run_program(repo, "-q", "--no-html", "--jobs", "1")
    assert result["code"] == 0
    assert [m for m in HEAVY if m in result["loaded"]] == []
    assert not (repo / "mlci-out" / "report.html").exists()


def test_a_run_with_predictions_does_import_them(git_project: Any) -> None:
    """The probe sees a run's imports: with a model, pandas and scikit-learn are used."""
    repo = make_project(git_project, model=True)
    result = run_program(repo, "-q", "--jobs", "2")
    assert result["code"] == 0
    assert {"pandas", "sklearn"} <= set(result["loaded"])
    assert result["workers"] == 1  # the model's figures are drawn by matplotlib beside the run
