"""Metric history."""

from __future__ import annotations

from mlci.report import plots
from tests.helpers.plots import MAX_BYTES, decode


def test_history_decodes_at_its_size() -> None:
    history = plots.history_png(
        {"roc_auc": [(f"{i:07x}", 0.8 + i / 100) for i in range(30)], "f1": [("0000001", 0.7)]},
        current={"roc_auc": 0.9},
    )
    decode(history)
    assert len(history) < MAX_BYTES
    assert decode(history).size == (640, 380)  # 0.7 + 1.55 inches per metric, 2 metrics
