"""Which note is ours, and the body posted (pure)."""

from __future__ import annotations

import pytest

from mlci.gitlab.client import Note
from mlci.gitlab.note import NoteOutcome, is_ours, note_body, outcome_line
from mlci.report.markdown import marker

MARK = "<!-- mlci:report name=churn -->"


def test_the_marker_is_the_first_line_of_the_body_exactly_once():
    assert note_body("churn", "## mlci\nbody\n") == f"{MARK}\n## mlci\nbody\n"
    assert note_body("churn", f"{MARK}\n## mlci\n\n") == f"{MARK}\n## mlci\n"
    assert marker("churn") == MARK  # the GitHub comment's marker: one per config


@pytest.mark.parametrize(
    ("note", "ours"),
    [
        (Note(1, f"{MARK}\nreport", 41, False), True),
        (Note(1, f"{MARK}\r\nreport", 41, False), True),
        (Note(1, f"{MARK}\nreport", 42, False), False),  # another author
        (Note(1, f"quoted:\n{MARK}\nreport", 41, False), False),  # not at the very start
        (Note(1, f" {MARK}\nreport", 41, False), False),
        (Note(1, "<!-- mlci:report name=other -->\nreport", 41, False), False),  # other config
        (Note(1, f"{MARK}\nreport", 41, True), False),  # a system note
    ],
)
def test_a_note_is_ours_only_by_our_author_starting_with_our_marker(note, ours):
    assert is_ours(note, "churn", 41) is ours


def test_the_lines_printed_about_the_note():
    url = "https://gitlab.example.com/g/p/-/merge_requests/5#note_9"

    assert outcome_line(NoteOutcome("created", url), 5) == (
        f"Posted the mlci note on merge request !5: {url}"
    )
    assert outcome_line(NoteOutcome("updated", url), 5) == (
        f"Updated the mlci note on merge request !5: {url}"
    )
    assert outcome_line(NoteOutcome("unchanged"), 5) == (
        "The mlci note on merge request !5 already says this"
    )
    assert "newer head commit" in outcome_line(NoteOutcome("skipped_stale"), 5)
