"""Trust, measured: the real gate code on many synthetic pull requests.

Each synthetic PR evaluates a baseline and a candidate model on the same fresh sample of
``--rows`` evaluation rows drawn from a known population, computes the paired statistics
(:func:`mlci.model.stats.paired_statistics`, seed 0, 2,000 resamples: what ``mlci run`` does)
and applies a ``max_regression`` gate with :func:`mlci.gates.evaluate_gates` in each mode.

The population is the equal-variance binormal model with balanced classes: a model's score is
``s = μ·y + e`` with ``e ~ N(0, 1)``, the two models' noises correlated (ρ), and its probability
the calibrated ``σ(μ·s − μ²/2)``. Its population metrics are known exactly: ROC AUC
``Φ(μ/√2)``, accuracy (at p ≥ 0.5) ``Φ(μ/2)``, log loss ``E[log(1 + e^(−w))]`` with
``w ~ N(μ²/2, μ²)`` (Gauss-Hermite quadrature). So the TRUE difference of every metric is
known, and the **coverage** of the reported intervals (how often they contain it) is measured,
not assumed.

Scenarios, per metric, each gated on its own (one blocking rule, so Holm changes nothing):

- **A/A**: the candidate has the same population performance (μ = 1.19, AUC 0.80); a gate
  should not fail. The point-estimate gate's false alarms are what noise-aware modes remove.
- **A/B**: the candidate is truly worse by 2.5× the margin; a gate should flag it.

Margins: ROC AUC 0.005 (the issue's setting; paired Δ SD ≈ 0.004 at 10,000 rows with ρ as set
here); accuracy and log loss: their true A/B regression divided by 2.5.

Usage:
    .venv/bin/python benchmarks/gate_trust.py [--rows 10000] [--reps 1000] [--metrics roc_auc,...]
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

MU = 1.1902  # Φ(MU / √2) = 0.800
RHO = 0.63  # correlation of the two models' score noise
AUC_MARGIN = 0.005
REGRESSION_MARGINS = 2.5
MODES = ("point", "lenient", "strict")
METRICS = ("roc_auc", "accuracy", "log_loss")
_PHI = NormalDist()


# -- the population ----------------------------------------------------------------------------


def population_auc(mu: float) -> float:
    return _PHI.cdf(mu / math.sqrt(2))


def population_accuracy(mu: float) -> float:
    return _PHI.cdf(mu / 2)


def population_log_loss(mu: float) -> float:
    """E[softplus(−w)], w ~ N(μ²/2, μ²), by 80-point Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(80)
    values = mu**2 / 2 + mu * x
    return float(np.sum(w * np.logaddexp(0, -values)) / math.sqrt(2 * math.pi))


POPULATION = {"roc_auc": population_auc, "accuracy": population_accuracy,
              "log_loss": population_log_loss}  # fmt: skip
HIGHER = {"roc_auc": True, "accuracy": True, "log_loss": False}


def mu_for_auc(auc: float) -> float:
    return math.sqrt(2) * _PHI.inv_cdf(auc)


@dataclass(frozen=True)
class Scenario:
    name: str
    mu_base: float
    mu_cand: float

    def true_delta(self, metric: str) -> float:
        """Direction-adjusted population difference (positive is better)."""
        f = POPULATION[metric]
        raw = f(self.mu_cand) - f(self.mu_base)
        return raw if HIGHER[metric] else -raw


def scenarios(rows: int) -> tuple[Scenario, Scenario, dict[str, float]]:
    """A/A, A/B (a true AUC regression of 2.5× the margin) and the margin of each metric.

    Below 10,000 rows the margins grow with 1/√rows so each scenario keeps its meaning (the
    margin stays 1.25 standard deviations of Δ).
    """
    scale = math.sqrt(10_000 / rows)
    auc_margin = AUC_MARGIN * scale
    a = Scenario("A/A", MU, MU)
    b = Scenario("A/B", MU, mu_for_auc(population_auc(MU) - REGRESSION_MARGINS * auc_margin))
    margins = {m: -b.true_delta(m) / REGRESSION_MARGINS for m in METRICS}
    margins["roc_auc"] = auc_margin
    return a, b, margins


def sample(s: Scenario, rows: int, rng: np.random.Generator) -> object:
    from mlci.model.stats import Paired, Side

    y = rng.integers(0, 2, rows)
    e1 = rng.standard_normal(rows)
    e2 = RHO * e1 + math.sqrt(1 - RHO**2) * rng.standard_normal(rows)

    def model(mu: float, noise: np.ndarray) -> Side:
        score = mu * y + noise
        p = 1 / (1 + np.exp(-(mu * score - mu**2 / 2)))
        return Side((p >= 0.5).astype(np.int64), p)

    return Paired("binary", y, model(s.mu_base, e1), model(s.mu_cand, e2))


# -- running the real gates ------------------------------------------------------------------


@dataclass
class Tally:
    """Outcomes of one (scenario, metric): statuses per mode, coverage, and the Δs seen."""

    statuses: dict[str, Counter[str]] = field(default_factory=lambda: {m: Counter() for m in MODES})
    covered: int = 0
    runs: int = 0
    deltas: list[float] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)


