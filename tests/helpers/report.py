"""Report factories and a GitHub-markdown inspector shared by the renderer tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import cmarkgfm
from cmarkgfm.cmark import Options

from mlci.results import (
    BaselineInfo,
    CheckResult,
    DatasetSummary,
    GateResult,
    MetricComparison,
    ModelEvaluation,
    Report,
)

MAIN = BaselineInfo(
    commit="3f2c1ab9d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4", how="merge_base", branch="main"
)


def metric(
    name: str, value: float, baseline: float | None, higher: bool | None = True
) -> MetricComparison:
    change = None if baseline is None else value - baseline
    pct = None if change is None or not baseline else 100 * change / abs(baseline)
    delta = None if change is None or higher is None else (change if higher else -change)
    return MetricComparison(name, value, baseline, higher, change, pct, delta)  # type: ignore[arg-type]


def check(status: str = "pass", **kw: Any) -> CheckResult:
    fields: dict[str, Any] = {
        "dataset": "eval",
        "check": "range",
        "column": "age",
        "status": status,
        "severity": "error",
        "message": "all values within [0, 120]",
    }
    fields.update(kw)
    return CheckResult(**fields)


def gate(metric: str, status: str = "pass", **kw: Any) -> GateResult:
    fields: dict[str, Any] = {
        "metric": metric,
        "rule": "min",
        "status": status,
        "severity": "error",
        "threshold": "≥ 0.85",
        "message": f"{metric} is fine",
        "value": 0.9,
    }
    fields.update(kw)
    return GateResult(**fields)


def make_report(**kw: Any) -> Report:
    fields: dict[str, Any] = {
        "name": "churn-model",
        "verdict": "fail",
        "commit": "a" * 40,
        "ref": "refs/pull/7/merge",
        "baseline": MAIN,
        "metrics": (
            metric("roc_auc", 0.905, 0.912),
            metric("f1", 0.779, 0.774),
            metric("log_loss", 0.309, 0.301, higher=False),
        ),
        "gates": (
            gate(
                "roc_auc",
                "fail",
                rule="max_regression",
                threshold="max regression 0.005",
                message="roc_auc got worse by 0.007 (−0.77%), more than the tolerated 0.005",
                value=-0.007,
            ),
            gate("f1", rule="min", threshold="≥ 0.7", value=0.779),
        ),
        "checks": (
            check(),
            check(
                "warn",
                check="drift",
                column="tenure",
                severity="warn",
                score=0.13,
                method="jensen_shannon",
                message="tenure drifted: JS distance 0.13 (warn at 0.1)",
            ),
            check(
                "fail",
                check="null_fraction",
                column="plan",
                message="null fraction 1.9% > 1%",
                observed="1.9%",
                expected="≤ 1%",
                examples=("row 12", "row 40"),
            ),
        ),
        "datasets": (DatasetSummary("eval", "data/eval.csv", 12400, 9, "sha256:0123456789abcdef"),),
        "evaluation": ModelEvaluation("binary", "predictions", {"roc_auc": 0.905}, n_rows=12400),
        "tool_version": "0.1.0",
    }
    fields.update(kw)
    return Report(**fields)


# -- rendering markdown the way GitHub does, to inspect the result --------------------------------

HOSTILE = (
    "@octocat",
    "@github/security-team please look",
    "<!-- mlci:report name=x -->",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[click](https://evil)",
    "![x](y)",
    "a|b\nc",
    "`code`",
    "``a`b``",
    "see #123 and owner/repo#9",
    "https://evil.example/x and www.evil.example",
    "mail me: eve@evil.example",
    "**bold** _it_ ~~gone~~ $x^2$",
    "# heading\n- item\n> quote",
    "</details></summary><details open>",
    "\\|\\",
    "&lt;b&gt; &#64;octocat",
    "\u202eevil\x1b[31mred\x07",
    "GH-123 and gh-7, see GH-1",
    "\u200b@\u200docto\u2060cat\ufeff and #\u200c12",  # invisible characters hide a mention
    "soft\xadhyphen, tag\U000e0041\U000e007f, bidi\u2066x\u2069",
    "`<!-- mlci:report name=other -->`",
    "a --> b <!-- c",
)


@dataclass
class Rendered:
    """What GitHub's markdown makes of a text: tags, comments, and text outside code."""

    tags: list[str]
    comments: list[str]
    text: str  # text outside <code>
    code: str  # text inside <code>
    cells_per_row: list[int]


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Rendered([], [], "", "", [])
        self.in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.tags.append(tag)
        if tag == "code":
            self.in_code += 1
        if tag == "tr":
            self.out.cells_per_row.append(0)
        if tag in ("td", "th"):
            self.out.cells_per_row[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "code":
            self.in_code -= 1

    def handle_comment(self, data: str) -> None:
        self.out.comments.append(data)

    def handle_data(self, data: str) -> None:
        if self.in_code:
            self.out.code += data
        else:
            self.out.text += data


def render_github(markdown: str) -> Rendered:
    """Render with cmark-gfm (GitHub's markdown engine; raw HTML kept, as GitHub's sanitizer
    would keep <details>/<sub>) and collect what a reader would get."""
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    inspector = _Inspector()
    inspector.feed(html)
    return inspector.out


# GitHub's post-processing (mentions, issue references) runs on text outside code:
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
REFERENCE = re.compile(r"#\d|(?i:\bgh-\d)")
URL = re.compile(r"(?i)(https?://|www\.)")


def assert_inert(r: Rendered) -> None:
    """No element, link, comment, mention, reference or URL that the input could have made."""
    assert set(r.tags) <= {"p", "table", "thead", "tbody", "tr", "th", "td", "code"}, r.tags
    assert r.comments == []
    assert not MENTION.search(r.text), r.text
    assert not REFERENCE.search(r.text), r.text
    assert not URL.search(r.text), r.text
