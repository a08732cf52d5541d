"""Budgets: the model file's size, its prediction latency and peak memory, gated like metrics.

Four budgets, all lower-is-better, each measured only when named under ``budgets:``:

- ``model_size_mb``: the size of the model file, in MB (10**6 bytes);
- ``latency_p95_ms``: the 95th percentile of ``repeats`` timings of one single-row prediction;
- ``batch_latency_p95_ms``: the same for one batch of ``batch_size`` rows (default 1,000, or
  the whole evaluation set when smaller);
- ``peak_memory_mb``: the peak memory allocated while predicting one batch.

A "prediction" is the call mlci itself makes: ``predict_proba`` for a classifier that has it,
else ``predict``. The rows are the evaluation dataset's (``model.model.data``).

**Same job, interleaved.** Timings from another job run on another machine are not comparable,
so when the baseline commit's model file exists (``git cat-file blob <commit>:<path>`` into a
temporary file), the baseline model is measured here too, after the same warm-up, alternating
with the candidate on every repetition (candidate then baseline, then baseline then candidate,
…): drift in machine load, CPU frequency or caches hits both alike. Otherwise the size and the
memory are compared with the values stored in the baseline record (``Record.extra["budgets"]``,
portable numbers), and latency change rules are skipped with the reason.

**Peak memory: tracemalloc, in process.** The alternative, the resident-set growth of a child
process, is dominated by importing Python, pandas and scikit-learn (~100 MB) and by allocator
behaviour (freed pages kept or not, page granularity, other threads), so its delta moves by
megabytes between identical runs, and it would cost a process start and a model load per model
per repetition. ``tracemalloc`` counts exactly what is allocated through Python's allocators,
which includes NumPy's array buffers (NumPy reports them to tracemalloc) and so pandas and
scikit-learn: it is repeatable to the byte, fast, and comparable across machines with the same
library versions. It does not see memory a native library allocates on its own (e.g. some
gradient-boosting libraries' internal buffers); docs/configuration.md says so. Tracing slows
allocation, so memory is measured after, never during, the timings.

Budgets are judged by :mod:`mlci.gates.budgets`.
"""

from __future__ import annotations

import gc
import math
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlci.config import BudgetsConfig, Config, ModelFileConfig
from mlci.errors import MlciError, ModelError
from mlci.model.isolate import measure_in_child
from mlci.model.load import is_pickle, load_model
from mlci.model.measurement import Measurement
from mlci.model.mlflow_run import download_model
from mlci.model.rescore import baseline_model_copy
from mlci.results import BaselineSource, MeasuredBudgets

if TYPE_CHECKING:
    from mlci.records.format import Record

PORTABLE: frozenset[str] = frozenset({"model_size_mb", "peak_memory_mb"})  # same on any machine
MEMORY_REPEATS = 3  # peak memory is the largest of this many interleaved batch predictions

Timer = Callable[[], float]


@dataclass(frozen=True, eq=False)
class Contender:
    """One model to measure: how to predict, the rows it predicts, its file's size."""

    predict: Callable[[pd.DataFrame], Any]
    X: pd.DataFrame
    size_bytes: int


# --- measuring ---------------------------------------------------------------------------------


def measure(
    contenders: Sequence[Contender], cfg: BudgetsConfig, *, timer: Timer = time.perf_counter
) -> tuple[Measurement, ...]:
    """Measure every contender, interleaved, after ``cfg.warmup`` untimed rounds.

    Each phase (warm-up, single rows, batches, memory) runs its repetitions in rounds; in
    round ``r`` every contender is called once, in order on even rounds and in reverse on odd
    ones, with the same row(s). ``timer`` returns seconds (tests inject a fake clock).
    """
    n = len(contenders[0].X)
    batch = min(cfg.batch_size, n)
    rows = [[c.X.iloc[[r % n]] for r in range(cfg.repeats)] for c in contenders]
    batches = [c.X.iloc[:batch] for c in contenders]
    single, many = cfg.latency_p95_ms is not None, cfg.batch_latency_p95_ms is not None
    memory = cfg.peak_memory_mb is not None

    def one_row(k: int, r: int) -> None:
        contenders[k].predict(rows[k][r % len(rows[k])])

    def one_batch(k: int, r: int) -> None:
        contenders[k].predict(batches[k])

    calls = [f for f, wanted in ((one_row, single), (one_batch, many or memory)) if wanted]
    for r, k in _rounds(cfg.warmup, len(contenders)):
        for call in calls:
            call(k, r)
    latency = _timed(one_row, cfg.repeats, len(contenders), timer) if single else None
    batch_latency = _timed(one_batch, cfg.repeats, len(contenders), timer) if many else None
    peaks = _peaks(one_batch, len(contenders)) if memory else None
    return tuple(
        Measurement(
            size_bytes=c.size_bytes,
            latency_ms=tuple(latency[k]) if latency else (),
            batch_latency_ms=tuple(batch_latency[k]) if batch_latency else (),
            peak_memory_bytes=peaks[k] if peaks else None,
            batch_rows=batch,
        )
        for k, c in enumerate(contenders)
    )


