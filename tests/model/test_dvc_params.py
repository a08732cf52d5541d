"""DVC params: what changed since the baseline commit equals the real `dvc params diff --json`,
and shows in report.json and the comment, its strings neutralised."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from mlci.cli import main
from mlci.errors import ModelError
from mlci.model.dvc_params import changed_params, flatten, read_params, select, tracked_params
from tests.model.test_dvc import dvc

pytestmark = pytest.mark.integration  # real git repositories and the real dvc CLI

DVC_YAML = """\
params:
  - configs/top.yaml
stages:
  train:
    cmd: python train.py
    params:
      - train.lr
      - configs/model.toml: [model.depth, model.name]
      - configs/extra.json:
    metrics:
      - metrics.json: {cache: false}
  tune:
    cmd: python tune.py
    wdir: sub
    params:
      - alpha
"""

PARAMS_MAIN = """\
seed: 7
train: {lr: 0.01, epochs: 10, layers: [64, 32], optimizer: adam}
unchanged: {a: 1, b: [1, 2]}
dropped: 0.5
"""
PARAMS_FEATURE = """\
seed: 7
train: {lr: 0.02, epochs: 10, layers: [64, 64], optimizer: "@octocat <!-- x --> [a](https://e.x)"}
unchanged: {a: 1, b: [1, 2]}
added: {nested: true}
"""


def write_project(project: Any, params: str, depth: int, untracked: int, alpha: float) -> None:
    project.write("params.yaml", params)
    project.write(
        "configs/model.toml",
        f'[model]\ndepth = {depth}\nname = "gbm"\nwidth = {untracked}\n[other]\nx = 1\n',
    )
    project.write("configs/extra.json", json.dumps({"batch": {"size": 32 + depth}}))
    project.write("configs/top.yaml", f"threshold: {0.5 if depth == 3 else 0.4}\n")
    project.write("sub/params.yaml", f"alpha: {alpha}\nbeta: {untracked}\n")
    project.write("metrics.json", json.dumps({"auc": 0.9}))


def run_mlci(project: Any, out: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["run", "-c", str(project.path / "mlci.yml"), "--output-dir", str(project.path / out)]
    code = main(argv, stdout=stdout, stderr=stderr, environ={})
    return code, stdout.getvalue(), stderr.getvalue()


def dvc_repository(project: Any) -> str:
    """A DVC repository with params in YAML, TOML and JSON, committed on main; then a feature
    branch that changes some of them. Returns main's sha."""
    dvc(project, "init", "-q")
    project.write("dvc.yaml", DVC_YAML)
    project.write("mlci.yml", "name: m\nmodel:\n  task: binary\n  dvc_metrics: true\n")
    project.write(".gitignore", "mlci-out*/\n")
    write_project(project, PARAMS_MAIN, depth=3, untracked=10, alpha=0.1)
    main_sha: str = project.commit("main")
    code, out, err = run_mlci(project, "mlci-out-main")  # on main: the baseline record
    assert (code, err) == (0, ""), out
    project.checkout("-b", "feature")
    write_project(project, PARAMS_FEATURE, depth=4, untracked=99, alpha=0.2)
    project.commit("feature")
    return main_sha


def as_dvc_shows(value: Any) -> Any:
    """DVC prints a list param as Python's str() of it."""
    return str(value) if isinstance(value, list) else value


