"""Figure keys and file names."""

from __future__ import annotations

import re

from mlci.report.plots import drift_key, figure_files, parse_drift_key


def test_drift_keys_round_trip_and_file_names_are_safe_and_unique() -> None:
    key = drift_key("eval/x", "a:b\x1fc")
    assert parse_drift_key(key) == ("eval/x", "a:b\x1fc")
    assert parse_drift_key("roc_pr") is None
    names = figure_files(
        {
            "roc_pr": b"1",
            drift_key("eval", "a b"): b"2",
            drift_key("eval", "a_b"): b"3",
            drift_key(".", "../../etc/passwd"): b"4",
        }
    )
    assert list(names)[:3] == ["roc_pr.png", "drift-eval-a_b.png", "drift-eval-a_b-2.png"]
    assert list(names.values()) == [b"1", b"2", b"3", b"4"]
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.png", name), name
