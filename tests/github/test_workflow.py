"""Workflow commands and files, checked against parsers written the way the runner reads them."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from mlci.github.workflow import (
    SUMMARY_LIMIT,
    TRUNCATION_NOTE,
    annotations_for,
    endgroup,
    format_annotation,
    format_output,
    group,
    write_outputs,
    write_summary,
)
from mlci.results import CheckResult, GateResult


def parse_output_file(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `name=value` or `name<<DELIM` ... `DELIM`."""
    values: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = list(itertools.takewhile(lambda x, d=delimiter: x != d, lines))
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner parses it (ActionCommand.Parse), unescaped."""
    assert line.startswith("::")
    head, message = line[2:].split("::", 1)
    command, _, raw_props = head.partition(" ")
    props = dict(p.split("=", 1) for p in raw_props.split(",")) if raw_props else {}
    unprop = {k: _unescape(v, prop=True) for k, v in props.items()}
    return command, unprop, _unescape(message, prop=False)


def _unescape(text: str, *, prop: bool) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
    for escaped, raw in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, raw)
    return text


# -- outputs --------------------------------------------------------------------------------


def test_output_heredoc_round_trips(tmp_path: Path):
    path = tmp_path / "output"
    path.write_text("earlier=1\n")
    values = {
        "verdict": "fail",
        "comment-url": "",
        "summary": "line 1\nline 2\n\nverdict=pass\nx<<EOF\n",
        "tricky": "ghadelimiter_0\n%0A::set-output name=x::y",
    }
    write_outputs(path, values)
    assert parse_output_file(path.read_text()) == {"earlier": "1", **values}


def test_delimiter_is_never_inside_the_value():
    candidates = iter(["ghadelimiter_A", "ghadelimiter_B"])
    text = format_output("x", "a\nghadelimiter_A\nb", delimiter_factory=lambda: next(candidates))
    assert text == "x<<ghadelimiter_B\na\nghadelimiter_A\nb\nghadelimiter_B\n"


def test_default_delimiters_are_random():
    first, second = format_output("x", "v"), format_output("x", "v")
    assert first.startswith("x<<ghadelimiter_") and first != second


@pytest.mark.parametrize("name", ["", "a\nb", "a<<b"])
def test_bad_output_names_are_refused(name):
    with pytest.raises(ValueError):
        format_output(name, "v")


# -- summary --------------------------------------------------------------------------------


def test_summary_is_appended(tmp_path: Path):
    path = tmp_path / "summary.md"
    assert write_summary(path, "# one") is False
    assert write_summary(path, "two\n") is False
    assert path.read_text() == "# one\ntwo\n"


def test_summary_never_exceeds_one_mib(tmp_path: Path):
    path = tmp_path / "summary.md"
    path.write_text("x" * 1000)
    huge = "é" * 300_000 + "😀" * 200_000  # 1.4 MB of multi-byte characters

    assert write_summary(path, huge) is True

    data = path.read_bytes()
    assert len(data) <= SUMMARY_LIMIT == 1_048_576
    assert len(data) > SUMMARY_LIMIT - 8  # cut at most a few bytes short (a character boundary)
    text = data.decode("utf-8")  # still valid UTF-8
    assert text.startswith("x" * 1000 + "é")
    assert text.endswith(TRUNCATION_NOTE)


def test_summary_already_full_gets_nothing_more(tmp_path: Path):
    path = tmp_path / "summary.md"
    path.write_bytes(b"x" * SUMMARY_LIMIT)
    assert write_summary(path, "more") is True
    assert path.stat().st_size == SUMMARY_LIMIT


# -- annotations ----------------------------------------------------------------------------


def test_annotation_escaping_hand_worked():
    line = format_annotation(
        "error", "100% worse\r\nnext: a,b", title="gate: auc, min", file="src/a,b.py", line=3
    )
    assert line == (
        "::error file=src/a%2Cb.py,line=3,title=gate%3A auc%2C min::100%25 worse%0D%0Anext: a,b"
    )
    assert format_annotation("notice", "plain") == "::notice::plain"


@pytest.mark.parametrize(
    "message", ["%0A is not a newline", "a\nb\r\nc", "::error::injected", "%25%3A%2C,:"]
)
def test_annotation_round_trips_through_the_runner_parser(message):
    line = format_annotation("warning", message, title=message)
    assert "\n" not in line and "\r" not in line
    assert parse_command(line) == ("warning", {"title": message}, message)


def test_group_commands():
    assert group("mlci: data\nchecks") == "::group::mlci: data%0Achecks"
    assert endgroup() == "::endgroup::"


def gate(status: str, metric: str = "roc_auc") -> GateResult:
    return GateResult(metric, "min", status, "error", "≥ 0.85", f"{metric} {status}")  # type: ignore[arg-type]


def check(status: str, column: str | None = "age") -> CheckResult:
    return CheckResult("eval", "range", column, status, "warn", f"age {status}")  # type: ignore[arg-type]


def test_annotations_for_levels_and_titles():
    lines = annotations_for(
        [check("warn"), check("pass"), check("insufficient_data", None)],
        [gate("fail"), gate("pass"), gate("skipped"), gate("inconclusive", "f1")],
    )
    parsed = [parse_command(line) for line in lines]
    assert parsed == [
        ("error", {"title": "mlci gate: roc_auc min"}, "roc_auc fail"),
        ("warning", {"title": "mlci gate: f1 min"}, "f1 inconclusive"),
        ("warning", {"title": "mlci data: range on eval.age"}, "age warn"),
        ("notice", {"title": "mlci data: range on eval"}, "age insufficient_data"),
    ]


def test_annotations_are_capped_per_level_with_a_notice_for_the_rest():
    gates = [gate("fail", f"m{i}") for i in range(25)]
    checks = [check("warn") for _ in range(12)]

    lines = annotations_for(checks, gates)

    levels = [parse_command(line)[0] for line in lines]
    assert levels == ["error"] * 10 + ["warning"] * 10 + ["notice"]
    assert parse_command(lines[-1])[2] == "17 more mlci findings are in the report."
    assert [parse_command(line)[2] for line in lines[:2]] == ["m0 fail", "m1 fail"]


def test_annotations_total_cap():
    lines = annotations_for([check("warn")] * 3, [gate("fail")] * 3, max_total=4)
    assert [parse_command(line)[0] for line in lines] == ["error"] * 3 + ["warning", "notice"]
    assert parse_command(lines[-1])[2] == "2 more mlci findings are in the report."


def test_no_findings_no_annotations():
    assert annotations_for([check("pass")], [gate("pass"), gate("skipped")]) == []
