"""Metrics the way DVC sees them: every metrics file a ``dvc.yaml`` declares, and names as
``dvc metrics show``/``dvc metrics diff`` give them.

DVC keys a metric by its file (relative to the repository root, ``/``-separated) and its name in
the file (nested keys joined with dots). With several files mlci names a metric
``<file>:<name>`` (``eval/metrics.json:auc``), so the Δ of ``eval/metrics.json:auc`` in mlci's
report is the ``diff`` of ``auc`` under ``eval/metrics.json`` in ``dvc metrics diff --json``.

``dvc.yaml`` is read with mlci's bounded YAML loader; no DVC installation is needed for
metrics. A file ``dvc.yaml`` declares in two places: the top-level ``metrics`` list (relative
to the ``dvc.yaml``) and each stage's ``metrics`` outputs (relative to the stage's ``wdir``);
a list item is a path or ``{path: {cache: false, ...}}``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from mlci.bounded import MAX_YAML_BYTES, DocumentError, read_text
from mlci.errors import ConfigError, ModelError
from mlci.paths import leads_outside, repository_of
from mlci.yamlfile import parse_yaml


def declared_metrics_files(dvc_yaml: Path) -> list[Path]:
    """The metrics files ``dvc_yaml`` declares, in order, each once (absolute, as written)."""
    document = _read_dvc_yaml(dvc_yaml)
    folder = dvc_yaml.parent
    found: dict[Path, None] = {}
    for written in _paths(document.get("metrics"), dvc_yaml, "metrics"):
        found[_normal(folder / written)] = None
    stages = document.get("stages") or {}
    if not isinstance(stages, Mapping):
        raise _invalid(dvc_yaml, "`stages` must be a mapping of stage names to stages")
    for name, stage in stages.items():
        if not isinstance(stage, Mapping):
            continue
        if "foreach" in stage or "matrix" in stage:
            raise _invalid(
                dvc_yaml,
                f"stage `{name}` is templated (foreach/matrix); list its metrics files in "
                "`model.metrics_file` instead",
            )
        wdir = folder / str(stage.get("wdir", "."))
        for written in _paths(stage.get("metrics"), dvc_yaml, f"stages.{name}.metrics"):
            found[_normal(wdir / written)] = None
    if not found:
        raise ModelError(
            f"{_shown(dvc_yaml)} declares no metrics file (under `metrics:` or a stage's "
            "`metrics:`); add one, or set `model.metrics_file`."
        )
    repository = repository_of(folder)
    for path in found:
        target = leads_outside(path, repository)
        if target is not None:
            raise _invalid(dvc_yaml, f"metrics file {path} leads outside the repository")
    return list(found)


def metric_key(path: Path, name: str) -> str:
    """``eval/metrics.json:auc``: the file relative to its repository, as DVC names it."""
    repository = repository_of(path.parent)
    relative = Path(os.path.relpath(path, repository)).as_posix()
    return f"{relative}:{name}"


def combined_metrics(files: Sequence[tuple[Path, Mapping[str, float]]]) -> dict[str, float]:
    """The metrics of several files under ``<file>:<name>`` (:func:`metric_key`)."""
    return {
        metric_key(path, name): value for path, values in files for name, value in values.items()
    }


def _read_dvc_yaml(path: Path) -> Mapping[str, Any]:
    if not path.is_file():
        raise ModelError(f"{_shown(path)} not found; check `model.dvc_metrics` in the config.")
    try:
        text = read_text(path, limit=MAX_YAML_BYTES)
        document, _ = parse_yaml(text, _shown(path))
    except (OSError, UnicodeDecodeError, DocumentError) as exc:
        raise ModelError(f"{_shown(path)} could not be read: {exc}.") from None
    except ConfigError as exc:
        raise ModelError(str(exc)) from None
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise _invalid(path, "expected a mapping with `stages` and/or `metrics`")
    return document


def _paths(entries: Any, dvc_yaml: Path, key: str) -> Iterator[str]:
    """The paths of a ``metrics`` list: ``- file`` or ``- file: {cache: false}``."""
    if entries is None:
        return
    if not isinstance(entries, list):
        raise _invalid(dvc_yaml, f"`{key}` must be a list of paths")
    for entry in entries:
        written = next(iter(entry), None) if isinstance(entry, Mapping) else entry
        if not isinstance(written, str) or not written:
            raise _invalid(dvc_yaml, f"`{key}`: expected paths, got {entry!r}")
        if "${" in written:
            raise _invalid(
                dvc_yaml, f"`{key}`: {written} is templated; list the file in `model.metrics_file`"
            )
        yield written


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(path))


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _invalid(path: Path, message: str) -> ModelError:
    return ModelError(f"{_shown(path)}: {message}.")
