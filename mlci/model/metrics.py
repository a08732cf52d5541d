"""The metric registry: every built-in metric with its direction, tasks and inputs.

A metric's direction (higher or lower is better) is declared once, here; everything else asks
:func:`higher_is_better`. Values are computed by scikit-learn and are identical to what
``sklearn.metrics`` returns for the same inputs. For multiclass tasks ``precision``, ``recall``
and ``f1`` are macro-averaged and ``roc_auc`` is one-vs-rest, macro-averaged.

An undefined value (ROC AUC with one class present, R² of one row...) is NaN or scikit-learn's
documented fallback, with a :class:`MetricWarning` that says why; it never raises.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from mlci.errors import ModelError
from mlci.scorers import ALIASES, resolve_alias
from mlci.yamlfile import near_miss

Needs = Literal["labels", "scores"]

BINARY = frozenset({"binary"})
MULTICLASS = frozenset({"multiclass"})
CLASSIFICATION = frozenset({"binary", "multiclass"})
REGRESSION = frozenset({"regression"})


class MetricWarning(UserWarning):
    """A metric value is undefined (NaN) or a fallback for these inputs."""


@dataclass(frozen=True)
class MetricSpec:
    """One built-in metric.

    ``needs`` is ``"labels"`` when predicted labels/values suffice, ``"scores"`` when the metric
    needs scores or probabilities (``y_score`` for binary, ``y_proba`` for multiclass).
    """

    name: str
    higher_is_better: bool
    tasks: frozenset[str]
    needs: Needs
    description: str


def _spec(name: str, higher: bool, tasks: frozenset[str], needs: Needs, doc: str) -> MetricSpec:
    return MetricSpec(name, higher, tasks, needs, doc)


_SPECS = (
    _spec("accuracy", True, CLASSIFICATION, "labels", "fraction of correct labels"),
    _spec("balanced_accuracy", True, CLASSIFICATION, "labels", "mean recall over classes"),
    _spec("precision", True, CLASSIFICATION, "labels", "precision (multiclass: macro)"),
    _spec("recall", True, CLASSIFICATION, "labels", "recall (multiclass: macro)"),
    _spec("f1", True, CLASSIFICATION, "labels", "F1 score (multiclass: macro)"),
    _spec("f1_weighted", True, CLASSIFICATION, "labels", "F1, support-weighted mean of classes"),
    _spec("f1_micro", True, CLASSIFICATION, "labels", "F1 from global counts"),
    _spec("f1_macro", True, CLASSIFICATION, "labels", "F1, unweighted mean over classes"),
    _spec("precision_macro", True, CLASSIFICATION, "labels", "precision, mean over classes"),
    _spec("precision_weighted", True, CLASSIFICATION, "labels", "precision, support-weighted"),
    _spec("recall_macro", True, CLASSIFICATION, "labels", "recall, mean over classes"),
    _spec("recall_weighted", True, CLASSIFICATION, "labels", "recall, support-weighted"),
    _spec("jaccard", True, CLASSIFICATION, "labels", "Jaccard index (multiclass: macro)"),
    _spec("jaccard_macro", True, CLASSIFICATION, "labels", "Jaccard index, mean over classes"),
    _spec("jaccard_micro", True, CLASSIFICATION, "labels", "Jaccard index from global counts"),
    _spec("jaccard_weighted", True, CLASSIFICATION, "labels", "Jaccard, support-weighted"),
    _spec("matthews_corrcoef", True, CLASSIFICATION, "labels", "Matthews correlation coefficient"),
    _spec("cohen_kappa", True, CLASSIFICATION, "labels", "Cohen's kappa, agreement beyond chance"),
    _spec("roc_auc", True, CLASSIFICATION, "scores", "ROC AUC (multiclass: one-vs-rest macro)"),
    _spec("average_precision", True, BINARY, "scores", "area under the precision-recall curve"),
    _spec("top_k_accuracy", True, MULTICLASS, "scores", "true class among the 2 most probable"),
    _spec("log_loss", False, CLASSIFICATION, "scores", "cross-entropy of the probabilities"),
    _spec("brier_score", False, BINARY, "scores", "mean squared error of the probability"),
    _spec("mae", False, REGRESSION, "labels", "mean absolute error"),
    _spec("mse", False, REGRESSION, "labels", "mean squared error"),
    _spec("rmse", False, REGRESSION, "labels", "root mean squared error"),
    _spec("r2", True, REGRESSION, "labels", "coefficient of determination"),
    _spec("mape", False, REGRESSION, "labels", "mean absolute percentage error (a fraction)"),
    _spec("msle", False, REGRESSION, "labels", "mean squared logarithmic error"),
    _spec("rmsle", False, REGRESSION, "labels", "root mean squared logarithmic error"),
    _spec("median_absolute_error", False, REGRESSION, "labels", "median absolute error"),
    _spec("max_error", False, REGRESSION, "labels", "largest absolute error"),
    _spec("explained_variance", True, REGRESSION, "labels", "explained variance score"),
    _spec("d2_absolute_error", True, REGRESSION, "labels", "D² of the absolute error"),
)

REGISTRY: Mapping[str, MetricSpec] = MappingProxyType({s.name: s for s in _SPECS})


def lookup(name: str) -> MetricSpec | None:
    """The registered metric ``name`` means, scikit-learn's scorer and function names included
    (``neg_log_loss`` and ``log_loss`` are both ``log_loss``, see :mod:`mlci.scorers`); None
    for a name mlci cannot compute. Every name a user writes is resolved here."""
    return REGISTRY.get(resolve_alias(name).metric)


def canonical_name(name: str) -> str:
    """The name a metric is reported under: ``canonical_name("neg_log_loss") == "log_loss"``;
    a name the registry does not know is returned as it is."""
    spec = lookup(name)
    return spec.name if spec is not None else name


def known_names() -> tuple[str, ...]:
    """Every name :func:`lookup` resolves: the registered metrics, then their aliases."""
    return (*REGISTRY, *(a for a in ALIASES if lookup(a) is not None))


def task_metrics(task: str) -> tuple[str, ...]:
    """The names of the built-in metrics that ``task`` can compute, in the registry's order."""
    return tuple(name for name, spec in REGISTRY.items() if task in spec.tasks)


