"""report.html: well-formed, complete, self-contained, and inert whatever the strings say."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

import pytest

from mlci.report.escape import strip_controls
from mlci.report.html import CSP, png_size, render_html
from mlci.report.plots import Distribution, drift_key, drift_svg, history_png, render_png
from mlci.results import (
    BaselineInfo,
    BudgetResult,
    MetricComparison,
    ParamChange,
    Report,
    SliceResult,
)
from tests.helpers.plots import SVG, decode_any, parse_svg
from tests.helpers.report import HOSTILE, MAIN, check, gate, make_report, metric

VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "source", "wbr"}


@dataclass
class Page:
    """What a browser would build from the page: elements, attributes, text."""

    tags: list[str] = field(default_factory=list)
    attrs: list[tuple[str, str, str | None]] = field(default_factory=list)  # (tag, name, value)
    text: str = ""
    ids: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    """Collects the page and fails on any end tag that does not close the open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append(tag)
        self.page.attrs += [(tag, k, v) for k, v in attrs]
        self.page.ids += [v for k, v in attrs if k == "id" and v]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.page.text += data

    def handle_comment(self, data: str) -> None:
        self.page.comments.append(data)


def parse(page: str) -> Page:
    assert page.startswith("<!DOCTYPE html>\n")
    parser = _Parser()
    parser.feed(page)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser.page


def tiny_png(color: str = "red") -> bytes:
    return render_png(1.0, 0.5, lambda fig: fig.patch.set_facecolor(color))


def figures() -> dict[str, bytes]:
    d = Distribution("eval", "tenure", "numeric", (10, 20, 10), (5, 20, 15), edges=(0, 1, 2, 4))
    return {
        "roc_pr": tiny_png("red"),
        "confusion_matrix": tiny_png("blue"),
        drift_key("eval", "tenure"): drift_svg(d),
        "history": history_png({"roc_auc": [("3f2c1ab", 0.9), ("9a0b1c2", 0.91)]}),
    }


@pytest.fixture(scope="module")
def figs() -> dict[str, bytes]:
    return figures()


# --- structure ------------------------------------------------------------------------------


def test_the_page_parses_and_has_every_section_in_order(figs: dict[str, bytes]) -> None:
    report = make_report(history={"roc_auc": (0.9, 0.91, 0.905)})
    page = parse(render_html(report, figures=figs))
    assert page.ids == [
        "baseline",
        "metrics",
        "gates",
        "checks",
        "drift",
        "model",
        "history",
        "datasets",
    ]
    assert page.tags.count("h1") == 1
    assert "❌ mlci · churn-model — 1 gate and 1 data check failed" in page.text


def test_every_gate_and_every_check_is_in_the_page() -> None:
    report = make_report()
    page = parse(render_html(report)).text
    for g in report.gates:
        assert g.message in page and g.threshold in page
    for c in report.checks:
        assert c.message in page
    assert "row 12" in page and "row 40" in page  # a check's examples


def test_problems_come_before_passed_checks_and_passed_ones_are_folded() -> None:
    text = render_html(make_report())
    fail_at = text.index("null fraction 1.9% &gt; 1%")
    warn_at = text.index("tenure drifted")
    pass_at = text.index("all values within [0, 120]")
    assert fail_at < warn_at < pass_at
    assert text.rindex("<details>", 0, pass_at) > warn_at  # the passed check is inside <details>


def test_metric_table_shows_baseline_change_and_gate() -> None:
    page = parse(render_html(make_report())).text
    assert "0.912" in page and "0.905" in page and "−0.007" in page and "−0.77%" in page
    assert "max regression 0.005" in page


def test_confidence_intervals_are_shown_on_the_scale_of_the_change() -> None:
    auc = replace(
        metric("roc_auc", 0.905, 0.912),
        ci_low=-0.011,
        ci_high=-0.003,
        method="delong",
        p_value=0.0021,
        ci_level=0.95,
    )
    # log loss rose by 0.008 (worse): the interval bounds the direction-adjusted delta
    # [-0.012, -0.004], and is shown as a change of the loss [+0.004, +0.012]
    loss = replace(
        metric("log_loss", 0.309, 0.301, higher=False),
        ci_low=-0.012,
        ci_high=-0.004,
        method="bootstrap",
        ci_level=0.95,
    )
    no_ci = metric("f1", 0.779, 0.774)
    page = parse(render_html(make_report(metrics=(auc, loss, no_ci)))).text
    assert "95% CI of Δ" in page
    assert "[−0.011, −0.003]" in page and "DeLong p=0.0021" in page  # as the comment says it
    assert "[+0.004, +0.012]" in page and "bootstrap" in page
    assert "CI of Δ" not in parse(render_html(make_report())).text  # no column without CIs


def test_inconclusive_gates_are_warnings() -> None:
    report = make_report(
        verdict="pass",
        gates=(gate("roc_auc", "inconclusive", rule="max_regression", message="maybe worse"),),
        checks=(check(),),
    )
    text = render_html(report)
    assert '<header class="verdict verdict-warn">' in text
    assert '<span class="st st-inconclusive">⚠️ inconclusive</span>' in text


