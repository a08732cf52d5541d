"""The OpenMetrics exposition: parsed back by Prometheus' own parser, its values the report's,
label values escaped, and the Grafana dashboard querying exactly the exported series."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from mlci.report.jsonreport import dumps_report, load_report
from mlci.report.openmetrics import (
    HELP,
    Exposition,
    escape_label_value,
    exposition_of_report,
    families,
    render_openmetrics,
)
from mlci.results import DatasetSummary
from tests.helpers.report import check, gate, make_report, metric

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "mlci-dashboard.json"
HOSTILE = 'a "quoted" \\ back\nslash } {x="1"} # ünïcode @team'


def parse(text: str) -> dict[str, list[Any]]:
    """Family name -> samples, through prometheus_client's strict OpenMetrics parser."""
    return {f.name: list(f.samples) for f in text_string_to_metric_families(text)}


def sample(found: dict[str, list[Any]], family: str, **labels: str) -> float:
    [match] = [s for s in found[family] if all(s.labels.get(k) == v for k, v in labels.items())]
    return float(match.value)


def full_exposition(**changes: Any) -> Exposition:
    """A report with every kind of value: metrics with intervals, gates, checks and drift."""
    report = make_report(
        metrics=(
            replace(metric("roc_auc", 0.905, 0.912), ci_low=-0.011, ci_high=-0.003, ci_level=0.95),
            metric("log_loss", 0.309, 0.301, higher=False),
            metric("f1", float("nan"), 0.77),
        ),
        checks=(
            check("fail", check="drift", column="tenure", score=0.31, method="jensen_shannon"),
            check("pass", check="drift_null_rate", column="tenure", score=0.01, method="cohen_h"),
            check("warn", check="range", column="age"),
            check("pass", dataset="train", check="range", column="age"),
        ),
        gates=(gate("roc_auc", "fail"), gate("roc_auc", "pass", rule="max")),
        datasets=(
            DatasetSummary("eval", "e.csv", 12400, 9, "sha256:x"),
            DatasetSummary("train", "t.csv", 50000, 9, "sha256:y"),
        ),
    )
    e = exposition_of_report(report, source="monitor", timestamp=1714528800.0)
    return replace(e, value_intervals={"roc_auc": (0.89, 0.92)}, labeled_rows=4321, **changes)


def test_every_family_parses_with_the_values_of_the_report() -> None:
    e = full_exposition()
    text = render_openmetrics(e)
    assert text.endswith("# EOF\n")

    found = parse(text)

    assert set(found) == set(HELP)
    common = {"name": "churn-model", "source": "monitor", "commit": "a" * 40}
    assert all(s.labels["name"] == "churn-model" for f in found.values() for s in f)
    assert sample(found, "mlci_verdict", **common) == 0.0
    assert sample(found, "mlci_run_timestamp_seconds") == 1714528800.0
    assert sample(found, "mlci_metric_value", metric="roc_auc") == 0.905
    assert sample(found, "mlci_metric_baseline", metric="log_loss") == 0.301
    assert sample(found, "mlci_metric_delta", metric="log_loss") == pytest.approx(-0.008)
    assert sample(found, "mlci_metric_delta_ci_low", metric="roc_auc") == -0.011
    assert sample(found, "mlci_metric_delta_ci_high", metric="roc_auc") == -0.003
    assert sample(found, "mlci_metric_value_ci_low", metric="roc_auc") == 0.89
    assert not [s for s in found["mlci_metric_value"] if s.labels["metric"] == "f1"]  # NaN: none
    assert sample(found, "mlci_gates", status="fail") == 1.0
    assert sample(found, "mlci_checks", dataset="eval", status="warn") == 1.0
    assert sample(found, "mlci_checks", dataset="train", status="pass") == 1.0
    assert sample(found, "mlci_drift_score", column="tenure", check="drift") == 0.31
    assert sample(found, "mlci_dataset_rows", dataset="train") == 50000.0
    assert sample(found, "mlci_monitor_labeled_rows") == 4321.0


def test_label_values_are_escaped_as_the_format_requires() -> None:
    report = make_report(
        name=HOSTILE,
        metrics=(metric(HOSTILE, 0.5, 0.4),),
        checks=(check("fail", check="drift", column=HOSTILE, dataset=HOSTILE, score=0.4),),
        gates=(),
        datasets=(DatasetSummary(HOSTILE, "x", 10, 1, "sha256:x"),),
    )
    text = render_openmetrics(exposition_of_report(report, source="run", timestamp=1.0))

    found = parse(text)

    assert {s.labels["name"] for f in found.values() for s in f} == {HOSTILE}
    assert [s.labels["metric"] for s in found["mlci_metric_value"]] == [HOSTILE]
    assert [s.labels["column"] for s in found["mlci_drift_score"]] == [HOSTILE]
    assert escape_label_value('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert "\n" not in text.split("mlci_verdict{", 1)[1].split("} ", 1)[0]


def test_a_tag_ref_becomes_the_tag_label_and_a_pull_request_has_none() -> None:
    tagged = exposition_of_report(make_report(ref="refs/tags/v1.4.0"), source="run", timestamp=0)
    assert tagged.tag == "v1.4.0"
    found = parse(
        render_openmetrics(exposition_of_report(make_report(), source="run", timestamp=0))
    )
    assert all("tag" not in s.labels for f in found.values() for s in f)


def test_the_values_equal_report_json_read_back() -> None:
    text = dumps_report(make_report(metrics=(replace(metric("auc", 0.8, 0.7), ci_low=0.05),)))
    e = exposition_of_report(load_report(text, source="report.json"), source="run", timestamp=0)
    doc = json.loads(text)
    found = parse(render_openmetrics(e))
    for m in doc["metrics"]:
        for field, family in (
            ("value", "mlci_metric_value"),
            ("baseline", "mlci_metric_baseline"),
            ("delta", "mlci_metric_delta"),
            ("ci_low", "mlci_metric_delta_ci_low"),
        ):
            if m[field] is None:
                assert not [s for s in found.get(family, []) if s.labels["metric"] == m["name"]]
            else:
                assert sample(found, family, metric=m["name"]) == m[field]


# -- the Grafana dashboard -----------------------------------------------------------------------


def queries(node: Any) -> list[str]:
    """Every query of the dashboard: panel targets' expr and the variables' queries."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "query") and isinstance(value, str):
                found.append(value)
            else:
                found += queries(value)
    elif isinstance(node, list):
        for item in node:
            found += queries(item)
    return found


def test_the_dashboard_queries_name_exactly_the_exported_series() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    named = {m for q in queries(dashboard) for m in re.findall(r"\bmlci_[a-z0-9_]+\b", q)}
    exported = {f.name for f in families(full_exposition())}
    assert named == exported == set(HELP)
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert re.search(r"\bmlci_[a-z0-9_]+\b", target["expr"]), panel["title"]
    labels = {
        "name",
        "source",
        "commit",
        "tag",
        "dataset",
        "metric",
        "status",
        "column",
        "check",
        "method",
    }
    used = {m for q in queries(dashboard) for m in re.findall(r"(\w+)\s*[=!]~?\s*\"", q)}
    used |= {
        m for q in queries(dashboard) for m in re.findall(r"\{\{(\w+)\}\}", json.dumps(dashboard))
    }
    assert used <= labels, used - labels


def test_numbers_are_written_as_prometheus_reads_them() -> None:
    e = replace(full_exposition(), timestamp=math.inf, labeled_rows=None)
    found = parse(render_openmetrics(e))
    assert sample(found, "mlci_run_timestamp_seconds") == math.inf
    assert "mlci_monitor_labeled_rows" not in found
