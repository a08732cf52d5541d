"""Drift of a dataset against the baseline record's profile of it (no baseline data needed).

For every column present on both sides with the same kind:

- numeric: Jensen-Shannon distance (base 2) between the baseline's decile-bin proportions and
  the current finite values' proportions over the same bin edges;
- categorical and boolean: Jensen-Shannon distance (base 2) over the baseline's top values
  plus an "other" bucket (current values outside the baseline's top fall into "other");
- null rate, every column: Cohen's h between the baseline's and the current null share.

A score at or above the ``warn`` threshold warns; at or above ``fail`` it fails when the drift
severity is ``error`` (and warns otherwise). Too few values on either side gives
``insufficient_data`` rather than a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mlci.config import DriftConfig, Thresholds
from mlci.data.profile import bin_counts, category_counts, float_values, profile_frame
from mlci.results import CheckResult, Status

OTHER = "(other)"
_MOVERS = 3  # categories named in a categorical drift message


def drift_checks(
    dataset: str,
    baseline: Mapping[str, Any] | None,
    df: pd.DataFrame,
    cfg: DriftConfig,
    *,
    current: Mapping[str, Any] | None = None,
) -> list[CheckResult]:
    """Drift results of ``df`` against ``baseline`` (a :func:`profile_frame` dict).

    Parameters:
        baseline: the baseline record's profile of this dataset; None gives no results.
        current: the profile of ``df`` when already computed (else it is computed here).

    Returns:
        Per compared column, a "drift" result (numeric, categorical and boolean columns) and
        a "drift_null_rate" result, in the order of ``df``'s columns.
    """
    if baseline is None or not cfg.enabled:
        return []
    current = current if current is not None else profile_frame(df)
    results: list[CheckResult] = []
    for name in _compared_columns(baseline, current, cfg):
        base, cur = baseline["columns"][name], current["columns"][name]
        column = _Column(dataset, name, cfg, base, cur)
        if base["kind"] == "numeric":
            results.append(_numeric(column, df[_lookup(df, name)]))
        elif base["kind"] in ("categorical", "boolean"):
            results.append(_categorical(column, df[_lookup(df, name)]))
        results.append(_null_rate(column, baseline["rows"], current["rows"]))
    return results


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon distance, base 2, of two count (or proportion) vectors: 0 to 1."""
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(p, q, base=2))


def cohen_h(p1: float, p2: float) -> float:
    """Cohen's h effect size of two proportions (absolute value)."""
    return abs(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2)))


def _compared_columns(
    baseline: Mapping[str, Any], current: Mapping[str, Any], cfg: DriftConfig
) -> list[str]:
    base_columns, cur_columns = baseline["columns"], current["columns"]
    wanted = None if cfg.columns == "all" else set(cfg.columns)
    return [
        name
        for name in cur_columns
        if name in base_columns
        and (wanted is None or name in wanted)
        and name not in cfg.exclude
        and base_columns[name]["kind"] == cur_columns[name]["kind"]
    ]


def _lookup(df: pd.DataFrame, name: str) -> Any:
    """The column label of ``df`` whose string form is ``name`` (profiles key by str)."""
    return name if name in df.columns else next(c for c in df.columns if str(c) == name)


class _Column:
    """One column being compared: its names, thresholds and both profiles."""

    def __init__(
        self,
        dataset: str,
        name: str,
        cfg: DriftConfig,
        base: Mapping[str, Any],
        cur: Mapping[str, Any],
    ) -> None:
        self.dataset, self.name, self.cfg, self.base, self.cur = dataset, name, cfg, base, cur

    def result(
        self, check: str, method: str, status: Status, message: str, **kw: Any
    ) -> CheckResult:
        return CheckResult(
            dataset=self.dataset,
            check=check,
            column=self.name,
            status=status,
            severity=self.cfg.severity,
            message=message,
            method=method,
            **kw,
        )

    def insufficient(
        self, check: str, method: str, what: str, n_base: int, n_cur: int
    ) -> CheckResult:
        message = (
            f"Too few {what} to measure drift of `{self.name}`: {n_base:,} in the baseline and "
            f"{n_cur:,} now; at least {self.cfg.min_rows:,} needed on each side."
        )
        return self.result(
            check,
            method,
            "insufficient_data",
            message,
            observed=f"{n_base:,} vs {n_cur:,} {what}",
            expected=f"≥ {self.cfg.min_rows:,} {what}",
        )

    def status(self, score: float, thresholds: Thresholds) -> Status:
        if score >= thresholds.fail:
            return "fail" if self.cfg.severity == "error" else "warn"
        return "warn" if score >= thresholds.warn else "pass"


