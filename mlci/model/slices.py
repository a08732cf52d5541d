"""Slices: the metrics of each group of evaluation rows that share the values of some columns.

``model.slices: [[plan], [plan, country]]`` computes every metric of the overall evaluation on
each ``plan`` and each (``plan``, ``country``) pair, with the same registry and the same
scikit-learn calls (:func:`mlci.model.metrics.compute_metrics`), so a slice's value is exactly
scikit-learn's on that subset of rows. The columns come from the evaluation dataset (the
``model`` input) or from the predictions file's other columns (the ``predictions`` input).

- A slice of fewer than ``model.min_slice_size`` rows (default 30) is reported as *too small*:
  no metrics, never gated.
- A metric scikit-learn cannot define on a slice (ROC AUC with one class present, recall
  without positive rows, where it would fall back to 0 with a warning) is undefined (NaN,
  "n/a") there: it is shown, never gated, and never the "worst" slice.
- Each slice is compared with the same slice (same columns, same values) of the baseline
  record, which stores its slices compactly in ``Record.extra["slices"]``.

Sorting and judging the slices (worst first, the gates with ``slice``) is :mod:`mlci.gates.slices`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mlci.config import Config
from mlci.errors import ModelError
from mlci.model.metrics import MetricWarning, compute_metrics
from mlci.results import ModelEvaluation
from mlci.vocab import fmt_int
from mlci.yamlfile import near_miss

if TYPE_CHECKING:
    import pandas as pd

    from mlci.model.load import Predictions

Grouping = tuple[str, ...]
Key = tuple[str | None, ...]

MAX_SLICES = 1000  # computed slices per grouping (the largest); the rest are counted in a note
MAX_LISTED_SMALL = 100  # too-small slices listed per grouping (the largest)


@dataclass(frozen=True)
class SliceValues:
    """One slice's metrics on one side; ``metrics`` is empty for a too-small slice.

    ``rows``: the slice's row positions in the predictions (this run's slices only), for the
    intervals of its Δ (:mod:`mlci.model.slice_stats`). ``errors``: a record's standard errors
    of the slice's gated metrics, for unpaired intervals when a later run cannot pair its rows.
    """

    grouping: Grouping
    key: Key
    n: int
    metrics: Mapping[str, float]
    rows: np.ndarray | None = field(default=None, compare=False, repr=False)
    errors: Mapping[str, float] = field(default_factory=dict, compare=False)  # standard errors


# --- the stage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasuredSlices:
    """What measuring slices gives a run: every slice's metrics (on the evaluation's
    ``metrics``), notes about slices left out, and the smallest slice measured."""

    values: tuple[SliceValues, ...]
    metrics: tuple[str, ...]
    notes: tuple[str, ...]
    min_size: int


def measure_slices(
    config: Config, evaluation: ModelEvaluation | None, predictions: Predictions | None
) -> MeasuredSlices | None:
    """The metrics of every slice of every grouping (``model.slices`` plus the ``slice`` of
    every gate) of the candidate's predictions; None when there is nothing to slice."""
    groupings = _groupings(config)
    if config.model is None or evaluation is None or predictions is None or not groupings:
        return None
    names = list(evaluation.metrics)
    for grouping, key_path in groupings.items():
        where = f"{config.where(key_path)}: {_source(config)}"
        check_columns(grouping, predictions.frame, where)
    min_size = config.model.min_slice_size
    values: list[SliceValues] = []
    notes: list[str] = []
    for grouping in groupings:
        found, note = slice_metrics(
            predictions, evaluation.task, names, grouping, min_size=min_size
        )
        values += found
        notes += [note] if note else []
    return MeasuredSlices(tuple(values), tuple(names), tuple(notes), min_size)


def _groupings(config: Config) -> dict[Grouping, str]:
    """Each grouping to compute, with the config key that asked for it first."""
    found: dict[Grouping, str] = {}
    for i, grouping in enumerate(config.model.slices if config.model else ()):
        found.setdefault(tuple(grouping), f"model.slices[{i}]")
    for i, gate in enumerate(config.gates):
        if gate.slice is not None:
            found.setdefault(tuple(gate.slice), f"gates[{i}].slice")
    return found


def _source(config: Config) -> str:
    assert config.model is not None
    scored = config.model.scored()
    if scored is not None:
        return f"dataset `{scored.data}`"
    assert config.model.predictions is not None
    return f"predictions file `{config.model.predictions.path.name}`"


def check_columns(grouping: Grouping, frame: pd.DataFrame, where: str) -> None:
    """Raise :class:`ModelError` naming the first column of ``grouping`` not in ``frame``."""
    columns = [str(c) for c in frame.columns]
    for column in grouping:
        if column in frame.columns:
            continue
        close = near_miss(column, columns, shortening=True)  # from the file's own columns
        hint = f" Did you mean `{close}`?" if close else ""
        shown = ", ".join(columns[:20]) + (", …" if len(columns) > 20 else "")
        raise ModelError(f"{where} has no column `{column}` to slice by.{hint} Columns: {shown}.")


# --- computing ----------------------------------------------------------------------------------


