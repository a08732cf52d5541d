"""The `release:` and `override:` sections of mlci.yml: schema, defaults, paths, errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from mlci.config import DeployConfig, OverrideConfig, ReleaseConfig, load_config
from mlci.errors import ConfigError
from mlci.yamlfile import packaged_schema


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mlci.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "name: m\n"))
    assert config.release == ReleaseConfig()
    assert config.release.environment == "production" and config.release.deploy is None
    assert config.override is None  # no label is honoured unless configured


def test_every_key(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """\
name: m
release:
  intended_use: Scoring churn risk.
  owner: ml-platform
  limitations: Not for new customers.
  environment: staging
  deploy: {command: ./deploy.sh, timeout_minutes: 5, url: "https://models.example.com/churn"}
  assets: [model/preprocess.json, shared/../vocab.txt]
override: {label: accept-regression}
""",
        )
    )
    assert config.release == ReleaseConfig(
        intended_use="Scoring churn risk.",
        owner="ml-platform",
        limitations="Not for new customers.",
        environment="staging",
        deploy=DeployConfig("./deploy.sh", 5, "https://models.example.com/churn"),
        assets=(tmp_path / "model" / "preprocess.json", tmp_path / "vocab.txt"),
    )
    assert config.override == OverrideConfig("accept-regression")
    assert load_config(write(tmp_path, "name: m\noverride: {}\n")).override == OverrideConfig(
        "mlci-accept-regression"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: m\nrelease: {deploy: {}}\n",
            "mlci.yml:2: release.deploy: missing required key 'command' (a shell command run in "
            "the directory of mlci.yml with MLCI_BUNDLE_DIR, MLCI_VERSION, MLCI_TAG and "
            "MLCI_COMMIT set).",
        ),
        (
            "name: m\nrelease: {deploy: {command: x, url: ftp://host}}\n",
            "mlci.yml:2: release.deploy.url: expected an http(s) URL; got 'ftp://host'.",
        ),
        (
            "name: m\nrelease: {deploy: {command: x, timeout_minutes: 0}}\n",
            "mlci.yml:2: release.deploy.timeout_minutes: expected an integer between 1 and 360; "
            "got 0.",
        ),
        (
            "name: m\nrelease: {enviroment: prod}\n",
            "mlci.yml:2: release.enviroment: unknown key. Did you mean 'environment'?",
        ),
        (
            "name: m\noverride: {label: ''}\n",
            "mlci.yml:2: override.label: expected a non-empty string; got ''.",
        ),
    ],
)
def test_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str) -> None:
    write(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as excinfo:
        load_config("mlci.yml")
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("node", "cls"),
    [
        (("release",), ReleaseConfig),
        (("release", "deploy"), DeployConfig),
        (("override",), OverrideConfig),
    ],
)
def test_schema_keys_are_the_dataclass_fields(node: tuple[str, ...], cls: type) -> None:
    schema: Any = packaged_schema("config.schema.json")
    section = schema["$defs"][node[0]]
    for key in node[1:]:
        section = section["properties"][key]
    assert set(section["properties"]) == {f.name for f in dataclasses.fields(cls)}
