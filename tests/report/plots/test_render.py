"""Rendering: stable bytes, no stamps, data strings drawn literally."""

from __future__ import annotations

from mlci.report import plots
from mlci.report.plots import Distribution, Scored
from tests.helpers.plots import decode, parse_svg, svg_texts


def test_same_input_same_bytes_and_no_software_stamp(scored: Scored) -> None:
    first = plots.roc_pr_png(scored)
    assert plots.roc_pr_png(Scored(scored.positive.copy(), scored.score.copy())) == first
    assert b"Software" not in first and b"matplotlib" not in first
    assert b"tIME" not in first  # no timestamp chunk


def test_figures_differ_when_the_data_does(scored: Scored, baseline_scored: Scored) -> None:
    assert plots.roc_pr_png(scored) != plots.roc_pr_png(baseline_scored)


def test_data_strings_are_drawn_literally_not_as_mathtext() -> None:
    # With mathtext on, "$\\frac{$" is a parse error and would fail the figure.
    hostile = "$\\frac{$ <b>&amp; \x1b[31m\u202e"
    d = Distribution(hostile, hostile, "categorical", (1, 2), (2, 1), bins=(hostile, "$x$"))
    texts = svg_texts(parse_svg(plots.drift_svg(d, names=(hostile, hostile))))
    # drawn as text: XML-escaped, controls and bidi overrides removed, nothing else changed
    assert "$x$" in texts and any(t.startswith("$\\frac{$ <b>&amp; [31m") for t in texts)
    decode(plots.slices_png([(hostile, 0.5, 0.6)], metric=hostile))
