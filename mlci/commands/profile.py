"""`mlci profile DATA` writes a dataset's mergeable profile; `mlci profile merge` merges shards.

A profile file is a JSON object of profiles by dataset name (``{"train": profile}``), the
format `mlci validate --against` and ``--save-profiles`` use, so a merged profile can be the
reference a dataset is validated against. With ``--piece``, `mlci profile` writes an
unfinished piece instead (every sketch at full precision, see :mod:`mlci.data.profile`):
pieces merge into exactly what one process computes from the whole. ``merge`` reads profiles
and pieces by dataset name, a ``record.json``, bare profiles or pieces
(``{"rows": ..., "columns": ...}``, as a Spark job writes them) and JSON lines of either;
bare ones need ``--name``. An empty file (Spark writes one for an empty partition) is an empty
piece: it adds nothing.
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
from mlci.data.profile import Profiler, is_piece, load_profiler
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
    piece: bool = False,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> int:
    """`mlci profile DATA` or `mlci profile merge FILE...`; returns the exit code (0)."""
    if paths and str(paths[0]) == "merge":
        if data_format is not None:
            raise MlciError("--format applies to data files, not profiles.")
        merged = output or Path("merged.json")
        return merge_command(
            paths[1:], output=merged, name=name, piece=piece, quiet=quiet, stdout=stdout
        )
    if len(paths) != 1:
        raise MlciError(
            f"Expected one data file; got {len(paths)}. Profile each shard on "
            "its own, then `mlci profile merge A.json B.json ...`."
        )
    data = paths[0]
    dataset = dataset_name(data, name)
    progress = make_progress(quiet=quiet, environ=environ, stdout=stdout)
    profiler, _ = scan_file(data, name=dataset, data_format=data_format, progress=progress)
    profile = profiler.piece() if piece else profiler.finish()
    target = output or Path("profile.json")
    write_json(target, {dataset: profile})
    if not quiet:
        what = "piece of the profile" if piece else "profile"
        print(f"Wrote {target}: {what} of dataset '{dataset}' ({_size(profile)}).", file=stdout)
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
    profiler, types = scan_file(path, name=name, data_format=data_format, progress=progress)
    return profiler.finish(), types


def scan_file(
    path: Path,
    *,
    name: str,
    data_format: DataFormat | None = None,
    progress: Any = None,
) -> tuple[Profiler, dict[str, pa.DataType]]:
    """:func:`profile_file`, unfinished: the profiler of the file and the column types."""
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
    return profiler, dict(source.types)


def _size(profile: Mapping[str, Any]) -> str:
    rows, columns = int(profile["rows"]), len(profile["columns"])
    return f"{rows:,} row{'s' if rows != 1 else ''}, {columns} column{'s' if columns != 1 else ''}"


# --- `mlci profile merge` --------------------------------------------------------------------


def merge_command(
    files: Sequence[Path],
    *,
    output: Path,
    name: str | None,
    piece: bool = False,
    quiet: bool,
    stdout: TextIO,
) -> int:
    """Merge the profiles and pieces in ``files`` by dataset name and write the merged profiles
    (with ``piece``, the merged pieces) to ``output``.

    Files are read one at a time, so memory holds one file and the merged state.
    """
    if not files:
        raise MlciError(
            "No profile files given to merge. Usage: mlci profile merge A.json "
            "B.json ... --output merged.json"
        )
    if name is not None:
        dataset_name(Path(name), name)
    merges: dict[str, _Merge] = {}
    empty_files = 0
    for path in files:
        found = load_documents(path)
        empty_files += not found
        for dataset, doc in named_profiles(path, found, name):
            merges.setdefault(dataset, _Merge(dataset)).add(path, doc)
    if not merges and name is None:
        raise MlciError(
            "The files hold no profile to merge. Give --name NAME to write the "
            "profile of an empty dataset."
            if empty_files
            else "The files hold no profile to merge."
        )
    merges = merges or {str(name): _Merge(str(name))}
    done = {d: (m.profiler.piece() if piece else m.profiler.finish()) for d, m in merges.items()}
    write_json(output, done)
    if not quiet:
        for dataset, merge in merges.items():
            empty = f" ({empty_files} empty file{'s' if empty_files != 1 else ''})"
            summary = f"'{dataset}'{empty if empty_files else ''}: {_size(done[dataset])}"
            print(f"Merged {merge.described()} of {summary}.", file=stdout)
        print(f"Wrote {output}.", file=stdout)
    return 0


class _Merge:
    """The merged state of one dataset's profiles and pieces, with what was merged."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.profiler = Profiler()
        self.profiles = 0
        self.pieces = 0

    def add(self, path: Path, doc: Mapping[str, Any]) -> None:
        other = as_profiler(path, doc)
        try:
            self.profiler.merge(other)
        except ValueError as exc:
            raise MlciError(
                f"Dataset '{self.dataset}': {exc} Profile every shard with the same column types."
            ) from None
        if is_piece(doc):
            self.pieces += 1
        else:
            self.profiles += 1

    def described(self) -> str:
        """``4 profiles``, ``1 piece``, ``2 profiles and 3 pieces``."""
        parts = [
            f"{n} {word}{'s' if n != 1 else ''}"
            for n, word in ((self.profiles, "profile"), (self.pieces, "piece"))
            if n
        ]
        return " and ".join(parts) or "0 profiles"


def named_profiles(
    path: Path, found: list[tuple[str | None, dict[str, Any]]], name: str | None
) -> list[tuple[str, dict[str, Any]]]:
    """The profiles of a file to merge, by dataset name.

    With ``name``, the file's profile of that dataset, or its only one(s). Without, every
    profile by its own name; a bare profile is an error.
    """
    if name is not None:
        return [(name, profile) for profile in _pick(path, found, name)]
    named: list[tuple[str, dict[str, Any]]] = []
    for dataset, profile in found:
        if dataset is None:
            raise MlciError(
                f"{path} holds a profile without a dataset name: give --name NAME (the "
                "dataset's name in mlci.yml)."
            )
        named.append((dataset, profile))
    return named


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
    """The profile of the union of the datasets profiled, from their profiles or pieces alone.

    Merges in one profiler without writing intermediate profiles, so sketches are compacted
    once, at the end. See :func:`mlci.data.profile.merge_profiles` for what is exact.
    """
    merge = _Merge(dataset)
    for profile in profiles:
        merge.add(Path(dataset or "profile"), profile)
    return merge.profiler.finish()


def as_profiler(path: Path, doc: Mapping[str, Any]) -> Profiler:
    """The profiler of a profile or piece read from ``path`` (DataError when malformed)."""
    return load_profiler(doc, source=str(path))


def load_profiles(path: Path) -> list[tuple[str | None, dict[str, Any]]]:
    """``(dataset name or None, profile)`` pairs found in a profile file (see the module doc);
    pieces are finished into profiles."""
    found = load_documents(path)
    return [(n, as_profiler(path, d).finish() if is_piece(d) else d) for n, d in found]


def load_documents(path: Path) -> list[tuple[str | None, dict[str, Any]]]:
    """``(dataset name or None, profile or piece)`` pairs found in a profile file, checked
    (see the module doc); none for an empty file."""
    try:
        text = read_text(path, limit=MAX_RECORD_BYTES)
    except DocumentError as exc:
        raise MlciError(f"{path}: {exc}.") from None
    except FileNotFoundError:
        hint = "Give profile files written by `mlci profile`."
        raise MlciError(f"{path}: file not found. {hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MlciError(f"{path}: cannot read it ({exc}).") from None
    if not text.strip():
        return []
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
