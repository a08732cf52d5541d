"""`mlci init`: add mlci to a git repository — a starter ``mlci.yml``, the data schema files
inferred from the data, and the workflow files.

Everything is written relative to the repository's top level. A file that exists is never
overwritten without ``--force``: the command shows how it differs instead, so running it again
on changed data shows what would change. The workflows pin the action to the commit of the
installed mlci when it is known (:mod:`mlci.installed`: a release installed from its git tag or
the package index), or to ``--action-sha``; otherwise they keep the placeholder SHA in
``uses: mlci-dev/mlci@000…`` and the command says how to pin it.
"""

from __future__ import annotations

import importlib.resources
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mlci.commands.profile import dataset_name, profile_file
from mlci.commands.schema import (
    FileUpdate,
    count_unique,
    plan_update,
    report_update,
    shown_path,
)
from mlci.config import DatasetConfig, format_from_suffix
from mlci.data.infer import commented, infer_schema, key_candidates, scalar_text
from mlci.data.progress import make_progress
from mlci.data.read import Source
from mlci.errors import GitError, MlciError
from mlci.files import write_atomic
from mlci.git import current_branch, remote_head_branch, repo_root
from mlci.installed import ACTION, PLACEHOLDER_SHA, ActionPin, action_pin, is_release, version
from mlci.model.load import load_metrics_file
from mlci.model.metrics import higher_is_better
from mlci.yamlfile import packaged_schema

TEMPLATE_USES = f"{ACTION}@{PLACEHOLDER_SHA} # v0.1.0"  # as the templates say it
TEMPLATES = ("pull-request.yml", "main.yml", "release.yml")
FORK_TEMPLATES = ("fork-pull-request.yml", "fork-comment.yml", "main.yml", "release.yml")
CONFIG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_CLASSES = 20

# the columns a predictions file usually has, in order of preference
Y_TRUE = ("y_true", "label", "target", "actual", "truth", "y")
Y_PRED = ("y_pred", "pred", "prediction", "predicted", "yhat", "y_hat")
Y_SCORE = ("y_score", "score", "proba", "probability", "prob", "p1", "y_proba")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


@dataclass(frozen=True)
class Dataset:
    """One dataset of the config: its name, file and schema file (relative to the root)."""

    name: str
    path: str
    schema: str
    profile: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True)
class ModelSection:
    """The `model:` section: its task, the one source line, and comment lines after it."""

    task: str
    source: str  # e.g. "predictions: {path: out/preds.csv, y_true: label}"
    notes: tuple[str, ...] = ()
    scores: bool = False  # the model gives scores or probabilities (for roc_auc)


@dataclass(frozen=True)
class Gate:
    """The starter gate on the task's main metric."""

    metric: str
    rule: str  # e.g. "max_regression: 0.01"
    explanation: tuple[str, ...]


@dataclass(frozen=True)
class ConfigPlan:
    """What the starter mlci.yml says."""

    name: str
    branch: str
    datasets: tuple[Dataset, ...]
    model: ModelSection | None
    gate: Gate | None


