"""Drift of a dataset against the baseline record's profile of it (no baseline data needed).

For every column present on both sides with the same kind (DESIGN §6):

- numeric: Jensen-Shannon distance (base 2) between the baseline's decile-bin counts and the
  current values counted exactly over the same bin edges during the scan (:class:`DriftScan`);
  KS distance (from the quantile sketches), PSI and the shift of p10/p50/p90 in baseline
  standard deviations explain it;
- categorical: Jensen-Shannon distance (base 2) over the baseline's top values plus an
  "other" bucket, naming the categories that moved most; and the share of values the baseline
  never had, against the share its rare values predict (Good-Turing), by Cohen's h;
- boolean: Cohen's h of the share of true;
- ID-like and high-cardinality columns (most values distinct): the relative change of the
  share of distinct values, instead of a distribution test;
- null rate, every column: Cohen's h of the null share.

A score at or above the ``warn`` threshold warns and at or above ``fail`` fails (when the
drift severity is ``error``; otherwise it warns) - but only when the difference is also
significant at level ``alpha`` (G-test of homogeneity on the bin or category counts;
two-proportion z-test for shares; Poisson tail for unseen values), so that small samples do
not alarm on noise. Fewer than ``min_rows`` values on either side gives
``insufficient_data``. Waived columns are reported with status ``skipped``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlci.config import DriftConfig, Thresholds
from mlci.data import arrays as A
from mlci.data.profile import (
    MAX_VALUE_CHARS,
    ColumnView,
    Profiler,
    bin_counts,
    frame_table,
    views_of,
)
from mlci.data.sketch import Quantiles, ks_distance
from mlci.results import CheckResult, Status
from mlci.vocab import clip, fmt_share

if TYPE_CHECKING:
    import pandas as pd

OTHER = "(other)"
DRIFT_CHECKS = ("drift", "drift_null_rate", "drift_unseen", "drift_cardinality")  # their names
_MOVERS = 3  # categories named in a categorical drift message
_MIN_EXPECTED = 5  # categories expected fewer times than this are pooled into "other"
ID_LIKE_INTEGER = 0.95  # distinct share of an integer column that looks like an id
ID_LIKE_TEXT = 0.5  # distinct share of a text column that looks like an id or free text


# --- counting during the scan ------------------------------------------------------------


class DriftScan:
    """What drift needs from the current data besides its profile, counted in the same pass:
    numeric values in the baseline's bins, and values among the baseline's categories."""

    def __init__(self, baseline: Mapping[str, Any], cfg: DriftConfig) -> None:
        self.baseline = baseline
        self.cfg = cfg
        self.bins: dict[str, np.ndarray] = {}
        self.categories: dict[str, _Categories] = {}
        self._started = False

    def update(self, views: Mapping[str, ColumnView]) -> None:
        if not self._started:
            self.start(views)
        for name in self.columns:
            self.update_column(name, views[name])

    @property
    def columns(self) -> list[str]:
        """The columns counted (known once :meth:`start` has seen the first batch)."""
        return [*self.bins, *self.categories]

    def update_column(self, name: str, view: ColumnView) -> None:
        """Count one column of a batch (each column may be counted on its own thread)."""
        counts = self.bins.get(name)
        if counts is not None:
            edges = self.baseline["columns"][name]["bins"]["edges"]
            counts += bin_counts(view.finite_sorted, edges)
        categories = self.categories.get(name)
        if categories is not None:
            categories.update(view)

    def start(self, views: Mapping[str, ColumnView]) -> None:
        """Choose the columns to count from the first batch."""
        self._started = True
        kinds = {name: view.kind for name, view in views.items()}
        for name in compared_columns(self.baseline, kinds, self.cfg):
            base = self.baseline["columns"][name]
            if base["kind"] == "numeric" and base.get("bins"):
                self.bins[name] = np.zeros(len(base["bins"]["edges"]) + 1, dtype=np.int64)
            elif base["kind"] == "categorical":
                self.categories[name] = _Categories(base)


class _Categories:
    """Current counts of the baseline's top values, and of values it never had."""

    def __init__(self, base: Mapping[str, Any]) -> None:
        self.labels = [str(v) for v, _ in base.get("top", [])]
        self.label_set = A.strings(self.labels)
        self.counts = np.zeros(len(self.labels), dtype=np.int64)
        values = base.get("values") or {}
        complete = bool(values.get("complete"))
        self.known = A.strings([str(v) for v, _ in values["counts"]]) if complete else None
        self.unseen = 0
        self.unseen_values: dict[str, int] = {}

    def update(self, view: ColumnView) -> None:
        keys, counts = view.value_counts
        if len(keys) == 0:
            return
        if pa.types.is_large_string(keys.type):
            keys = keys.cast(pa.string())
        keys = pc.utf8_slice_codeunits(keys, 0, MAX_VALUE_CHARS)
        positions = pc.index_in(keys, value_set=self.label_set)
        found = A.valid(positions)
        if found.any():
            self.counts += np.bincount(
                A.ints(positions)[found], weights=counts[found], minlength=len(self.labels)
            ).astype(np.int64)
        if self.known is not None:
            new = ~A.booleans(pc.is_in(keys, value_set=self.known))
            self.unseen += int(counts[new].sum())
            news = keys.filter(A.array(new)).to_pylist()
            for key, count in zip(news, counts[new].tolist(), strict=True):
                if key in self.unseen_values or len(self.unseen_values) < 1_000:
                    self.unseen_values[key] = self.unseen_values.get(key, 0) + int(count)


