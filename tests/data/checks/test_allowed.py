"""The ``allowed`` assertion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.helpers.checks import one

# --- allowed -----------------------------------------------------------------------------

PLANS = pd.DataFrame({"plan": ["basic", "gold", "pro", "gold", "silver", None, "basic", "pro"]})


def test_allowed_values() -> None:
    r = one(PLANS, {"column": "plan", "allowed": ["basic", "pro", "enterprise"]}, "allowed")
    assert r.status == "fail"
    assert r.message == (
        "`plan` has 3 values (42.9%) outside the allowed set, more than the tolerated 0%, "
        "e.g. 'gold', 'silver'."
    )
    assert r.examples == ("'gold' ×2", "'silver' ×1")
    assert (r.observed, r.expected) == ("3 unseen (42.9%)", "≤ 0% outside [basic, pro, enterprise]")


def test_allowed_within_the_tolerated_share() -> None:
    spec = {"column": "plan", "allowed": ["basic", "pro"], "max_unseen_fraction": 0.5}
    r = one(PLANS, spec, "allowed")
    assert r.status == "pass"
    assert r.message.endswith("within the tolerated 50%, e.g. 'gold', 'silver'.")


def test_allowed_all_known() -> None:
    spec = {"column": "plan", "allowed": ["basic", "pro", "gold", "silver"]}
    r = one(PLANS, spec, "allowed")
    assert (r.status, r.message, r.examples) == ("pass", "All values of `plan` are allowed.", ())


def test_allowed_matches_numbers_across_types() -> None:
    df = pd.DataFrame({"n": [1.0, 2.0, np.nan], "s": ["1", "2", "3"]})
    assert one(df, {"column": "n", "allowed": [1, 2]}, "allowed").status == "pass"
    r = one(df, {"column": "s", "allowed": [1, 2]}, "allowed")
    assert (r.status, r.examples) == ("fail", ("'3' ×1",))


def test_allowed_examples_are_capped_at_five_by_count() -> None:
    df = pd.DataFrame({"c": list("abbcccddddeeeeeffffff")})
    r = one(df, {"column": "c", "allowed": []}, "allowed")
    assert r.examples == ("'f' ×6", "'e' ×5", "'d' ×4", "'c' ×3", "'b' ×2")
