"""Fixtures for the renderer tests; the helpers live in ``tests/helpers/report.py``."""

from __future__ import annotations

import pytest

from mlci.results import Report
from tests.helpers.report import make_report


@pytest.fixture
def report() -> Report:
    return make_report()
