"""Slices, budgets and changed DVC params in the PR comment and in report.json."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from mlci.report.breakdown import params_block
from mlci.report.jsonreport import dumps_report, load_report, report_to_dict
from mlci.report.markdown import render_comment
from mlci.results import BaselineInfo, ParamChange, SliceResult
from tests.helpers.breakdown import budget, slice_result, sliced_report
from tests.helpers.report import (
    HOSTILE,
    MENTION,
    REFERENCE,
    URL,
    gate,
    make_report,
    metric,
    render_github,
)


def test_slices_are_summarised_then_detailed_worst_first() -> None:
    body = render_comment(sliced_report())
    assert (
        "**Worst slices:** plan = `pro`: recall 0.61 (−0.22 ⬇), worst of 3; "
        "largest drop" not in body
    )
    assert "**Worst slices:** plan = `pro`: recall 0.61 (−0.22 ⬇), worst of 3\n" in body
    details = body.split("<details><summary>Slices (worst first)</summary>")[1].split("</details>")[
        0
    ]
    assert details.index("| `pro` |") < details.index("| `basic` |") < details.index("(missing)")
    assert (
        "| `pro` | 120 | 0.61 (−0.22 ⬇, [−0.3, −0.14]) | 0.7 (−0.13 ⬇) | ❌ max regression 0.02 |"
        in details
    )
    assert "cells: value (Δ vs the baseline, its 95% CI on the slice's rows)" in details
    assert "| `basic` | 300 | 0.8 (+0.01 ⬆) | 0.7 (−0.09 ⬇) | ✅ |" in details
    assert "| (missing) | 12 | too small | — |  |" in details
    assert "recall \\[across plan\\]: 0.19 ❌ max gap 0.1" in details
    assert "slices under 30 rows are too small, never gated" in details
    assert body.index("Slices (worst first)") < body.index("Data checks and drift")


def test_the_largest_drop_is_named_when_it_is_not_the_worst_slice() -> None:
    slices = (slice_result("low", 100, 0.5, 0.49), slice_result("high", 100, 0.8, 0.95))
    body = render_comment(sliced_report(slices=slices))
    assert (
        "**Worst slices:** plan = `low`: recall 0.5 (+0.01 ⬆), worst of 2; "
        "largest drop `high`: recall 0.8 (−0.15 ⬇)"
    ) in body


def test_slice_and_budget_gates_stay_out_of_the_metric_table() -> None:
    body = render_comment(sliced_report())
    metric_table = body.split("\n\n")[1]
    assert "recall" not in metric_table and "latency" not in metric_table
    assert "not computed" not in body
    gates = body.split("<summary>Gates (4)</summary>")[1]
    assert "| ❌ | recall \\[plan=pro\\] | max regression 0.02 | −0.22 ⬇ |" in gates
    assert "| ❌ | recall \\[across plan\\] | max gap 0.1 | 0.19 |" in gates


def test_the_budget_table() -> None:
    record = budget("model_size_mb", 1.5, 1.2)
    record = type(record)(**{**record.__dict__, "baseline_source": "record", "method": "1 bytes"})
    body = render_comment(
        sliced_report(budgets=(budget(), record, budget("peak_memory_mb", 3, None)))
    )
    assert "| Budget | main | this PR | Δ | Gate | Measured |" in body
    assert (
        "| p95 latency, one row (`latency_p95_ms`) | 2 ms | 2.5 ms | +25.0% ⬇ | ❌ ≤ 2 | "
        "p95 of 30 single-row predictions after 3 warm-up rounds |"
    ) in body
    assert "| model size (`model_size_mb`) | 1.2 MB† | 1.5 MB | +25.0% ⬇ |  | 1 bytes |" in body
    assert "| peak memory, one batch (`peak_memory_mb`) | — | 3 MB | — |  |" in body
    assert "main's model measured in this job, alternating with this PR's" in body
    assert "† from main's record" in body


def test_without_slices_or_budgets_nothing_is_added() -> None:
    body = render_comment(make_report())
    assert "Slices" not in body and "Budget" not in body and "Worst slices" not in body


ALLOWED_TAGS = {
    "h3",
    "p",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "code",
    "sub",
    "strong",
    "details",
    "summary",
    "ul",
    "li",
}


@pytest.mark.parametrize("s", HOSTILE)
def test_hostile_slice_values_column_and_metric_names_are_inert(s: str) -> None:
    hostile = SliceResult(
        grouping=(s, "plan"),
        key=(s, "pro"),
        n=50,
        metrics=(metric(s, 0.5, 0.6),),
        min_size=30,
        sorted_by=s,
    )
    report = make_report(
        slices=(hostile, SliceResult((s, "plan"), (None, s), 3, too_small=True, min_size=30)),
        gates=(gate(f"{s} [{hostile.label}]", "fail", scope="slice", threshold=s, message=s),),
        budgets=(budget(s),),
    )
    body = render_comment(report)
    r = render_github(body)
    assert set(r.tags) <= ALLOWED_TAGS, r.tags
    assert len(r.comments) == 1  # only our marker
    for pattern in (MENTION, REFERENCE, URL):
        assert not pattern.search(r.text), (pattern, r.text)
    assert r.tags.count("details") == 4  # slices, checks, gates, datasets: none broken out
    slice_rows = [n for n in r.cells_per_row if n == 4]  # slice, n, the metric, gate
    assert len(slice_rows) == 3  # header and two rows: no cell split by a hostile value


def test_many_slices_are_cut_to_fit_and_say_so() -> None:
    slices = tuple(slice_result(f"plan_{i:04}", 100, 0.5 + i / 10_000, 0.5) for i in range(3000))
    body = render_comment(sliced_report(slices=slices), max_chars=30_000)
    assert len(body) <= 30_000
    assert "more rows in the full report" in body
    assert body.splitlines()[1].startswith("### ❌ mlci · churn-model")


def test_report_json_carries_slices_and_budgets_and_reads_back() -> None:
    report = sliced_report()
    doc = report_to_dict(report)
    schema = json.loads(
        resources.files("mlci").joinpath("jsonschemas/report.schema.json").read_text("utf-8")
    )
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["slices"][0] == {
        "grouping": ["plan"],
        "key": ["pro"],
        "label": "plan=pro",
        "n": 120,
        "too_small": False,
        "min_size": 30,
        "sorted_by": "recall",
        "baseline_n": 120,
        "metrics": [
            {
                "name": "recall",
                "value": 0.61,
                "baseline": 0.83,
                "change": pytest.approx(-0.22),
                "change_pct": pytest.approx(-26.506, rel=1e-4),
                "delta": pytest.approx(-0.22),
                "higher_is_better": True,
                "ci_low": -0.3,
                "ci_high": -0.14,
                "ci_level": 0.95,
                "p_value": None,
                "method": "multinomial",
            },
            {
                "name": "f1",
                "value": 0.7,
                "baseline": 0.83,
                "change": pytest.approx(-0.13),
                "change_pct": pytest.approx(-15.663, rel=1e-4),
                "delta": pytest.approx(-0.13),
                "higher_is_better": True,
            },
        ],
    }
    assert doc["slices"][2]["key"] == [None] and doc["slices"][2]["metrics"] == []
    assert doc["budgets"][0]["name"] == "latency_p95_ms"
    assert doc["budgets"][0]["baseline_source"] == "same_job"
    assert [g["scope"] for g in doc["gates"]] == ["slice", "slice", "slice", "budget"]
    again = load_report(dumps_report(report), source="report.json")
    assert again.slices == report.slices
    assert again.budgets == report.budgets
    assert render_comment(again) == render_comment(report)


def test_older_reports_without_slices_still_read() -> None:
    doc = report_to_dict(make_report(baseline=BaselineInfo(None, "none", "main")))
    for key in ("slices", "budgets"):
        del doc[key]
    for g in doc["gates"]:
        del g["scope"]
    again = load_report(json.dumps(doc), source="old.json")
    assert again.slices == () and again.budgets == ()
    assert {g.scope for g in again.gates} == {"metric"}


PARAMS = (
    ParamChange("params.yaml", "train.lr", 0.01, 0.02),
    ParamChange("params.yaml", "train.layers", [64, 32], [64, 64]),
    ParamChange("params.yaml", "added", None, {"nested": True}),
    ParamChange("params.yaml", "dropped", "adam", None),
)


def test_the_params_table_names_the_file_once_when_there_is_one() -> None:
    body = render_comment(make_report(params_changed=PARAMS))
    block = body.split("**Params changed** in `params.yaml` (as `dvc params diff`)\n\n")[1]
    assert block.split("\n\n")[0].splitlines() == [
        "| Param | main | this PR |",
        "|---|---|---|",
        "| `train.lr` | `0.01` | `0.02` |",
        "| `train.layers` | `[64, 32]` | `[64, 64]` |",
        '| `added` | — | `{"nested": true}` |',
        "| `dropped` | `adam` | — |",
    ]


def test_params_of_several_files_are_named_with_their_file_and_cut_past_the_cap() -> None:
    many = tuple(ParamChange(f"p{i % 2}.yaml", f"k{i}", i, i + 1) for i in range(35))
    block = params_block(make_report(params_changed=many))
    assert block.startswith("**Params changed** (as `dvc params diff`)\n\n")
    assert "| `p0.yaml:k0` | `0` | `1` |" in block and "| `p1.yaml:k29` | `29` | `30` |" in block
    assert "k30" not in block and block.endswith("… 5 more in report.json.")
    assert params_block(make_report()) == ""
    assert "Params changed" not in render_comment(make_report())


@pytest.mark.parametrize("s", HOSTILE)
def test_hostile_params_are_inert(s: str) -> None:
    params = (ParamChange(s, s, s, [s]), ParamChange("p.yaml", s, {s: s}, s))
    r = render_github(render_comment(make_report(params_changed=params)))
    assert set(r.tags) <= ALLOWED_TAGS, r.tags
    assert len(r.comments) == 1  # only our marker
    for pattern in (MENTION, REFERENCE, URL):
        assert not pattern.search(r.text), (pattern, r.text)
    assert r.cells_per_row.count(3) == 3  # header and two rows: no cell split by a value


def test_report_json_carries_the_changed_params_and_reads_them_back() -> None:
    report = make_report(params_changed=PARAMS)
    document = report_to_dict(report)
    jsonschema.validate(
        document,
        json.loads(
            resources.files("mlci.jsonschemas").joinpath("report.schema.json").read_text("utf-8")
        ),
    )
    assert document["params_changed"][1] == {
        "file": "params.yaml",
        "param": "train.layers",
        "baseline": [64, 32],
        "current": [64, 64],
    }
    assert load_report(dumps_report(report), source="r").params_changed == PARAMS
