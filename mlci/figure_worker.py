"""Drawing the report's figures in another process, started when the run starts.

Importing matplotlib and drawing a handful of figures take about as long as reading and
profiling 100,000 rows, and both hold Python's GIL, so on a thread they would only take turns
with the data stage. A worker process imports matplotlib on another core while the data is read,
then draws the figures (:func:`~mlci.report.plots.make_figures`, the same function, so the same
bytes) while the run writes its other outputs. Once warm it forks a :class:`Helper` that draws
every other figure: the run's own process only waits by then, so the drawing gets both cores.

The worker talks over its stdin and stdout: length-prefixed pickles of the
:class:`~mlci.report.plots.PlotInputs` in, ``(figures, notes)`` out. Anything that goes wrong
with it (it cannot start, dies, answers garbage) only means the figures are drawn in the run's
own process after all.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from mlci.report.plots.values import PlotInputs

Figures = tuple[dict[str, bytes], list[str]]

_HEADER = struct.Struct("<Q")


class FigureWorker:
    """A worker process that draws figures; :meth:`start` it early, :meth:`submit` the inputs
    once they exist, collect the :meth:`result`, :meth:`close` it at the end."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.writer: threading.Thread | None = None
        self.sent = False

    @classmethod
    def start(cls) -> FigureWorker | None:
        """A new worker (importing matplotlib from now on), or None when it cannot start."""
        package_root = str(Path(__file__).resolve().parents[1])  # the folder holding mlci/
        path = os.environ.get("PYTHONPATH")
        env = dict(
            os.environ, PYTHONPATH=os.pathsep.join([package_root, *([path] if path else [])])
        )
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "mlci.figure_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
        except OSError:
            return None
        return cls(process)

    def submit(self, inputs: PlotInputs) -> bool:
        """Hand the figures' inputs over (written on a thread: the worker may still be
        importing matplotlib); False when the worker cannot take them."""
        stdin = self.process.stdin
        if stdin is None or self.process.poll() is not None or self.writer is not None:
            return False
        try:
            frame = encode_frame(inputs)
        except (pickle.PicklingError, TypeError, AttributeError):
            return False
        self.writer = threading.Thread(target=self._send, args=(stdin, frame), daemon=True)
        self.writer.start()
        return True

    def result(self) -> Figures | None:
        """The figures and notes of the inputs submitted (None when the worker failed)."""
        if self.writer is None or self.process.stdout is None:
            return None
        self.writer.join()
        if not self.sent:
            return None
        try:
            answer = read_frame(self.process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError, struct.error):
            return None
        if not (isinstance(answer, tuple) and len(answer) == 2):
            return None
        figures, notes = answer
        if not isinstance(figures, dict) or not isinstance(notes, list):
            return None
        return figures, notes

    def close(self) -> None:
        """Stop the worker: it has nothing to finish once its answer was read (or abandoned)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.writer is not None:
            self.writer.join()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def _send(self, stream: IO[bytes], frame: bytes) -> None:
        try:
            stream.write(frame)
            stream.flush()
        except OSError:  # the worker died: drawn here instead
            return
        self.sent = True


def encode_frame(value: Any) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def write_frame(stream: IO[bytes], value: Any) -> None:
    stream.write(encode_frame(value))
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next value, or raises EOFError when the stream ends."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # from our own parent or child process


def serve(requests: IO[bytes], answers: IO[bytes], *, helper: bool = False) -> None:
    """The worker's loop: warm up (import matplotlib, draw once), then answer each request.

    ``helper``: fork a second drawer once warm (:class:`Helper`), which draws every other
    figure of each request on the other core; the worker process does this, never a caller.
    """
    from mlci.report.plots.figures import make_figures

    _warm_up()
    second = Helper.fork(closing=(requests, answers)) if helper else None
    try:
        while True:
            try:
                inputs = read_frame(requests)
            except EOFError:
                return
            try:
                answer = second.draw(inputs) if second is not None else make_figures(inputs)
            except Exception as exc:  # a figure must never fail the run
                answer = {}, [f"No figures were drawn ({type(exc).__name__}: {exc})."]
            write_frame(answers, answer)
    finally:
        if second is not None:
            second.close()


class Helper:
    """A second drawing process, forked from the warmed-up worker (matplotlib imported, fonts
    loaded, so it costs no start-up): for each request the worker draws the even-numbered
    figures and the helper the odd ones, side by side, and the worker puts them back in order
    (:func:`~mlci.report.plots.figures.assemble`: the same figures and notes as drawing them
    all here). If the helper fails, the worker draws its share too."""

    def __init__(self, pid: int, requests: IO[bytes], answers: IO[bytes]) -> None:
        self.pid = pid
        self.requests = requests
        self.answers = answers
        self.alive = True

    @classmethod
    def fork(cls, closing: Sequence[IO[bytes]]) -> Helper | None:
        """The helper, or None when it cannot be forked; ``closing``: the worker's own
        streams, closed in the helper so that only the worker holds them."""
        if not hasattr(os, "fork"):
            return None
        down, up = os.pipe(), os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (*down, *up):
                os.close(fd)
            return None
        if pid == 0:  # the helper: it never returns
            code = 1
            try:
                os.close(down[1])
                os.close(up[0])
                for stream in closing:
                    os.close(stream.fileno())
                _help(os.fdopen(down[0], "rb"), os.fdopen(up[1], "wb"))
                code = 0
            finally:
                os._exit(code)
        os.close(down[0])
        os.close(up[1])
        return cls(pid, os.fdopen(down[1], "wb"), os.fdopen(up[0], "rb"))

    def draw(self, inputs: PlotInputs) -> Figures:
        from mlci.report.plots.figures import assemble, draw_share

        sent = self.alive and self._send(inputs)
        mine = draw_share(inputs, 0, 2 if sent else 1)
        theirs = self._collect() if sent else {}
        if theirs is None:  # the helper failed: its share is drawn here
            self.alive = False
            theirs = draw_share(inputs, 1, 2)
        return assemble(inputs, {**mine, **theirs})

    def close(self) -> None:
        """End the helper (its input ends) and wait for it."""
        for stream in (self.requests, self.answers):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    def _send(self, inputs: PlotInputs) -> bool:
        try:
            write_frame(self.requests, inputs)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            self.alive = False
            return False
        return True

    def _collect(self) -> dict[int, Any] | None:
        try:
            drawn = read_frame(self.answers)
        except (OSError, EOFError, pickle.UnpicklingError, struct.error):
            return None
        if not isinstance(drawn, dict) or not all(
            isinstance(i, int) and isinstance(d, tuple) and len(d) == 3 for i, d in drawn.items()
        ):
            return None
        return drawn


def _help(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The helper's loop: the odd-numbered figures of each request, until its input ends."""
    from mlci.report.plots.figures import draw_share

    while True:
        try:
            inputs = read_frame(requests)
        except EOFError:
            return
        write_frame(answers, draw_share(inputs, 1, 2))


def _warm_up() -> None:
    """Import matplotlib and draw an empty figure (fonts, the Agg renderer) ahead of time."""
    from mlci.report.plots.render import render_png

    def draw(fig: Figure) -> None:
        fig.subplots().set_title("warm-up")

    with contextlib.suppress(Exception):  # drawing will report it, figure by figure
        render_png(1.0, 1.0, draw)


def main() -> None:
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing printed can corrupt the answers
    serve(sys.stdin.buffer, answers, helper=True)


if __name__ == "__main__":
    main()
