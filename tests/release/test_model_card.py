"""The model card and the release notes: what they say, and that data cannot inject markdown."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from mlci.config import Config, GateConfig, Margin, ReleaseConfig
from mlci.records.format import Record
from mlci.release.bundle import BundleEntry
from mlci.release.check import PreviousRelease, check_release
from mlci.release.model_card import CardInputs, render_model_card
from mlci.release.notes import refusal_summary, release_notes
from mlci.release.version import parse_tag

HOSTILE = "@everyone <img src=x> [x](https://evil) | #12"


def record(commit: str, roc: float, **changes: object) -> Record:
    profile = {
        "rows": 3,
        "columns": {
            "age": {
                "kind": "numeric",
                "logical_type": "integer",
                "count": 2,
                "nulls": 1,
                "min": 18.0,
                "max": 64.0,
                "mean": 41.0,
            },
            HOSTILE: {
                "kind": "categorical",
                "logical_type": "string",
                "count": 3,
                "nulls": 0,
                "top": [["pro", 2], ["@admin", 1]],
                "distinct": 2,
            },
        },
    }
    base = Record(
        name="churn",
        commit=commit,
        ref="refs/heads/main",
        created_at="2025-03-01T10:00:00Z",
        config_hash="sha256:abc",
        tool_version="0.1.0",
        environment={"python": "3.11.7", "platform": "Linux", "packages": {"numpy": "2.0"}},
        datasets={
            "eval": {
                "path": "data/eval.csv",
                "fingerprint": "sha256:f00",
                "rows": 3,
                "columns": 2,
                "profile": profile,
            }
        },
        model={
            "task": "binary",
            "source": "predictions",
            "n_rows": 3,
            "metrics": {"roc_auc": roc, HOSTILE: 0.5},
        },
        checks=(
            {
                "dataset": "eval",
                "check": "range",
                "column": "age",
                "status": "warn",
                "severity": "warn",
                "message": "age above 60 in @ops rows",
            },
        ),
        verdict="pass",
        extra={
            "slices": [{"grouping": ["plan"], "key": ["pro"], "n": 2, "metrics": {"roc_auc": 0.8}}],
            "budgets": {"model_size_mb": 1.5},
        },
    )
    return replace(base, **changes)


def config() -> Config:
    gate = GateConfig(metric="roc_auc", min=0.5, max_regression=Margin(absolute=0.05))
    release = ReleaseConfig(
        intended_use="Scores churn.\n\nNot for @legal decisions.", owner="ml team", limitations=""
    )
    return Config(
        name="churn", path=Path("/r/mlci.yml"), root=Path("/r"), gates=(gate,), release=release
    )


def inputs(prerelease_tag: str = "v1.4.0") -> CardInputs:
    previous = PreviousRelease("v1.3.0", "c" * 40, record("c" * 40, 0.90))
    check = check_release(config(), record("d" * 40, 0.91), previous, tag=prerelease_tag)
    files = (BundleEntry("model.skops", 1234, "e" * 64),)
    return CardInputs(
        "churn",
        parse_tag(prerelease_tag),
        record("d" * 40, 0.91),
        check,
        config().release,
        files,
        "0.1.0",
    )


def test_the_card_has_every_section_with_the_values() -> None:
    card = render_model_card(inputs())
    sections = [line for line in card.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Intended use",
        "## Model files",
        "## Metrics",
        "## Slices",
        "## Budgets",
        "## Release gates",
        "## Data",
        "## Environment",
        "## Verifying the files",
    ]
    assert card.startswith("# Model card: churn 1.4.0\n")
    assert f"| **Commit** | `{'d' * 40}` |" in card
    assert "| **Previous release** | `v1.3.0` at `cccccccccccc` |" in card
    assert "| **Owner** | ml team |" in card
    assert "| roc\\_auc | 0.9 | 0.91 | +0.01 | +1.1% | — | ✅ |" in card
    assert "| `model.skops` | 1,234 bytes | `" + "e" * 64 + "` |" in card
    assert "| age | integer | 1 (33.3%) | 18 … 64, mean 41 |" in card
    assert "| model\\_size\\_mb | 1.5 |" in card
    assert "Data checks at the tagged commit: 0 of 1 passed." in card
    assert "Scores churn.\n\nNot for @\u200blegal decisions." in card
    assert "| **Release gates** | ✅ passed in strict mode: 2 passed |" in card


def test_nothing_from_the_data_can_mention_link_or_inject_html() -> None:
    card = render_model_card(inputs())
    notes = release_notes("churn", parse_tag("v1.4.0"), inputs().check, ["model.skops"])
    for text in (card, notes):
        assert "<img" not in text and "](https://evil)" not in text
        assert "@everyone" not in text and "@admin" not in text and "@ops" not in text
        assert re.search(r"(?<!&)#12", text) is None and "#\u200b12" in text


def test_the_card_is_the_same_for_the_same_inputs_and_says_when_things_are_unset() -> None:
    assert render_model_card(inputs()) == render_model_card(inputs())
    bare = replace(inputs(), release=ReleaseConfig(), model_files=())
    card = render_model_card(bare)
    assert "## Intended use\n\n_not stated (set `release.intended_use` in mlci.yml)_" in card
    assert "No model file is configured" in card


def test_the_notes_lead_with_the_verdict_and_the_change_since_the_previous_release() -> None:
    notes = release_notes(
        "churn",
        parse_tag("v1.4.0"),
        inputs().check,
        ["model.skops", "SHA256SUMS"],
        tool_version="0.1.0",
        run_url="https://github.com/o/r/actions/runs/9",
    )
    lines = notes.splitlines()
    assert lines[0] == "### ✅ churn 1.4.0: gates passed in strict mode: 2 passed"
    assert lines[2] == "Replaces `v1.3.0`; the gates compared this release with it (table below)."
    assert lines[4] == (
        "Compared with the previous release `v1.3.0` (`ccccccc`) · commit `dddddddddddd`"
    )
    assert "| roc\\_auc | 0.9 | 0.91 | +0.01 | +1.1% | — | ✅ |" in lines
    assert notes.endswith(
        "<sub>Released by mlci 0.1.0 · [workflow run]"
        "(https://github.com/o/r/actions/runs/9)</sub>\n"
    )


def test_the_notes_say_which_release_is_replaced_when_it_is_not_the_previous_one() -> None:
    check = inputs().check
    after_rollback = release_notes(
        "churn", parse_tag("v1.4.0"), check, [], replaces="v1.2.0", environment="prod"
    )
    assert (
        "Replaces `v1.2.0`, live in `prod`; the gates compared this release with `v1.3.0`, the "
        "latest release among its ancestors (table below)."
    ) in after_rollback
    live = release_notes(
        "churn", parse_tag("v1.4.0"), check, [], replaces="v1.3.0", environment="prod"
    )
    assert "Replaces `v1.3.0`, live in `prod`; the gates compared this release with it" in live
    first = release_notes("churn", parse_tag("v1.0.0"), replace(check, previous=None), [])
    assert "Replaces no earlier release." in first


def test_a_refusal_summary_says_why() -> None:
    check = check_release(config(), record("d" * 40, 0.80), inputs().check.previous, tag="v1.4.0")
    summary = refusal_summary("churn", parse_tag("v1.4.0"), check)
    assert summary.startswith(
        "### ❌ mlci · churn 1.4.0 not released\n\nRefusing to release "
        "v1.4.0 \\(commit ddddddd\\): 1 gate failed"
    )
