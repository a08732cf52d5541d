"""The OpenMetrics text exposition of a run, a release or a monitoring run (pure).

For Prometheus, by the node_exporter textfile collector or a Pushgateway (docs/monitoring.md).
Every family is a gauge whose samples carry the labels ``name`` (the config), ``source``
(``run``, ``release`` or ``monitor``), and when known ``commit`` and ``tag``; data families add
``dataset``. The values are those of ``report.json`` (and, for a monitoring run, ``monitor.json``):
an undefined value (``null`` there) has no sample.

=================================  ==================================  =========================
family                             value                               extra labels
=================================  ==================================  =========================
``mlci_verdict``                   1 pass, 0 fail
``mlci_run_timestamp_seconds``     when the run ended (Unix time)
``mlci_metric_value``              the metric                          ``metric``
``mlci_metric_baseline``           the baseline's (release's) value    ``metric``
``mlci_metric_delta``              Δ, direction-adjusted (+ better)    ``metric``
``mlci_metric_delta_ci_low|high``  the ends of Δ's interval            ``metric``
``mlci_metric_value_ci_low|high``  the ends of the value's interval    ``metric`` (monitor)
``mlci_gates``                     gate results with this status       ``status``
``mlci_checks``                    data checks with this status        ``dataset``, ``status``
``mlci_drift_score``               a drift effect size                 ``dataset``, ``column``,
                                                                       ``check``, ``method``
``mlci_dataset_rows``              rows of the dataset                 ``dataset``
``mlci_monitor_labeled_rows``      production rows joined with labels  (monitor)
=================================  ==================================  =========================

Label values are escaped as the OpenMetrics text format requires (backslash, double quote and
line feed); metric and label names are fixed here. The text is also valid Prometheus text
format 0.0.4 (gauges, no timestamps: ``# EOF`` and ``# UNIT`` are comments there), which is what
the textfile collector and the Pushgateway read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from mlci.data.drift import DRIFT_CHECKS
from mlci.report.phrases import count_statuses
from mlci.results import CheckResult, GateResult, MetricComparison, Report

GATE_STATUSES = ("pass", "warn", "fail", "skipped", "inconclusive")
CHECK_STATUSES = ("pass", "warn", "fail", "skipped", "insufficient_data")


@dataclass(frozen=True)
class Family:
    """One metric family: its name, help text, unit and samples ``(labels, value)``."""

    name: str
    help: str
    samples: tuple[tuple[tuple[tuple[str, str], ...], float], ...]
    unit: str = ""


# The families every exposition can hold, with their help text: the Grafana dashboard's queries
# name exactly these (tests/report/test_openmetrics.py checks it).
HELP: dict[str, str] = {
    "mlci_verdict": "1 when the verdict is pass, 0 when a blocking gate or data check failed",
    "mlci_run_timestamp_seconds": "When mlci produced these values (Unix time)",
    "mlci_metric_value": "The model metric (monitor: the release's metric on production rows)",
    "mlci_metric_baseline": "The baseline's value of the metric (monitor: the release's)",
    "mlci_metric_delta": "The change of the metric, made positive when it is better",
    "mlci_metric_delta_ci_low": "The low end of the confidence interval of the change",
    "mlci_metric_delta_ci_high": "The high end of the confidence interval of the change",
    "mlci_metric_value_ci_low": "The low end of the confidence interval of the metric",
    "mlci_metric_value_ci_high": "The high end of the confidence interval of the metric",
    "mlci_gates": "Gate results with this status",
    "mlci_checks": "Data check and drift results of the dataset with this status",
    "mlci_drift_score": "The drift effect size of a column (Jensen-Shannon distance, Cohen's h)",
    "mlci_dataset_rows": "Rows of the dataset",
    "mlci_monitor_labeled_rows": "Production rows joined with a label",
}


@dataclass(frozen=True)
class Exposition:
    """What is exported: common labels and the values of one report."""

    name: str
    source: str  # run | release | monitor
    verdict: str
    timestamp: float
    commit: str = ""
    tag: str = ""
    metrics: tuple[MetricComparison, ...] = ()
    gates: tuple[GateResult, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    datasets: Mapping[str, int] = field(default_factory=dict)  # rows by dataset
    value_intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    labeled_rows: int | None = None


def exposition_of_report(report: Report, *, source: str, timestamp: float) -> Exposition:
    """A ``report.json``'s values (a run, or a monitoring run's report)."""
    ref = report.ref
    tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else ""
    return Exposition(
        name=report.name,
        source=source,
        verdict=report.verdict,
        timestamp=timestamp,
        commit=report.commit,
        tag=tag,
        metrics=report.metrics,
        gates=report.gates,
        checks=report.checks,
        datasets={d.name: d.rows for d in report.datasets},
    )


def render_openmetrics(e: Exposition) -> str:
    """The OpenMetrics text of ``e``, ending with ``# EOF``."""
    lines: list[str] = []
    for family in families(e):
        if not family.samples:
            continue
        lines.append(f"# TYPE {family.name} gauge")
        if family.unit:
            lines.append(f"# UNIT {family.name} {family.unit}")
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        for labels, value in family.samples:
            lines.append(f"{family.name}{_labels(labels)} {_number(value)}")
    return "\n".join([*lines, "# EOF"]) + "\n"


