"""DVC params that changed since the baseline commit, as ``dvc params diff`` lists them.

The params DVC tracks at a revision: the whole of ``params.yaml`` at the repository root (when
there is one), every file in ``dvc.yaml``'s top-level ``params:`` (relative to the ``dvc.yaml``),
and each stage's ``params:`` dependencies (relative to the stage's ``wdir``): ``- key`` (a key of
that folder's ``params.yaml``), ``- file.yaml: [key, ...]`` (those keys) or ``- file.yaml:``
(the whole file). A file tracked whole anywhere is tracked whole everywhere, as DVC merges them.

Each side is read at its own revision: this one from the working tree, the baseline from git
(:func:`mlci.git.file_at`), each with its own ``dvc.yaml``. Files are parsed with mlci's bounded
YAML, JSON and TOML readers; nested keys are joined with dots, lists are values. A param present
on one side only is a change (the other side None), as in ``dvc params diff --json``.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci import git
from mlci.bounded import (
    MAX_DEPTH,
    MAX_YAML_BYTES,
    DocumentError,
    depth_of,
    parse_json,
    read_bytes,
    too_deep,
    too_large,
)
from mlci.errors import ConfigError, ModelError
from mlci.paths import leads_outside
from mlci.results import ParamChange
from mlci.yamlfile import parse_yaml

DEFAULT_PARAMS_FILE = "params.yaml"
PARAMS_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
Reader = Callable[[str], bytes | None]  # a repository-relative path -> its bytes, None: absent


@dataclass(frozen=True)
class ParamsDiff:
    """The changed params (by file, then key) and what could not be compared, in words."""

    changes: tuple[ParamChange, ...]
    notes: tuple[str, ...] = ()


def params_diff(repo: Path, dvc_yaml: str, baseline_commit: str) -> ParamsDiff:
    """The params that differ between ``baseline_commit`` and the working tree of ``repo``.

    ``dvc_yaml`` is the ``dvc.yaml`` relative to the repository root, with ``/``. This side's
    unreadable or malformed params are a :class:`ModelError`; the baseline's are a note, and
    its params are then left out of the comparison.
    """
    try:
        current = read_params(_workspace_reader(repo), dvc_yaml, "this revision")
    except ModelError as exc:
        raise ModelError(
            f"DVC params (`model.dvc_params`): {exc}; fix it, or set `model.dvc_params: false`."
        ) from None
    try:
        baseline = read_params(_commit_reader(repo, baseline_commit), dvc_yaml, "the baseline")
    except ModelError as exc:
        note = (
            f"DVC params were not compared with the baseline commit {baseline_commit[:7]}: {exc}."
        )
        return ParamsDiff((), (note,))
    return ParamsDiff(changed_params(baseline, current))


def changed_params(
    baseline: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]
) -> tuple[ParamChange, ...]:
    """The params (flattened, by file) whose values differ, sorted by file and key."""
    changes = []
    for file in sorted(set(baseline) | set(current)):
        old, new = baseline.get(file, {}), current.get(file, {})
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):  # absent is None, as in DVC
                changes.append(ParamChange(file, key, old.get(key), new.get(key)))
    return tuple(changes)


def read_params(read: Reader, dvc_yaml: str, side: str) -> dict[str, dict[str, Any]]:
    """The tracked params of one revision, flattened, by file (relative to the repository)."""
    content = read(dvc_yaml)
    document = {} if content is None else _dvc_document(content, dvc_yaml)
    found: dict[str, dict[str, Any]] = {}
    for file, keys in tracked_params(document, dvc_yaml).items():
        if not file.lower().endswith(PARAMS_SUFFIXES):
            raise ModelError(
                f"{side}: params file {file} is not YAML, JSON or TOML (mlci reads no other "
                "params files)"
            )
        data = read(file)
        if data is None:
            continue
        parsed = parse_params(data, file)
        found[file] = flatten(select(parsed, keys) if keys else parsed)
    return found


def tracked_params(document: Mapping[str, Any], dvc_yaml: str) -> dict[str, list[str]]:
    """The params files a ``dvc.yaml`` document tracks, each with its keys ([]: the whole file),
    relative to the repository; ``params.yaml`` at the root always, whole."""
    folder = posixpath.dirname(dvc_yaml)
    entries: list[tuple[str, list[str] | None]] = [(DEFAULT_PARAMS_FILE, None)]
    for file in _list(document.get("params"), dvc_yaml, "params"):
        if not isinstance(file, str) or not file:
            raise _invalid(dvc_yaml, f"`params`: expected paths of params files, got {file!r}")
        entries.append((_inside(posixpath.join(folder, file), dvc_yaml), None))
    for name, stage in _stages(document, dvc_yaml):
        wdir = posixpath.join(folder, str(stage.get("wdir", ".")))
        for entry in _list(stage.get("params"), dvc_yaml, f"stages.{name}.params"):
            entries += _stage_entry(entry, wdir, dvc_yaml, name)
    whole = {file for file, keys in entries if not keys}
    tracked: dict[str, list[str]] = {}
    for file, keys in entries:
        listed = tracked.setdefault(file, [])
        if file not in whole:
            listed += [k for k in keys or () if k not in listed]
    return tracked


def _stage_entry(
    entry: Any, wdir: str, dvc_yaml: str, stage: str
) -> Iterator[tuple[str, list[str] | None]]:
    if isinstance(entry, str) and entry:
        yield _inside(posixpath.join(wdir, DEFAULT_PARAMS_FILE), dvc_yaml), [entry]
        return
    if not isinstance(entry, Mapping):
        raise _invalid(dvc_yaml, f"`stages.{stage}.params`: expected keys or files, got {entry!r}")
    for file, keys in entry.items():
        if keys is not None and not (
            isinstance(keys, list) and all(isinstance(k, str) for k in keys)
        ):
            raise _invalid(
                dvc_yaml, f"`stages.{stage}.params`: {file}: expected a list of keys, got {keys!r}"
            )
        if "${" in str(file) or any("${" in k for k in keys or ()):
            raise _invalid(dvc_yaml, f"stage `{stage}` names templated params (`${{...}}`)")
        yield _inside(posixpath.join(wdir, str(file)), dvc_yaml), keys or None


def _stages(document: Mapping[str, Any], dvc_yaml: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    stages = document.get("stages") or {}
    if not isinstance(stages, Mapping):
        raise _invalid(dvc_yaml, "`stages` must be a mapping of stage names to stages")
    for name, stage in stages.items():
        if not isinstance(stage, Mapping):
            continue
        if "foreach" in stage or "matrix" in stage:
            raise _invalid(dvc_yaml, f"stage `{name}` is templated (foreach/matrix)")
        yield str(name), stage


def parse_params(data: bytes, file: str) -> Mapping[str, Any]:
    """A params file's document (a mapping), by its suffix, within mlci's limits."""
    if len(data) > MAX_YAML_BYTES:
        raise ModelError(f"params file {file}: {too_large(MAX_YAML_BYTES)}")
    try:
        text = data.decode("utf-8")
        suffix = posixpath.splitext(file)[1].lower()
        if suffix == ".json":
            document = parse_json(text, limit=MAX_YAML_BYTES)
        elif suffix == ".toml":
            document = _parse_toml(text)
        else:
            document, _ = parse_yaml(text, file)
    except (UnicodeDecodeError, DocumentError) as exc:
        raise ModelError(f"params file {file} could not be read: {exc}") from None
    except ConfigError as exc:
        raise ModelError(str(exc).rstrip(".")) from None
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise ModelError(f"params file {file}: expected a mapping of params")
    return document


def _parse_toml(text: str) -> Any:
    import tomllib  # Python 3.11+, as for TOML metrics files

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DocumentError(f"not valid TOML ({exc})") from None
    except RecursionError:
        raise too_deep(MAX_DEPTH) from None
    if depth_of(document) > MAX_DEPTH:
        raise too_deep(MAX_DEPTH)
    return json.loads(json.dumps(document, default=str))  # dates as text, as JSON has no dates


def select(document: Mapping[str, Any], keys: list[str]) -> dict[str, Any]:
    """The parts of ``document`` that ``keys`` name (dotted paths; a section brings its keys)."""
    chosen: dict[str, Any] = {}
    for key in keys:
        value: Any = document
        for part in key.split("."):
            if not isinstance(value, Mapping) or part not in value:
                break
            value = value[part]
        else:
            *path, last = key.split(".")
            target = chosen
            for part in path:
                target = target.setdefault(part, {})
            target[last] = value
    return chosen


def flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings' keys joined with dots (``train.lr``); lists and empty mappings are
    values, as DVC flattens params."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _workspace_reader(repo: Path) -> Reader:
    def read(relative: str) -> bytes | None:
        path = repo / relative
        if leads_outside(path, repo) is not None:
            raise ModelError(f"{relative} leads outside the repository")
        if not path.is_file():
            return None
        try:
            return read_bytes(path, limit=MAX_YAML_BYTES)
        except (OSError, DocumentError) as exc:
            raise ModelError(f"{relative} could not be read: {exc}") from None

    return read


def _commit_reader(repo: Path, commit: str) -> Reader:
    return lambda relative: git.file_at(repo, commit, relative)


def _dvc_document(content: bytes, dvc_yaml: str) -> Mapping[str, Any]:
    try:
        document, _ = parse_yaml(content.decode("utf-8"), dvc_yaml)
    except UnicodeDecodeError as exc:
        raise _invalid(dvc_yaml, f"not UTF-8 ({exc})") from None
    except ConfigError as exc:
        raise ModelError(str(exc).rstrip(".")) from None
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise _invalid(dvc_yaml, "expected a mapping with `stages` and/or `params`")
    return document


def _list(entries: Any, dvc_yaml: str, key: str) -> list[Any]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise _invalid(dvc_yaml, f"`{key}` must be a list")
    return entries


def _inside(relative: str, dvc_yaml: str) -> str:
    normal = posixpath.normpath(relative)
    if normal == ".." or normal.startswith("../") or posixpath.isabs(normal):
        raise _invalid(dvc_yaml, f"params file {relative} is outside the repository")
    return normal


def _invalid(dvc_yaml: str, message: str) -> ModelError:
    return ModelError(f"{dvc_yaml}: {message}")
