"""How check results word values, counts and shares for people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from mlci.vocab import clip

MAX_EXAMPLE_CHARS = 40


def key_text(key: list[str]) -> str:
    """A key for messages: `id`, or [`id`, `day`] for a compound key."""
    return f"`{key[0]}`" if len(key) == 1 else "[" + ", ".join(f"`{c}`" for c in key) + "]"


def count(n: Any) -> str:
    return f"{int(n):,}"


def noun(n: Any, singular: str, plural: str | None = None) -> str:
    """ "1 value", "1,204 values"."""
    word = singular if int(n) == 1 else (plural or singular + "s")
    return f"{count(n)} {word}"


def value(v: Any) -> str:
    """A value for people: integral floats without '.0', 6 significant digits otherwise."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if np.isfinite(f) and f == int(f) and abs(f) < 1e15:
            return str(int(f))
        return f"{f:.6g}"
    if isinstance(v, datetime):
        midnight = v.tzinfo is None and v == datetime(v.year, v.month, v.day)
        return v.date().isoformat() if midnight else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def short(v: Any) -> str:
    """An example value: repr-like (strings quoted), at most 40 characters."""
    if isinstance(v, tuple):
        text = "(" + ", ".join(short(x) for x in v) + ")"
    else:
        text = repr(v) if isinstance(v, str) else value(v)
    return clip(text, MAX_EXAMPLE_CHARS)


def short_list(values: list[Any], limit: int = 5) -> str:
    shown = ", ".join(value(v) for v in values[:limit])
    return f"[{shown}{', …' if len(values) > limit else ''}]"


def first_three(items: Sequence[str]) -> str:
    return ", ".join(items[:3]) + (", …" if len(items) > 3 else "")


def eg_items(examples: Sequence[str]) -> str:
    """ ", e.g. 'a', 'b'" with up to three examples (empty when there are none)."""
    shown = list(examples)[:3]
    return f", e.g. {', '.join(shown)}" if shown else ""
