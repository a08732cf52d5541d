"""The confusion matrix: the figure and the numbers under it."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix

from mlci.report import plots
from mlci.report.plots import Scored, confusion_inputs
from tests.helpers.plots import MAX_BYTES, decode


def test_confusion_inputs_match_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    truth = rng.choice(["cat", "dog", "emu"], size=500)
    pred = np.where(rng.random(500) < 0.7, truth, rng.choice(["cat", "dog", "emu"], size=500))
    labels, matrix = confusion_inputs(truth, pred)
    assert labels == ["cat", "dog", "emu"]
    np.testing.assert_array_equal(matrix, confusion_matrix(truth, pred, labels=labels))
    numbers = rng.integers(0, 3, size=200)  # integer labels, given in the model's order
    labels, matrix = confusion_inputs(numbers, numbers[::-1], labels=[2, 0, 1])
    assert labels == ["2", "0", "1"]
    np.testing.assert_array_equal(
        matrix, confusion_matrix(numbers, numbers[::-1], labels=[2, 0, 1])
    )


def test_many_classes_keep_the_most_frequent_and_pool_the_rest() -> None:
    truth = np.asarray([f"c{i:02d}" for i in range(30) for _ in range(i + 1)])  # c29 most common
    labels, matrix = confusion_inputs(truth, truth)
    assert len(labels) == plots.MAX_MATRIX_CLASSES and labels[-1] == "(other)"
    assert "c29" in labels and "c00" not in labels
    assert matrix.sum() == len(truth)
    assert matrix[-1, -1] == sum(range(1, 12))  # c00..c10 pooled: 1 + 2 + ... + 11 rows


def test_confusion_decodes_and_two_sides_are_wider(scored: Scored) -> None:
    labels, matrix = confusion_inputs(scored.positive, scored.score > 0.5)
    one = plots.confusion_png(labels, matrix)
    two = plots.confusion_png(labels, matrix, matrix)
    assert decode(two).size[0] > decode(one).size[0]  # side by side is wider
    for png in (one, two):
        assert len(png) < MAX_BYTES
