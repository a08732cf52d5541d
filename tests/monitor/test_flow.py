"""`mlci monitor` outside GitHub Actions: real git projects, Parquet partitions, labels by id."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from jsonschema import Draft202012Validator

from mlci.yamlfile import packaged_schema
from tests.helpers.git import git
from tests.helpers.monitor import NAME, MonitorProject


def test_a_clean_day_passes_and_a_drifted_day_fails_naming_the_column(
    project: MonitorProject,
) -> None:
    project.production()
    code, out, err = project.monitor("--release", "v1.0.0")
    assert (code, err) == (0, ""), out
    clean = project.monitor_json()
    assert (clean["verdict"], clean["alert"]) == ("pass", False)
    assert clean["summary"]["drifted_columns"] == []

    project.production(tenure_shift=3.0)
    code, out, err = project.monitor("--release", "v1.0.0")

    assert (code, err) == (1, ""), out
    doc = project.monitor_json()
    assert (doc["verdict"], doc["alert"]) == ("fail", True)
    assert doc["summary"]["drifted_columns"] == ["eval.tenure"]
    [tenure] = [d for d in doc["drift"] if d["column"] == "tenure" and d["check"] == "drift"]
    assert tenure["status"] == "fail" and tenure["score"] >= 0.2
    report_md = (project.out / "report.md").read_text()
    assert report_md.startswith("### ❌ mlci monitor · churn-model — drift in 1 column")
    assert "**Drifted:** `tenure`" in report_md
    assert "`tenure` drifted" in out


def test_the_partitions_are_read_as_one_day(project: MonitorProject) -> None:
    labels = project.production(hours=4, per_hour=1500)
    project.monitor("--release", "v1.0.0")
    doc = project.monitor_json()

    [data] = doc["datasets"]
    assert (data["name"], data["files"], data["rows"]) == ("eval", 4, 6000)
    assert data["path"] == "prod/"
    assert data["profile"]["rows"] == 6000
    assert "score" not in data["profile"]["columns"]  # the served output is not data
    perf = doc["performance"]
    assert (perf["served_rows"], perf["labeled_rows"], perf["label_rows"]) == (6000, 3000, 3000)
    assert len(labels) == 3000 and perf["unmatched_labels"] == 0


def test_the_releases_metrics_on_production_rows_equal_sklearns(project: MonitorProject) -> None:
    from sklearn.metrics import accuracy_score, roc_auc_score

    project.production()
    project.monitor("--release", "v1.0.0")
    doc = project.monitor_json()

    served = pd.concat(
        pd.read_parquet(p) for p in sorted((project.path / "prod").rglob("*.parquet"))
    )
    labels = pd.read_parquet(project.path / "labels" / "labels.parquet")
    joined = served.merge(labels, on="request_id")
    metrics = {m["name"]: m for m in doc["performance"]["metrics"]}
    assert metrics["roc_auc"]["value"] == pytest.approx(
        roc_auc_score(joined.churned, joined.score), abs=1e-12
    )
    expected = accuracy_score(joined.churned, (joined.score >= 0.5).astype(int))
    assert metrics["accuracy"]["value"] == pytest.approx(expected, abs=1e-12)
    roc = metrics["roc_auc"]
    assert roc["value_ci_low"] < roc["value"] < roc["value_ci_high"]
    assert roc["ci_low"] < roc["delta"] < roc["ci_high"]
    assert roc["method"] == "delong"
    release = json.loads(
        git(
            project.path,
            "show",
            f"mlci-records:{NAME}/{doc['release']['commit'][:2]}/{doc['release']['commit']}.json",
        )
    )
    assert roc["release"] == pytest.approx(release["model"]["metrics"]["roc_auc"])


def test_a_model_that_decays_in_production_fails_its_gate(project: MonitorProject) -> None:
    project.production(quality=0.4, labeled=1.0)

    code, out, _ = project.monitor("--release", "v1.0.0")

    assert code == 1, out
    report = project.report_json()
    failed = [g for g in report["gates"] if g["status"] == "fail"]
    assert [(g["metric"], g["rule"]) for g in failed] == [("roc_auc", "max_regression")]
    assert report["baseline"] == {
        "commit": project.monitor_json()["release"]["commit"],
        "how": "release",
        "branch": "v1.0.0",
        "reason": "",
        "distance": 0,
    }
    assert "gate failed" not in out or "roc_auc" in out


def test_no_labels_yet_reports_the_data_only(project: MonitorProject) -> None:
    project.production(labeled=0.0)

    code, out, err = project.monitor("--release", "v1.0.0")

    assert (code, err) == (0, ""), out
    doc = project.monitor_json()
    assert doc["performance"]["labeled_rows"] == 0
    assert doc["gates"] == []
    assert any("No production row has a label yet" in n for n in doc["notes"])


def test_every_run_appends_a_monitor_record_and_never_rewrites_one(
    project: MonitorProject,
) -> None:
    project.production()
    project.monitor("--release", "v1.0.0")
    project.production(tenure_shift=3.0)
    project.monitor("--release", "v1.0.0")

    listing = git(project.path, "ls-tree", "-r", "--name-only", "mlci-records").splitlines()
    history = [p for p in listing if p.startswith(f"{NAME}/monitor/")]
    assert len(history) == 2
    verdicts = [
        json.loads(git(project.path, "show", f"mlci-records:{p}"))["verdict"] for p in history
    ]
    assert sorted(verdicts) == ["fail", "pass"]
    log = git(project.path, "log", "--format=%s", "mlci-records").splitlines()
    assert log[0].startswith(f"mlci: monitor {NAME} vs v1.0.0:")
    # --no-store leaves the history alone
    project.monitor("--release", "v1.0.0", "--no-store")
    after = git(project.path, "ls-tree", "-r", "--name-only", "mlci-records").splitlines()
    assert after == listing


def test_the_documents_follow_their_schemas(project: MonitorProject) -> None:
    project.production(tenure_shift=3.0)
    project.monitor("--release", "v1.0.0")
    for name, doc in (
        ("monitor.schema.json", project.monitor_json()),
        ("report.schema.json", project.report_json()),
    ):
        errors = list(Draft202012Validator(packaged_schema(name)).iter_errors(doc))
        assert errors == [], (name, errors[:3])


def test_data_given_on_the_command_line_wins(project: MonitorProject, tmp_path) -> None:
    project.production()
    single = project.path / "today.parquet"
    frames = [pd.read_parquet(p) for p in sorted((project.path / "prod").rglob("*.parquet"))]
    pd.concat(frames).to_parquet(single, index=False)

    code, out, err = project.monitor("--release", "v1.0.0", "--data", f"eval={single}")

    assert (code, err) == (0, ""), out
    [data] = project.monitor_json()["datasets"]
    assert (data["files"], data["rows"]) == (1, 6000)


def test_a_profile_computed_elsewhere_stands_in_for_the_rows(project: MonitorProject) -> None:
    project.production(tenure_shift=3.0)
    parts = sorted((project.path / "prod").rglob("*.parquet"))
    shards = []
    for i, part in enumerate(parts):  # one profile per partition, as the Spark recipe writes
        shard = project.tmp / f"profile-{i}.json"
        code, out, err = _profile(part, shard)
        assert (code, err) == (0, ""), out
        shards.append(shard)

    code, out, err = project.monitor(
        "--release", "v1.0.0", *[a for s in shards for a in ("--profile", f"eval={s}")]
    )

    assert code == 1, out + err
    doc = project.monitor_json()
    assert doc["summary"]["drifted_columns"] == ["eval.tenure"]
    [data] = doc["datasets"]
    assert (data["rows"], data["files"]) == (6000, 0)
    assert any("Performance was not monitored" in n for n in doc["notes"])


def _profile(part, shard):
    from tests.helpers.monitor import cli

    return cli("profile", str(part), "--name", "eval", "--output", str(shard), "--quiet")


def test_nothing_to_monitor_and_unknown_datasets_are_one_line_errors(
    project: MonitorProject,
) -> None:
    code, _, err = project.monitor("--release", "v1.0.0", "--data", "evl=prod/")
    assert code == 2
    assert err == (
        "mlci: error: --data evl: no dataset 'evl' in mlci.yml (datasets: eval). The production "
        "rows stand in for a configured dataset: its checks and drift apply.\n"
    )
    code, _, err = project.monitor("--release", "v1.0.0")  # prod/ was never written
    assert code == 2 and "monitor.data.eval: no data file at 'prod/'" in err
    code, _, err = project.monitor("--release", "v9.9.9")
    assert code == 2 and "(tag v9.9.9 is not in this clone)" in err
    code, _, err = project.monitor()
    assert code == 2 and "pass --release TAG" in err


def test_the_openmetrics_file_parses_and_its_values_are_the_reports(
    project: MonitorProject,
) -> None:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    project.production(tenure_shift=3.0)
    target = project.tmp / "metrics" / "mlci.prom"
    project.monitor("--release", "v1.0.0", "--openmetrics", str(target))
    report, doc = project.report_json(), project.monitor_json()

    found = {f.name: f.samples for f in text_string_to_metric_families(target.read_text())}

    def value(family: str, **labels: str) -> float:
        [s] = [s for s in found[family] if all(s.labels.get(k) == v for k, v in labels.items())]
        assert (s.labels["name"], s.labels["source"], s.labels["tag"]) == (
            NAME,
            "monitor",
            "v1.0.0",
        )
        return float(s.value)

    assert value("mlci_verdict") == 0.0
    for m in report["metrics"]:
        assert value("mlci_metric_value", metric=m["name"]) == m["value"]
        assert value("mlci_metric_baseline", metric=m["name"]) == m["baseline"]
        assert value("mlci_metric_delta", metric=m["name"]) == m["delta"]
        assert value("mlci_metric_delta_ci_low", metric=m["name"]) == m["ci_low"]
        assert value("mlci_metric_delta_ci_high", metric=m["name"]) == m["ci_high"]
    for m in doc["performance"]["metrics"]:
        assert value("mlci_metric_value_ci_low", metric=m["name"]) == m["value_ci_low"]
    for d in doc["drift"]:
        if d["score"] is not None:
            assert value("mlci_drift_score", column=d["column"], check=d["check"]) == d["score"]
    counts = report["summary"]["checks"]
    assert value("mlci_checks", dataset="eval", status="fail") == counts["failed"]
    assert value("mlci_checks", dataset="eval", status="pass") == counts["passed"]
    assert value("mlci_dataset_rows", dataset="eval") == 6000
    assert value("mlci_monitor_labeled_rows") == doc["performance"]["labeled_rows"]


def test_mlci_metrics_of_the_monitor_json_is_the_same_text(project: MonitorProject) -> None:
    from tests.helpers.monitor import cli

    project.production()
    target = project.tmp / "mlci.prom"
    project.monitor("--release", "v1.0.0", "--openmetrics", str(target))

    code, out, err = cli("metrics", str(project.out / "monitor.json"))

    assert (code, err) == (0, "")
    assert out == target.read_text()
