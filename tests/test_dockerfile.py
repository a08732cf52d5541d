"""The Dockerfile and .dockerignore: lint (hadolint) and the rules of the image, read from the file.

Docker cannot build here, so the build is covered in parts: the install command the image runs is
scripts/install-mlci, which tests/test_action.py runs for real (and `mlci --help` after it); the
files that command needs must be copied in and not excluded by .dockerignore.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DIGEST = re.compile(r"^python:3\.12(\.\d+)?-slim@sha256:[0-9a-f]{64}( AS \w+)?$")


class Instruction(NamedTuple):
    keyword: str
    argument: str


def parse(text: str) -> list[list[Instruction]]:
    """The instructions of a Dockerfile, stage by stage (continuations joined, comments dropped)."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    stages: list[list[Instruction]] = []
    for line in filter(str.strip, joined.splitlines()):
        keyword, _, argument = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append(Instruction(keyword.upper(), " ".join(argument.split())))
    return stages


def _stages() -> list[list[Instruction]]:
    return parse((REPO / "Dockerfile").read_text(encoding="utf-8"))


def _arguments(stage: list[Instruction], keyword: str) -> list[str]:
    return [i.argument for i in stage if i.keyword == keyword]


def dockerignore_includes(path: str, patterns: list[str]) -> bool:
    """Whether the build context keeps ``path``: the last matching pattern decides."""
    keep = True
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.removeprefix("!").rstrip("/")
        regex = re.escape(body).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        if re.fullmatch(f"{regex}(/.*)?", path):
            keep = negated
    return keep


def _dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_dockerignore_matcher_follows_the_last_matching_pattern() -> None:
    patterns = ["**", "!mlci/", "**/__pycache__", "!requirements/*.lock"]
    assert dockerignore_includes("mlci/cli.py", patterns)
    assert not dockerignore_includes("mlci/__pycache__/cli.cpython-311.pyc", patterns)
    assert not dockerignore_includes(".git/config", patterns)
    assert dockerignore_includes("requirements/action.lock", patterns)
    assert not dockerignore_includes("requirements/action.in", patterns)


@pytest.mark.integration
def test_hadolint_finds_nothing() -> None:
    proc = subprocess.run(
        [str(BIN / "hadolint"), "--format", "json", "Dockerfile"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert json.loads(proc.stdout) == [], proc.stdout


@pytest.mark.integration
def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install mlci\nCMD mlci\n", encoding="utf-8")
    proc = subprocess.run(
        [str(BIN / "hadolint"), "--format", "json", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    codes = {finding["code"] for finding in json.loads(proc.stdout)}
    assert {"DL3007", "DL3013", "DL3042", "DL3025"} <= codes


def test_every_base_image_is_pinned_by_digest() -> None:
    stages = _stages()
    assert len(stages) == 2
    for stage in stages:
        assert DIGEST.match(stage[0].argument), stage[0].argument
    assert len({stage[0].argument.split(" AS ")[0] for stage in stages}) == 1


def test_the_image_runs_mlci_as_a_non_root_user_in_work() -> None:
    final = _stages()[-1]
    (user,) = _arguments(final, "USER")
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), "a numeric, non-root user and group"
    assert f"--uid {user.split(':')[0]}" in " ".join(_arguments(final, "RUN"))
    assert _arguments(final, "WORKDIR") == ["/work"]
    assert _arguments(final, "ENTRYPOINT") == ['["mlci"]']
    assert _arguments(final, "CMD") == ['["--help"]']
    assert [i.keyword for i in final][-4:] == ["USER", "WORKDIR", "ENTRYPOINT", "CMD"]


def test_the_image_installs_like_the_action_and_keeps_no_cache() -> None:
    build, final = _stages()
    (run,) = _arguments(build, "RUN")
    install = "bash scripts/install-mlci /usr/local/bin/python3 /opt/mlci /tmp/mlci-cache"
    assert run.startswith(install)
    assert "rm -rf /tmp/mlci-cache" in run
    assert "COPY --from=build /opt/mlci /opt/mlci" in [
        f"COPY {a}" for a in _arguments(final, "COPY")
    ]
    action = (REPO / "action.yml").read_text(encoding="utf-8")
    assert 'install="$GITHUB_ACTION_PATH/scripts/install-mlci"' in action


def test_the_image_holds_compiled_bytecode_since_it_may_not_write_any() -> None:
    """The image runs with PYTHONDONTWRITEBYTECODE=1 as a user who cannot write /opt/mlci, so
    the build compiles everything it installs (uv's UV_COMPILE_BYTECODE), once."""
    build, final = _stages()
    assert "UV_COMPILE_BYTECODE=1" in _arguments(build, "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in " ".join(_arguments(final, "ENV"))


def test_the_build_context_holds_what_the_install_needs_and_nothing_else() -> None:
    build = _stages()[0]
    sources = [a.split()[0] for a in _arguments(build, "COPY")]
    sources += [a.split()[1] for a in _arguments(build, "COPY") if len(a.split()) > 2]
    needed = {
        "requirements/action.lock",
        "requirements/bootstrap.lock",
        "scripts/install-mlci",
        "pyproject.toml",
        "README.md",
        "mlci/cli.py",
        "mlci/jsonschemas/record.schema.json",
    }
    patterns = _dockerignore()
    assert patterns[0] == "**"  # default deny
    for path in needed:
        assert (REPO / path).exists(), path
        assert dockerignore_includes(path, patterns), f".dockerignore drops {path}"
        assert any(path == s.rstrip("/") or path.startswith(s) for s in sources), path
    for private in (
        ".git/HEAD",
        ".venv/bin/python",
        "tests/test_action.py",
        "mlci-out/r.json",
        "mlci/__pycache__/cli.cpython-312.pyc",
        ".github/workflows/ci.yml",
    ):
        assert not dockerignore_includes(private, patterns), private


def test_install_script_copies_what_the_build_context_provides() -> None:
    script = (REPO / "scripts" / "install-mlci").read_text(encoding="utf-8")
    copied = re.search(r'^cp -R (.+) "\$work/src/"$', script, re.M)
    assert copied
    names = re.findall(r'"\$source_dir/([^"]+)"', copied[1])
    assert names == ["pyproject.toml", "README.md", "mlci"]
    assert all(dockerignore_includes(name, _dockerignore()) for name in names)