def init_command(
    data: Sequence[Path],
    *,
    task: str | None = None,
    target: str | None = None,
    predictions: Path | None = None,
    metrics_file: Path | None = None,
    model: Path | None = None,
    name: str | None = None,
    forks: bool = False,
    action_sha: str | None = None,
    installed: ActionPin | None = None,
    force: bool = False,
    quiet: bool = False,
    cwd: Path | None = None,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> int:
    """Write mlci.yml, the schema files and the workflows; returns the exit code (0).

    The workflows pin the action to ``action_sha``, else to ``installed`` (default: this mlci's
    own commit, when it is known), else keep the placeholder.
    """
    here = (cwd or Path.cwd()).resolve()
    root = _repository(here)
    sources = [p for p in (predictions, metrics_file, model) if p is not None]
    if len(sources) > 1:
        raise MlciError(
            "Give at most one of --predictions, --metrics-file and --model (the "
            "model section takes exactly one)."
        )
    if action_sha is not None and not re.fullmatch(r"[0-9a-f]{40}", action_sha):
        raise MlciError(
            f"--action-sha {action_sha!r}: expected the full 40-character commit SHA of an "
            "mlci release (lowercase hex), as in its release notes."
        )
    datasets, schemas = _datasets(
        [_absolute(p, here) for p in data], root, target, task, quiet, environ, stdout
    )
    task = task or _task_from_data(datasets, target)
    section = _model_section(
        task,
        target,
        datasets,
        root,
        here,
        predictions=predictions,
        metrics_file=metrics_file,
        model=model,
    )
    branch = _default_branch(root)
    metrics_path = None if metrics_file is None else _absolute(metrics_file, here)
    plan = ConfigPlan(
        name=_config_name(name, root),
        branch=branch,
        datasets=tuple(datasets),
        model=section,
        gate=_gate(section, metrics_path, branch),
    )
    files = {root / "mlci.yml": render_config(plan), **schemas}
    pin = _pin(action_sha, installed)
    files.update(_workflows(root, plan, forks=forks, pin=pin))
    updates = [plan_update(path, text) for path, text in files.items()]
    return _apply(updates, force=force, pin=pin, plan=plan, stdout=stdout)


def _pin(action_sha: str | None, installed: ActionPin | None) -> ActionPin:
    """``--action-sha`` wins; its comment names the installed release when this mlci is one
    (the SHA is meant to be that release's), else says where the SHA came from."""
    if action_sha is not None:
        text = version()
        label = f"v{text}" if is_release(text) else "set with mlci init --action-sha"
        return ActionPin(action_sha, label, known=True)
    return installed or action_pin()


# --- the repository and the data -------------------------------------------------------------


def _repository(here: Path) -> Path:

    try:
        return repo_root(here).resolve()
    except GitError:
        raise MlciError(
            f"{here} is not inside a git repository. Run it in your project's "
            "checkout (or `git init` first): mlci compares commits."
        ) from None


def _absolute(path: Path, here: Path) -> Path:
    return path if path.is_absolute() else here / path


def _relative(path: Path, root: Path, flag: str) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        raise MlciError(
            f"{flag} {path} is outside the repository {root}; CI checks out only the "
            "repository, so put the file inside it."
        ) from None


def _datasets(
    paths: Sequence[Path],
    root: Path,
    target: str | None,
    task: str | None,
    quiet: bool,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> tuple[list[Dataset], dict[Path, str]]:
    """The datasets (profiled) and their inferred schema files' texts, by absolute path."""

    datasets: list[Dataset] = []
    schemas: dict[Path, str] = {}
    names: set[str] = set()
    for path in paths:
        relative = _relative(path, root, "DATA")
        name = _unique_name(dataset_name(path, None), names)
        schema = ".mlci/schema.yml" if len(paths) == 1 else f".mlci/schema-{name}.yml"
        progress = make_progress(quiet=quiet, environ=environ, stdout=stdout)
        profile, types = profile_file(path, name=name, progress=progress)
        candidates = key_candidates(profile)
        checked = count_unique(path, candidates, name, None, types) if candidates else {}
        has_target = target is not None and target in profile["columns"]
        draft = infer_schema(
            profile,
            dataset=name,
            source=relative,
            target=target if has_target else None,
            task=task,
            unique=checked,
        )
        datasets.append(Dataset(name, relative, schema, profile))
        schemas[root / schema] = draft.text()
    if target is not None and paths and not any(target in d.profile["columns"] for d in datasets):
        shown = ", ".join(d.path for d in datasets)
        raise MlciError(f"--target {target!r} is not a column of {shown}.")
    return datasets, schemas


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _task_from_data(datasets: Sequence[Dataset], target: str | None) -> str | None:
    """binary (2 classes), multiclass (at most 20 whole-number or text classes) or regression
    (numbers), from the target column's profile; None without one."""
    column = next(
        (d.profile["columns"][target] for d in datasets if target in d.profile["columns"]), None
    )
    if column is None or not column.get("count"):
        return None
    classes = _classes(column)
    if classes is not None and len(classes) == 2:
        return "binary"
    if classes is not None and len(classes) <= MAX_CLASSES:
        return "multiclass"
    return "regression" if column.get("kind") == "numeric" else None


def _classes(column: Mapping[str, Any]) -> list[Any] | None:
    if column.get("kind") == "boolean":
        return [v for v, _ in column.get("top", [])]
    values = column.get("values")
    if not isinstance(values, Mapping) or not values.get("complete"):
        return None
    keys = [v for v, _ in values.get("counts", [])]
    if column.get("kind") == "numeric" and not all(float(k).is_integer() for k in keys):
        return None
    return keys


# --- the model section and the gate ----------------------------------------------------------


def _model_section(
    task: str | None,
    target: str | None,
    datasets: Sequence[Dataset],
    root: Path,
    here: Path,
    *,
    predictions: Path | None,
    metrics_file: Path | None,
    model: Path | None,
) -> ModelSection | None:
    given = predictions or metrics_file or model
    if given is None:
        return None
    if task is None:
        raise MlciError(
            "The model section needs a task: give --task binary, multiclass or "
            "regression (or --target COL with a DATA file, to infer it from the labels)."
        )

    if predictions is not None:
        return _predictions_section(task, target, _absolute(predictions, here), root)
    if metrics_file is not None:
        path = _relative(_absolute(metrics_file, here), root, "--metrics-file")
        return ModelSection(task, f"metrics_file: {scalar_text(path)}")
    assert model is not None
    return _model_file_section(task, target, datasets, _absolute(model, here), root)


def _predictions_section(task: str, target: str | None, path: Path, root: Path) -> ModelSection:
    relative = _relative(path, root, "--predictions")
    columns = _columns_of(path)
    notes: list[str] = []
    if columns is None:
        notes.append(f"{relative} was not found: check the column names above.")
        columns = []

    def pick(options: Sequence[str], default: str | None) -> str | None:
        lowered = {c.lower(): c for c in columns}
        return next((lowered[o] for o in options if o in lowered), default)

    fields: dict[str, Any] = {"path": relative}
    fields["y_true"] = target if target in columns else pick(Y_TRUE, target or "y_true")
    fields["y_pred"] = pick(Y_PRED, "y_pred")
    if task == "binary":
        score = pick(Y_SCORE, None)
        if score is not None:
            fields["y_score"] = score
        else:
            notes.append("add `y_score: COLUMN` (the positive class's probability) for roc_auc.")
    if task == "multiclass":
        proba = [c for c in columns if re.match(r"^(p|proba|prob|probability)_", c.lower())]
        if len(proba) >= 2:
            fields["y_proba"] = proba
    items = ", ".join(f"{k}: {_yaml_value(v)}" for k, v in fields.items())
    scores = "y_score" in fields or "y_proba" in fields
    return ModelSection(task, f"predictions: {{{items}}}", tuple(notes), scores)


def _model_file_section(
    task: str, target: str | None, datasets: Sequence[Dataset], path: Path, root: Path
) -> ModelSection:
    relative = _relative(path, root, "--model")
    having = [d for d in datasets if target is not None and target in d.profile["columns"]]
    if target is None or not having:
        raise MlciError(
            "--model needs --target COL and a DATA file with that column (the data "
            "the model is evaluated on)."
        )
    evaluated = next(
        (d for d in having if re.match(r"(eval|test|valid|holdout)", d.name)), having[-1]
    )
    fields = {"path": relative, "data": evaluated.name, "target": target}
    items = ", ".join(f"{k}: {_yaml_value(v)}" for k, v in fields.items())
    notes: tuple[str, ...] = ()
    if path.suffix.lower() in PICKLE_SUFFIXES:
        notes = (
            "A pickle runs code when loaded: mlci refuses it unless you add "
            "`allow_unsafe_pickle: true`. Prefer saving the model with skops (.skops).",
        )
    return ModelSection(task, f"model: {{{items}}}", notes, scores=True)


def _columns_of(path: Path) -> list[str] | None:
    """The column names of a data file (its first batch), or None when it does not exist."""
    if not path.exists():
        return None

    cfg = DatasetConfig(name="predictions", path=path, format=format_from_suffix(path))
    batches = Source(cfg).batches()
    try:
        first = next(batches, None)
    finally:
        batches.close()
    return [str(n) for n in first.schema.names] if first is not None else []


def _gate(section: ModelSection | None, metrics: Path | None, branch: str) -> Gate | None:
    if section is None:
        return None
    task = section.task
    if metrics is not None:
        metric = _metric_in_file(metrics, task)
    elif task == "binary":
        metric = "roc_auc" if section.scores else "f1"
    else:
        metric = {"multiclass": "accuracy", "regression": "rmse"}[task]
    if task == "regression" and metric in ("rmse", "mae", "mse"):
        rule, change = "max_regression: {relative: 0.05}", "grows by more than 5%"
    else:
        rule, change = "max_regression: 0.01", "changes for the worse by more than 0.01"
    explanation = (
        f"A starter gate: a PR fails when {metric} {change} against the baseline (the record "
        f"of its merge base with {branch}). With per-example predictions, only when the whole "
        "95% interval of the change is beyond that (stats.mode: lenient); a change mlci cannot "
        "tell from noise is reported as inconclusive. Add a floor (`min:`) and more metrics as "
        "you learn what matters."
    )
    return Gate(metric, rule, tuple(textwrap.wrap(explanation, width=94)))


def _metric_in_file(path: Path, task: str) -> str:
    preferred = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}[task]
    if not path.exists():
        return preferred

    names = list(load_metrics_file(path))
    for name in (preferred, *names):
        if name in names and higher_is_better(name) is not None:
            return name
    return preferred


# --- names ------------------------------------------------------------------------------------


def _config_name(name: str | None, root: Path) -> str:
    if name is not None:
        if not CONFIG_NAME.match(name):
            raise MlciError(
                f"--name {name!r}: expected up to 64 letters, digits, '.', '_' or '-', starting "
                "with a letter or digit."
            )
        return name
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "-", root.name).lstrip("._-")[:64]
    return cleaned or "model"


