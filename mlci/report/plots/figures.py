"""Every figure of a run: what the run has data for, each failure turned into a note."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

from mlci.report.plots.calibration import calibration_png
from mlci.report.plots.confusion import confusion_inputs, confusion_png, factorize, labels_as_text
from mlci.report.plots.drift import MAX_DRIFT_FIGURES, drift_svg
from mlci.report.plots.history import history_png
from mlci.report.plots.render import plot_text
from mlci.report.plots.residuals import residuals_png
from mlci.report.plots.roc_pr import roc_pr_png
from mlci.report.plots.slices import slices_png
from mlci.report.plots.values import Distribution, Names, PlotInputs, Scored, drift_key
from mlci.vocab import clip

if TYPE_CHECKING:
    from mlci.model.load import Predictions


Drawn = tuple[str, "bytes | None", "str | None"]  # key, PNG (None: nothing to draw), note


def make_figures(inputs: PlotInputs) -> tuple[dict[str, bytes], list[str]]:
    """Every figure ``inputs`` has data for, by key (see :data:`FIGURE_CAPTIONS` and
    :func:`drift_key`), and a note for each figure that could not be drawn.
    """
    return assemble(inputs, draw_share(inputs, 0, 1))


def draw_share(inputs: PlotInputs, share: int, shares: int) -> dict[int, Drawn]:
    """One of ``shares`` equal shares of the figures (every ``shares``-th from number
    ``share`` on), by their number: processes can draw the shares side by side."""
    drawn: dict[int, Drawn] = {}
    for i, (key, what, build) in enumerate(_plan(inputs)):
        if i % shares != share:
            continue
        try:
            drawn[i] = (key, build(), None)
        except Exception as exc:  # a figure must never fail the run
            why = f"{type(exc).__name__}: {clip(str(exc), 200)}"
            drawn[i] = (key, None, f"The {what} could not be drawn ({why}).")
    return drawn


def assemble(inputs: PlotInputs, drawn: Mapping[int, Drawn]) -> tuple[dict[str, bytes], list[str]]:
    """The figures and notes of :func:`make_figures` from the shares drawn, in their order."""
    figures: dict[str, bytes] = {}
    notes: list[str] = list(inputs.notes)
    for i in sorted(drawn):
        key, png, note = drawn[i]
        if note is not None:
            notes.append(note)
        elif png is not None:
            figures[key] = png
    return figures, notes


_Build = Callable[[], "bytes | None"]


def _plan(inputs: PlotInputs) -> Iterator[tuple[str, str, _Build]]:
    p, b, names = inputs.predictions, inputs.baseline_predictions, inputs.names
    if p is not None and inputs.task in ("binary", "multiclass"):
        yield "confusion_matrix", "confusion matrix", lambda: _confusion(p, b, names)
        if inputs.task == "binary":
            yield "roc_pr", "ROC and precision-recall curves", lambda: _roc_pr(p, b, names)
        yield "calibration", "calibration curve", lambda: _calibration(p, b, names, inputs.task)
    if p is not None and inputs.task == "regression":
        yield "residuals", "residual plot", lambda: _residuals(p, b, names)
    if inputs.slices:
        yield (
            "slices",
            "worst slices chart",
            lambda: slices_png(inputs.slices, metric=inputs.slice_metric, names=names),
        )
    for d in inputs.distributions[:MAX_DRIFT_FIGURES]:
        what = f"distribution of {plot_text(d.column, 60)} in {plot_text(d.dataset, 40)}"
        yield drift_key(d.dataset, d.column), what, _bind_drift(d, names)
    if any(len(points) >= 2 for points in inputs.history.values()):
        yield (
            "history",
            "metric history",
            lambda: history_png(
                inputs.history, current=inputs.current, branch=inputs.branch, current_label=names[1]
            ),
        )


def _bind_drift(d: Distribution, names: Names) -> _Build:
    return lambda: drift_svg(d, names=names)


def _confusion(p: Predictions, b: Predictions | None, names: Names) -> bytes | None:
    if p.y_pred is None or not len(p.y_true):
        return None
    labels = _class_labels(p, b)
    classes, matrix = confusion_inputs(p.y_true, p.y_pred, labels=labels)
    base = None
    if b is not None and b.y_pred is not None and len(b.y_true):
        base = confusion_inputs(b.y_true, b.y_pred, labels=labels)[1]
    return confusion_png(classes, matrix, base, names=names)


def _class_labels(p: Predictions, b: Predictions | None) -> list[str]:
    seen: dict[str, None] = {}
    for source in (p, b):
        if source is None:
            continue
        for v in source.labels or ():
            seen.setdefault(str(v), None)
        for array in (source.y_true, source.y_pred):
            if array is not None:
                for v in sorted(factorize(array).names):
                    seen.setdefault(v, None)
    return list(seen)


def _binary_scored(p: Predictions | None) -> Scored | None:
    if p is None or p.y_score is None or not len(p.y_true):
        return None
    positive_label = p.pos_label if p.pos_label is not None else (p.labels or (None, None))[-1]
    positive = np.asarray(labels_as_text(p.y_true) == str(positive_label), dtype=bool)
    score = np.asarray(p.y_score, dtype=float)
    ok = np.isfinite(score)
    return Scored(positive[ok], score[ok])


def _roc_pr(p: Predictions, b: Predictions | None, names: Names) -> bytes | None:
    candidate = _binary_scored(p)
    if candidate is None or candidate.positive.all() or not candidate.positive.any():
        return None
    baseline = _binary_scored(b)
    if baseline is not None and (baseline.positive.all() or not baseline.positive.any()):
        baseline = None
    return roc_pr_png(candidate, baseline, names=names)


def _calibration(
    p: Predictions, b: Predictions | None, names: Names, task: str | None
) -> bytes | None:
    scored = _binary_scored if task == "binary" else _top_label
    candidate = scored(p)
    if candidate is None or not _probabilities(candidate.score):
        return None
    baseline = scored(b)
    if baseline is not None and not _probabilities(baseline.score):
        baseline = None
    what = "predicted probability" if task == "binary" else "confidence (top class probability)"
    return calibration_png(candidate, baseline, names=names, what=what)


def _top_label(p: Predictions | None) -> Scored | None:
    """Multiclass: whether the most probable class is right, with its probability."""
    if p is None or p.y_proba is None or p.labels is None or not len(p.y_true):
        return None
    proba = np.asarray(p.y_proba, dtype=float)
    labels = np.asarray([str(v) for v in p.labels], dtype=object)
    correct = labels[proba.argmax(axis=1)] == labels_as_text(p.y_true)
    return Scored(np.asarray(correct, dtype=bool), proba.max(axis=1))


def _probabilities(score: np.ndarray) -> bool:
    return bool(len(score)) and bool(np.all((score >= 0) & (score <= 1)))


def _residuals(p: Predictions, b: Predictions | None, names: Names) -> bytes | None:
    if p.y_pred is None or not len(p.y_true):
        return None
    base = None
    if b is not None and b.y_pred is not None and len(b.y_true):
        base = (np.asarray(b.y_true, dtype=float), np.asarray(b.y_pred, dtype=float))
    return residuals_png(p.y_true, p.y_pred, baseline=base, names=names)
