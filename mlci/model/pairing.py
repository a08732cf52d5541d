"""Per-example predictions kept in the record, and paired with the candidate's.

Paired statistics need both models' outputs on the same evaluation rows. The candidate's come
from this run; the baseline's from its record, where every run stores its own compactly under
``extra["predictions"]``:

- ``y_true`` and ``y_pred`` as class codes (the smallest unsigned integer type that fits) or,
  for regression, as float32; scores (binary score, multiclass probabilities) as float32. Each
  array is byte-shuffled (the bytes of equal significance together, which compresses far
  better), zlib-compressed and base64-encoded. Binary predictions cost about 5 bytes a row.
- the **row key**: with an example id column (``model.predictions.id`` / ``model.model.id``)
  the ids themselves, so rows are matched by id whatever their order; otherwise the row order
  and a fingerprint of ``y_true``.

With ids on both sides, rows present on both are paired even when rows were added or dropped,
as long as enough are shared (at least half of either side's rows and at least the drift
``min_rows``); the report says how many rows were compared, added and dropped. When the rows
cannot be paired (other labels, too few shared ids, no ids and another count) the pipeline
re-scores the baseline's model file on this run's rows if it can, else the two sides are
compared as independent samples (:mod:`mlci.model.unpaired`): wider intervals, still judged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mlci.bounded import MAX_INFLATED_BYTES, inflate, parse_json
from mlci.errors import MlciError, ModelError
from mlci.model.load import Predictions
from mlci.model.metrics import REGISTRY, compute_metrics, default_pos_label
from mlci.model.stats import Evidence, Paired, PairedStat, Side, paired_statistics
from mlci.model.unpaired import Sample, unpaired_statistics
from mlci.vocab import clip

if TYPE_CHECKING:
    from mlci.config import Config, ModelConfig
    from mlci.records.format import Record

FORMAT = 1
MAX_STORED_ROWS = 1_000_000  # above this the record keeps no predictions (a note says so)
ROWS_CHANGED = "evaluation data changed"
MIN_COMMON_ROWS = 50  # pairing on common ids needs at least this many (or the drift min_rows)


@dataclass(frozen=True, eq=False)
class RowOutputs:
    """One model's outputs on the evaluation rows, coded as :class:`mlci.model.stats.Side`.

    ``classes``: binary ``(negative, positive)`` (just ``(positive,)`` when only one class was
    seen); multiclass the sorted class labels, code ``j`` being ``classes[j]``; regression
    ``()``. ``score_classes``: multiclass, the class of each probability column. ``ids``:
    the example ids as text, when an id column is configured.
    """

    task: Literal["binary", "multiclass", "regression"]
    classes: tuple[Any, ...]
    y_true: np.ndarray
    y_pred: np.ndarray | None
    y_score: np.ndarray | None
    score_classes: tuple[Any, ...] = ()
    ids: tuple[str, ...] | None = None

    @property
    def n(self) -> int:
        return len(self.y_true)

    @property
    def fingerprint(self) -> str:
        """A hash of the row key: the ids (in order), or ``y_true`` with its classes."""
        h = hashlib.sha256()
        if self.ids is not None:
            h.update(b"ids\0" + "\0".join(self.ids).encode("utf-8"))
        else:
            h.update(json.dumps(_jsonable(self.classes)).encode("utf-8"))
            stored_type = np.float32 if self.task == "regression" else np.int64
            h.update(np.ascontiguousarray(self.y_true, dtype=stored_type).tobytes())
        return "sha256:" + h.hexdigest()


# -- from this run's predictions --------------------------------------------------------------


def row_outputs(predictions: Predictions, task: str, *, id_column: str | None) -> RowOutputs:
    """The candidate's (or a re-scored baseline's) outputs, coded for pairing and storing.

    Binary labels are coded as :func:`mlci.model.metrics.compute_metrics` codes them (1 = the
    positive class; predictions derived from ``score >= 0.5`` when there are none).
    """
    ids = _ids(predictions, id_column)
    if task == "regression":
        y_pred = None if predictions.y_pred is None else _floats(predictions.y_pred)
        return RowOutputs("regression", (), _floats(predictions.y_true), y_pred, None, ids=ids)
    if task == "binary":
        return _binary(predictions, ids)
    return _multiclass(predictions, ids)


def _binary(p: Predictions, ids: tuple[str, ...] | None) -> RowOutputs:
    seen = set(p.y_true.tolist()) | (set() if p.y_pred is None else set(p.y_pred.tolist()))
    classes = _sorted_labels(seen | set(p.labels or ()))
    positive = default_pos_label(classes, p.pos_label)
    negative = [c for c in classes if c != positive]
    score = None if p.y_score is None else np.asarray(p.y_score, dtype=float)
    if p.y_pred is not None:
        y_pred: np.ndarray | None = (np.asarray(p.y_pred) == positive).astype(np.uint8)
    else:
        y_pred = None if score is None else (score >= 0.5).astype(np.uint8)
    y_true = (np.asarray(p.y_true) == positive).astype(np.uint8)
    return RowOutputs("binary", (*negative[:1], positive), y_true, y_pred, score, ids=ids)


def _multiclass(p: Predictions, ids: tuple[str, ...] | None) -> RowOutputs:
    seen = set(p.y_true.tolist()) | (set() if p.y_pred is None else set(p.y_pred.tolist()))
    score_classes = tuple(p.labels) if p.y_proba is not None and p.labels is not None else ()
    classes = tuple(_sorted_labels(seen | set(score_classes)))
    index = {c: i for i, c in enumerate(classes)}
    y_true = np.array([index[c] for c in p.y_true.tolist()], dtype=np.int64)
    y_pred = None
    if p.y_pred is not None:
        y_pred = np.array([index[c] for c in p.y_pred.tolist()], dtype=np.int64)
    score = None if not score_classes else np.asarray(p.y_proba, dtype=float)
    return RowOutputs("multiclass", classes, y_true, y_pred, score, score_classes, ids)


def _ids(predictions: Predictions, column: str | None) -> tuple[str, ...] | None:
    if column is None:
        return None
    frame = predictions.frame
    if column not in frame.columns:
        raise ModelError(
            f"The example id column `{column}` is not among the evaluation columns "
            f"({', '.join(map(str, frame.columns[:20]))}); fix `id` in the `model` section."
        )
    ids = tuple(str(v) for v in frame[column].tolist())
    if len(set(ids)) != len(ids):
        repeated = next(v for v, n in _counts(ids).items() if n > 1)
        raise ModelError(
            f"The example id column `{column}` has repeated values (e.g. {repeated!r}); "
            "ids must identify one evaluation row each."
        )
    return ids


def _sorted_labels(values: set[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # mixed types: order by their text
        return sorted(values, key=str)


def _counts(values: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts


def _floats(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=float)


# -- the record's compact form ------------------------------------------------------------------


def encode(outputs: RowOutputs) -> dict[str, Any]:
    """The JSON-ready form stored in ``Record.extra["predictions"]`` (see the module docstring).

    Floats are stored as float32: the decoded outputs (what later runs pair with) are the
    float32 values, and this run's paired statistics are computed from them too, so a run and
    its record agree.
    """
    arrays = {"y_true": _pack(outputs.y_true, outputs.task)}
    if outputs.y_pred is not None:
        arrays["y_pred"] = _pack(outputs.y_pred, outputs.task)
    if outputs.y_score is not None:
        arrays["y_score"] = _pack(outputs.y_score, "scores")
    doc: dict[str, Any] = {
        "format": FORMAT,
        "task": outputs.task,
        "rows": outputs.n,
        "classes": _jsonable(outputs.classes),
        "score_classes": _jsonable(outputs.score_classes),
        "key": "ids" if outputs.ids is not None else "order",
        "fingerprint": outputs.fingerprint,
        "arrays": arrays,
    }
    if outputs.ids is not None:
        text = json.dumps(list(outputs.ids), ensure_ascii=False, separators=(",", ":"))
        doc["ids"] = _b64(zlib.compress(text.encode("utf-8"), 6))
    return doc


def stored_form(outputs: RowOutputs) -> RowOutputs:
    """``outputs`` as a later run will read them back from the record (float32 rounding)."""
    return decode(encode(outputs))


def decode(doc: Mapping[str, Any]) -> RowOutputs:
    """Read :func:`encode`'s form back; raises ``ValueError`` with a short reason if malformed."""
    try:
        if doc.get("format") != FORMAT:
            raise ValueError(f"unknown predictions format {doc.get('format')!r}")
        task = doc["task"]
        if task not in ("binary", "multiclass", "regression"):
            raise ValueError(f"unknown task {task!r}")
        rows = int(doc["rows"])
        arrays = doc["arrays"]
        y_true = _unpack(arrays["y_true"], rows)
        y_pred = _unpack(arrays["y_pred"], rows) if "y_pred" in arrays else None
        y_score = _unpack(arrays["y_score"], rows) if "y_score" in arrays else None
        ids = None
        if doc.get("key") == "ids":
            ids = tuple(str(v) for v in parse_json(inflate(_unb64(doc["ids"])), limit=None))
            if len(ids) != rows:
                raise ValueError(f"{len(ids)} ids for {rows} rows")
        classes = tuple(doc.get("classes", ()))
        score_classes = tuple(doc.get("score_classes", ()))
    except (KeyError, TypeError, ValueError) as exc:  # DocumentError is a ValueError
        raise ValueError(str(exc) or type(exc).__name__) from None
    return RowOutputs(task, classes, y_true, y_pred, y_score, score_classes, ids)


