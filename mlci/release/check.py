"""Whether a tagged commit may be released (pure): its record against the last release's.

The metric gates are judged again, every one in **strict** mode (a change rule passes only when
the whole interval of Δ is on the acceptable side of its margin; without paired predictions it
falls back to the point estimate, and the notes say so), against the record of the last
release, not against ``main``. The slice and budget gates and the data checks are taken from
the tagged commit's record as they were judged there. An override label never counts: the
record's verdict is not read, only its metrics.

A release is refused (one message naming every failing rule and the commit) when a blocking
rule fails or is inconclusive, when no blocking rule is configured, when there is no earlier
release to compare with (unless bootstrapped), or when none of the blocking rules could be
checked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlci.config import Config
from mlci.gates import Evidence, judge_metrics, resolve_directions
from mlci.model.pairing import PairedOutcome, pair, sample_of, stored_form_of
from mlci.model.stats import paired_statistics
from mlci.model.unpaired import unpaired_statistics
from mlci.records.format import Record
from mlci.results import CheckResult, GateResult, MetricComparison

NO_BLOCKING_RULE = "no blocking rule configured: mlci never passes a release it did not check"
BLOCKING_STATUSES = ("fail", "inconclusive")


@dataclass(frozen=True)
class PreviousRelease:
    """The last release before this one: its tag, commit and record."""

    tag: str
    commit: str
    record: Record


@dataclass(frozen=True)
class ReleaseCheck:
    """The verdict on a release. ``refusal`` is the one-line reason it may not go ahead."""

    tag: str
    commit: str
    previous: PreviousRelease | None
    comparisons: tuple[MetricComparison, ...] = ()
    gates: tuple[GateResult, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    refusal: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.refusal is None


def check_release(
    config: Config,
    record: Record,
    previous: PreviousRelease | None,
    *,
    tag: str,
    bootstrap: bool = False,
    no_previous: str = "no earlier release",
) -> ReleaseCheck:
    """Judge the release of ``record`` (the tagged commit's) against ``previous``.

    Parameters:
        config: the config; its gates are applied in strict mode whatever their own mode.
        record: the record of the tagged commit.
        previous: the last release, or None.
        tag: the tag, for messages.
        bootstrap: allow a release without a previous one (its change rules are skipped).
        no_previous: why there is no previous release, for the refusal.

    Example: a gate ``{metric: roc_auc, max_regression: 0.005}`` and a drop of 0.01 since the
    last release gives ``refusal == "Refusing to release v1.4.0 (commit 3f2c1ab): 1 gate
    failed in strict mode against v1.3.0 (9e8d7c6): roc_auc max regression 0.005: ..."``.
    """
    short = f"{tag} (commit {record.commit[:7]})"
    if not has_blocking_rule(config):
        where = f"`gates:` in {config.path.name}"
        return ReleaseCheck(
            tag,
            record.commit,
            previous,
            refusal=f"Refusing to release {short}: {NO_BLOCKING_RULE}. Add a gate with "
            f"severity error (the default) under {where}.",
        )
    if previous is None and not bootstrap:
        return ReleaseCheck(
            tag,
            record.commit,
            None,
            refusal=f"Refusing to release {short}: {no_previous} to compare with. For the "
            "first release of this model run `mlci release --bootstrap` (change rules are "
            "then skipped; min/max rules still apply).",
        )
    return _judged(config, record, previous, tag=tag, short=short)


def has_blocking_rule(config: Config) -> bool:
    """A gate, or a budget rule, whose breach fails (severity error)."""
    if any(g.severity == "error" for g in config.gates):
        return True
    budgets = config.budgets
    rules = [getattr(budgets, f.name) for f in dataclasses.fields(budgets)] if budgets else []
    return any(
        getattr(r, "severity", None) == "error"
        and any(getattr(r, k) is not None for k in ("max", "max_regression", "min_improvement"))
        for r in rules
    )


def strict_config(config: Config) -> Config:
    """``config`` with every gate, and the default mode, set to strict."""
    gates = tuple(dataclasses.replace(g, mode="strict") for g in config.gates)
    stats = dataclasses.replace(config.stats, mode="strict")
    return dataclasses.replace(config, gates=gates, stats=stats)


def checks_of(record: Record) -> tuple[CheckResult, ...]:
    return tuple(_value(CheckResult, d) for d in record.checks)


def recorded_gates(
    record: Record, scopes: Sequence[str] = ("slice", "budget")
) -> tuple[GateResult, ...]:
    """The record's gate results of these scopes (slices and budgets, judged at the commit)."""
    return tuple(_value(GateResult, d) for d in record.gates if d.get("scope") in scopes)


def _judged(
    config: Config, record: Record, previous: PreviousRelease | None, *, tag: str, short: str
) -> ReleaseCheck:
    strict = strict_config(config)
    checks = checks_of(record)
    paired, notes = release_pairing(strict, record, previous)
    base = previous.record.metrics() if previous is not None else None
    evidence = paired.evidence if paired is not None else None
    current = record.metrics() or {}
    comparisons, metric_gates = judge_metrics(strict, current, base, evidence=evidence)
    gates = (*metric_gates, *recorded_gates(record))
    if previous is None:
        notes = (
            *notes,
            "First release (--bootstrap): no earlier release to compare with, so "
            "change rules were skipped.",
        )
    refusal = _refusal(gates, checks, short, previous)
    return ReleaseCheck(tag, record.commit, previous, comparisons, gates, checks, refusal, notes)


def release_pairing(
    config: Config, record: Record, previous: PreviousRelease | None
) -> tuple[PairedOutcome | None, tuple[str, ...]]:
    """The intervals of Δ from both records' stored predictions, when they are on the same rows.

    With ids, the rows both records share are paired (a note says how many). When the rows
    cannot be paired, the two records' predictions are compared as independent samples
    (unpaired intervals, :mod:`mlci.model.unpaired`) and a note says so.
    """
    if previous is None or config.model is None:
        return None, ()
    docs = (previous.record.extra.get("predictions"), record.extra.get("predictions"))
    if docs[0] is None or docs[1] is None:
        return PairedOutcome(Evidence(unpaired=_no_predictions(docs))), ()
    try:
        sides = stored_form_of(docs[0]), stored_form_of(docs[1])
    except ValueError as exc:
        return PairedOutcome(Evidence(unpaired=f"stored predictions unreadable ({exc})")), ()
    pairing = pair(*sides)
    metrics = list((record.model or {}).get("metrics", {}))
    settings: dict[str, Any] = {
        "confidence": config.stats.confidence,
        "seed": config.stats.seed,
        "higher_is_better": resolve_directions(config, metrics),
    }
    if pairing.paired is None:
        if pairing.rows_changed:
            stats = unpaired_statistics(
                sample_of(sides[0]), sample_of(sides[1]), metrics, **settings
            )
            note = (
                f"Between the two releases the evaluation rows changed ({pairing.reason}): Δ "
                "compared unpaired, the two records' predictions as independent samples."
            )
            return PairedOutcome(Evidence(stats, unpaired=f"unpaired: {pairing.reason}")), (note,)
        return PairedOutcome(Evidence(unpaired=pairing.reason)), ()
    stats = paired_statistics(pairing.paired, metrics, **settings)
    return PairedOutcome(Evidence(stats)), ((pairing.note,) if pairing.note else ())


def _no_predictions(docs: tuple[Any, Any]) -> str:
    which = "the previous release's record" if docs[0] is None else "this release's record"
    return f"{which} has no per-example predictions"


def _refusal(
    gates: Sequence[GateResult],
    checks: Sequence[CheckResult],
    short: str,
    previous: PreviousRelease | None,
) -> str | None:
    failing = [g for g in gates if g.severity == "error" and g.status in BLOCKING_STATUSES]
    broken = [c for c in checks if c.status == "fail"]
    against = f" in strict mode against {previous.tag} ({previous.commit[:7]})" if previous else ""
    if failing or broken:
        parts = [f"{g.metric} {g.threshold}: {g.message}" for g in failing]
        parts += [f"data check {c.check} on {_where(c)}: {c.message}" for c in broken]
        counts = [_count(len(failing), "gate"), _count(len(broken), "data check")]
        what = " and ".join(c for c in counts if c)
        return f"Refusing to release {short}: {what} failed{against}: {'; '.join(parts)}."
    blocking = [g for g in gates if g.severity == "error"]
    if previous is not None and blocking and all(g.status == "skipped" for g in blocking):
        reasons = "; ".join(dict.fromkeys(f"{g.metric}: {g.message}" for g in blocking))
        return (
            f"Refusing to release {short}: none of the blocking rules could be checked"
            f"{against} ({reasons}). {NO_BLOCKING_RULE[NO_BLOCKING_RULE.index('mlci') :]}."
        )
    return None


def _count(n: int, word: str) -> str:
    return "" if n == 0 else f"{n} {word}{'s' if n != 1 else ''}"


def _where(c: CheckResult) -> str:
    return f"{c.dataset}.{c.column}" if c.column else c.dataset


def _value(cls: Any, data: Mapping[str, Any]) -> Any:
    """A result dataclass from its ``to_dict()`` form (unknown keys from newer records left out)."""
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    if "examples" in kwargs:
        kwargs["examples"] = tuple(kwargs["examples"])
    return cls(**kwargs)
