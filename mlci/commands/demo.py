"""`mlci demo`: watch mlci judge a pull request on a real example project, offline.

The bundled project (``mlci/examples/tumor-classifier``) trains a classifier on data that
ships with scikit-learn. The demo makes it a git repository, records the baseline on `main`,
then opens a "pull request" branch with a realistic change — stronger regularisation, and
radius measurements switched from centimetres to millimetres — and runs the pipeline on it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TextIO

from mlci.commands.run import run_command
from mlci.errors import MlciError
from mlci.git import run_git
from mlci.userenv import user_environment

EXAMPLE = "tumor-classifier"
PR_BRANCH = "pr/stronger-regularisation"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "mlci demo",
    "GIT_AUTHOR_EMAIL": "demo@mlci.invalid",
    "GIT_COMMITTER_NAME": "mlci demo",
    "GIT_COMMITTER_EMAIL": "demo@mlci.invalid",
}

# The pull request's change to train.py: (old text, new text) pairs.
PR_EDITS = (
    ("REGULARISATION_C = 1.0", "REGULARISATION_C = 0.002  # regularise more against overfitting"),
    (
        "    return load_breast_cancer(as_frame=True).frame\n",
        "    frame = load_breast_cancer(as_frame=True).frame\n"
        "    # The new imaging export measures the radius in millimetres.\n"
        '    frame["mean radius"] = frame["mean radius"] * 10\n'
        "    return frame\n",
    ),
)


def demo_command(*, keep: Path | None = None, environ: Mapping[str, str], stdout: TextIO) -> int:
    """Build the example project, record `main`, run mlci on a PR branch, print the comment.

    The demo is local even inside a CI job: its runs see no ``GITHUB_*`` variable, so they never
    publish to GitHub, and the example's own code sees no credential.
    """
    if keep is not None and keep.exists() and any(keep.iterdir()):
        raise MlciError(f"--keep {keep}: the directory is not empty. Pick a new or empty one.")
    project = keep or Path(tempfile.mkdtemp(prefix="mlci-demo-"))
    _copy_example(project)
    local = {k: v for k, v in environ.items() if not k.startswith("GITHUB_")}
    _say(stdout, f"Example project: {project}")
    _say(stdout, "1/4  Training the model on main and committing it…")
    _train_and_commit(project, local, "Train the tumour classifier", first=True)
    _say(stdout, "2/4  Running mlci on main: the record of this commit becomes the baseline…")
    _mlci_run(project, "main", local, stdout=None)
    _say(stdout, f"3/4  Opening a pull request branch `{PR_BRANCH}`: stronger regularisation, and")
    _say(stdout, "     radius measurements now in millimetres…")
    _git(project, "checkout", "-q", "-b", PR_BRANCH)
    _edit_training_script(project / "train.py")
    _train_and_commit(project, local, "Regularise more; read radius in mm from the new export")
    _say(stdout, "4/4  Running mlci on the pull request…")
    code, out_dir = _mlci_run(project, "pr", local, stdout=stdout)
    _show_comment(out_dir, code, stdout)
    return 0


def _say(stdout: TextIO, line: str) -> None:
    print(line, file=stdout, flush=True)


def _copy_example(project: Path) -> None:
    source = resources.files("mlci") / "examples" / EXAMPLE
    with resources.as_file(source) as src:
        shutil.copytree(
            src,
            project,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "mlci-out"),
        )


def _git(project: Path, *args: str) -> None:
    run_git(list(args), cwd=project, env=GIT_IDENTITY)


def _train_and_commit(
    project: Path, environ: Mapping[str, str], message: str, *, first: bool = False
) -> None:
    if first:
        _git(project, "init", "-q", "-b", "main")
    result = subprocess.run(
        [sys.executable, "train.py"],
        cwd=project,
        env=user_environment(environ),  # the example's own code: no credential
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise MlciError(f"The demo's train.py failed: {result.stderr.strip()[-300:]}")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", message)


def _edit_training_script(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in PR_EDITS:
        if old not in text:
            raise MlciError(f"The demo could not apply its change to {path}: {old!r} not found.")
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def _mlci_run(
    project: Path, label: str, environ: Mapping[str, str], *, stdout: TextIO | None
) -> tuple[int, Path]:
    out_dir = project / "mlci-out" / label
    code = run_command(
        project / "mlci.yml",
        output_dir=out_dir,
        quiet=stdout is None,
        environ=environ,
        stdout=stdout if stdout is not None else io.StringIO(),
    )
    return code, out_dir


def _show_comment(out_dir: Path, code: int, stdout: TextIO) -> None:
    comment = (out_dir / "report.md").read_text(encoding="utf-8")
    verdict = "failed its gates" if code == 1 else "passed"
    print("\n── The pull request comment mlci would post ──────────────────────────\n", file=stdout)
    print(comment, file=stdout)
    print("──────────────────────────────────────────────────────────────────────", file=stdout)
    print(f"The pull request {verdict} (`mlci run` exit code {code}). Report files:", file=stdout)
    for name in ("report.md", "report.html", "report.json", "record.json"):
        if (out_dir / name).exists():
            print(f"  {out_dir / name}", file=stdout)
    print("The demo itself succeeded.", file=stdout)