def _numeric(column: _Column, s: pd.Series) -> CheckResult:
    method = "jensen_shannon"
    bins = column.base.get("bins") or {"edges": [], "counts": []}
    base_counts = np.asarray(bins["counts"], dtype="float64")
    values = float_values(s)
    finite = values[np.isfinite(values)]
    n_base, n_cur = int(base_counts.sum()), len(finite)
    if min(n_base, n_cur) < max(column.cfg.min_rows, 1):
        return column.insufficient("drift", method, "finite values", n_base, n_cur)
    cur_counts = np.asarray(bin_counts(finite, bins["edges"]), dtype="float64")
    score = js_distance(base_counts, cur_counts)
    thresholds = column.cfg.numeric
    means = f"mean {_num(column.base.get('mean'))} → {_num(column.cur.get('mean'))}"
    message = _drift_message(column.name, score, thresholds, means)
    return column.result(
        "drift",
        method,
        column.status(score, thresholds),
        message,
        observed=f"JS {score:.3f}; {means}",
        expected=_expected(thresholds),
        score=score,
    )


def _categorical(column: _Column, s: pd.Series) -> CheckResult:
    method = "jensen_shannon"
    top = [(str(v), int(c)) for v, c in column.base.get("top", [])]
    labels = [v for v, _ in top] + [OTHER]
    base_counts = np.asarray([c for _, c in top] + [int(column.base.get("other", 0))], "float64")
    counts = category_counts(s)
    n_base, n_cur = int(base_counts.sum()), int(counts.sum())
    if min(n_base, n_cur) < max(column.cfg.min_rows, 1):
        return column.insufficient("drift", method, "values", n_base, n_cur)
    in_top = [int(counts.get(v, 0)) for v, _ in top]
    cur_counts = np.asarray([*in_top, n_cur - sum(in_top)], dtype="float64")
    score = js_distance(base_counts, cur_counts)
    thresholds = column.cfg.categorical
    movers = _movers(labels, base_counts / n_base, cur_counts / n_cur)
    message = _drift_message(column.name, score, thresholds, movers)
    return column.result(
        "drift",
        method,
        column.status(score, thresholds),
        message,
        observed=f"JS {score:.3f}",
        expected=_expected(thresholds),
        examples=tuple(movers.split("; ")),
        score=score,
    )


def _movers(labels: list[str], p: np.ndarray, q: np.ndarray) -> str:
    """The categories whose share moved most: "'pro' 30% → 45%; 'basic' 60% → 40%"."""
    order = sorted(range(len(labels)), key=lambda i: (-abs(q[i] - p[i]), labels[i]))
    moved = [i for i in order if abs(q[i] - p[i]) > 0][:_MOVERS]
    if not moved:
        return "no category moved"
    return "; ".join(f"{_label(labels[i])} {_pct(p[i])} → {_pct(q[i])}" for i in moved)


def _null_rate(column: _Column, base_rows: int, cur_rows: int) -> CheckResult:
    check, method = "drift_null_rate", "cohen_h"
    if min(base_rows, cur_rows) < max(column.cfg.min_rows, 1):
        return column.insufficient(check, method, "rows", base_rows, cur_rows)
    p1 = column.base["nulls"] / base_rows
    p2 = column.cur["nulls"] / cur_rows
    score = cohen_h(p1, p2)
    thresholds = column.cfg.null_rate
    status = column.status(score, thresholds)
    rates = f"{_pct(p1)} → {_pct(p2)}"
    if status == "pass":
        message = (
            f"Null rate of `{column.name}` {rates} (Cohen's h {score:.3f} < {thresholds.warn:g})."
        )
    else:
        limit = thresholds.fail if score >= thresholds.fail else thresholds.warn
        message = (
            f"Null rate of `{column.name}` changed {rates} (Cohen's h {score:.3f} ≥ {limit:g})."
        )
    return column.result(
        check,
        method,
        status,
        message,
        observed=f"{rates} (h {score:.3f})",
        expected=_expected(thresholds),
        score=score,
    )


def _drift_message(name: str, score: float, thresholds: Thresholds, detail: str) -> str:
    if score >= thresholds.warn:
        limit = thresholds.fail if score >= thresholds.fail else thresholds.warn
        return f"`{name}` drifted: Jensen-Shannon distance {score:.3f} ≥ {limit:g} ({detail})."
    return (
        f"No drift in `{name}`: Jensen-Shannon distance {score:.3f} < {thresholds.warn:g} "
        f"({detail})."
    )


def _expected(thresholds: Thresholds) -> str:
    return f"warn ≥ {thresholds.warn:g}, fail ≥ {thresholds.fail:g}"


def _label(value: str) -> str:
    text = value if value == OTHER else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _pct(fraction: float) -> str:
    percent = 100 * float(fraction)
    if 0 < percent < 0.1:
        return f"{percent:.2g}%"
    return f"{percent:.1f}%"


def _num(v: Any) -> str:
    return "n/a" if v is None else f"{float(v):.4g}"