def test_slices_and_budgets_sections() -> None:
    slices = (
        SliceResult(("plan",), ("pro",), 120, (metric("recall", 0.71, 0.75),), sorted_by="recall"),
        SliceResult(("plan",), ("basic",), 300, (metric("recall", 0.8, 0.79),), sorted_by="recall"),
        SliceResult(("plan",), (None,), 4, too_small=True, min_size=30),
    )
    budgets = (
        BudgetResult("latency_p95_ms", 12.5, 10.0, 2.5, 25.0, -2.5, "same_job", "1,000 calls"),
    )
    page = parse(render_html(make_report(slices=slices, budgets=budgets))).text
    assert "By plan (worst first by recall)" in page
    assert page.index("plan=pro") < page.index("plan=basic") < page.index("plan=(missing)")
    assert "0.71 (−0.04 ⬇)" in page and "too small (< 30 rows)" in page
    assert "latency_p95_ms" in page and "12.5" in page and "+25.0%" in page and "same job" in page


def test_without_a_baseline_the_page_says_why() -> None:
    none = BaselineInfo(
        None, "none", "main", reason="no record for main@3f2c1ab or its 50 ancestors"
    )
    report = make_report(baseline=none, metrics=(metric("roc_auc", 0.9, None),))
    page = parse(render_html(report)).text
    assert "No baseline: no record for main@3f2c1ab or its 50 ancestors." in page
    assert "Why none" in page


def test_history_table_uses_the_commits_when_given() -> None:
    report = make_report(history={"roc_auc": (0.81, 0.82, 0.84)})
    page = parse(render_html(report)).text
    assert "▁▃█" in page and "0.81" in page and "0.84" in page
    with_shas = {"roc_auc": [("3f2c1ab", 0.81), ("9a0b1c2", 0.84)]}
    page = parse(render_html(report, history=with_shas)).text
    assert "▁█" in page and "3f2c1ab" in page and "9a0b1c2" in page


def test_notes_include_the_extra_ones() -> None:
    page = parse(render_html(make_report(notes=("a note",)), notes=["The ROC failed."])).text
    assert "a note" in page and "The ROC failed." in page


# --- figures --------------------------------------------------------------------------------


def embedded_images(page: str) -> list[tuple[bytes, int, int]]:
    parsed = parse(page)
    out = []
    attrs = [(t, k, v) for t, k, v in parsed.attrs if t == "img"]
    srcs = [v for _, k, v in attrs if k == "src"]
    widths = [int(v or 0) for _, k, v in attrs if k == "width"]
    heights = [int(v or 0) for _, k, v in attrs if k == "height"]
    for src, w, h in zip(srcs, widths, heights, strict=True):
        assert src is not None
        kind = "svg+xml" if src.startswith("data:image/svg+xml;") else "png"
        assert src.startswith(f"data:image/{kind};base64,")
        out.append((base64.b64decode(src.split(",", 1)[1], validate=True), w, h))
    return out


def test_figures_are_embedded_images_that_decode_at_their_declared_size(
    figs: dict[str, bytes],
) -> None:
    page = render_html(make_report(), figures=figs)
    images = embedded_images(page)
    assert len(images) == len(figs)
    for data, width, height in images:
        assert decode_any(data) == (width, height)
    assert page.count("data:image/svg+xml;base64,") == 1  # the drift figure
    assert sorted(d for d, _, _ in images) == sorted(figs.values())


def test_drift_figures_go_to_the_drift_section_and_model_figures_to_the_model_one(
    figs: dict[str, bytes],
) -> None:
    text = render_html(make_report(), figures=figs)
    drift = text[text.index('<section id="drift">') : text.index('<section id="model">')]
    model = text[text.index('<section id="model">') : text.index('<section id="history">')]
    assert drift.count("<img") == 1 and "eval · tenure" in drift
    assert model.count("<img") == 2
    assert model.index("Confusion matrix") < model.index("ROC and precision-recall curves")


def test_bytes_that_are_not_png_are_left_out() -> None:
    bogus = {
        "roc_pr": b"<script>alert(1)</script>",
        "history": b"\x89PNG\r\n\x1a\n",
        "slices": b'<svg onload="alert(1)" width="9" height="9">',  # not an SVG mlci drew
    }
    page = render_html(make_report(), figures=bogus)
    assert "<img" not in page and "alert" not in page


def test_png_size_reads_the_header() -> None:
    assert png_size(tiny_png()) == (100, 50)
    assert png_size(b"GIF89a" + b"\0" * 30) is None


# --- self-contained and inert ---------------------------------------------------------------


