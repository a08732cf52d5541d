"""Drawing the report's figures in another process, started when the run starts.

Importing matplotlib and drawing a handful of figures take about as long as reading and
profiling 100,000 rows, and both hold Python's GIL, so on a thread they would only take turns
with the data stage. A worker process imports matplotlib on another core while the data is read,
then draws the figures (:func:`~mlci.report.plots.make_figures`, the same function, so the same
bytes) while the run writes its other outputs.

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


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The worker's loop: warm up (import matplotlib, draw once), then answer each request."""
    from mlci.report.plots.figures import make_figures

    _warm_up()
    while True:
        try:
            inputs = read_frame(requests)
        except EOFError:
            return
        try:
            answer: Figures = make_figures(inputs)
        except Exception as exc:  # a figure must never fail the run
            answer = {}, [f"No figures were drawn ({type(exc).__name__}: {exc})."]
        write_frame(answers, answer)


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
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
