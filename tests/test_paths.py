"""Every path a config names resolves inside the repository (mlci.paths, mlci.config).

An outside file holds a sentinel string; every hostile form of every path key must exit 2 with
one line naming the key, the path and the rule, and the sentinel must appear in no output. A
control run first shows that the sentinel does reach the outputs when such a file is read, so
the absence checked below means something.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlci.cli import main
from mlci.config import configured_paths, load_config
from mlci.errors import ConfigError, RecordError
from mlci.paths import leads_outside, real, repository_of
from mlci.records.format import Record
from mlci.records.store import DirStore
from mlci.release.bundle import source_files, write_bundle
from mlci.yamlfile import packaged_schema

SENTINEL = "SENTINEL7F3A"
SHA = "3f2c1ab" + "0" * 33


pytestmark = pytest.mark.integration  # real git repositories in tmp_path


def git(repo: Path, *args: str) -> None:
    identity = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    identity |= {"GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    subprocess.run(["git", *args], cwd=repo, env={**os.environ, **identity}, check=True)


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def files_holding(folder: Path, text: str) -> list[Path]:
    """The regular files under ``folder`` (symlinks not followed) whose bytes contain ``text``."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and text.encode() in path.read_bytes():
            found.append(path)
    return found


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the repository, every file of it holding the sentinel."""
    folder = tmp_path / "outside"
    (folder / "records" / "m").mkdir(parents=True)
    (folder / "secret.csv").write_text(f"a,label,score\n{SENTINEL},1,0.9\nx,0,0.2\n")
    (folder / "schema.yml").write_text(f"version: 1\ncolumns:\n  {SENTINEL}: {{type: integer}}\n")
    (folder / "metrics.json").write_text(json.dumps({SENTINEL: 0.5}))
    (folder / "preds.csv").write_text(f"y_true,y_score\n1,0.9\n0,0.1\n# {SENTINEL}\n")
    (folder / "model.skops").write_text(SENTINEL)
    (folder / "asset.txt").write_text(SENTINEL)
    (folder / "records" / "m" / f"{SHA}.json").write_text(SENTINEL)
    return folder


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with a small valid project, as the working directory."""
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "data" / "eval.csv").write_text("a,label,score\nx,1,0.9\nx,0,0.2\n")
    monkeypatch.chdir(root)
    return root


# (key path, outside file, config with {x} where the path goes, line of the key)
KEYS = [
    ("datasets.eval.path", "secret.csv", "datasets:\n  eval: {{path: {x}}}\n", 3),
    (
        "datasets.eval.schema",
        "schema.yml",
        "datasets:\n  eval:\n    path: data/eval.csv\n    schema: {x}\n",
        5,
    ),
    ("model.metrics_file", "metrics.json", "model:\n  task: binary\n  metrics_file: {x}\n", 4),
    (
        "model.metrics_file[1]",
        "metrics.toml",
        "model:\n  task: binary\n  metrics_file:\n    - ok.json\n    - {x}\n",
        6,
    ),
    ("model.dvc_metrics", "dvc.yaml", "model:\n  task: binary\n  dvc_metrics: {x}\n", 4),
    (
        "model.predictions.path",
        "preds.csv",
        "model:\n  task: binary\n  predictions:\n    path: {x}\n    y_score: y_score\n",
        5,
    ),
    (
        "model.model.path",
        "model.skops",
        "datasets:\n  eval: {{path: data/eval.csv}}\n"
        "model:\n  task: binary\n  model: {{path: {x}, data: eval, target: label}}\n",
        6,
    ),
    ("baseline.store.path", "records", "baseline:\n  store: {{type: dir, path: {x}}}\n", 3),
    ("release.assets[0]", "asset.txt", "release:\n  assets:\n    - {x}\n", 4),
]
FORMS = ["dotdot", "absolute", "symlink", "symlinked_dir", "system"]


