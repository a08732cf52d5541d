"""The repository's habits: a license that matches the package metadata, pre-commit hooks that
run the same tools (at the same versions) as scripts/test, and a typed package (PEP 561)."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import tomllib
import yaml

REPO = Path(__file__).resolve().parents[1]


def test_the_license_is_the_one_pyproject_declares() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert project["license"] == "MIT" and text.startswith("MIT License\n")
    holder = project["authors"][0]["name"]
    assert re.search(rf"^Copyright \(c\) 20\d\d {re.escape(holder)}$", text, flags=re.M)


def hooks() -> dict[str, tuple[str, dict]]:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return {h["id"]: (repo.get("rev", ""), h) for repo in config["repos"] for h in repo["hooks"]}


def test_pre_commit_runs_the_tools_of_scripts_test_at_their_versions() -> None:
    found = hooks()
    assert {"ruff", "ruff-format", "mypy", "config-reference"} <= set(found)
    assert found["ruff"][0] == found["ruff-format"][0] == "v" + importlib.metadata.version("ruff")
    assert found["mypy"][0] == "v" + importlib.metadata.version("mypy")
    script = (REPO / "scripts" / "test").read_text(encoding="utf-8")
    assert "ruff check" in script and "ruff format --check" in script and "mypy" in script


def test_the_mypy_hook_sees_the_stubs_the_test_extra_installs() -> None:
    _, mypy = hooks()["mypy"]
    pinned = dict(d.split("==") for d in mypy["additional_dependencies"])
    for stub in ("pandas-stubs", "types-PyYAML", "types-tabulate"):
        assert pinned[stub] == importlib.metadata.version(stub), stub
    assert mypy["pass_filenames"] is False  # pyproject.toml's `files` decides what is checked


def test_the_local_hook_checks_the_configuration_reference() -> None:
    _, hook = hooks()["config-reference"]
    assert hook["entry"].split()[1:] == ["scripts/gen-config-docs", "--check"]
    for path in ("mlci/jsonschemas/config.schema.json", "docs/configuration.md"):
        assert re.search(hook["files"], path), path


def test_the_package_is_typed() -> None:
    assert (REPO / "mlci" / "py.typed").is_file()
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["mlci"]
