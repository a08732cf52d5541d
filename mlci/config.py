"""The `mlci.yml` config: typed values, and the one loader that validates and builds them.

The file is validated against the JSON Schema shipped in ``mlci/jsonschemas/config.schema.json``;
every error names the file, the line, the key path and what was expected, and suggests the
near-miss key for a typo. Paths in the config are relative to the config file's directory and
are resolved here, so the rest of mlci only sees absolute paths; every one of them (and the
config file itself) must lead inside the repository, symlinks followed (see :mod:`mlci.paths`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlci.errors import ConfigError
from mlci.paths import leads_outside, outside_message, repository_of
from mlci.scorers import canonical_directions, canonical_gate, resolve_alias
from mlci.yamlfile import (
    Where,
    display_path,
    load_yaml,
    load_yaml_bytes,
    near_miss,
    packaged_schema,
    validate,
)

Task = Literal["binary", "multiclass", "regression"]
Severity = Literal["error", "warn"]
GateMode = Literal["point", "lenient", "strict"]


@dataclass(frozen=True)
class Thresholds:
    """Warn/fail thresholds of one drift score (a score >= fail fails, >= warn warns)."""

    warn: float
    fail: float


DRIFT_SCORES = ("numeric", "categorical", "proportion", "null_rate", "unseen", "cardinality")


@dataclass(frozen=True)
class DriftOverride:
    """Thresholds of one column that replace the dataset's (None: the dataset's)."""

    numeric: Thresholds | None = None
    categorical: Thresholds | None = None
    proportion: Thresholds | None = None
    null_rate: Thresholds | None = None
    unseen: Thresholds | None = None
    cardinality: Thresholds | None = None


@dataclass(frozen=True)
class DriftConfig:
    """How a dataset is compared with the baseline record's profile of the same dataset.

    A column drifts when its effect size reaches a threshold AND the difference is
    significant at level ``alpha`` (so small samples do not alarm on noise).
    """

    enabled: bool = True
    columns: Literal["all"] | tuple[str, ...] = "all"
    exclude: tuple[str, ...] = ()
    numeric: Thresholds = Thresholds(0.1, 0.2)  # Jensen-Shannon distance, base 2
    categorical: Thresholds = Thresholds(0.1, 0.2)  # Jensen-Shannon distance, base 2
    proportion: Thresholds = Thresholds(0.2, 0.5)  # Cohen's h (boolean columns)
    null_rate: Thresholds = Thresholds(0.1, 0.3)  # Cohen's h
    unseen: Thresholds = Thresholds(0.2, 0.5)  # Cohen's h of the share of unseen categories
    cardinality: Thresholds = Thresholds(0.1, 0.25)  # relative change of the distinct share
    alpha: float = 0.001  # significance level of the guard
    min_rows: int = 50  # below this on either side: "insufficient data"
    severity: Severity = "warn"  # severity of a drift "fail" (warn-level drift is always a warning)
    overrides: Mapping[str, DriftOverride] = field(default_factory=dict)  # by column
    waive: tuple[str, ...] = ()  # columns whose drift is reported but never warns or fails

    def thresholds(self, column: str, score: str) -> Thresholds:
        """The thresholds of ``score`` (one of DRIFT_SCORES) for ``column``."""
        override = self.overrides.get(column)
        own: Thresholds | None = getattr(override, score) if override is not None else None
        return own if own is not None else getattr(self, score)


@dataclass(frozen=True)
class DatasetConfig:
    """One named dataset.

    ``checks`` are the inline check mappings of the config (see docs/configuration.md);
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
    id: str | None = None  # example id column: pairs rows with the baseline's by id


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
    id: str | None = None  # example id column of the dataset (not a feature)


