"""The model file at the baseline commit, and re-scoring it on this run's evaluation rows.

When the evaluation data changed since the baseline, the baseline's stored predictions are for
other rows and cannot be paired with the candidate's. If the configuration evaluates a model
file, that file as it was at the baseline commit is loaded and predicts this run's rows, so
both models are compared on the same examples. The budgets measure the same file
(:mod:`mlci.model.budgets`): both read it with :func:`baseline_model_copy`. A model file DVC
tracks (a ``.dvc`` file in git, or a pipeline output in ``dvc.lock``) is read at the baseline
commit through ``dvc.api``, from the DVC cache or the remote that commit configures.
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
    if content is None and _tracked_by_dvc(repo, commit, relative):
        content = read_with_dvc(repo, commit, relative)
    if content is None:
        raise ModelError(
            f"the baseline commit {commit[:7]} has no file {relative} in git (not committed, "
            "moved, or kept outside git)"
        )
    copy = folder / path.name
    copy.write_bytes(content)
    return copy


def _tracked_by_dvc(repo: Path, commit: str, relative: str) -> bool:
    """Whether ``commit`` tracks ``relative`` with DVC: a ``.dvc`` file beside it, or a
    ``dvc.lock`` (a pipeline's outputs) that names it."""
    if git.file_at(repo, commit, f"{relative}.dvc") is not None:
        return True
    lock = git.file_at(repo, commit, "dvc.lock")
    return lock is not None and f"path: {Path(relative).name}".encode() in lock


def read_with_dvc(repo: Path, commit: str, relative: str) -> bytes:
    """``relative`` as DVC tracked it at ``commit``, through ``dvc.api`` (from the DVC cache,
    else the commit's default remote); :class:`ModelError` saying why when it cannot."""
    try:
        import dvc.api  # optional extra `mlci[dvc]`, heavy
    except ImportError:
        raise ModelError(
            f"the baseline commit {commit[:7]} tracks {relative} with DVC; reading it needs the "
            "extra: pip install 'mlci[dvc]'"
        ) from None
    try:
        content: bytes = dvc.api.read(relative, repo=str(repo), rev=commit, mode="rb")
    except Exception as exc:  # DvcException and its kin: the remote unreachable, not pushed
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"the baseline commit {commit[:7]} tracks {relative} with DVC, and it could not be "
            f"read from the DVC cache or remote ({reason}); run `dvc push` on the baseline "
            "branch, and give this job access to the remote"
        ) from None
    return content


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
