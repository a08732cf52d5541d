"""Reading the three model inputs: a metrics file, a predictions file, a model file.

Every problem with these files is a :class:`~mlci.errors.ModelError` with one line that names the
file, what was wrong and what to do.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlci.bounded import (
    MAX_DEPTH,
    MAX_YAML_BYTES,
    DocumentError,
    depth_of,
    parse_json,
    read_text,
    too_deep,
)
from mlci.config import PredictionsConfig
from mlci.errors import ConfigError, ModelError
from mlci.model.metrics import default_pos_label
from mlci.model.uncertainty import is_uncertain_metric, parse_uncertain
from mlci.scorers import resolve_alias
from mlci.yamlfile import near_miss, parse_yaml

PROBA_SUM_TOLERANCE = 1e-2  # class probabilities of a row must sum to 1 within this
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


@dataclass(frozen=True, eq=False)
class Predictions:
    """Per-example predictions, however they were obtained (file or model).

    ``y_score`` is the binary positive-class score; ``y_proba`` the multiclass probabilities with
    ``labels`` the class of each column; ``frame`` the whole table (for slices and example ids);
    ``pos_label`` the positive class of a binary task.
    """

    y_true: np.ndarray
    y_pred: np.ndarray | None
    y_score: np.ndarray | None
    y_proba: np.ndarray | None
    labels: tuple[Any, ...] | None
    frame: pd.DataFrame
    pos_label: Any = None


def show_path(path: Path) -> str:
    """``path`` relative to the working directory when it is under it, for messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- metrics files -----------------------------------------------------------------------------


def load_metrics_file(path: Path) -> dict[str, float]:
    """Read a JSON, YAML or TOML metrics file into ``{name: value}``.

    Nested mappings are flattened with dots as DVC does (``{"test": {"auc": 0.9}}`` gives
    ``{"test.auc": 0.9}``); non-numeric leaves (strings, lists, booleans, nulls) are skipped.
    A metric may also be given with its uncertainty (:mod:`mlci.model.uncertainty`):
    :func:`load_metrics_file_with_errors` reads both.
    """
    return load_metrics_file_with_errors(path)[0]