_DEFAULTS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # task: (label metrics, score metrics added when scores are available)
    "binary": (("accuracy", "precision", "recall", "f1"), ("roc_auc", "log_loss")),
    "multiclass": (("accuracy", "balanced_accuracy", "f1"), ("roc_auc", "log_loss")),
    "regression": (("mae", "rmse", "r2"), ()),
}


def default_metrics(task: str, *, scores: bool = True) -> tuple[str, ...]:
    """The metrics computed when the config lists none (score metrics only when ``scores``)."""
    label_metrics, score_metrics = _DEFAULTS[task]
    return label_metrics + score_metrics if scores else label_metrics


# --- direction -------------------------------------------------------------------------------

_LOWER_WORDS = frozenset(
    {
        "loss",
        "error",
        "err",
        "mae",
        "mse",
        "rmse",
        "msle",
        "rmsle",
        "mape",
        "smape",
        "latency",
        "time",
        "seconds",
        "ms",
        "perplexity",
        "wer",
        "cer",
        "fpr",
        "fnr",
        "brier",
    }
)
_HIGHER_WORDS = frozenset(
    {
        "score",
        "acc",
        "accuracy",
        "auc",
        "auroc",
        "precision",
        "recall",
        "f1",
        "r2",
        "iou",
        "map",
        "ap",
        "ndcg",
        "bleu",
        "rouge",
        "tpr",
        "tnr",
        "sensitivity",
        "specificity",
        "mcc",
        "kappa",
    }
)
_LOWER_PARTS = ("loss", "error", "latency")
_HIGHER_PARTS = ("accuracy", "auc", "precision", "recall", "f1", "iou")