def compared_columns(
    baseline: Mapping[str, Any], kinds: Mapping[str, str], cfg: DriftConfig
) -> list[str]:
    """The current columns compared with the baseline, in current order."""
    base_columns = baseline["columns"]
    wanted = None if cfg.columns == "all" else set(cfg.columns)
    return [
        name
        for name, kind in kinds.items()
        if name in base_columns
        and (wanted is None or name in wanted)
        and name not in cfg.exclude
        and base_columns[name]["kind"] == kind
    ]


# --- the results -------------------------------------------------------------------------


def drift_results(
    dataset: str,
    baseline: Mapping[str, Any] | None,
    current: Mapping[str, Any],
    cfg: DriftConfig,
    scan: DriftScan | None,
) -> list[CheckResult]:
    """Drift results of the current profile (and the scan's counts) against the baseline.

    Returns:
        Per compared column, in current column order: a "drift" result (numeric,
        categorical and boolean columns) or a "drift_cardinality" result (ID-like columns),
        a "drift_unseen" result (categorical columns whose baseline lists every value), and a
        "drift_null_rate" result.
    """
    if baseline is None or not cfg.enabled:
        return []
    kinds = {name: col["kind"] for name, col in current["columns"].items()}
    results: list[CheckResult] = []
    for name in compared_columns(baseline, kinds, cfg):
        column = _Column(dataset, name, cfg, baseline, current)
        if is_id_like(column.base):
            results.append(_cardinality(column))
        elif column.kind == "numeric":
            results.append(_numeric(column, scan.bins.get(name) if scan else None))
        elif column.kind == "categorical":
            categories = scan.categories.get(name) if scan else None
            results.append(_categorical(column, categories))
            if categories is not None and categories.known is not None:
                results.append(_unseen(column, categories))
        elif column.kind == "boolean":
            results.append(_boolean(column))
        results.append(_null_rate(column))
    return results


def drift_checks(
    dataset: str,
    baseline: Mapping[str, Any] | None,
    data: pd.DataFrame | pa.Table,
    cfg: DriftConfig,
    *,
    current: Mapping[str, Any] | None = None,
) -> list[CheckResult]:
    """Drift of an in-memory dataset (a pandas DataFrame or Arrow table) against ``baseline``.

    Parameters:
        baseline: the baseline record's profile of this dataset; None gives no results.
        current: the profile of ``data`` when already computed (else it is computed here).
    """
    if baseline is None or not cfg.enabled:
        return []
    table = data if isinstance(data, pa.Table) else frame_table(data)
    scan = DriftScan(baseline, cfg)
    profiler = Profiler()
    offset = 0
    for batch in table.to_batches():
        views = views_of(batch, offset)
        profiler.update(views)
        scan.update(views)
        offset += batch.num_rows
    return drift_results(dataset, baseline, current or profiler.finish(), cfg, scan)


def is_id_like(column: Mapping[str, Any]) -> bool:
    """Most values distinct: an id (integers spanning about as many values as there are) or
    free text; such columns are compared by cardinality, not by distribution."""
    count, distinct = int(column.get("count") or 0), column.get("distinct")
    if distinct is None or count < 50:
        return False
    share = distinct / count
    if column["kind"] == "categorical" and column.get("logical_type") == "string":
        return share >= ID_LIKE_TEXT and distinct > 20
    if column["kind"] == "numeric" and column.get("logical_type") == "integer":
        low, high = column.get("min"), column.get("max")
        dense = low is not None and high is not None and high - low + 1 <= 10 * distinct
        return share >= ID_LIKE_INTEGER and dense
    return False


