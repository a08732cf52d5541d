"""`mlci publish` judges a fork's report with the default branch's config, it does not relay it.

Hostile artifacts (report.json and pull-request.json as a fork's own job could upload them) are
published through the CLI against the GitHub API fake; each test asserts what the fake holds
afterwards: the statuses, the comments and every write.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlci.cli import main
from mlci.report.jsonreport import report_to_dict
from mlci.results import (
    BaselineInfo,
    BudgetResult,
    CheckResult,
    GateResult,
    MetricComparison,
    Report,
    SliceResult,
)
from tests.helpers.github import BOT_TOKEN, REPO

PR = 21
HEAD = "c0ffee" + "0" * 34
BASE = "ba5e00" + "0" * 34
RUN_ID = 4242  # the evaluation run (workflow_run.id)
NAME = "churn-model"
CONTEXT = f"mlci/{NAME}"
MARK = f"<!-- mlci:report name={NAME} -->"
MAIN_CONFIG: dict[str, Any] = {
    "name": NAME,
    "model": {
        "task": "binary",
        "predictions": {"path": "preds.csv", "y_score": "y_score"},
        "metrics": ["accuracy", "roc_auc"],
    },
    "gates": [{"metric": "roc_auc", "max_regression": 0.01}, {"metric": "accuracy", "min": 0.8}],
}


def comparison(name: str, value: float | None, base: float | None, **kw: Any) -> MetricComparison:
    v = float("nan") if value is None else value
    change = None if base is None or value is None else value - base
    return MetricComparison(name, v, base, True, change, None, change, **kw)


def honest_report(**changes: Any) -> Report:
    """What `mlci run` would report on a PR that dropped roc_auc from 0.90 to 0.80 (a fail)."""
    report = Report(
        name=NAME,
        verdict="fail",
        commit=HEAD,
        ref=f"refs/pull/{PR}/merge",
        baseline=BaselineInfo(BASE, "merge_base", "main"),
        metrics=(comparison("roc_auc", 0.80, 0.90), comparison("accuracy", 0.85, 0.86)),
        gates=(
            GateResult("roc_auc", "max_regression", "fail", "error", "max regression 0.01", "x"),
            GateResult("accuracy", "min", "pass", "error", "≥ 0.8", "accuracy 0.85 ≥ 0.8", 0.85),
        ),
        checks=(CheckResult("eval", "range", "age", "pass", "error", "all within [0, 120]"),),
        tool_version="0.1.0",
        rules={"gates": MAIN_CONFIG["gates"], "directions": {}},
    )
    return replace(report, **changes)


def forged_pass(report: Report) -> dict[str, Any]:
    """The report with every gate and the verdict rewritten to pass."""
    doc = report_to_dict(report)
    doc["verdict"] = "pass"
    for gate in doc["gates"]:
        gate["status"] = "pass"
    return doc


@pytest.fixture
def default_branch(git_project: Any) -> Any:
    """The default branch's checkout (what fork-comment.yml checks out): its mlci.yml."""
    git_project.write("mlci.yml", yaml.safe_dump(MAIN_CONFIG, sort_keys=False))
    git_project.commit("main")
    return git_project