def test_the_changed_params_equal_dvc_params_diff(git_project):
    main_sha = dvc_repository(git_project)

    code, out, err = run_mlci(git_project, "mlci-out")
    assert (code, err) == (0, ""), out

    report = json.loads((git_project.path / "mlci-out" / "report.json").read_text())
    assert report["baseline"]["commit"] == main_sha
    ours = {
        (p["file"], p["param"]): (as_dvc_shows(p["baseline"]), as_dvc_shows(p["current"]))
        for p in report["params_changed"]
    }
    diff = json.loads(dvc(git_project, "params", "diff", "--json", main_sha, "HEAD"))
    theirs = {
        (file, param): (entry["old"], entry["new"])
        for file, params in diff.items()
        for param, entry in params.items()
    }
    assert ours == theirs
    # the oracle covers every kind of change: a value, a list, text, added, removed, a tracked
    # key of a TOML file (its untracked `width` left out), a whole JSON file, a stage's wdir
    assert set(theirs) == {
        ("params.yaml", "train.lr"),
        ("params.yaml", "train.layers"),
        ("params.yaml", "train.optimizer"),
        ("params.yaml", "added.nested"),
        ("params.yaml", "dropped"),
        ("configs/model.toml", "model.depth"),
        ("configs/extra.json", "batch.size"),
        ("configs/top.yaml", "threshold"),
        ("sub/params.yaml", "alpha"),
    }
    assert report["params_changed"][0] == {
        "file": "configs/extra.json",
        "param": "batch.size",
        "baseline": 35,
        "current": 36,
    }


def test_the_comment_shows_the_changed_params_neutralised(git_project):
    dvc_repository(git_project)
    code, out, err = run_mlci(git_project, "mlci-out")
    assert (code, err) == (0, ""), out

    comment = (git_project.path / "mlci-out" / "report.md").read_text()
    block = comment.split("**Params changed**", 1)[1].split("\n\n")
    assert block[0] == " (as `dvc params diff`)"
    rows = block[1].splitlines()
    assert rows[0] == "| Param | main | this PR |"
    assert "| `params.yaml:train.lr` | `0.01` | `0.02` |" in rows
    assert "| `params.yaml:dropped` | `0.5` | — |" in rows
    assert "| `params.yaml:train.layers` | `[64, 32]` | `[64, 64]` |" in rows
    optimizer = next(r for r in rows if "train.optimizer" in r)
    assert "@octocat" not in optimizer and "<!--" not in optimizer and "](" not in optimizer
    assert "octocat" in optimizer and "https" in optimizer  # shown, inert
    assert comment.count("<!--") == 1  # only the sticky comment's own marker
    assert "width" not in comment and "beta" not in comment  # untracked params stay out


def test_nothing_changed_shows_nothing(git_project):
    dvc_repository(git_project)
    git_project.checkout("main")
    git_project.checkout("-b", "docs-only")
    git_project.write("README.md", "docs\n")
    git_project.commit("docs")
    code, out, err = run_mlci(git_project, "mlci-out")
    assert (code, err) == (0, ""), out
    report = json.loads((git_project.path / "mlci-out" / "report.json").read_text())
    assert report["params_changed"] == []
    assert "Params changed" not in (git_project.path / "mlci-out" / "report.md").read_text()


def test_dvc_params_false_turns_it_off_and_true_works_beside_any_source(git_project):
    dvc_repository(git_project)
    git_project.write(
        "mlci.yml", "name: m\nmodel:\n  task: binary\n  dvc_metrics: true\n  dvc_params: false\n"
    )
    code, out, err = run_mlci(git_project, "off")
    assert (code, err) == (0, ""), out
    assert (
        json.loads((git_project.path / "off" / "report.json").read_text())["params_changed"] == []
    )
    git_project.write(
        "mlci.yml",
        "name: m\nmodel:\n  task: binary\n  metrics_file: metrics.json\n  dvc_params: true\n",
    )
    code, out, err = run_mlci(git_project, "on")
    assert (code, err) == (0, ""), out
    changed = json.loads((git_project.path / "on" / "report.json").read_text())["params_changed"]
    assert ("params.yaml", "train.lr") in {(p["file"], p["param"]) for p in changed}


def test_a_broken_params_file_here_is_one_error_and_at_the_baseline_a_note(git_project):
    dvc_repository(git_project)
    git_project.write("configs/extra.json", "{not json")
    code, _, err = run_mlci(git_project, "broken")
    assert code == 2
    assert "configs/extra.json could not be read" in err and "Traceback" not in err
    assert "`model.dvc_params: false`" in err
    assert not (git_project.path / "broken" / "report.json").exists()