def slice_metrics(
    predictions: Predictions,
    task: str,
    metrics: Sequence[str],
    grouping: Grouping,
    *,
    min_size: int,
) -> tuple[list[SliceValues], str]:
    """The metrics of every slice of ``grouping`` (columns of ``predictions.frame``).

    Returns the slices (largest first; too-small ones without metrics) and a note when some
    were left out (more than :data:`MAX_SLICES` large or :data:`MAX_LISTED_SMALL` small ones).
    """
    keys, rows = _groups(predictions.frame, grouping)
    sizes = np.array([len(r) for r in rows], dtype=np.int64)
    order = np.lexsort((np.arange(len(rows)), -sizes))  # largest first, then first seen
    large = [i for i in order if sizes[i] >= min_size]
    small = [i for i in order if sizes[i] < min_size]
    found = [
        SliceValues(
            grouping,
            keys[i],
            int(sizes[i]),
            _metrics_of(predictions, task, metrics, rows[i]),
            rows=rows[i],
        )
        for i in large[:MAX_SLICES]
    ]
    found += [SliceValues(grouping, keys[i], int(sizes[i]), {}) for i in small[:MAX_LISTED_SMALL]]
    return found, _left_out_note(grouping, len(large), len(small), min_size)


def _left_out_note(grouping: Grouping, large: int, small: int, min_size: int) -> str:
    parts = []
    if large > MAX_SLICES:
        parts.append(
            f"only the {fmt_int(MAX_SLICES)} largest of {fmt_int(large)} slices were computed"
        )
    if small > MAX_LISTED_SMALL:
        parts.append(
            f"{fmt_int(small - MAX_LISTED_SMALL)} more slices under {fmt_int(min_size)} rows "
            "are not listed"
        )
    return f"Slices by {', '.join(grouping)}: {'; '.join(parts)}." if parts else ""


def _groups(frame: pd.DataFrame, grouping: Grouping) -> tuple[list[Key], list[np.ndarray]]:
    """The distinct keys of ``grouping`` (values as text) and the row positions of each."""
    codes, texts = zip(*(_text_codes(frame[column]) for column in grouping), strict=True)
    combined = np.stack(codes, axis=1)
    unique, inverse = np.unique(combined, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(unique)))[:-1]
    rows = np.split(order, bounds)
    keys = [
        tuple(None if code < 0 else texts[j][code] for j, code in enumerate(combo))
        for combo in unique.tolist()
    ]
    return keys, rows


def _text_codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """One code per row for the value's text (-1 for a missing value), and the texts."""
    import pandas as pd  # pandas: only to slice a model's rows; gates.slices imports this module

    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    as_text = [key_text(v) for v in uniques]
    text_codes, texts = pd.factorize(pd.Series(as_text, dtype=object), use_na_sentinel=True)
    mapped = np.where(codes < 0, -1, text_codes[np.maximum(codes, 0)]) if len(as_text) else codes
    return np.asarray(mapped, dtype=np.int64), [str(t) for t in texts]


def key_text(value: Any) -> str | None:
    """A slice key value as text: ``1.0 -> "1"``, ``True -> "True"``; missing values ``None``."""
    import pandas as pd  # pandas: see _text_codes (already imported there: a dictionary look-up)

    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _metrics_of(
    predictions: Predictions, task: str, names: Sequence[str], rows: np.ndarray
) -> dict[str, float]:
    return {name: _metric_on(predictions, task, name, rows) for name in names}


def _metric_on(predictions: Predictions, task: str, name: str, rows: np.ndarray) -> float:
    """One metric on some rows; NaN where scikit-learn warns that it is ill-defined there."""
    p = predictions
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = compute_metrics(
            task,
            p.y_true[rows],
            y_pred=None if p.y_pred is None else p.y_pred[rows],
            y_score=None if p.y_score is None else p.y_score[rows],
            y_proba=None if p.y_proba is None else p.y_proba[rows],
            labels=p.labels,
            pos_label=p.pos_label,
            metrics=[name],
        )[name]
    if any(issubclass(w.category, MetricWarning) for w in caught):
        return math.nan
    return value


# --- the record ---------------------------------------------------------------------------------


def record_entry(
    values: Sequence[SliceValues],
    errors: Mapping[tuple[Grouping, Key], Mapping[str, float]] | None = None,
) -> tuple[dict[str, Any], ...]:
    """The computed slices as ``Record.extra["slices"]`` holds them (too-small ones left out),
    with the standard errors of their gated metrics (``errors``) under ``se``."""
    entries = []
    for v in values:
        if not v.metrics:
            continue
        entry = {"grouping": list(v.grouping), "key": list(v.key), "n": v.n}
        entry["metrics"] = dict(v.metrics)
        found = {k: se for k, se in (errors or {}).get((v.grouping, v.key), {}).items()}
        finite = {k: se for k, se in found.items() if math.isfinite(se)}
        if finite:
            entry["se"] = finite
        entries.append(entry)
    return tuple(entries)


def baseline_slices(extra: Mapping[str, Any] | None) -> dict[tuple[Grouping, Key], SliceValues]:
    """The slices stored in a record's ``extra``, by (grouping, key); malformed entries skipped."""
    entries = (extra or {}).get("slices")
    found: dict[tuple[Grouping, Key], SliceValues] = {}
    for entry in entries if isinstance(entries, list) else []:
        parsed = _parse_entry(entry)
        if parsed is not None:
            found[(parsed.grouping, parsed.key)] = parsed
    return found


def _parse_entry(entry: Any) -> SliceValues | None:
    try:
        grouping = tuple(str(c) for c in entry["grouping"])
        key = tuple(None if k is None else str(k) for k in entry["key"])
        metrics = {str(k): math.nan if v is None else float(v) for k, v in entry["metrics"].items()}
        n = int(entry["n"])
        errors = {str(k): float(v) for k, v in (entry.get("se") or {}).items()}
    except (TypeError, KeyError, ValueError, AttributeError):
        return None
    errors = {k: v for k, v in errors.items() if math.isfinite(v) and v >= 0}
    if len(key) != len(grouping):
        return None
    return SliceValues(grouping, key, n, metrics, errors=errors)