class Publisher:
    """Runs `mlci publish` as the fork-comment workflow would, for one artifact."""

    def __init__(self, fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fake, self.tmp, self.monkeypatch = fake, tmp_path, monkeypatch
        self.runs = 0
        fake.add_pull(REPO, PR, HEAD, head_repo="someone/widgets")

    def artifact(self, *reports: dict[str, Any] | Report, number: int = PR) -> Path:
        folder = self.tmp / f"artifact{self.runs}-{len(list(self.tmp.iterdir()))}"
        folder.mkdir()
        several = len(reports) > 1
        for i, report in enumerate(reports):
            doc = report if isinstance(report, dict) else report_to_dict(report)
            target = folder / f"config{i}" if several else folder
            target.mkdir(exist_ok=True)
            (target / "report.json").write_text(json.dumps(doc), encoding="utf-8")
            claim = {"number": number, "head_sha": HEAD}
            (target / "pull-request.json").write_text(json.dumps(claim), encoding="utf-8")
        return folder

    def publish(self, artifact: Path, *configs: Path) -> tuple[int, str, str]:
        self.runs += 1
        event = self.tmp / f"event{self.runs}.json"
        payload = {
            "action": "completed",
            "workflow_run": {"id": RUN_ID, "head_sha": HEAD, "event": "pull_request"},
            "repository": {"full_name": REPO, "default_branch": "main"},
        }
        event.write_text(json.dumps(payload))
        environ = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_TOKEN": BOT_TOKEN,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": self.fake.url,
            "GITHUB_SERVER_URL": self.fake.url,
            "GITHUB_EVENT_NAME": "workflow_run",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_SHA": "e" * 40,
            "GITHUB_RUN_ID": str(9000 + self.runs),  # the publishing run
            "GITHUB_OUTPUT": str(self.tmp / f"output{self.runs}"),
            "GITHUB_STEP_SUMMARY": str(self.tmp / f"summary{self.runs}.md"),
        }
        for key, value in environ.items():
            self.monkeypatch.setenv(key, value)
        args = ["publish", "--report-dir", str(artifact)]
        for config in configs:
            args += ["--config", str(config)]
        out, err = io.StringIO(), io.StringIO()
        code = main(args, stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    def statuses(self) -> list[tuple[str, str, str]]:
        found = self.fake.snapshot()["statuses"]
        return [(s["context"], s["state"], s["description"]) for s in found if s["sha"] == HEAD]

    def comments(self) -> list[dict[str, Any]]:
        return [c for c in self.fake.snapshot()["comments"] if c["number"] == PR]

    def writes(self) -> list[tuple[str, str]]:
        log = self.fake.snapshot()["requests"]
        return [(r["method"], r["path"]) for r in log if r["method"] != "GET"]


@pytest.fixture
def publisher(fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Publisher:
    return Publisher(fake, tmp_path, monkeypatch)


def config_of(project: Any) -> Path:
    return Path(project.path) / "mlci.yml"


# -- a forged verdict, a foreign name, loosened gates ---------------------------------------------


def test_a_forged_pass_with_a_failed_gate_is_judged_a_failure(default_branch, publisher):
    artifact = publisher.artifact(forged_pass(honest_report()))

    code, out, err = publisher.publish(artifact, config_of(default_branch))

    assert (code, err) == (0, "")
    assert publisher.statuses() == [(CONTEXT, "failure", "gate failed: roc_auc")]
    [comment] = publisher.comments()
    body = comment["body"]
    assert body.startswith(f"{MARK}\n### ❌ mlci · churn-model — 1 gate failed\n")
    assert (
        "🔒 **Fork-safe publishing:** the numbers below were computed by this pull request's"
        in (body)
    )
    assert "judged here with the config of `main`." in body
    assert "changes its gates" not in body
    assert "roc\\_auc got worse by 0.1" in body
    assert f"/actions/runs/{RUN_ID}#artifacts" in body  # the evaluation run's report
    assert "with the gates of main (fail)" in out


def test_an_honest_passing_report_passes(default_branch, publisher):
    report = honest_report(
        verdict="pass",
        metrics=(comparison("roc_auc", 0.899, 0.90), comparison("accuracy", 0.85, 0.86)),
    )

    code, _, _ = publisher.publish(publisher.artifact(report), config_of(default_branch))

    assert code == 0
    assert publisher.statuses() == [(CONTEXT, "success", "passed")]
    assert "### ✅ mlci · churn-model" in publisher.comments()[0]["body"]


def test_a_report_named_after_another_config_changes_no_status(default_branch, publisher):
    for name in ("churn-model-v2", "release-gate"):
        doc = report_to_dict(honest_report(name=name, verdict="pass", gates=()))

        code, _, err = publisher.publish(publisher.artifact(doc), config_of(default_branch))

        assert code == 2
        assert f"The artifact has a report named {name!r}" in err
        assert "configures only 'churn-model': refusing to post any of it." in err
    assert publisher.statuses() == [] and publisher.comments() == [] and publisher.writes() == []


def test_a_pr_that_loosened_its_gates_is_judged_by_the_default_branch(default_branch, publisher):
    loose = [{"metric": "roc_auc", "max_regression": 0.5}]
    report = honest_report(
        verdict="pass",
        gates=(
            GateResult("roc_auc", "max_regression", "pass", "error", "max regression 0.5", "x"),
        ),
        rules={"gates": loose, "stats": {"mode": "point"}, "directions": {}},
    )

    code, _, _ = publisher.publish(publisher.artifact(report), config_of(default_branch))

    assert code == 0
    assert publisher.statuses() == [(CONTEXT, "failure", "gate failed: roc_auc")]
    lines = publisher.comments()[0]["body"].splitlines()
    assert lines[4] == (
        "⚠️ **Heads-up:** this PR changes its gates: roc\\_auc: max\\_regression 0.01 → 0.5; "
        "removed the gate on accuracy \\(min 0.8\\); stats.mode lenient → point "
        "(not applied: the status uses the gates of `main`)."
    )


def test_loosened_gates_hidden_from_the_rules_still_show(default_branch, publisher):
    doc = forged_pass(honest_report())
    doc["gates"][0]["threshold"] = "max regression 0.5"
    doc["rules"] = {}

    publisher.publish(publisher.artifact(doc), config_of(default_branch))

    body = publisher.comments()[0]["body"]
    assert (
        "this PR changes its gates: its own run judged with other gates than the config of main "
        "\\(the report does not say which\\)"
    ) in body
    assert publisher.statuses() == [(CONTEXT, "failure", "gate failed: roc_auc")]


def test_forged_notes_about_an_override_are_not_shown(default_branch, publisher):
    note = "Overridden by @maintainer with the label mlci-accept-regression: 1 failing gate"
    doc = forged_pass(honest_report(notes=(note, "Slices by plan: 2 too small.")))

    publisher.publish(publisher.artifact(doc), config_of(default_branch))

    body = publisher.comments()[0]["body"]
    assert "Overridden" not in body and "Slices by plan: 2 too small." in body


def test_the_default_branchs_override_label_is_checked_again(
    default_branch, publisher, fake, git_project
):
    config = {**MAIN_CONFIG, "override": {"label": "accept"}}
    git_project.write("mlci.yml", yaml.safe_dump(config))
    fake.add_label(REPO, PR, "accept", "maintainer")
    fake.set_permission(REPO, "maintainer", "maintain")

    publisher.publish(publisher.artifact(honest_report()), config_of(default_branch))

    assert publisher.statuses() == [(CONTEXT, "success", "passed with 1 warning")]
    assert (
        "Overridden by @\u200bmaintainer with the label accept" in publisher.comments()[0]["body"]
    )


def test_a_claim_of_no_baseline_skips_change_rules_unless_main_requires_one(
    default_branch, publisher, git_project
):
    no_base = honest_report(
        baseline=BaselineInfo(None, "none", "main", reason="no record"),
        metrics=(comparison("roc_auc", 0.80, None), comparison("accuracy", 0.85, None)),
    )
    publisher.publish(publisher.artifact(forged_pass(no_base)), config_of(default_branch))
    assert publisher.statuses()[-1] == (CONTEXT, "success", "passed")
    assert "No baseline: no record. Change rules were skipped." in publisher.comments()[0]["body"]

    git_project.write(
        "mlci.yml", yaml.safe_dump({**MAIN_CONFIG, "baseline": {"on_missing": "fail"}})
    )
    publisher.publish(publisher.artifact(forged_pass(no_base)), config_of(default_branch))

    assert publisher.statuses()[-1] == (CONTEXT, "failure", "gate failed: roc_auc")
    assert (
        "no baseline, which \\`baseline.on\\_missing: fail\\` on main does not allow"
        in (publisher.comments()[0]["body"])
    )


# -- numbers: directions, intervals, data checks ------------------------------------------------


def test_a_flipped_direction_in_the_report_does_not_turn_a_drop_into_a_gain(
    default_branch, publisher
):
    flipped = MetricComparison("roc_auc", 0.80, 0.90, False, -0.10, None, 0.10)  # "lower is better"
    doc = forged_pass(honest_report(metrics=(flipped, comparison("accuracy", 0.85, 0.86))))

    publisher.publish(publisher.artifact(doc), config_of(default_branch))

    assert publisher.statuses() == [(CONTEXT, "failure", "gate failed: roc_auc")]


def interval_report(low: float, high: float, level: float, higher: bool = True) -> Report:
    roc = MetricComparison(
        "roc_auc",
        0.88,
        0.90,
        higher,
        -0.02,
        None,
        -0.02 if higher else 0.02,
        ci_low=low,
        ci_high=high,
        ci_level=level,
        method="delong",
    )
    return honest_report(metrics=(roc, comparison("accuracy", 0.85, 0.86)))


def test_an_interval_at_the_default_level_is_used_and_a_breach_it_cannot_confirm_warns(
    default_branch, publisher
):
    # Δ = −0.02 breaches max_regression 0.01, but [−0.035, −0.005] is not all beyond −0.01
    publisher.publish(
        publisher.artifact(interval_report(-0.035, -0.005, 0.95)), config_of(default_branch)
    )

    assert publisher.statuses() == [(CONTEXT, "success", "passed with 1 warning")]
    assert "inconclusive" in publisher.comments()[0]["body"]


def test_a_reported_interval_in_the_other_direction_is_turned_around(default_branch, publisher):
    # the PR called roc_auc lower-is-better: its Δ is +0.02 and its interval [0.005, 0.035]
    publisher.publish(
        publisher.artifact(interval_report(0.005, 0.035, 0.95, higher=False)),
        config_of(default_branch),
    )

    assert publisher.statuses() == [(CONTEXT, "success", "passed with 1 warning")]


def test_an_interval_at_another_confidence_level_is_not_used(default_branch, publisher):
    publisher.publish(
        publisher.artifact(interval_report(-0.2, 0.2, 0.999)), config_of(default_branch)
    )

    assert publisher.statuses() == [(CONTEXT, "failure", "gate failed: roc_auc")]
    body = publisher.comments()[0]["body"]
    assert (
        "Change rules were judged on point estimates, without confidence intervals: the "
        "evaluation run computed its intervals at 99.9% confidence, not at the 95% of "
        "\\`stats.confidence\\` on main."
    ) in body


def test_a_failed_data_check_fails_the_verdict_whatever_the_report_says(default_branch, publisher):
    doc = forged_pass(honest_report(metrics=(comparison("roc_auc", 0.90, 0.90),)))
    doc["checks"][0]["status"] = "fail"
    doc["verdict"] = "pass"

    publisher.publish(publisher.artifact(doc), config_of(default_branch))

    [(context, state, description)] = publisher.statuses()
    assert (context, state) == (CONTEXT, "failure")
    assert "1 data check failed" in description and "accuracy" in description  # not computed


# -- slices and budgets -------------------------------------------------------------------------


SLICED = {
    **MAIN_CONFIG,
    "gates": [{"metric": "roc_auc", "slice": ["plan"], "min": 0.7}],
}


def sliced(*slices: SliceResult) -> Report:
    return honest_report(
        metrics=(comparison("roc_auc", 0.9, 0.9),),
        gates=(GateResult("roc_auc [plan=pro]", "min", "pass", "error", "≥ 0.5", "ok"),),
        slices=slices,
    )


def test_slice_gates_are_judged_again_and_an_unmeasured_large_slice_fails(
    default_branch, publisher, git_project
):
    git_project.write("mlci.yml", yaml.safe_dump(SLICED))
    ok = SliceResult(("plan",), ("basic",), 400, (comparison("roc_auc", 0.9, 0.9),), min_size=30)
    bad = SliceResult(("plan",), ("pro",), 200, (comparison("roc_auc", 0.6, 0.9),), min_size=30)
    hidden = SliceResult(("plan",), ("team",), 120, (), too_small=True, min_size=500)
    small = SliceResult(("plan",), ("trial",), 12, (comparison("roc_auc", 0.1, 0.9),), min_size=5)

    publisher.publish(
        publisher.artifact(forged_pass(sliced(ok, bad, hidden, small))), config_of(default_branch)
    )

    [(_, state, description)] = publisher.statuses()
    assert state == "failure"
    assert description == "gate failed: roc_auc [plan=pro], roc_auc [plan=team]"
    body = publisher.comments()[0]["body"]
    assert "plan=team has 120 rows \\(at least 30\\), but the report gives no metrics" in body
    assert "trial" in body and "roc\\_auc \\[plan=trial\\]" not in body  # too small: not gated


def test_budgets_are_judged_again_and_a_missing_one_fails(default_branch, publisher, git_project):
    config = {
        **MAIN_CONFIG,
        "model": {
            **MAIN_CONFIG["model"],
            "model": {"path": "m.skops", "data": "eval", "target": "y"},
        },
        "datasets": {"eval": {"path": "eval.csv"}},
        "budgets": {"latency_p95_ms": {"max": 50}, "model_size_mb": {"max": 10}},
    }
    del config["model"]["predictions"]
    git_project.write("mlci.yml", yaml.safe_dump(config))
    slow = BudgetResult("latency_p95_ms", 80.0, None, None, None, None, "none", "p95")

    report = honest_report(metrics=(comparison("roc_auc", 0.9, 0.9),), budgets=(slow,))
    publisher.publish(publisher.artifact(forged_pass(report)), config_of(default_branch))

    assert publisher.statuses() == [
        (CONTEXT, "failure", "gate failed: accuracy, model_size_mb, latency_p95_ms")
    ]


# -- the artifact itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("duplicate_metric", "The report names the metric 'roc_auc' 2 times"),
        ("two_reports_one_name", "The artifact has two reports named 'churn-model'"),
        ("symlink", "is a symbolic link: the artifact may only hold plain files."),
        ("too_large", "report.json: larger than 500 bytes, the limit for this file."),
        ("not_utf8", "is not UTF-8 text."),
        ("claims_two_prs", "The artifact's reports claim several pull requests (#21, #22)."),
    ],
)
def test_a_tampered_artifact_is_refused_whole(
    default_branch, publisher, tmp_path, monkeypatch, tamper, message
):
    report, configs = honest_report(), [config_of(default_branch)]
    if tamper == "duplicate_metric":
        artifact = publisher.artifact(replace(report, metrics=report.metrics * 2))
    elif tamper == "two_reports_one_name":
        artifact = publisher.artifact(report, report)
    elif tamper == "claims_two_prs":
        default_branch.write("v2/mlci.yml", yaml.safe_dump({**MAIN_CONFIG, "name": "v2"}))
        configs.append(default_branch.path / "v2" / "mlci.yml")
        artifact = publisher.artifact(report, replace(report, name="v2"))
        (artifact / "config1" / "pull-request.json").write_text(json.dumps({"number": 22}))
    else:
        artifact = publisher.artifact(report)
        target = artifact / "report.json"
        if tamper == "symlink":
            outside = tmp_path / "elsewhere.json"
            target.rename(outside)
            os.symlink(outside, target)
        elif tamper == "not_utf8":
            target.write_bytes(b'{"name": "\xff"}')
        else:
            monkeypatch.setattr("mlci.commands.publish.MAX_REPORT_BYTES", 500)

    code, _, err = publisher.publish(artifact, *configs)

    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert publisher.writes() == []


