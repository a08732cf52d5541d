"""Assertions on values as written: ``pattern``, ``date_format``, string length."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlci.data import arrays as A
from mlci.data.checks import wording as W
from mlci.data.checks.base import Assertion, Ctx, Examples, FinishContext
from mlci.data.columns import ColumnView
from mlci.results import CheckResult
from mlci.vocab import fmt_share


class PatternCheck(Assertion):
    def __init__(self, ctx: Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.pattern = str(ctx.check["pattern"])
        self.regex = re.compile(self.pattern)
        self.re2: str | None = f"^(?:{self.pattern})$"
        self.values = 0
        self.bad = 0
        self.examples = Examples()

    def update(self, view: ColumnView) -> None:
        texts = view.texts
        self.values += len(texts) - texts.null_count
        ok = self._matches(view, texts)
        bad = view.valid & ~ok
        self.bad += int(np.count_nonzero(bad))
        self.examples.add_positions(view, bad)

    def _matches(self, view: ColumnView, texts: pa.Array) -> np.ndarray:
        if self.re2 is not None:
            try:
                matched = pc.match_substring_regex(texts, pattern=self.re2)
                return A.booleans(matched)
            except pa.ArrowInvalid:
                self.re2 = None  # not RE2 syntax (e.g. a look-behind): Python's re
        encoded = pc.dictionary_encode(texts)
        fits = [
            v is not None and self.regex.fullmatch(v) is not None
            for v in encoded.dictionary.to_pylist()
        ]
        indices = A.ints(encoded.indices)
        table = np.asarray([*fits, False], dtype=bool)
        return (
            table[np.asarray(indices, dtype=np.int64)] if len(fits) else np.zeros(len(texts), bool)
        )

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, bad = self.name, self.bad
        expected = f"matches `{self.pattern}`"
        observed = f"{W.count(bad)} not matching"
        if bad == 0:
            message = f"All values of `{name}` match the pattern `{self.pattern}`."
            return self.ctx.result("pattern", name, False, message, observed, expected)
        share = bad / self.values if self.values else 0.0
        message = (
            f"`{name}` has {W.noun(bad, 'value')} ({fmt_share(share)}) that do not match the "
            f"pattern `{self.pattern}`{W.eg_items(self.examples.items[:3])}."
        )
        return self.ctx.result(
            "pattern", name, True, message, observed, expected, self.examples.items
        )


class DateFormatCheck(Assertion):
    """Python's ``datetime.strptime`` semantics, run once per distinct value (cached)."""

    CACHE = 100_000

    def __init__(self, ctx: Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.format = str(ctx.check["date_format"])
        self.values = 0
        self.bad = 0
        self.examples = Examples()
        self.typed = False
        self.known: dict[str, bool] = {}

    def update(self, view: ColumnView) -> None:
        t = view.arr.type
        if pa.types.is_timestamp(t) or pa.types.is_date(t):
            self.typed = True
            return
        texts = view.texts
        self.values += len(texts) - texts.null_count
        bad = view.valid & ~self._parses(texts)
        self.bad += int(np.count_nonzero(bad))
        self.examples.add_positions(view, bad)

    def _parses(self, texts: pa.Array) -> np.ndarray:
        encoded = pc.dictionary_encode(texts)
        fits = [self._fits(v) for v in encoded.dictionary.to_pylist()]
        table = np.asarray([*fits, False], dtype=bool)
        return table[A.ints(encoded.indices, fill=len(fits))]

    def _fits(self, text: str | None) -> bool:
        known = self.known.get(text) if text is not None else False
        if known is None and text is not None:
            known = _strptime_ok(text, self.format)
            if len(self.known) < self.CACHE:
                self.known[text] = known
        return bool(known)

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name, fmt, bad = self.name, self.format, self.bad
        expected = f"dates as {fmt}"
        if self.typed:
            message = f"`{name}` is stored as dates already ({column['dtype']}); no text to check."
            return self.ctx.result("date_format", name, False, message, column["dtype"], expected)
        if bad == 0:
            message = f"All values of `{name}` are dates in the format {fmt}."
            return self.ctx.result("date_format", name, False, message, "0 not matching", expected)
        share = bad / self.values if self.values else 0.0
        message = (
            f"`{name}` has {W.noun(bad, 'value')} ({fmt_share(share)}) that are not dates in the "
            f"format {fmt}{W.eg_items(self.examples.items[:3])}."
        )
        observed = f"{W.count(bad)} not matching"
        return self.ctx.result(
            "date_format", name, True, message, observed, expected, self.examples.items
        )


def _strptime_ok(text: str | None, fmt: str) -> bool:
    if text is None:
        return False
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


class LengthCheck(Assertion):
    def __init__(self, ctx: Ctx, name: str) -> None:
        super().__init__(ctx, name)
        self.low, self.high = ctx.check.get("min_length"), ctx.check.get("max_length")
        self.bad = 0
        self.values = 0
        self.shortest: int | None = None
        self.longest: int | None = None
        self.examples = Examples()

    def update(self, view: ColumnView) -> None:
        texts = view.texts
        if len(texts) == texts.null_count:
            return
        lengths = A.ints(pc.utf8_length(texts), fill=-1)
        known = lengths[lengths >= 0]
        self.values += len(known)
        self.shortest = _min(self.shortest, int(known.min()))
        self.longest = _max(self.longest, int(known.max()))
        bad = np.zeros(len(lengths), dtype=bool)
        if self.low is not None:
            bad |= (lengths >= 0) & (lengths < self.low)
        if self.high is not None:
            bad |= lengths > self.high
        self.bad += int(np.count_nonzero(bad))
        self.examples.add_positions(view, bad)

    def finish(self, fc: FinishContext, column: Mapping[str, Any]) -> CheckResult:
        name = self.name
        expected = _length_text(self.low, self.high)
        observed = "no values" if self.shortest is None else f"{self.shortest}..{self.longest}"
        if self.bad == 0:
            message = f"The lengths of `{name}` are within {expected} (observed {observed})."
            return self.ctx.result("length", name, False, message, observed, expected)
        share = self.bad / self.values if self.values else 0.0
        message = (
            f"`{name}` has {W.noun(self.bad, 'value')} ({fmt_share(share)}) of a length outside "
            f"{expected} (observed {observed}){W.eg_items(self.examples.items[:3])}."
        )
        return self.ctx.result(
            "length", name, True, message, observed, expected, self.examples.items
        )


def _length_text(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{low}..{high} characters"
    return f"≥ {low} characters" if low is not None else f"≤ {high} characters"


def _min(a: int | None, b: int) -> int:
    return b if a is None else min(a, b)


def _max(a: int | None, b: int) -> int:
    return b if a is None else max(a, b)
