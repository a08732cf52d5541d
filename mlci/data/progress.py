"""Progress of long dataset scans: rows and bytes read, rate and time left.

Rendering is pure (:func:`render_bar`, :func:`render_log` take a :class:`Snapshot`); the
reporters only decide when to write:

- on a terminal, one line on stderr redrawn in place, from half a second into a scan;
- in GitHub Actions (``GITHUB_ACTIONS=true``), a log line every ten seconds folded in a
  ``::group::``, opened only once a scan has run for five seconds (small files log nothing);
- with ``--quiet``, or when neither applies, nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TextIO


@dataclass(frozen=True)
class Snapshot:
    """How far the scan of one dataset has come."""

    dataset: str
    rows: int
    bytes_read: int
    bytes_total: int
    elapsed: float  # seconds since the scan started

    @property
    def fraction(self) -> float | None:
        if self.bytes_total <= 0:
            return None
        return min(1.0, self.bytes_read / self.bytes_total)

    @property
    def rate(self) -> float | None:
        """Bytes per second."""
        return self.bytes_read / self.elapsed if self.elapsed > 0 else None

    @property
    def remaining(self) -> float | None:
        """Seconds left at the current rate."""
        rate = self.rate
        if not rate or self.bytes_total <= 0:
            return None
        return max(0.0, (self.bytes_total - self.bytes_read) / rate)


def format_bytes(n: float) -> str:
    """``"512 B"``, ``"1.3 GB"`` (decimal units)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} TB"  # pragma: no cover - loop always returns


def format_duration(seconds: float) -> str:
    """``"0:07"``, ``"12:30"``, ``"1:02:03"``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render_bar(s: Snapshot, width: int = 24) -> str:
    """One terminal line: ``eval ███████░░░ 39% · 1,234,567 rows · 512 MB / 1.3 GB · ...``."""
    parts = [f"mlci: {s.dataset}"]
    fraction = s.fraction
    if fraction is not None:
        filled = round(fraction * width)
        parts.append(f"{'█' * filled}{'░' * (width - filled)} {fraction:4.0%}")
    parts.append(f"{s.rows:,} rows")
    parts.append(f"{format_bytes(s.bytes_read)} / {format_bytes(s.bytes_total)}")
    if s.rate is not None:
        parts.append(f"{format_bytes(s.rate)}/s")
    if s.remaining is not None:
        parts.append(f"{format_duration(s.remaining)} left")
    return " · ".join(parts)


def render_log(s: Snapshot) -> str:
    """One plain log line: ``mlci: dataset 'eval': 1,234,567 rows, 512 MB of 1.3 GB (39%), ...``."""
    text = f"mlci: dataset '{s.dataset}': {s.rows:,} rows, {format_bytes(s.bytes_read)}"
    text += f" of {format_bytes(s.bytes_total)}"
    if s.fraction is not None:
        text += f" ({s.fraction:.0%})"
    if s.rate is not None:
        text += f", {format_bytes(s.rate)}/s"
    if s.remaining is not None:
        text += f", about {format_duration(s.remaining)} left"
    return text


class Progress(Protocol):
    """What the data stage tells a progress reporter."""

    def start(self, dataset: str, bytes_total: int) -> None: ...

    def update(self, rows: int, bytes_read: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """Reports nothing (``--quiet``, or output that is neither a terminal nor Actions)."""

    def start(self, dataset: str, bytes_total: int) -> None:
        pass

    def update(self, rows: int, bytes_read: int) -> None:
        pass

    def finish(self) -> None:
        pass


class _Timed:
    """Keeps the current snapshot and decides when it is time to write."""

    def __init__(self, clock: Callable[[], float], delay: float, interval: float) -> None:
        self.clock, self.delay, self.interval = clock, delay, interval
        self.dataset = ""
        self.bytes_total = 0
        self.began = 0.0
        self.last: float | None = None
        self.snapshot: Snapshot | None = None

    def start(self, dataset: str, bytes_total: int) -> None:
        self.dataset, self.bytes_total = dataset, bytes_total
        self.began = self.clock()
        self.last = None
        self.snapshot = None

    def due(self, rows: int, bytes_read: int) -> bool:
        now = self.clock()
        elapsed = now - self.began
        self.snapshot = Snapshot(self.dataset, rows, bytes_read, self.bytes_total, elapsed)
        if elapsed < self.delay:
            return False
        if self.last is not None and now - self.last < self.interval:
            return False
        self.last = now
        return True


class TerminalProgress(_Timed):
    """A line on a terminal (stderr), redrawn in place and cleared at the end."""

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        *,
        delay: float = 0.5,
        interval: float = 0.2,
    ) -> None:
        super().__init__(clock, delay, interval)
        self.stream = stream
        self.width = 0

    def update(self, rows: int, bytes_read: int) -> None:
        if self.due(rows, bytes_read) and self.snapshot is not None:
            line = render_bar(self.snapshot)
            self.stream.write("\r" + line.ljust(self.width))
            self.stream.flush()
            self.width = max(self.width, len(line))

    def finish(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


class ActionsProgress(_Timed):
    """Plain log lines in a ``::group::`` of the GitHub Actions log."""

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        *,
        delay: float = 5.0,
        interval: float = 10.0,
    ) -> None:
        super().__init__(clock, delay, interval)
        self.stream = stream
        self.opened = False

    def update(self, rows: int, bytes_read: int) -> None:
        if not self.due(rows, bytes_read) or self.snapshot is None:
            return
        if not self.opened:
            size = format_bytes(self.bytes_total)
            print(f"::group::mlci: reading dataset '{self.dataset}' ({size})", file=self.stream)
            self.opened = True
        print(render_log(self.snapshot), file=self.stream, flush=True)

    def finish(self) -> None:
        if self.opened:
            if self.snapshot is not None:
                print(render_log(self.snapshot), file=self.stream)
            print("::endgroup::", file=self.stream, flush=True)
            self.opened = False


def make_progress(
    *,
    quiet: bool,
    environ: Mapping[str, str],
    stderr: TextIO | None = None,
    stdout: TextIO | None = None,
) -> Progress:
    """The reporter for this process: Actions log lines, a terminal line, or nothing."""
    if quiet:
        return NoProgress()
    if environ.get("GITHUB_ACTIONS") == "true":
        return ActionsProgress(stdout or sys.stdout)
    err = stderr or sys.stderr
    if getattr(err, "isatty", lambda: False)():
        return TerminalProgress(err)
    return NoProgress()