def hostile_path(form: str, name: str, repo: Path, outside: Path) -> tuple[str, Path]:
    """The path as written in the config, and the outside file it leads to."""
    if form == "dotdot":
        return f"../outside/{name}", outside / name
    if form == "absolute":
        return str(outside / name), outside / name
    if form == "symlink":
        (repo / f"link-{name}").symlink_to(outside / name)
        return f"link-{name}", outside / name
    if form == "symlinked_dir":
        (repo / "linkdir").symlink_to(outside, target_is_directory=True)
        return f"linkdir/{name}", outside / name
    target = Path("/etc") if name == "records" else Path("/etc/passwd")
    return str(target), target


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("key", "name", "template", "line"), KEYS, ids=[k[0] for k in KEYS])
def test_a_path_leading_outside_the_repository_is_refused(
    repo: Path, outside: Path, key: str, name: str, template: str, line: int, form: str
) -> None:
    written, target = hostile_path(form, name, repo, outside)
    (repo / "mlci.yml").write_text("name: m\n" + template.format(x=written))
    code, out, err = run_cli("run", "--output-dir", "out")
    assert (code, out) == (2, "")
    assert err == (
        f"mlci: error: mlci.yml:{line}: {key}: {written!r} resolves to {real(target)}: "
        f"it must resolve inside the repository {real(repo)}.\n"
    )
    assert not (repo / "out").exists()
    assert files_holding(repo, SENTINEL) == []


