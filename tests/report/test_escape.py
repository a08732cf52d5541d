from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlci.report.escape import ZWSP, md_code, md_text, strip_controls
from tests.helpers.report import HOSTILE, assert_inert, render_github


def shown(s: str) -> str:
    """What a reader should see: one line, trimmed, without control characters and without
    format characters (Unicode category Cf: bidi controls, zero-width and other invisible ones)."""
    kept = (
        " " if c in "\t\n\r\u2028\u2029" else c
        for c in s
        if c in "\t\n\r" or unicodedata.category(c) not in ("Cc", "Cf")
    )
    return " ".join("".join(kept).split())


def in_table(cell: str) -> str:
    return f"| h | i |\n|---|---|\n| {cell} | x |\n"


@pytest.mark.parametrize("s", HOSTILE)
def test_md_text_is_inert_and_literal(s: str) -> None:
    r = render_github(md_text(s))
    assert_inert(r)
    assert r.text.replace(ZWSP, "").strip() == shown(s)


@pytest.mark.parametrize("s", HOSTILE)
def test_md_text_keeps_a_table_intact(s: str) -> None:
    r = render_github(in_table(md_text(s)))
    assert_inert(r)
    assert r.cells_per_row == [2, 2]


@pytest.mark.parametrize("s", HOSTILE)
def test_md_code_is_literal_code_in_text_and_tables(s: str) -> None:
    for markdown, cells in ((f"see {md_code(s)} here", []), (in_table(md_code(s)), [2, 2])):
        r = render_github(markdown)
        assert_inert(r)
        assert r.cells_per_row == cells
        assert r.code.replace(ZWSP, "") == shown(s) or r.code.strip() == shown(s)


def test_expected_escapes() -> None:
    assert md_text("@octocat") == "@\u200boctocat"
    assert md_text("<!-- mlci:report name=x -->") == "&lt;\\!-- mlci:report name=x --&gt;"
    assert md_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert\\(1\\)&gt;"
    assert md_text("[click](https://evil)") == "\\[click\\]\\(https\u200b://evil\\)"
    assert md_text("a|b\nc") == "a&#124;b c"
    assert md_text("![x](y)") == "\\!\\[x\\]\\(y\\)"
    assert md_text("`code`") == "\\`code\\`"
    assert md_text("#123") == "#\u200b123"
    assert md_text("GH-123, gh-4") == "GH-\u200b123, gh-\u200b4"
    assert md_text("\u200b@\u200doctocat\ufeff") == "@\u200boctocat"
    assert md_text("- item") == "\\- item"
    assert md_text("1. item") == "1\\. item"
    assert md_text("roc_auc") == "roc\\_auc"


def test_md_code_fences() -> None:
    assert md_code("age") == "`age`"
    assert md_code("`code`") == "`` `code` ``"
    assert md_code("a``b") == "```a``b```"
    assert md_code("a|b") == "<code>a&#124;b</code>"
    assert md_code("") == "<code>&nbsp;</code>"
    assert md_code("<!-- mlci:report name=x -->") == (
        "<code>&lt;\\!-- mlci:report name=x --&gt;</code>"
    )
    assert md_code("a --> b") == "<code>a --&gt; b</code>"
    assert md_code("<!-x-> ok") == "`<!-x-> ok`"


@pytest.mark.parametrize("s", HOSTILE)
def test_no_escaped_string_holds_an_html_comment_delimiter(s: str) -> None:
    for escaped in (md_text(s), md_code(s), md_text(f"<!-- {s} -->"), md_code(f"-->{s}<!--")):
        assert "<!--" not in escaped and "-->" not in escaped


@given(st.text(alphabet=st.sampled_from("<!->` a|"), max_size=40))
def test_no_text_of_comment_characters_survives_as_a_delimiter(s: str) -> None:
    for escaped in (md_text(s), md_code(s)):
        assert "<!--" not in escaped and "-->" not in escaped


def test_every_format_character_is_stripped() -> None:
    # Python's own Unicode database (15.1 on 3.13) is the oracle for what is invisible.
    invisible = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert len(invisible) > 150
    text = "a".join(invisible)
    assert strip_controls(text) == "a" * (len(invisible) - 1)
    fillers = "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\ufe0f"
    assert strip_controls(f"x{fillers}y") == "xy"


def test_strip_controls() -> None:
    assert strip_controls("a\tb\r\nc\x00d\x1b[0m\u202ee") == "a b cd[0me"


@given(st.text(max_size=60))
def test_any_text_stays_inert_in_a_table(s: str) -> None:
    r = render_github(in_table(md_text(s)) + "\n" + in_table(md_code(s)))
    assert set(r.tags) <= {"p", "table", "thead", "tbody", "tr", "th", "td", "code"}
    assert r.comments == []
    assert r.cells_per_row == [2, 2, 2, 2]
