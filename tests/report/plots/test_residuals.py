"""Regression residuals."""

from __future__ import annotations

import numpy as np

from mlci.report import plots
from tests.helpers.plots import MAX_BYTES, decode


def test_residuals_decode_at_their_size() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=5_000) * 10
    residuals = plots.residuals_png(truth, truth + rng.normal(size=5_000), baseline=(truth, truth))
    assert decode(residuals).size == (760, 340)
    assert len(residuals) < MAX_BYTES
