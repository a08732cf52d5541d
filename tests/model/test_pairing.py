"""Per-example predictions in the record: the compact form, pairing, and the paired stage."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mlci.config import Config, ModelConfig, ModelFileConfig, PredictionsConfig
from mlci.errors import ModelError
from mlci.model.load import Predictions
from mlci.model.pairing import (
    decode,
    encode,
    pair,
    paired_outcome,
    row_outputs,
    stored_form,
)
from mlci.records.format import Record


def binary_predictions(n: int, seed: int = 0, *, ids: bool = False, labels=("no", "yes")):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    score = np.clip(0.5 + 0.3 * (2 * truth - 1) + rng.normal(0, 0.25, n), 0, 1)
    y_true = np.array(labels, dtype=object)[truth]
    y_pred = np.array(labels, dtype=object)[(score >= 0.5).astype(int)]
    frame = pd.DataFrame({"label": y_true})
    if ids:
        frame["id"] = [f"row-{i}" for i in range(n)]
    return Predictions(y_true, y_pred, score, None, tuple(labels), frame, labels[1])


def reordered(p: Predictions, order: np.ndarray) -> Predictions:
    return Predictions(
        p.y_true[order],
        p.y_pred[order],
        p.y_score[order],
        None,
        p.labels,
        p.frame.iloc[order].reset_index(drop=True),
        p.pos_label,
    )


# -- the compact form ---------------------------------------------------------------------------


def test_binary_round_trip_keeps_codes_exactly_and_scores_as_float32():
    p = binary_predictions(1000, ids=True)
    rows = row_outputs(p, "binary", id_column="id")
    back = decode(json.loads(json.dumps(encode(rows))))
    assert back.classes == ("no", "yes")
    assert np.array_equal(back.y_true, (p.y_true == "yes").astype(int))
    assert np.array_equal(back.y_pred, (p.y_pred == "yes").astype(int))
    assert np.array_equal(back.y_score, p.y_score.astype(np.float32).astype(float))
    assert back.ids == tuple(p.frame["id"])
    assert encode(back)["fingerprint"] == encode(rows)["fingerprint"]


def test_multiclass_and_regression_round_trip():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    y = np.array(["b", "c", "a"], dtype=object)
    p = Predictions(
        y,
        np.array(["a", "c", "b"], dtype=object),
        None,
        proba,
        ("a", "b", "c"),
        pd.DataFrame({"y": y}),
    )
    back = stored_form(row_outputs(p, "multiclass", id_column=None))
    assert back.classes == ("a", "b", "c") and back.score_classes == ("a", "b", "c")
    assert back.y_true.tolist() == [1, 2, 0] and back.y_pred.tolist() == [0, 2, 1]
    assert np.allclose(back.y_score, proba, atol=1e-7)

    values = np.array([1.5, -2.25, 1e6 + 0.5])
    r = Predictions(values, values * 2, None, None, None, pd.DataFrame({"y": values}))
    back = stored_form(row_outputs(r, "regression", id_column=None))
    assert np.array_equal(back.y_pred, (values * 2).astype(np.float32).astype(float))


def test_record_size_per_10k_rows():
    """About 5 bytes a binary row: codes compress to almost nothing, float32 scores dominate."""
    doc = encode(row_outputs(binary_predictions(10_000), "binary", id_column=None))
    size = len(json.dumps(doc))
    assert size < 70_000, size


@pytest.mark.parametrize(
    "damage",
    [
        {"format": 2},
        {"task": "ranking"},
        {"rows": 7},
        {"arrays": {}},
        {"arrays": {"y_true": {"dtype": "<U3", "shape": [50], "data": ""}}},
        {"arrays": {"y_true": {"dtype": "|u1", "shape": [50], "data": "not base64!"}}},
    ],
)
def test_damaged_predictions_are_a_value_error(damage):
    doc = encode(row_outputs(binary_predictions(50), "binary", id_column=None))
    doc.update(damage)
    with pytest.raises(ValueError):
        decode(doc)


def test_repeated_ids_are_refused():
    p = binary_predictions(5, ids=True)
    p.frame.loc[3, "id"] = "row-1"
    with pytest.raises(ModelError) as caught:
        row_outputs(p, "binary", id_column="id")
    assert str(caught.value) == (
        "The example id column `id` has repeated values (e.g. 'row-1'); ids must identify one "
        "evaluation row each."
    )
    with pytest.raises(ModelError, match="`uid` is not among the evaluation columns"):
        row_outputs(p, "binary", id_column="uid")


# -- pairing ----------------------------------------------------------------------------------


def test_same_rows_pair_by_order():
    rows = stored_form(row_outputs(binary_predictions(200), "binary", id_column=None))
    other = stored_form(row_outputs(binary_predictions(200, seed=0), "binary", id_column=None))
    pairing = pair(rows, other)
    assert pairing.paired is not None and pairing.reason == ""
    assert np.array_equal(pairing.paired.baseline.y_score, rows.y_score)


def test_other_rows_do_not_pair_without_ids():
    base = stored_form(row_outputs(binary_predictions(200), "binary", id_column=None))
    fewer = stored_form(row_outputs(binary_predictions(199), "binary", id_column=None))
    other = stored_form(row_outputs(binary_predictions(200, seed=1), "binary", id_column=None))
    for candidate in (fewer, other):
        pairing = pair(base, candidate)
        assert (pairing.paired, pairing.rows_changed) == (None, True)


def test_ids_pair_rows_in_any_order():
    p = binary_predictions(300, ids=True)
    order = np.random.default_rng(5).permutation(300)
    base = stored_form(row_outputs(p, "binary", id_column="id"))
    cand = stored_form(row_outputs(reordered(p, order), "binary", id_column="id"))
    pairing = pair(base, cand)
    assert pairing.paired is not None
    assert np.array_equal(pairing.paired.baseline.y_score, cand.y_score)


def test_ids_pair_the_common_rows_when_rows_were_added_and_dropped():
    p = binary_predictions(400, ids=True)
    base = stored_form(row_outputs(reordered(p, np.arange(0, 300)), "binary", id_column="id"))
    order = np.r_[np.arange(350, 400), np.random.default_rng(2).permutation(np.arange(50, 350))]
    cand = stored_form(row_outputs(reordered(p, order), "binary", id_column="id"))
    pairing = pair(base, cand)
    assert pairing.paired is not None and pairing.paired.n == 250
    assert pairing.positions is not None
    # each paired row is the candidate's row of the same example, and the baseline's too
    assert np.array_equal(pairing.paired.candidate.y_score, cand.y_score[pairing.positions])
    ids = [cand.ids[i] for i in pairing.positions]
    at = {row_id: i for i, row_id in enumerate(base.ids)}
    expected = base.y_score[[at[i] for i in ids]]
    assert np.array_equal(pairing.paired.baseline.y_score, expected)
    assert "250 rows with the same id on both sides, 100 added, 50 dropped" in pairing.note


def test_too_few_common_ids_do_not_pair():
    p = binary_predictions(400, ids=True)
    base = stored_form(row_outputs(reordered(p, np.arange(0, 200)), "binary", id_column="id"))
    cand = stored_form(row_outputs(reordered(p, np.arange(99, 400)), "binary", id_column="id"))
    pairing = pair(base, cand)  # 101 shared: half of the baseline, not of the candidate's 301
    assert (pairing.paired, pairing.rows_changed) == (None, True)
    assert "101 rows with the same id" in pairing.reason and "pairing needs 151" in pairing.reason
    small = pair(base, cand, min_common=120)
    assert small.paired is None
    half = stored_form(row_outputs(reordered(p, np.arange(49, 250)), "binary", id_column="id"))
    assert pair(base, half).paired is not None  # 151 of 200 and of 201
    assert pair(base, half, min_common=200).paired is None  # under the drift min_rows


def test_multiclass_pairs_on_the_union_of_classes():
    y = np.array(["a", "b", "c", "a"], dtype=object)
    proba = np.full((4, 3), 1 / 3)
    base = Predictions(
        y,
        np.array(["a", "b", "b", "a"], dtype=object),
        None,
        proba,
        ("a", "b", "c"),
        pd.DataFrame({"y": y}),
    )
    cand = Predictions(
        y, np.array(["a", "b", "c", "c"], dtype=object), None, None, None, pd.DataFrame({"y": y})
    )
    pairing = pair(
        row_outputs(base, "multiclass", id_column=None),
        row_outputs(cand, "multiclass", id_column=None),
    )
    paired = pairing.paired
    assert paired is not None and paired.n_classes == 3
    assert paired.candidate.y_pred.tolist() == [0, 1, 2, 2]
    assert paired.baseline.y_score is None  # scores only when both sides score the same classes


def test_a_changed_positive_class_does_not_pair():
    base = row_outputs(binary_predictions(20), "binary", id_column=None)
    cand = row_outputs(binary_predictions(20, labels=("yes", "zz")), "binary", id_column=None)
    assert pair(base, cand).reason == "the positive class changed ('yes' → 'zz')"


# -- the paired stage ---------------------------------------------------------------------------


def config(level: str = "predictions", id_column: str | None = None) -> Config:
    if level == "predictions":
        model = ModelConfig("binary", predictions=PredictionsConfig(Path("p.csv"), id=id_column))
    else:
        model = ModelConfig(
            "binary", model=ModelFileConfig(Path("m.skops"), "eval", "label", id=id_column)
        )
    return Config(name="x", path=Path("mlci.yml"), root=Path("."), model=model)


def record(predictions: Predictions | None) -> Record:
    extra = {}
    if predictions is not None:
        extra = {"predictions": encode(row_outputs(predictions, "binary", id_column=None))}
    return Record(
        name="x",
        commit="b" * 40,
        ref="refs/heads/main",
        created_at="2024-01-01T00:00:00Z",
        config_hash="h",
        tool_version="0",
        environment={},
        verdict="pass",
        extra=extra,
    )


METRICS = ["accuracy", "roc_auc", "log_loss"]
DIRECTIONS = {"accuracy": True, "roc_auc": True, "log_loss": False}


def outcome(cfg, candidate, baseline, rescore=None):
    return paired_outcome(
        cfg, candidate, baseline, metrics=METRICS, directions=DIRECTIONS, rescore=rescore
    )


def test_paired_with_the_stored_baseline():
    base, cand = binary_predictions(500, seed=1), binary_predictions(500, seed=1)
    cand = Predictions(
        cand.y_true,
        cand.y_pred,
        np.clip(cand.y_score + 0.05, 0, 1),
        None,
        cand.labels,
        cand.frame,
        cand.pos_label,
    )
    got = outcome(config(), cand, record(base))
    stats = got.evidence.stats
    assert list(stats) == METRICS
    y = (cand.y_true == "yes").astype(int)
    expected = skm.roc_auc_score(y, cand.y_score.astype(np.float32)) - skm.roc_auc_score(
        y, base.y_score.astype(np.float32)
    )
    assert stats["roc_auc"].delta == pytest.approx(expected, abs=1e-12)
    assert got.stored is not None and got.stored["rows"] == 500
    assert got.baseline_metrics is None and got.notes == ()


def test_without_predictions_on_a_side_there_are_no_intervals():
    cand = binary_predictions(100)
    no_file = outcome(config(), None, record(cand))
    assert no_file.evidence.unpaired == "the metrics come from a metrics file"
    old = outcome(config(), cand, record(None))
    assert old.evidence.stats == {}
    assert old.evidence.unpaired == "the baseline record has no per-example predictions"
    assert old.evidence.inconclusive == ""
    assert outcome(config(), cand, None).evidence.unpaired == "no baseline"


def test_changed_rows_without_a_model_are_compared_unpaired():
    base, cand = binary_predictions(300), binary_predictions(400, seed=2)
    got = outcome(config(), cand, record(base))
    assert got.evidence.inconclusive == ""
    stats = got.evidence.stats
    assert set(stats) == set(METRICS) and {s.method for s in stats.values()} == {"unpaired"}
    y_b, y_c = ((p.y_true == "yes").astype(int) for p in (base, cand))
    auc_b = skm.roc_auc_score(y_b, base.y_score.astype(np.float32))
    auc_c = skm.roc_auc_score(y_c, cand.y_score.astype(np.float32))
    assert stats["roc_auc"].delta == pytest.approx(auc_c - auc_b, abs=1e-12)
    acc_b, acc_c = (skm.accuracy_score(p.y_true, p.y_pred) for p in (base, cand))
    wald = math.sqrt(acc_b * (1 - acc_b) / 300 + acc_c * (1 - acc_c) / 400)
    half = (stats["accuracy"].ci_high - stats["accuracy"].ci_low) / 2
    assert half == pytest.approx(1.96 * wald, rel=0.1)  # the multinomial SE is Wald's
    assert got.notes == (
        "Δ compared unpaired (the evaluation rows changed; there is no baseline model to "
        "re-score): the baseline's 300 rows and this run's 400 rows are independent samples, "
        "so the intervals are wider than paired ones.",
    )


def test_changed_rows_are_re_scored_with_the_baseline_model():
    cand = binary_predictions(400, seed=2)
    rescored = binary_predictions(400, seed=2)
    rescored = Predictions(
        rescored.y_true,
        rescored.y_pred,
        rescored.y_score**1.3,
        None,
        rescored.labels,
        rescored.frame,
        rescored.pos_label,
    )
    got = outcome(config("model"), cand, record(binary_predictions(400)), rescore=lambda: rescored)
    assert set(got.evidence.stats) == set(METRICS)
    y = (cand.y_true == "yes").astype(int)
    assert got.baseline_metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, rescored.y_score))
    assert got.notes == (
        f"The baseline model ({'b' * 7}) was re-scored on this run's evaluation rows (the "
        "evaluation rows changed); the baseline values are its metrics on them.",
    )


def test_a_baseline_model_that_cannot_be_re_scored_is_reported():
    def broken() -> Predictions:
        raise ModelError("model.skops is not in the baseline commit bbbbbbb")

    got = outcome(
        config("model"),
        binary_predictions(100, seed=2),
        record(binary_predictions(100)),
        rescore=broken,
    )
    assert got.evidence.inconclusive == ""
    assert {s.method for s in got.evidence.stats.values()} == {"unpaired"}
    assert got.notes == (
        "Δ compared unpaired (the evaluation rows changed; the baseline model could not be "
        "re-scored (model.skops is not in the baseline commit bbbbbbb)): the baseline's 100 "
        "rows and this run's 100 rows are independent samples, so the intervals are wider than "
        "paired ones.",
    )
