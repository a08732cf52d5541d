from __future__ import annotations

import math

import pytest

from mlci.report.sparkline import BARS, sparkline


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3, 4, 5, 6, 7, 8], "▁▂▃▄▅▆▇█"),
        ([8, 7, 6, 5, 4, 3, 2, 1], "█▇▆▅▄▃▂▁"),
        ([0.81, 0.82, 0.82, 0.83, 0.84], "▁▃▃▆█"),  # (v - 0.81) / 0.03 * 7 = 0, 2.3, 2.3, 4.7, 7
        ([0.0, 0.5, 1.0], "▁▅█"),  # 3.5 rounds half up, not to even
        ([5, 5, 5], "▄▄▄"),  # flat: a level line, not the floor
        ([2.0], "▄"),
        ([], ""),
        ([1, float("nan"), 3], "▁ █"),
        ([None, 1, None, 2], " ▁ █"),
        ([float("inf"), 1, 2, -math.inf], " ▁█ "),
        ([float("nan")] * 3, "   "),
    ],
)
def test_sparkline_examples(values: list[float | None], expected: str) -> None:
    assert sparkline(values) == expected


def test_one_character_per_value_and_extremes_hit_both_ends() -> None:
    values = [math.sin(i / 3) * 1e-6 + 0.5 for i in range(40)]
    line = sparkline(values)
    assert len(line) == len(values)
    assert set(line) <= set(BARS)
    assert line[values.index(min(values))] == "▁"
    assert line[values.index(max(values))] == "█"
