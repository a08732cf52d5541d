"""Drifted distributions: the figure and the counts under it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from mlci.report import plots
from mlci.report.plots import Distribution, distribution_from_profiles, drifted_distributions
from mlci.results import CheckResult
from tests.helpers.plots import MAX_BYTES, SVG, parse_svg, profile_column, svg_texts


def test_a_constant_column_falls_back_to_bars() -> None:
    d = Distribution("eval", "flag", "numeric", (5, 0), (3, 2), edges=(1.0, 1.0, 1.0))
    root = parse_svg(plots.drift_svg(d))
    assert len(list(root.iter(f"{SVG}rect"))) == 1 + 2 * 2 + 2  # page, 2 bins × 2 sides, legend
    assert "≤ 1" in svg_texts(root) and "share of values" in svg_texts(root)


def folded(counts: tuple[float, ...]) -> tuple[float, ...]:
    """Counts with both overflow bins added back into the baseline's outer bins."""
    return (counts[0] + counts[1], *counts[2:-2], counts[-2] + counts[-1])


def test_numeric_distribution_counts_over_the_baseline_bins() -> None:
    rng = np.random.default_rng(0)
    base = profile_column(pd.Series(rng.normal(size=5_000)))
    values = pd.Series(rng.normal(0.5, 1.5, size=4_000))
    exact = distribution_from_profiles("eval", "x", base, profile_column(values), values)
    approx = distribution_from_profiles("eval", "x", base, profile_column(values))
    assert exact is not None and approx is not None
    inner = base["bins"]["edges"]
    oracle = pd.cut(values, [-np.inf, *inner, np.inf], right=True).value_counts(sort=False)
    # the wider current spills beyond the baseline's range: bins of their own, which fold back
    assert exact.overflow == (True, True) == approx.overflow
    assert folded(exact.current) == tuple(float(c) for c in oracle)
    assert folded(exact.baseline) == tuple(float(c) for c in base["bins"]["counts"])
    assert exact.edges[2:-2] == tuple(inner)
    assert exact.edges[1] == base["min"] and exact.edges[-2] == base["max"]
    # from the 21-point quantile grid alone: within 1.5% of all rows per bin
    np.testing.assert_allclose(approx.current, exact.current, atol=0.015 * len(values))
    assert "median" in exact.note


def test_far_outliers_get_an_overflow_bin_drawn_narrower() -> None:
    base = profile_column(pd.Series(np.arange(100.0)))
    values = pd.Series([*np.arange(100.0), 1e9])
    d = distribution_from_profiles("eval", "x", base, profile_column(values), values)
    assert d is not None and d.clipped and d.overflow == (False, True)
    inner = base["bins"]["edges"]
    assert d.edges[-2] == 99.0  # the overflow bin starts at the baseline's maximum
    assert d.edges[-1] == 99.0 + (99.0 - inner[0])  # and is drawn at most as wide as the rest
    assert (d.baseline[-1], d.current[-1]) == (0.0, 1.0)
    assert d.ends == (0.0, 1e9)  # the label says how far it really goes
    texts = svg_texts(parse_svg(plots.drift_svg(d)))
    assert "(to 1,000,000,000)" in texts and "x (outer bins drawn narrower)" in texts


def test_values_below_the_baselines_range_are_drawn_where_they_are() -> None:
    """bp values of 8-17 against a baseline of 38-130: their own bin left of 38, not a bar
    inside the baseline's first bin."""
    rng = np.random.default_rng(0)
    base = profile_column(pd.Series(rng.uniform(38, 130, size=2_000)))
    values = pd.Series(np.concatenate([rng.uniform(8, 17, 300), rng.uniform(38, 130, 1_700)]))
    for given in (values, None):  # exact counts, and from the quantile grid alone
        d = distribution_from_profiles("diabetes", "bp", base, profile_column(values), given)
        assert d is not None and d.overflow == (True, False) and not d.clipped
        assert d.edges[0] == values.min() and d.edges[1] == base["min"]
        assert d.baseline[0] == 0.0
        assert abs(d.current[0] - 300) <= (0 if given is not None else 0.03 * len(values))
        assert sum(d.current) == pytest.approx(len(values))
        assert sum(d.baseline) == 2_000
    texts = svg_texts(parse_svg(plots.drift_svg(d)))
    below = f"{d.current[0] / sum(d.current):.0%} below"  # about 300 of 2,000 values
    assert below in texts and "baseline's min" in texts


def test_sampling_at_the_edges_is_not_an_overflow() -> None:
    rng = np.random.default_rng(1)
    base = profile_column(pd.Series(rng.uniform(0, 100, size=2_000)))
    values = pd.Series([*rng.uniform(0, 100, size=2_000), 100.5, -0.5])
    d = distribution_from_profiles("eval", "x", base, profile_column(values), values)
    assert d is not None and d.overflow == (False, False)


