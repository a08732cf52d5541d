"""Trust at the edges, measured: slice gates and unpaired comparisons on synthetic PRs.

**Slices.** Each synthetic PR evaluates a baseline and a candidate model on the same fresh
``--rows`` evaluation rows (default 10,000) in ``--slices`` segments (default 8, about 1,250
rows each), measures every slice with the real code (:func:`mlci.model.slices.slice_metrics`,
scikit-learn's recall on each slice), computes each slice's paired interval
(:func:`mlci.model.slice_stats.slice_evidence`) and judges a ``recall`` slice gate with
``max_regression: 0.04`` (:func:`mlci.gates.slice_gates`) in each mode. Scenarios:

- **A/A**: no slice changed (true Δ 0 everywhere); a gate should not fail.
- **A/B**: one slice (``s0``) is truly worse by 2.5× the margin (recall −0.10); it should be
  flagged (failed or inconclusive), and the other slices should not fail.

The population is the binormal one of benchmarks/gate_trust.py, per slice: a model's score is
``μ·y + e`` (``e`` standard normal, the two models' noises correlated ρ = 0.63, balanced
classes), a positive prediction is ``score ≥ μ/2``, so the population recall is ``Φ(μ/2)``; the
slices' μ range from 0.9 to 1.5. The worse slice's candidate has the μ whose recall is 0.10
lower. The true Δ of every slice is known, so the intervals' **coverage** is measured.

**Unpaired comparisons.** The baseline and the candidate are evaluated on independent samples
of ``--rows`` rows each (the rows changed and the baseline model could not be re-scored), and
a ``max_regression`` gate on roc_auc and on accuracy is judged with the unpaired interval
(:func:`mlci.model.unpaired.unpaired_statistics`). Margins: 0.01 for both; A/B is a true
regression of 2.5× the margin.

Usage:
    .venv/bin/python benchmarks/slice_trust.py [--prs 40] [--rows 10000] [--slices 8]
        [--unpaired-prs 400] [--seed 13]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

MODES = ("point", "lenient", "strict")
RHO = 0.63
MARGIN = 0.04  # the recall slice gate's max_regression
REGRESSION_MARGINS = 2.5
UNPAIRED_MARGIN = 0.01
_PHI = NormalDist()


def recall_of(mu: float) -> float:
    return _PHI.cdf(mu / 2)


def mu_with_recall(recall: float, mu: float) -> float:
    """The candidate's μ whose recall at the baseline's threshold ``μ/2`` is ``recall``."""
    return _PHI.inv_cdf(recall) + mu / 2


# -- slices ----------------------------------------------------------------------------------------


@dataclass
class SliceTally:
    """Per mode: PRs with any hard fail, PRs where the worse slice was flagged, PRs where a
    slice other than the worse one hard-failed; and the coverage of the slice intervals."""

    prs: int = 0
    any_fail: Counter[str] = field(default_factory=Counter)
    worse_flagged: Counter[str] = field(default_factory=Counter)
    other_fail: Counter[str] = field(default_factory=Counter)
    covered: int = 0
    intervals: int = 0


def _models(slice_of: np.ndarray, mus: np.ndarray, worse: float | None, rng: np.random.Generator):
    from mlci.model.load import Predictions

    rows = len(slice_of)
    y = rng.integers(0, 2, rows)
    e1 = rng.standard_normal(rows)
    e2 = RHO * e1 + math.sqrt(1 - RHO**2) * rng.standard_normal(rows)
    mu = mus[slice_of]
    mu_cand = mu.copy()
    if worse is not None:
        mu_cand[slice_of == 0] = worse
    threshold = mu / 2
    frame = pd.DataFrame({"segment": [f"s{k}" for k in slice_of]})
    labels = np.array(["no", "yes"], dtype=object)

    def predictions(m: np.ndarray, noise: np.ndarray) -> Predictions:
        score = m * y + noise
        p = 1 / (1 + np.exp(-(score - threshold)))
        pred = (score >= threshold).astype(int)
        return Predictions(labels[y], labels[pred], p, None, ("no", "yes"), frame, "yes")

    return predictions(mu, e1), predictions(mu_cand, e2)


def slice_pr(
    mus: np.ndarray,
    worse: float | None,
    slices: int,
    rows: int,
    rng: np.random.Generator,
    tally: SliceTally,
) -> None:
    from mlci.config import GateConfig, Margin
    from mlci.gates import compare_slices, slice_gates
    from mlci.model.pairing import pair, row_outputs
    from mlci.model.slice_stats import slice_evidence
    from mlci.model.slices import slice_metrics

    slice_of = rng.integers(0, slices, rows)
    base, cand = _models(slice_of, mus, worse, rng)
    grouping = ("segment",)
    found, _ = slice_metrics(cand, "binary", ["recall"], grouping, min_size=30)
    base_found, _ = slice_metrics(base, "binary", ["recall"], grouping, min_size=30)
    stored = {(v.grouping, v.key): v for v in base_found}
    paired = pair(
        row_outputs(base, "binary", id_column=None), row_outputs(cand, "binary", id_column=None)
    )
    evidence = slice_evidence(found, paired.paired, positions=None, n_rows=rows, metrics=["recall"])
    directions = {"recall": True}
    results = compare_slices(found, stored, directions, min_size=30, stats=evidence.stats)
    gate = GateConfig("recall", slice=grouping, max_regression=Margin(absolute=MARGIN))
    for mode in MODES:
        judged = slice_gates(
            [gate], results, has_baseline=True, min_size=30, mode=mode, evidence=evidence
        )
        statuses = {g.metric: g.status for g in judged}
        worse_status = statuses.get("recall [segment=s0]")
        others = [s for name, s in statuses.items() if name != "recall [segment=s0]"]
        tally.any_fail[mode] += "fail" in statuses.values()
        if worse is not None:
            tally.worse_flagged[mode] += worse_status in ("fail", "inconclusive")
            tally.other_fail[mode] += "fail" in others
    for v in found:
        stat = evidence.stats[(v.grouping, v.key)]["recall"]
        k = int(v.key[0][1:])  # type: ignore[index]
        truth = 0.0
        if worse is not None and k == 0:  # recall at the baseline's threshold μ/2
            truth = _PHI.cdf(worse - mus[0] / 2) - recall_of(mus[0])
        tally.covered += stat.ci_low <= truth <= stat.ci_high
        tally.intervals += 1
    tally.prs += 1


def simulate_slices(
    prs: int, rows: int = 10_000, slices: int = 8, seed: int = 13
) -> dict[str, SliceTally]:
    """``prs`` synthetic PRs of each scenario (A/A, A/B); tallies by scenario."""
    rng = np.random.default_rng(seed)
    mus = np.linspace(0.9, 1.5, slices)
    worse = mu_with_recall(recall_of(mus[0]) - REGRESSION_MARGINS * MARGIN, mus[0])
    out = {}
    for name, w in (("A/A", None), ("A/B", worse)):
        tally = SliceTally()
        for _ in range(prs):
            slice_pr(mus, w, slices, rows, rng, tally)
        out[name] = tally
    return out


# -- unpaired --------------------------------------------------------------------------------------


@dataclass
class UnpairedTally:
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: {m: Counter() for m in MODES})
    covered: int = 0
    runs: int = 0


def _auc(mu: float) -> float:
    return _PHI.cdf(mu / math.sqrt(2))


def _accuracy(mu: float) -> float:
    return _PHI.cdf(mu / 2)


def _sample(mu: float, rows: int, rng: np.random.Generator):
    from mlci.model.stats import Side
    from mlci.model.unpaired import Sample

    y = rng.integers(0, 2, rows)
    score = mu * y + rng.standard_normal(rows)
    p = 1 / (1 + np.exp(-(mu * score - mu**2 / 2)))
    return Sample("binary", y, Side((p >= 0.5).astype(np.int64), p))


def simulate_unpaired(
    prs: int, rows: int = 10_000, seed: int = 29
) -> dict[str, dict[str, UnpairedTally]]:
    """``prs`` unpaired PRs per scenario; each metric's gate judged on its own."""
    from mlci.config import GateConfig, Margin
    from mlci.gates import Evidence, compare_metrics, evaluate_gates, with_intervals
    from mlci.model.unpaired import unpaired_statistics

    rng = np.random.default_rng(seed)
    mu = 1.1902  # AUC 0.80
    truths = {"roc_auc": _auc, "accuracy": _accuracy}
    out: dict[str, dict[str, UnpairedTally]] = {}
    for name in ("A/A", "A/B"):
        tallies = {m: UnpairedTally() for m in truths}
        for _ in range(prs):
            for metric, f in truths.items():
                target = f(mu) - (REGRESSION_MARGINS * UNPAIRED_MARGIN if name == "A/B" else 0)
                mu_cand = _solve(f, target)
                st = unpaired_statistics(
                    _sample(mu, rows, rng), _sample(mu_cand, rows, rng), [metric]
                )[metric]
                comps = with_intervals(
                    compare_metrics({metric: st.candidate}, {metric: st.baseline}, {metric: True}),
                    {metric: st},
                )
                gate = GateConfig(metric, max_regression=Margin(absolute=UNPAIRED_MARGIN))
                t = tallies[metric]
                for mode in MODES:
                    (r,) = evaluate_gates(
                        [gate], comps, has_baseline=True, mode=mode, evidence=Evidence({metric: st})
                    )
                    t.statuses[mode][r.status] += 1
                t.covered += st.ci_low <= f(mu_cand) - f(mu) <= st.ci_high
                t.runs += 1
        out[name] = tallies
    return out


