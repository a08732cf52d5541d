"""`mlci init` in a real git repository: the files it writes load (config, schema) and lint
(workflows), nothing existing is overwritten without --force, and a re-run shows the diff."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mlci.cli import main
from mlci.commands.init import packaged_template
from mlci.config import load_config
from mlci.data.schema_file import load_schema_file

pytestmark = pytest.mark.integration  # `mlci init` in real git repositories, actionlint

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "workflows-templates"
PACKAGED = REPO / "mlci" / "templates" / "workflows"
BIN = Path(sys.executable).parent
PLACEHOLDER = "mlci-dev/mlci@0000000000000000000000000000000000000000 # v0.1.0"
SHA = "0123456789abcdef0123456789abcdef01234567"


def mlci(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def git_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "symbolic-ref", "HEAD", f"refs/heads/{branch}"], cwd=path, check=True)
    return path


def train(n: int = 100) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [18 + (i * 7) % 70 for i in range(n)],
            "plan": [("basic", "pro", "team")[i % 3] for i in range(n)],
            "churned": [1 if i % 5 == 0 else 0 for i in range(n)],
        }
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = git_repo(tmp_path / "churn-model")
    (root / "data").mkdir()
    train().to_csv(root / "data" / "train.csv", index=False)
    pd.DataFrame({"label": [0, 1, 1], "pred": [0, 1, 0], "score": [0.1, 0.9, 0.4]}).to_csv(
        root / "preds.csv", index=False
    )
    monkeypatch.chdir(root)
    return root


# --- the packaged templates ----------------------------------------------------------------


def test_packaged_templates_are_byte_identical_to_workflows_templates() -> None:
    names = sorted(p.name for p in TEMPLATES.glob("*.yml"))
    assert sorted(p.name for p in PACKAGED.glob("*.yml")) == names, "run scripts/sync-templates"
    for name in names:
        assert (PACKAGED / name).read_bytes() == (TEMPLATES / name).read_bytes(), (
            f"{name} differs: run scripts/sync-templates"
        )
        assert packaged_template(name) == (TEMPLATES / name).read_text(encoding="utf-8")


def test_the_templates_are_package_data() -> None:
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "templates/workflows/*.yml" in config["tool"]["setuptools"]["package-data"]["mlci"]


# --- a first run ---------------------------------------------------------------------------


EXPECTED_CONFIG = """\
# yaml-language-server: $schema=https://raw.githubusercontent.com/mlci-dev/mlci/main/mlci/jsonschemas/config.schema.json
# mlci config, written by `mlci init`: review it, then commit it with .mlci/ and
# .github/workflows/. Every key is described in mlci's docs/configuration.md.
version: 1
name: churn-model             # the PR comment's title; status mlci/NAME

datasets:                     # checked on every PR; drift against main's profile
  train:
    path: data/train.csv
    schema: .mlci/schema.yml  # inferred: review it

model:
  task: binary
  predictions: {path: preds.csv, y_true: label, y_pred: pred, y_score: score}

gates:
  # A starter gate: a PR fails when roc_auc changes for the worse by more than 0.01 against the
  # baseline (the record of its merge base with main). With per-example predictions, only when the
  # whole 95% interval of the change is beyond that (stats.mode: lenient); a change mlci cannot
  # tell from noise is reported as inconclusive. Add a floor (`min:`) and more metrics as you
  # learn what matters.
  - {metric: roc_auc, max_regression: 0.01}

baseline:
  branch: main                # PRs are compared with its records