def _rounds(repeats: int, contenders: int) -> Iterator[tuple[int, int]]:
    """``(round, contender)``: every contender once per round, reversing the order each round."""
    for r in range(repeats):
        order = range(contenders) if r % 2 == 0 else reversed(range(contenders))
        for k in order:
            yield r, k


def _timed(
    call: Callable[[int, int], None], repeats: int, contenders: int, timer: Timer
) -> list[list[float]]:
    """Milliseconds of each call, per contender, with the garbage collector paused."""
    samples: list[list[float]] = [[] for _ in range(contenders)]
    with _gc_paused():
        for r, k in _rounds(repeats, contenders):
            start = timer()
            call(k, r)
            samples[k].append((timer() - start) * 1000.0)
    return samples


@contextmanager
def _gc_paused() -> Iterator[None]:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _peaks(call: Callable[[int, int], None], contenders: int) -> list[int]:
    """The largest tracemalloc peak (bytes above the level before the call) per contender."""
    peaks = [0] * contenders
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        gc.collect()
        for r, k in _rounds(MEMORY_REPEATS, contenders):
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            call(k, r)
            peaks[k] = max(peaks[k], tracemalloc.get_traced_memory()[1] - before)
    finally:
        if started:
            tracemalloc.stop()
    return peaks


# --- the stage (I/O: model files, git) ---------------------------------------------------------


def measure_budgets(
    config: Config,
    frames: Mapping[str, pd.DataFrame],
    *,
    repo: Path,
    baseline_commit: str | None,
    baseline: Record | None,
    timer: Timer = time.perf_counter,
) -> MeasuredBudgets | None:
    """Measure the configured budgets of the candidate and, when possible, of the baseline;
    None when no budget is configured.

    Parameters
    ----------
    config: ``budgets`` (what to measure) and ``model.model`` (the model file and the
        evaluation dataset), or ``model.mlflow.model`` (downloaded again here; its baseline is
        not measured in this job, so the record's values are the baseline's).
    frames: the loaded datasets by name.
    repo, baseline_commit: where to find the baseline's model file (same path, that commit).
    baseline: the baseline record, whose stored budgets are the fallback for size and memory.
    timer: seconds, for tests.
    """
    cfg = config.budgets
    source = config.model.mlflow if config.model is not None else None
    if cfg is None or config.model is None or config.model.scored() is None:
        return None
    task = config.model.task
    with tempfile.TemporaryDirectory(prefix="mlci-baseline-") as tmp:
        if source is not None and source.model is not None:  # an MLflow model: no file in git
            model_cfg = source.model_file(download_model(source, Path(tmp) / "candidate"))
            base_path, why = None, _NO_MLFLOW_BASELINE
        else:
            assert config.model.model is not None
            model_cfg = config.model.model
            base_path, why = _baseline_copy(repo, baseline_commit, model_cfg.path, Path(tmp))
        frame = frames[model_cfg.data]
        if is_pickle(model_cfg.path) and model_cfg.allow_unsafe_pickle:
            measured, why_not = measure_in_child(model_cfg, task, frame, cfg, base_path)
        else:
            measured, why_not = measure_models(model_cfg, task, frame, cfg, base_path, timer=timer)
    named: set[str] = {name for name, _ in cfg.configured()}
    current: dict[str, float] = {k: v for k, v in measured[0].values().items() if k in named}
    methods = _methods(cfg, measured[0], len(measured) > 1)
    unmeasured = (why or why_not) if baseline_commit else ""
    return MeasuredBudgets(current, _baseline_values(measured, baseline), methods, unmeasured)


def measure_models(
    cfg: ModelFileConfig,
    task: str,
    frame: pd.DataFrame,
    budgets: BudgetsConfig,
    baseline: Path | None,
    *,
    timer: Timer = time.perf_counter,
) -> tuple[tuple[Measurement, ...], str]:
    """Load the candidate (``cfg.path``) and the baseline's model file (``baseline``, when
    there is one) in this process and measure them; also why the baseline was not measured.

    A pickle is measured this way only in its child process (:mod:`mlci.model.isolate`).
    """
    candidate = _contender(cfg, cfg.path, frame, task, own=True)
    other, why = _baseline_contender(cfg, baseline, frame, task) if baseline else (None, "")
    measured = _measure_or_explain([candidate, *([other] if other else [])], budgets, timer)
    return measured, why