def _pack(values: np.ndarray, kind: str) -> dict[str, Any]:
    array = np.asarray(values)
    if kind in ("binary", "multiclass"):
        top = int(array.max()) if array.size else 0
        dtype = np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32
        array = array.astype(dtype)
    else:
        array = array.astype(np.float32)
    shuffled = np.ascontiguousarray(array).view(np.uint8).reshape(-1, array.dtype.itemsize).T
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "data": _b64(zlib.compress(np.ascontiguousarray(shuffled).tobytes(), 6)),
    }


def _unpack(packed: Mapping[str, Any], rows: int) -> np.ndarray:
    dtype = np.dtype(str(packed["dtype"]))
    if dtype.kind not in "uf":
        raise ValueError(f"unexpected array type {dtype.str}")
    shape = tuple(int(s) for s in packed["shape"])
    if not shape or shape[0] != rows:
        raise ValueError(f"an array of shape {shape} for {rows} rows")
    count = math.prod(shape)
    raw = inflate(_unb64(packed["data"]), limit=min(count * dtype.itemsize, MAX_INFLATED_BYTES))
    if len(raw) != count * dtype.itemsize:
        raise ValueError("an array's data does not match its shape")
    planes = np.frombuffer(raw, dtype=np.uint8).reshape(dtype.itemsize, count)
    values = np.ascontiguousarray(planes.T).view(dtype).reshape(shape)
    return values.astype(float) if dtype.kind == "f" else values.astype(np.int64)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _jsonable(values: Sequence[Any]) -> list[Any]:
    out = []
    for v in values:
        item = v.item() if hasattr(v, "item") else v
        out.append(item if isinstance(item, (str, int, float, bool)) or item is None else str(item))
    return out


