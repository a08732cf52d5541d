"""A project to monitor: a git repository with a released model and a day of production logs.

The model is a binary churn classifier evaluated on ``data/eval.parquet`` (predictions with a
``request_id``); production rows are written as Parquet partitions under
``prod/date=2024-05-01/hour=HH/`` with the served ``score``, and delayed labels under
``labels/``. ``tenure_shift`` drifts a column; ``quality`` is how well the served scores
separate the classes (the release is evaluated at 1.5).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mlci.cli import main
from tests.helpers.git import git

NAME = "churn-model"
EVAL_ROWS = 4000
QUALITY = 1.5
DEPLOY = (
    'cd "$MLCI_BUNDLE_DIR" && sha256sum -c --quiet SHA256SUMS && '
    'printf "%s %s %s %s\\n" "$MLCI_TAG" "$MLCI_COMMIT" "${MLCI_ROLLBACK:-false}" '
    '"${MLCI_GITHUB_TOKEN:-no token}" >> "$MLCI_DEPLOY_LOG" && '
    'sha256sum model.bin >> "$MLCI_DEPLOY_LOG"'
)


def rows(n: int, seed: int, *, start: int = 0, tenure_shift: float = 0.0, quality: float = QUALITY):
    """``n`` customers: features, the true label and the served score."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = 1.0 / (1.0 + np.exp(-(quality * (2 * y - 1) + rng.normal(0.0, 1.0, n))))
    frame = pd.DataFrame(
        {
            "request_id": [f"r-{i:07d}" for i in range(start, start + n)],
            "age": rng.integers(18, 80, n),
            "tenure": rng.normal(10.0 + tenure_shift, 3.0, n),
            "plan": rng.choice(["basic", "pro"], n, p=[0.7, 0.3]),
        }
    )
    return frame, y, score


def config(deploy: str | None = DEPLOY, **monitor: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": NAME,
        "datasets": {
            "eval": {
                "path": "data/eval.parquet",
                "checks": [
                    {"column": "request_id", "unique": True},
                    {"column": "age", "type": "integer", "min": 0, "max": 120},
                    {"column": "plan", "allowed": ["basic", "pro"]},
                ],
            }
        },
        "model": {
            "task": "binary",
            "predictions": {"path": "preds.csv", "y_score": "y_score", "id": "request_id"},
            "metrics": ["accuracy", "roc_auc"],
        },
        "gates": [{"metric": "roc_auc", "min": 0.6, "max_regression": 0.03}],
        "release": {"environment": "production", "assets": ["model.bin"]},
        "monitor": {
            "data": {"eval": {"path": "prod/"}},
            "predictions": {"id": "request_id", "y_score": "score"},
            "labels": {"path": "labels/", "y_true": "churned"},
            **monitor,
        },
    }
    if deploy is not None:
        doc["release"]["deploy"] = {"command": deploy}
    return doc


class MonitorProject:
    """The git project (``git_project`` fixture) with the model, its config and production."""

    def __init__(self, git_project: Any, tmp_path: Path, **config_changes: Any) -> None:
        self.git = git_project
        self.path: Path = git_project.path
        self.tmp = tmp_path
        self.config = config(**config_changes)
        self.deploy_log = tmp_path / "deployed.txt"
        os.environ["MLCI_DEPLOY_LOG"] = str(self.deploy_log)  # the deploy command appends there
        self.write_config()
        self.write("model.bin", "weights of model v1\n")
        self.write(".gitignore", "mlci-out/\nprod/\nlabels/\n")
        frame, y, score = rows(EVAL_ROWS, 1)
        (self.path / "data").mkdir(exist_ok=True)
        frame.to_parquet(self.path / "data" / "eval.parquet", index=False)
        preds = pd.DataFrame({"request_id": frame.request_id, "y_true": y, "y_score": score})
        self.write("preds.csv", preds.to_csv(index=False))

    def write(self, relpath: str, text: str) -> None:
        self.git.write(relpath, text)

    def write_config(self, **changes: Any) -> None:
        self.config.update(changes)
        self.write("mlci.yml", yaml.safe_dump(self.config, sort_keys=False))

    def commit(self, message: str) -> str:
        return str(self.git.commit(message))

    def tag(self, name: str) -> str:
        git(self.path, "tag", name)
        return git(self.path, "rev-parse", f"{name}^{{commit}}")

    def production(
        self,
        *,
        hours: int = 3,
        per_hour: int = 2000,
        tenure_shift: float = 0.0,
        quality: float = QUALITY,
        labeled: float = 0.5,
        seed: int = 100,
    ) -> pd.DataFrame:
        """A day of request logs as Parquet partitions, and labels for a share of them."""
        for folder in ("prod", "labels"):
            _empty(self.path / folder)
        labels = []
        for hour in range(hours):
            frame, y, score = rows(
                per_hour,
                seed + hour,
                start=1_000_000 + hour * per_hour,
                tenure_shift=tenure_shift,
                quality=quality,
            )
            frame["score"] = score
            part = self.path / "prod" / "date=2024-05-01" / f"hour={hour:02d}"
            part.mkdir(parents=True)
            frame.to_parquet(part / "part-0000.parquet", index=False)
            keep = int(per_hour * labeled)
            labels.append(
                pd.DataFrame({"request_id": frame.request_id[:keep], "churned": y[:keep]})
            )
        (self.path / "prod" / "_SUCCESS").write_text("")
        table = pd.concat(labels, ignore_index=True)
        table.to_parquet(self.path / "labels" / "labels.parquet", index=False)
        return table

    def monitor(self, *args: str) -> tuple[int, str, str]:
        out = str(self.tmp / "monitor-out")
        return cli("monitor", "-c", str(self.path / "mlci.yml"), "--output-dir", out, *args)

    @property
    def out(self) -> Path:
        return self.tmp / "monitor-out"

    def monitor_json(self) -> dict[str, Any]:
        return dict(json.loads((self.out / "monitor.json").read_text()))

    def report_json(self) -> dict[str, Any]:
        return dict(json.loads((self.out / "report.json").read_text()))

    def run_main(self, *args: str) -> tuple[int, str, str]:
        out = str(self.tmp / "run-out")
        return cli(
            "run", "-c", str(self.path / "mlci.yml"), "--output-dir", out, "--no-html", *args
        )


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _empty(folder: Path) -> None:
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
