"""Dataset checks: row count, unique keys, overlap, duplicate rows, labels, columns present."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mlci.data.checks import wording as W
from mlci.data.checks.base import (
    MAX_EXAMPLES,
    Ctx,
    Examples,
    FinishContext,
    KeyRef,
    MissingKey,
    Runner,
    key_hashes,
)
from mlci.data.checks.columns import absent_result, present_result
from mlci.data.checks.uniqueness import HashGroups, group_examples
from mlci.data.columns import ColumnView
from mlci.data.hashing import row_hashes
from mlci.results import CheckResult
from mlci.vocab import fmt_share


class RowCountCheck(Runner):
    def finish(self, fc: FinishContext) -> list[CheckResult]:
        bounds = self.ctx.check["row_count"]
        results = []
        if bounds.get("min") is not None or bounds.get("max") is not None:
            results.append(self._bounds(fc.rows, bounds.get("min"), bounds.get("max")))
        if bounds.get("max_change") is not None:
            results.append(self._change(fc, float(bounds["max_change"])))
        return results

    def _bounds(self, rows: int, low: Any, high: Any) -> CheckResult:
        dataset, expected = self.ctx.dataset, _count_range(low, high)
        has = f"Dataset '{dataset}' has {W.count(rows)} rows"
        if low is not None and rows < low:
            message = f"{has}, fewer than the minimum {W.count(low)}."
        elif high is not None and rows > high:
            message = f"{has}, more than the maximum {W.count(high)}."
        else:
            message = f"{has} ({expected})."
            return self.ctx.result("row_count", None, False, message, W.count(rows), expected)
        return self.ctx.result("row_count", None, True, message, W.count(rows), expected)

    def _change(self, fc: FinishContext, limit: float) -> CheckResult:
        expected = f"change ≤ {fmt_share(limit)}"
        if fc.baseline is None:
            message = "No baseline profile, so the change of the row count was not checked."
            return self.ctx.skipped("row_count_change", None, message, expected)
        before, now = int(fc.baseline["rows"]), fc.rows
        change = (now - before) / before if before else (math.inf if now else 0.0)
        breached = abs(change) > limit
        shown = (
            f"{'+' if change >= 0 else '−'}{fmt_share(abs(change))}"
            if math.isfinite(change)
            else "new"
        )
        verb = "more than" if breached else "within"
        message = (
            f"Dataset '{self.ctx.dataset}' has {W.count(now)} rows, {shown} against the "
            f"baseline's {W.count(before)}: {verb} the allowed {fmt_share(limit)}."
        )
        observed = f"{W.count(before)} → {W.count(now)} ({shown})"
        return self.ctx.result("row_count_change", None, breached, message, observed, expected)


def _count_range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{W.count(low)}..{W.count(high)}"
    return f"≥ {W.count(low)}" if low is not None else f"≤ {W.count(high)}"


class KeyRunner(Runner):
    """Shared by unique_key and overlap: the per-row hash of a key of one or more columns."""

    def __init__(self, ctx: Ctx, key: Sequence[Any]) -> None:
        super().__init__(ctx)
        self.key = [str(c) for c in key]
        self.column = self.key[0] if len(self.key) == 1 else None
        self.shown = W.key_text(self.key)
        self.missing: str | None = None
        self.groups = HashGroups()

    def update(self, views: Mapping[str, ColumnView]) -> None:
        missing = [c for c in self.key if c not in views]
        if missing:
            self.missing = missing[0]
            return
        self.groups.add(*key_hashes(views, self.key))


class UniqueKeyCheck(KeyRunner):
    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx, ctx.check["unique_key"])

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx, shown, column = self.ctx, self.shown, self.column
        if self.missing is not None:
            message = f"The key {shown} cannot be checked: column `{self.missing}` is missing."
            return [ctx.result("unique_key", column, True, message, "column missing", "unique")]
        first_rows, sizes = self.groups.repeated()
        observed = W.noun(len(sizes), "duplicated key")
        if len(sizes) == 0:
            message = f"The key {shown} is unique."
            return [ctx.result("unique_key", column, False, message, observed, "unique")]
        counted, in_order = group_examples(fc, self.key, first_rows, sizes)
        message = (
            f"The key {shown} has {W.noun(len(sizes), 'duplicated key')} "
            f"({W.count(sizes.sum())} rows){W.eg_items(in_order)}."
        )
        return [ctx.result("unique_key", column, True, message, observed, "unique", counted)]


class OverlapCheck(KeyRunner):
    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx, ctx.check["key"])
        self.other = str(ctx.check["no_overlap_with"])

    def key_request(self) -> KeyRef | None:
        return (self.other, tuple(self.key))

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx, other, column = self.ctx, self.other, self.column
        expected = f"no key shared with '{other}'"
        theirs = fc.keysets.get((other, tuple(self.key)))
        if theirs is None:
            message = f"Dataset '{other}' is not available, so overlap with it was not checked."
            return [ctx.skipped("overlap", column, message, expected)]
        for side, missing in ((ctx.dataset, self.missing), (other, _missing_of(theirs))):
            if missing is not None:
                message = (
                    f"Overlap with '{other}' cannot be checked: key column `{missing}` "
                    f"is missing from '{side}'."
                )
                return [ctx.result("overlap", column, True, message, "column missing", expected)]
        assert isinstance(theirs, np.ndarray)
        return [self._result(fc, theirs, expected)]

    def _result(self, fc: FinishContext, theirs: np.ndarray, expected: str) -> CheckResult:
        ctx, other, column, shown = self.ctx, self.other, self.column, self.shown
        hashes = (
            np.concatenate(self.groups.hashes) if self.groups.hashes else np.zeros(0, np.uint64)
        )
        valid = np.concatenate(self.groups.valid) if self.groups.valid else np.zeros(0, bool)
        shared = valid & np.isin(hashes, theirs)
        n = int(np.count_nonzero(shared))
        share = n / fc.rows if fc.rows else 0.0
        observed = f"{W.count(n)} rows ({fmt_share(share)})"
        if n == 0:
            message = f"No row of '{ctx.dataset}' shares its key {shown} with '{other}'."
            return ctx.result("overlap", column, False, message, observed, expected)
        rows = _first_distinct_rows(hashes, shared)
        values = fc.fetch(self.key, rows)
        examples = Examples()
        examples.add(v[0] if len(v) == 1 else tuple(v) for v in (values[r] for r in rows))
        message = (
            f"{W.count(n)} rows of '{ctx.dataset}' ({fmt_share(share)}) have a key {shown} that "
            f"also appears in '{other}' (leakage){W.eg_items(examples.items[:3])}."
        )
        return ctx.result("overlap", column, True, message, observed, expected, examples.items)


def _missing_of(keyset: np.ndarray | MissingKey) -> str | None:
    return keyset.column if isinstance(keyset, MissingKey) else None


def _first_distinct_rows(
    hashes: np.ndarray, mask: np.ndarray, limit: int = MAX_EXAMPLES
) -> list[int]:
    rows: list[int] = []
    seen: set[int] = set()
    for row in np.flatnonzero(mask):
        h = int(hashes[row])
        if h not in seen:
            seen.add(h)
            rows.append(int(row))
            if len(rows) == limit:
                break
    return rows


class DuplicateRowsCheck(Runner):
    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.groups = HashGroups()
        self.columns: list[str] = []

    def update(self, views: Mapping[str, ColumnView]) -> None:
        if not views:
            return
        self.columns = list(views)
        hashes = row_hashes([v.arr for v in views.values()])
        self.groups.add(hashes, np.ones(len(hashes), dtype=bool))

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx = self.ctx
        if not self.ctx.check["no_duplicate_rows"]:
            return []
        first_rows, sizes = self.groups.repeated()
        extra = int((sizes - 1).sum())
        observed = W.noun(extra, "duplicated row")
        if extra == 0:
            message = f"No row of '{ctx.dataset}' is a duplicate of another."
            return [ctx.result("duplicate_rows", None, False, message, observed, "no duplicates")]
        share = extra / fc.rows if fc.rows else 0.0
        counted, in_order = group_examples(fc, self.columns, first_rows, sizes)
        message = (
            f"Dataset '{ctx.dataset}' has {W.noun(extra, 'row')} ({fmt_share(share)}) that repeat "
            f"an earlier row{W.eg_items(in_order[:1])}."
        )
        return [
            ctx.result("duplicate_rows", None, True, message, observed, "no duplicates", counted)
        ]


class LabelCheck(Runner):
    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.column = str(ctx.check["label"])
        self.present = False

    def update(self, views: Mapping[str, ColumnView]) -> None:
        self.present = self.present or self.column in views

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx, name = self.ctx, self.column
        if not self.present:
            message = f"Label column `{name}` is missing from dataset '{ctx.dataset}'."
            return [ctx.result("label_balance", name, True, message, "absent", "present")]
        classes = _classes(fc.column(name))
        if classes is None:
            message = (
                f"Label column `{name}` has too many distinct values to be a label "
                "(more than 1,000)."
            )
            return [ctx.result("label_balance", name, True, message, "many values", "≤ 1,000")]
        results = []
        if ctx.check.get("min_class_share") is not None:
            results.append(self._balance(classes, float(ctx.check["min_class_share"])))
        if ctx.check.get("new_labels") is not None or "min_class_share" not in ctx.check:
            results.append(self._new(fc, classes))
        return results

    def _balance(self, classes: dict[Any, int], limit: float) -> CheckResult:
        ctx, name = self.ctx, self.column
        total = sum(classes.values())
        expected = f"every class ≥ {fmt_share(limit)}"
        shares = {k: c / total for k, c in classes.items()} if total else {}
        small = sorted((s, W.short(k)) for k, s in shares.items() if s < limit)
        smallest = fmt_share(min(shares.values())) if shares else "n/a"
        observed = f"{W.noun(len(classes), 'class', 'classes')}, smallest {smallest}"
        if not small:
            message = f"Every class of `{name}` has at least {fmt_share(limit)} of the rows."
            return ctx.result("label_balance", name, False, message, observed, expected)
        shown = [f"{k} {fmt_share(s)}" for s, k in small]
        message = (
            f"{W.noun(len(small), 'class', 'classes')} of `{name}` "
            f"{'has' if len(small) == 1 else 'have'} less "
            f"than {fmt_share(limit)} of the rows: {W.first_three(shown)}."
        )
        return ctx.result("label_balance", name, True, message, observed, expected, shown[:5])

    def _new(self, fc: FinishContext, classes: dict[Any, int]) -> CheckResult:
        ctx, name = self.ctx, self.column
        severity = ctx.check.get("new_labels", "warn")
        expected = "only the baseline's classes"
        base = fc.baseline["columns"].get(name) if fc.baseline else None
        known = _classes(base) if base else None
        if known is None:
            message = f"No baseline classes of `{name}`, so new labels were not checked."
            return ctx.skipped("new_labels", name, message, expected)
        new = {k: c for k, c in classes.items() if k not in known}
        if not new:
            message = f"`{name}` has no class the baseline did not have."
            return ctx.result(
                "new_labels", name, False, message, "none", expected, severity=severity
            )
        shown = [f"{W.short(k)} ×{c}" for k, c in sorted(new.items(), key=lambda p: -p[1])]
        message = (
            f"`{name}` has {W.noun(len(new), 'class', 'classes')} the baseline did not have: "
            f"{W.first_three(shown)}."
        )
        return ctx.result(
            "new_labels",
            name,
            True,
            message,
            W.noun(len(new), "new class", "new classes"),
            expected,
            shown[:5],
            severity=severity,
        )


def _classes(column: Mapping[str, Any]) -> dict[Any, int] | None:
    """The label's class counts from a column profile (None: not a complete value list)."""
    values = column.get("values")
    if values is not None and values.get("complete"):
        return {k: int(c) for k, c in values["counts"]}
    top = column.get("top")
    if top is not None and not column.get("other"):
        return {k: int(c) for k, c in top}
    return None