"""


def test_init_writes_a_config_a_schema_and_workflows(repo: Path) -> None:
    code, out, _ = mlci(
        "init", "data/train.csv", "--target", "churned", "--predictions", "preds.csv"
    )
    assert code == 0
    assert out.startswith(
        "Wrote mlci.yml\n"
        "Wrote .mlci/schema.yml\n"
        "Wrote .github/workflows/mlci-pull-request.yml\n"
        "Wrote .github/workflows/mlci-main.yml\n"
        "Wrote .github/workflows/mlci-release.yml\n"
        "\nNext:\n"
    )
    assert (
        "replace 0000000000000000000000000000000000000000 in `uses: mlci-dev/mlci@…` with the full "
        "commit SHA of the mlci release you use" in out
    )
    assert (repo / "mlci.yml").read_text() == EXPECTED_CONFIG
    config = load_config(repo / "mlci.yml")
    assert config.datasets["train"].path == repo / "data" / "train.csv"
    assert config.datasets["train"].schema == repo / ".mlci" / "schema.yml"
    assert config.model is not None and config.model.predictions is not None
    assert (config.model.task, config.model.predictions.y_score) == ("binary", "score")
    assert [(g.metric, g.max_regression) for g in config.gates] == [
        ("roc_auc", config.gates[0].max_regression)
    ]
    checks = load_schema_file(repo / ".mlci" / "schema.yml")
    assert {"label": "churned", "min_class_share": 0.1, "new_labels": "warn"} in checks
    for name in ("pull-request.yml", "main.yml", "release.yml"):
        written = (repo / ".github" / "workflows" / f"mlci-{name}").read_text()
        assert written == (TEMPLATES / name).read_text()
        assert PLACEHOLDER in written


def test_the_written_workflows_pass_actionlint(repo: Path) -> None:
    assert mlci("init", "--action-sha", SHA)[0] == 0
    proc = subprocess.run(
        [str(BIN / "actionlint"), "-format", "{{json .}}"],
        capture_output=True,
        text=True,
        cwd=repo,
        check=False,
        env={"PATH": f"{BIN}:/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == []
    assert sorted(p.name for p in (repo / ".github" / "workflows").iterdir()) == [
        "mlci-main.yml",
        "mlci-pull-request.yml",  # no model: no release workflow
    ]


def test_the_project_validates_against_its_own_profile(repo: Path) -> None:
    mlci("init", "data/train.csv", "--target", "churned")
    assert mlci("profile", "data/train.csv", "--name", "train", "-o", "ref.json")[0] == 0
    code, out, _ = mlci("validate", "--against", "ref.json")
    assert code == 0
    assert out.endswith("0 failed.\nreport: mlci-out/report.json\nmlci: PASS\n")


# --- running it again ----------------------------------------------------------------------


def test_a_rerun_shows_the_diff_and_overwrites_nothing(repo: Path) -> None:
    mlci("init", "data/train.csv")
    config = repo / "mlci.yml"
    edited = config.read_text().replace("name: churn-model ", "name: my-model    ")
    config.write_text(edited)
    schema = (repo / ".mlci" / "schema.yml").read_text()
    frame = train()
    frame.loc[0, "age"] = 200
    frame.to_csv(repo / "data" / "train.csv", index=False)

    code, out, _ = mlci("init", "data/train.csv")
    assert code == 0
    assert config.read_text() == edited
    assert (repo / ".mlci" / "schema.yml").read_text() == schema
    assert out.startswith(
        "Unchanged .github/workflows/mlci-pull-request.yml\n"
        "Unchanged .github/workflows/mlci-main.yml\n"
        "\nmlci.yml differs from what mlci init would write:\n"
        "--- mlci.yml (now)\n+++ mlci.yml (new)\n"
    )
    assert "-name: my-model                # the PR comment's title" in out
    assert (
        "\n.mlci/schema.yml differs from what mlci init would write:\n"
        ".mlci/schema.yml would change:\n"
        "  columns.age.min: 11 → 0 (widened)\n"  # 18..81 became 18..200
        "  columns.age.max: 88 → 219 (widened)\n"
    ) in out
    assert (
        "\nNot overwritten: 2 existing files (above). Run `mlci init --force` to overwrite, "
        "losing edits made by hand.\n"
    ) in out

    code, out, _ = mlci("init", "data/train.csv", "--force")
    assert code == 0
    assert "Overwrote mlci.yml\nOverwrote .mlci/schema.yml\n" in out
    assert "name: churn-model" in config.read_text()
    assert "    max: 219 " in (repo / ".mlci" / "schema.yml").read_text()


def test_an_existing_workflow_is_not_overwritten(repo: Path) -> None:
    workflow = repo / ".github" / "workflows" / "mlci-main.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: mine\n")
    mlci("init")
    assert workflow.read_text() == "name: mine\n"
    mlci("init", "--force")
    assert workflow.read_text() == (TEMPLATES / "main.yml").read_text()


# --- options -------------------------------------------------------------------------------


def test_action_sha_pins_every_workflow(repo: Path) -> None:
    code, out, _ = mlci(
        "init", "--forks", "--action-sha", SHA, "--metrics-file", "m.json", "--task", "regression"
    )
    assert code == 0
    assert "Pin the action" not in out
    names = sorted(p.name for p in (repo / ".github" / "workflows").iterdir())
    assert names == [
        "mlci-fork-comment.yml",
        "mlci-fork-pull-request.yml",
        "mlci-main.yml",
        "mlci-release.yml",
    ]
    for path in (repo / ".github" / "workflows").iterdir():
        text = path.read_text()
        assert f"mlci-dev/mlci@{SHA} # " in text and "0" * 40 not in text


def test_a_bad_action_sha_is_refused(repo: Path) -> None:
    code, _, err = mlci("init", "--action-sha", "v0.1.0")
    assert (code, err) == (
        2,
        "mlci: error: --action-sha 'v0.1.0': expected the full 40-character "
        "commit SHA of an mlci release (lowercase hex), as in its release "
        "notes.\n",
    )


def test_master_is_the_baseline_branch_of_a_master_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = git_repo(tmp_path / "legacy", branch="master")
    monkeypatch.chdir(root)
    mlci("init")
    assert load_config(root / "mlci.yml").baseline.branch == "master"
    main_yml = (root / ".github" / "workflows" / "mlci-main.yml").read_text()
    assert "    branches: [master]\n" in main_yml and "branches: [main]" not in main_yml


@pytest.mark.parametrize(
    ("labels", "task", "metric"),
    [
        ([0, 1], "binary", "roc_auc"),
        (["a", "b", "c"], "multiclass", "accuracy"),
        ([0.5, 1.25, 2.0, 3.5], "regression", "rmse"),
    ],
)
def test_the_task_comes_from_the_target(
    repo: Path, labels: list[Any], task: str, metric: str
) -> None:
    frame = train().assign(y=[labels[i % len(labels)] for i in range(100)])
    frame.to_csv(repo / "data" / "eval.csv", index=False)
    (repo / "model.skops").write_bytes(b"")
    assert mlci("init", "data/eval.csv", "--target", "y", "--model", "model.skops")[0] == 0
    config = load_config(repo / "mlci.yml")
    assert config.model is not None and config.model.model is not None
    assert config.model.task == task
    assert (config.model.model.data, config.model.model.target) == ("eval", "y")
    assert config.gates[0].metric == metric
    if task == "regression":
        assert config.gates[0].max_regression is not None
        assert config.gates[0].max_regression.relative == 0.05


def test_the_gate_metric_comes_from_the_metrics_file(repo: Path) -> None:
    (repo / "metrics.json").write_text(json.dumps({"test": {"f1": 0.8, "loss": 0.3}}))
    assert mlci("init", "--metrics-file", "metrics.json", "--task", "binary")[0] == 0
    config = load_config(repo / "mlci.yml")
    assert config.model is not None and config.model.metrics_file == repo / "metrics.json"
    assert config.gates[0].metric == "test.f1"


def test_several_datasets_get_a_schema_each(repo: Path) -> None:
    train().to_csv(repo / "data" / "eval.csv", index=False)
    assert mlci("init", "data/train.csv", "data/eval.csv")[0] == 0
    config = load_config(repo / "mlci.yml")
    assert {n: d.schema for n, d in config.datasets.items()} == {
        "train": repo / ".mlci" / "schema-train.yml",
        "eval": repo / ".mlci" / "schema-eval.yml",
    }
    for dataset in config.datasets.values():
        assert dataset.schema is not None
        load_schema_file(dataset.schema)


def test_init_from_a_subdirectory_writes_at_the_top(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "data")
    code, out, _ = mlci("init", "train.csv")
    assert code == 0
    assert "Wrote ../mlci.yml\n" in out
    assert load_config(repo / "mlci.yml").datasets["train"].path == repo / "data" / "train.csv"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--predictions", "p.csv", "--model", "m.skops", "--task", "binary"],
            "Give at most one of --predictions, --metrics-file and --model (the model "
            "section takes exactly one).",
        ),
        (
            ["--predictions", "preds.csv"],
            "The model section needs a task: give --task binary, multiclass or "
            "regression (or --target COL with a DATA file, to infer it from the labels).",
        ),
        (
            ["data/train.csv", "--model", "m.skops", "--task", "binary"],
            "--model needs --target COL and a DATA file with that column (the data the "
            "model is evaluated on).",
        ),
        (
            ["data/train.csv", "--target", "label"],
            "--target 'label' is not a column of data/train.csv.",
        ),
        (
            ["data/missing.csv"],
            "{root}/data/missing.csv: file not found. Give a CSV, Parquet or JSON lines file.",
        ),
    ],
)
def test_bad_input_is_one_line(repo: Path, args: list[str], message: str) -> None:
    code, _, err = mlci("init", *args)
    assert code == 2
    assert err.splitlines()[0].startswith(f"mlci: error: {message.format(root=repo)}")
    assert err.count("\n") == 1
    assert not (repo / "mlci.yml").exists()


def test_outside_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = mlci("init")
    assert (code, err) == (
        2,
        f"mlci: error: {tmp_path} is not inside a git "
        "repository. Run it in your project's checkout (or `git init` first): "
        "mlci compares commits.\n",
    )


def test_data_outside_the_repository(repo: Path, tmp_path: Path) -> None:
    train().to_csv(tmp_path / "elsewhere.csv", index=False)
    code, _, err = mlci("init", str(tmp_path / "elsewhere.csv"))
    assert code == 2
    assert "is outside the repository" in err


def test_a_pickled_model_gets_a_warning_comment(repo: Path) -> None:
    assert mlci("init", "data/train.csv", "--target", "churned", "--model", "model.pkl")[0] == 0
    text = (repo / "mlci.yml").read_text()
    assert "  model: {path: model.pkl, data: train, target: churned}\n" in text
    assert "  # A pickle runs code when loaded: mlci refuses it unless you add `allow" in text
    assert load_config(repo / "mlci.yml").model is not None


def test_predictions_not_made_yet(repo: Path) -> None:
    assert mlci("init", "--predictions", "out/preds.csv", "--task", "binary")[0] == 0
    text = (repo / "mlci.yml").read_text()
    assert "  predictions: {path: out/preds.csv, y_true: y_true, y_pred: y_pred}\n" in text
    assert "  # out/preds.csv was not found: check the column names above.\n" in text
    assert load_config(repo / "mlci.yml").gates[0].metric == "f1"  # no scores known


class ClosedPipe(io.StringIO):
    """stdout of `mlci init | head -0`: the reader is gone before the first line."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_leaves_every_file_written(repo: Path) -> None:
    args = ["init", "data/train.csv", "--target", "churned", "--predictions", "preds.csv"]
    assert main(args, stdout=ClosedPipe(), stderr=io.StringIO()) == 141
    written = sorted(p.name for p in (repo / ".github" / "workflows").iterdir())
    assert written == ["mlci-main.yml", "mlci-pull-request.yml", "mlci-release.yml"]
    assert (repo / "mlci.yml").read_text() == EXPECTED_CONFIG
    assert (repo / ".mlci" / "schema.yml").is_file()


def test_the_installed_release_pins_every_workflow(repo: Path) -> None:
    from mlci.commands.init import init_command
    from mlci.installed import ActionPin

    pin = ActionPin(SHA, "v0.2.0", known=True)
    out = io.StringIO()
    code = init_command(
        [], metrics_file=repo / "m.json", task="regression", installed=pin, environ={}, stdout=out
    )
    assert code == 0
    assert f"pin the action to `uses: mlci-dev/mlci@{SHA} # v0.2.0`" in out.getvalue()
    assert "Pin the action:" not in out.getvalue()
    for path in (repo / ".github" / "workflows").iterdir():
        assert f"uses: mlci-dev/mlci@{SHA} # v0.2.0\n" in path.read_text()
