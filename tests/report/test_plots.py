"""The figures: PNGs that decode at the expected size, stable bytes, right numbers underneath."""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from report_support import metric
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from mlci.data.profile import profile_frame
from mlci.model.load import Predictions
from mlci.report import plots
from mlci.report.plots import (
    Distribution,
    PlotInputs,
    Scored,
    confusion_inputs,
    distribution_from_profiles,
    drift_key,
    drifted_distributions,
    figure_files,
    make_figures,
    parse_drift_key,
)
from mlci.results import CheckResult, SliceResult

MAX_BYTES = 80_000  # "about 50 KB" each, with room for busy data


def profile_column(values: pd.Series) -> dict[str, Any]:
    """The profile mlci stores for one column."""
    return profile_frame(pd.DataFrame({"x": values}))["columns"]["x"]


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every pixel: a truncated or corrupt file raises here
    return image


def binary_data(n: int = 2_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    positive = rng.random(n) < 0.3
    score = np.clip(positive * 0.35 + rng.random(n) * 0.65, 0, 1)
    return positive, score


@pytest.fixture(scope="module")
def scored() -> Scored:
    return Scored(*binary_data())


@pytest.fixture(scope="module")
def baseline_scored() -> Scored:
    return Scored(*binary_data(seed=1))


# --- each figure ---------------------------------------------------------------------------


def test_roc_pr_decodes_at_its_size_and_is_small(scored: Scored, baseline_scored: Scored) -> None:
    png = plots.roc_pr_png(scored, baseline_scored, names=("main", "this PR"))
    image = decode(png)
    assert image.size == (760, 390)  # 7.6 x 3.9 inches at 100 dpi
    assert image.format == "PNG"
    assert len(png) < MAX_BYTES


def test_same_input_same_bytes_and_no_software_stamp(scored: Scored) -> None:
    first = plots.roc_pr_png(scored)
    assert plots.roc_pr_png(Scored(scored.positive.copy(), scored.score.copy())) == first
    assert b"Software" not in first and b"matplotlib" not in first
    assert b"tIME" not in first  # no timestamp chunk


def test_figures_differ_when_the_data_does(scored: Scored, baseline_scored: Scored) -> None:
    assert plots.roc_pr_png(scored) != plots.roc_pr_png(baseline_scored)


def test_calibration_and_confusion_and_residuals_decode(
    scored: Scored, baseline_scored: Scored
) -> None:
    calibration = plots.calibration_png(scored, baseline_scored)
    labels, matrix = confusion_inputs(scored.positive, scored.score > 0.5)
    one = plots.confusion_png(labels, matrix)
    two = plots.confusion_png(labels, matrix, matrix)
    rng = np.random.default_rng(0)
    truth = rng.normal(size=5_000) * 10
    residuals = plots.residuals_png(truth, truth + rng.normal(size=5_000), baseline=(truth, truth))
    assert decode(calibration).size == (480, 460)
    assert decode(residuals).size == (760, 340)
    assert decode(two).size[0] > decode(one).size[0]  # side by side is wider
    for png in (calibration, one, two, residuals):
        assert len(png) < MAX_BYTES


def test_slices_history_and_drift_figures_decode() -> None:
    slices = plots.slices_png(
        [("plan=basic", 0.71, 0.75), ("plan=pro", 0.8, None), ("country=?", float("nan"), 0.8)],
        metric="recall",
    )
    history = plots.history_png(
        {"roc_auc": [(f"{i:07x}", 0.8 + i / 100) for i in range(30)], "f1": [("0000001", 0.7)]},
        current={"roc_auc": 0.9},
    )
    numeric = Distribution("eval", "age", "numeric", (10, 20, 10), (5, 20, 15), edges=(0, 1, 2, 4))
    categorical = Distribution(
        "eval", "plan", "categorical", (60, 30, 10), (40, 40, 20), bins=("a", "b", "(other)")
    )
    for png in (slices, history, plots.drift_png(numeric), plots.drift_png(categorical)):
        decode(png)
        assert len(png) < MAX_BYTES
    assert decode(history).size == (640, 380)  # 0.7 + 1.55 inches per metric, 2 metrics


def test_data_strings_are_drawn_literally_not_as_mathtext() -> None:
    # With mathtext on, "$\\frac{$" is a parse error and would fail the figure.
    hostile = "$\\frac{$ <b>&amp; \x1b[31m\u202e"
    d = Distribution(hostile, hostile, "categorical", (1, 2), (2, 1), bins=(hostile, "$x$"))
    decode(plots.drift_png(d, names=(hostile, hostile)))
    decode(plots.slices_png([(hostile, 0.5, 0.6)], metric=hostile))


def test_a_constant_column_falls_back_to_bars() -> None:
    d = Distribution("eval", "flag", "numeric", (5, 0), (3, 2), edges=(1.0, 1.0, 1.0))
    decode(plots.drift_png(d))


# --- the numbers behind the figures --------------------------------------------------------


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


def test_many_classes_keep_the_most_frequent_and_pool_the_rest() -> None:
    truth = np.asarray([f"c{i:02d}" for i in range(30) for _ in range(i + 1)])  # c29 most common
    labels, matrix = confusion_inputs(truth, truth)
    assert len(labels) == plots.MAX_MATRIX_CLASSES and labels[-1] == "(other)"
    assert "c29" in labels and "c00" not in labels
    assert matrix.sum() == len(truth)
    assert matrix[-1, -1] == sum(range(1, 12))  # c00..c10 pooled: 1 + 2 + ... + 11 rows


def test_reliability_bins_match_scikit_learn(scored: Scored) -> None:
    mean_p, rate, counts = plots._reliability(scored, np.linspace(0, 1, 11))
    prob_true, prob_pred = calibration_curve(scored.positive, scored.score, n_bins=10)
    filled = counts > 0
    np.testing.assert_allclose(rate[filled], prob_true)
    np.testing.assert_allclose(mean_p[filled], prob_pred)
    assert counts.sum() == len(scored.score)


def test_numeric_distribution_counts_over_the_baseline_bins() -> None:
    rng = np.random.default_rng(0)
    base = profile_column(pd.Series(rng.normal(size=5_000)))
    values = pd.Series(rng.normal(0.5, 1.5, size=4_000))
    exact = distribution_from_profiles("eval", "x", base, profile_column(values), values)
    approx = distribution_from_profiles("eval", "x", base, profile_column(values))
    assert exact is not None and approx is not None
    inner = base["bins"]["edges"]
    oracle = pd.cut(values, [-np.inf, *inner, np.inf], right=True).value_counts(sort=False)
    assert exact.current == tuple(float(c) for c in oracle)
    assert exact.baseline == tuple(float(c) for c in base["bins"]["counts"])
    assert exact.edges[1:-1] == tuple(inner)
    # from the 21-point quantile grid alone: within 1.5% of all rows per bin
    np.testing.assert_allclose(approx.current, exact.current, atol=0.015 * len(values))
    assert "median" in exact.note


def test_far_outliers_cut_the_outer_bins() -> None:
    base = profile_column(pd.Series(np.arange(100.0)))
    values = pd.Series([*np.arange(100.0), 1e9])
    d = distribution_from_profiles("eval", "x", base, profile_column(values), values)
    assert d is not None and d.clipped
    inner = base["bins"]["edges"]
    assert d.edges[-1] == inner[-1] + (inner[-1] - inner[0])


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


def test_drift_keys_round_trip_and_file_names_are_safe_and_unique() -> None:
    key = drift_key("eval/x", "a:b\x1fc")
    assert parse_drift_key(key) == ("eval/x", "a:b\x1fc")
    assert parse_drift_key("roc_pr") is None
    names = figure_files(
        {
            "roc_pr": b"1",
            drift_key("eval", "a b"): b"2",
            drift_key("eval", "a_b"): b"3",
            drift_key(".", "../../etc/passwd"): b"4",
        }
    )
    assert list(names)[:3] == ["roc_pr.png", "drift-eval-a_b.png", "drift-eval-a_b-2.png"]
    assert list(names.values()) == [b"1", b"2", b"3", b"4"]
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.png", name), name


# --- all figures of a run ------------------------------------------------------------------


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


def test_worst_slices_across_groupings_direction_aware() -> None:
    def sliced(col: str, key: str, value: float, higher: bool = True) -> SliceResult:
        m = metric("loss" if not higher else "recall", value, value + 0.01, higher=higher)
        return SliceResult((col,), (key,), 100, (m,), sorted_by=m.name)

    slices = (
        sliced("plan", "pro", 0.8),
        sliced("plan", "basic", 0.6),
        SliceResult(("plan",), ("tiny",), 3, too_small=True, sorted_by="recall"),
        sliced("country", "DE", 0.7),
        sliced("country", "FR", float("nan")),
    )
    assert plots.worst_slices(slices) == (
        "recall",
        [("plan=basic", 0.6, 0.61), ("country=DE", 0.7, 0.71), ("plan=pro", 0.8, 0.81)],
    )
    losses = (sliced("plan", "a", 0.2, higher=False), sliced("plan", "b", 0.5, higher=False))
    assert [label for label, _, _ in plots.worst_slices(losses)[1]] == ["plan=b", "plan=a"]
    assert plots.worst_slices(()) == ("", [])
