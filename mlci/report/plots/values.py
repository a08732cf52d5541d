"""The values figures are drawn from, and the keys and file names of the figures."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from mlci.report.plots.svg import svg_size

if TYPE_CHECKING:
    from mlci.model.load import Predictions

OTHER = "(other)"  # the bucket of values outside the baseline's top (as drift calls it)

Names = tuple[str, str]  # (baseline's label, candidate's label), e.g. ("main", "this PR")
DEFAULT_NAMES: Names = ("baseline", "this PR")


@dataclass(frozen=True, eq=False)
class Scored:
    """Binary outcomes with a score each: ``positive[i]`` is whether example ``i`` is positive.

    For calibration, ``score`` must be a probability in [0, 1].
    """

    positive: np.ndarray  # bool
    score: np.ndarray  # float


@dataclass(frozen=True)
class Distribution:
    """One column on both sides, counted over the baseline's bins.

    Numeric: ``edges`` has one more entry than the counts (the outer ends are the observed
    extremes, see :func:`distribution_from_profiles`); categorical: ``bins`` names each count
    (the baseline's top values, then "(other)"). ``note`` is a short line drawn under the title,
    e.g. ``"JS 0.21 (fail) · nulls 1.0% → 9.8%"``.
    """

    dataset: str
    column: str
    kind: Literal["numeric", "categorical"]
    baseline: tuple[float, ...]
    current: tuple[float, ...]
    edges: tuple[float, ...] = ()
    bins: tuple[str, ...] = ()
    note: str = ""
    clipped: bool = False  # numeric: an outer bin was drawn narrower than the data's range
    # numeric: the first and last bins hold only current values beyond the baseline's minimum
    # and maximum (the baseline has none there): drawn shaded and labelled as overflow
    overflow: tuple[bool, bool] = (False, False)
    ends: tuple[float, ...] = ()  # numeric: the lowest and highest value of both sides


@dataclass(frozen=True, eq=False)
class PlotInputs:
    """Everything :func:`make_figures` may draw; whatever is missing is simply not drawn.

    ``history`` maps a metric to ``[(short sha, value)]`` oldest first; ``current`` holds the
    candidate's values of those metrics (drawn as the last point). ``slices`` are
    ``(slice name, value, baseline value)`` worst first, of the metric ``slice_metric``.
    """

    task: str | None = None
    predictions: Predictions | None = None
    baseline_predictions: Predictions | None = None
    distributions: tuple[Distribution, ...] = ()
    history: Mapping[str, Sequence[tuple[str, float]]] = field(default_factory=dict)
    current: Mapping[str, float] = field(default_factory=dict)
    slices: Sequence[tuple[str, float, float | None]] = ()
    slice_metric: str = ""
    names: Names = DEFAULT_NAMES
    branch: str = "main"
    notes: tuple[str, ...] = ()  # problems met while gathering these values


# Keys of the figures make_figures returns, with the caption the HTML report gives them.
FIGURE_CAPTIONS: dict[str, str] = {
    "confusion_matrix": "Confusion matrix",
    "roc_pr": "ROC and precision-recall curves",
    "calibration": "Calibration (reliability) curve",
    "residuals": "Residuals",
    "slices": "Worst slices",
    "history": "Metric history",
}
_DRIFT_PREFIX = "drift:"


def drift_key(dataset: str, column: str) -> str:
    """The key of a column's distribution figure: ``drift:<dataset>\\x1f<column>``."""
    return f"{_DRIFT_PREFIX}{dataset}\x1f{column}"


def parse_drift_key(key: str) -> tuple[str, str] | None:
    """``(dataset, column)`` of a :func:`drift_key`, or None for another key."""
    if not key.startswith(_DRIFT_PREFIX) or "\x1f" not in key:
        return None
    dataset, _, column = key[len(_DRIFT_PREFIX) :].partition("\x1f")
    return dataset, column


def figure_files(figures: Mapping[str, bytes]) -> dict[str, bytes]:
    """The figures by file name: ``roc_pr.png``, ``drift-eval-tenure.svg`` (unique, safe)."""
    out: dict[str, bytes] = {}
    for key, data in figures.items():
        where = parse_drift_key(key)
        stem = "drift-" + "-".join(where) if where else key
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:80] or "figure"
        ext = "svg" if svg_size(data) is not None else "png"
        name, n = f"{stem}.{ext}", 2
        while name in out:
            name, n = f"{stem}-{n}.{ext}", n + 1
        out[name] = data
    return out