def assert_self_contained(page: Page) -> None:
    assert not {"script", "link", "iframe", "object", "embed", "base", "form"} & set(page.tags)
    for tag, name, value in page.attrs:
        assert not name.startswith("on"), (tag, name)  # no event handlers
        if name in ("src", "href", "action", "srcset", "poster"):
            assert value is not None and value.startswith(("data:image/", "#")), value
        if (value or "").startswith("data:"):
            found = re.fullmatch(
                r"data:image/(png|svg\+xml);base64,([A-Za-z0-9+/]+=*)", value or ""
            )
            assert found, (value or "")[:80]
            if found.group(1) == "svg+xml":
                assert_inert_svg(base64.b64decode(found.group(2)))
        elif name not in ("alt", "title"):  # text for people, not addresses
            assert not re.search(r"(?i)(https?:)?//", value or ""), (tag, name, value)
    csp = [v for t, k, v in page.attrs if t == "meta" and k == "content" and "default-src" in v]
    assert csp == [CSP] == ["default-src 'none'; img-src data:; style-src 'unsafe-inline'"]


def assert_inert_svg(data: bytes) -> None:
    """An embedded SVG figure: shapes and text only, no script, link, event or address."""
    root = parse_svg(data)
    allowed = {"svg", "rect", "line", "polyline", "text"}
    for element in root.iter():
        assert element.tag.removeprefix(SVG) in allowed, element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on") and "href" not in name.lower(), name
            assert "//" not in value or name == "xmlns", (name, value)


def test_the_page_loads_nothing_from_anywhere(figs: dict[str, bytes]) -> None:
    assert_self_contained(parse(render_html(make_report(), figures=figs)))


def hostile_report(s: str) -> Report:
    hostile_metric = MetricComparison(s, 0.5, 0.6, True, -0.1, -16.7, -0.1)
    return make_report(
        name=s,
        ref=s,
        baseline=BaselineInfo(MAIN.commit, "ancestor", s, reason=s, distance=2),
        metrics=(hostile_metric, metric("f1", 0.7, 0.7)),
        gates=(gate(s, "fail", threshold=s, message=s), gate("f1")),
        checks=(
            check(
                "fail",
                dataset=s,
                check=s,
                column=s,
                message=s,
                observed=s,
                expected=s,
                examples=(s, s),
            ),
            check("warn", check="drift", column=s, dataset=s, message=s, method=s, score=0.3),
            check(s, message=s),  # an unknown status
        ),
        notes=(s,),
        history={s: (0.1, 0.2)},
        tool_version=s,
        gate_changes=(s,),
        judged_with=s,
        params_changed=(ParamChange(s, s, s, [s]),),
    )


@pytest.mark.parametrize("s", HOSTILE)
def test_hostile_strings_are_text_not_markup(s: str, figs: dict[str, bytes]) -> None:
    hostile_figs = {**figs, drift_key(s, s): figs["roc_pr"]}
    text = render_html(hostile_report(s), figures=hostile_figs)
    page = parse(text)
    assert_self_contained(page)
    allowed = {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "main",
        "header",
        "h1",
        "h2",
        "h3",
        "p",
        "code",
        "section",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "span",
        "br",
        "details",
        "summary",
        "div",
        "figure",
        "img",
        "figcaption",
        "ul",
        "li",
        "footer",
        "strong",
    }
    assert set(page.tags) <= allowed, set(page.tags) - allowed
    assert page.comments == []
    shown = strip_controls(s).strip()
    assert shown in page.text  # the reader sees the string itself, unescaped by the browser
    if s == strip_controls(s):  # no newline or control character to drop: escaped as a whole
        assert html.escape(s, quote=True) in text


def test_the_heads_up_lines_are_under_the_title() -> None:
    report = make_report(judged_with="main", gate_changes=("stats.mode lenient → point",))
    text = render_html(report)
    header = text[text.index("<header") : text.index("</header>")]
    assert "<strong>Fork-safe publishing:</strong> the numbers below were computed by " in header
    assert (
        "<strong>Heads-up:</strong> this PR changes its gates: stats.mode lenient → point "
        "(not applied: the status uses the gates of <code>main</code>).</p>"
    ) in header


def test_control_and_bidi_characters_are_removed() -> None:
    text = render_html(make_report(name="a\u202eb\x1b[31mc\x00d"))
    assert "\u202e" not in text and "\x1b" not in text and "\x00" not in text
    assert "ab[31mcd" in text


def test_the_changed_params_have_a_section() -> None:
    changes = (
        ParamChange("params.yaml", "train.lr", 0.01, 0.02),
        ParamChange("configs/a.toml", "layers", None, [64, 32]),
    )
    text = render_html(make_report(params_changed=changes))
    section = text[text.index('<section id="params">') :].split("</section>")[0]
    assert "<h2>Params changed (as dvc params diff)</h2>" in section
    assert (
        "<tr><td><code>params.yaml</code></td><td><code>train.lr</code></td>"
        "<td><code>0.01</code></td><td><code>0.02</code></td></tr>"
    ) in section
    assert "<td>—</td><td><code>[64, 32]</code></td>" in section
    assert 'id="params"' not in render_html(make_report())
