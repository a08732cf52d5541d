"""actions/download-artifact (v4) stand-in: reads what the upload-artifact stand-in wrote.

Artifacts are read from ``$STANDIN_ARTIFACTS_DIR/<owner>/<repo>/<run id>/<name>/``. Inputs arrive
as ``IN_*`` variables from action.yml. Followed from the real action: one name downloads into
``path``, several (all, or those matching ``pattern``) into ``path/<name>`` unless merge-multiple,
a missing name fails, and ``run-id``/``repository`` are honoured only together with github-token
(without a token the current run is used).
"""

from __future__ import annotations

import os
import shutil
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import NoReturn


def env(name: str) -> str:
    return os.environ.get(name, "").strip()


def fail(message: str) -> NoReturn:
    print(f"::error title=artifact stand-in::{message}")
    sys.exit(1)


def output(name: str, value: str) -> None:
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
        handle.write(f"{name}={value}\n")


def run_dir(repository: str, run_id: str) -> Path:
    root = env("STANDIN_ARTIFACTS_DIR")
    if not root:
        fail("STANDIN_ARTIFACTS_DIR is not set (the act harness sets it).")
    return Path(root) / repository / run_id


def download() -> None:
    cross_run = bool(env("IN_GITHUB_TOKEN"))
    repository = env("IN_REPOSITORY") if cross_run else ""
    run_id = env("IN_RUN_ID") if cross_run else ""
    source = run_dir(
        repository or os.environ["GITHUB_REPOSITORY"], run_id or os.environ["GITHUB_RUN_ID"]
    )
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    path = workspace / os.path.expanduser(env("IN_PATH")) if env("IN_PATH") else workspace
    name = env("IN_NAME")
    if name:
        if not (source / name).is_dir():
            fail(f"Unable to download artifact(s): Artifact not found for name: {name}")
        shutil.copytree(source / name, path, dirs_exist_ok=True)
        print(f"artifact stand-in: downloaded {name!r} to {path}")
    else:
        pattern = env("IN_PATTERN") or "*"
        names = (
            sorted(p.name for p in source.glob("*") if fnmatch(p.name, pattern))
            if source.is_dir()
            else []
        )
        merge = env("IN_MERGE_MULTIPLE") == "true"
        for each in names:
            shutil.copytree(source / each, path if merge else path / each, dirs_exist_ok=True)
        print(f"artifact stand-in: downloaded {len(names)} artifact(s) to {path}")
    output("download-path", str(path))


if __name__ == "__main__":
    download()