@dataclass(frozen=True)
class MlflowConfig:
    """An MLflow run whose metrics are the model's, or a ``model`` scored on ``data``."""

    run: str | None = None  # a run id, runs:/<id>/..., models:/<name>@<alias> or .../<version>
    tracking_uri: str | None = None  # None: MLflow's default (MLFLOW_TRACKING_URI)
    tag: bool = True  # write the verdict back to the run as mlci.* tags
    release_alias: str | None = None  # set by `mlci release` when the release gates pass
    model: str | None = None  # runs:/<id>/<path>, models:/<name>@<alias>, models:/<name>/<v>
    data: str = ""  # with `model`: the dataset it predicts
    target: str = ""
    features: tuple[str, ...] | None = None
    pos_label: Any = None
    id: str | None = None
    allow_unsafe_pickle: bool = False  # loading a pyfunc runs its code: opt in explicitly

    @property
    def named(self) -> str:  # the run or model as written: what tags and messages name
        return self.run or self.model or ""

    def model_file(self, path: Path) -> ModelFileConfig:
        """The model, downloaded to ``path``, as a model file predicting ``data``."""
        keys = ("data", "target", "features", "allow_unsafe_pickle", "pos_label", "id")
        return ModelFileConfig(path, **{k: getattr(self, k) for k in keys})


@dataclass(frozen=True)
class ModelConfig:
    """The model side: exactly one of metrics_file (or metrics_files), predictions, model and
    dvc_metrics is set."""

    task: Task
    metrics_file: Path | None = None
    metrics_files: tuple[Path, ...] = ()  # `metrics_file` given as a list
    dvc_metrics: Path | None = None  # the dvc.yaml whose metrics files are read
    dvc_params: Path | None = None  # the dvc.yaml whose params are compared with the baseline's
    mlflow: MlflowConfig | None = None  # the metrics of an MLflow run
    predictions: PredictionsConfig | None = None
    model: ModelFileConfig | None = None
    metrics: tuple[str, ...] = ()  # empty: the task's default metrics
    directions: Mapping[str, Literal["higher", "lower"]] = field(default_factory=dict)
    slices: tuple[tuple[str, ...], ...] = ()  # groupings of columns, e.g. (("plan",),)
    min_slice_size: int = 30  # smaller slices are reported as too small, never gated

    def scored(self) -> ModelFileConfig | None:
        """``model``, or an MLflow ``model`` (its URI as the path); None for other sources."""
        uri = self.mlflow.model if self.mlflow is not None else None
        return self.model or (self.mlflow.model_file(Path(uri)) if self.mlflow and uri else None)


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
    slice: tuple[str, ...] | None = None  # apply the rules to the slices of these columns
    slices: Literal["every", "worst"] = "every"  # worst: only the slice nearest to breaching
    max_gap: float | None = None  # slices: largest tolerated best-minus-worst difference


@dataclass(frozen=True)
class BudgetRule:
    """The rules on one budget; lower is better. No rule: measured and reported only."""

    max: float | None = None
    max_regression: Margin | None = None
    min_improvement: Margin | None = None
    severity: Severity = "error"


BudgetName = Literal["model_size_mb", "latency_p95_ms", "batch_latency_p95_ms", "peak_memory_mb"]
BUDGETS: tuple[BudgetName, ...] = (
    "model_size_mb",
    "latency_p95_ms",
    "batch_latency_p95_ms",
    "peak_memory_mb",
)


@dataclass(frozen=True)
class BudgetsConfig:
    """Size, latency and memory of the model file (``model.model``); ``None``: not measured."""

    model_size_mb: BudgetRule | None = None  # the file's size, MB = 10**6 bytes
    latency_p95_ms: BudgetRule | None = None  # p95 time to predict one row
    batch_latency_p95_ms: BudgetRule | None = None  # p95 time to predict one batch
    peak_memory_mb: BudgetRule | None = None  # peak memory allocated predicting one batch
    batch_size: int = 1000  # rows per batch (the whole evaluation set when smaller)
    repeats: int = 30  # timed repetitions per model, interleaved
    warmup: int = 3  # untimed repetitions per model first

    def configured(self) -> list[tuple[BudgetName, BudgetRule]]:
        """The budgets named in the config, in the order of :data:`BUDGETS`."""
        return [(name, rule) for name in BUDGETS if (rule := getattr(self, name)) is not None]


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
class DeployConfig:
    """The command `mlci release` runs to deploy a released model (in the project directory)."""

    command: str
    timeout_minutes: int = 30
    url: str | None = None  # the deployed service, shown on the GitHub Deployment


@dataclass(frozen=True)
class ReleaseConfig:
    """What `mlci release` puts in the model card, bundles and deploys."""

    intended_use: str = ""
    owner: str = ""
    limitations: str = ""
    environment: str = "production"  # the GitHub Deployment's environment
    deploy: DeployConfig | None = None
    assets: tuple[Path, ...] = ()  # extra files for the bundle, next to the model file


