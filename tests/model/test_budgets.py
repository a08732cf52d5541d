"""Budgets measured: size, latency and memory of prediction, the baseline model interleaved."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import clone

from mlci.config import BudgetRule, BudgetsConfig, Config, load_config
from mlci.model.budgets import Contender, measure
from mlci.model.measurement import p95
from mlci.records.format import Record
from tests.helpers.git import git
from tests.helpers.stages import evaluate_budgets


class FakeClock:
    """Seconds that only pass when a fake model predicts."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def fake_model(
    name: str, clock: FakeClock, log: list[tuple[str, int, int]], cost_ms: list[float]
) -> Any:
    """Logs (name, first row, rows) and takes the next of ``cost_ms`` (cycling) per call."""
    calls = iter(cost_ms * 1000)

    def predict(X: pd.DataFrame) -> None:
        log.append((name, int(X.index[0]), len(X)))
        clock.now += next(calls) / 1000

    return predict


def test_repetitions_alternate_between_the_models_after_warm_up() -> None:
    clock, log = FakeClock(), []
    X = pd.DataFrame({"x": range(40)})
    candidate = Contender(fake_model("c", clock, log, [2, 3, 4]), X, 10)
    baseline = Contender(fake_model("b", clock, log, [1]), X, 20)
    cfg = BudgetsConfig(
        latency_p95_ms=BudgetRule(),
        batch_latency_p95_ms=BudgetRule(),
        repeats=5,
        warmup=2,
        batch_size=1000,
    )

    c, b = measure([candidate, baseline], cfg, timer=clock)

    warm = [
        ("c", 0, 1),
        ("c", 0, 40),
        ("b", 0, 1),
        ("b", 0, 40),  # round 0
        ("b", 1, 1),
        ("b", 0, 40),
        ("c", 1, 1),
        ("c", 0, 40),
    ]  # round 1, reversed
    single = [
        ("c", 0, 1),
        ("b", 0, 1),
        ("b", 1, 1),
        ("c", 1, 1),
        ("c", 2, 1),
        ("b", 2, 1),
        ("b", 3, 1),
        ("c", 3, 1),
        ("c", 4, 1),
        ("b", 4, 1),
    ]
    batch = [(name, 0, 40) for name, _, _ in single]
    assert log == warm + single + batch
    # the candidate's costs cycle 2, 3, 4 ms over its calls, 4 of which were warm-up calls
    assert c.latency_ms == pytest.approx([3, 4, 2, 3, 4])
    assert c.batch_latency_ms == pytest.approx([2, 3, 4, 2, 3])
    assert b.latency_ms == pytest.approx([1] * 5) and b.batch_latency_ms == pytest.approx([1] * 5)
    values = c.values()
    assert values["latency_p95_ms"] == pytest.approx(np.percentile([3, 4, 2, 3, 4], 95))
    assert values["batch_latency_p95_ms"] == pytest.approx(np.percentile([2, 3, 4, 2, 3], 95))
    assert (values["model_size_mb"], b.values()["model_size_mb"]) == (10 / 1e6, 20 / 1e6)
    assert "peak_memory_mb" not in values and c.batch_rows == 40


def test_the_batch_is_batch_size_rows_and_only_asked_budgets_are_measured() -> None:
    clock, log = FakeClock(), []
    X = pd.DataFrame({"x": range(40)})
    cfg = BudgetsConfig(batch_latency_p95_ms=BudgetRule(), repeats=5, warmup=0, batch_size=7)
    [m] = measure([Contender(fake_model("c", clock, log, [1]), X, 1)], cfg, timer=clock)
    assert log == [("c", 0, 7)] * 5
    assert (m.latency_ms, m.batch_rows, m.peak_memory_bytes) == ((), 7, None)


def test_peak_memory_is_what_prediction_allocates() -> None:
    X = pd.DataFrame({"x": range(10)})
    big = Contender(lambda X: np.ones(1_000_000).sum(), X, 1)  # 8,000,000 bytes
    small = Contender(lambda X: np.ones(250_000).sum(), X, 1)  # 2,000,000 bytes
    cfg = BudgetsConfig(peak_memory_mb=BudgetRule(), repeats=5, warmup=1)
    a, b = measure([big, small], cfg)
    assert 8.0 <= a.values()["peak_memory_mb"] < 8.1
    assert 2.0 <= b.values()["peak_memory_mb"] < 2.1


def test_p95_is_numpys_linear_percentile() -> None:
    samples = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0]
    assert p95(samples) == float(np.percentile(samples, 95)) == pytest.approx(8.75)


# --- the stage, on a real skops model in a git repository --------------------------------------