# -- several configs, and honest writes ---------------------------------------------------------


def test_two_configs_whose_data_carry_each_others_marker(default_branch, publisher, git_project):
    other = {**MAIN_CONFIG, "name": "churn-model-v2"}
    git_project.write("v2/mlci.yml", yaml.safe_dump(other))
    marker_v1, marker_v2 = MARK, "<!-- mlci:report name=churn-model-v2 -->"

    def hostile(name: str, carried: str, roc_auc: float) -> dict[str, Any]:
        check = CheckResult(
            "eval", "allowed", carried, "warn", "warn", carried, examples=(carried,)
        )
        metrics = (comparison("roc_auc", roc_auc, 0.90), comparison("accuracy", 0.85, 0.86))
        report = honest_report(name=name, checks=(check,), notes=(carried,), metrics=metrics)
        return report_to_dict(report)

    artifact = publisher.artifact(
        hostile(NAME, marker_v2, 0.80), hostile("churn-model-v2", marker_v1, 0.90)
    )
    configs = (config_of(default_branch), git_project.path / "v2" / "mlci.yml")
    for _ in range(2):
        code, _, _ = publisher.publish(artifact, *configs)
        assert code == 0

    comments = publisher.comments()
    assert sorted(c["body"].splitlines()[0] for c in comments) == [marker_v1, marker_v2]
    assert all(c["edits"] == 0 and c["body"].count("<!--") == 2 for c in comments)
    assert not [w for w in publisher.writes() if w[0] in ("PATCH", "DELETE")]
    assert sorted(publisher.statuses()) == [
        ("mlci/churn-model", "failure", "gate failed: roc_auc"),
        ("mlci/churn-model-v2", "success", "passed with 1 warning"),
    ]
    # the step's verdict covers both configs (the last one published passed)
    assert step_outputs(publisher.tmp / f"output{publisher.runs}")["verdict"] == "fail"