@dataclass(frozen=True)
class OverrideConfig:
    """A maintainer accepts a failing PR gate by applying this label (DESIGN §5)."""

    label: str = "mlci-accept-regression"


@dataclass(frozen=True)
class MonitorDataConfig:
    """Production rows standing in for dataset ``dataset``: a file, a folder or a glob."""

    dataset: str
    path: Path  # absolute; may hold glob wildcards
    format: Literal["csv", "parquet", "jsonl"] | None = None  # None: from each file's suffix


@dataclass(frozen=True)
class MonitorPredictionsConfig:
    """The served model's outputs in the rows of monitored dataset ``data``."""

    data: str
    id: str
    y_pred: str | None = "y_pred"
    y_score: str | None = None
    y_proba: tuple[str, ...] | None = None
    labels: tuple[Any, ...] | None = None
    pos_label: Any = None


@dataclass(frozen=True)
class MonitorLabelsConfig:
    """Delayed ground truth, joined with the production rows by ``id``."""

    path: Path
    id: str
    y_true: str = "y_true"
    format: Literal["csv", "parquet", "jsonl"] | None = None


@dataclass(frozen=True)
class MonitorConfig:
    """What `mlci monitor` compares with the live release (docs/monitoring.md)."""

    data: Mapping[str, MonitorDataConfig]  # by the name of the dataset each stands in for
    predictions: MonitorPredictionsConfig | None = None
    labels: MonitorLabelsConfig | None = None
    drift_severity: Severity = "error"
    issue_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """A loaded, validated `mlci.yml`."""

    name: str
    path: Path  # the config file
    root: Path  # its directory; relative paths in the file are resolved against it
    repository: Path | None = None  # the git work tree holding it (None: root); see mlci.paths
    datasets: Mapping[str, DatasetConfig] = field(default_factory=dict)
    model: ModelConfig | None = None
    gates: tuple[GateConfig, ...] = ()
    baseline: BaselineConfig = BaselineConfig()
    stats: StatsConfig = StatsConfig()
    report: ReportConfig = ReportConfig()
    release: ReleaseConfig = ReleaseConfig()
    override: OverrideConfig | None = None  # None: no override label is honoured
    budgets: BudgetsConfig | None = None
    monitor: MonitorConfig | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)  # the parsed document, for hashing
    # key path ("gates[1].metric", "datasets.eval.path") -> line in the file, for later messages
    lines: Mapping[str, int] = field(default_factory=dict)

    def where(self, key_path: str) -> str:
        """``"mlci.yml:12: gates[1].metric"`` for messages about a key found valid by the schema."""
        line = self.lines.get(key_path)
        at = f"{self.path.name}:{line}" if line else self.path.name
        return f"{at}: {key_path}"

    def check_inside(self, path: Path, key_path: str) -> None:
        """Refuse ``path`` (named by ``key_path``) when it now leads outside the repository:
        for readers that open a file long after loading (a symlink may have appeared)."""
        repository = self.repository or self.root
        target = leads_outside(path, repository)
        if target is not None:
            written = self.raw_value(key_path)
            message = outside_message(written or str(path), target, repository)
            raise ConfigError(f"{self.where(key_path)}: {message}.")

    def raw_value(self, key_path: str) -> str | None:
        """The path as the file wrote it, for one of :func:`configured_paths`' keys."""
        return dict(configured_paths(self.raw)).get(key_path)


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
    file = Path(os.path.abspath(path))
    repository = repository_of(file.parent)
    _check_config_inside(path, file, repository)
    doc, lines = load_yaml(path)
    validate(doc, packaged_schema("config.schema.json"), lines, path)
    where = Where(display_path(path), lines)
    _cross_check(doc, where)
    _check_paths_inside(doc, file.parent, repository, where)
    return _build_config(doc, file, lines, repository)