def families(e: Exposition) -> list[Family]:
    """Every family of ``e``, in a fixed order (empty ones included)."""
    common = _common(e)
    by_metric = [(m, (*common, ("metric", m.name))) for m in e.metrics]
    return [
        _family("mlci_verdict", [(common, 1.0 if e.verdict == "pass" else 0.0)]),
        _family("mlci_run_timestamp_seconds", [(common, e.timestamp)], unit="seconds"),
        _family("mlci_metric_value", [(labels, m.value) for m, labels in by_metric]),
        _family("mlci_metric_baseline", [(labels, m.baseline) for m, labels in by_metric]),
        _family("mlci_metric_delta", [(labels, m.delta) for m, labels in by_metric]),
        _family("mlci_metric_delta_ci_low", [(labels, m.ci_low) for m, labels in by_metric]),
        _family("mlci_metric_delta_ci_high", [(labels, m.ci_high) for m, labels in by_metric]),
        _family(
            "mlci_metric_value_ci_low",
            [(labels, e.value_intervals.get(m.name, (None, None))[0]) for m, labels in by_metric],
        ),
        _family(
            "mlci_metric_value_ci_high",
            [(labels, e.value_intervals.get(m.name, (None, None))[1]) for m, labels in by_metric],
        ),
        _family("mlci_gates", _status_counts(common, e.gates, GATE_STATUSES) if e.gates else []),
        _family("mlci_checks", _check_counts(common, e.checks, e.datasets)),
        _family("mlci_drift_score", _drift(common, e.checks)),
        _family(
            "mlci_dataset_rows",
            [((*common, ("dataset", n)), float(rows)) for n, rows in e.datasets.items()],
        ),
        _family(
            "mlci_monitor_labeled_rows",
            [] if e.labeled_rows is None else [(common, float(e.labeled_rows))],
        ),
    ]


def escape_label_value(value: str) -> str:
    """A label value as the OpenMetrics text format writes it: ``\\``, ``"`` and line feeds
    escaped with a backslash."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# -- pieces --------------------------------------------------------------------------------------

Labels = tuple[tuple[str, str], ...]


def _common(e: Exposition) -> Labels:
    labels = [("name", e.name), ("source", e.source)]
    labels += [(k, v) for k, v in (("commit", e.commit), ("tag", e.tag)) if v]
    return tuple(labels)


def _family(name: str, samples: Iterable[tuple[Labels, float | None]], *, unit: str = "") -> Family:
    kept = tuple(
        (labels, float(v)) for labels, v in samples if v is not None and not math.isnan(float(v))
    )
    return Family(name, HELP[name], kept, unit)


def _status_counts(
    common: Labels, results: Sequence[GateResult], statuses: Sequence[str]
) -> list[tuple[Labels, float]]:
    counts = count_statuses(r.status for r in results)
    values = {
        "pass": counts.passed,
        "warn": counts.warnings,
        "fail": counts.failed,
        "skipped": counts.skipped,
        "inconclusive": counts.inconclusive,
        "insufficient_data": counts.insufficient_data,
    }
    return [((*common, ("status", s)), float(values[s])) for s in statuses]


def _check_counts(
    common: Labels, checks: Sequence[CheckResult], datasets: Mapping[str, int]
) -> list[tuple[Labels, float]]:
    names = list(dict.fromkeys([*datasets, *(c.dataset for c in checks)]))
    samples = []
    for name in names:
        counts = count_statuses(c.status for c in checks if c.dataset == name)
        values = {
            "pass": counts.passed,
            "warn": counts.warnings,
            "fail": counts.failed,
            "skipped": counts.skipped,
            "insufficient_data": counts.insufficient_data,
        }
        samples += [
            ((*common, ("dataset", name), ("status", s)), float(values[s])) for s in CHECK_STATUSES
        ]
    return samples


def _drift(common: Labels, checks: Sequence[CheckResult]) -> list[tuple[Labels, float | None]]:
    return [
        (
            (
                *common,
                ("dataset", c.dataset),
                ("column", c.column or ""),
                ("check", c.check),
                ("method", c.method or ""),
            ),
            c.score,
        )
        for c in checks
        if c.check in DRIFT_CHECKS and c.score is not None
    ]


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{escape_label_value(v)}"' for k, v in labels) + "}"


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def epoch_of(created_at: str) -> float:
    """Unix time of a ``2024-05-01T02:00:00Z`` stamp (0 when it is not one)."""
    try:
        when = datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return 0.0
    return when.timestamp()