def budget_config(folder: Path, budgets: str) -> Config:
    (folder / "mlci.yml").write_text(
        "name: m\ndatasets: {eval: {path: eval.csv}}\n"
        "model: {task: binary, model: {path: models/model.skops, data: eval, target: label}}\n"
        + textwrap.dedent(budgets)
    )
    return load_config(folder / "mlci.yml")


@pytest.fixture
def repo(tmp_path: Path, binary_model: Any) -> tuple[Path, str, pd.DataFrame]:
    """A repository whose commit holds a skops model; the work tree holds a bigger one."""
    (tmp_path / "models").mkdir()
    git(tmp_path, "init", "-q", "-b", "main")
    sio.dump(binary_model.model, tmp_path / "models" / "model.skops")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "baseline model")
    head = git(tmp_path, "rev-parse", "HEAD")
    bigger = clone(binary_model.model).fit(binary_model.X, binary_model.frame.label)
    bigger.extra_weights_ = np.arange(5000.0)  # the candidate grew by 40 kB
    sio.dump(bigger, tmp_path / "models" / "model.skops")
    return tmp_path, head, binary_model.frame


@pytest.mark.integration
def test_a_real_model_and_its_baseline_measured_in_the_same_job(repo: Any) -> None:
    folder, head, frame = repo
    config = budget_config(
        folder,
        """\
        budgets:
          model_size_mb: {max: 10, max_regression: {relative: 0.01}}
          latency_p95_ms: {max: 10000}
          batch_latency_p95_ms: {max: 10000}
          peak_memory_mb: {max: 1000}
          repeats: 5
          warmup: 1
        """,
    )
    outcome = evaluate_budgets(
        config, {"eval": frame}, repo=folder, baseline_commit=head, baseline=None
    )

    by_name = {b.name: b for b in outcome.budgets}
    assert list(by_name) == [
        "model_size_mb",
        "latency_p95_ms",
        "batch_latency_p95_ms",
        "peak_memory_mb",
    ]
    candidate_size = (folder / "models" / "model.skops").stat().st_size
    committed = subprocess.run(
        ["git", "cat-file", "-s", f"{head}:models/model.skops"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    assert by_name["model_size_mb"].value == candidate_size / 1e6
    assert by_name["model_size_mb"].baseline == int(committed.stdout) / 1e6
    assert by_name["model_size_mb"].method == f"{candidate_size:,} bytes"
    assert all(b.value > 0 and b.baseline and b.baseline > 0 for b in outcome.budgets)
    assert {b.baseline_source for b in outcome.budgets} == {"same_job"}
    whole = f"predictions of {len(frame):,} rows"  # the whole eval set: under 1,000 rows
    assert whole in by_name["batch_latency_p95_ms"].method
    statuses = {(g.metric, g.rule): g.status for g in outcome.gates}
    assert statuses.pop(("model_size_mb", "max_regression")) == "fail"
    assert set(statuses.values()) == {"pass"}
    assert outcome.record == {b.name: b.value for b in outcome.budgets}
    assert outcome.notes == ()


@pytest.mark.integration
def test_without_the_baseline_file_size_comes_from_the_record_and_latency_is_skipped(
    repo: Any,
) -> None:
    folder, _, frame = repo
    git(folder, "rm", "-q", "--cached", "models/model.skops")
    git(folder, "commit", "-q", "-m", "model kept outside git")
    later = git(folder, "rev-parse", "HEAD")
    config = budget_config(
        folder,
        """\
        budgets:
          model_size_mb: {max_regression: 0.5}
          latency_p95_ms: {max_regression: {relative: 0.1}}
          repeats: 5
        """,
    )
    record = Record(
        name="m",
        commit=later,
        ref="refs/heads/main",
        created_at="2024-01-01T00:00:00Z",
        config_hash="x",
        tool_version="0",
        environment={},
        verdict="pass",
        extra={"budgets": {"model_size_mb": 0.25, "latency_p95_ms": 0.1}},
    )

    outcome = evaluate_budgets(
        config, {"eval": frame}, repo=folder, baseline_commit=later, baseline=record
    )

    size, latency = outcome.budgets
    assert (size.baseline, size.baseline_source) == (0.25, "record")
    assert (latency.baseline, latency.baseline_source) == (None, "none")
    reason = (
        f"the baseline model was not measured in this job: the baseline commit {later[:7]} has "
        "no file models/model.skops in git (not committed, moved, or kept outside git)"
    )
    assert outcome.notes == (f"Budgets: {reason}.",)
    gates = {g.metric: (g.status, g.message) for g in outcome.gates}
    assert gates["latency_p95_ms"] == ("skipped", reason)
    assert gates["model_size_mb"][0] == "pass"