def run_pr(s: Scenario, rows: int, rng: np.random.Generator, metrics: Sequence[str],
           margins: dict[str, float], tallies: dict[str, Tally]) -> None:  # fmt: skip
    from mlci.config import GateConfig, Margin
    from mlci.gates import Evidence, compare_metrics, evaluate_gates, with_intervals
    from mlci.model.stats import paired_statistics

    data = sample(s, rows, rng)
    stats = paired_statistics(data, metrics)  # type: ignore[arg-type]
    for metric in metrics:
        st = stats[metric]
        comps = compare_metrics({metric: st.candidate}, {metric: st.baseline},
                                {metric: HIGHER[metric]})  # fmt: skip
        evidence = Evidence({metric: st})
        comps = with_intervals(comps, evidence.stats)
        gate = GateConfig(metric, max_regression=Margin(absolute=margins[metric]))
        tally = tallies[metric]
        for mode in MODES:
            (result,) = evaluate_gates([gate], comps, has_baseline=True, mode=mode,  # type: ignore[arg-type]
                                       evidence=evidence)  # fmt: skip
            tally.statuses[mode][result.status] += 1
        truth = s.true_delta(metric)
        tally.covered += st.ci_low <= truth <= st.ci_high
        tally.runs += 1
        tally.deltas.append(st.delta)
        tally.widths.append(st.ci_high - st.ci_low)


def simulate(
    rows: int,
    reps: int,
    metrics: Sequence[str] = METRICS,
    seed: int = 2024,
) -> tuple[dict[str, dict[str, Tally]], dict[str, float], dict[str, Scenario]]:
    """Run ``reps`` synthetic PRs of each scenario; returns tallies by scenario and metric."""
    a, b, margins = scenarios(rows)
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, Tally]] = {}
    for s in (a, b):
        tallies = {m: Tally() for m in metrics}
        for _ in range(reps):
            run_pr(s, rows, rng, metrics, margins, tallies)
        out[s.name] = tallies
    return out, margins, {a.name: a, b.name: b}


def rates(t: Tally, mode: str) -> tuple[float, float, float]:
    c = t.statuses[mode]
    return c["fail"] / t.runs, c["inconclusive"] / t.runs, c["pass"] / t.runs


# -- the report ----------------------------------------------------------------------------------

METHODS = {"roc_auc": "DeLong", "accuracy": "multinomial", "log_loss": "bootstrap"}


def table(results: dict[str, dict[str, Tally]], margins: dict[str, float],
          scen: dict[str, Scenario]) -> str:  # fmt: skip
    lines = [
        "| scenario | metric (interval) | true Δ | margin | mode | hard fail | inconclusive "
        "| pass | coverage of 95% CI |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for name, tallies in results.items():
        for metric, t in tallies.items():
            for mode in MODES:
                fail, inconclusive, passed = rates(t, mode)
                truth = scen[name].true_delta(metric)
                lines.append(
                    f"| {name} | {metric} ({METHODS[metric]}) | {truth:+.4f} "
                    f"| {margins[metric]:.4f} | {mode} | {fail:.1%} | {inconclusive:.1%} "
                    f"| {passed:.1%} | {t.covered / t.runs:.1%} |"
                )
    return "\n".join(lines)


def spread(results: dict[str, dict[str, Tally]]) -> str:
    lines = ["| scenario | metric | SD of Δ across PRs | mean half-width of the 95% CI / 1.96 |",
             "|---|---|---:|---:|"]  # fmt: skip
    for name, tallies in results.items():
        for metric, t in tallies.items():
            lines.append(f"| {name} | {metric} | {np.std(t.deltas, ddof=1):.5f} "
                         f"| {np.mean(t.widths) / 2 / 1.96:.5f} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--metrics", default=",".join(METRICS))
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    metrics = [m for m in args.metrics.split(",") if m]
    load = os.getloadavg()
    start = time.perf_counter()
    results, margins, scen = simulate(args.rows, args.reps, metrics, args.seed)
    elapsed = time.perf_counter() - start
    print(f"{args.reps:,} synthetic PRs per scenario, {args.rows:,} evaluation rows each, "
          f"population AUC {population_auc(MU):.3f}, noise correlation {RHO}; "
          f"{elapsed:.0f} s (load average {load[0]:.2f} before)\n")  # fmt: skip
    print(table(results, margins, scen))
    print()
    print(spread(results))
    lenient_aa = rates(results["A/A"]["roc_auc"], "lenient")[0] if "roc_auc" in metrics else 0
    flagged = 1 - rates(results["A/B"]["roc_auc"], "lenient")[2] if "roc_auc" in metrics else 1
    print(f"\nroc_auc, lenient: A/A hard fails {lenient_aa:.1%} (target ≤ 1%), "
          f"A/B flagged {flagged:.1%} (target ≥ 90%)")  # fmt: skip
    return 0 if lenient_aa <= 0.01 and flagged >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