def load_metrics_file_with_errors(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """The metrics of a metrics file and the standard error of those that give one."""
    document = _parse_metrics_document(path)
    if not isinstance(document, Mapping):
        kind = type(document).__name__
        raise ModelError(
            f"Metrics file {show_path(path)} must hold a mapping of metric names to numbers, "
            f"got a {kind}."
        )
    metrics: dict[str, float] = {}
    errors: dict[str, float] = {}
    try:
        for name, value, se in _numeric_leaves(document, prefix=""):
            metrics[name] = value
            if se is not None:
                errors[name] = se
    except ValueError as exc:
        raise ModelError(f"Metrics file {show_path(path)}: {exc}.") from None
    metrics, errors = _canonical(metrics, metrics), _canonical(errors, metrics, signed=False)
    if not metrics:
        raise ModelError(
            f"Metrics file {show_path(path)} has no numeric metric; expected e.g. "
            '{"accuracy": 0.91}.'
        )
    for name, value in metrics.items():
        if not math.isfinite(value):
            raise ModelError(
                f"Metrics file {show_path(path)}: `{name}` is {_non_finite(value)}; "
                "a metric must be a finite number."
            )
    return metrics, errors


def _canonical(
    values: dict[str, float], names: Collection[str], *, signed: bool = True
) -> dict[str, float]:
    """Top-level scikit-learn names under their registered metric, as the config has them
    (``neg_log_loss: -0.31`` is ``log_loss: 0.31``); a metric written under both names (among
    ``names``, the file's metrics) keeps the registered one. ``signed=False`` for standard
    errors, which a negation leaves as they are."""
    found: dict[str, float] = {}
    for name, value in values.items():
        alias = resolve_alias(name)
        if alias.metric == name or alias.metric not in names:
            found[alias.metric] = (alias.sign if signed else 1) * value
    return found


def _parse_metrics_document(path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml", ".toml"):
        raise ModelError(
            f"Metrics file {show_path(path)}: unsupported suffix `{path.suffix}`; "
            "use .json, .yaml, .yml or .toml."
        )
    text = _read_text(path, "Metrics file", "model.metrics_file")
    if suffix == ".toml":
        return _parse_toml(path, text)
    return _parse_json(path, text) if suffix == ".json" else _parse_yaml(path, text)


def _parse_toml(path: Path, text: str) -> Any:
    """TOML as DVC reads it; nested no deeper than JSON and YAML may be."""
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        raise ModelError(
            f"Metrics file {show_path(path)}: reading TOML needs Python 3.11 or later."
        ) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"Metrics file {show_path(path)}: not valid TOML ({exc}).") from None
    except RecursionError:
        raise ModelError(f"Metrics file {show_path(path)}: {too_deep(MAX_DEPTH)}.") from None
    if depth_of(document) > MAX_DEPTH:
        raise ModelError(f"Metrics file {show_path(path)}: {too_deep(MAX_DEPTH)}.")
    return document


def _read_text(path: Path, what: str, key: str) -> str:
    if not path.is_file():
        raise ModelError(f"{what} {show_path(path)} not found; check `{key}` in the config.")
    try:
        return read_text(path, limit=MAX_YAML_BYTES)
    except (OSError, UnicodeDecodeError, DocumentError) as exc:
        raise ModelError(f"{what} {show_path(path)} could not be read: {exc}.") from exc


def _parse_json(path: Path, text: str) -> Any:
    try:
        return parse_json(text, limit=MAX_YAML_BYTES)
    except DocumentError as exc:
        raise ModelError(f"Metrics file {show_path(path)}: {exc}.") from None


def _parse_yaml(path: Path, text: str) -> Any:
    """The YAML 1.2 loader of mlci.yml, with its limits (aliases, depth)."""

    try:
        document, _ = parse_yaml(text, show_path(path))
    except ConfigError as exc:
        raise ModelError(f"Metrics file {exc}") from None
    return document


def _numeric_leaves(
    node: Mapping[Any, Any], prefix: str
) -> Iterator[tuple[str, float, float | None]]:
    """``(name, value, standard error or None)`` of every metric; ValueError for a metric in
    the uncertainty shape that is malformed."""
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and is_uncertain_metric(value):
            yield (name, *parse_uncertain(name, value))
        elif isinstance(value, Mapping):
            yield from _numeric_leaves(value, prefix=f"{name}.")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield name, float(value), None


def _non_finite(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "inf" if value > 0 else "-inf"


# --- predictions files -------------------------------------------------------------------------


def read_predictions(cfg: PredictionsConfig, task: str) -> Predictions:
    """Read and validate a CSV or Parquet predictions file for ``task``.

    Multiclass probability columns get their class from ``cfg.labels``, else from their names with
    a common prefix/suffix removed (``p_basic`` -> ``basic``), matched to the ``y_true`` values.
    A missing ``y_pred`` is derived from the scores (binary: score >= 0.5; multiclass: argmax).
    """
    reader = _PredictionsReader(cfg, _read_table(cfg.path))
    if task == "regression":
        return reader.regression()
    if task == "binary":
        return reader.binary()
    if task == "multiclass":
        return reader.multiclass()
    raise ModelError(f"Unknown task `{task}`; expected binary, multiclass or regression.")


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise ModelError(
            f"Predictions file {show_path(path)}: unsupported suffix `{path.suffix}`; "
            "use .csv or .parquet."
        )
    if not path.is_file():
        raise ModelError(
            f"Predictions file {show_path(path)} not found; "
            "check `model.predictions.path` in the config."
        )
    frame = _read_frame(path, suffix)
    if frame.empty:
        raise ModelError(
            f"Predictions file {show_path(path)} is empty; "
            "expected a header row and one row per example."
        )
    return frame


def _read_frame(path: Path, suffix: str) -> pd.DataFrame:
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        return pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except Exception as exc:  # pandas/pyarrow raise many types for a malformed file
        kind = "CSV" if suffix == ".csv" else "Parquet"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"Predictions file {show_path(path)} could not be read as {kind}: {reason}."
        ) from exc


class _PredictionsReader:
    """Validates the columns of one predictions table; one method per task."""

    def __init__(self, cfg: PredictionsConfig, frame: pd.DataFrame) -> None:
        self.cfg = cfg
        self.frame = frame
        self.where = f"Predictions file {show_path(cfg.path)}"

    def regression(self) -> Predictions:
        if self.cfg.y_pred is None:
            raise ModelError("A regression needs predicted values: set `model.predictions.y_pred`.")
        y_true = self.numeric("y_true", self.cfg.y_true)
        y_pred = self.numeric("y_pred", self.cfg.y_pred)
        return Predictions(y_true, y_pred, None, None, None, self.frame)

    def binary(self) -> Predictions:
        y_true = self.labels_column("y_true", self.cfg.y_true)
        y_pred = self.optional_pred()
        raw_labels = self.proba_labels() if self.cfg.y_proba else None
        classes = self.binary_classes(y_true, y_pred, raw_labels)
        positive = _match_one(default_pos_label(classes, self.cfg.pos_label), classes)
        y_score = self.binary_score(raw_labels, positive)
        if y_pred is None and y_score is not None:
            y_pred = _threshold(y_score, positive, classes)
        labels = tuple(classes) if len(classes) == 2 else None
        return Predictions(y_true, y_pred, y_score, None, labels, self.frame, positive)

    def multiclass(self) -> Predictions:
        y_true = self.labels_column("y_true", self.cfg.y_true)
        y_pred = self.optional_pred()
        if not self.cfg.y_proba:
            return Predictions(y_true, y_pred, None, None, None, self.frame)
        labels = self.proba_labels()
        y_proba = self.probabilities(self.cfg.y_proba)
        self.check_classes_covered(y_true, labels)
        if y_pred is None:
            y_pred = np.asarray(labels)[y_proba.argmax(axis=1)]
        return Predictions(y_true, y_pred, None, y_proba, labels, self.frame)

    # -- columns

    def column(self, key: str, name: str) -> pd.Series:
        if name not in self.frame.columns:
            raise ModelError(self.missing_column_message(key, name))
        return self.frame[name]

    def missing_column_message(self, key: str, name: str) -> str:

        columns = [str(c) for c in self.frame.columns]
        close = near_miss(name, columns, shortening=True)  # from the file's own columns
        hint = f" Did you mean `{close}`?" if close else ""
        return (
            f"{self.where} has no column `{name}` (`model.predictions.{key}`).{hint} "
            f"Columns: {', '.join(columns)}."
        )

    def complete(self, key: str, name: str, what: str) -> pd.Series:
        series = self.column(key, name)
        missing = series.isna().to_numpy()
        if missing.any():
            raise ModelError(
                f"{self.where}: column `{name}` ({key}) has {int(missing.sum())} missing "
                f"value(s), first in data row {int(missing.argmax()) + 1}; "
                f"every example needs {what}."
            )
        return series

    def labels_column(self, key: str, name: str) -> np.ndarray:
        what = "a true label" if key == "y_true" else "a predicted label"
        return self.complete(key, name, what).to_numpy()

    def numeric(self, key: str, name: str) -> np.ndarray:
        what = "a true value" if key == "y_true" else "a number"
        series = self.complete(key, name, what)
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            bad = pd.to_numeric(series, errors="coerce").isna().to_numpy()
            row = int(bad.argmax()) if bad.any() else 0
            raise ModelError(
                f"{self.where}: column `{name}` ({key}) is not numeric "
                f"(e.g. {series.iloc[row]!r} in data row {row + 1}); expected numbers."
            )
        return series.to_numpy(dtype=float)

    def optional_pred(self) -> np.ndarray | None:
        """y_pred, or None when it may be derived: the default name is absent and scores exist."""
        name = self.cfg.y_pred
        if name is None:
            return None
        has_scores = self.cfg.y_score is not None or bool(self.cfg.y_proba)
        if name == "y_pred" and name not in self.frame.columns and has_scores:
            return None
        return self.labels_column("y_pred", name)

    # -- scores and probabilities

    def probability(self, key: str, name: str) -> np.ndarray:
        values = self.numeric(key, name)
        outside = (values < 0) | (values > 1)
        if outside.any():
            row = int(outside.argmax())
            raise ModelError(
                f"{self.where}: column `{name}` ({key}) has values outside [0, 1] "
                f"(e.g. {values[row]:g} in data row {row + 1}); expected probabilities."
            )
        return values

    def probabilities(self, names: Sequence[str]) -> np.ndarray:
        proba = np.column_stack([self.probability("y_proba", name) for name in names])
        sums = proba.sum(axis=1)
        off = np.abs(sums - 1.0) > PROBA_SUM_TOLERANCE
        if off.any():
            row = int(off.argmax())
            raise ModelError(
                f"{self.where}: the y_proba columns of data row {row + 1} sum to "
                f"{sums[row]:.4g}; each row's class probabilities must sum to 1 "
                f"(within {PROBA_SUM_TOLERANCE:g})."
            )
        return proba

    def proba_labels(self) -> tuple[Any, ...]:
        names = tuple(self.cfg.y_proba or ())
        for name in names:
            self.column("y_proba", name)
        if self.cfg.labels is not None and len(self.cfg.labels) != len(names):
            raise ModelError(
                f"`model.predictions.labels` has {len(self.cfg.labels)} labels but "
                f"`model.predictions.y_proba` has {len(names)} columns; give one label per column."
            )
        raw = self.cfg.labels if self.cfg.labels is not None else strip_affixes(names)
        observed = pd.unique(self.frame[self.cfg.y_true].dropna()).tolist()
        return tuple(_match_one(label, observed) for label in raw)

    def check_classes_covered(self, y_true: np.ndarray, labels: tuple[Any, ...]) -> None:
        missing = [c for c in _unique(y_true) if c not in set(labels)]
        if missing:
            raise ModelError(
                f"{self.where}: y_true has classes without a y_proba column: "
                f"{', '.join(map(str, missing))}; the y_proba columns are for "
                f"{', '.join(map(str, labels))}. Set `model.predictions.labels` to the class of "
                "each y_proba column."
            )

    def binary_classes(
        self, y_true: np.ndarray, y_pred: np.ndarray | None, labels: tuple[Any, ...] | None
    ) -> list[Any]:
        seen = _unique(y_true) + ([] if y_pred is None else _unique(y_pred)) + list(labels or ())
        classes = _sorted_unique(seen)
        if len(classes) > 2:
            shown = ", ".join(map(str, classes[:5])) + (", ..." if len(classes) > 5 else "")
            raise ModelError(
                f"{self.where}: the task is binary but the labels have {len(classes)} classes "
                f"({shown}); set `model.task: multiclass`."
            )
        return classes

    def binary_score(self, labels: tuple[Any, ...] | None, positive: Any) -> np.ndarray | None:
        if self.cfg.y_score is not None:
            return self.probability("y_score", self.cfg.y_score)
        if labels is None or not self.cfg.y_proba:
            return None
        if len(labels) != 2 or positive not in labels:
            raise ModelError(
                f"{self.where}: a binary task needs `model.predictions.y_score` (the positive "
                "class's probability) or two y_proba columns, one per class."
            )
        proba = self.probabilities(self.cfg.y_proba)
        return proba[:, list(labels).index(positive)]


def _unique(values: np.ndarray) -> list[Any]:
    return list(pd.unique(pd.Series(values)).tolist())


def _sorted_unique(values: Sequence[Any]) -> list[Any]:
    unique = list(dict.fromkeys(values))
    try:
        return sorted(unique)
    except TypeError:
        return sorted(unique, key=str)


def _match_one(label: Any, observed: Sequence[Any]) -> Any:
    """``label`` as the matching observed class: configs and column names hold text."""
    if label in set(observed):
        return label
    for value in observed:
        if str(value) == str(label):
            return value
    if observed and all(_is_int(v) for v in observed) and str(label).lstrip("-").isdigit():
        return int(label)
    return label


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _threshold(y_score: np.ndarray, positive: Any, classes: list[Any]) -> np.ndarray | None:
    """Binary labels from scores (>= 0.5 is positive), when the negative class is known."""
    others = [c for c in classes if c != positive]
    if others:
        negative = others[0]
    elif isinstance(positive, (bool, np.bool_)):
        negative = False
    elif _is_int(positive) and positive == 1:
        negative = 0
    else:
        return None
    return np.where(y_score >= 0.5, positive, negative)


def strip_affixes(names: Sequence[str]) -> tuple[str, ...]:
    """Class labels from probability column names: ``("p_basic", "p_pro")`` -> ``("basic", "pro")``.

    A common prefix is removed up to its last separator (``_ . - : /`` or space), a common suffix
    from its first; names left empty are kept whole.
    """
    if len(names) < 2:
        return tuple(names)
    prefix = _common_prefix(names)
    start = max(prefix.rfind(sep) for sep in "_.-:/ ") + 1
    suffix = _common_prefix([n[start:][::-1] for n in names])[::-1]
    cuts = [suffix.find(sep) for sep in "_.-:/ " if sep in suffix]
    end = len(suffix) - min(cuts) if cuts else 0
    stripped = tuple(n[start : len(n) - end] for n in names)
    return stripped if all(stripped) and len(set(stripped)) == len(names) else tuple(names)


def _common_prefix(names: Sequence[str]) -> str:
    size = 0
    for chars in zip(*names, strict=False):
        if len(set(chars)) > 1:
            break
        size += 1
    return names[0][:size]


# --- model files -------------------------------------------------------------------------------


def is_pickle(path: Path) -> bool:
    """Whether the model file at ``path`` is a pickle, or an MLflow model directory (loading
    either runs its code)."""
    return path.suffix.lower() in PICKLE_SUFFIXES or is_mlflow_model(path)


def is_mlflow_model(path: Path) -> bool:
    """Whether ``path`` is an MLflow model: a directory with an ``MLmodel`` file."""
    return path.is_dir() and (path / "MLmodel").is_file()


def load_model(
    path: Path, *, allow_unsafe_pickle: bool = False, trusted_types: Sequence[str] = ()
) -> Any:
    """Load a scikit-learn-compatible model: skops files safely, pickles (and MLflow models)
    only when allowed."""
    if is_mlflow_model(path):
        if not allow_unsafe_pickle:
            raise ModelError(
                f"{show_path(path)} is an MLflow model: loading it runs its code; set "
                "`model.mlflow.allow_unsafe_pickle: true` if you trust it."
            )
        return _load_pyfunc(path)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        raise ModelError(
            f"Model file {show_path(path)}: ONNX models are not supported yet; "
            "save the model with skops (skops.io.dump) instead."
        )
    if suffix != ".skops" and suffix not in PICKLE_SUFFIXES:
        raise ModelError(
            f"Model file {show_path(path)}: unsupported suffix `{path.suffix}`; "
            "use .skops (preferred), .joblib, .pkl or .pickle."
        )
    if not path.is_file():
        raise ModelError(
            f"Model file {show_path(path)} not found; check `model.model.path` in the config."
        )
    if suffix == ".skops":
        return _load_skops(path, trusted_types)
    if not allow_unsafe_pickle:
        raise ModelError(
            f"{show_path(path)} is a pickle: loading it runs arbitrary code. Save it with skops "
            "(skops.io.dump), or set `model.model.allow_unsafe_pickle: true` if you trust "
            "this file."
        )
    return _load_pickle(path)


def _load_pyfunc(path: Path) -> Any:
    """An MLflow model loaded with ``mlflow.pyfunc.load_model``: for the sklearn flavor, the
    estimator itself (so classifiers give scores); else the pyfunc (predictions only)."""
    try:
        import mlflow.pyfunc  # optional extra `mlci[mlflow]`, heavy
    except ImportError:
        raise ModelError(
            "Loading an MLflow model needs the extra: pip install 'mlci[mlflow]'."
        ) from None
    try:
        model = mlflow.pyfunc.load_model(str(path))
    except Exception as exc:  # MlflowException, the flavor's own errors, a missing package
        raise _corrupt(path, "MLflow", exc) from exc
    if "sklearn" in model.metadata.flavors:
        return model.get_raw_model()
    return model


def _load_skops(path: Path, trusted_types: Sequence[str]) -> Any:
    import skops.io  # optional format, heavy: only for a .skops model

    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as exc:  # a corrupt archive raises zipfile/json/key errors
        raise _corrupt(path, "skops", exc) from exc
    refused = [t for t in untrusted if t not in set(trusted_types)]
    if refused:
        raise ModelError(
            f"Model file {show_path(path)} contains types skops does not trust by default: "
            f"{', '.join(refused)}. If you trust them, list them under "
            "`model.model.trusted_types`."
        )
    try:
        return skops.io.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise _corrupt(path, "skops", exc) from exc


def _load_pickle(path: Path) -> Any:
    import joblib  # only for a pickled model (in its child process)

    try:
        return joblib.load(path)
    except Exception as exc:  # unpickling can raise anything
        raise _corrupt(path, "joblib", exc) from exc


def _corrupt(path: Path, loader: str, exc: Exception) -> ModelError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ModelError(
        f"Model file {show_path(path)} could not be loaded with {loader}: {reason[:200]}. "
        "Is it complete and saved by the same library?"
    )
