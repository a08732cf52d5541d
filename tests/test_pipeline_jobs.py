"""`mlci run --jobs N` and `mlci validate --jobs N`: the same reports and records for any N."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pcsv
import pytest

from mlci.cli import main
from tests.helpers.mixed import MIXED_CHECKS, mixed_table

DRIFTED = {("drift", "x"), ("drift", "cat"), ("drift_null_rate", "n")}


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def flagged(report: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {
        (c["check"], c["column"])
        for c in report["checks"]
        if c["check"].startswith("drift") and c["status"] in ("warn", "fail")
    }


def test_run_on_one_or_two_threads_writes_the_same_report_and_record(
    git_project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.chdir(git_project.path)
    data = git_project.path / "data" / "d.csv"
    data.parent.mkdir()
    pcsv.write_csv(mixed_table(120_000, seed=1), data)
    git_project.write(
        "mlci.yml", "name: jobs\ndatasets:\n  d:\n    path: data/d.csv\n" + MIXED_CHECKS
    )
    git_project.commit("main")
    assert run_cli("run", "--output-dir", "out-main", "-q")[0] == 0
    git_project.checkout("-b", "pr/drift")
    pcsv.write_csv(mixed_table(120_000, seed=2, drifted=True), data)
    git_project.commit("drifted data", push=False)

    for jobs in ("1", "2"):
        code, _, err = run_cli("run", "--jobs", jobs, "--output-dir", f"out-{jobs}", "-q")
        assert (code, err) == (0, "")  # drift and the nulls of `n` are warnings

    # the program itself, which draws the figures in a worker process
    program = [sys.executable, "-m", "mlci.cli", "run", "--jobs", "2", "--output-dir", "out-p"]
    done = subprocess.run([*program, "-q"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")

    one = Path("out-1")
    for other in (Path("out-2"), Path("out-p")):
        for name in ("report.json", "record.json", "report.md", "report.html"):
            assert (other / name).read_bytes() == (one / name).read_bytes(), (other, name)
        assert sorted(p.name for p in (other / "figures").iterdir()) == [
            "drift-d-cat.svg",
            "drift-d-n.svg",
            "drift-d-x.svg",
        ]
    two = Path("out-2")
    report = json.loads((two / "report.json").read_text())
    assert flagged(report) == DRIFTED
    record = json.loads((two / "record.json").read_text())
    assert record["datasets"]["d"]["profile"]["rows"] == 120_000


def test_validate_saves_the_same_profiles_on_any_number_of_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    pcsv.write_csv(mixed_table(60_000, seed=3), "d.csv")
    Path("mlci.yml").write_text("name: v\ndatasets:\n  d:\n    path: d.csv\n" + MIXED_CHECKS)
    Path("none.json").write_text("{}")
    outputs = []
    for jobs in ("1", "2", "auto"):
        saved = f"profiles-{jobs}.json"
        code, out, _ = run_cli(
            "validate", "-j", jobs, "--against", "none.json", "--save-profiles", saved
        )
        assert code == 0  # `n` has nulls: a warning only
        outputs.append((Path(saved).read_bytes(), out))
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_jobs_value_is_a_usage_error(command: str, value: str) -> None:
    code, out, err = run_cli(command, f"--jobs={value}")
    assert (code, out) == (2, "")
    assert err == (
        "mlci: error: --jobs must be a whole number of at least 1, or 'auto' (the CPUs "
        f"available). Got '{value}'.\n"
    )
