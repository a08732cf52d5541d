"""Plain values that flow between the stages: check results, metrics, gate results, the report.

Everything here is immutable and JSON-friendly (see ``to_dict``); the pure core produces and
consumes these, and only the edges (pipeline, stores, publishers) do I/O with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# inconclusive: a change rule whose breach the evidence cannot confirm (a warning, never a fail)
Status = Literal["pass", "warn", "fail", "skipped", "insufficient_data", "inconclusive"]
Verdict = Literal["pass", "fail"]

# How every format shows a status: the comment, report.html, the terminal, the model card.
STATUS_ICONS: Mapping[str, str] = {
    "pass": "✅",
    "warn": "⚠️",
    "fail": "❌",
    "skipped": "⏭️",
    "insufficient_data": "❔",
    "inconclusive": "⚠️",
}
# Plain-text labels (the terminal, logs), and words for sentences and chips.
STATUS_LABELS: Mapping[str, str] = {
    "pass": "PASS",
    "warn": "WARN",
    "fail": "FAIL",
    "skipped": "SKIP",
    "insufficient_data": "N/A",
    "inconclusive": "INCONCLUSIVE",
}
STATUS_WORDS: Mapping[str, str] = {
    "pass": "pass",
    "warn": "warn",
    "fail": "fail",
    "skipped": "skipped",
    "insufficient_data": "insufficient data",
    "inconclusive": "inconclusive",
}
# Worst first: problems before passes, in every list sorted by status.
STATUS_ORDER: Mapping[str, int] = {
    "fail": 0,
    "warn": 1,
    "inconclusive": 1,
    "insufficient_data": 2,
    "skipped": 3,
    "pass": 4,
}


def status_rank(status: str) -> int:
    """Where ``status`` sorts, worst first; a status mlci does not know sorts before passes."""
    return STATUS_ORDER.get(status, 1)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one data check (schema, constraint or drift) on one dataset.

    ``status`` is ``fail`` only for a breached check of severity ``error``; a breached check of
    severity ``warn`` has status ``warn``. ``observed``/``expected`` are short human strings.
    """

    dataset: str
    check: str  # e.g. "missing_column", "type", "null_fraction", "range", "drift"
    column: str | None
    status: Status
    severity: Literal["error", "warn"]
    message: str
    observed: str | None = None
    expected: str | None = None
    examples: tuple[str, ...] = ()
    score: float | None = None  # drift checks: the effect size (JS distance, Cohen's h)
    method: str | None = None  # drift checks: "jensen_shannon", "cohen_h", ...

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["examples"] = list(self.examples)
        return d


@dataclass(frozen=True)
class DatasetSummary:
    """What the report says about one dataset: size, fingerprint, and its checks."""

    name: str
    path: str
    rows: int
    columns: int
    fingerprint: str


