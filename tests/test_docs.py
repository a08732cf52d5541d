"""The documentation: the configuration reference is generated from the schemas and never stale,
its examples are valid, every key, metric, action input and output is documented, every link
between the pages resolves, and the README stays a short front door."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from mlci.config import (
    BaselineConfig,
    BudgetsConfig,
    DeployConfig,
    DriftConfig,
    GateConfig,
    ModelConfig,
    ModelFileConfig,
    MonitorConfig,
    MonitorDataConfig,
    MonitorLabelsConfig,
    MonitorPredictionsConfig,
    OverrideConfig,
    PredictionsConfig,
    ReleaseConfig,
    ReportConfig,
    StatsConfig,
    StoreConfig,
    Thresholds,
    load_config,
)
from mlci.data.schema_file import load_schema_file
from mlci.model.metrics import REGISTRY

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
REFERENCE = DOCS / "configuration.md"
GENERATOR = REPO / "scripts" / "gen-config-docs"
SCHEMAS = REPO / "mlci" / "jsonschemas"
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def generator(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = root / "scripts" / "gen-config-docs"
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)


# --- the configuration reference is the schemas' ---------------------------------------------


def test_the_committed_reference_is_what_the_schemas_generate() -> None:
    done = generator(REPO, "--check")
    assert done.returncode == 0, done.stderr


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The generator, the schemas and the page, in a scratch tree of the same layout."""
    for part in ("scripts/gen-config-docs", "docs/configuration.md"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / part, tmp_path / part)
    shutil.copytree(SCHEMAS, tmp_path / "mlci" / "jsonschemas")
    return tmp_path


def test_the_check_fails_when_a_description_changes_until_the_page_is_regenerated(
    copy: Path,
) -> None:
    path = copy / "mlci" / "jsonschemas" / "config.schema.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["$defs"]["stats"]["properties"]["seed"]["description"] = "a new description"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    stale = generator(copy, "--check")
    assert stale.returncode == 1
    assert "docs/configuration.md is out of date" in stale.stderr
    assert generator(copy).returncode == 0
    assert "a new description" in (copy / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert generator(copy, "--check").returncode == 0


def test_the_check_fails_on_a_hand_edited_page(copy: Path) -> None:
    page = copy / "docs" / "configuration.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nAn edit by hand.\n", encoding="utf-8")
    assert generator(copy, "--check").returncode == 1


def property_names(node: Any) -> Iterator[str]:
    """Every key any ``properties`` of a schema defines, at any depth."""
    if isinstance(node, Mapping):
        yield from node.get("properties", {})
        for value in node.values():
            yield from property_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from property_names(value)


@pytest.mark.parametrize("name", ["config.schema.json", "data-schema.schema.json"])
def test_every_key_of_the_schemas_has_a_row_with_its_description(name: str) -> None:
    page = REFERENCE.read_text(encoding="utf-8")
    doc = schema(name)
    missing = sorted({k for k in property_names(doc) if f"| `{k}` |" not in page})
    assert missing == []
    for row in re.findall(r"^\| `\w+` \|.*\|$", page, flags=re.MULTILINE):
        assert not row.endswith("|  |"), f"a key without a description: {row}"


def test_every_metric_of_the_registry_is_named_in_the_reference() -> None:
    page = REFERENCE.read_text(encoding="utf-8")
    assert [m for m in REGISTRY if not re.search(rf"\b{m}\b", page)] == []


def yaml_blocks(text: str) -> list[Any]:
    return [yaml.safe_load(b) for b in re.findall(r"^```yaml\n(.*?)^```$", text, re.M | re.S)]


def test_the_reference_shows_the_schemas_examples_as_yaml() -> None:
    blocks = yaml_blocks(REFERENCE.read_text(encoding="utf-8"))
    config, data = schema("config.schema.json"), schema("data-schema.schema.json")
    examples = [*config["examples"], *config["$defs"]["model"]["examples"], *data["examples"]]
    assert sorted(map(json.dumps, blocks)) == sorted(map(json.dumps, examples))


def test_the_example_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "mlci.yml"
    path.write_text(yaml.safe_dump(schema("config.schema.json")["examples"][0]), encoding="utf-8")
    config = load_config(path)
    assert config.name == "churn-model" and len(config.gates) == 7


def test_the_model_examples_are_valid() -> None:
    doc = schema("config.schema.json")
    validator = Draft202012Validator({"$defs": doc["$defs"], "$ref": "#/$defs/model"})
    for example in doc["$defs"]["model"]["examples"]:
        assert list(validator.iter_errors(example)) == [], example


def test_the_example_data_schema_loads(tmp_path: Path) -> None:
    path = tmp_path / "schema.yml"
    path.write_text(yaml.safe_dump(schema("data-schema.schema.json")["examples"][0]))
    checks = load_schema_file(path)
    assert {"column": "signup", "required": True} in checks


SECTIONS = [
    ("drift", DriftConfig),
    ("predictions", PredictionsConfig),
    ("model_file", ModelFileConfig),
    ("model", ModelConfig),
    ("gate", GateConfig),
    ("budgets", BudgetsConfig),
    ("baseline", BaselineConfig),
    ("store", StoreConfig),
    ("stats", StatsConfig),
    ("report", ReportConfig),
    ("release", ReleaseConfig),
    ("override", OverrideConfig),
    ("monitor", MonitorConfig),
    ("monitor_data", MonitorDataConfig),
    ("monitor_predictions", MonitorPredictionsConfig),
    ("monitor_labels", MonitorLabelsConfig),
]