def step_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT's ``name<<DELIM ... DELIM`` blocks, the last value of a name winning."""
    lines, values, i = path.read_text().splitlines(), {}, 0
    while i < len(lines):
        name, delim = lines[i].split("<<", 1)
        end = lines.index(delim, i + 1)
        values[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return values


def test_a_config_without_a_report_in_the_artifact_gets_an_error_status(
    default_branch, publisher, git_project
):
    git_project.write("v2/mlci.yml", yaml.safe_dump({**MAIN_CONFIG, "name": "churn-model-v2"}))

    code, out, _ = publisher.publish(
        publisher.artifact(honest_report()),
        config_of(default_branch),
        git_project.path / "v2" / "mlci.yml",
    )

    assert code == 0
    assert sorted(publisher.statuses()) == [
        ("mlci/churn-model", "failure", "gate failed: roc_auc"),
        (
            "mlci/churn-model-v2",
            "error",
            "no report for this config in the evaluation run's artifact",
        ),
    ]
    assert "mlci/churn-model-v2: no report for this config" in out


def test_publishing_the_same_artifact_again_writes_nothing(default_branch, publisher):
    artifact = publisher.artifact(forged_pass(honest_report()))
    publisher.publish(artifact, config_of(default_branch))
    before = publisher.writes()

    code, _, _ = publisher.publish(artifact, config_of(default_branch))  # a re-run, a new run id

    assert code == 0
    assert publisher.writes() == before
    assert [w[0] for w in before] == ["POST", "POST"]  # one comment, one status
