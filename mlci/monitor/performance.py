"""The model side of a monitoring run: the served outputs joined with delayed labels by id.

Labels arrive later than predictions (a churn is known a month after the score). The labels
(``monitor.labels``: id and true label, a file, a folder or a glob) are read whole, each id at
most once; the production rows are then streamed, keeping only the output columns of the rows
whose id has a label. Rows still waiting for a label are counted, never guessed; labels whose
id was not served in these rows are counted too. The joined rows are read like a predictions
file (:func:`mlci.model.load.read_predictions`: the same classes, positive class, thresholds
and checks as a pull request), and the release's metrics are computed on them with their
intervals (:mod:`mlci.monitor.intervals`).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlci.config import (
    DatasetConfig,
    MonitorLabelsConfig,
    MonitorPredictionsConfig,
    PredictionsConfig,
)
from mlci.data.read import SchemaChange, Source
from mlci.errors import DataError, ModelError
from mlci.model.load import Predictions, read_predictions
from mlci.model.metrics import REGISTRY, compute_metrics
from mlci.model.pairing import row_outputs
from mlci.monitor.intervals import ValueInterval, value_intervals
from mlci.monitor.sources import Files

_MAX_RESTARTS = 64
JOINED = "production rows joined with their labels"


@dataclass(frozen=True)
class Joined:
    """The served outputs that have a label, and how the join went."""

    predictions: Predictions | None  # None: no served row has a label yet
    served_rows: int  # production rows read
    labeled_rows: int  # of them, rows whose id has a label
    label_rows: int  # rows of the labels
    unmatched_labels: int  # labels whose id is not among the served rows
    repeated_ids: int  # labeled rows sharing their id with an earlier served row


@dataclass(frozen=True)
class Performance:
    """The release's metrics on the labeled production rows, each with its interval."""

    task: str
    joined: Joined
    metrics: dict[str, float]
    intervals: dict[str, ValueInterval]


def join_labels(
    served: Files,
    served_dataset: DatasetConfig,
    outputs: MonitorPredictionsConfig,
    labels: Files,
    labels_cfg: MonitorLabelsConfig,
    *,
    task: str,
) -> Joined:
    """Join the served outputs with the labels by id (see the module docstring).

    Raises:
        DataError: a column is missing, an id has two labels, or a file cannot be read.
        ModelError: the joined outputs are not valid predictions for ``task``.
    """
    label_table = _read_columns(
        labels, "monitor.labels", [labels_cfg.id, labels_cfg.y_true], name="labels"
    )
    label_ids = label_table.column(0).combine_chunks()
    _check_unique(label_ids, labels_cfg.id)
    output_columns = _output_columns(outputs, labels_cfg)
    picked, served_rows, seen = _served_with_labels(
        served, served_dataset, outputs.id, output_columns, label_ids
    )
    y_true = label_table.column(1).take(picked.column("__label_row"))
    table = picked.drop_columns(["__label_row"]).append_column(labels_cfg.y_true, y_true)
    table = table.filter(pc.is_valid(table.column(labels_cfg.y_true)))
    repeated = table.num_rows - len(pc.unique(table.column(outputs.id).combine_chunks()))
    return Joined(
        predictions=_as_predictions(table, outputs, labels_cfg, task) if table.num_rows else None,
        served_rows=served_rows,
        labeled_rows=table.num_rows,
        label_rows=label_table.num_rows,
        unmatched_labels=int(label_table.num_rows - len(seen)),
        repeated_ids=int(repeated),
    )


def evaluate_joined(
    joined: Joined,
    *,
    task: str,
    metrics: Sequence[str],
    directions: Mapping[str, bool],
    confidence: float,
    seed: int,
) -> Performance:
    """The ``metrics`` the task can compute from these outputs, with their intervals."""
    p = joined.predictions
    if p is None:
        return Performance(task, joined, {}, {})
    names = [m for m in metrics if _computable(m, task, p)]
    values = (
        compute_metrics(
            task,
            p.y_true,
            y_pred=p.y_pred,
            y_score=p.y_score,
            y_proba=p.y_proba,
            labels=p.labels,
            pos_label=p.pos_label,
            metrics=names,
        )
        if names
        else {}
    )
    intervals = {}
    if values:
        outputs = row_outputs(p, task, id_column=None)
        intervals = value_intervals(
            outputs, names, directions=directions, confidence=confidence, seed=seed
        )
    return Performance(task, joined, values, intervals)


def _computable(name: str, task: str, p: Predictions) -> bool:
    spec = REGISTRY.get(name)
    if spec is None or task not in spec.tasks:
        return False
    if spec.needs == "scores":
        return p.y_score is not None or p.y_proba is not None
    return p.y_pred is not None or p.y_score is not None or p.y_proba is not None


# -- reading ---------------------------------------------------------------------------------------


def _read_columns(files: Files, what: str, columns: list[str], *, name: str) -> pa.Table:
    """The given columns of every file, as one table of one schema."""
    batches = [b for path in files.paths for b in _file_batches(path, files, what, columns, name)]
    if not batches:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    target = batches[0].schema
    return pa.Table.from_batches([_cast(b, target, what) for b in batches], schema=target)


def _file_batches(
    path: Path, files: Files, what: str, columns: list[str], name: str
) -> list[pa.RecordBatch]:
    cfg = DatasetConfig(name=name, path=path, format=files.format)
    fixed: dict[str, pa.DataType] = {}
    for _ in range(_MAX_RESTARTS):
        _check_columns(cfg, columns, what)
        try:
            return list(Source(cfg, types=dict(fixed), columns=columns).batches())
        except SchemaChange as change:
            fixed.update(change.types)
    raise DataError(f"{what}: the column types of {path} keep changing.")


