"""The release bundle: one directory holding what a release ships, and ``SHA256SUMS`` over it.

Layout (flat, so every file is one release asset of the same name)::

    <model file(s)>  <release.assets files>  model-card.md  metrics.json  record.json  SHA256SUMS

``SHA256SUMS`` lists every other file as ``<hex digest>  <name>`` (the format of ``sha256sum``,
so ``sha256sum -c SHA256SUMS`` verifies a download). The generated files are deterministic for
the same record and previous release, so a rerun produces identical bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci import __version__
from mlci.config import Config
from mlci.errors import MlciError
from mlci.paths import real
from mlci.records.format import Record
from mlci.release.check import ReleaseCheck
from mlci.release.model_card import CardInputs, render_model_card
from mlci.release.version import Target

CHECKSUMS = "SHA256SUMS"
CARD, METRICS, RECORD = "model-card.md", "metrics.json", "record.json"
GENERATED = (CARD, METRICS, RECORD)
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # names GitHub keeps as they are
_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")


@dataclass(frozen=True)
class BundleEntry:
    """One file of the bundle."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Bundle:
    """The written bundle: ``files`` in upload order, ``SHA256SUMS`` last."""

    directory: Path
    files: tuple[BundleEntry, ...]

    def path(self, name: str) -> Path:
        return self.directory / name


@dataclass(frozen=True)
class SourceFile:
    """A file to copy into the bundle, and where the config named it (for messages)."""

    path: Path
    key: str  # e.g. "model.model.path", "release.assets[1]"


def source_files(config: Config) -> list[SourceFile]:
    """The configured model file (``model.model.path``) and the ``release.assets``, each
    checked (again, now) to lead inside the repository: a release is public."""
    found = []
    if config.model is not None and config.model.model is not None:
        found.append(SourceFile(config.model.model.path, "model.model.path"))
    found += [SourceFile(p, f"release.assets[{i}]") for i, p in enumerate(config.release.assets)]
    for source in found:
        config.check_inside(source.path, source.key)
    return found


