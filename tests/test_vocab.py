from __future__ import annotations

import pytest

from mlci.vocab import clip, fmt_delta, fmt_int, fmt_pct, fmt_share, fmt_value

NAN = float("nan")


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.91234, "0.9123"),
        (0.912, "0.912"),
        (0.9, "0.9"),
        (1.0, "1"),
        (0.0, "0"),
        (-0.0, "0"),
        (-3.5, "−3.5"),
        (123.456, "123.5"),
        (999.94, "999.9"),
        (999.96, "1,000"),
        (12400.4, "12,400"),
        (1234567.8, "1,234,568"),
        (0.00012345, "0.0001234"),
        (0.0000123456, "1.235e-05"),
        (2.5e16, "2.5e+16"),
        (float("inf"), "∞"),
        (float("-inf"), "−∞"),
        (NAN, "n/a"),
        (None, "n/a"),
    ],
)
def test_fmt_value(x: float | None, text: str) -> None:
    assert fmt_value(x) == text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.005, "+0.005"),
        (-0.007, "−0.007"),
        (0.0050000000000000044, "+0.005"),
        (0.0, "±0"),
        (-1234.5, "−1,235"),
        (NAN, "n/a"),
        (None, "n/a"),
    ],
)
def test_fmt_delta(x: float | None, text: str) -> None:
    assert fmt_delta(x) == text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (2.657, "+2.7%"),
        (-0.7675, "−0.77%"),
        (12.34, "+12.3%"),
        (150.4, "+150%"),
        (-1234.0, "−1,234%"),
        (0.0, "±0%"),
        (0.0001, "+0.0001%"),
        (None, "n/a"),
        (NAN, "n/a"),
    ],
)
def test_fmt_pct(x: float | None, text: str) -> None:
    assert fmt_pct(x) == text


@pytest.mark.parametrize(
    ("n", "text"), [(12400, "12,400"), (0, "0"), (999, "999"), (-5000, "−5,000"), (None, "n/a")]
)
def test_fmt_int(n: int | None, text: str) -> None:
    assert fmt_int(n) == text


def test_clip() -> None:
    assert clip("abcdef", 6) == "abcdef"
    assert clip("abcdefg", 6) == "abcde…"
    assert len(clip("x" * 1000, 10)) == 10
    assert clip("abc", 0) == ""


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (0.0, "0%"),
        (0.2, "20%"),
        (0.025, "2.5%"),
        (0.0994, "9.9%"),
        (0.001, "0.1%"),
        (0.0004, "0.04%"),
        (0.000012345, "0.0012%"),
        (1.0, "100%"),
        (NAN, "n/a"),
    ],
)
def test_fmt_share(fraction: float, text: str) -> None:
    assert fmt_share(fraction) == text
