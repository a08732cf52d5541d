"""Progress: pure rendering, and when each reporter writes."""

from __future__ import annotations

import io

import pytest

from mlci.data.progress import (
    ActionsProgress,
    NoProgress,
    Snapshot,
    TerminalProgress,
    format_bytes,
    format_duration,
    make_progress,
    render_bar,
    render_log,
)

HALF = Snapshot("eval", 1_234_567, 650_000_000, 1_300_000_000, 5.0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_snapshot_rate_and_time_left() -> None:
    assert (HALF.fraction, HALF.rate, HALF.remaining) == (0.5, 130_000_000.0, 5.0)
    assert Snapshot("e", 0, 0, 0, 0.0).remaining is None


@pytest.mark.parametrize(
    ("n", "text"), [(512, "512 B"), (1_300_000_000, "1.3 GB"), (65_400, "65.4 kB")]
)
def test_format_bytes(n: int, text: str) -> None:
    assert format_bytes(n) == text


def test_format_duration() -> None:
    assert [format_duration(s) for s in (7, 750, 3723)] == ["0:07", "12:30", "1:02:03"]


def test_render_bar_and_log() -> None:
    assert render_bar(HALF, width=10) == (
        "mlci: eval · █████░░░░░  50% · 1,234,567 rows · 650 MB / 1.3 GB · 130 MB/s · 0:05 left"
    )
    assert render_log(HALF) == (
        "mlci: dataset 'eval': 1,234,567 rows, 650 MB of 1.3 GB (50%), 130 MB/s, about 0:05 left"
    )


def test_terminal_progress_waits_redraws_and_clears() -> None:
    clock, out = Clock(), Tty()
    progress = TerminalProgress(out, clock, delay=0.5, interval=0.2)
    progress.start("eval", 1_000)
    progress.update(10, 100)
    assert out.getvalue() == ""  # nothing before half a second
    clock.now += 1.0
    progress.update(20, 500)
    clock.now += 0.1
    progress.update(30, 600)  # too soon after the last line
    lines = out.getvalue()
    assert lines.count("\r") == 1 and "20 rows" in lines
    progress.finish()
    assert out.getvalue().endswith("\r")
    assert out.getvalue().rsplit("\r", 2)[-2].strip() == ""  # the line is cleared


def test_actions_progress_folds_lines_in_a_group_after_five_seconds() -> None:
    clock, out = Clock(), io.StringIO()
    progress = ActionsProgress(out, clock)
    progress.start("train", 2_000_000_000)
    progress.update(1, 10)
    clock.now += 6
    progress.update(100_000, 500_000_000)
    clock.now += 3
    progress.update(150_000, 700_000_000)  # within ten seconds of the last line
    clock.now += 10
    progress.update(200_000, 1_000_000_000)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert lines[0] == "::group::mlci: reading dataset 'train' (2 GB)"
    assert lines[1].startswith("mlci: dataset 'train': 100,000 rows, 500 MB of 2 GB (25%)")
    assert lines[2].startswith("mlci: dataset 'train': 200,000 rows")
    assert lines[-1] == "::endgroup::"
    assert len(lines) == 5


def test_a_short_scan_in_actions_logs_nothing() -> None:
    clock, out = Clock(), io.StringIO()
    progress = ActionsProgress(out, clock)
    progress.start("eval", 1_000)
    progress.update(10, 1_000)
    progress.finish()
    assert out.getvalue() == ""


def test_make_progress_picks_the_reporter() -> None:
    tty, pipe = Tty(), io.StringIO()
    assert isinstance(make_progress(quiet=True, environ={}, stderr=tty), NoProgress)
    assert isinstance(
        make_progress(quiet=False, environ={"GITHUB_ACTIONS": "true"}, stderr=tty), ActionsProgress
    )
    assert isinstance(make_progress(quiet=False, environ={}, stderr=tty), TerminalProgress)
    assert isinstance(make_progress(quiet=False, environ={}, stderr=pipe), NoProgress)
    assert isinstance(
        make_progress(quiet=True, environ={"GITHUB_ACTIONS": "true"}, stderr=tty), NoProgress
    )
