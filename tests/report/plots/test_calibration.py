"""The calibration curve: the figure and its bins."""

from __future__ import annotations

import numpy as np
from sklearn.calibration import calibration_curve

from mlci.report import plots
from mlci.report.plots import Scored
from mlci.report.plots.calibration import reliability
from tests.helpers.plots import MAX_BYTES, decode


def test_reliability_bins_match_scikit_learn(scored: Scored) -> None:
    mean_p, rate, counts = reliability(scored, np.linspace(0, 1, 11))
    prob_true, prob_pred = calibration_curve(scored.positive, scored.score, n_bins=10)
    filled = counts > 0
    np.testing.assert_allclose(rate[filled], prob_true)
    np.testing.assert_allclose(mean_p[filled], prob_pred)
    assert counts.sum() == len(scored.score)


def test_calibration_decodes_at_its_size(scored: Scored, baseline_scored: Scored) -> None:
    calibration = plots.calibration_png(scored, baseline_scored)
    assert decode(calibration).size == (480, 460)
    assert len(calibration) < MAX_BYTES
