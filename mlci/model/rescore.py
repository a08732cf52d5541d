"""Re-scoring the baseline's model file on this run's evaluation rows.

When the evaluation data changed since the baseline, the baseline's stored predictions are for
other rows and cannot be paired with the candidate's. If the configuration evaluates a model
file, that file as it was at the baseline commit (``git show <commit>:<path>``) is loaded and
predicts this run's rows, so both models are compared on the same examples.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from mlci.config import ModelFileConfig
from mlci.errors import ModelError
from mlci.git import run_git_process
from mlci.model.load import Predictions


def baseline_model_bytes(repo: Path, commit: str, path: Path) -> bytes:
    """The model file at ``path`` as committed in ``commit``; ModelError when it is not there."""
    try:
        relative = Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(repo)))
    except ValueError:
        raise ModelError(f"the model file {path} is outside the repository") from None
    proc = run_git_process(["show", f"{commit}:{relative.as_posix()}"], cwd=repo)
    if proc.returncode != 0:
        raise ModelError(f"{relative.as_posix()} is not in the baseline commit {commit[:7]}")
    return proc.stdout


def rescore_baseline(
    cfg: ModelFileConfig,
    task: str,
    repo: Path,
    commit: str,
    datasets: Mapping[str, pd.DataFrame],
) -> Predictions:
    """The baseline commit's model file predicting this run's evaluation dataset.

    It is loaded with this run's settings (``allow_unsafe_pickle``, ``trusted_types``);
    problems are :class:`ModelError` with a short reason.
    """
    from mlci.model.evaluate import predict_dataset

    content = baseline_model_bytes(repo, commit, cfg.path)
    with tempfile.TemporaryDirectory(prefix="mlci-baseline-") as tmp:
        copy = Path(tmp) / cfg.path.name
        copy.write_bytes(content)
        return predict_dataset(replace(cfg, path=copy), task, datasets)
