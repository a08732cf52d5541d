"""Running data checks on small frames (tests/data/checks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mlci.data.checks import run_checks
from mlci.data.profile import profile_frame
from mlci.results import CheckResult

AGES = pd.DataFrame({"age": [10, 150, -5, 130, np.nan, 40]})


def run(df: pd.DataFrame, *specs: Mapping[str, Any], **kw: Any) -> list[CheckResult]:
    """Every result of the check mappings ``specs`` on ``df`` (the dataset "eval")."""
    return run_checks("eval", df, list(specs), **kw)


def only(results: list[CheckResult], name: str) -> CheckResult:
    """The one result named ``name`` (fails the test when there is none or several)."""
    found = [r for r in results if r.check == name]
    assert len(found) == 1, [r.check for r in results]
    return found[0]


def one(df: pd.DataFrame, spec: Mapping[str, Any], name: str, **kw: Any) -> CheckResult:
    """The result named ``name`` of one check mapping."""
    return only(run(df, spec, **kw), name)


def baseline_of(df: pd.DataFrame) -> dict[str, Any]:
    """The profile a baseline record would hold for ``df``."""
    return profile_frame(df)