def configured_paths(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every path a (validated) config document names, as ``(key path, path as written)``:
    the values of the schema's ``#/$defs/path`` (a test keeps the two lists the same)."""
    for name, dataset in doc.get("datasets", {}).items():
        yield f"datasets.{name}.path", dataset["path"]
        if "schema" in dataset:
            yield f"datasets.{name}.schema", dataset["schema"]
    model = doc.get("model", {})
    if isinstance(model.get("metrics_file"), str):
        yield "model.metrics_file", model["metrics_file"]
    for i, written in enumerate(model.get("metrics_file") if _is_list(model) else []):
        yield f"model.metrics_file[{i}]", written
    for key in ("dvc_metrics", "dvc_params"):
        if isinstance(model.get(key), str):
            yield f"model.{key}", model[key]
    for section in ("predictions", "model"):
        if section in model:
            yield f"model.{section}.path", model[section]["path"]
    store = doc.get("baseline", {}).get("store", {})
    if "path" in store:
        yield "baseline.store.path", store["path"]
    for i, asset in enumerate(doc.get("release", {}).get("assets", [])):
        yield f"release.assets[{i}]", asset
    monitor = doc.get("monitor", {})
    for name, data in monitor.get("data", {}).items():
        yield f"monitor.data.{name}.path", data["path"]
    if "labels" in monitor:
        yield "monitor.labels.path", monitor["labels"]["path"]


def _is_list(model: Mapping[str, Any]) -> bool:
    return isinstance(model.get("metrics_file"), list)


def _check_config_inside(path: Path, file: Path, repository: Path) -> None:
    target = leads_outside(file, repository)
    if target is not None:
        message = outside_message(str(path), target, repository)
        raise ConfigError(f"{display_path(path)}: the config file {message}.")


def _check_paths_inside(doc: Mapping[str, Any], root: Path, repository: Path, where: Where) -> None:
    """Every configured path must lead inside the repository (``..``, absolute paths and
    symlinks of files and folders followed)."""
    for key_path, written in configured_paths(doc):
        target = leads_outside(root / written, repository)
        if target is not None:
            raise where.error(key_path, outside_message(written, target, repository))


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
    if isinstance(model.get("mlflow"), Mapping):
        _check_mlflow(model["mlflow"], list(datasets), where)
    if "predictions" in model:
        _check_labels(model["predictions"], "model.predictions", where)
    for i, gate in enumerate(doc.get("gates", [])):
        where.check_min_max(gate, f"gates[{i}]")
    _check_slices_and_budgets(doc, where)
    if "monitor" in doc:
        _check_monitor(doc, where)


def _check_monitor(doc: Mapping[str, Any], where: Where) -> None:
    """Monitored data names configured datasets; outputs need a task, labels need outputs."""
    monitor, names = doc["monitor"], list(doc.get("datasets", {}))
    for name in monitor["data"]:
        _check_dataset_name(name, f"monitor.data.{name}", names, where)
    predictions = monitor.get("predictions")
    if predictions is not None:
        if "model" not in doc:
            raise where.error(
                "monitor.predictions", "the served outputs are scored for `model.task`: add `model`"
            )
        monitored = list(monitor["data"])
        chosen = predictions.get("data")
        if chosen is None and len(monitored) > 1:
            raise where.error(
                "monitor.predictions",
                f"several datasets are monitored ({', '.join(monitored)}): set `data` to the one "
                "whose rows hold the outputs",
            )
        if chosen is not None and chosen not in monitored:
            hint = near_miss(chosen, monitored)
            more = f" Did you mean {hint!r}?" if hint else f" Monitored: {', '.join(monitored)}."
            raise where.error(
                "monitor.predictions.data", f"{chosen!r} is not a key of monitor.data.{more}"
            )
        _check_labels(predictions, "monitor.predictions", where)
    if "labels" in monitor and predictions is None:
        raise where.error(
            "monitor.labels",
            "labels are joined with the served outputs: add `monitor.predictions` (its `id` and "
            "the output columns)",
        )


def _check_check(
    check: Mapping[str, Any], key_path: str, own: str, names: Sequence[str], where: Where
) -> None:
    if "column" in check:
        check_column_constraints(check, key_path, where)
    elif "row_count" in check:
        where.check_min_max(check["row_count"], f"{key_path}.row_count")
    elif "no_overlap_with" in check:
        _check_dataset_name(
            check["no_overlap_with"], f"{key_path}.no_overlap_with", names, where, own=own
        )


def check_column_constraints(section: Mapping[str, Any], key_path: str, where: Where) -> None:
    """What the schema cannot say about a column's constraints: min <= max, a valid regex,
    a valid date format, min_length <= max_length."""
    where.check_min_max(section, key_path)
    pattern = section.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as e:
            raise where.error(
                f"{key_path}.pattern",
                f"{pattern!r} is not a valid regular expression ({e}); expected a Python regex "
                "such as '^[A-Z]{3}-[0-9]+$'",
            ) from None
    date_format = section.get("date_format")
    if date_format is not None and "%" not in date_format:
        raise where.error(
            f"{key_path}.date_format",
            f"{date_format!r} has no % directive; expected a strftime format such as '%Y-%m-%d'",
        )
    low, high = section.get("min_length"), section.get("max_length")
    if low is not None and high is not None and low > high:
        raise where.error(
            key_path, f"min_length ({low}) is greater than max_length ({high}); nothing can pass"
        )


def _check_mlflow(mlflow: Mapping[str, Any], datasets: Sequence[str], where: Where) -> None:
    """``model`` needs ``data``, ``target`` and ``allow_unsafe_pickle``; ``run`` takes none."""
    scoring = ("data", "target", "features", "pos_label", "id", "allow_unsafe_pickle")
    if "model" not in mlflow:
        extra = next((k for k in scoring if k in mlflow), None)
        if extra is not None:
            raise where.error(f"model.mlflow.{extra}", "applies to an MLflow `model`, not a `run`")
        return
    missing = next((k for k in ("data", "target") if k not in mlflow), None)
    if missing is not None:
        raise where.error("model.mlflow", f"`model` needs `{missing}` (the dataset it predicts)")
    _check_dataset_name(mlflow["data"], "model.mlflow.data", datasets, where)
    if mlflow.get("allow_unsafe_pickle") is not True:
        raise where.error(
            "model.mlflow.model",
            "loading an MLflow model as a pyfunc runs code the model carries; set "
            "`allow_unsafe_pickle: true` if you trust it (it runs in a process without secrets)",
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
    for kind in DRIFT_SCORES:
        _check_thresholds(drift.get(kind, {}), getattr(defaults, kind), f"{key_path}.{kind}", where)
    for column, override in drift.get("overrides", {}).items():
        for kind, given in override.items():
            base = _thresholds(getattr(defaults, kind))(drift.get(kind, {}))
            _check_thresholds(given, base, f"{key_path}.overrides.{column}.{kind}", where)


def _check_thresholds(
    given: Mapping[str, Any], default: Thresholds, key_path: str, where: Where
) -> None:
    warn, fail = given.get("warn", default.warn), given.get("fail", default.fail)
    if warn > fail:
        warn_note = "" if "warn" in given else ", the default"
        fail_note = "" if "fail" in given else ", the default"
        raise where.error(
            key_path,
            f"warn ({warn}{warn_note}) is greater than fail ({fail}{fail_note}); "
            "expected warn <= fail",
        )


_NEEDS_EXAMPLES = (
    "slices need per-example predictions: use `model.predictions`, `model.model` or "
    "`model.mlflow.model` (a metrics file or run has only overall metrics)"
)


def _check_slices_and_budgets(doc: Mapping[str, Any], where: Where) -> None:
    model = doc.get("model", {})
    mlflow = model.get("mlflow") if isinstance(model.get("mlflow"), Mapping) else {}
    examples = any(k in model for k in ("predictions", "model")) or "model" in mlflow
    if "slices" in model and not examples:
        raise where.error("model.slices", _NEEDS_EXAMPLES)
    for i, gate in enumerate(doc.get("gates", [])):
        for key in ("slices", "max_gap"):
            if key in gate and "slice" not in gate:
                raise where.error(
                    f"gates[{i}].{key}", "applies to slices; add `slice: [column, ...]` to the gate"
                )
        if "slice" in gate and not examples:
            raise where.error(f"gates[{i}].slice", _NEEDS_EXAMPLES)
    if "budgets" in doc and "model" not in model and "model" not in mlflow:
        raise where.error(
            "budgets",
            "budgets are measured on a model: set `model.model` or `model.mlflow.model` (they "
            "do not apply to `model.metrics_file`, `model.predictions` or an MLflow `run`)",
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


def _build_config(
    doc: Mapping[str, Any], file: Path, lines: Mapping[str, int], repository: Path
) -> Config:
    root = file.parent

    def resolve(value: str) -> Path:
        return Path(os.path.normpath(root / value))

    datasets = doc.get("datasets", {})
    return Config(
        name=doc["name"],
        path=file,
        root=root,
        repository=repository,
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
        release=_release(doc.get("release", {}), resolve),
        override=OverrideConfig(**doc["override"]) if "override" in doc else None,
        budgets=_budgets(doc["budgets"]) if "budgets" in doc else None,
        monitor=_monitor(doc["monitor"], resolve) if "monitor" in doc else None,
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
    scores = {kind: _thresholds(getattr(defaults, kind)) for kind in DRIFT_SCORES}
    dataset = {kind: scores[kind](section.get(kind, {})) for kind in DRIFT_SCORES}

    def overrides(given: Mapping[str, Mapping[str, Any]]) -> dict[str, DriftOverride]:
        return {
            column: DriftOverride(
                **{kind: _thresholds(dataset[kind])(t) for kind, t in override.items()}
            )
            for column, override in given.items()
        }

    return DriftConfig(
        **_fields(
            section,
            columns=lambda c: "all" if c == "all" else tuple(c),
            exclude=tuple,
            alpha=float,
            min_rows=int,
            overrides=overrides,
            waive=tuple,
            **scores,
        )
    )


def _thresholds(default: Thresholds) -> Callable[[Mapping[str, Any]], Thresholds]:
    """Thresholds from a mapping with ``warn`` and/or ``fail``, the rest from ``default``."""
    return lambda t: Thresholds(
        float(t.get("warn", default.warn)), float(t.get("fail", default.fail))
    )


def _model(section: Mapping[str, Any], resolve: Callable[[str], Path]) -> ModelConfig:
    section = dict(section)
    if isinstance(section.get("metrics_file"), list):
        section["metrics_files"] = tuple(resolve(p) for p in section.pop("metrics_file"))
    if section.get("dvc_metrics") is True:
        section["dvc_metrics"] = "dvc.yaml"
    params = section.pop("dvc_params", section.get("dvc_metrics"))  # on beside dvc_metrics
    section.update({"dvc_params": "dvc.yaml" if params is True else params} if params else {})
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
            dvc_metrics=resolve,
            dvc_params=resolve,
            mlflow=lambda m: MlflowConfig(**_fields(m, features=tuple)),
            predictions=predictions,
            model=model_file,
            metrics=lambda names: tuple(dict.fromkeys(resolve_alias(n).metric for n in names)),
            directions=canonical_directions,
            slices=lambda groupings: tuple(tuple(g) for g in groupings),
            min_slice_size=int,
        )
    )


def _release(section: Mapping[str, Any], resolve: Callable[[str], Path]) -> ReleaseConfig:
    deploy = lambda d: DeployConfig(**_fields(d, timeout_minutes=int))  # noqa: E731
    return ReleaseConfig(
        **_fields(section, deploy=deploy, assets=lambda paths: tuple(resolve(p) for p in paths))
    )


def _monitor(section: Mapping[str, Any], resolve: Callable[[str], Path]) -> MonitorConfig:
    data = {
        name: MonitorDataConfig(name, **_fields(d, path=resolve))
        for name, d in section["data"].items()
    }
    given = section.get("predictions")
    predictions = None
    if given is not None:
        fields = _fields(given, y_proba=tuple, labels=tuple)
        fields.setdefault("data", next(iter(data)))
        predictions = MonitorPredictionsConfig(**fields)
    labels = None
    if "labels" in section:
        fields = _fields(section["labels"], path=resolve)
        fields.setdefault("id", predictions.id if predictions is not None else "id")
        labels = MonitorLabelsConfig(**fields)
    return MonitorConfig(
        data=data,
        predictions=predictions,
        labels=labels,
        drift_severity=section.get("drift_severity", "error"),
        issue_labels=tuple(section.get("issue", {}).get("labels", ())),
    )


def _gate(section: Mapping[str, Any]) -> GateConfig:
    return GateConfig(
        **_fields(
            canonical_gate(section),
            min=float,
            max=float,
            max_regression=_margin,
            min_improvement=_margin,
            max_improvement=_margin,
            slice=tuple,
            max_gap=float,
        )
    )


def _budgets(section: Mapping[str, Any]) -> BudgetsConfig:
    rule = lambda r: BudgetRule(  # noqa: E731
        **_fields(r, max=float, max_regression=_margin, min_improvement=_margin)
    )
    names = ("model_size_mb", "latency_p95_ms", "batch_latency_p95_ms", "peak_memory_mb")
    return BudgetsConfig(
        **_fields(section, **dict.fromkeys(names, rule), batch_size=int, repeats=int, warmup=int)
    )


def _margin(value: float | Mapping[str, float]) -> Margin:
    """A bare number is an absolute margin."""
    if isinstance(value, Mapping):
        return Margin(**_fields(value, absolute=float, relative=float))
    return Margin(absolute=float(value))


# --- the rules a run is judged by -------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """What judging a run depends on, beyond its numbers: the gates, the stats, the budget
    rules, the metric directions and the smallest slice that is gated."""

    gates: tuple[GateConfig, ...] = ()
    stats: StatsConfig = StatsConfig()
    budgets: BudgetsConfig | None = None
    directions: Mapping[str, str] = field(default_factory=dict)
    min_slice_size: int = ModelConfig.min_slice_size


RULE_KEYS = ("gates", "stats", "budgets")  # top-level keys; directions live under `model`


def rules_of(config: Config) -> Rules:
    """The judging rules of a loaded config."""
    if config.model is None:
        return Rules(config.gates, config.stats, config.budgets)
    model = config.model
    return Rules(
        config.gates, config.stats, config.budgets, dict(model.directions), model.min_slice_size
    )


def rules_document(config: Config) -> dict[str, Any]:
    """The judging parts of the config as written (plus its hash), for report.json: what
    :func:`rules_from_document` reads back."""
    raw = config.raw
    model = raw.get("model")
    return {
        "config_hash": config_hash(config),
        **{key: copy.deepcopy(raw[key]) for key in RULE_KEYS if key in raw},
        **model_rules(model),
    }


def model_rules(model: Any) -> dict[str, Any]:
    """The judging settings of a config's ``model`` section, as a rules document has them."""
    if not isinstance(model, Mapping):
        return {"directions": {}}
    found: dict[str, Any] = {"directions": dict(model.get("directions", {}))}
    if "min_slice_size" in model:
        found["min_slice_size"] = model["min_slice_size"]
    return found


def rules_of_text(data: bytes, name: str) -> Rules:
    """The judging rules of a config file's content (e.g. read from git at another commit),
    named ``name`` in messages."""
    doc, _ = load_yaml_bytes(data, name)
    fragment = {**{k: doc[k] for k in RULE_KEYS if k in doc}, **model_rules(doc.get("model"))}
    return rules_from_document(fragment, source=name)


def rules_from_document(doc: Any, *, source: str) -> Rules:
    """The :class:`Rules` of a document written by :func:`rules_document`, validated against
    the config schema (a :class:`ConfigError` naming ``source`` when it is not valid)."""
    if not isinstance(doc, Mapping):
        raise ConfigError(f"{source}: expected a mapping of gates, stats, budgets, directions.")
    fragment = {"name": "rules", **{key: doc[key] for key in RULE_KEYS if key in doc}}
    validate(fragment, packaged_schema("config.schema.json"), {}, source)
    directions = doc.get("directions", {})
    if not isinstance(directions, Mapping) or not all(
        isinstance(k, str) and v in ("higher", "lower") for k, v in directions.items()
    ):
        raise ConfigError(f"{source}: directions: expected metric names mapped to higher or lower.")
    min_size = doc.get("min_slice_size", ModelConfig.min_slice_size)
    if not isinstance(min_size, int) or isinstance(min_size, bool) or min_size < 1:
        raise ConfigError(f"{source}: min_slice_size: expected a whole number >= 1.")
    return Rules(
        gates=tuple(_gate(gate) for gate in fragment.get("gates", [])),
        stats=StatsConfig(**_fields(fragment.get("stats", {}), confidence=float, seed=int)),
        budgets=_budgets(fragment["budgets"]) if "budgets" in fragment else None,
        directions=canonical_directions(directions),
        min_slice_size=min_size,
    )
