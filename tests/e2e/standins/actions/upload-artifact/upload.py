"""actions/upload-artifact (v4) stand-in: an artifact is a plain local directory.

The artifact goes to ``$STANDIN_ARTIFACTS_DIR/<owner>/<repo>/<run id>/<name>/``, where a later act
run (e.g. a ``workflow_run`` workflow, through the download-artifact stand-in) or the test itself
can read it. Inputs arrive as ``IN_*`` variables from action.yml. Followed from the real action:
the upload root (least common ancestor of the search paths; a single file's directory), hidden
files left out unless include-hidden-files, if-no-files-found, and the 409 on a second upload of a
name in the same run unless overwrite. Not simulated: compression, retention, digests.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import NoReturn

GLOB_CHARS = "*?["


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


def search_path(pattern: Path) -> Path:
    parts = pattern.parts
    for index, part in enumerate(parts):
        if any(char in part for char in GLOB_CHARS):
            return Path(*parts[:index])
    return pattern


def hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def collect(patterns: list[str], workspace: Path, include_hidden: bool) -> tuple[Path, list[Path]]:
    includes = [workspace / p for p in patterns if not p.startswith("!")]
    excludes = [str(workspace / p[1:]) for p in patterns if p.startswith("!")]
    searches = [search_path(Path(os.path.normpath(p))) for p in includes]
    root = Path(os.path.commonpath(searches)) if searches else workspace
    if len(includes) == 1 and includes[0].is_file():
        root = includes[0].parent
    files: list[Path] = []
    for pattern in includes:
        for hit in map(Path, glob.glob(str(pattern), recursive=True, include_hidden=True)):
            candidates = [hit] if hit.is_file() else [f for f in hit.rglob("*") if f.is_file()]
            files.extend(candidates)
    files = [f for f in files if not any(fnmatch(str(f), ex) for ex in excludes)]
    if not include_hidden:
        files = [f for f in files if not hidden(f, root)]
    return root, sorted(set(files))


def upload() -> None:
    name = env("IN_NAME") or "artifact"
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    patterns = [line.strip() for line in env("IN_PATH").splitlines() if line.strip()]
    root, files = collect(patterns, workspace, env("IN_INCLUDE_HIDDEN_FILES") == "true")
    if not files:
        mode = env("IN_IF_NO_FILES_FOUND") or "warn"
        message = (
            f"No files were found with the provided path: {env('IN_PATH')}. "
            "No artifacts will be uploaded."
        )
        if mode == "error":
            fail(message)
        if mode == "warn":
            print(f"::warning::{message}")
        return
    target = run_dir(os.environ["GITHUB_REPOSITORY"], os.environ["GITHUB_RUN_ID"]) / name
    if target.exists():
        if env("IN_OVERWRITE") != "true":
            fail(
                "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) "
                "Conflict: an artifact with this name already exists on the workflow run"
            )
        shutil.rmtree(target)
    for file in files:
        destination = target / file.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, destination)
    artifact_id = str(len(list(Path(env("STANDIN_ARTIFACTS_DIR")).glob("*/*/*/*"))))
    print(f"artifact stand-in: uploaded {len(files)} file(s) as {name!r} to {target}")
    output("artifact-id", artifact_id)
    output("artifact-url", target.as_uri())


if __name__ == "__main__":
    upload()