# -- pairing ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Pairing:
    """Both sides on the same rows (``paired``), or why not (``reason``).

    ``rows_changed`` is True when the reason is that the evaluation rows differ, which a
    re-scored baseline model can fix.
    """

    paired: Paired | None
    reason: str = ""
    rows_changed: bool = False
    positions: np.ndarray | None = None  # paired on common ids: each paired row's candidate row
    note: str = ""  # paired on common ids: how many rows were compared, added, dropped


def pair(
    baseline: RowOutputs, candidate: RowOutputs, *, min_common: int = MIN_COMMON_ROWS
) -> Pairing:
    """Line the baseline's outputs up with the candidate's rows.

    With ids on both sides rows are matched by id (any order); when some ids were added or
    dropped, the rows on both sides are paired if they are at least half of each side and at
    least ``min_common`` (``positions`` then maps them to the candidate's rows). Without ids
    rows are matched by position, and the count and ``y_true`` must be identical. Multiclass
    codes are re-mapped to the union of both sides' classes; probabilities are paired only
    when both sides score the same classes.
    """
    if baseline.task != candidate.task:
        return Pairing(None, f"the task changed ({baseline.task} → {candidate.task})")
    aligned = _align(baseline, candidate)
    if aligned is None:
        return _pair_common(baseline, candidate, min_common)
    return _pair_aligned(aligned, candidate)


