"""The `mlci.yml` config: typed values, and the one loader that validates and builds them.

The file is validated against the JSON Schema shipped in ``mlci/schema/config.schema.json``;
every error names the file, the line, the key path and what was expected, and suggests the
near-miss key for a typo. Paths in the config are relative to the config file's directory and
are resolved here, so the rest of mlci only sees absolute paths.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlci.yamlfile import Where, display_path, load_yaml, near_miss, packaged_schema, validate

Task = Literal["binary", "multiclass", "regression"]
Severity = Literal["error", "warn"]
GateMode = Literal["point", "lenient", "strict"]


@dataclass(frozen=True)
class Thresholds:
    """Warn/fail thresholds of one drift score (a score >= fail fails, >= warn warns)."""

    warn: float
    fail: float


@dataclass(frozen=True)
class DriftConfig:
    """How a dataset is compared with the baseline record's profile of the same dataset."""

    enabled: bool = True
    columns: Literal["all"] | tuple[str, ...] = "all"
    exclude: tuple[str, ...] = ()
    numeric: Thresholds = Thresholds(0.1, 0.2)  # Jensen-Shannon distance, base 2
    categorical: Thresholds = Thresholds(0.1, 0.2)  # Jensen-Shannon distance, base 2
    null_rate: Thresholds = Thresholds(0.1, 0.3)  # Cohen's h
    min_rows: int = 50  # below this on either side: "insufficient data"
    severity: Severity = "warn"  # severity of a drift "fail" (warn-level drift is always a warning)


@dataclass(frozen=True)
class DatasetConfig:
    """One named dataset.

    ``checks`` are the inline check mappings of the config (see the README's check reference);
    ``schema`` is an optional schema file whose checks are added to them.
    """

    name: str
    path: Path
    format: Literal["csv", "parquet", "jsonl"] | None = None  # None: from the file suffix
    schema: Path | None = None
    checks: tuple[Mapping[str, Any], ...] = ()
    drift: DriftConfig = DriftConfig()


@dataclass(frozen=True)
class PredictionsConfig:
    """A predictions file and the names of its columns."""

    path: Path
    y_true: str = "y_true"
    y_pred: str | None = "y_pred"
    y_score: str | None = None  # binary: score/probability of the positive class
    y_proba: tuple[str, ...] | None = None  # multiclass: one probability column per class
    labels: tuple[Any, ...] | None = None  # class label of each y_proba column (default: suffix)
    pos_label: Any = None  # binary: the positive class (default: 1 / True / the larger label)


@dataclass(frozen=True)
class ModelFileConfig:
    """A scikit-learn-compatible model file and the dataset it is evaluated on."""

    path: Path
    data: str  # the name of a dataset in `datasets`
    target: str
    features: tuple[str, ...] | None = None  # default: every column except the target
    allow_unsafe_pickle: bool = False  # joblib/pickle run code when loaded: opt in explicitly
    trusted_types: tuple[str, ...] = ()  # extra types skops may load
    pos_label: Any = None


@dataclass(frozen=True)
class ModelConfig:
    """The model side: exactly one of metrics_file, predictions and model is set."""

    task: Task
    metrics_file: Path | None = None
    predictions: PredictionsConfig | None = None
    model: ModelFileConfig | None = None
    metrics: tuple[str, ...] = ()  # empty: the task's default metrics
    directions: Mapping[str, Literal["higher", "lower"]] = field(default_factory=dict)


@dataclass(frozen=True)
class Margin:
    """A tolerated or required change: absolute (metric units) and/or relative (fraction)."""

    absolute: float | None = None
    relative: float | None = None


@dataclass(frozen=True)
class GateConfig:
    """One gate rule on a metric. Several rules may be set on one gate entry."""

    metric: str
    min: float | None = None
    max: float | None = None
    max_regression: Margin | None = None
    min_improvement: Margin | None = None
    max_improvement: Margin | None = None
    severity: Severity = "error"
    direction: Literal["higher", "lower"] | None = None
    mode: GateMode | None = None  # None: stats.mode


@dataclass(frozen=True)
class StoreConfig:
    """Where records live: a git branch of the repository, or a directory."""

    type: Literal["git", "dir"] = "git"
    branch: str = "mlci-records"
    remote: str = "origin"
    path: Path | None = None  # type: dir


@dataclass(frozen=True)
class BaselineConfig:
    branch: str = "main"
    store: StoreConfig = StoreConfig()
    on_missing: Literal["skip", "fail"] = "skip"
    max_depth: int = 50  # first-parent ancestors searched for a record


@dataclass(frozen=True)
class StatsConfig:
    mode: GateMode = "lenient"
    confidence: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class ReportConfig:
    comment: bool = True
    max_comment_chars: int = 60_000


