from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlci.report.jsonreport import dumps_report, report_to_dict
from mlci.results import BaselineInfo, ParamChange, Report
from tests.helpers.breakdown import sliced_report
from tests.helpers.report import HOSTILE, check, gate, make_report, metric

NAN = float("nan")
RULE_PARTS = ("gates", "stats", "budgets", "directions")
DOC = Path(__file__).parents[2] / "docs" / "report-json.md"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    text = resources.files("mlci").joinpath("jsonschemas/report.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def validate(document: Any, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema).validate(document)


PARAM = ParamChange("params.yaml", "train.lr", 0.01, 0.02)


def undefined_report() -> Report:
    """A report full of NaNs and empties: no baseline, undefined metrics."""
    return make_report(
        verdict="pass",
        baseline=BaselineInfo(None, "none", "main", reason="no record"),
        metrics=(metric("roc_auc", NAN, None), metric("foo", 1.0, None, higher=None)),
        gates=(gate("roc_auc", "skipped", rule="max_regression", value=None),),
        checks=(check("insufficient_data", check="drift", score=NAN, method="jensen_shannon"),),
        evaluation=None,
        notes=("an override was accepted",),
        gate_changes=("roc_auc: max_regression 0.005 → 0.05",),
        judged_with="main",
        rules={
            "config_hash": "sha256:00",
            "gates": [{"metric": "roc_auc", "max_regression": 0.05}],
            "stats": {"mode": "point"},
            "budgets": {"model_size_mb": {"max": 10}},
            "directions": {"my_score": "higher"},
            "min_slice_size": 50,
        },
    )


def test_shape_of_the_example(report: Report, schema: dict[str, Any]) -> None:
    d = report_to_dict(report)
    validate(d, schema)
    assert list(d) == [
        "schema_version",
        "name",
        "verdict",
        "commit",
        "ref",
        "tool_version",
        "baseline",
        "summary",
        "metrics",
        "gates",
        "checks",
        "datasets",
        "evaluation",
        "notes",
        "slices",
        "budgets",
        "gate_changes",
        "params_changed",
        "judged_with",
        "rules",
    ]
    assert (d["gate_changes"], d["params_changed"], d["judged_with"], d["rules"]) == (
        [],
        [],
        None,
        {},
    )
    assert d["schema_version"] == 1 and d["verdict"] == "fail"
    assert d["baseline"] == {
        "commit": "3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4",
        "how": "merge_base",
        "branch": "main",
        "reason": "",
        "distance": 0,
    }
    assert d["summary"] == {
        "gates": {"passed": 1, "failed": 1, "warnings": 0, "skipped": 0, "inconclusive": 0},
        "checks": {"passed": 1, "failed": 1, "warnings": 1, "skipped": 0, "insufficient_data": 0},
    }
    assert d["metrics"][2] == {
        "name": "log_loss",
        "value": 0.309,
        "baseline": 0.301,
        "change": pytest.approx(0.008),
        "change_pct": pytest.approx(2.6578073),
        "delta": pytest.approx(-0.008),
        "higher_is_better": False,
        "ci_low": None,
        "ci_high": None,
        "ci_level": None,
        "p_value": None,
        "method": None,
    }
    assert d["checks"][2]["examples"] == ["row 12", "row 40"]
    assert d["datasets"][0]["rows"] == 12400
    assert d["evaluation"] == {
        "task": "binary",
        "source": "predictions",
        "metrics": {"roc_auc": 0.905},
        "n_rows": 12400,
    }


def test_undefined_numbers_become_null(schema: dict[str, Any]) -> None:
    d = report_to_dict(undefined_report())
    validate(d, schema)
    assert d["metrics"][0]["value"] is None
    assert d["metrics"][1]["higher_is_better"] is None
    assert d["checks"][0]["score"] is None
    assert d["evaluation"] is None
    assert d["summary"]["checks"]["insufficient_data"] == 1
    assert d["summary"]["gates"]["skipped"] == 1


def test_dumps_is_strict_json_and_keeps_unicode() -> None:
    text = dumps_report(undefined_report())
    assert text.endswith("}\n")
    assert "NaN" not in text
    loaded = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard {c}"))
    assert loaded == report_to_dict(undefined_report())
    assert "≥ 0.7" in dumps_report(make_report())  # not \u2265


def test_raw_strings_are_kept_verbatim(schema: dict[str, Any]) -> None:
    for s in HOSTILE:
        d = report_to_dict(make_report(notes=(s,), checks=(check(message=s, column=s),)))
        validate(d, schema)
        assert d["notes"] == [s] and d["checks"][0]["message"] == s


def test_schema_rejects_a_bad_document(report: Report, schema: dict[str, Any]) -> None:
    d = report_to_dict(report)
    d["verdict"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        validate(d, schema)


def schema_paths(node: dict[str, Any], prefix: str = "") -> set[str]:
    """Every field path the schema defines, e.g. ``metrics[].delta``."""
    paths: set[str] = set()
    for option in node.get("oneOf", []):
        paths |= schema_paths(option, prefix)
    for key, sub in node.get("properties", {}).items():
        path = f"{prefix}{key}"
        paths.add(path)
        paths |= schema_paths(sub, path + ".")
        if "items" in sub:
            paths |= schema_paths(sub["items"], path + "[].")
    return paths


def document_paths(value: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            paths.add(prefix + key)
            # keyed by metric name, or config sections as written (the config schema's business)
            if prefix + key not in ("evaluation.metrics", *(f"rules.{k}" for k in RULE_PARTS)):
                paths |= document_paths(sub, prefix + key + ".")
    elif isinstance(value, list):
        for item in value:
            paths |= document_paths(item, prefix[:-1] + "[].")
    return paths


def test_the_schema_names_every_field_the_report_has(schema: dict[str, Any]) -> None:
    emitted = (
        document_paths(report_to_dict(make_report()))
        | document_paths(report_to_dict(undefined_report()))
        | document_paths(report_to_dict(sliced_report()))
        | document_paths(report_to_dict(make_report(params_changed=(PARAM,))))
    )
    assert emitted <= schema_paths(schema)
    assert schema_paths(schema) <= emitted  # and nothing the report never has


def test_the_docs_describe_every_field(schema: dict[str, Any]) -> None:
    doc = DOC.read_text("utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", doc, flags=re.M))
    leaves = {path.split(".")[-1].removesuffix("[]") for path in schema_paths(schema)}
    counts = {
        "passed",
        "failed",
        "warnings",
        "skipped",
        "insufficient_data",
        "inconclusive",
        "gates",
        "checks",
    }
    assert leaves - counts <= documented
    for key in counts:
        assert f"`{key}`" in doc