def _default_branch(root: Path) -> str:
    """The branch pull requests merge into: origin's HEAD, else the checked-out branch when it
    is main or master, else main."""

    remote = remote_head_branch(root)
    if remote is not None:
        return remote or "main"
    branch = current_branch(root)
    return branch if branch in ("main", "master") else "main"


# --- the config text ----------------------------------------------------------------------------


def _yaml_value(value: Any) -> str:

    if isinstance(value, list):
        return "[" + ", ".join(scalar_text(v) for v in value) + "]"
    return scalar_text(value)


def render_config(plan: ConfigPlan) -> str:
    """The starter mlci.yml, with comments."""

    out = [
        f"# yaml-language-server: $schema={packaged_schema('config.schema.json')['$id']}\n",
        "# mlci config, written by `mlci init`: review it, then commit it with .mlci/ and\n",
        "# .github/workflows/. Every key is described in mlci's docs/configuration.md.\n",
        "version: 1\n",
        commented(f"name: {scalar_text(plan.name)}", "the PR comment's title; status mlci/NAME"),
    ]
    out.append("\n")
    if plan.datasets:
        note = f"checked on every PR; drift against {plan.branch}'s profile"
        out.append(commented("datasets:", note))
        for d in plan.datasets:
            out.append(f"  {scalar_text(d.name)}:\n")
            out.append(f"    path: {scalar_text(d.path)}\n")
            out.append(commented(f"    schema: {scalar_text(d.schema)}", "inferred: review it"))
    else:
        out += [
            "# datasets:                    # the data to check on every PR, by name, e.g.\n",
            "#   train: {path: data/train.csv, schema: .mlci/schema.yml}\n",
            "#   (`mlci init data/train.csv` infers the schema file from the data)\n",
        ]
    out.append("\n")
    out += _model_lines(plan)
    out += [
        "\n",
        "baseline:\n",
        commented(f"  branch: {scalar_text(plan.branch)}", "PRs are compared with its records"),
    ]
    return "".join(out)


