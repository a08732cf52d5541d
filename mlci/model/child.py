"""The child process of :mod:`mlci.model.isolate`: load a pickled model, predict, measure.

Run as ``python -m mlci.model.child DIR`` with an environment that holds no credential. It
reads the parent's request from ``DIR``, answers with plain values only (``answer.json`` and
``.npy`` files written without pickle) and exits; the parent checks every value it reads.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlci.config import BudgetsConfig, ModelFileConfig
from mlci.errors import MlciError, ModelError
from mlci.files import write_atomic
from mlci.model.budgets import measure_models
from mlci.model.evaluate import predict_frame
from mlci.model.isolate import ANSWER, REQUEST, is_plain


def _child_predict(
    cfg: ModelFileConfig, task: str, frame: pd.DataFrame, y_true: np.ndarray
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    predictions = predict_frame(cfg, task, frame, y_true)
    answer: dict[str, Any] = {
        "labels": None if predictions.labels is None else [_plain(v) for v in predictions.labels],
        "pos_label": _plain(predictions.pos_label),
    }
    arrays: dict[str, np.ndarray] = {}
    for name in ("y_pred", "y_score", "y_proba"):
        value = getattr(predictions, name)
        if value is None:
            answer[name] = None
        elif value.dtype == object:
            answer[name] = [_plain(v) for v in value.tolist()]
        else:
            answer[name], arrays[name] = "npy", value
    return answer, arrays


def _child_measure(
    cfg: ModelFileConfig,
    task: str,
    frame: pd.DataFrame,
    budgets: BudgetsConfig,
    baseline: Path | None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    measured, why = measure_models(cfg, task, frame, budgets, baseline)
    return {"measurements": [asdict(m) for m in measured], "why": why}, {}


def _plain(value: Any) -> Any:
    """A JSON value for a label: a plain scalar (NumPy scalars converted), else a ModelError."""
    if isinstance(value, np.generic):
        value = value.item()
    if not is_plain(value):
        raise ModelError(
            f"The model predicted a value of type {type(value).__name__}, not a plain label "
            "(a string, number or boolean)."
        )
    return value


CHILD_CALLS: dict[str, Callable[..., tuple[dict[str, Any], dict[str, np.ndarray]]]] = {
    "predict": _child_predict,
    "measure": _child_measure,
}


def child_main(folder: Path) -> int:
    """Answer the request in ``folder``: the .npy files first, then answer.json (the last
    word, written whole)."""
    with open(folder / REQUEST, "rb") as source:
        request = pickle.load(source)  # the parent's own file, not the model's
    os.chdir(request["cwd"])  # mlci is imported: now the model sees the parent's directory
    try:
        answer, arrays = CHILD_CALLS[request["call"]](**request["args"])
    except MlciError as exc:
        answer, arrays = {"error": str(exc)}, {}
    except Exception as exc:  # the model's own code can raise anything
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        answer, arrays = {"error": f"The model failed in its process: {reason}."}, {}
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array, allow_pickle=False)
    write_atomic(folder / ANSWER, json.dumps(answer))
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main(Path(sys.argv[1])))
