"""The trust simulation of benchmarks/gate_trust.py at a small size: the real gates on 400 PRs.

At 2,000 rows the margins are scaled so each scenario means what it means at 10,000 rows (the
margin is 1.25 standard deviations of Δ; the A/B regression is 2.5 margins). The seed is fixed,
and the bounds leave room for sampling error of 200 PRs per scenario (about ±1.5% at 95%).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "gate_trust.py"


@pytest.fixture(scope="module")
def trust():
    spec = importlib.util.spec_from_file_location("gate_trust", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gate_trust"] = module
    spec.loader.exec_module(module)
    results, margins, scenarios = module.simulate(2000, 200, ("roc_auc", "accuracy"), seed=7)
    return module, results, margins, scenarios


def test_the_population_is_what_the_simulation_says(trust):
    module, _, margins, scenarios = trust
    assert module.population_auc(module.MU) == pytest.approx(0.8, abs=1e-4)
    assert scenarios["A/B"].true_delta("roc_auc") == pytest.approx(-2.5 * margins["roc_auc"])
    assert scenarios["A/A"].true_delta("log_loss") == 0


def test_lenient_does_not_fail_no_change_prs_and_flags_real_regressions(trust):
    module, results, _, _ = trust
    aa, ab = results["A/A"]["roc_auc"], results["A/B"]["roc_auc"]
    assert module.rates(aa, "lenient")[0] <= 0.02  # hard fails of no-change PRs
    assert module.rates(ab, "lenient")[2] <= 0.15  # a true regression passing unflagged
    assert module.rates(aa, "point")[0] >= 0.04  # what the point gate does to no-change PRs
    assert module.rates(ab, "strict")[2] <= 0.02


@pytest.mark.parametrize("metric", ["roc_auc", "accuracy"])
@pytest.mark.parametrize("scenario", ["A/A", "A/B"])
def test_intervals_cover_the_true_difference(trust, metric, scenario):
    _, results, _, _ = trust
    tally = results[scenario][metric]
    assert 0.90 <= tally.covered / tally.runs <= 0.99