def _model_lines(plan: ConfigPlan) -> list[str]:

    if plan.model is None:
        return [
            "# model:                       # to gate on metrics, add one of these:\n",
            "#   task: binary                # binary | multiclass | regression\n",
            "#   metrics_file: out/metrics.json\n",
            "#   predictions: {path: out/preds.csv, y_true: label, y_pred: pred, y_score: score}\n",
            "#   model: {path: model.skops, data: eval, target: label}\n",
            "# gates:\n",
            "#   - {metric: roc_auc, max_regression: 0.01}\n",
        ]
    lines = ["model:\n", f"  task: {scalar_text(plan.model.task)}\n", f"  {plan.model.source}\n"]
    lines += [f"  # {line}\n" for note in plan.model.notes for line in textwrap.wrap(note, 94)]
    if plan.gate is not None:
        lines += ["\n", "gates:\n"]
        lines += [f"  # {line}\n" for line in plan.gate.explanation]
        lines.append(f"  - {{metric: {scalar_text(plan.gate.metric)}, {plan.gate.rule}}}\n")
    return lines


# --- the workflows ------------------------------------------------------------------------------


def packaged_template(name: str) -> str:
    """A workflow template shipped in the package (a copy of workflows-templates/NAME)."""
    files = importlib.resources.files("mlci") / "templates" / "workflows"
    return (files / name).read_text(encoding="utf-8")


