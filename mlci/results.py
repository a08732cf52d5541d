"""Plain values that flow between the stages: check results, metrics, gate results, the report.

Everything here is immutable and JSON-friendly (see ``to_dict``); the pure core produces and
consumes these, and only the edges (pipeline, stores, publishers) do I/O with them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "skipped", "insufficient_data"]
Verdict = Literal["pass", "fail"]


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


@dataclass(frozen=True)
class MetricComparison:
    """One metric of the candidate next to the baseline.

    ``delta`` is direction-adjusted: positive is better. ``change`` is the raw difference
    (candidate - baseline) and ``change_pct`` the raw relative change in percent.
    """

    name: str
    value: float
    baseline: float | None
    higher_is_better: bool | None  # None: unknown direction (reported without judging)
    change: float | None = None
    change_pct: float | None = None
    delta: float | None = None


@dataclass(frozen=True)
class GateResult:
    """One gate rule applied to one metric."""

    metric: str
    rule: Literal["min", "max", "max_regression", "min_improvement", "max_improvement"]
    status: Status  # pass | warn | fail | skipped
    severity: Literal["error", "warn"]
    threshold: str  # human form of the rule, e.g. "≥ 0.85", "regression ≤ 0.005 (abs)"
    message: str
    value: float | None = None  # the compared quantity (the metric, or its delta)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BaselineInfo:
    """Which record the run was compared with, and how it was found."""

    commit: str | None
    how: Literal["merge_base", "ancestor", "none"]
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
