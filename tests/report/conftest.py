"""Fixtures for the renderer tests; the helpers live in ``report_support.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from report_support import make_report

from mlci.results import Report


@pytest.fixture
def report() -> Report:
    return make_report()