def _workflows(root: Path, plan: ConfigPlan, *, forks: bool, pin: ActionPin) -> dict[Path, str]:
    names: tuple[str, ...] = FORK_TEMPLATES if forks else TEMPLATES
    if plan.model is None:
        names = tuple(n for n in names if n != "release.yml")  # a release needs a model
    out = {}
    for name in names:
        text = packaged_template(name)
        text = text.replace(TEMPLATE_USES, pin.uses())
        if name == "main.yml" and plan.branch != "main":
            text = text.replace("    branches: [main]\n", f"    branches: [{plan.branch}]\n")
        out[root / ".github" / "workflows" / f"mlci-{name}"] = text
    return out


# --- writing --------------------------------------------------------------------------------


def _apply(
    updates: Sequence[FileUpdate], *, force: bool, pin: ActionPin, plan: ConfigPlan, stdout: TextIO
) -> int:
    """Write every new (or, with ``force``, changed) file first, then say what happened: output
    into a closed pipe (`mlci init | head`) cannot leave the set half-written."""
    written = [u for u in updates if u.status != "same" and (u.status == "new" or force)]
    for update in written:
        write_atomic(update.path, update.new)
    kept = [u for u in updates if u.status != "same" and u not in written]
    for update in updates:
        shown = shown_path(update.path)
        if update.status == "same":
            print(f"Unchanged {shown}", file=stdout)
        elif update in written:
            print(f"{'Wrote' if update.status == 'new' else 'Overwrote'} {shown}", file=stdout)
    for update in kept:
        print(f"\n{shown_path(update.path)} differs from what mlci init would write:", file=stdout)
        report_update(update, stdout=stdout, constraints=update.path.parent.name == ".mlci")
    if kept:
        many = "s" if len(kept) != 1 else ""
        print(
            f"\nNot overwritten: {len(kept)} existing file{many} (above). Run `mlci init "
            "--force` to overwrite, losing edits made by hand.",
            file=stdout,
        )
    _next_steps(plan, pin=pin, stdout=stdout)
    return 0


def _next_steps(plan: ConfigPlan, *, pin: ActionPin, stdout: TextIO) -> None:
    steps = []
    if plan.datasets:
        steps.append(
            "Review mlci.yml and the schema files in .mlci/: a comment beside every inferred "
            "constraint says what was observed."
        )
    if not pin.known:
        steps.append(
            f"Pin the action: in .github/workflows/mlci-*.yml, replace {PLACEHOLDER_SHA} in "
            f"`uses: {ACTION}@…` with the full commit SHA of the mlci release you use (from its "
            "release notes): unlike a tag, a SHA cannot be moved. Or run again with "
            "--action-sha SHA --force. (This mlci does not know its own commit: it was not "
            "installed from a release tag or the package index.)"
        )
    else:
        steps.append(
            f"The workflows pin the action to `uses: {pin.uses()}`. To upgrade mlci, change "
            "the SHA and its comment together (Dependabot does it for you)."
        )
    steps.append(
        f"Commit, and push to {plan.branch} once: that run stores the first record, which pull "
        "requests are then compared with."
    )
    print("\nNext:", file=stdout)
    for i, step in enumerate(steps, start=1):
        print(f"  {i}. {step}", file=stdout)