@dataclass
class _Column:
    """One column being compared: its names, thresholds and both profiles."""

    dataset: str
    name: str
    cfg: DriftConfig
    baseline: Mapping[str, Any]
    current: Mapping[str, Any]

    @property
    def base(self) -> Mapping[str, Any]:
        return self.baseline["columns"][self.name]

    @property
    def cur(self) -> Mapping[str, Any]:
        return self.current["columns"][self.name]

    @property
    def kind(self) -> str:
        return str(self.base["kind"])

    @property
    def waived(self) -> bool:
        return self.name in self.cfg.waive

    def thresholds(self, score: str) -> Thresholds:
        return self.cfg.thresholds(self.name, score)

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

    def judged(
        self,
        check: str,
        method: str,
        score: float,
        p: float,
        thresholds: Thresholds,
        what: _Wording,
        **kw: Any,
    ) -> CheckResult:
        """The result of an effect size ``score`` with significance ``p``."""
        cfg = self.cfg
        significant = p < cfg.alpha
        expected = (
            f"warn ≥ {thresholds.warn:g}, fail ≥ {thresholds.fail:g} (when p < {cfg.alpha:g})"
        )
        observed = f"{what.short} {score:.3f} (p {_p(p)})"
        status: Status = "pass"
        if score >= thresholds.warn and significant:
            failing = score >= thresholds.fail and cfg.severity == "error"
            status = "fail" if failing else "warn"
        if self.waived:
            message = what.waived(self.name, score)
            status = "skipped"
        elif score < thresholds.warn:
            message = what.below(self.name, score, thresholds.warn)
        elif not significant:
            message = what.noise(self.name, score, thresholds.warn, p, cfg.alpha)
        else:
            limit = thresholds.fail if score >= thresholds.fail else thresholds.warn
            message = what.above(self.name, score, limit) + beyond_fail(score, thresholds, cfg)
        return self.result(
            check,
            method,
            status,
            message,
            observed=observed,
            expected=expected,
            score=score,
            **kw,
        )


@dataclass(frozen=True)
class _Wording:
    """How one kind of drift result reads."""

    short: str  # "JS"
    long: str  # "Jensen-Shannon distance"
    subject: str  # "`{name}`" or "Null rate of `{name}`"
    detail: str  # "(mean 0.5 → 1.2)"
    sample: str  # "1,000 and 800 values"

    def who(self, name: str) -> str:
        return self.subject.format(name=f"`{name}`")

    def above(self, name: str, score: float, limit: float) -> str:
        return f"{self.who(name)} drifted: {self.long} {score:.3f} ≥ {limit:g}{self.detail}."

    def below(self, name: str, score: float, warn: float) -> str:
        return f"No drift in {self.who(name)}: {self.long} {score:.3f} < {warn:g}{self.detail}."

    def noise(self, name: str, score: float, warn: float, p: float, alpha: float) -> str:
        return (
            f"No significant drift in {self.who(name)}: {self.long} {score:.3f} ≥ {warn:g} "
            f"but p = {_p(p)} ≥ {alpha:g} with {self.sample}{self.detail}."
        )

    def waived(self, name: str, score: float) -> str:
        who = self.who(name)
        return f"Drift of {who} is waived in mlci.yml: {self.long} {score:.3f}{self.detail}."


# --- numeric -------------------------------------------------------------------------------


def _numeric(column: _Column, current_counts: np.ndarray | None) -> CheckResult:
    method = "jensen_shannon"
    bins = column.base.get("bins") or {"edges": [], "counts": []}
    base_counts = np.asarray(bins["counts"], dtype=np.float64)
    cur_counts = np.asarray(
        current_counts if current_counts is not None else np.zeros(len(base_counts)), np.float64
    )
    n_base, n_cur = int(base_counts.sum()), int(cur_counts.sum())
    if min(n_base, n_cur) < max(column.cfg.min_rows, 1):
        return column.insufficient("drift", method, "finite values", n_base, n_cur)
    score = js_distance(base_counts, cur_counts)
    p = g_test(base_counts, cur_counts)
    explanation = _numeric_explanation(column.base, column.cur, base_counts, cur_counts)
    wording = _Wording(
        "JS",
        "Jensen-Shannon distance",
        "{name}",
        f" ({'; '.join(explanation[:3])})",
        f"{n_base:,} and {n_cur:,} values",
    )
    return column.judged(
        "drift",
        method,
        score,
        p,
        column.thresholds("numeric"),
        wording,
        examples=tuple(explanation),
    )


