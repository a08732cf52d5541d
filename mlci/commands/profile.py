"""`mlci profile DATA` writes a dataset's mergeable profile; `mlci profile merge` merges shards.

A profile file is a JSON object of profiles by dataset name (``{"train": profile}``), the
format `mlci validate --against` and ``--save-profiles`` use, so a merged profile can be the
reference a dataset is validated against. ``merge`` also reads a ``record.json``, bare profiles
(``{"profile_version": ..., "rows": ..., "columns": ...}``, as a Spark job may write them) and
JSON lines of either; bare profiles need ``--name``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

import pyarrow as pa

from mlci.bounded import MAX_RECORD_BYTES, DocumentError, parse_json, read_text
from mlci.config import DatasetConfig, format_from_suffix
from mlci.data.profile import Profiler
from mlci.data.progress import NoProgress, make_progress
from mlci.data.read import Source, scan
from mlci.errors import DataError, MlciError
from mlci.files import write_atomic

DataFormat = Literal["csv", "parquet", "jsonl"]
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")  # as config.schema.json's datasets
PROFILE_KINDS = ("numeric", "categorical", "boolean", "datetime")


# --- `mlci profile DATA` ---------------------------------------------------------------------


def profile_command(
    paths: Sequence[Path],
    *,
    output: Path | None,
    name: str | None,
    data_format: DataFormat | None,
    quiet: bool,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> int:
    """`mlci profile DATA` or `mlci profile merge FILE...`; returns the exit code (0)."""
    if paths and str(paths[0]) == "merge":
        if data_format is not None:
            raise MlciError("--format applies to data files, not profiles.")
        merged = output or Path("merged.json")
        return merge_command(paths[1:], output=merged, name=name, quiet=quiet, stdout=stdout)
    if len(paths) != 1:
        raise MlciError(
            f"Expected one data file; got {len(paths)}. Profile each shard on "
            "its own, then `mlci profile merge A.json B.json ...`."
        )

    data = paths[0]
    dataset = dataset_name(data, name)
    progress = make_progress(quiet=quiet, environ=environ, stdout=stdout)
    profile, _ = profile_file(data, name=dataset, data_format=data_format, progress=progress)
    target = output or Path("profile.json")
    write_json(target, {dataset: profile})
    if not quiet:
        print(f"Wrote {target}: profile of dataset '{dataset}' ({_size(profile)}).", file=stdout)
    return 0


def dataset_name(path: Path, name: str | None) -> str:
    """``name`` (checked), or the file's name without its suffixes, made a valid dataset name."""
    if name is not None:
        if not NAME_PATTERN.match(name):
            raise MlciError(
                f"--name {name!r}: expected letters, digits, '_', '.' or '-', starting with a "
                "letter, digit or '_' (the name of the dataset in mlci.yml)."
            )
        return name
    stem = path.name.split(".", 1)[0] or path.name
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
    return cleaned if NAME_PATTERN.match(cleaned) else f"_{cleaned}"


def profile_file(
    path: Path,
    *,
    name: str,
    data_format: DataFormat | None = None,
    progress: Any = None,
) -> tuple[dict[str, Any], dict[str, pa.DataType]]:
    """The profile of a data file, read in one streaming pass, and the column types the scan
    settled on (to read the file again the same way).

    Raises:
        DataError: the file cannot be read (one line naming the dataset and the file).
    """

    if not path.is_file():
        what = "not a file" if path.exists() else "file not found"
        raise DataError(f"{path}: {what}. Give a CSV, Parquet or JSON lines file.")
    cfg = DatasetConfig(name=name, path=path, format=data_format or format_from_suffix(path))
    reporter = progress or NoProgress()
    sources: list[Source] = []

    def start(source: Source) -> Profiler:
        reporter.start(name, source.progress.bytes_total)
        return Profiler()

    def feed(profiler: Profiler, batch: pa.RecordBatch) -> None:
        profiler.update_batch(batch)
        reporter.update(profiler.rows, sources[-1].progress.bytes_read)

    try:
        profiler, source = scan(cfg, start, feed, on_source=sources.append)
    finally:
        reporter.finish()
    return profiler.finish(), dict(source.types)


def _size(profile: Mapping[str, Any]) -> str:
    rows, columns = int(profile["rows"]), len(profile["columns"])
    return f"{rows:,} row{'s' if rows != 1 else ''}, {columns} column{'s' if columns != 1 else ''}"


# --- `mlci profile merge` --------------------------------------------------------------------


def merge_command(
    files: Sequence[Path], *, output: Path, name: str | None, quiet: bool, stdout: TextIO
) -> int:
    """Merge the profiles in ``files`` by dataset name and write them to ``output``."""
    if not files:
        raise MlciError(
            "No profile files given to merge. Usage: mlci profile merge A.json "
            "B.json ... --output merged.json"
        )
    if name is not None:
        dataset_name(Path(name), name)
    groups = group_profiles([(f, load_profiles(f)) for f in files], name=name)
    merged = {dataset: merge_all(profiles, dataset) for dataset, profiles in groups.items()}
    write_json(output, merged)
    if not quiet:
        for dataset, profiles in groups.items():
            many = "s" if len(profiles) != 1 else ""
            summary = f"'{dataset}': {_size(merged[dataset])}"
            print(f"Merged {len(profiles)} profile{many} of {summary}.", file=stdout)
        print(f"Wrote {output}.", file=stdout)
    return 0