def bundle_name(path: Path) -> str:
    """The file's name in the bundle: characters GitHub would rewrite become ``_``."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", path.name).lstrip("._-")
    return name if _SAFE.fullmatch(name) else f"file_{name}"


def entry(path: Path) -> BundleEntry:
    size, digest = sha256_of(path)
    return BundleEntry(path.name, size, digest)


def sha256_of(path: Path, chunk: int = 1 << 20) -> tuple[int, str]:
    """(size, hex SHA-256) of a file, read in chunks (model files can be large)."""
    h, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def write_bundle(
    directory: Path, sources: Sequence[SourceFile], generated: Mapping[str, str], *, config: Config
) -> Bundle:
    """Write the bundle to ``directory`` (replacing an earlier bundle there).

    ``generated`` maps :data:`GENERATED` names to their text. Raises :class:`MlciError` for a
    missing or unreadable source, a directory, or two files that would get the same name.
    """
    names = _names(sources, config)
    _reset(directory)
    for source, name in zip(sources, names, strict=True):
        _copy(source, directory / name, config)
    for name, text in generated.items():
        (directory / name).write_text(text, encoding="utf-8", newline="\n")
    entries = [entry(directory / n) for n in [*names, *generated]]
    (directory / CHECKSUMS).write_text(sha256sums(entries), encoding="utf-8", newline="\n")
    return Bundle(directory, (*entries, entry(directory / CHECKSUMS)))


def sha256sums(entries: Sequence[BundleEntry]) -> str:
    """``<hex>  <name>`` lines, sorted by name."""
    return "".join(f"{e.sha256}  {e.name}\n" for e in sorted(entries, key=lambda e: e.name))


def parse_sha256sums(text: str) -> dict[str, str]:
    """name -> hex digest from a ``SHA256SUMS`` text; ValueError on a malformed line."""
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"line {number} is not '<sha256>  <name>': {line!r}")
        sums[match[2]] = match[1]
    return sums


def verify_bundle(directory: Path) -> list[str]:
    """What is wrong with a bundle: files whose digest differs, listed but missing, or
    present but not listed. Empty when ``SHA256SUMS`` covers every file exactly."""
    sums = parse_sha256sums((directory / CHECKSUMS).read_text(encoding="utf-8"))
    present = {p.name for p in directory.iterdir() if p.is_file() and p.name != CHECKSUMS}
    problems = [f"{n}: listed but missing" for n in sorted(set(sums) - present)]
    problems += [f"{n}: not listed" for n in sorted(present - set(sums))]
    for name in sorted(present & set(sums)):
        if entry(directory / name).sha256 != sums[name]:
            problems.append(f"{name}: checksum differs")
    return problems


def dumps_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, 2-space indent, NaN and infinities as null."""
    return (
        json.dumps(_finite(value), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
        + "\n"
    )


def _finite(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _names(sources: Sequence[SourceFile], config: Config) -> list[str]:
    names: dict[str, SourceFile] = {}
    for source in sources:
        name = bundle_name(source.path)
        clash = names.get(name)
        if clash is not None or name in (*GENERATED, CHECKSUMS):
            other = clash.key if clash is not None else "a file mlci generates"
            raise MlciError(
                f"{config.where(source.key)}: {source.path.name} would be named {name} in the "
                f"release bundle, like {other}. Rename one of the files."
            )
        names[name] = source
    return list(names)


def _reset(directory: Path) -> None:
    """Empty ``directory`` for a new bundle; refuse to empty a folder that is not a bundle."""
    if directory.exists():
        if not directory.is_dir() or (
            any(directory.iterdir()) and not (directory / CHECKSUMS).exists()
        ):
            raise MlciError(
                f"{directory} exists and is not an mlci release bundle: choose another "
                "--output-dir (mlci replaces the bundle folder it writes)."
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True)


def _copy(source: SourceFile, target: Path, config: Config) -> None:
    where = config.where(source.key)
    config.check_inside(source.path, source.key)  # at the last moment: what is copied is public
    if source.path.is_dir():
        raise MlciError(
            f"{where}: {source.path} is a directory; list its files under release.assets, or "
            "archive it (e.g. tar czf model.tar.gz model/) and list the archive."
        )
    try:
        shutil.copyfile(real(source.path), target)
    except FileNotFoundError:
        raise MlciError(
            f"{where}: {source.path} not found. The release bundle needs it: build it before "
            "`mlci release` runs, or fix the path."
        ) from None
    except OSError as exc:
        raise MlciError(f"{where}: cannot read {source.path}: {exc.strerror}.") from None
    os.chmod(target, 0o644)


# -- the bundle of a release ----------------------------------------------------------------


def build_bundle(
    config: Config, target: Target, record: Record, check: ReleaseCheck, directory: Path
) -> Bundle:
    """Write the release's bundle to ``directory``: its files, the model card, metrics.json,
    the record and ``SHA256SUMS``."""
    sources = source_files(config)
    digests = [(bundle_name(s.path), entry(s.path)) for s in sources if s.path.is_file()]
    model_entries = tuple(BundleEntry(name, e.size, e.sha256) for name, e in digests)
    card = render_model_card(
        CardInputs(
            config.name, target.tag, record, check, config.release, model_entries, __version__
        )
    )
    generated = {
        CARD: card,
        METRICS: dumps_json(metrics_document(config, target, check)),
        RECORD: record.to_json(),
    }
    return write_bundle(directory, sources, generated, config=config)


def metrics_document(config: Config, target: Target, check: ReleaseCheck) -> dict[str, Any]:
    """``metrics.json``: the release's metrics, their change since the previous release (with
    its interval where known) and the strict gate results."""
    metrics = {c.name: c.value for c in check.comparisons}
    change = {
        c.name: {
            "change": c.change,
            "change_pct": c.change_pct,
            "delta": c.delta,
            "ci_low": c.ci_low,
            "ci_high": c.ci_high,
            "ci_level": c.ci_level,
            "method": c.method,
            "higher_is_better": c.higher_is_better,
        }
        for c in check.comparisons
        if c.baseline is not None
    }
    previous = check.previous
    return {
        "name": config.name,
        "tag": target.tag.tag,
        "version": target.tag.version,
        "commit": target.commit,
        "metrics": metrics,
        "previous_release": None
        if previous is None
        else {
            "tag": previous.tag,
            "commit": previous.commit,
            "metrics": {c.name: c.baseline for c in check.comparisons if c.baseline is not None},
        },
        "change": change,
        "gates": [g.to_dict() for g in check.gates],
        "verdict": "pass" if check.passed else "fail",
    }
