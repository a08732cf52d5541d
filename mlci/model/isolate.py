"""Pickle-family models run in a child process that holds no credential.

Loading a pickle (``.joblib``, ``.pkl``, ``.pickle``: allowed only by ``allow_unsafe_pickle``)
runs whatever code the file carries, and so may every call on the object it builds. Such a
model is therefore loaded, asked to predict and measured for its budgets in a child Python
process started with :func:`mlci.userenv.user_environment`: no GitHub token, no git
credentials, no MLflow tracking credentials (:data:`STORE_SECRETS`). An MLflow model is the
same: its files are downloaded by mlci (:func:`mlci.model.mlflow_run.download_model`) and
``mlflow.pyfunc.load_model`` runs only in the child. skops files are loaded in mlci's own
process: skops refuses untrusted types by construction.

The parent writes the child's inputs (config values, the evaluation rows) as a pickle of its
own that the child reads. The child answers with plain values only: ``answer.json`` (numbers,
strings, lists) and ``.npy`` files (NumPy arrays of numbers or fixed-width strings) written and
read with ``allow_pickle=False``: nothing the child writes can run code in the parent, and an
answer of the wrong shape is a :class:`~mlci.errors.ModelError`.

The child is :mod:`mlci.model.child`, run as ``python -m mlci.model.child DIR`` started in
``DIR`` (so a ``mlci`` folder in the repository cannot stand in for mlci's own module); it then
moves to the parent's directory.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlci.config import BudgetsConfig, ModelFileConfig
from mlci.errors import ModelError
from mlci.model.load import Predictions, show_path
from mlci.model.measurement import Measurement
from mlci.userenv import user_environment

REQUEST, ANSWER = "request.pickle", "answer.json"  # and one NAME.npy file per array
# The model store's credentials: mlci downloads an MLflow model itself, so its process needs none
STORE_SECRETS = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD", "DATABRICKS_TOKEN")
PLAIN = (str, int, float, bool, type(None))


# --- the parent's side ---------------------------------------------------------------------------


def predict_in_child(
    cfg: ModelFileConfig, task: str, frame: pd.DataFrame, y_true: np.ndarray
) -> Predictions:
    """The model file of ``cfg`` predicting ``frame``, loaded in a child process.

    The result is what :func:`mlci.model.evaluate.predict_frame` returns in-process, with
    ``y_true`` and ``frame`` the parent's own.
    """
    request = {"cfg": cfg, "task": task, "frame": frame, "y_true": y_true}
    answer, folder = _call(cfg.path, "predict", request)
    values = {k: _array(answer, folder, k, len(frame)) for k in ("y_pred", "y_score", "y_proba")}
    labels = answer.get("labels")
    if labels is not None and not (isinstance(labels, list) and all(is_plain(v) for v in labels)):
        raise _bad_answer(cfg.path, "its class labels are not a list of plain values")
    pos_label = answer.get("pos_label")
    if not is_plain(pos_label):
        raise _bad_answer(cfg.path, "its positive class is not a plain value")
    return Predictions(
        y_true,
        values["y_pred"],
        values["y_score"],
        values["y_proba"],
        None if labels is None else tuple(labels),
        frame,
        pos_label,
    )


def measure_in_child(
    cfg: ModelFileConfig,
    task: str,
    frame: pd.DataFrame,
    budgets: BudgetsConfig,
    baseline: Path | None,
) -> tuple[tuple[Measurement, ...], str]:
    """:func:`mlci.model.budgets.measure_models` run in a child process (both models there)."""
    request = {"cfg": cfg, "task": task, "frame": frame, "budgets": budgets, "baseline": baseline}
    answer, _ = _call(cfg.path, "measure", request)
    try:
        measured = tuple(_measurement(Measurement, m) for m in answer["measurements"])
        why = answer["why"]
    except (KeyError, TypeError, ValueError):
        raise _bad_answer(cfg.path, "its measurements are not numbers") from None
    if not measured or not isinstance(why, str):
        raise _bad_answer(cfg.path, "it measured nothing")
    return measured, why


def _call(model: Path, call: str, args: Mapping[str, Any]) -> tuple[dict[str, Any], _Arrays]:
    """Run ``call`` in a child process; its answer, or the ModelError it raised."""
    with tempfile.TemporaryDirectory(prefix="mlci-model-") as tmp:
        folder = Path(tmp)
        request = {"call": call, "args": dict(args), "cwd": os.getcwd()}
        with open(folder / REQUEST, "wb") as out:
            pickle.dump(request, out, protocol=pickle.HIGHEST_PROTOCOL)
        proc = subprocess.run(
            [sys.executable, "-m", "mlci.model.child", str(folder)],
            cwd=folder,  # `-m` looks in the working directory first: not in the repository's
            env=user_environment(os.environ, secrets=_store_secrets(os.environ)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
        answer = _read_answer(folder, model, proc)
        if "error" in answer:
            raise ModelError(str(answer["error"]))
        arrays = _Arrays.read(folder, model)
    return answer, arrays


def _store_secrets(environ: Mapping[str, str]) -> list[str]:
    return [environ[name] for name in STORE_SECRETS if environ.get(name)]


class _Arrays:
    """The .npy files of an answer, read (without pickle) before the folder goes."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays = dict(arrays)

    @classmethod
    def read(cls, folder: Path, model: Path) -> _Arrays:
        arrays = {}
        for path in folder.glob("*.npy"):
            try:
                arrays[path.stem] = np.load(path, allow_pickle=False)
            except (OSError, ValueError, EOFError):
                raise _bad_answer(model, "its arrays are not plain NumPy arrays") from None
        return cls(arrays)