@dataclass(frozen=True)
class Config:
    """A loaded, validated `mlci.yml`."""

    name: str
    path: Path  # the config file
    root: Path  # its directory; relative paths in the file are resolved against it
    datasets: Mapping[str, DatasetConfig] = field(default_factory=dict)
    model: ModelConfig | None = None
    gates: tuple[GateConfig, ...] = ()
    baseline: BaselineConfig = BaselineConfig()
    stats: StatsConfig = StatsConfig()
    report: ReportConfig = ReportConfig()
    raw: Mapping[str, Any] = field(default_factory=dict)  # the parsed document, for hashing
    # key path ("gates[1].metric", "datasets.eval.path") -> line in the file, for later messages
    lines: Mapping[str, int] = field(default_factory=dict)

    def where(self, key_path: str) -> str:
        """``"mlci.yml:12: gates[1].metric"`` for messages about a key found valid by the schema."""
        line = self.lines.get(key_path)
        at = f"{self.path.name}:{line}" if line else self.path.name
        return f"{at}: {key_path}"


# --- loading ------------------------------------------------------------------------------

_SUFFIX_FORMATS: Mapping[str, Literal["csv", "parquet", "jsonl"]] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def load_config(path: Path | str) -> Config:
    """Read, validate and build an ``mlci.yml``.

    Parameters
    ----------
    path:
        The config file. Relative paths inside it are resolved against its directory.

    Returns
    -------
    The :class:`Config`, with defaults applied, absolute paths, ``raw`` (the parsed document)
    and ``lines`` (key path -> line) filled in.

    Raises
    ------
    ConfigError
        One line naming the file, the line and the key path, e.g.
        ``mlci.yml:3: model.task: expected one of 'binary', 'multiclass', 'regression';
        got 'binry'.``

    Example
    -------
    >>> config = load_config("mlci.yml")  # doctest: +SKIP
    >>> config.where("gates[0].metric")  # doctest: +SKIP
    'mlci.yml:14: gates[0].metric'
    """
    path = Path(path)
    doc, lines = load_yaml(path)
    validate(doc, packaged_schema("config.schema.json"), lines, path)
    _cross_check(doc, Where(display_path(path), lines))
    file = Path(os.path.abspath(path))
    return _build_config(doc, file, lines)