def higher_is_better(name: str, overrides: Mapping[str, str] | None = None) -> bool | None:
    """Whether a larger value of metric ``name`` is better; ``None`` when it cannot be told.

    Looked up in order: ``overrides`` (``{"name": "higher" | "lower"}``, the config's
    ``model.directions``), the registry, then name patterns (``*_score``, ``*accuracy*``,
    ``*auc*``, ``f1``, ``r2``... are higher; ``*_loss``, ``*_error``, ``mae``, ``*latency*``,
    ``*_time``... are lower). A dotted name from a nested metrics file (``test.roc_auc``) is
    judged by its last component.

    Example: ``higher_is_better("eval.loss")`` is ``False``.
    """
    overrides = overrides or {}
    if name in overrides:
        return overrides[name] == "higher"
    spec = lookup(name)
    if spec is not None:  # a neg_* scorer name is the metric negated
        return spec.higher_is_better == (resolve_alias(name).sign > 0)
    last = re.split(r"[./]", name)[-1]
    if last != name:
        return higher_is_better(last, overrides)
    return _direction_from_pattern(name.lower())


def _direction_from_pattern(name: str) -> bool | None:
    """Direction from naming habits (scikit-learn's ``*_score`` / ``*_loss`` / ``*_error``)."""
    if name.startswith("neg_"):  # scikit-learn scorer names: negated losses, maximised
        return True
    words = [w for w in re.split(r"[^a-z0-9]+", name) if w]
    if not words:
        return None
    for verdict in (_word_direction(words[-1]), *map(_word_direction, words)):
        if verdict is not None:
            return verdict
    if any(part in name for part in _LOWER_PARTS):
        return False
    if any(part in name for part in _HIGHER_PARTS):
        return True
    return None


def _word_direction(word: str) -> bool | None:
    if word in _LOWER_WORDS:
        return False
    if word in _HIGHER_WORDS:
        return True
    return None


# --- computing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    """Validated arrays for one computation; binary targets are 0/1 (1 = the positive class)."""

    task: str
    y_true: np.ndarray
    y_pred: np.ndarray | None
    y_score: np.ndarray | None  # binary: positive-class score; multiclass: proba, sorted labels
    labels: tuple[Any, ...] | None  # multiclass: the sorted class labels of y_score's columns


def compute_metrics(
    task: str,
    y_true: Any,
    *,
    y_pred: Any = None,
    y_score: Any = None,
    y_proba: Any = None,
    labels: Sequence[Any] | None = None,
    pos_label: Any = None,
    metrics: Sequence[str],
) -> dict[str, float]:
    """Compute ``metrics`` for one task; values are scikit-learn's.

    Parameters
    ----------
    task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
    y_true: the true labels or values.
    y_pred: predicted labels/values; for binary derived from ``y_score >= 0.5`` when omitted,
        for multiclass from the most probable class of ``y_proba``.
    y_score: binary: the score or probability of the positive class.
    y_proba: multiclass (or binary): one column of probabilities per class of ``labels``.
    labels: the class of each ``y_proba`` column (default: the sorted classes of ``y_true``).
    pos_label: binary: the positive class (default: 1 / True, else the larger label).
    metrics: registry names, or scikit-learn's names for them (:func:`lookup`).

    Returns
    -------
    ``{name: value}`` in the order of ``metrics``, each under its canonical name
    (``neg_log_loss`` gives ``{"log_loss": 0.31}``: the loss itself, not its negation).

    Example: ``compute_metrics("regression", [1, 2], y_pred=[1, 4], metrics=["mae"])``
    is ``{"mae": 1.0}``.
    """
    for name in metrics:
        _check_metric(name, task)
    names = list(dict.fromkeys(canonical_name(name) for name in metrics))
    inputs = _prepare(task, y_true, y_pred, y_score, y_proba, labels, pos_label)
    for name in names:
        _check_available(name, inputs)
    return {name: _compute_one(name, inputs) for name in names}


