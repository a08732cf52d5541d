"""`mlci schema infer DATA`: write a data schema file inferred from the data, for review.

(The command; the data schema file is read by :mod:`mlci.data.schema_file` and inferred by
:mod:`mlci.data.infer`; the JSON Schemas mlci validates files with are in ``mlci/jsonschemas/``.)

When the schema file exists, nothing is overwritten: the command prints what would change
(constraints added, removed, widened or narrowed) and the unified diff, and writes only with
``--write``. Exit codes: 0, also when there are differences; with ``--check`` (for CI), 1 when
the file is missing or differs, and nothing is written.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pyarrow as pa
import yaml

from mlci.commands.profile import (
    DataFormat,
    dataset_name,
    load_profiles,
    profile_file,
)
from mlci.config import DatasetConfig, format_from_suffix
from mlci.data.hashing import hash_array
from mlci.data.infer import infer_schema, key_candidates, schema_changes
from mlci.data.progress import make_progress
from mlci.data.read import Source
from mlci.errors import MlciError
from mlci.files import write_atomic
from mlci.yamlfile import load_yaml

DEFAULT_OUTPUT = Path(".mlci/schema.yml")


@dataclass(frozen=True)
class FileUpdate:
    """A file to write: its text now (None: absent) and the text it should have."""

    path: Path
    old: str | None
    new: str

    @property
    def status(self) -> str:
        """``new``, ``same`` or ``changed``."""
        if self.old is None:
            return "new"
        return "same" if self.old == self.new else "changed"

    def diff(self, shown: str) -> str:
        """The unified diff from the file's text to the new text."""
        lines = difflib.unified_diff(
            (self.old or "").splitlines(keepends=True),
            self.new.splitlines(keepends=True),
            fromfile=f"{shown} (now)",
            tofile=f"{shown} (new)",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def plan_update(path: Path, text: str) -> FileUpdate:
    """What writing ``text`` to ``path`` would do."""
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise MlciError(f"Cannot read {shown_path(path)}: {exc}.") from None
    return FileUpdate(path, old, text)


def shown_path(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return Path(os.path.relpath(path)).as_posix() if path.is_absolute() else path.as_posix()
    except ValueError:  # another drive (Windows)
        return str(path)


# --- `mlci schema infer` -------------------------------------------------------------------


def schema_command(
    data: Path,
    *,
    output: Path = DEFAULT_OUTPUT,
    name: str | None = None,
    data_format: DataFormat | None = None,
    target: str | None = None,
    write: bool = False,
    check: bool = False,
    quiet: bool = False,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> int:
    """Infer the schema of ``data`` (a data file, or a profile file ending in ``.json``) and
    write it to ``output``, or show how it differs from the existing file."""
    text = infer_schema_text(
        data,
        name=name,
        data_format=data_format,
        target=target,
        quiet=quiet,
        environ=environ,
        stdout=stdout,
    )
    update = plan_update(output, text)
    shown = shown_path(output)
    status = update.status
    if status == "same":
        print(f"{shown} is up to date with the data.", file=stdout)
        return 0
    if check:
        report_update(update, stdout=stdout)
        print(
            f"{shown} {'is missing' if status == 'new' else 'differs'} (--check: nothing written).",
            file=stdout,
        )
        return 1
    if status == "new" or write:
        write_atomic(output, text)
        verb = "Wrote" if status == "new" else "Updated"
        print(f"{verb} {shown}: review it, then commit it.", file=stdout)
        return 0
    report_update(update, stdout=stdout)
    print(
        f"{shown} was not changed: run again with --write to replace it (edits made to it "
        "by hand would be lost).",
        file=stdout,
    )
    return 0


def infer_schema_text(
    data: Path,
    *,
    name: str | None,
    data_format: DataFormat | None,
    target: str | None,
    task: str | None = None,
    quiet: bool = False,
    environ: Mapping[str, str],
    stdout: TextIO,
    source: str | None = None,
) -> str:
    """The inferred schema file's text for a data file or a profile file."""

    profile, dataset, checked = _profile_of(
        data, name=name, data_format=data_format, quiet=quiet, environ=environ, stdout=stdout
    )
    if target is not None and target not in profile["columns"]:
        raise MlciError(
            f"--target {target!r} is not a column of {shown_path(data)}; its columns: "
            f"{_listed(list(profile['columns']))}."
        )
    draft = infer_schema(
        profile,
        dataset=dataset,
        source=source or shown_path(data),
        target=target,
        task=task,
        unique=checked,
    )
    return draft.text()


def _profile_of(
    data: Path,
    *,
    name: str | None,
    data_format: DataFormat | None,
    quiet: bool,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> tuple[dict[str, Any], str, dict[str, bool]]:
    """``(profile, dataset name, exact uniqueness of the key candidates)``."""
    if data.suffix.lower() == ".json" and data_format is None:
        dataset, profile = _stored_profile(data, name)
        return profile, dataset, {}

    dataset = dataset_name(data, name)
    progress = make_progress(quiet=quiet, environ=environ, stdout=stdout)
    profile, types = profile_file(data, name=dataset, data_format=data_format, progress=progress)
    candidates = key_candidates(profile)
    checked = count_unique(data, candidates, dataset, data_format, types) if candidates else {}
    return profile, dataset, checked


def _stored_profile(path: Path, name: str | None) -> tuple[str, dict[str, Any]]:
    found = load_profiles(path)
    if not found:
        raise MlciError(f"{path} is empty: no profile to infer a schema from.")
    if name is not None:
        named = [p for n, p in found if n == name]
        if named:
            return name, named[0]
    if len(found) == 1:
        found_name = found[0][0]
        return (name or found_name or dataset_name(path, None)), found[0][1]
    names = [n for n, _ in found if n is not None]
    if name is not None:
        raise MlciError(f"{path} has no profile of dataset {name!r}; it has {_listed(names)}.")
    raise MlciError(f"{path} holds {len(found)} profiles ({_listed(names)}): pick one with --name.")


def count_unique(
    path: Path,
    columns: Sequence[str],
    dataset: str,
    data_format: DataFormat | None,
    types: Mapping[str, pa.DataType],
) -> dict[str, bool]:
    """Whether each column's values are all distinct, counted exactly (one 64-bit hash per
    value) by reading only those columns again."""

    cfg = DatasetConfig(name=dataset, path=path, format=data_format or format_from_suffix(path))
    seen: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    for batch in Source(cfg, types=dict(types), columns=list(columns)).batches():
        for column in columns:
            hashes, valid = hash_array(batch.column(column))
            seen[column].append(hashes[valid])
    out = {}
    for column, parts in seen.items():
        hashes = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
        out[column] = len(np.unique(hashes)) == len(hashes)
    return out


def report_update(update: FileUpdate, *, stdout: TextIO, constraints: bool = True) -> None:
    """Print what writing a file would change: for a schema file (``constraints``), the
    constraints added, removed, widened or narrowed; then the unified diff."""
    shown = shown_path(update.path)
    if constraints and update.old is not None:
        changes = _constraint_changes(update)
        if changes:
            print(f"{shown} would change:", file=stdout)
            for line in changes:
                print(f"  {line}", file=stdout)
    print(update.diff(shown), end="", file=stdout)


def _constraint_changes(update: FileUpdate) -> list[str]:
    """The changes constraint by constraint (none when the file now is not valid YAML)."""

    try:
        old, _ = load_yaml(update.path)  # as mlci reads it (YAML 1.2)
    except MlciError:
        return []
    new = yaml.safe_load(update.new)  # ours: the same in YAML 1.1 and 1.2
    return schema_changes(old, new)


def _listed(names: Sequence[Any]) -> str:
    shown = ", ".join(str(n) for n in names[:20])
    return shown + (f" and {len(names) - 20} more" if len(names) > 20 else "")