def _numeric_explanation(
    base: Mapping[str, Any], cur: Mapping[str, Any], base_counts: np.ndarray, cur_counts: np.ndarray
) -> list[str]:
    parts = [f"mean {_num(base.get('mean'))} → {_num(cur.get('mean'))}"]
    ks = _ks(base, cur)
    if ks is not None:
        parts.append(f"KS {ks:.3f}")
    parts.append(f"PSI {psi(base_counts, cur_counts):.3f}")
    parts.extend(_quantile_shifts(base, cur))
    return parts


def _ks(base: Mapping[str, Any], cur: Mapping[str, Any]) -> float | None:
    a, b = _quantiles_of(base), _quantiles_of(cur)
    if a is None or b is None:
        return None
    return ks_distance(a, b)


def _quantiles_of(column: Mapping[str, Any]) -> Quantiles | None:
    """The column's quantile sketch, or exact ranks from its complete value counts."""
    stored = (column.get("sketch") or {}).get("quantiles")
    if stored is not None:
        return Quantiles.from_json(stored)
    values = column.get("values")
    if values and values.get("complete") and values.get("counts"):
        keys = np.asarray([float(k) for k, _ in values["counts"]])
        counts = np.asarray([int(c) for _, c in values["counts"]], dtype=np.int64)
        return Quantiles.from_counts(keys, counts)
    return None


def _quantile_shifts(base: Mapping[str, Any], cur: Mapping[str, Any]) -> list[str]:
    scale = base.get("std") or None
    shifts = []
    for q in ("0.10", "0.50", "0.90"):
        b = (base.get("quantiles") or {}).get(q)
        c = (cur.get("quantiles") or {}).get(q)
        if b is None or c is None:
            continue
        label = f"p{round(float(q) * 100)}"
        if scale:
            shifts.append(f"{label} {(c - b) / scale:+.2f}σ")
        else:
            shifts.append(f"{label} {_num(b)} → {_num(c)}")
    return shifts


# --- categorical, boolean, unseen, cardinality ---------------------------------------------


def _categorical(column: _Column, categories: _Categories | None) -> CheckResult:
    method = "jensen_shannon"
    top = [(str(v), int(c)) for v, c in column.base.get("top", [])]
    n_base = int(column.base.get("count", sum(c for _, c in top) + column.base.get("other", 0)))
    n_cur = int(column.cur.get("count", 0))
    if min(n_base, n_cur) < max(column.cfg.min_rows, 1):
        return column.insufficient("drift", method, "values", n_base, n_cur)
    in_top = categories.counts if categories is not None else np.zeros(len(top), np.int64)
    labels, base_counts, cur_counts = _pooled(top, n_base, in_top, n_cur)
    score = js_distance(base_counts, cur_counts)
    p = g_test(base_counts, cur_counts)
    movers = _movers(labels, base_counts / n_base, cur_counts / n_cur)
    wording = _Wording(
        "JS",
        "Jensen-Shannon distance",
        "{name}",
        f" ({'; '.join(movers) or 'no category moved'})",
        f"{n_base:,} and {n_cur:,} values",
    )
    return column.judged(
        "drift",
        method,
        score,
        p,
        column.thresholds("categorical"),
        wording,
        examples=tuple(movers),
    )