def _check_metric(name: str, task: str) -> None:
    spec = lookup(name)
    if spec is None:
        for_task = [n for n in known_names() if task in REGISTRY[canonical_name(n)].tasks]
        close = near_miss(name, for_task) or near_miss(name, known_names())
        hint = f" Did you mean `{close}`?" if close else ""
        known = ", ".join(task_metrics(task))
        raise ModelError(f"Unknown metric `{name}`.{hint} Known {task} metrics: {known}.")
    if task not in spec.tasks:
        tasks = " or ".join(sorted(spec.tasks))
        raise ModelError(f"Metric `{name}` is for {tasks} tasks, not {task}; remove it.")


def _check_available(name: str, inputs: _Inputs) -> None:
    spec = REGISTRY[name]
    if spec.needs == "scores" and inputs.y_score is None:
        key = "y_score" if inputs.task == "binary" else "y_proba"
        raise ModelError(f"{name} needs scores: set `model.predictions.{key}`.")
    if spec.needs == "labels" and inputs.y_pred is None:
        raise ModelError(f"{name} needs predictions: set `model.predictions.y_pred`.")


def _prepare(
    task: str,
    y_true: Any,
    y_pred: Any,
    y_score: Any,
    y_proba: Any,
    labels: Sequence[Any] | None,
    pos_label: Any,
) -> _Inputs:
    if task == "regression":
        return _Inputs(task, _floats(y_true), _floats_or_none(y_pred), None, None)
    if task == "binary":
        return _prepare_binary(y_true, y_pred, y_score, y_proba, labels, pos_label)
    if task == "multiclass":
        return _prepare_multiclass(y_true, y_pred, y_proba, labels)
    raise ModelError(f"Unknown task `{task}`; expected binary, multiclass or regression.")


def _floats(values: Any) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"Expected numbers, got non-numeric values ({exc}).") from exc


def _floats_or_none(values: Any) -> np.ndarray | None:
    return None if values is None else _floats(values)


def default_pos_label(classes: Sequence[Any], pos_label: Any = None) -> Any:
    """The positive class of a binary task: ``pos_label``, else 1 / True, else the larger label."""
    if pos_label is not None:
        return pos_label
    ones = [c for c in classes if _is_number(c) and c == 1]
    if ones:
        return ones[0]
    if all(_is_number(c) and c == 0 for c in classes):  # only negatives seen (or nothing)
        return 1
    return _sorted(classes)[-1]


def _is_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float, np.number, np.bool_))


def _prepare_binary(
    y_true: Any,
    y_pred: Any,
    y_score: Any,
    y_proba: Any,
    labels: Sequence[Any] | None,
    pos_label: Any,
) -> _Inputs:
    true = np.asarray(y_true)
    pred = None if y_pred is None else np.asarray(y_pred)
    classes = _classes(true, pred, labels)
    if len(classes) > 2:
        shown = ", ".join(map(str, classes[:5]))
        raise ModelError(
            f"A binary task has at most 2 classes, got {len(classes)} ({shown}); "
            "set `model.task: multiclass`."
        )
    positive = default_pos_label(classes, pos_label)
    if len(classes) == 2 and positive not in classes:
        raise ModelError(
            f"pos_label {positive!r} is not one of the classes ({classes[0]!r}, {classes[1]!r}); "
            "set `pos_label` to one of them."
        )
    if y_score is None and y_proba is not None:
        y_score = _positive_column(y_proba, labels, classes, positive)
    score = _floats_or_none(y_score)
    binary_pred = (pred == positive).astype(int) if pred is not None else None
    if binary_pred is None and score is not None:
        binary_pred = (score >= 0.5).astype(int)
    return _Inputs("binary", (true == positive).astype(int), binary_pred, score, None)


