"""Make untrusted strings inert in GitHub-flavoured markdown.

Column names, dataset paths, metric names, check messages and example values can all come from
the pull request, and the PR comment is posted with the workflow's token. Every such string goes
through :func:`md_text` (running text and table cells) or :func:`md_code` (inline code) so that
it cannot mention people or teams, reference issues (``#12``, ``GH-12``), inject HTML, create
links or images, break a table, start emphasis, math or a heading, or forge the comment's hidden
marker: no rendered string contains ``<!--`` or ``-->``, code spans included. Control characters,
bidi overrides and invisible characters (zero-width space and joiners, word joiner, BOM, soft
hyphen, tag characters, ...) are removed first, so what a reader sees is what the text says.

The functions are for *inline* use (inside a line or a table cell): newlines become spaces, and
nothing at the start of a line can begin a block (heading, list, quote, code block).
Clip raw text with :func:`mlci.vocab.clip` *before* escaping, so an escape is never cut in half.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"  # zero-width space: breaks GitHub's mention, reference and autolink patterns

# Removed from every untrusted string (tab and newline are turned into spaces first): C0/C1
# controls; the bidi marks, embeddings, overrides and isolates (they can disguise text); and the
# characters that render as nothing, which can hide text or split a word so it no longer matches
# what a reader or a search sees: every Unicode format character (category Cf: zero-width space,
# non-joiner and joiner, word joiner and invisible operators, BOM, soft hyphen, interlinear
# annotations, tag characters, ...) plus the invisible combining grapheme joiner, variation
# selectors, and the Hangul and Khmer fillers.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u034f\u0600-\u0605\u061c\u06dd\u070f"
    "\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_WHITESPACE = re.compile(r"[\t\n\r\u2028\u2029]+")
_SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.\-]*):(?=//)")  # https://x -> https\u200b://x
_WWW = re.compile(r"(?i)(www)\.")
_ORDERED = re.compile(r"^(\d{1,9})\.(?= |$)")  # "1. " starts an ordered list
_GH_REFERENCE = re.compile(r"(?i)\b(gh-)(?=\d)")  # GH-123 is an issue reference, like #123
_HTML_COMMENT = ("<!--", "-->")  # in a code span: shown through <code>, where they become entities

_MD_TEXT = str.maketrans(
    {
        **{c: "\\" + c for c in "\\*_`~[]()!$"},  # emphasis, code, strikethrough, links, math
        "&": "&amp;",
        "<": "&lt;",  # no HTML, no <!-- comments -->, no <autolinks>
        ">": "&gt;",
        "|": "&#124;",  # an entity cannot split a table cell, unlike a pipe (even escaped in code)
        "@": "@" + ZWSP,  # no @user / @org/team mentions, no email autolinks
        "#": "#" + ZWSP,  # no #123 references, no headings
    }
)


def strip_controls(s: str) -> str:
    """Remove control, bidi and invisible characters; tabs and line breaks become one space."""
    return _CONTROLS.sub("", _WHITESPACE.sub(" ", s))


def md_text(s: str) -> str:
    """``s`` as literal, inert text for a line or a table cell of GitHub markdown.

    >>> md_text("@octocat see #12 [x](https://evil) a|b")
    '@\\u200boctocat see #\\u200b12 \\\\[x\\\\]\\\\(https\\u200b://evil\\\\) a&#124;b'
    """
    s = strip_controls(s).strip()  # leading spaces could start a code block
    s = _SCHEME.sub(lambda m: m.group(1) + ZWSP + ":", s)
    s = _WWW.sub(lambda m: m.group(1) + ZWSP + ".", s)
    s = _GH_REFERENCE.sub(lambda m: m.group(1) + ZWSP, s)
    s = s.translate(_MD_TEXT)
    if s[:1] in ("-", "+"):  # a list item at the start of a line
        return "\\" + s
    return _ORDERED.sub(r"\1\\.", s, count=1)


def md_code(s: str) -> str:
    """``s`` as an inline code span, safe in running text and in table cells.

    The fence is one backtick longer than the longest run of backticks inside. Text containing
    a pipe becomes ``<code>`` around :func:`md_text`, because a pipe would split a table cell
    even inside a code span while an escaped one shows its backslash outside tables. So does
    text containing ``<!--`` or ``-->``: a code span shows them literally, but they would stay
    in the comment's source, where a hidden marker is looked for; as entities they are gone.
    """
    s = strip_controls(s)
    if "|" in s or any(mark in s for mark in _HTML_COMMENT) or not s.strip():
        return "<code>" + (md_text(s) if s.strip() else "&nbsp;") + "</code>"
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") or (s[0] == " " and s[-1] == " ") else ""
    return f"{fence}{pad}{s}{pad}{fence}"
