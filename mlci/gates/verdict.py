"""The verdict of a run: gate and data check results folded into pass or fail (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from mlci.results import CheckResult, GateResult, Verdict


def verdict(gates: Sequence[GateResult], checks: Sequence[CheckResult]) -> Verdict:
    """``"fail"`` when any gate or data check failed (warnings do not fail), else ``"pass"``."""
    failed = any(r.status == "fail" for r in gates) or any(c.status == "fail" for c in checks)
    return "fail" if failed else "pass"
