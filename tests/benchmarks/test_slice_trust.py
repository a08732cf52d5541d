"""The simulation of benchmarks/slice_trust.py at a small size: the real slice gates on 16 PRs
per scenario (10,000 rows in 8 slices, recall gate max_regression 0.04, as the held-out check),
and 60 unpaired PRs per scenario.

The seeds are fixed, and the bounds leave room for sampling error: in lenient mode a no-change
PR hard-fails far less than 1% of the time and the worse slice (2.5× the margin) is flagged
more than 99% of the time, so 2 of 16 is a safe bound either way; a 95% interval covers 128
slice intervals (or 120 unpaired ones) with a standard error of about 2%.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "slice_trust.py"


@pytest.fixture(scope="module")
def trust():
    spec = importlib.util.spec_from_file_location("slice_trust", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["slice_trust"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sliced(trust):
    return trust.simulate_slices(16, rows=10_000, slices=8, seed=5)


def test_the_worse_slice_is_worse_by_two_and_a_half_margins(trust):
    mu = 0.9
    worse = trust.mu_with_recall(trust.recall_of(mu) - 0.1, mu)
    assert trust._PHI.cdf(worse - mu / 2) == pytest.approx(trust.recall_of(mu) - 0.1)


def test_lenient_slice_gates_do_not_fail_no_change_prs_and_flag_the_worse_slice(sliced):
    aa, ab = sliced["A/A"], sliced["A/B"]
    assert aa.prs == ab.prs == 16
    assert aa.any_fail["lenient"] <= 2
    assert ab.worse_flagged["lenient"] >= 14
    assert ab.other_fail["lenient"] <= 2
    assert ab.worse_flagged["point"] >= 14


def test_slice_intervals_cover_the_true_difference(sliced):
    for tally in sliced.values():
        assert tally.intervals == 16 * 8
        assert 0.88 <= tally.covered / tally.intervals <= 1.0


@pytest.fixture(scope="module")
def unpaired(trust):
    return trust.simulate_unpaired(60, rows=5_000, seed=11)


@pytest.mark.parametrize("metric", ["roc_auc", "accuracy"])
def test_unpaired_gates_fail_clear_regressions_and_not_noise(unpaired, metric):
    aa, ab = unpaired["A/A"][metric], unpaired["A/B"][metric]
    assert aa.statuses["lenient"]["fail"] <= 3
    assert ab.statuses["lenient"]["pass"] <= 15  # at 5,000 rows a side 2.5 margins is ~2 SDs
    assert ab.statuses["lenient"]["fail"] >= 10  # a clear regression still fails (~38%)
    for t in (aa, ab):
        assert 0.85 <= t.covered / t.runs <= 1.0