def _solve(f, target: float) -> float:
    low, high = 0.01, 5.0
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if f(mid) < target else (low, mid)
    return (low + high) / 2


# -- the report ------------------------------------------------------------------------------------


def slice_table(results: dict[str, SliceTally]) -> str:
    lines = [
        "| scenario | mode | PRs with a hard fail | worse slice flagged "
        "| another slice hard-failed | coverage of the slices' 95% CIs |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, t in results.items():
        for mode in MODES:
            flagged = f"{t.worse_flagged[mode]}/{t.prs}" if name == "A/B" else "—"
            others = f"{t.other_fail[mode]}/{t.prs}" if name == "A/B" else "—"
            lines.append(
                f"| {name} | {mode} | {t.any_fail[mode]}/{t.prs} | {flagged} | {others} "
                f"| {t.covered / t.intervals:.1%} |"
            )
    return "\n".join(lines)


def unpaired_table(results: dict[str, dict[str, UnpairedTally]]) -> str:
    lines = [
        "| scenario | metric | mode | hard fail | inconclusive | pass | coverage of 95% CI |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for name, tallies in results.items():
        for metric, t in tallies.items():
            for mode in MODES:
                c = t.statuses[mode]
                lines.append(
                    f"| {name} | {metric} | {mode} | {c['fail'] / t.runs:.1%} "
                    f"| {c['inconclusive'] / t.runs:.1%} | {c['pass'] / t.runs:.1%} "
                    f"| {t.covered / t.runs:.1%} |"
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prs", type=int, default=40)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--slices", type=int, default=8)
    parser.add_argument("--unpaired-prs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    start = time.perf_counter()
    sliced = simulate_slices(args.prs, args.rows, args.slices, args.seed)
    unpaired = (
        simulate_unpaired(args.unpaired_prs, args.rows, args.seed + 16) if args.unpaired_prs else {}
    )
    elapsed = time.perf_counter() - start
    print(
        f"{args.prs} PRs per slice scenario ({args.rows:,} rows in {args.slices} slices, recall "
        f"gate max_regression {MARGIN}); {args.unpaired_prs} unpaired PRs per scenario "
        f"({args.rows:,} rows a side, margin {UNPAIRED_MARGIN}); {elapsed:.0f} s "
        f"(load average {load[0]:.2f} before)\n"
    )
    print(slice_table(sliced))
    if unpaired:
        print()
        print(unpaired_table(unpaired))
    aa, ab = sliced["A/A"], sliced["A/B"]
    ok = (
        aa.any_fail["lenient"] <= 1
        and ab.worse_flagged["lenient"] >= math.ceil(0.9 * ab.prs)
        and ab.other_fail["lenient"] <= 1
    )
    print(
        f"\nslices, lenient: no-change PRs hard-failed {aa.any_fail['lenient']}/{aa.prs}, "
        f"the worse slice flagged {ab.worse_flagged['lenient']}/{ab.prs}, another slice "
        f"hard-failed {ab.other_fail['lenient']}/{ab.prs}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
