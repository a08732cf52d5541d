"""The README's user install, for real: a clean virtual environment installs mlci from a tagged
git URL (here a ``git+file://`` clone carrying the tag v0.1.0), and from the wheel and the sdist
that scripts/check-dist builds; each knows its version from the tag, and the git install knows its
commit, which `mlci init` writes into the workflows. uv installs the dependencies from its cache
(offline), as the action's install does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.helpers.act_harness import git, snapshot_project

pytestmark = pytest.mark.integration  # git clones, builds and clean virtual environments

REPO = Path(__file__).resolve().parents[1]
UV = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
OFFLINE = {**os.environ, "UV": UV, "UV_OFFLINE": "1", "UV_NO_PROGRESS": "1"}


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=OFFLINE, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this project (as it is now), its commit tagged v0.1.0."""
    # a path never used before: uv keeps a git database per URL, and pytest's numbered folders
    # come back once /tmp is cleaned, with an old v0.1.0 tag in that database (git does not
    # move a tag it has), so the build would see no tag on this commit
    root = snapshot_project(tmp_path_factory.mktemp(f"mlci-src-{uuid.uuid4().hex[:12]}"))
    (root / "mlci" / "_version.py").unlink(missing_ok=True)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "release")
    git(root, "tag", "v0.1.0")
    return root, git(root, "rev-parse", "HEAD").strip()


def clean_venv(where: Path) -> Path:
    run(UV, "venv", "--quiet", where / "venv")
    return where / "venv" / "bin"


def test_install_from_a_tagged_git_url_knows_its_version_and_commit(
    tagged: tuple[Path, str], tmp_path: Path
) -> None:
    source, sha = tagged
    bin_dir = clean_venv(tmp_path)
    url = f"mlci @ git+file://{source}@v0.1.0"  # the README's line, with a local clone
    run(UV, "pip", "install", "--quiet", "--python", bin_dir / "python", url)
    assert run(bin_dir / "mlci", "--version", cwd=tmp_path) == f"mlci 0.1.0 (commit {sha[:12]})\n"

    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / "m.json").write_text('{"rmse": 1.5}\n')
    out = run(
        bin_dir / "mlci", "init", "--metrics-file", "m.json", "--task", "regression", cwd=project
    )
    assert f"mlci-dev/mlci@{sha} # v0.1.0" in out
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    assert workflows
    for path in workflows:
        assert f"uses: mlci-dev/mlci@{sha} # v0.1.0\n" in path.read_text()
        assert "0" * 40 not in path.read_text()


def test_the_built_wheel_and_sdist_install_in_a_clean_venv(
    tagged: tuple[Path, str], tmp_path: Path
) -> None:
    source, sha = tagged
    dist = tmp_path / "dist"
    out = run(source / "scripts" / "check-dist", dist, "0.1.0", cwd=source)
    assert f"the wheel installs cleanly: mlci 0.1.0 (commit {sha[:12]})" in out
    assert sorted(p.name for p in dist.glob("mlci-*")) == [
        "mlci-0.1.0-py3-none-any.whl",
        "mlci-0.1.0.tar.gz",
    ]
    # The sdist has no .git: its version comes from its own metadata.
    bin_dir = clean_venv(tmp_path)
    run(UV, "pip", "install", "--quiet", "--python", bin_dir / "python", dist / "mlci-0.1.0.tar.gz")
    assert run(bin_dir / "mlci", "--version", cwd=tmp_path).startswith("mlci 0.1.0")


def test_a_tree_without_git_metadata_falls_back_to_an_unknown_version(tmp_path: Path) -> None:
    source = snapshot_project(tmp_path / "src")  # e.g. a copy of the files, no .git, no tag
    (source / "mlci" / "_version.py").unlink(missing_ok=True)
    bin_dir = clean_venv(tmp_path)
    run(UV, "pip", "install", "--quiet", "--python", bin_dir / "python", source)
    assert run(bin_dir / "mlci", "--version", cwd=tmp_path) == "mlci 0.0+unknown\n"
