"""The figure worker process: the same figures as drawing here, and never a failed run."""

from __future__ import annotations

import io
import threading

import numpy as np
import pandas as pd

from mlci.figure_worker import FigureWorker, read_frame, serve, write_frame
from mlci.model.load import Predictions
from mlci.report.plots import Distribution, PlotInputs, make_figures


def inputs() -> PlotInputs:
    rng = np.random.default_rng(0)
    n = 500
    truth = np.where(rng.random(n) < 0.4, "yes", "no")
    score = np.clip((truth == "yes") * 0.4 + rng.random(n) * 0.6, 0, 1)
    pred = np.where(score >= 0.5, "yes", "no")
    frame = pd.DataFrame({"x": rng.normal(size=n)})
    p = Predictions(truth, pred, score, None, ("no", "yes"), frame, "yes")
    return PlotInputs(
        task="binary",
        predictions=p,
        history={"roc_auc": [("a", 0.8), ("b", 0.82)]},
        distributions=(
            Distribution("eval", "age", "numeric", (10, 20, 10), (5, 20, 15), edges=(0, 1, 2, 4)),
            Distribution("eval", "plan", "categorical", (5, 3, 2), (2, 3, 5), bins=("a", "b", "c")),
        ),
    )


def test_the_worker_draws_the_same_bytes_as_this_process() -> None:
    here = make_figures(inputs())
    worker = FigureWorker.start()
    assert worker is not None
    try:
        assert worker.submit(inputs())
        assert worker.result() == here
    finally:
        worker.close()
    assert worker.process.returncode is not None  # stopped, and waited for


def test_a_dead_worker_gives_no_result_so_the_run_draws_them_itself() -> None:
    worker = FigureWorker.start()
    assert worker is not None
    worker.process.kill()
    worker.process.wait()
    try:
        assert worker.submit(inputs()) is False
        assert worker.result() is None
    finally:
        worker.close()


def test_a_worker_dying_after_the_inputs_gives_no_result() -> None:
    worker = FigureWorker.start()
    assert worker is not None
    try:
        assert worker.submit(inputs())
        worker.process.kill()
        assert worker.result() is None
    finally:
        worker.close()


def test_closing_an_unused_worker_stops_it() -> None:
    worker = FigureWorker.start()
    assert worker is not None
    worker.close()
    assert worker.process.returncode is not None


def test_the_serving_loop_answers_each_request_then_stops_at_the_end_of_input() -> None:
    requests = io.BytesIO()
    write_frame(requests, PlotInputs())
    write_frame(requests, "not plot inputs")  # any failure is a note, not a dead worker
    requests.seek(0)
    answers = io.BytesIO()
    done = threading.Event()

    def run() -> None:
        serve(requests, answers)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(60)
    answers.seek(0)
    assert read_frame(answers) == ({}, [])
    figures, notes = read_frame(answers)
    assert figures == {} and len(notes) == 1 and notes[0].startswith("No figures were drawn (")
    assert answers.read() == b""


def test_frames_round_trip() -> None:
    stream = io.BytesIO()
    write_frame(stream, {"a": b"\x89PNG"})
    stream.seek(0)
    assert read_frame(stream) == {"a": b"\x89PNG"}