def test_control_the_sentinel_reaches_every_output_when_such_files_are_read(
    repo: Path, outside: Path
) -> None:
    """Copied inside, the same files are read and the sentinel shows in the report and record."""
    shutil.copy(outside / "secret.csv", repo / "data" / "secret.csv")
    shutil.copy(outside / "metrics.json", repo / "metrics.json")
    (repo / "mlci.yml").write_text(
        "name: m\ndatasets:\n  eval:\n    path: data/secret.csv\n"
        "    checks: [{column: a, allowed: [x]}]\n"
        "model: {task: binary, metrics_file: metrics.json}\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "control")
    code, _, err = run_cli("run", "--output-dir", "out", "--no-html", "--no-store")
    assert (code, err) == (1, "")
    holding = {p.name for p in files_holding(repo / "out", SENTINEL)}
    assert {"report.md", "report.json", "record.json"} <= holding


def test_a_config_file_that_is_a_symlink_to_outside_is_refused(repo: Path, outside: Path) -> None:
    (outside / "mlci.yml").write_text(f"name: {SENTINEL}\n")
    (repo / "mlci.yml").symlink_to(outside / "mlci.yml")
    code, out, err = run_cli("validate")
    assert (code, out) == (2, "")
    assert err == (
        f"mlci: error: mlci.yml: the config file 'mlci.yml' resolves to "
        f"{real(outside / 'mlci.yml')}: it must resolve inside the repository {real(repo)}.\n"
    )


def test_a_release_of_an_outside_asset_is_refused(repo: Path, outside: Path) -> None:
    (repo / "mlci.yml").write_text("name: m\nrelease:\n  assets: [../outside/asset.txt]\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release")
    git(repo, "tag", "v1.0.0")
    code, out, err = run_cli("release", "--dry-run", "--tag", "v1.0.0", "--output-dir", "out")
    assert (code, out) == (2, "")
    assert err.startswith("mlci: error: mlci.yml:3: release.assets[0]: '../outside/asset.txt' ")
    assert not (repo / "out").exists()


def test_an_asset_turned_into_a_symlink_after_loading_is_not_bundled(
    repo: Path, outside: Path, tmp_path: Path
) -> None:
    (repo / "assets").mkdir()
    (repo / "assets" / "notes.txt").write_text("release notes")
    (repo / "mlci.yml").write_text("name: m\nrelease:\n  assets: [assets/notes.txt]\n")
    config = load_config(repo / "mlci.yml")
    sources = source_files(config)
    (repo / "assets" / "notes.txt").unlink()
    (repo / "assets" / "notes.txt").symlink_to(outside / "asset.txt")
    bundle = tmp_path / "bundle"
    with pytest.raises(ConfigError) as info:
        write_bundle(bundle, sources, {}, config=config)
    assert str(info.value) == (
        f"mlci.yml:3: release.assets[0]: 'assets/notes.txt' resolves to "
        f"{real(outside / 'asset.txt')}: it must resolve inside the repository {real(repo)}."
    )
    assert files_holding(bundle, SENTINEL) == []


def test_inside_paths_through_symlinks_and_dotdot_are_accepted(repo: Path) -> None:
    """Symlinks and ``..`` that stay inside are fine (a DVC or git-annex cache in the repo)."""
    (repo / "cache").mkdir()
    (repo / "cache" / "abc123").write_text("a,label\nx,1\n")
    (repo / "data" / "linked.csv").symlink_to(repo / "cache" / "abc123")
    (repo / "ml").mkdir()
    (repo / "ml" / "mlci.yml").write_text(
        "name: m\ndatasets:\n  a: {path: ../data/linked.csv}\n  b: {path: ../data/./eval.csv}\n"
    )
    config = load_config(repo / "ml" / "mlci.yml")
    assert config.repository == repo
    assert config.datasets["a"].path == repo / "data" / "linked.csv"
    assert config.datasets["a"].format == "csv"  # from the name as written, not the cache's


def test_the_repository_is_found_as_written_not_through_symlinks(
    tmp_path: Path, outside: Path
) -> None:
    """A folder of the repository that is a symlink to outside does not move the repository."""
    root = tmp_path / "r"
    (root / ".git").mkdir(parents=True)
    (outside / "sub").mkdir()
    (root / "sub").symlink_to(outside / "sub", target_is_directory=True)
    assert repository_of(root / "sub") == root
    assert leads_outside(root / "sub" / "mlci.yml", root) == real(outside / "sub" / "mlci.yml")
    assert repository_of(tmp_path / "no-git") == tmp_path / "no-git"


def test_every_path_of_the_schema_is_checked() -> None:
    """configured_paths lists every key the schema declares as a path (``#/$defs/path``)."""
    schema = json.dumps(packaged_schema("config.schema.json"))
    refs = schema.count('"$ref": "#/$defs/path"')
    model = {"metrics_file": "c", "predictions": {"path": "d"}, "model": {"path": "e"}}
    doc: dict[str, Any] = {
        "datasets": {"d": {"path": "a", "schema": "b"}},
        "model": {**model, "dvc_metrics": "j", "dvc_params": "k"},
        "baseline": {"store": {"path": "f"}},
        "release": {"assets": ["g"]},
        "monitor": {"data": {"d": {"path": "h"}}, "labels": {"path": "i"}},
    }
    listed = dict(configured_paths({"model": {"metrics_file": ["c", "c2"]}}))
    assert listed == {"model.metrics_file[0]": "c", "model.metrics_file[1]": "c2"}
    # metrics_file is a path or a list of paths: two references to #/$defs/path
    assert len(dict(configured_paths(doc))) + 1 == refs == 12


def test_a_symlinked_folder_inside_the_record_store_is_refused(repo: Path, outside: Path) -> None:
    store = DirStore(repo / ".mlci" / "records")
    store.path.mkdir(parents=True)
    (store.path / "m").symlink_to(outside / "records" / "m", target_is_directory=True)
    with pytest.raises(RecordError, match=r"leads to .*outside the record store"):
        store.get("m", SHA)
    record = Record.from_dict(
        {
            "schema_version": 1,
            "name": "m",
            "commit": "a" * 40,
            "ref": "refs/heads/main",
            "created_at": "2024-05-01T12:00:00Z",
            "config_hash": "sha256:abc",
            "tool_version": "0.1.0",
            "environment": {},
            "datasets": {},
            "model": None,
            "gates": [],
            "checks": [],
            "verdict": "pass",
        },
        source="in a test",
    )
    with pytest.raises(RecordError, match=r"leads to .*outside the record store"):
        store.put(record)
    assert os.listdir(outside / "records" / "m") == [f"{SHA}.json"]


# --- outputs named on the command line --------------------------------------------------


@pytest.fixture
def committed(repo: Path) -> Path:
    (repo / "metrics.json").write_text('{"accuracy": 0.9}')
    (repo / "mlci.yml").write_text("name: m\nmodel: {task: binary, metrics_file: metrics.json}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    return repo


def test_an_output_dir_committed_as_a_symlink_to_outside_is_refused(
    committed: Path, outside: Path
) -> None:
    (outside / "out").mkdir()
    (committed / "mlci-out").symlink_to(outside / "out", target_is_directory=True)
    code, out, err = run_cli("run", "--output-dir", "mlci-out", "--no-store")
    assert (code, out) == (2, "")
    assert err == (
        f"mlci: error: --output-dir mlci-out leads to {real(outside / 'out')} through a symlink: "
        f"inside the repository {real(committed)} an output must resolve inside it. Remove the "
        "symlink or choose another path.\n"
    )
    assert os.listdir(outside / "out") == []


def test_a_figures_folder_committed_as_a_symlink_is_refused(committed: Path, outside: Path) -> None:
    (outside / "figs").mkdir()
    (outside / "figs" / "keep.png").write_text(SENTINEL)
    (committed / "mlci-out").mkdir()
    (committed / "mlci-out" / "figures").symlink_to(outside / "figs", target_is_directory=True)
    code, _, err = run_cli("run", "--output-dir", "mlci-out", "--no-store")
    assert code == 2
    assert "--output-dir mlci-out/figures leads to" in err
    assert os.listdir(outside / "figs") == ["keep.png"]


def test_outputs_are_never_written_through_a_planted_temporary_file(
    committed: Path, outside: Path
) -> None:
    (committed / "mlci-out").mkdir()
    (committed / "mlci-out" / ".report.md.tmp").symlink_to(outside / "asset.txt")
    code, _, err = run_cli("run", "--output-dir", "mlci-out", "--no-store", "--no-html")
    assert (code, err) == (0, "")
    assert (outside / "asset.txt").read_text() == SENTINEL
    assert "mlci" in (committed / "mlci-out" / "report.md").read_text()


def test_an_output_dir_outside_the_repository_is_the_users_choice(
    committed: Path, tmp_path: Path
) -> None:
    code, _, err = run_cli("run", "--output-dir", str(tmp_path / "elsewhere"), "--no-store")
    assert (code, err) == (0, "")
    assert (tmp_path / "elsewhere" / "report.json").is_file()


def test_the_config_is_found_up_to_the_repository_top(tmp_path: Path) -> None:
    from mlci.paths import find_config

    top = tmp_path / "project"
    (top / ".git").mkdir(parents=True)
    (top / "src" / "deep").mkdir(parents=True)
    (tmp_path / "mlci.yml").write_text("version: 1\n")  # above the repository: never used
    assert find_config(top / "src" / "deep") == top / "src" / "deep" / "mlci.yml"  # missing
    (top / "mlci.yml").write_text("version: 1\n")
    assert find_config(top / "src" / "deep") == top / "mlci.yml"
    (top / "src" / "mlci.yml").write_text("version: 1\n")
    assert find_config(top / "src" / "deep") == top / "src" / "mlci.yml"  # the nearest


def test_near_miss_knows_typos_and_shortenings() -> None:
    from mlci.yamlfile import near_miss

    assert near_miss("rsme", ["mae", "rmse", "r2"]) == "rmse"
    assert near_miss("pred", ["id", "label", "prediction"], shortening=True) == "prediction"
    assert near_miss("pred", ["id", "label", "prediction"]) is None  # config keys: typos only
    assert near_miss("pred", ["prediction", "predicted_proba"], shortening=True) is None
    assert near_miss("xyz", ["label"]) is None
