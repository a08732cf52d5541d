"""Slices for the slice tests: predictions with plan and country columns, slice values, configs."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlci.config import Config, load_config
from mlci.model.load import Predictions
from mlci.model.slices import SliceValues
from mlci.results import ModelEvaluation

DIRECTIONS = {"accuracy": True, "recall": True, "f1": True, "roc_auc": True, "log_loss": False}


def binary_predictions(n: int = 600, seed: int = 0) -> Predictions:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "plan": rng.choice(["basic", "pro", "enterprise"], n, p=[0.5, 0.3, 0.2]),
            "country": rng.choice(["DE", "FR"], n),
        }
    )
    y = rng.integers(0, 2, n)
    score = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    return Predictions(y, (score >= 0.5).astype(int), score, None, (0, 1), frame, 1)


def by_key(values: list[SliceValues]) -> dict[tuple[str | None, ...], SliceValues]:
    return {v.key: v for v in values}


def values(key: str, n: int = 100, **metrics: float) -> SliceValues:
    return SliceValues(("plan",), (key,), n, metrics)


def write_config(folder: Path, body: str) -> Config:
    (folder / "mlci.yml").write_text("name: m\n" + textwrap.dedent(body))
    return load_config(folder / "mlci.yml")


def evaluation(p: Predictions) -> ModelEvaluation:
    return ModelEvaluation("binary", "predictions", {"recall": 0.5, "accuracy": 0.5}, len(p.y_true))


def record_doc(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": "m",
        "commit": "a" * 40,
        "ref": "refs/heads/main",
        "created_at": "2024-01-01T00:00:00Z",
        "config_hash": "x",
        "tool_version": "0",
        "environment": {},
        "datasets": {},
        "model": None,
        "gates": [],
        "checks": [],
        "verdict": "pass",
        "extra": extra,
    }