def _check_columns(cfg: DatasetConfig, columns: Sequence[str], what: str) -> None:
    source = Source(cfg)
    batches = source.batches()
    try:
        first = next(batches, None)
    except SchemaChange:
        first = None
    finally:
        batches.close()
    if first is None:
        return
    missing = [c for c in columns if c not in first.schema.names]
    if missing:
        raise DataError(
            f"{what}: {cfg.path.name} has no column {missing[0]!r}; it has "
            f"{', '.join(first.schema.names[:20])}. Check the column names in mlci.yml."
        )


def _cast(batch: pa.RecordBatch, target: pa.Schema, what: str) -> pa.RecordBatch:
    if batch.schema.equals(target):
        return batch
    try:
        return batch.select(target.names).cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError(
            f"{what}: the files disagree on column types ({str(exc).splitlines()[0]})."
        ) from None


def _keys(ids: pa.Array, other: pa.DataType) -> pa.Array:
    """Ids comparable with ids of type ``other``: integers stay integers (fast); anything else is
    compared as text, so an id written as ``17`` in one file matches ``"17"`` in another."""
    if pa.types.is_integer(ids.type) and pa.types.is_integer(other):
        return pc.cast(ids, pa.int64())
    return pc.cast(ids, pa.string())


def _check_unique(ids: pa.Array, column: str) -> None:
    counts = pc.value_counts(ids.drop_null())
    repeated = counts.filter(pc.greater(counts.field("counts"), 1))
    if len(repeated):
        example = repeated[0].as_py()
        raise DataError(
            f"monitor.labels: id {example['values']!r} has {example['counts']} labels "
            f"(column {column!r}); each id needs at most one. Deduplicate the labels first."
        )


def _output_columns(outputs: MonitorPredictionsConfig, labels: MonitorLabelsConfig) -> list[str]:
    columns = [c for c in (outputs.y_pred, outputs.y_score) if c is not None]
    columns += list(outputs.y_proba or ())
    if labels.y_true in (outputs.id, *columns):
        raise DataError(
            f"monitor.labels.y_true {labels.y_true!r} is also a column of the served outputs; "
            "name the label column differently."
        )
    return columns


def _served_with_labels(
    served: Files,
    dataset: DatasetConfig,
    id_column: str,
    output_columns: list[str],
    label_ids: pa.Array,
) -> tuple[pa.Table, int, set[int]]:
    """The served rows whose id has a label (their outputs and the row of their label), the
    number of served rows, and the label rows that were matched."""
    wanted = [id_column, *output_columns]
    kept: list[pa.Table] = []
    rows, matched = 0, np.zeros(len(label_ids), dtype=bool)
    label_keys: pa.Array | None = None
    cfg_what = "monitor.predictions"
    for path in served.paths:
        cfg = dataclasses.replace(dataset, path=path, format=served.format)
        present = _present(cfg, wanted, output_columns, cfg_what)
        for batch in _file_batches(path, served, cfg_what, present, dataset.name):
            rows += batch.num_rows
            served_ids = batch.column(id_column)
            if label_keys is None:
                label_keys = _keys(label_ids, served_ids.type)
            where = pc.index_in(_keys(served_ids, label_ids.type), value_set=label_keys)
            keep = pc.is_valid(where)
            if not pc.any(keep).as_py():
                continue
            table = pa.Table.from_batches([batch]).filter(keep)
            label_rows = where.filter(keep)
            matched[label_rows.to_numpy(zero_copy_only=False)] = True
            kept.append(table.append_column("__label_row", label_rows))
    seen = set(np.flatnonzero(matched).tolist())
    if not kept:
        empty = {c: pa.array([], pa.string()) for c in wanted}
        return pa.table({**empty, "__label_row": pa.array([], pa.int32())}), rows, seen
    target = kept[0].schema
    return pa.concat_tables([t.cast(target) for t in kept]), rows, seen


def _present(cfg: DatasetConfig, wanted: list[str], outputs: list[str], what: str) -> list[str]:
    """The wanted columns, checked: the id must be there; missing outputs are an error unless
    it is the default ``y_pred`` of outputs with scores (derived, as in model.predictions)."""
    source = Source(cfg)
    batches = source.batches()
    try:
        first = next(batches, None)
    except SchemaChange:
        first = None
    finally:
        batches.close()
    names = first.schema.names if first is not None else wanted
    optional = {"y_pred"} if len(outputs) > 1 or "y_pred" not in outputs else set()
    missing = [c for c in wanted if c not in names and c not in optional]
    if missing:
        raise DataError(
            f"{what}: {cfg.path.name} has no column {missing[0]!r}; it has "
            f"{', '.join(names[:20])}. Check monitor.predictions in mlci.yml."
        )
    return [c for c in wanted if c in names]


def _as_predictions(
    table: pa.Table,
    outputs: MonitorPredictionsConfig,
    labels: MonitorLabelsConfig,
    task: str,
) -> Predictions:
    """The joined rows read as a predictions file would be (same checks and defaults)."""
    with tempfile.TemporaryDirectory(prefix="mlci-joined-") as folder:
        path = Path(folder) / "joined.parquet"
        pq.write_table(table, path)
        cfg = PredictionsConfig(
            path=path,
            y_true=labels.y_true,
            y_pred=outputs.y_pred,
            y_score=outputs.y_score,
            y_proba=outputs.y_proba,
            labels=outputs.labels,
            pos_label=outputs.pos_label,
            id=outputs.id,
        )
        try:
            return read_predictions(cfg, task)
        except ModelError as exc:
            message = str(exc).replace(f"Predictions file {path}", f"The {JOINED}")
            message = message.replace(str(path), JOINED)
            raise ModelError(
                message.replace("model.predictions.", "monitor.predictions.")
            ) from None