def test_a_broken_params_file_at_the_baseline_is_a_note(git_project):
    dvc(git_project, "init", "-q")
    git_project.write("dvc.yaml", DVC_YAML)
    git_project.write(".gitignore", "o*/\n")
    write_project(git_project, PARAMS_MAIN, depth=3, untracked=10, alpha=0.1)
    git_project.write("configs/extra.json", "{not json")
    git_project.write("mlci.yml", "name: m\nmodel: {task: binary, metrics_file: metrics.json}\n")
    git_project.commit("main")
    assert run_mlci(git_project, "o-main")[0] == 0
    git_project.checkout("-b", "feature")
    git_project.write("configs/extra.json", json.dumps({"batch": {"size": 1}}))
    git_project.write("mlci.yml", "name: m\nmodel: {task: binary, dvc_metrics: true}\n")
    git_project.commit("feature")

    code, out, err = run_mlci(git_project, "o")
    assert (code, err) == (0, ""), out
    report = json.loads((git_project.path / "o" / "report.json").read_text())
    assert report["params_changed"] == []
    assert any(
        "DVC params were not compared with the baseline commit" in n
        and "configs/extra.json could not be read" in n
        for n in report["notes"]
    )


def test_tracked_params_merge_as_dvc_does() -> None:
    document = {
        "params": ["../top.yaml"],
        "stages": {
            "a": {"params": ["lr", {"p.yaml": ["x", "y.z"]}]},
            "b": {"wdir": "w", "params": [{"../p.yaml": None}, "k"]},
        },
    }
    assert tracked_params(document, "pipe/dvc.yaml") == {
        "params.yaml": [],  # the root's, whole
        "top.yaml": [],
        "pipe/params.yaml": ["lr"],
        "pipe/p.yaml": [],  # whole in stage b, so whole
        "pipe/w/params.yaml": ["k"],
    }
    nested = {"a": {"b": 1, "c": [1]}, "d": {}, "e": 2}
    assert select(nested, ["a.b", "e", "missing.key"]) == {"a": {"b": 1}, "e": 2}
    assert flatten(nested) == {"a.b": 1, "a.c": [1], "d": {}, "e": 2}
    old = {"f": {"x": 1, "y": None, "z": "s"}}
    new = {"f": {"x": 1.0, "z": "t"}, "g": {"w": [1]}}
    assert [(c.file, c.param, c.baseline, c.current) for c in changed_params(old, new)] == [
        ("f", "z", "s", "t"),
        ("g", "w", None, [1]),
    ]


def test_malformed_dvc_yaml_and_params_are_refused(tmp_path: Path) -> None:
    files: dict[str, bytes] = {}
    read = files.get
    cases = {
        "params: {a: 1}\n": "`params` must be a list",
        "params: [../../x.yaml]\n": "is outside the repository",
        "stages:\n  t:\n    foreach: [a, b]\n    do: {cmd: x}\n": "is templated",
        "stages: {t: {params: [{p.yaml: 3}]}}\n": "expected a list of keys",
        "stages: {t: {params: [{p.py: [a]}]}}\n": "is not YAML, JSON or TOML",
        "stages: {t: {params: [{'${f}.yaml': [a]}]}}\n": "templated params",
    }
    for text, message in cases.items():
        files["dvc.yaml"] = text.encode()
        with pytest.raises(ModelError, match=message.replace("$", r"\$").replace("{", r"\{")):
            read_params(read, "dvc.yaml", "here")
    files["dvc.yaml"] = b"stages: {t: {params: [{p.yaml: [a]}]}}\n"
    for content, message in {
        b"- a\n- b\n": "expected a mapping of params",
        b"a: [\n": "p.yaml",
        b"a: &x [*x]\n": "p.yaml",
        b"\xff\xfe": "could not be read",
    }.items():
        files["p.yaml"] = content
        with pytest.raises(ModelError, match=message):
            read_params(read, "dvc.yaml", "here")
    files["p.yaml"] = b"a: {b: 1}\nc: 2\n"
    assert read_params(read, "dvc.yaml", "here") == {"p.yaml": {"a.b": 1}}