def _classes(true: np.ndarray, pred: np.ndarray | None, labels: Sequence[Any] | None) -> list[Any]:
    seen = set(true.tolist()) | (set(pred.tolist()) if pred is not None else set())
    if labels is not None:
        seen |= set(labels)
    return _sorted(seen)


def _sorted(values: set[Any] | Sequence[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # mixed types: order by their text
        return sorted(values, key=str)


def _positive_column(
    y_proba: Any, labels: Sequence[Any] | None, classes: list[Any], pos: Any
) -> Any:
    proba = np.asarray(y_proba, dtype=float)
    order = list(labels) if labels is not None else classes
    if proba.ndim != 2 or proba.shape[1] != 2 or pos not in order:
        raise ModelError(
            "Binary probabilities need 2 columns whose labels include the positive class "
            f"{pos!r}; set `model.predictions.y_score` to the positive-class column instead."
        )
    return proba[:, order.index(pos)]


def _prepare_multiclass(
    y_true: Any, y_pred: Any, y_proba: Any, labels: Sequence[Any] | None
) -> _Inputs:
    true = np.asarray(y_true)
    pred = None if y_pred is None else np.asarray(y_pred)
    if y_proba is None:
        return _Inputs("multiclass", true, pred, None, None)
    proba = np.asarray(y_proba, dtype=float)
    column_labels = list(labels) if labels is not None else _sorted(set(true.tolist()))
    if proba.ndim != 2 or proba.shape[1] != len(column_labels):
        raise ModelError(
            f"y_proba has {proba.shape[-1]} columns but there are {len(column_labels)} class "
            "labels; set `model.predictions.labels` to the class of each y_proba column."
        )
    if pred is None:
        pred = np.asarray(column_labels)[proba.argmax(axis=1)]
    unknown = set(true.tolist()) - set(column_labels)
    if unknown:
        raise ModelError(
            f"y_true has classes without a y_proba column: {', '.join(map(str, _sorted(unknown)))}"
            "; set `model.predictions.labels` to the class of each y_proba column."
        )
    sorted_labels = _sorted(column_labels)  # scikit-learn expects columns in sorted label order
    order = [column_labels.index(label) for label in sorted_labels]
    return _Inputs("multiclass", true, pred, proba[:, order], tuple(sorted_labels))


def _compute_one(name: str, inputs: _Inputs) -> float:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = float(_FUNCTIONS[name](inputs))
        except ValueError as exc:
            value, caught = math.nan, [*caught, _as_warning(exc)]
    for w in caught:
        if issubclass(w.category, (UserWarning, RuntimeWarning)):
            reason = _reason(str(w.message))
            warnings.warn(f"{name} = {value:g} here: {reason}", MetricWarning, stacklevel=3)
    return value


def _reason(message: str) -> str:
    """scikit-learn's explanation, without advice about its own parameters."""
    lines = message.strip().splitlines() or [""]
    sentences = re.split(r"(?<=\.) ", lines[0])
    return " ".join(s for s in sentences if "zero_division" not in s)


def _as_warning(exc: ValueError) -> warnings.WarningMessage:
    return warnings.WarningMessage(str(exc), UserWarning, __file__, 0)


# Each function takes validated inputs and calls scikit-learn.


def _label_metric(func_name: str, **kwargs: Any) -> Callable[[_Inputs], float]:
    def compute(inputs: _Inputs) -> float:
        from sklearn import metrics  # scikit-learn: heavy, only when a metric is computed

        extra = dict(kwargs)
        if inputs.task == "multiclass" and func_name in _AVERAGED:
            extra.setdefault("average", "macro")
        return float(getattr(metrics, func_name)(inputs.y_true, inputs.y_pred, **extra))

    return compute


_AVERAGED = ("precision_score", "recall_score", "f1_score", "jaccard_score")


def _roc_auc(inputs: _Inputs) -> float:
    from sklearn.metrics import roc_auc_score  # scikit-learn: heavy, see _label_metric

    if inputs.task == "binary":
        return float(roc_auc_score(inputs.y_true, inputs.y_score))
    present = set(np.asarray(inputs.y_true).tolist())
    if len(present) < 2:
        raise ValueError("Only one class is present in y_true; ROC AUC is not defined.")
    return float(
        roc_auc_score(
            inputs.y_true, inputs.y_score, multi_class="ovr", average="macro", labels=inputs.labels
        )
    )


def _average_precision(inputs: _Inputs) -> float:
    from sklearn.metrics import average_precision_score  # scikit-learn: heavy

    return float(average_precision_score(inputs.y_true, inputs.y_score))


def _log_loss(inputs: _Inputs) -> float:
    from sklearn.metrics import log_loss  # scikit-learn: heavy, see _label_metric

    labels = [0, 1] if inputs.task == "binary" else list(inputs.labels or ())
    return float(log_loss(inputs.y_true, inputs.y_score, labels=labels))


def _brier_score(inputs: _Inputs) -> float:
    from sklearn.metrics import brier_score_loss  # scikit-learn: heavy

    return float(brier_score_loss(inputs.y_true, inputs.y_score, pos_label=1))


def _top_k_accuracy(inputs: _Inputs) -> float:
    from sklearn.metrics import top_k_accuracy_score  # scikit-learn: heavy

    labels = list(inputs.labels or ())
    return float(top_k_accuracy_score(inputs.y_true, inputs.y_score, k=2, labels=labels))


def _rmse(inputs: _Inputs) -> float:
    from sklearn import metrics  # scikit-learn: heavy, see _label_metric

    if hasattr(metrics, "root_mean_squared_error"):
        return float(metrics.root_mean_squared_error(inputs.y_true, inputs.y_pred))
    return math.sqrt(float(metrics.mean_squared_error(inputs.y_true, inputs.y_pred)))


_FUNCTIONS: Mapping[str, Callable[[_Inputs], float]] = {
    "accuracy": _label_metric("accuracy_score"),
    "balanced_accuracy": _label_metric("balanced_accuracy_score"),
    "precision": _label_metric("precision_score"),
    "recall": _label_metric("recall_score"),
    "f1": _label_metric("f1_score"),
    "f1_weighted": _label_metric("f1_score", average="weighted"),
    "f1_micro": _label_metric("f1_score", average="micro"),
    "f1_macro": _label_metric("f1_score", average="macro"),
    "precision_macro": _label_metric("precision_score", average="macro"),
    "precision_weighted": _label_metric("precision_score", average="weighted"),
    "recall_macro": _label_metric("recall_score", average="macro"),
    "recall_weighted": _label_metric("recall_score", average="weighted"),
    "jaccard": _label_metric("jaccard_score"),
    "jaccard_macro": _label_metric("jaccard_score", average="macro"),
    "jaccard_micro": _label_metric("jaccard_score", average="micro"),
    "jaccard_weighted": _label_metric("jaccard_score", average="weighted"),
    "matthews_corrcoef": _label_metric("matthews_corrcoef"),
    "cohen_kappa": _label_metric("cohen_kappa_score"),
    "top_k_accuracy": _top_k_accuracy,
    "roc_auc": _roc_auc,
    "average_precision": _average_precision,
    "log_loss": _log_loss,
    "brier_score": _brier_score,
    "mae": _label_metric("mean_absolute_error"),
    "mse": _label_metric("mean_squared_error"),
    "rmse": _rmse,
    "r2": _label_metric("r2_score"),
    "mape": _label_metric("mean_absolute_percentage_error"),
    "msle": _label_metric("mean_squared_log_error"),
    "rmsle": _label_metric("root_mean_squared_log_error"),
    "median_absolute_error": _label_metric("median_absolute_error"),
    "max_error": _label_metric("max_error"),
    "explained_variance": _label_metric("explained_variance_score"),
    "d2_absolute_error": _label_metric("d2_absolute_error_score"),
}