def test_a_long_note_wraps_the_title_instead_of_clipping_it() -> None:
    d = Distribution(
        "eval", "x", "numeric", (5, 5), (3, 7), edges=(0.0, 1.0, 2.0), note="word " * 25
    )
    short = parse_svg(plots.drift_svg(d.__class__(**{**d.__dict__, "note": "short"})))
    wrapped = parse_svg(plots.drift_svg(d))
    # the figure grows by the title's extra lines, and every word is drawn
    assert int(wrapped.get("height", "0")) > int(short.get("height", "0"))
    assert " ".join(svg_texts(wrapped)).count("word") == 25


def test_categorical_distribution_puts_new_values_in_other() -> None:
    base = profile_column(pd.Series(["a"] * 60 + ["b"] * 40))
    values = pd.Series(["a"] * 30 + ["b"] * 30 + ["new"] * 40)
    d = distribution_from_profiles("eval", "plan", base, profile_column(values), values)
    assert d is not None
    shares = dict(zip(d.bins, d.current, strict=True))
    assert shares == {"a": 30, "b": 30, "(other)": 40}
    assert d.bins[0] == "(other)"  # moved most, so shown first


def test_kinds_that_differ_give_no_distribution() -> None:
    base = profile_column(pd.Series([1.0, 2.0]))
    assert distribution_from_profiles("d", "c", base, profile_column(pd.Series(["x"]))) is None


def drift_check(column: str, status: str, score: float, check: str = "drift") -> CheckResult:
    return CheckResult(
        "eval",
        check,
        column,
        status,
        "warn",
        f"{column} moved",
        score=score,  # type: ignore[arg-type]
    )


def test_drifted_distributions_worst_first_and_only_problems() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "c": [1.0] * 300})
    base = {"columns": {k: profile_column(frame[k] + 2) for k in frame}}
    current = {"columns": {k: profile_column(frame[k]) for k in frame}}
    checks = [
        drift_check("a", "warn", 0.15),
        drift_check("b", "fail", 0.12),
        drift_check("c", "pass", 0.01),
        drift_check("a", "warn", 0.2, check="drift_null_rate"),
    ]
    found = drifted_distributions(checks, {"eval": base}, {"eval": current}, {"eval": frame})
    assert [d.column for d in found] == ["b", "a"]  # a failure before a higher-scored warning
    assert found[1].note.startswith("JS 0.150 (warn) · null rate")
    assert drifted_distributions(checks, {"eval": None}, {"eval": current}) == ()


def test_numeric_and_categorical_drift_figures_decode() -> None:
    numeric = Distribution("eval", "age", "numeric", (10, 20, 10), (5, 20, 15), edges=(0, 1, 2, 4))
    categorical = Distribution(
        "eval", "plan", "categorical", (60, 30, 10), (40, 40, 20), bins=("a", "b", "(other)")
    )
    for figure in (plots.drift_svg(numeric), plots.drift_svg(categorical)):
        parse_svg(figure)
        assert len(figure) < MAX_BYTES
    assert plots.drift_svg(numeric) == plots.drift_svg(numeric)  # the same values, the same bytes


def polyline_points(root: ET.Element) -> list[list[tuple[float, float]]]:
    return [
        [tuple(float(v) for v in p.split(",")) for p in line.get("points", "").split()]  # type: ignore[misc]
        for line in root.iter(f"{SVG}polyline")
    ]


def test_step_heights_are_the_densities_over_the_bins() -> None:
    """Oracle: numpy's density histogram of the same counts over the same edges."""
    edges = (0.0, 1.0, 2.0, 4.0, 8.0)
    base, cur = (10.0, 20.0, 10.0, 5.0), (5.0, 20.0, 15.0, 20.0)
    d = Distribution("eval", "age", "numeric", base, cur, edges=edges)
    lines = polyline_points(parse_svg(plots.drift_svg(d, names=("main", "this PR"))))
    steps = [pts for pts in lines if len(pts) > 2]  # the two legend samples have 2 points
    assert len(steps) == 2
    for counts, pts in zip((base, cur), steps, strict=True):
        zero = pts[0][1]
        heights = [zero - y for _, y in pts[1:-1:2]]  # the top of each bin, left to right
        centers = np.repeat(np.asarray(edges[:-1]) + 0.5 * np.diff(edges), np.asarray(counts, int))
        oracle, _ = np.histogram(centers, bins=edges, density=True)
        np.testing.assert_allclose(np.asarray(heights) / heights[0], oracle / oracle[0], rtol=0.02)
        xs = [x for x, _ in pts[1::2]]  # every edge, in pixels: proportional to the data
        np.testing.assert_allclose(np.diff(xs) / np.diff(xs)[0], np.diff(edges), rtol=0.02)