def _pooled(
    top: list[tuple[str, int]], n_base: int, in_top: np.ndarray, n_cur: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Bins of the baseline's top values plus "other"; values expected fewer than five times
    in the smaller sample join "other" (sparse bins make both JS and the test noisy)."""
    smaller = min(n_base, n_cur)
    keep = [i for i, (_, c) in enumerate(top) if c / n_base * smaller >= _MIN_EXPECTED]
    labels = [top[i][0] for i in keep] + [OTHER]
    base = [top[i][1] for i in keep]
    cur = [int(in_top[i]) for i in keep]
    base.append(n_base - sum(base))
    cur.append(n_cur - sum(cur))
    return labels, np.asarray(base, np.float64), np.asarray(cur, np.float64)


def _movers(labels: list[str], p: np.ndarray, q: np.ndarray) -> list[str]:
    """The categories whose share moved most: ["'pro' 30% → 45%", ...]."""
    order = sorted(range(len(labels)), key=lambda i: (-abs(q[i] - p[i]), labels[i]))
    moved = [i for i in order if abs(q[i] - p[i]) > 0][:_MOVERS]
    return [f"{_label(labels[i])} {fmt_share(p[i])} → {fmt_share(q[i])}" for i in moved]


def _boolean(column: _Column) -> CheckResult:
    method = "cohen_h"
    n_base, n_cur = int(column.base.get("count", 0)), int(column.cur.get("count", 0))
    if min(n_base, n_cur) < max(column.cfg.min_rows, 1):
        return column.insufficient("drift", method, "values", n_base, n_cur)
    true_base, true_cur = _true_count(column.base), _true_count(column.cur)
    p1, p2 = true_base / n_base, true_cur / n_cur
    score = cohen_h(p1, p2)
    p = two_proportions(true_base, n_base, true_cur, n_cur)
    wording = _Wording(
        "h",
        "Cohen's h",
        "{name}",
        f" (true {fmt_share(p1)} → {fmt_share(p2)})",
        f"{n_base:,} and {n_cur:,} values",
    )
    return column.judged("drift", method, score, p, column.thresholds("proportion"), wording)


def _true_count(column: Mapping[str, Any]) -> int:
    return next((int(c) for v, c in column.get("top", []) if str(v) == "True"), 0)


def _unseen(column: _Column, categories: _Categories) -> CheckResult:
    method = "cohen_h"
    n_base, n_cur = int(column.base.get("count", 0)), int(column.cur.get("count", 0))
    if min(n_base, n_cur) < max(column.cfg.min_rows, 1):
        return column.insufficient("drift_unseen", method, "values", n_base, n_cur)
    singletons = sum(1 for _, c in column.base["values"]["counts"] if int(c) == 1)
    expected_share = singletons / n_base  # Good-Turing: the mass of values not yet seen
    share = categories.unseen / n_cur
    score = cohen_h(expected_share, share) if share > expected_share else 0.0
    p = poisson_tail(categories.unseen, n_cur * expected_share)
    ranked = sorted(categories.unseen_values.items(), key=lambda kv: (-kv[1], kv[0]))
    examples = tuple(f"{_label(k)} ×{c}" for k, c in ranked[:5])
    detail = f" ({fmt_share(share)} of values are new; about {fmt_share(expected_share)} expected)"
    wording = _Wording(
        "h",
        "Cohen's h",
        "the categories of {name}",
        detail,
        f"{n_cur:,} values",
    )
    return column.judged(
        "drift_unseen", method, score, p, column.thresholds("unseen"), wording, examples=examples
    )


def _cardinality(column: _Column) -> CheckResult:
    method = "distinct_share"
    n_base, n_cur = int(column.base.get("count", 0)), int(column.cur.get("count", 0))
    if min(n_base, n_cur) < max(column.cfg.min_rows, 1):
        return column.insufficient("drift_cardinality", method, "values", n_base, n_cur)
    # a distinct-count estimate (HyperLogLog) may exceed the count: a share of 100 % then
    d_base = min(int(column.base["distinct"]), n_base)
    d_cur = min(int(column.cur.get("distinct") or 0), n_cur)
    r1, r2 = d_base / n_base, d_cur / n_cur
    score = abs(r2 - r1) / r1 if r1 else 0.0
    p = two_proportions(d_base, n_base, d_cur, n_cur)
    shares = f"{fmt_share(r1)} → {fmt_share(r2)}"
    detail = f" (ID-like, so compared by its share of distinct values: {shares})"
    wording = _Wording(
        "change",
        "relative change",
        "the cardinality of {name}",
        detail,
        f"{n_base:,} and {n_cur:,} values",
    )
    return column.judged(
        "drift_cardinality", method, score, p, column.thresholds("cardinality"), wording
    )


# --- null rate -----------------------------------------------------------------------------


def _null_rate(column: _Column) -> CheckResult:
    check, method = "drift_null_rate", "cohen_h"
    base_rows = int(column.base["nulls"]) + int(column.base["count"])
    cur_rows = int(column.cur["nulls"]) + int(column.cur["count"])
    if min(base_rows, cur_rows) < max(column.cfg.min_rows, 1):
        return column.insufficient(check, method, "rows", base_rows, cur_rows)
    x1, x2 = int(column.base["nulls"]), int(column.cur["nulls"])
    p1, p2 = x1 / base_rows, x2 / cur_rows
    score = cohen_h(p1, p2)
    p = two_proportions(x1, base_rows, x2, cur_rows)
    rates = f"{fmt_share(p1)} → {fmt_share(p2)}"
    thresholds = column.thresholds("null_rate")
    cfg = column.cfg
    significant = p < cfg.alpha
    status: Status = "pass"
    if score >= thresholds.warn and significant:
        status = "fail" if score >= thresholds.fail and cfg.severity == "error" else "warn"
    if column.waived:
        status = "skipped"
        message = (
            f"Null rate of `{column.name}` {rates} (Cohen's h {score:.3f}; waived in mlci.yml)."
        )
    elif score < thresholds.warn:
        message = (
            f"Null rate of `{column.name}` {rates} (Cohen's h {score:.3f} < {thresholds.warn:g})."
        )
    elif not significant:
        message = (
            f"Null rate of `{column.name}` {rates} (Cohen's h {score:.3f} ≥ {thresholds.warn:g} "
            f"but p = {_p(p)} ≥ {cfg.alpha:g} with {base_rows:,} and {cur_rows:,} rows)."
        )
    else:
        limit = thresholds.fail if score >= thresholds.fail else thresholds.warn
        message = (
            f"Null rate of `{column.name}` changed {rates} (Cohen's h {score:.3f} ≥ {limit:g})."
        ) + beyond_fail(score, thresholds, cfg)
    return column.result(
        check,
        method,
        status,
        message,
        observed=f"{rates} (h {score:.3f}, p {_p(p)})",
        expected=f"warn ≥ {thresholds.warn:g}, fail ≥ {thresholds.fail:g} (when p < {cfg.alpha:g})",
        score=score,
    )


# --- columns that came and went ------------------------------------------------------------


def column_changes(
    dataset: str, baseline: Mapping[str, Any] | None, current: Mapping[str, Any], cfg: DriftConfig
) -> list[CheckResult]:
    """Columns the baseline had and the data lacks, new columns, and likely renames.

    A removed and an added column with the same profile signature (kind, type, null share and
    distribution) are reported once, as a likely rename.
    """
    if baseline is None or not cfg.enabled:
        return []
    before, now = baseline["columns"], current["columns"]
    removed = [c for c in before if c not in now]
    added = [c for c in now if c not in before]
    renames = _renames(removed, added, before, now)
    results = []
    for old, new in renames.items():
        message = (
            f"Column `{old}` of the baseline is gone and `{new}` is new with the same profile: "
            f"was `{old}` renamed to `{new}`?"
        )
        results.append(_change(dataset, cfg, "column_renamed", new, message, old, new))
    for name in removed:
        if name not in renames:
            message = f"Column `{name}` of the baseline is missing from dataset '{dataset}'."
            results.append(
                _change(dataset, cfg, "column_removed", name, message, "absent", "present")
            )
    for name in added:
        if name not in renames.values():
            message = (
                f"Column `{name}` is new: the baseline of dataset '{dataset}' did not have it."
            )
            results.append(
                _change(dataset, cfg, "column_added", name, message, "present", "absent")
            )
    return results


def _change(
    dataset: str,
    cfg: DriftConfig,
    check: str,
    column: str,
    message: str,
    observed: str,
    expected: str,
) -> CheckResult:
    return CheckResult(
        dataset=dataset,
        check=check,
        column=column,
        status="warn",
        severity="warn",
        message=message,
        observed=observed,
        expected=expected,
    )


def _renames(
    removed: Sequence[str],
    added: Sequence[str],
    before: Mapping[str, Any],
    now: Mapping[str, Any],
) -> dict[str, str]:
    renames: dict[str, str] = {}
    for old in removed:
        match = next(
            (
                new
                for new in added
                if new not in renames.values() and same_signature(before[old], now[new])
            ),
            None,
        )
        if match is not None:
            renames[old] = match
    return renames


def same_signature(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two column profiles look like the same data (for rename hints)."""
    if a["kind"] != b["kind"] or a.get("logical_type") != b.get("logical_type"):
        return False
    rows_a, rows_b = a["count"] + a["nulls"], b["count"] + b["nulls"]
    if not rows_a or not rows_b or cohen_h(a["nulls"] / rows_a, b["nulls"] / rows_b) >= 0.1:
        return False
    if a["kind"] == "numeric":
        return _similar_numbers(a, b)
    if a["kind"] in ("categorical", "boolean"):
        top_a = {str(v) for v, _ in a.get("top", [])[:5]}
        top_b = {str(v) for v, _ in b.get("top", [])[:5]}
        return top_a == top_b
    return a.get("min") == b.get("min") and a.get("max") == b.get("max")


def _similar_numbers(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if a.get("mean") is None or b.get("mean") is None:
        return a.get("mean") == b.get("mean")
    std_a, std_b = a.get("std") or 0.0, b.get("std") or 0.0
    if std_a == 0 or std_b == 0:
        return a.get("min") == b.get("min") and a.get("max") == b.get("max")
    return abs(a["mean"] - b["mean"]) <= 0.1 * std_a and 0.9 <= std_b / std_a <= 1.1


# --- statistics ----------------------------------------------------------------------------


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon distance, base 2, of two count (or proportion) vectors: 0 to 1."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    divergence = (_kl(p, m) + _kl(q, m)) / 2
    return float(math.sqrt(max(divergence, 0.0)))


def _kl(a: np.ndarray, b: np.ndarray) -> float:
    keep = a > 0
    return float(np.sum(a[keep] * np.log2(a[keep] / b[keep])))


def psi(base: np.ndarray, cur: np.ndarray, floor: float = 1e-4) -> float:
    """Population stability index over the same bins (shares floored at ``floor``)."""
    p = np.maximum(np.asarray(base, np.float64) / np.sum(base), floor)
    q = np.maximum(np.asarray(cur, np.float64) / np.sum(cur), floor)
    return float(np.sum((q - p) * np.log(q / p)))


def cohen_h(p1: float, p2: float) -> float:
    """Cohen's h effect size of two proportions (absolute value)."""
    return abs(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2)))


