"""ROC and precision-recall curves: the figure and the numbers under it."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from mlci.report import plots
from mlci.report.plots import Scored
from tests.helpers.plots import MAX_BYTES, binary_data, decode


def test_roc_pr_decodes_at_its_size_and_is_small(scored: Scored, baseline_scored: Scored) -> None:
    png = plots.roc_pr_png(scored, baseline_scored, names=("main", "this PR"))
    image = decode(png)
    assert image.size == (760, 390)  # 7.6 x 3.9 inches at 100 dpi
    assert image.format == "PNG"
    assert len(png) < MAX_BYTES


@pytest.mark.parametrize("ties", [False, True])
def test_curves_match_scikit_learn(ties: bool) -> None:
    positive, score = binary_data(3_000, seed=4)
    if ties:
        score = np.round(score, 1)  # few distinct scores: ties inside each
    c = plots.curves(Scored(positive, score))
    fpr, tpr, _ = roc_curve(positive, score, drop_intermediate=False)
    precision, recall, _ = precision_recall_curve(positive, score)
    np.testing.assert_allclose(c.fpr, fpr)
    np.testing.assert_allclose(c.tpr, tpr)
    np.testing.assert_allclose(c.recall[1:], recall[::-1][1:])  # sklearn: lowest recall last
    np.testing.assert_allclose(c.precision[1:], precision[::-1][1:])
    assert c.auc == pytest.approx(roc_auc_score(positive, score), abs=1e-12)
    assert c.average_precision == pytest.approx(average_precision_score(positive, score), abs=1e-12)