def _measure_or_explain(
    contenders: Sequence[Contender], cfg: BudgetsConfig, timer: Timer
) -> tuple[Measurement, ...]:
    try:
        return measure(contenders, cfg, timer=timer)
    except Exception as exc:  # models raise anything for inputs they cannot take
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ModelError(
            f"Budgets: the model could not predict while being measured ({reason}); check that "
            "it can predict single rows and batches of the evaluation data."
        ) from exc


def _contender(
    cfg: ModelFileConfig, path: Path, frame: pd.DataFrame, task: str, *, own: bool
) -> Contender:
    model = load_model(
        path, allow_unsafe_pickle=cfg.allow_unsafe_pickle, trusted_types=cfg.trusted_types
    )
    features = _features(cfg, model, frame, own=own)
    method = getattr(model, "predict_proba", None) if task != "regression" else None
    predict = method if method is not None else model.predict
    return Contender(predict, frame[list(features)], size_of(path))


def size_of(path: Path) -> int:
    """A model file's bytes; an MLflow model directory's: all its files' (links not followed)."""
    if not path.is_dir():
        return path.stat().st_size
    files = (p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files)


def _features(cfg: ModelFileConfig, model: Any, frame: pd.DataFrame, *, own: bool) -> list[str]:
    """The candidate's features as the model stage picks them; the baseline's own first."""
    names = getattr(model, "feature_names_in_", None)
    learned = None if names is None else [str(c) for c in names]
    configured_ = list(cfg.features) if cfg.features is not None else None
    chosen = (configured_ or learned) if own else (learned or configured_)
    features = chosen or [str(c) for c in frame.columns if c != cfg.target]
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise ModelError(f"the evaluation data has no column `{missing[0]}` the model needs")
    return features


def _baseline_contender(
    cfg: ModelFileConfig, path: Path, frame: pd.DataFrame, task: str
) -> tuple[Contender | None, str]:
    """The baseline commit's model (its file copied to ``path``), ready to measure, or None
    and why not."""
    try:
        contender = _contender(cfg, path, frame, task, own=False)
        contender.predict(contender.X.iloc[:1])  # it must predict these rows at all
    except MlciError as exc:
        return None, str(exc).rstrip(".")
    except Exception as exc:  # a baseline model may fail in any way: the run goes on
        return None, f"the baseline model could not predict ({type(exc).__name__}: {exc})"
    return contender, ""


_NO_MLFLOW_BASELINE = (
    "the baseline's MLflow model is not measured in this job (only a model file in git is)"
)


def _baseline_copy(
    repo: Path, commit: str | None, path: Path, folder: Path
) -> tuple[Path | None, str]:
    """The baseline commit's model file copied into ``folder``, or None and why not."""
    if commit is None:
        return None, ""
    try:
        return baseline_model_copy(repo, commit, path, folder), ""
    except MlciError as exc:
        return None, str(exc).rstrip(".")


def _baseline_values(
    measured: Sequence[Measurement], record: Record | None
) -> dict[str, tuple[float, BaselineSource]]:
    if len(measured) > 1:
        return {name: (value, "same_job") for name, value in measured[1].values().items()}
    stored = (record.extra if record is not None else {}).get("budgets")
    if not isinstance(stored, Mapping):
        return {}
    return {
        name: (float(value), "record")
        for name, value in stored.items()
        if name in PORTABLE and isinstance(value, (int, float)) and math.isfinite(value)
    }


def _methods(cfg: BudgetsConfig, m: Measurement, interleaved: bool) -> dict[str, str]:
    both = ", interleaved with the baseline model" if interleaved else ""
    warm = f"after {cfg.warmup} warm-up round{'s' if cfg.warmup != 1 else ''}{both}"
    rows = f"{m.batch_rows:,} row{'s' if m.batch_rows != 1 else ''}"
    return {
        "model_size_mb": f"{m.size_bytes:,} bytes",
        "latency_p95_ms": f"p95 of {cfg.repeats} single-row predictions {warm}",
        "batch_latency_p95_ms": f"p95 of {cfg.repeats} predictions of {rows} {warm}",
        "peak_memory_mb": (
            f"tracemalloc peak while predicting {rows}, largest of {MEMORY_REPEATS}"
        ),
    }