def group_profiles(
    loaded: Sequence[tuple[Path, list[tuple[str | None, dict[str, Any]]]]], *, name: str | None
) -> dict[str, list[dict[str, Any]]]:
    """The profiles to merge, by dataset name, in the order given.

    With ``name``, each file gives its profile of that dataset, or its only profile. Without,
    profiles are grouped by their names, and a bare profile is an error.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, found in loaded:
        if name is not None:
            for profile in _pick(path, found, name):
                groups.setdefault(name, []).append(profile)
            continue
        for dataset, profile in found:
            if dataset is None:
                raise MlciError(
                    f"{path} holds a profile without a dataset name: give --name NAME (the "
                    "dataset's name in mlci.yml)."
                )
            groups.setdefault(dataset, []).append(profile)
    if not groups:
        raise MlciError("The files hold no profile to merge.")
    return groups


def _pick(
    path: Path, found: list[tuple[str | None, dict[str, Any]]], name: str
) -> list[dict[str, Any]]:
    named = [p for n, p in found if n == name]
    if named:
        return named
    names = {n for n, _ in found}
    if len(names) <= 1:
        return [p for _, p in found]
    listed = ", ".join(sorted(repr(n) for n in names if n is not None))
    raise MlciError(f"{path} has no profile of dataset {name!r}; it has {listed}.")


def merge_all(profiles: Sequence[Mapping[str, Any]], dataset: str = "") -> dict[str, Any]:
    """The profile of the union of the datasets profiled, from their profiles alone.

    Merges in one profiler without writing intermediate profiles, so sketches are compacted
    once, at the end. See :func:`mlci.data.profile.merge_profiles` for what is exact.
    """

    merged = Profiler.from_profile(profiles[0])
    for profile in profiles[1:]:
        try:
            merged.merge(Profiler.from_profile(profile))
        except ValueError as exc:
            raise MlciError(
                f"Dataset '{dataset}': {exc} Profile every shard with the same column types."
            ) from None
    return merged.finish()


def load_profiles(path: Path) -> list[tuple[str | None, dict[str, Any]]]:
    """``(dataset name or None, profile)`` pairs found in a profile file (see the module doc)."""
    try:
        text = read_text(path, limit=MAX_RECORD_BYTES)
    except DocumentError as exc:
        raise MlciError(f"{path}: {exc}.") from None
    except FileNotFoundError:
        hint = "Give profile files written by `mlci profile`."
        raise MlciError(f"{path}: file not found. {hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MlciError(f"{path}: cannot read it ({exc}).") from None
    found = [pair for doc in _documents(path, text) for pair in _profiles_in(path, doc)]
    for _, profile in found:
        _check_profile(path, profile)
    return found


def _documents(path: Path, text: str) -> Iterator[Any]:
    try:
        yield parse_json(text, limit=MAX_RECORD_BYTES)
        return
    except DocumentError as exc:
        if exc.json_problem != "Extra data":
            raise MlciError(f"{path}: {exc}.") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield parse_json(line, limit=MAX_RECORD_BYTES)
        except DocumentError as exc:
            raise MlciError(f"{path}:{number}: not a line of JSON ({exc}).") from None


def _profiles_in(path: Path, doc: Any) -> list[tuple[str | None, dict[str, Any]]]:
    if _is_profile(doc):
        return [(None, doc)]
    if isinstance(doc, dict) and isinstance(doc.get("datasets"), dict):
        doc = doc["datasets"]  # a record.json
    if isinstance(doc, dict):
        pairs: list[tuple[str | None, Any]] = [
            (str(k), v.get("profile", v) if isinstance(v, dict) else v) for k, v in doc.items()
        ]
        if pairs and all(_is_profile(p) for _, p in pairs):
            return pairs
    raise MlciError(
        f"{path}: not a profile file. Expected profiles by dataset name, as written by "
        "`mlci profile`, a record.json, or profiles (one per line)."
    )


def _is_profile(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("columns"), dict) and "rows" in doc


def _check_profile(path: Path, profile: Mapping[str, Any]) -> None:
    if not isinstance(profile.get("rows"), int):
        raise MlciError(f"{path}: a profile's `rows` is not a whole number.")
    for column, d in profile["columns"].items():
        ok = (
            isinstance(d, dict)
            and d.get("kind") in PROFILE_KINDS
            and all(isinstance(d.get(k), int) for k in ("count", "nulls"))
            and all(isinstance(d.get(k), str) for k in ("dtype", "logical_type"))
        )
        if not ok:
            raise MlciError(
                f"{path}: column {column!r} is not a profiled column (expected `kind`, `dtype`, "
                "`logical_type`, `count` and `nulls`). Write profiles with `mlci profile`."
            )


def write_json(path: Path, doc: Any) -> None:
    """Write ``doc`` as JSON to ``path`` atomically (a reader never sees half a file)."""
    text = json.dumps(doc, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    write_atomic(path, text + "\n")