def config_hash(config: Config) -> str:
    """``"sha256:<hex>"`` of the parsed config: comments and formatting do not change it."""
    canonical = json.dumps(
        config.raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def format_from_suffix(path: Path) -> Literal["csv", "parquet", "jsonl"] | None:
    """The data format a file name implies, or None (the reader then says what to do)."""
    return _SUFFIX_FORMATS.get(path.suffix.lower())


# --- checks the schema cannot express -------------------------------------------------------


def _cross_check(doc: Mapping[str, Any], where: Where) -> None:
    datasets: Mapping[str, Any] = doc.get("datasets", {})
    for name, dataset in datasets.items():
        for i, check in enumerate(dataset.get("checks", [])):
            _check_check(check, f"datasets.{name}.checks[{i}]", name, list(datasets), where)
        if isinstance(dataset.get("drift"), dict):
            _check_drift(dataset["drift"], f"datasets.{name}.drift", where)
    model = doc.get("model", {})
    if "model" in model:
        _check_dataset_name(model["model"]["data"], "model.model.data", list(datasets), where)
    if "predictions" in model:
        _check_labels(model["predictions"], "model.predictions", where)
    for i, gate in enumerate(doc.get("gates", [])):
        where.check_min_max(gate, f"gates[{i}]")


def _check_check(
    check: Mapping[str, Any], key_path: str, own: str, names: Sequence[str], where: Where
) -> None:
    if "column" in check:
        where.check_min_max(check, key_path)
    elif "row_count" in check:
        where.check_min_max(check["row_count"], f"{key_path}.row_count")
    elif "no_overlap_with" in check:
        _check_dataset_name(
            check["no_overlap_with"], f"{key_path}.no_overlap_with", names, where, own=own
        )


def _check_dataset_name(
    value: str, key_path: str, names: Sequence[str], where: Where, *, own: str | None = None
) -> None:
    if value == own:
        raise where.error(key_path, f"{value!r} is this check's own dataset; name another dataset")
    if value in names:
        return
    others = [n for n in names if n != own]
    close = near_miss(value, others)
    if close:
        hint = f"Did you mean {close!r}?"
    elif others:
        hint = f"Defined datasets: {', '.join(others)}."
    else:
        hint = f"No {'other ' if own else ''}dataset is defined; add it under `datasets:`."
    raise where.error(key_path, f"unknown dataset {value!r}. {hint}")


def _check_drift(drift: Mapping[str, Any], key_path: str, where: Where) -> None:
    defaults = DriftConfig()
    for kind in ("numeric", "categorical", "null_rate"):
        given = drift.get(kind, {})
        default: Thresholds = getattr(defaults, kind)
        warn, fail = given.get("warn", default.warn), given.get("fail", default.fail)
        if warn > fail:
            warn_note = "" if "warn" in given else ", the default"
            fail_note = "" if "fail" in given else ", the default"
            raise where.error(
                f"{key_path}.{kind}",
                f"warn ({warn}{warn_note}) is greater than fail ({fail}{fail_note}); "
                "expected warn <= fail",
            )


def _check_labels(predictions: Mapping[str, Any], key_path: str, where: Where) -> None:
    labels, proba = predictions.get("labels"), predictions.get("y_proba")
    if labels is not None and proba is not None and len(labels) != len(proba):
        raise where.error(
            f"{key_path}.labels",
            f"expected one label per y_proba column ({len(proba)}); got {len(labels)}",
        )


# --- building the values ------------------------------------------------------------------


def _fields(section: Mapping[str, Any], **convert: Callable[[Any], Any]) -> dict[str, Any]:
    """The keys present in a validated section (named like the fields), converted as given."""
    return {key: convert[key](v) if key in convert else v for key, v in section.items()}


def _build_config(doc: Mapping[str, Any], file: Path, lines: Mapping[str, int]) -> Config:
    root = file.parent

    def resolve(value: str) -> Path:
        return Path(os.path.normpath(root / value))

    datasets = doc.get("datasets", {})
    return Config(
        name=doc["name"],
        path=file,
        root=root,
        datasets={name: _dataset(name, d, resolve) for name, d in datasets.items()},
        model=_model(doc["model"], resolve) if "model" in doc else None,
        gates=tuple(_gate(gate) for gate in doc.get("gates", [])),
        baseline=BaselineConfig(
            **_fields(
                doc.get("baseline", {}),
                store=lambda s: StoreConfig(**_fields(s, path=resolve)),
                max_depth=int,
            )
        ),
        stats=StatsConfig(**_fields(doc.get("stats", {}), confidence=float, seed=int)),
        report=ReportConfig(**_fields(doc.get("report", {}), max_comment_chars=int)),
        raw=doc,
        lines=dict(lines),
    )


def _dataset(
    name: str, section: Mapping[str, Any], resolve: Callable[[str], Path]
) -> DatasetConfig:
    fields = _fields(
        section,
        path=resolve,
        schema=resolve,
        checks=lambda checks: tuple(copy.deepcopy(c) for c in checks),
        drift=_drift,
    )
    fields.setdefault("format", format_from_suffix(fields["path"]))
    return DatasetConfig(name=name, **fields)


def _drift(section: bool | Mapping[str, Any]) -> DriftConfig:
    if isinstance(section, bool):
        return DriftConfig(enabled=section)
    defaults = DriftConfig()

    def thresholds(kind: str) -> Callable[[Mapping[str, Any]], Thresholds]:
        default: Thresholds = getattr(defaults, kind)
        return lambda t: Thresholds(
            float(t.get("warn", default.warn)), float(t.get("fail", default.fail))
        )

    return DriftConfig(
        **_fields(
            section,
            columns=lambda c: "all" if c == "all" else tuple(c),
            exclude=tuple,
            numeric=thresholds("numeric"),
            categorical=thresholds("categorical"),
            null_rate=thresholds("null_rate"),
            min_rows=int,
        )
    )


def _model(section: Mapping[str, Any], resolve: Callable[[str], Path]) -> ModelConfig:
    predictions = lambda p: PredictionsConfig(  # noqa: E731
        **_fields(p, path=resolve, y_proba=tuple, labels=tuple)
    )
    model_file = lambda m: ModelFileConfig(  # noqa: E731
        **_fields(m, path=resolve, features=tuple, trusted_types=tuple)
    )
    return ModelConfig(
        **_fields(
            section,
            metrics_file=resolve,
            predictions=predictions,
            model=model_file,
            metrics=tuple,
            directions=dict,
        )
    )


def _gate(section: Mapping[str, Any]) -> GateConfig:
    return GateConfig(
        **_fields(
            section,
            min=float,
            max=float,
            max_regression=_margin,
            min_improvement=_margin,
            max_improvement=_margin,
        )
    )


def _margin(value: float | Mapping[str, float]) -> Margin:
    """A bare number is an absolute margin."""
    if isinstance(value, Mapping):
        return Margin(**_fields(value, absolute=float, relative=float))
    return Margin(absolute=float(value))
