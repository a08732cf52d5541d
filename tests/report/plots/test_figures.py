"""All figures of a run: what each task draws, failures as notes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.model.load import Predictions
from mlci.report.plots import Distribution, PlotInputs, drift_key, make_figures
from tests.helpers.plots import decode


def predictions(task: str, n: int = 400, seed: int = 0) -> Predictions:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n)})
    if task == "regression":
        truth = rng.normal(size=n)
        return Predictions(truth, truth + rng.normal(size=n) / 3, None, None, None, frame)
    if task == "binary":
        truth = np.where(rng.random(n) < 0.4, "yes", "no")
        score = np.clip((truth == "yes") * 0.4 + rng.random(n) * 0.6, 0, 1)
        pred = np.where(score >= 0.5, "yes", "no")
        return Predictions(truth, pred, score, None, ("no", "yes"), frame, "yes")
    labels = ("a", "b", "c")
    proba = rng.dirichlet(np.ones(3), size=n)
    truth = np.asarray(labels)[proba.argmax(axis=1)]
    return Predictions(truth, truth, None, proba, labels, frame)


@pytest.mark.parametrize(
    ("task", "keys"),
    [
        ("binary", {"confusion_matrix", "roc_pr", "calibration"}),
        ("multiclass", {"confusion_matrix", "calibration"}),
        ("regression", {"residuals"}),
    ],
)
def test_make_figures_draws_what_the_task_has(task: str, keys: set[str]) -> None:
    p = predictions(task)
    figures, notes = make_figures(PlotInputs(task=task, predictions=p, baseline_predictions=p))
    assert set(figures) == keys
    assert notes == []
    for png in figures.values():
        decode(png)


def test_make_figures_with_history_slices_and_drift() -> None:
    d = Distribution("eval", "age", "numeric", (10, 20, 10), (5, 20, 15), edges=(0, 1, 2, 4))
    inputs = PlotInputs(
        history={"roc_auc": [("a", 0.8), ("b", 0.82)], "f1": [("a", 0.7)]},
        slices=[("plan=pro", 0.7, 0.8)],
        slice_metric="recall",
        distributions=(d,),
    )
    figures, notes = make_figures(inputs)
    assert set(figures) == {"history", "slices", drift_key("eval", "age")}
    assert notes == []
    one_point: dict[str, Any] = {"roc_auc": [("a", 0.8)]}
    assert make_figures(PlotInputs(history=one_point)) == ({}, [])  # one point is no trend


def test_a_failing_figure_becomes_a_note_and_the_others_are_drawn() -> None:
    p = predictions("binary")
    broken = Predictions(p.y_true, p.y_pred, p.y_score[:10], None, p.labels, p.frame, "yes")
    figures, notes = make_figures(PlotInputs(task="binary", predictions=broken, notes=("x",)))
    assert set(figures) == {"confusion_matrix"}
    assert notes[0] == "x"
    assert any(
        n.startswith("The ROC and precision-recall curves could not be drawn (") for n in notes
    )


def test_one_class_or_no_scores_draws_no_curves() -> None:
    p = predictions("binary")
    no_scores = Predictions(p.y_true, p.y_pred, None, None, p.labels, p.frame, "yes")
    one_class = Predictions(
        np.asarray(["yes"] * 5),
        np.asarray(["yes"] * 5),
        np.ones(5) / 2,
        None,
        None,
        p.frame.head(5),
        "yes",
    )
    for case in (no_scores, one_class):
        figures, notes = make_figures(PlotInputs(task="binary", predictions=case))
        assert "roc_pr" not in figures and notes == []