class ColumnsPresentCheck(Runner):
    def __init__(self, ctx: Ctx) -> None:
        super().__init__(ctx)
        self.listed = [str(c) for c in ctx.check["columns_present"]]
        self.names: list[str] | None = None

    def update(self, views: Mapping[str, ColumnView]) -> None:
        if self.names is None:
            self.names = list(views)

    def finish(self, fc: FinishContext) -> list[CheckResult]:
        ctx, names = self.ctx, self.names or []
        results = [
            present_result(ctx, name, "error")
            if name in names
            else absent_result(ctx, name, True, "error")
            for name in self.listed
        ]
        policy = ctx.check.get("new_columns", "warn")
        if policy != "allow":
            results.extend(self._new_columns(names, policy))
        return results

    def _new_columns(self, names: list[str], severity: str) -> list[CheckResult]:
        ctx, known = self.ctx, set(self.listed)
        new = [name for name in names if name not in known]
        if not new:
            message = (
                f"Dataset '{ctx.dataset}' has no columns beyond the {W.count(len(self.listed))} "
                "in its schema."
            )
            return [
                ctx.result(
                    "new_column", None, False, message, "none", "no new columns", severity=severity
                )
            ]
        return [
            ctx.result(
                "new_column",
                name,
                True,
                f"Column `{name}` of dataset '{ctx.dataset}' is not in its schema.",
                "new column",
                "listed in the schema",
                severity=severity,
            )
            for name in new
        ]