def _read_answer(
    folder: Path, model: Path, proc: subprocess.CompletedProcess[bytes]
) -> dict[str, Any]:
    try:
        answer = json.loads((folder / ANSWER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        said = _last_line(proc.stderr) or _last_line(proc.stdout) or "no message"
        raise ModelError(
            f"Model file {show_path(model)}: the process that loads it (a pickle runs its own "
            f"code) ended without an answer, exit code {proc.returncode}: {said[:200]}."
        ) from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise _bad_answer(model, "its answer is not JSON") from None
    if not isinstance(answer, dict):
        raise _bad_answer(model, "its answer is not a JSON object")
    return answer


def _array(answer: Mapping[str, Any], arrays: _Arrays, name: str, rows: int) -> np.ndarray | None:
    """An array of the answer: a .npy file, or a JSON list (labels of any plain type)."""
    spec = answer.get(name)
    if spec is None:
        return None
    if spec == "npy" and name in arrays.arrays:
        value = arrays.arrays[name]
    elif isinstance(spec, list) and all(is_plain(v) for v in spec):
        value = np.empty(len(spec), dtype=object)
        value[:] = spec
    else:
        raise ModelError(f"The model's process answered with an unreadable `{name}`.")
    if value.ndim == 0 or len(value) != rows:
        raise ModelError(
            f"The model predicted {value.size if value.ndim == 0 else len(value)} values of "
            f"`{name}` for {rows} rows."
        )
    return value


def _measurement(cls: type[Measurement], raw: Any) -> Measurement:
    if not isinstance(raw, dict):
        raise TypeError(raw)
    peak = raw["peak_memory_bytes"]
    return cls(
        size_bytes=_int(raw["size_bytes"]),
        latency_ms=tuple(_float(v) for v in raw["latency_ms"]),
        batch_latency_ms=tuple(_float(v) for v in raw["batch_latency_ms"]),
        peak_memory_bytes=None if peak is None else _int(peak),
        batch_rows=_int(raw["batch_rows"]),
    )


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(value)
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(value)
    return float(value)


def is_plain(value: Any) -> bool:
    """A JSON scalar (what a class label may be in an answer)."""
    return isinstance(value, PLAIN)


def _bad_answer(model: Path, why: str) -> ModelError:
    return ModelError(
        f"Model file {show_path(model)}: the process that loads it answered wrongly ({why})."
    )


def _last_line(output: bytes) -> str:
    lines = [line.strip() for line in output.decode("utf-8", "replace").splitlines()]
    return next((line for line in reversed(lines) if line), "")