def _pair_aligned(aligned: RowOutputs, candidate: RowOutputs) -> Pairing:
    if candidate.task == "binary":
        return _pair_binary(aligned, candidate)
    if candidate.task == "multiclass":
        return _pair_multiclass(aligned, candidate)
    base_side = Side(y_pred=aligned.y_pred)
    if not np.array_equal(aligned.y_true, candidate.y_true):
        return Pairing(None, ROWS_CHANGED, rows_changed=True)
    paired = Paired("regression", candidate.y_true, base_side, Side(y_pred=candidate.y_pred))
    return Pairing(paired)


def _align(baseline: RowOutputs, candidate: RowOutputs) -> RowOutputs | None:
    """The baseline's outputs in the candidate's row order, or None if the rows differ."""
    if baseline.n != candidate.n:
        return None
    if baseline.ids is None or candidate.ids is None:
        return baseline
    if baseline.ids == candidate.ids:
        return baseline
    position = {row_id: i for i, row_id in enumerate(baseline.ids)}
    try:
        order = np.array([position[row_id] for row_id in candidate.ids], dtype=np.int64)
    except KeyError:
        return None

    def take(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[order]

    y_true = take(baseline.y_true)
    assert y_true is not None
    return RowOutputs(
        baseline.task,
        baseline.classes,
        y_true,
        take(baseline.y_pred),
        take(baseline.y_score),
        baseline.score_classes,
        candidate.ids,
    )


def _pair_common(baseline: RowOutputs, candidate: RowOutputs, min_common: int) -> Pairing:
    """The rows whose ids both sides have, paired when there are enough of them."""
    if baseline.ids is None or candidate.ids is None:
        return Pairing(None, ROWS_CHANGED, rows_changed=True)
    position = {row_id: i for i, row_id in enumerate(baseline.ids)}
    cand_rows = [i for i, row_id in enumerate(candidate.ids) if row_id in position]
    shared = len(cand_rows)
    added, dropped = candidate.n - shared, baseline.n - shared
    counts = f"{shared:,} rows with the same id on both sides, {added:,} added, {dropped:,} dropped"
    enough = max(min_common, math.ceil(baseline.n / 2), math.ceil(candidate.n / 2))
    if shared < enough:
        why = f"{ROWS_CHANGED}: too few rows to pair ({counts}; pairing needs {enough:,})"
        return Pairing(None, why, rows_changed=True)
    cand_pos = np.array(cand_rows, dtype=np.int64)
    base_pos = np.array([position[candidate.ids[i]] for i in cand_rows], dtype=np.int64)
    found = _pair_aligned(_take(baseline, base_pos), _take(candidate, cand_pos))
    if found.paired is None:
        return found
    note = f"Paired on the example id: Δ is compared on {counts}."
    return replace(found, positions=cand_pos, note=note)


def _take(outputs: RowOutputs, rows: np.ndarray) -> RowOutputs:
    def take(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[rows]

    y_true = take(outputs.y_true)
    assert y_true is not None and outputs.ids is not None
    ids = tuple(outputs.ids[i] for i in rows.tolist())
    return RowOutputs(
        outputs.task,
        outputs.classes,
        y_true,
        take(outputs.y_pred),
        take(outputs.y_score),
        outputs.score_classes,
        ids,
    )


def sample_of(outputs: RowOutputs) -> Sample:
    """One side's outputs as an independent sample (:mod:`mlci.model.unpaired`)."""
    side = Side(outputs.y_pred, outputs.y_score)
    if outputs.task == "multiclass":
        n_classes = len(outputs.classes)
        scored = {str(c) for c in outputs.score_classes} == {str(c) for c in outputs.classes}
        if not scored:
            side = Side(outputs.y_pred, None)
        else:
            column = {str(c): j for j, c in enumerate(outputs.score_classes)}
            assert outputs.y_score is not None
            order = [column[str(c)] for c in outputs.classes]
            side = Side(outputs.y_pred, outputs.y_score[:, order])
        return Sample("multiclass", outputs.y_true, side, n_classes)
    return Sample(outputs.task, outputs.y_true, side)


def _pair_binary(base: RowOutputs, cand: RowOutputs) -> Pairing:
    if str(base.classes[-1]) != str(cand.classes[-1]):
        return Pairing(
            None, f"the positive class changed ({base.classes[-1]!r} → {cand.classes[-1]!r})"
        )
    if not np.array_equal(base.y_true, cand.y_true):
        return Pairing(None, ROWS_CHANGED, rows_changed=True)
    paired = Paired(
        "binary", cand.y_true, Side(base.y_pred, base.y_score), Side(cand.y_pred, cand.y_score)
    )
    return Pairing(paired)


def _pair_multiclass(base: RowOutputs, cand: RowOutputs) -> Pairing:
    classes = tuple(_sorted_labels({str(c) for c in (*base.classes, *cand.classes)}))
    index = {c: i for i, c in enumerate(classes)}

    def recode(outputs: RowOutputs, codes: np.ndarray | None) -> np.ndarray | None:
        if codes is None:
            return None
        table = np.array([index[str(c)] for c in outputs.classes], dtype=np.int64)
        return table[codes]

    y_true_b, y_true_c = recode(base, base.y_true), recode(cand, cand.y_true)
    assert y_true_b is not None and y_true_c is not None
    if not np.array_equal(y_true_b, y_true_c):
        return Pairing(None, ROWS_CHANGED, rows_changed=True)
    scores = _scores_by_code(base, classes), _scores_by_code(cand, classes)
    base_side = Side(recode(base, base.y_pred), scores[0] if scores[1] is not None else None)
    cand_side = Side(recode(cand, cand.y_pred), scores[1] if scores[0] is not None else None)
    return Pairing(Paired("multiclass", y_true_c, base_side, cand_side, n_classes=len(classes)))


def _scores_by_code(outputs: RowOutputs, classes: tuple[Any, ...]) -> np.ndarray | None:
    """Probabilities with column ``j`` for ``classes[j]``; None unless every class is scored."""
    if outputs.y_score is None or {str(c) for c in outputs.score_classes} != set(classes):
        return None
    column = {str(c): j for j, c in enumerate(outputs.score_classes)}
    return outputs.y_score[:, [column[c] for c in classes]]


def stored_predictions(record: Record | None) -> Predictions | None:
    """The per-example predictions a record keeps, as predictions again (the baseline's curves
    in the report's figures); None when it keeps none or they cannot be read."""
    stored = record.extra.get("predictions") if record is not None else None
    if not isinstance(stored, Mapping):
        return None
    try:
        rows = decode(stored)
    except ValueError:
        return None
    frame = pd.DataFrame(index=range(len(rows.y_true)))
    if rows.task == "regression":
        return Predictions(rows.y_true, rows.y_pred, None, None, None, frame)
    classes = np.asarray(rows.classes, dtype=object)
    if len(classes) == 0 or (rows.task == "binary" and len(classes) != 2):
        return None
    y_pred = None if rows.y_pred is None else classes[rows.y_pred.astype(np.int64)]
    y_true = classes[rows.y_true.astype(np.int64)]
    if rows.task == "binary":
        return Predictions(
            y_true, y_pred, rows.y_score, None, tuple(rows.classes), frame, rows.classes[-1]
        )
    labels = tuple(rows.score_classes) or None
    proba = rows.y_score if labels is not None else None
    return Predictions(y_true, y_pred, None, proba, labels, frame)


# -- the paired stage of a run ----------------------------------------------------------------

INCONCLUSIVE = (
    "evaluation data changed and the baseline model is not available: change rules are inconclusive"
)


@dataclass(frozen=True)
class PairedOutcome:
    """What pairing gave a run.

    ``evidence``: the intervals for the gates (or why there are none). ``baseline_metrics``:
    when the baseline model was re-scored on this run's rows, its metrics there (they replace
    the record's in the comparison). ``stored``: the candidate's predictions for its record.
    ``notes``: lines for the report. ``paired``, ``positions`` and ``candidate``: the data
    the slices' intervals are computed from (:mod:`mlci.model.slice_stats`).
    """

    evidence: Evidence
    baseline_metrics: dict[str, float] | None = None
    stored: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    paired: Paired | None = None  # both models on the same rows (for the slices' intervals)
    positions: np.ndarray | None = None  # each paired row's candidate row (None: all, in order)
    candidate: Sample | None = None  # the candidate's outputs on all its rows


def baseline_metrics(
    baseline: Record | None, paired: PairedOutcome | None
) -> dict[str, float] | None:
    """The baseline's metrics: its record's, with the re-scored model's in their place when
    pairing re-scored it on this run's rows; None without a baseline record or model."""
    found = baseline.metrics() if baseline is not None else None
    if found is not None and paired is not None and paired.baseline_metrics is not None:
        found = {**found, **paired.baseline_metrics}
    return found


def paired_outcome(
    config: Config,
    candidate: Predictions | None,
    baseline: Record | None,
    *,
    metrics: Sequence[str],
    directions: Mapping[str, bool],
    rescore: Callable[[], Predictions] | None = None,
) -> PairedOutcome:
    """Pair the candidate's predictions with the baseline's and compute the intervals of Δ.

    The baseline side is the baseline record's stored predictions when they are for the same
    rows (or, with ids, share enough of them); otherwise ``rescore()`` (the baseline's model
    file predicting this run's rows) when given; otherwise, when the rows changed, the two
    sides are compared as independent samples (unpaired intervals), and without stored
    baseline predictions there are no intervals (point estimates). ``rescore`` raising
    :class:`MlciError` is reported, never fatal.
    """
    model = config.model
    if candidate is None or model is None:
        return PairedOutcome(Evidence(unpaired="the metrics come from a metrics file"))
    id_column = _id_column(model)
    cand = row_outputs(candidate, model.task, id_column=id_column)
    stored = encode(cand) if cand.n <= MAX_STORED_ROWS else None
    notes = () if stored else (_too_many_rows(cand.n),)
    cand = stored_form(cand) if stored else cand
    own = sample_of(cand)
    if baseline is None:
        return PairedOutcome(
            Evidence(unpaired="no baseline"), stored=stored, notes=notes, candidate=own
        )
    base, why = _stored_baseline(baseline)
    pairing = (
        pair(base, cand, min_common=_min_common(config)) if base is not None else Pairing(None, why)
    )
    if pairing.paired is not None:
        stats = _statistics(config, pairing.paired, metrics, directions)
        return PairedOutcome(
            Evidence(stats),
            stored=stored,
            notes=(*notes, *((pairing.note,) if pairing.note else ())),
            paired=pairing.paired,
            positions=pairing.positions,
            candidate=own,
        )
    if rescore is not None and (base is None or pairing.rows_changed):
        found = _rescored(
            config, cand, baseline, pairing, rescore, metrics, directions, stored, notes
        )
    else:
        found = _unpaired(pairing, stored, notes)
    if pairing.rows_changed and base is not None and found.paired is None:
        found = _independent(config, base, cand, pairing, found, metrics, directions)
    return replace(found, candidate=own)


def _min_common(config: Config) -> int:
    """The fewest shared rows pairing on ids accepts: the evaluation dataset's drift min_rows."""
    scored = config.model.scored() if config.model is not None else None
    if scored is not None and scored.data in config.datasets:
        return config.datasets[scored.data].drift.min_rows
    return MIN_COMMON_ROWS


def _independent(
    config: Config,
    base: RowOutputs,
    cand: RowOutputs,
    pairing: Pairing,
    found: PairedOutcome,
    metrics: Sequence[str],
    directions: Mapping[str, bool],
) -> PairedOutcome:
    """Unpaired intervals when the rows changed and could not be paired or re-scored."""
    stats = unpaired_statistics(
        sample_of(base),
        sample_of(cand),
        metrics,
        confidence=config.stats.confidence,
        seed=config.stats.seed,
        higher_is_better=directions,
    )
    if not stats:
        return found
    why = pairing.reason if pairing.reason != ROWS_CHANGED else "the evaluation rows changed"
    failed = found.evidence.unpaired
    rescue = failed if "re-scored" in failed else "there is no baseline model to re-score"
    note = (
        f"Δ compared unpaired ({why}; {rescue}): the "
        f"baseline's {base.n:,} rows and this run's {cand.n:,} rows are independent samples, "
        "so the intervals are wider than paired ones."
    )
    kept = tuple(n for n in found.notes if INCONCLUSIVE[:40] not in n.lower())
    evidence = Evidence(stats, unpaired=f"unpaired: {why}")
    return PairedOutcome(evidence, found.baseline_metrics, found.stored, (*kept, note))


def _id_column(model: ModelConfig) -> str | None:
    if model.predictions is not None:
        return model.predictions.id
    scored = model.scored()
    return scored.id if scored is not None else None


def _stored_baseline(baseline: Record) -> tuple[RowOutputs | None, str]:
    doc = baseline.extra.get("predictions") if baseline.extra else None
    if doc is None:
        return None, "the baseline record has no per-example predictions"
    try:
        return stored_form_of(doc), ""
    except ValueError as exc:
        return None, f"the baseline record's predictions could not be read ({exc})"


def stored_form_of(doc: Mapping[str, Any]) -> RowOutputs:
    """A record's stored predictions (:func:`decode`), or ValueError."""
    if not isinstance(doc, Mapping):
        raise ValueError("not an object")
    return decode(doc)


def _statistics(
    config: Config, paired: Paired, metrics: Sequence[str], directions: Mapping[str, bool]
) -> dict[str, PairedStat]:
    return paired_statistics(
        paired,
        metrics,
        confidence=config.stats.confidence,
        seed=config.stats.seed,
        higher_is_better=directions,
    )


def _rescored(
    config: Config,
    cand: RowOutputs,
    baseline: Record,
    pairing: Pairing,
    rescore: Callable[[], Predictions],
    metrics: Sequence[str],
    directions: Mapping[str, bool],
    stored: dict[str, Any] | None,
    notes: tuple[str, ...],
) -> PairedOutcome:
    assert config.model is not None and config.model.model is not None
    why = "the evaluation rows changed" if pairing.rows_changed else pairing.reason
    try:
        predictions = rescore()
        base = stored_form(
            row_outputs(predictions, config.model.task, id_column=config.model.model.id)
        )
        base_metrics = _metrics_of(config, predictions, metrics)
    except MlciError as exc:
        reason = clip(" ".join(str(exc).split()), 200)
        failed = f"the baseline model could not be re-scored ({reason})"
        if pairing.rows_changed:
            evidence = Evidence(inconclusive=INCONCLUSIVE, unpaired=failed)
            return PairedOutcome(
                evidence, stored=stored, notes=(*notes, _sentence(f"{INCONCLUSIVE}: {failed}"))
            )
        return PairedOutcome(Evidence(unpaired=f"{why}; {failed}"), stored=stored, notes=notes)
    again = pair(base, cand, min_common=_min_common(config))
    if again.paired is None:  # a model cannot change the rows: only the task or classes can
        return _unpaired(again, stored, notes)
    stats = _statistics(config, again.paired, metrics, directions)
    note = (
        f"The baseline model ({baseline.commit[:7]}) was re-scored on this run's evaluation "
        f"rows ({why}); the baseline values are its metrics on them."
    )
    return PairedOutcome(
        Evidence(stats), base_metrics, stored, (*notes, note), again.paired, again.positions
    )


def _metrics_of(config: Config, p: Predictions, metrics: Sequence[str]) -> dict[str, float]:

    assert config.model is not None
    names = [m for m in metrics if m in REGISTRY]
    return compute_metrics(
        config.model.task,
        p.y_true,
        y_pred=p.y_pred,
        y_score=p.y_score,
        y_proba=p.y_proba,
        labels=p.labels,
        pos_label=p.pos_label,
        metrics=names,
    )


def _unpaired(
    pairing: Pairing, stored: dict[str, Any] | None, notes: tuple[str, ...]
) -> PairedOutcome:
    if pairing.rows_changed:
        evidence = Evidence(inconclusive=INCONCLUSIVE, unpaired=INCONCLUSIVE)
        return PairedOutcome(evidence, stored=stored, notes=(*notes, _sentence(INCONCLUSIVE)))
    return PairedOutcome(Evidence(unpaired=pairing.reason), stored=stored, notes=notes)


def _too_many_rows(n: int) -> str:
    return (
        f"This run's {n:,} predictions are not kept in its record (the limit is "
        f"{MAX_STORED_ROWS:,} rows): later runs compare with it on point estimates only."
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