def g_test(a: np.ndarray, b: np.ndarray) -> float:
    """p-value of the G-test of homogeneity of two count vectors over the same bins."""
    table = np.vstack([np.asarray(a, np.float64), np.asarray(b, np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    seen = table > 0
    g = 2.0 * float(np.sum(table[seen] * np.log(table[seen] / expected[seen])))
    return chi2_sf(max(g, 0.0), table.shape[1] - 1)


def beyond_fail(score: float, thresholds: Thresholds, cfg: DriftConfig) -> str:
    """What a drift at or past its fail threshold says when it only warns: drift severity is
    ``warn`` unless the config sets ``error``, and the reader should know both."""
    if score < thresholds.fail or cfg.severity == "error":
        return ""
    times = f"{score / thresholds.fail:.1f}× " if thresholds.fail > 0 else ""
    return (
        f" That is {times}the fail threshold {thresholds.fail:g}, but drift only warns: its "
        "severity defaults to warn (set `drift: {severity: error}` on the dataset to fail)."
    )


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test; 1.0 when a side has no rows.

    Counts outside ``0..n`` (an estimate from a sketch) are clamped to what is possible first,
    so the pooled proportion stays within [0, 1]."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    x1, x2 = min(max(x1, 0), n1), min(max(x2, 0), n2)
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = abs(x1 / n1 - x2 / n2) / se
    return math.erfc(z / math.sqrt(2))


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    return 1.0 - gamma_q(k, mean)


def chi2_sf(x: float, df: int) -> float:
    """Survival function of the chi-square distribution (upper tail)."""
    if x <= 0:
        return 1.0
    return gamma_q(df / 2.0, x / 2.0)


def gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x), by series or continued fraction."""
    if x < a + 1:
        return 1.0 - _gamma_p_series(a, x)
    return _gamma_q_fraction(a, x)


def _gamma_p_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    denominator = a
    for _ in range(10_000):
        denominator += 1
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * 1e-15:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_q_fraction(a: float, x: float) -> float:
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


# --- formatting ----------------------------------------------------------------------------


def _label(value: str) -> str:
    return clip(value if value == OTHER else repr(value), 40)


def _p(p: float) -> str:
    return "< 1e-10" if p < 1e-10 else f"{p:.2g}"


def _num(v: Any) -> str:
    return "n/a" if v is None else f"{float(v):.4g}"
