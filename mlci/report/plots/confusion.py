"""The confusion matrix: its numbers and its figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlci.report.plots.render import plot_text, render_png
from mlci.report.plots.values import DEFAULT_NAMES, OTHER, Names

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


MAX_MATRIX_CLASSES = 20  # a confusion matrix shows the most frequent classes, the rest as "other"


def confusion_png(
    labels: Sequence[str],
    candidate: np.ndarray,
    baseline: np.ndarray | None = None,
    *,
    names: Names = DEFAULT_NAMES,
) -> bytes:
    """Confusion matrices (rows: true class, columns: predicted), side by side when both exist.

    Each cell shows its count and its share of the true class; the colour is that share
    (recall on the diagonal), so matrices of different sizes compare at a glance.
    """
    panels = [(names[1], np.asarray(candidate))]
    if baseline is not None:
        panels.insert(0, (names[0], np.asarray(baseline)))
    n = len(labels)
    side = min(2.6 + 0.16 * n, 5.2)
    width = side * len(panels) + 0.6

    def draw(fig: Figure) -> None:
        fig.set_layout_engine("compressed", w_pad=0.12, h_pad=0.08)  # square cells
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (title, matrix) in zip(axes, panels, strict=True):
            _matrix(ax, matrix, [plot_text(x, 14) for x in labels], title)

    return render_png(width, side + 0.5, draw)


def _matrix(ax: Axes, matrix: np.ndarray, labels: list[str], title: str) -> None:
    totals = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    ax.grid(False)
    ax.spines[:].set_visible(True)
    ticks = range(len(labels))
    rotated = len(labels) > 4
    ax.set_xticks(ticks, labels, rotation=45 if rotated else 0, ha="right" if rotated else "center")
    ax.set_yticks(ticks, labels)
    ax.set(xlabel="predicted", ylabel="true", title=f"{plot_text(title)} (n={int(matrix.sum()):,})")
    if len(labels) <= 12:
        small = len(labels) > 6
        for (i, j), count in np.ndenumerate(matrix):
            text = f"{int(count):,}" if small else f"{int(count):,}\n{share[i, j]:.0%}"
            color = "white" if share[i, j] > 0.55 else "#222222"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=7)


def confusion_inputs(
    y_true: np.ndarray, y_pred: np.ndarray, *, labels: Sequence[Any] | None = None
) -> tuple[list[str], np.ndarray]:
    """The class labels and the confusion matrix of ``y_pred`` against ``y_true``.

    Past :data:`MAX_MATRIX_CLASSES` classes the least frequent true classes are pooled into
    ``"(other)"`` so the matrix stays readable.
    """
    truth, pred = factorize(y_true), factorize(y_pred)
    classes = [str(c) for c in labels] if labels is not None else sorted(truth.names | pred.names)
    if len(classes) > MAX_MATRIX_CLASSES:
        counts = truth.counts()
        ranked = sorted(classes, key=lambda c: (-counts.get(c, 0), classes.index(c)))
        kept = set(ranked[: MAX_MATRIX_CLASSES - 1])
        classes = [*(c for c in classes if c in kept), OTHER]
        index = {c: i for i, c in enumerate(classes)}
        default = len(classes) - 1  # every other class is pooled
    else:
        index, default = {c: i for i, c in enumerate(classes)}, -1  # unknown labels: left out
    k = len(classes)
    rows, cols = truth.codes_in(index, default), pred.codes_in(index, default)
    ok = (rows >= 0) & (cols >= 0)
    matrix = np.bincount(rows[ok] * k + cols[ok], minlength=k * k).reshape(k, k)
    return classes, matrix.astype(np.int64)


@dataclass(frozen=True, eq=False)
class Factorized:
    """Labels as integer codes into their distinct values (hashing, not sorting: fast)."""

    codes: np.ndarray
    texts: list[str]  # the distinct values as text, the way ``str`` writes them

    @property
    def names(self) -> set[str]:
        return set(self.texts)

    def counts(self) -> dict[str, int]:
        n = np.bincount(self.codes[self.codes >= 0], minlength=len(self.texts))
        return {t: int(c) for t, c in zip(self.texts, n, strict=True)}

    def codes_in(self, index: Mapping[str, int], default: int) -> np.ndarray:
        lookup = np.asarray([index.get(t, default) for t in self.texts] + [-1], dtype=np.int64)
        return lookup[self.codes]  # code -1 (a missing value) picks the trailing -1


def factorize(values: Any) -> Factorized:

    codes, uniques = pd.factorize(np.asarray(values))
    return Factorized(np.asarray(codes, dtype=np.int64), [str(u) for u in uniques])


def labels_as_text(values: Any) -> np.ndarray:
    """Labels as text, the way ``str`` writes them (1, 1.5, True, "yes"), as an object array."""
    return np.asarray(values).astype(str).astype(object)
