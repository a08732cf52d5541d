"""Fixtures for the figure tests: binary outcomes with scores, for this PR and the baseline."""

from __future__ import annotations

import pytest

from mlci.report.plots import Scored
from tests.helpers.plots import binary_data


@pytest.fixture(scope="module")
def scored() -> Scored:
    return Scored(*binary_data())


@pytest.fixture(scope="module")
def baseline_scored() -> Scored:
    return Scored(*binary_data(seed=1))
