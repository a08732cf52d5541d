"""The report's figures: PNG from matplotlib, SVG drawn by hand; small and deterministic.

The drift figures (:func:`drift_svg`) are SVG written directly (:mod:`.svg`), so a run that
only checks data never imports matplotlib.

Each ``*_png`` function is a pure function of plain values (arrays, counts, pairs) that returns
the bytes of one PNG; nothing is written to disk and no global matplotlib state is touched
(figures are made with :class:`matplotlib.figure.Figure` and the Agg renderer, never pyplot, so
no display is needed and no backend is switched). The same input gives the same bytes on the
same matplotlib: fixed size and dpi, the default style plus our settings, no timestamps or
software name in the file. Text from the data (column names, categories, slice names) is drawn
literally: mathtext is off, so a ``$`` in a column name is just a dollar sign.

:func:`make_figures` draws every figure a run has data for and turns a failure of any one
figure into a note: a plot must never fail the run.
"""

from __future__ import annotations

from mlci.report.plots.calibration import calibration_png
from mlci.report.plots.confusion import MAX_MATRIX_CLASSES, confusion_inputs, confusion_png
from mlci.report.plots.drift import (
    MAX_CATEGORIES,
    MAX_DRIFT_FIGURES,
    distribution_from_profiles,
    drift_svg,
    drifted_distributions,
)
from mlci.report.plots.figures import make_figures
from mlci.report.plots.history import MAX_HISTORY_METRICS, history_png
from mlci.report.plots.render import (
    BASELINE_COLOR,
    CANDIDATE_COLOR,
    DPI,
    NEUTRAL_COLOR,
    render_png,
)
from mlci.report.plots.residuals import MAX_SCATTER_POINTS, residuals_png
from mlci.report.plots.roc_pr import MAX_CURVE_POINTS, Curves, curves, roc_pr_png
from mlci.report.plots.slices import MAX_SLICES, slices_png, worst_slices
from mlci.report.plots.values import (
    DEFAULT_NAMES,
    FIGURE_CAPTIONS,
    OTHER,
    Distribution,
    Names,
    PlotInputs,
    Scored,
    drift_key,
    figure_files,
    parse_drift_key,
)

__all__ = [
    "BASELINE_COLOR",
    "CANDIDATE_COLOR",
    "DEFAULT_NAMES",
    "DPI",
    "FIGURE_CAPTIONS",
    "MAX_CATEGORIES",
    "MAX_CURVE_POINTS",
    "MAX_DRIFT_FIGURES",
    "MAX_HISTORY_METRICS",
    "MAX_MATRIX_CLASSES",
    "MAX_SCATTER_POINTS",
    "MAX_SLICES",
    "NEUTRAL_COLOR",
    "OTHER",
    "Curves",
    "Distribution",
    "Names",
    "PlotInputs",
    "Scored",
    "calibration_png",
    "confusion_inputs",
    "confusion_png",
    "curves",
    "distribution_from_profiles",
    "drift_key",
    "drift_svg",
    "drifted_distributions",
    "figure_files",
    "history_png",
    "make_figures",
    "parse_drift_key",
    "render_png",
    "residuals_png",
    "roc_pr_png",
    "slices_png",
    "worst_slices",
]
