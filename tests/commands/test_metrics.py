"""`mlci metrics` and `mlci run --openmetrics`: a report.json as OpenMetrics text."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from mlci.cli import main


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def families(text: str) -> dict[str, list[Any]]:
    return {f.name: list(f.samples) for f in text_string_to_metric_families(text)}


def project(git_project: Any) -> Path:
    config = {
        "name": "churn-model",
        "datasets": {"eval": {"path": "eval.csv", "checks": [{"column": "age", "min": 0}]}},
        "model": {"task": "binary", "metrics_file": "metrics.json"},
        "gates": [{"metric": "roc_auc", "min": 0.8}],
    }
    git_project.write("mlci.yml", yaml.safe_dump(config))
    git_project.write("eval.csv", "age\n" + "".join(f"{20 + i % 50}\n" for i in range(200)))
    git_project.write("metrics.json", json.dumps({"roc_auc": 0.91, "accuracy": 0.85}))
    git_project.commit("model")
    return git_project.path


def test_run_writes_the_reports_values_as_openmetrics(git_project: Any, tmp_path: Path) -> None:
    root = project(git_project)
    target = tmp_path / "textfile" / "mlci.prom"
    code, out, err = cli(
        "run",
        "-c",
        str(root / "mlci.yml"),
        "--output-dir",
        str(tmp_path / "out"),
        "--no-html",
        "--openmetrics",
        str(target),
    )
    assert (code, err) == (0, ""), out
    report = json.loads((tmp_path / "out" / "report.json").read_text())

    found = families(target.read_text())

    [verdict] = found["mlci_verdict"]
    assert verdict.value == 1.0
    assert verdict.labels == {"name": "churn-model", "source": "run", "commit": report["commit"]}
    values = {s.labels["metric"]: s.value for s in found["mlci_metric_value"]}
    assert values == {m["name"]: m["value"] for m in report["metrics"]}
    [rows] = found["mlci_dataset_rows"]
    assert (rows.labels["dataset"], rows.value) == ("eval", 200.0)


def test_metrics_converts_a_report_and_names_a_missing_file(
    git_project: Any, tmp_path: Path
) -> None:
    root = project(git_project)
    cli("run", "-c", str(root / "mlci.yml"), "--output-dir", str(tmp_path / "out"), "--no-html")

    code, out, err = cli("metrics", str(tmp_path / "out" / "report.json"), "--source", "release")

    assert (code, err) == (0, "")
    assert {s.labels["source"] for f in families(out).values() for s in f} == {"release"}
    code, _, err = cli("metrics", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json: file not found" in err
    code, _, err = cli("metrics", str(root / "mlci.yml"))
    assert code == 2 and "mlci.yml" in err
