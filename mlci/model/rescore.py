"""The model file at the baseline commit, and re-scoring it on this run's evaluation rows.

When the evaluation data changed since the baseline, the baseline's stored predictions are for
other rows and cannot be paired with the candidate's. If the configuration evaluates a model
file, that file as it was at the baseline commit is loaded and predicts this run's rows, so
both models are compared on the same examples. The budgets measure the same file
(:mod:`mlci.model.budgets`): both read it with :func:`baseline_model_copy`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pandas as pd

from mlci import git
from mlci.config import ModelFileConfig
from mlci.errors import ModelError
from mlci.model.evaluate import predict_dataset
from mlci.model.load import Predictions
from mlci.paths import relative_inside


def baseline_model_copy(repo: Path, commit: str, path: Path, folder: Path) -> Path:
    """The model file ``path`` as committed in ``commit``, copied into ``folder`` under its own
    name; :class:`ModelError` when that commit has no such file."""
    relative = relative_inside(path, repo)
    if relative is None:
        raise ModelError(f"the model file {path} is outside the repository")
    content = git.file_at(repo, commit, relative)
    if content is None:
        raise ModelError(
            f"the baseline commit {commit[:7]} has no file {relative} in git (not committed, "
            "moved, or kept outside git)"
        )
    copy = folder / path.name
    copy.write_bytes(content)
    return copy


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
    with tempfile.TemporaryDirectory(prefix="mlci-baseline-") as tmp:
        copy = baseline_model_copy(repo, commit, cfg.path, Path(tmp))
        return predict_dataset(replace(cfg, path=copy), task, datasets)
