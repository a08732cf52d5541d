"""The record: one JSON document per (config name, evaluated commit).

A record is what later runs compare against: dataset fingerprints and profiles, the model's
metrics, and the gate and check results. It is written deterministically (same values, same
bytes) and validated on every read against ``mlci/jsonschemas/record.schema.json``, so a corrupt or
too-new record is reported in one line instead of crashing a run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from mlci import __version__
from mlci.bounded import MAX_RECORD_BYTES, DocumentError, parse_json
from mlci.errors import NewerRecordError, RecordError
from mlci.results import DatasetSummary, ModelEvaluation
from mlci.schemacheck import is_valid

RECORD_SCHEMA_VERSION = 1
KEY_PACKAGES = ("numpy", "pandas", "scikit-learn", "scipy", "pyarrow", "mlci")


@dataclass(frozen=True, kw_only=True)
class Record:
    """What mlci stored about one evaluated commit.

    ``datasets`` maps a dataset name to ``{"path", "fingerprint", "rows", "columns", "profile"}``;
    ``model`` is ``{"task", "source", "n_rows", "metrics": {name: float | None}}`` or None;
    ``gates`` and ``checks`` hold ``GateResult.to_dict()`` / ``CheckResult.to_dict()`` mappings;
    ``extra`` carries additions (budgets, overrides, predictions) through unchanged.
    """

    schema_version: int = RECORD_SCHEMA_VERSION
    name: str
    commit: str
    ref: str
    created_at: str
    config_hash: str
    tool_version: str
    environment: Mapping[str, Any]
    datasets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    model: Mapping[str, Any] | None = None
    gates: tuple[Mapping[str, Any], ...] = ()
    checks: tuple[Mapping[str, Any], ...] = ()
    verdict: Literal["pass", "fail"]
    extra: Mapping[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, float] | None:
        """The model's metrics (an undefined one, stored as None, is NaN); None without a model."""
        if not self.model:
            return None
        raw = self.model.get("metrics") or {}
        return {k: math.nan if v is None else float(v) for k, v in raw.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: plain containers, NaN and infinities as None."""
        raw = {
            "schema_version": self.schema_version,
            "name": self.name,
            "commit": self.commit,
            "ref": self.ref,
            "created_at": self.created_at,
            "config_hash": self.config_hash,
            "tool_version": self.tool_version,
            "environment": self.environment,
            "datasets": self.datasets,
            "model": self.model,
            "gates": self.gates,
            "checks": self.checks,
            "verdict": self.verdict,
        }
        if self.extra:
            raw["extra"] = self.extra
        jsonable: dict[str, Any] = _jsonable(raw)
        return jsonable

    def to_json(self) -> str:
        """The record as deterministic JSON: sorted keys, one top-level key per line with its
        value compact (a record holds profiles and predictions: indenting every nested list
        would make it several times larger), trailing newline."""
        data = self.to_dict()
        lines = [f"{json.dumps(key)}:{_compact(data[key])}" for key in sorted(data)]
        return "{\n" + ",\n".join(lines) + "\n}\n"

    @classmethod
    def from_json(cls, text: str, *, source: str) -> Record:
        """Parse and validate a stored record.

        ``source`` says where the text came from, as a phrase that follows "Record" in messages,
        e.g. ``"for churn-model@3f2c1ab in branch mlci-records"`` or ``"in out/record.json"``.
        Raises :class:`RecordError` for invalid JSON or a wrong shape, and its subclass
        :class:`~mlci.errors.NewerRecordError` for a newer schema version.
        """
        try:
            data = parse_json(text, limit=MAX_RECORD_BYTES)
        except DocumentError as exc:
            raise corrupt_record(source, str(exc)) from None
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: Any, *, source: str) -> Record:
        """Validate an already-parsed record document (see :meth:`from_json`)."""
        if not isinstance(data, dict):
            raise corrupt_record(source, f"expected a JSON object, got {_json_type(data)}")
        _check_version(data.get("schema_version"), source)
        _validate_shape(data, source)
        return cls(
            schema_version=data["schema_version"],
            name=data["name"],
            commit=data["commit"],
            ref=data["ref"],
            created_at=data["created_at"],
            config_hash=data["config_hash"],
            tool_version=data["tool_version"],
            environment=data["environment"],
            datasets=data["datasets"],
            model=data["model"],
            gates=tuple(data["gates"]),
            checks=tuple(data["checks"]),
            verdict=data["verdict"],
            extra=data.get("extra", {}),
        )


def dataset_entry(summary: DatasetSummary, profile: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset as ``Record.datasets`` keeps it: where, its size and fingerprint, its profile."""
    return {
        "path": summary.path,
        "fingerprint": summary.fingerprint,
        "rows": summary.rows,
        "columns": summary.columns,
        "profile": profile,
    }


def model_entry(evaluation: ModelEvaluation) -> dict[str, Any]:
    """The model's evaluation as ``Record.model`` keeps it."""
    return {
        "task": evaluation.task,
        "source": evaluation.source,
        "n_rows": evaluation.n_rows,
        "metrics": dict(evaluation.metrics),
    }


def utc_now(environ: Mapping[str, str] | None = None) -> str:
    """The current time as ISO 8601 UTC with a 'Z' suffix, to the second; a
    ``SOURCE_DATE_EPOCH`` in ``environ`` (seconds since 1970) stands for it, so a rebuilt record
    is the same byte for byte."""
    epoch = (environ or {}).get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def environment_info() -> dict[str, Any]:
    """Python version, platform, and installed versions of the key packages (missing: omitted)."""
    packages = installed_versions(KEY_PACKAGES)
    if "mlci" not in packages:  # running from a source checkout
        packages["mlci"] = __version__
    return {"python": platform.python_version(), "platform": platform_line(), "packages": packages}


def installed_versions(names: Sequence[str]) -> dict[str, str]:
    """The installed version of each of ``names`` that is installed.

    Read from the ``<name>-<version>.dist-info`` folders installers make (the first on
    ``sys.path`` wins, as for imports); a name without one is looked up by importlib.metadata
    (an egg, a zip). The folders' names cost a directory listing; importlib.metadata, imported
    and asked for six packages, cost a run about 20 ms.
    """
    wanted = {_dist_name(n): n for n in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        for folder in _listing(entry or "."):
            stem, dot, rest = folder.partition(".dist-info")
            name, dash, version = stem.partition("-")
            key = wanted.get(_dist_name(name)) if dot and not rest and dash else None
            if key is not None and key not in found:
                found[key] = version
    missing = [n for n in names if n not in found]
    if missing:
        from importlib import metadata

        for name in missing:
            with contextlib.suppress(metadata.PackageNotFoundError):
                found[name] = metadata.version(name)
    return {n: found[n] for n in names if n in found}


def _dist_name(name: str) -> str:
    """A distribution name as wheel folders spell it (``scikit-learn``: ``scikit_learn``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _listing(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:  # a zip on sys.path, a folder that went away
        return []


def platform_line() -> str:
    """``Linux-6.8.0-x86_64-with-glibc2.39``: what ``platform.platform()`` says, without the
    processor (which costs a ``uname -p`` process on Linux, and repeats the machine there)."""
    uname = os.uname() if hasattr(os, "uname") else None
    if uname is None:
        return platform.platform()
    parts = [uname.sysname, uname.release, uname.machine]
    libc, version = platform.libc_ver()
    if libc:
        parts += ["with", f"{libc}{version}"]
    return "-".join(p.replace(" ", "_") for p in parts if p)


def corrupt_record(source: str, why: str) -> RecordError:
    """The one-line error for a record that cannot be read (``source`` as in ``from_json``)."""
    return RecordError(
        f"Record {source} is corrupt: {why}. Re-run mlci on that commit to replace it."
    )


def _check_version(version: Any, source: str) -> None:
    """Refuse records written by a newer mlci before judging their shape: such a record is not
    corrupt, this mlci is too old to read it (:class:`NewerRecordError`)."""
    newer = isinstance(version, int) and not isinstance(version, bool)
    if newer and version > RECORD_SCHEMA_VERSION:
        raise NewerRecordError(
            f"Record {source} was written by a newer mlci (schema {version}, this mlci reads up "
            f"to {RECORD_SCHEMA_VERSION}); upgrade mlci: this is mlci {__version__}. Run pip "
            "install -U mlci, or pin the same mlci release in every workflow."
        )


def _validate_shape(data: dict[str, Any], source: str) -> None:
    """Refuse a record that does not follow record.schema.json, naming the first problem
    jsonschema finds; a valid one is accepted without importing jsonschema."""
    if is_valid(data, _schema(), finite_numbers=False):
        return
    from jsonschema import Draft202012Validator  # ~50 ms: only to word what is wrong
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(_schema()).iter_errors(data))
    if error is not None:
        where = _key_path(error.absolute_path)
        raise corrupt_record(source, f"{where}: {error.message}" if where else error.message)


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    text = resources.files("mlci").joinpath("jsonschemas/record.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _key_path(parts: Any) -> str:
    """``gates[0].status`` from a jsonschema error path."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _jsonable(value: Any) -> Any:
    """Plain JSON values: mappings to dicts, sequences to lists, NaN/inf and numpy scalars fixed."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    raise TypeError(f"cannot store {type(value).__name__} in a record: {value!r}")


def _compact(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