@dataclass(frozen=True)
class ModelEvaluation:
    """The candidate's metrics, however they were obtained."""

    task: str
    source: Literal["metrics_file", "predictions", "model"]
    metrics: dict[str, float]
    n_rows: int | None = None  # evaluation rows, when known
    # a metrics file's standard errors, of the metrics that give one (mlci.model.uncertainty)
    standard_errors: dict[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class MetricComparison:
    """One metric of the candidate next to the baseline.

    ``delta`` is direction-adjusted: positive is better. ``change`` is the raw difference
    (candidate - baseline) and ``change_pct`` the raw relative change in percent.

    With both models' predictions on the same rows (:mod:`mlci.model.stats`): ``ci_low`` /
    ``ci_high`` bound ``delta`` (direction-adjusted, at level ``ci_level``), ``p_value`` is
    the two-sided p-value of "no change" where a classical test exists (McNemar, DeLong), and
    ``method`` names how: ``multinomial``, ``multinomial+mcnemar``, ``delong``, ``bootstrap``,
    ``bootstrap_grouped`` or ``influence``.
    """

    name: str
    value: float
    baseline: float | None
    higher_is_better: bool | None  # None: unknown direction (reported without judging)
    change: float | None = None
    change_pct: float | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    method: str | None = None
    ci_level: float | None = None  # e.g. 0.95


@dataclass(frozen=True)
class GateResult:
    """One gate rule applied to one metric."""

    metric: str  # slices: "recall [plan=pro]"; budgets: "latency_p95_ms"
    rule: Literal["min", "max", "max_regression", "min_improvement", "max_improvement", "max_gap"]
    status: Status  # pass | warn | fail | skipped | inconclusive
    severity: Literal["error", "warn"]
    threshold: str  # human form of the rule, e.g. "≥ 0.85", "regression ≤ 0.005 (abs)"
    message: str
    value: float | None = None  # the compared quantity (the metric, its delta, or a gap)
    scope: Literal["metric", "slice", "budget"] = "metric"  # what the rule was applied to
    mode: str | None = None  # change rules: the mode applied (point, lenient or strict)
    p_value: float | None = None  # lenient change rules: one-sided p of the breach (Holm-adjusted)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SliceResult:
    """The metrics of one slice: the evaluation rows whose ``grouping`` columns equal ``key``.

    ``key`` holds the values as text (``None`` for a missing value). A slice of fewer than
    ``min_size`` rows is ``too_small``: it has no metrics and is never gated. Slices of one
    grouping are listed worst first by ``sorted_by`` (direction-aware).
    """

    grouping: tuple[str, ...]
    key: tuple[str | None, ...]
    n: int
    metrics: tuple[MetricComparison, ...] = ()
    too_small: bool = False
    min_size: int = 0
    sorted_by: str | None = None
    baseline_n: int | None = None

    @property
    def label(self) -> str:
        """``"plan=pro"``, ``"plan=pro, country=DE"``; a missing value is ``(missing)``."""
        return ", ".join(f"{c}={'(missing)' if v is None else v}" for c, v in self._pairs())

    def _pairs(self) -> tuple[tuple[str, str | None], ...]:
        return tuple(zip(self.grouping, self.key, strict=True))

    def metric(self, name: str) -> MetricComparison | None:
        return next((m for m in self.metrics if m.name == name), None)


@dataclass(frozen=True)
class BudgetResult:
    """One measured budget (lower is better) of the candidate next to the baseline's.

    ``name`` is the config key (``model_size_mb``, ``latency_p95_ms``, ``batch_latency_p95_ms``,
    ``peak_memory_mb``); ``delta`` is positive when the candidate is smaller or faster.
    ``baseline_source``: ``same_job`` (the baseline model measured in this job, interleaved),
    ``record`` (the baseline record's stored value) or ``none``.
    """

    name: str
    value: float
    baseline: float | None = None
    change: float | None = None
    change_pct: float | None = None
    delta: float | None = None
    baseline_source: Literal["same_job", "record", "none"] = "none"
    method: str = ""  # how it was measured, in words


BaselineSource = Literal["same_job", "record"]


@dataclass(frozen=True)
class MeasuredBudgets:
    """What the budget stage measured (:func:`mlci.model.budgets.measure_budgets`): the
    candidate's values (also its record entry), the baseline's with where each came from, how
    each was measured, and why the baseline commit's model was not measured in this job (""
    when it was, or when there is no baseline commit)."""

    current: Mapping[str, float]
    baseline: Mapping[str, tuple[float, BaselineSource]]
    methods: Mapping[str, str]
    unmeasured: str = ""


@dataclass(frozen=True)
class ParamChange:
    """A DVC param whose value differs between the baseline commit and this revision, as
    ``dvc params diff`` lists it: ``file`` relative to the repository (``params.yaml``),
    ``param`` its dotted key (``train.lr``), the values as parsed (JSON values; None where the
    param is absent on that side)."""

    file: str
    param: str
    baseline: Any
    current: Any


@dataclass(frozen=True)
class BaselineInfo:
    """Which record the run was compared with, and how it was found.

    ``how`` is ``release`` for a monitoring run: the live release's record, ``branch`` its tag.
    """

    commit: str | None
    how: Literal["merge_base", "ancestor", "none", "release"]
    branch: str
    reason: str = ""  # when commit is None: why there is no baseline
    distance: int = 0  # first-parent steps from the merge base to the commit used


@dataclass(frozen=True)
class Report:
    """Everything a renderer needs; the renderers (markdown, json, terminal) are pure."""

    name: str
    verdict: Verdict
    commit: str
    ref: str
    baseline: BaselineInfo
    metrics: tuple[MetricComparison, ...] = ()
    gates: tuple[GateResult, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    datasets: tuple[DatasetSummary, ...] = ()
    evaluation: ModelEvaluation | None = None
    tool_version: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)  # extra lines for the reader
    # gated metrics' values on the baseline branch, oldest first (drawn as sparklines)
    history: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    slices: tuple[SliceResult, ...] = ()  # each grouping's slices, worst first
    budgets: tuple[BudgetResult, ...] = ()
    # how this PR's gates, stats, budgets or directions differ from its baseline's config, one
    # phrase each (mlci.rulediff); shown at the top of the comment
    gate_changes: tuple[str, ...] = ()
    # set by `mlci publish`: the branch whose config judged numbers computed by a fork's own job
    judged_with: str | None = None
    # the judging parts of the config that produced the report (mlci.config.rules_document)
    rules: Mapping[str, Any] = field(default_factory=dict)
    # DVC params that changed since the baseline commit (model.dvc_params), by file and key
    params_changed: tuple[ParamChange, ...] = ()
