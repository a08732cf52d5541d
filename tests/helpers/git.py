"""Git as a test runs it at a shell: with a test identity (the code under test must cope without
one), failing loudly with git's own message."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
}


def git(repo: Path, *args: str, identity: bool = True) -> str:
    """Run ``git *args`` in ``repo`` (as the test author unless ``identity`` is false); the
    stripped standard output. A failure fails the test with git's message."""
    env = {**os.environ, **(IDENTITY if identity else {})}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr.strip()}"
    return done.stdout.strip()


def commit(repo: Path, message: str) -> str:
    """An empty commit on the current branch; its sha."""
    git(repo, "commit", "--allow-empty", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


class GitProject:
    """A git working copy with a bare ``origin``, for integration tests."""

    def __init__(self, root: Path) -> None:
        self.remote = root / "origin.git"
        self.path = root / "work"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.remote)], check=True)
        self.path.mkdir()
        git(self.path, "init", "-q", "-b", "main")
        git(self.path, "remote", "add", "origin", str(self.remote))

    def write(self, relpath: str, text: str) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str, *, push: bool = True) -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", message)
        if push:
            branch = git(self.path, "rev-parse", "--abbrev-ref", "HEAD")
            git(self.path, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return git(self.path, "rev-parse", "HEAD")

    def checkout(self, *args: str) -> None:
        git(self.path, "checkout", "-q", *args)

    def remote_records(self, branch: str = "mlci-records") -> list[str]:
        out = subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", branch],
            cwd=self.remote,
            capture_output=True,
            text=True,
        )
        return out.stdout.split() if out.returncode == 0 else []
