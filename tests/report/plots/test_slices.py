"""The worst slices: the figure and the ranking."""

from __future__ import annotations

from mlci.report import plots
from mlci.results import SliceResult
from tests.helpers.plots import MAX_BYTES, decode
from tests.helpers.report import metric


def test_worst_slices_across_groupings_direction_aware() -> None:
    def sliced(col: str, key: str, value: float, higher: bool = True) -> SliceResult:
        m = metric("loss" if not higher else "recall", value, value + 0.01, higher=higher)
        return SliceResult((col,), (key,), 100, (m,), sorted_by=m.name)

    slices = (
        sliced("plan", "pro", 0.8),
        sliced("plan", "basic", 0.6),
        SliceResult(("plan",), ("tiny",), 3, too_small=True, sorted_by="recall"),
        sliced("country", "DE", 0.7),
        sliced("country", "FR", float("nan")),
    )
    assert plots.worst_slices(slices) == (
        "recall",
        [("plan=basic", 0.6, 0.61), ("country=DE", 0.7, 0.71), ("plan=pro", 0.8, 0.81)],
    )
    losses = (sliced("plan", "a", 0.2, higher=False), sliced("plan", "b", 0.5, higher=False))
    assert [label for label, _, _ in plots.worst_slices(losses)[1]] == ["plan=b", "plan=a"]
    assert plots.worst_slices(()) == ("", [])


def test_slices_decode() -> None:
    png = plots.slices_png(
        [("plan=basic", 0.71, 0.75), ("plan=pro", 0.8, None), ("country=?", float("nan"), 0.8)],
        metric="recall",
    )
    decode(png)
    assert len(png) < MAX_BYTES
