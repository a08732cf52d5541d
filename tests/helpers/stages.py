"""The slice and budget stages of a run, as the pipeline wires them: measured by mlci.model,
judged by mlci.gates."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from mlci.config import Config
from mlci.gates import BudgetsOutcome, SlicesOutcome, judge_budgets, judge_slices
from mlci.model.budgets import measure_budgets
from mlci.model.load import Predictions
from mlci.model.slices import measure_slices
from mlci.records.format import Record
from mlci.results import ModelEvaluation


def evaluate_slices(
    config: Config,
    evaluation: ModelEvaluation | None,
    predictions: Predictions | None,
    baseline: Record | None,
) -> SlicesOutcome:
    return judge_slices(config, measure_slices(config, evaluation, predictions), baseline)


def evaluate_budgets(
    config: Config,
    frames: Mapping[str, pd.DataFrame],
    *,
    repo: Path,
    baseline_commit: str | None,
    baseline: Record | None,
    timer: Callable[[], float] = time.perf_counter,
) -> BudgetsOutcome:
    measured = measure_budgets(
        config, frames, repo=repo, baseline_commit=baseline_commit, baseline=baseline, timer=timer
    )
    return judge_budgets(config.budgets, measured)