def as_json(value: Any) -> Any:
    if isinstance(value, Thresholds):
        return {"warn": value.warn, "fail": value.fail}
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize(("where", "cls"), SECTIONS)
def test_the_schemas_defaults_are_the_codes(where: str, cls: type) -> None:
    """A stated default is the one the loader applies, and every plain default is stated."""
    node = schema("config.schema.json")["$defs"][where]["properties"]
    for field in dataclasses.fields(cls):
        if field.name not in node or field.default is dataclasses.MISSING:
            continue
        code = as_json(field.default)
        if isinstance(code, (bool, int, float, str, dict)) and code != "":
            assert node[field.name].get("default") == code, field.name
        else:
            assert "default" not in node[field.name], field.name


def test_the_deploy_timeout_default_is_the_codes() -> None:
    deploy = schema("config.schema.json")["$defs"]["release"]["properties"]["deploy"]
    timeout = next(f for f in dataclasses.fields(DeployConfig) if f.name == "timeout_minutes")
    assert deploy["properties"]["timeout_minutes"]["default"] == timeout.default


# --- the other pages -------------------------------------------------------------------------


def test_every_action_input_and_output_is_documented() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    page = (DOCS / "github-actions.md").read_text(encoding="utf-8")
    names = [*action["inputs"], *action["outputs"]]
    assert [n for n in names if f"| `{n}` |" not in page] == []


def test_every_config_snippet_in_the_pages_is_valid(tmp_path: Path) -> None:
    """Each YAML block made of mlci.yml's keys (not a workflow) loads, a name added if needed."""
    keys = set(schema("config.schema.json")["properties"])
    found = []
    for page in PAGES:
        if page != REFERENCE:
            for block in yaml_blocks(page.read_text(encoding="utf-8")):
                if isinstance(block, dict) and "jobs" not in block and set(block) <= keys:
                    found.append((page.name, block))
    assert {name for name, _ in found} >= {"README.md", "releasing.md", "github-actions.md"}
    for _, snippet in found:
        path = tmp_path / "mlci.yml"
        path.write_text(yaml.safe_dump({"name": "m", **snippet}), encoding="utf-8")
        load_config(path)  # a ConfigError names the key that is wrong


def test_the_readme_is_a_short_front_door() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.encode()) < 20_000
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    for section in ("Quickstart", "Add mlci to your repository", "Documentation"):
        assert section in headings
    assert "scripts/demo" in text and "scripts/test " in text  # the two commands


def headings(text: str) -> list[str]:
    """GitHub's anchors of a page's headings (code blocks skipped)."""
    seen: dict[str, int] = {}
    anchors = []
    for line in re.sub(r"^```.*?^```$", "", text, flags=re.M | re.S).splitlines():
        found = re.match(r"^#{1,6} (.+)$", line)
        if found:
            slug = re.sub(r"[^\w\- ]", "", found[1].lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.append(slug if n == 0 else f"{slug}-{n}")
    return anchors


def links(text: str) -> Iterator[str]:
    prose = re.sub(r"^```.*?^```$", "", text, flags=re.M | re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if not re.match(r"^[a-z]+:", target):
            yield target


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves(page: Path) -> None:
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists() or (
            anchor and file.suffix == ".md" and anchor not in headings(file.read_text("utf-8"))
        ):
            broken.append(target)
    assert broken == []


def test_every_test_file_security_md_names_exists() -> None:
    """SECURITY.md names the test that holds each line of the threat model: each must exist."""
    named = set(re.findall(r"`(tests/[\w/.-]+)`", (REPO / "SECURITY.md").read_text()))
    assert named, "SECURITY.md names no test"
    assert sorted(p for p in named if not (REPO / p).exists()) == []


TEMPLATE_EXCERPT = re.compile(
    r"<!-- template: (workflows-templates/[\w.-]+\.yml) -->\n```yaml\n(.*?)^```$", re.S | re.M
)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_workflow_excerpts_are_the_templates_verbatim(page: Path) -> None:
    """A workflow shown in the README or the docs is a template, copied by scripts/sync-templates
    after a marker line, so the two cannot drift; any other workflow block naming the mlci
    action would be a hand-made copy."""
    text = page.read_text(encoding="utf-8")
    for name, shown in TEMPLATE_EXCERPT.findall(text):
        assert shown == (REPO / name).read_text(encoding="utf-8"), (
            f"{page.name}: run sync-templates"
        )
    unmarked = TEMPLATE_EXCERPT.sub("", text)
    for block in re.findall(r"^```yaml\n(.*?)^```$", unmarked, flags=re.S | re.M):
        assert "uses: mlci-dev/mlci@" not in block or block.count("\n") <= 3, (
            f"{page.name}: a hand-made workflow with the mlci step; show the template instead"
        )


def test_the_readme_shows_the_pull_request_template_and_the_walk_through() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "<!-- template: workflows-templates/pull-request.yml -->" in text
    assert "(docs/first-project.md)" in text
    walk = (REPO / "docs" / "first-project.md").read_text(encoding="utf-8")
    assert "<!-- template: workflows-templates/pull-request.yml -->" in walk
    assert "Produce the predictions or the model that mlci evaluates" in walk
