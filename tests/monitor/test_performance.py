"""Served outputs joined with delayed labels by id, and the release's metrics on them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlci.config import DatasetConfig, MonitorLabelsConfig, MonitorPredictionsConfig
from mlci.errors import DataError
from mlci.monitor.performance import evaluate_joined, join_labels
from mlci.monitor.sources import expand

OUTPUTS = MonitorPredictionsConfig("eval", "rid", y_score="score")
LABELS = MonitorLabelsConfig(Path("unused"), "rid", "label")


def files(root: Path, written: str):
    return expand(root / written, fmt=None, what="t", shown=written, repository=root)


def served(root: Path, parts: list[pd.DataFrame], suffix: str = "parquet") -> None:
    (root / "served").mkdir()
    for i, part in enumerate(parts):
        path = root / "served" / f"part-{i}.{suffix}"
        part.to_parquet(path, index=False) if suffix == "parquet" else part.to_csv(
            path, index=False
        )


def join(root: Path, labels: pd.DataFrame, outputs=OUTPUTS, labels_cfg=LABELS, suffix="csv"):
    path = root / f"labels.{suffix}"
    labels.to_csv(path, index=False) if suffix == "csv" else labels.to_parquet(path, index=False)
    return join_labels(
        files(root, "served"),
        DatasetConfig("eval", root / "served"),
        outputs,
        files(root, path.name),
        labels_cfg,
        task="binary",
    )


def test_rows_are_joined_by_id_whatever_its_type_and_counted(tmp_path: Path) -> None:
    served(
        tmp_path,
        [
            pd.DataFrame({"rid": [1, 2, 3], "score": [0.9, 0.2, 0.7], "x": [1, 2, 3]}),
            pd.DataFrame({"rid": [4, 5, 2], "score": [0.1, 0.8, 0.3], "x": [4, 5, 6]}),
        ],
    )
    labels = pd.DataFrame({"rid": ["1", "2", "5", "99"], "label": [1, 0, 1, 0]})  # text ids

    joined = join(tmp_path, labels)

    assert (joined.served_rows, joined.labeled_rows, joined.label_rows) == (6, 4, 4)
    assert joined.unmatched_labels == 1  # id 99 was not served
    assert joined.repeated_ids == 1  # id 2 was served twice
    p = joined.predictions
    assert p is not None
    assert sorted(
        zip(p.frame["rid"].astype(str), p.y_true.tolist(), p.y_score.tolist(), strict=True)
    ) == [
        ("1", 1, 0.9),
        ("2", 0, 0.2),
        ("2", 0, 0.3),
        ("5", 1, 0.8),
    ]
    derived = sorted(
        zip(p.frame["rid"].astype(str), p.y_pred.tolist(), strict=True)
    )  # score >= 0.5
    assert derived == [("1", 1), ("2", 0), ("2", 0), ("5", 1)]
    perf = evaluate_joined(
        joined,
        task="binary",
        metrics=["accuracy", "roc_auc"],
        directions={},
        confidence=0.95,
        seed=0,
    )
    assert perf.metrics["accuracy"] == 1.0 and perf.metrics["roc_auc"] == 1.0


def test_an_id_with_two_labels_is_refused(tmp_path: Path) -> None:
    served(tmp_path, [pd.DataFrame({"rid": [1, 2], "score": [0.9, 0.2]})])
    labels = pd.DataFrame({"rid": [1, 1, 2], "label": [1, 0, 0]})
    with pytest.raises(DataError, match=r"monitor\.labels: id 1 has 2 labels"):
        join(tmp_path, labels)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    served(tmp_path, [pd.DataFrame({"rid": [1, 2], "prob": [0.9, 0.2]})])
    labels = pd.DataFrame({"rid": [1, 2], "label": [1, 0]})
    with pytest.raises(
        DataError, match=r"monitor.predictions: part-0.parquet has no column 'score'"
    ):
        join(tmp_path, labels)
    bad = MonitorLabelsConfig(Path("unused"), "rid", "churned")
    with pytest.raises(DataError, match=r"monitor.labels: labels.csv has no column 'churned'"):
        join(
            tmp_path,
            labels,
            outputs=MonitorPredictionsConfig("eval", "rid", y_score="prob"),
            labels_cfg=bad,
        )


def test_labels_that_are_still_empty_are_waiting(tmp_path: Path) -> None:
    served(tmp_path, [pd.DataFrame({"rid": [1, 2, 3], "score": [0.9, 0.2, 0.6]})], "csv")
    labels = pd.DataFrame({"rid": [1, 2, 3], "label": [1.0, None, 0.0]})

    joined = join(tmp_path, labels)

    assert joined.labeled_rows == 2


def test_no_label_at_all_gives_no_metrics(tmp_path: Path) -> None:
    served(tmp_path, [pd.DataFrame({"rid": [1, 2], "score": [0.9, 0.2]})])
    joined = join(tmp_path, pd.DataFrame({"rid": [7], "label": [1]}))
    assert joined.predictions is None and joined.labeled_rows == 0
    perf = evaluate_joined(
        joined, task="binary", metrics=["roc_auc"], directions={}, confidence=0.95, seed=0
    )
    assert perf.metrics == {}
