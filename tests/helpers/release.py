"""Constants and helpers shared by the tests of `mlci release` (imported by conftest.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from mlci.cli import main
from tests.helpers.fake_github import FakeGitHub
from tests.helpers.git import git

REPO = "octo/models"
TOKEN = "tok-release-3c1f9e2ab7"
READER = "tok-reader-0b9e51d6a4"
TOKENS = {
    TOKEN: {"login": "release-bot", "type": "user", "permission": "write"},
    READER: {"login": "github-actions[bot]", "type": "installation", "permission": "read"},
}
ROWS = 4000
# The deploy command of the test project: it leaves what it saw next to the project (in ../)
DEPLOY = (
    'printf "%s\\n" "$MLCI_TAG" "$MLCI_VERSION" "$MLCI_COMMIT" "$MLCI_ENVIRONMENT" '
    '"${MLCI_GITHUB_TOKEN:-no token}" "$PWD" > ../deployed-env.txt && '
    'cp "$MLCI_BUNDLE_DIR/SHA256SUMS" ../deployed-sums.txt && echo "deployed $MLCI_TAG"'
)
NAME = "churn-model"


def predictions(quality: float, seed: int = 0) -> pd.DataFrame:
    """A binary predictions file on fixed rows: higher ``quality`` separates the classes better.

    The labels depend only on ``ROWS`` (always the same rows); the scores on ``quality`` and
    ``seed``. A quality drop of 0.5 lowers ROC AUC by several hundredths at 4,000 rows.
    """
    y = np.random.default_rng(12345).integers(0, 2, ROWS)
    noise = np.random.default_rng(seed).normal(0.0, 1.0, ROWS)
    score = 1.0 / (1.0 + np.exp(-(quality * (2 * y - 1) + noise)))
    return pd.DataFrame({"y_true": y, "y_pred": (score >= 0.5).astype(int), "y_score": score})


class Project:
    """A git project with mlci.yml, a predictions file and a model artifact to ship."""

    def __init__(self, git_project: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.git = git_project
        self.path: Path = git_project.path
        self.tmp = tmp_path
        self.monkeypatch = monkeypatch
        self.config: dict[str, Any] = {
            "name": NAME,
            "model": {
                "task": "binary",
                "predictions": {"path": "preds.csv", "y_score": "y_score"},
                "metrics": ["accuracy", "roc_auc"],
            },
            "gates": [{"metric": "roc_auc", "min": 0.6, "max_regression": 0.01}],
            "release": {
                "intended_use": "Scoring churn risk of active subscribers.",
                "owner": "ml-platform team",
                "environment": "production",
                "deploy": {"command": DEPLOY},
                "assets": ["model.bin"],
            },
        }
        self.write_config()
        self.set_model(1.5)

    def write_config(self, **changes: Any) -> None:
        self.config.update(changes)
        self.git.write("mlci.yml", yaml.safe_dump(self.config, sort_keys=False))

    def set_model(self, quality: float, seed: int = 0) -> None:
        self.git.write("preds.csv", predictions(quality, seed).to_csv(index=False))
        self.git.write("model.bin", f"model weights, quality {quality}, seed {seed}\n")

    def commit(self, message: str) -> str:
        return str(self.git.commit(message))

    def tag(self, name: str, fake: FakeGitHub | None = None) -> str:
        git(self.path, "tag", name)
        git(self.path, "push", "-q", "origin", f"refs/tags/{name}")
        sha = git(self.path, "rev-parse", f"{name}^{{commit}}")
        if fake is not None:
            fake.add_ref(REPO, name, sha)
        return sha

    def checkout(self, rev: str) -> None:
        self.git.checkout(rev)

    def run_main(self) -> tuple[int, str]:
        """`mlci run --push` on main: stores the record of HEAD and pushes it (what the main
        workflow does)."""
        config, out_dir = str(self.path / "mlci.yml"), str(self.tmp / "run-out")
        code, out, err = cli("run", "-c", config, "--output-dir", out_dir, "--no-html", "--push")
        assert err == "", err
        return code, out

    def release(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        for key, value in (env or {}).items():
            self.monkeypatch.setenv(key, value)
        out_dir = str(self.tmp / "release-out")
        return cli("release", "-c", str(self.path / "mlci.yml"), "--output-dir", out_dir, *args)

    @property
    def out(self) -> Path:
        return self.tmp / "release-out"

    def result(self) -> dict[str, Any]:
        """release.json of the last `mlci release`."""
        return dict(json.loads((self.out / "release.json").read_text()))

    def remote_records(self) -> list[str]:
        return list(self.git.remote_records())


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def github_env(fake: FakeGitHub, token: str = TOKEN) -> dict[str, str]:
    """What `mlci release` needs outside Actions: a token, the repository, the API URL."""
    return {
        "GITHUB_TOKEN": token,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": fake.url,
        "GITHUB_SERVER_URL": fake.url,
        "GITHUB_RUN_ID": "4242",
    }
