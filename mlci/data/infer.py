"""Infer a data schema file (``.mlci/schema.yml``) from a dataset's profile, for people to review.

Pure: a profile (:mod:`mlci.data.profile`) in, a :class:`SchemaDraft` out, whose
:meth:`~SchemaDraft.text` is the YAML file with a comment beside every constraint saying what
was observed, and whose :meth:`~SchemaDraft.document` is what that text loads to. The same
profile always gives the same text. The rules, each stated in the file where it applies:

- **type**: the profile's logical type (integer, number, string, boolean, datetime, category).
- **nulls**: ``nullable: false`` when the column has no null; otherwise ``max_null_fraction``
  = twice the observed share, rounded up to the hundredth, at least 0.01 (none above 0.5).
- **range** (numbers): the observed min and max widened by 10 % of the span (10 % of the value
  for a constant), rounded outwards to 3 significant digits (integers: to whole numbers), and
  never across zero: data without negative values keeps ``min >= 0``. No range for a key or a
  column with infinities.
- **allowed values** (text and categories): every value seen, when there are at most 20 and
  each appears 5 times on average; a value not listed then fails.
- **unique**: integer and text columns of at least 50 values, no nulls, every value distinct
  (counted exactly) are key candidates: ``unique: true``. An estimated distinct count cannot
  prove it: :func:`key_candidates` lists those columns so the caller can count exactly and
  pass ``unique=``; otherwise the line is written commented out.
- **length**: text of one fixed length (codes, ids) gets ``min_length`` = ``max_length``.
- **label**: with ``target`` (a classification task), ``label`` with ``min_class_share`` = half
  the rarest class's share (2 significant digits, rounded down); without, a column named like a
  label (``label``, ``target``, ``churned``...) with 2 to 20 classes is suggested in a comment.
- **rows**: ``row_count.min`` = half the observed rows (2 significant digits, rounded down).
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from mlci.vocab import clip, fmt_share

NULL_HEADROOM = 2.0  # max_null_fraction = observed share x this, rounded up ...
MIN_NULL_FRACTION = 0.01  # ... and at least this
MAX_NULL_FRACTION = 0.5  # above this observed share, the column is just `nullable: true`
RANGE_MARGIN = 0.1  # of the span, on each side
RANGE_DIGITS = 3  # significant digits of a range bound, rounded outwards
MAX_ALLOWED = 20  # at most this many distinct values get an `allowed` list ...
MIN_PER_VALUE = 5  # ... and only when count >= this x distinct
MIN_KEY_VALUES = 50  # fewer values than this never make a key
KEY_ESTIMATE_SHARE = 0.95  # an estimated distinct count above this share of values: verify it
MAX_VALUE_CHARS = 200  # profiles cut longer values: no allowed list then
MAX_LABEL_CLASSES = 20
LABEL_NAMES = frozenset(
    {
        "label",
        "labels",
        "target",
        "y",
        "class",
        "outcome",
        "churn",
        "churned",
        "fraud",
        "is_fraud",
        "default",
        "survived",
        "response",
        "converted",
        "diagnosis",
    }
)
COMMENT_COLUMN = 30  # comments start at this column (stable, so diffs show only real changes)

HEADER = (
    "Data schema{of}, inferred by mlci from {rows}. Review every constraint: "
    "the comment beside it says what was observed. A breached constraint fails the run; add "
    "`severity: warn` to a column to be warned instead. Running `mlci schema infer` again "
    "shows what would change, and never overwrites this file unless given --write."
)


# --- the draft ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One inferred constraint: ``key: value``, with the comment that explains it.

    ``hint`` rules are written commented out: a suggestion the data could not prove.
    """

    key: str
    value: Any
    note: str = ""
    hint: bool = False


@dataclass(frozen=True)
class ColumnDraft:
    """The inferred constraints of one column and a one-line summary of what was observed."""

    name: str
    summary: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class SchemaDraft:
    """An inferred schema file: :meth:`text` to write, :meth:`document` to compare."""

    rows: int
    columns: tuple[ColumnDraft, ...]
    dataset: str | None = None
    source: str | None = None
    row_count: Rule | None = None
    label: Rule | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)  # comment lines at the end

    def document(self) -> dict[str, Any]:
        """The parsed file: what :meth:`text` loads to (commented-out hints left out)."""
        doc: dict[str, Any] = {"version": 1, "new_columns": "warn"}
        if self.row_count is not None:
            doc["row_count"] = {self.row_count.key: self.row_count.value}
        if self.label is not None:
            doc["label"] = dict(self.label.value)
        doc["columns"] = {
            c.name: {r.key: r.value for r in c.rules if not r.hint} for c in self.columns
        }
        return doc

    def text(self) -> str:
        """The schema file, with comments."""
        return "".join(_render(self))


# --- inference -----------------------------------------------------------------------------


def infer_schema(
    profile: Mapping[str, Any],
    *,
    dataset: str | None = None,
    source: str | None = None,
    target: str | None = None,
    task: str | None = None,
    unique: Mapping[str, bool] | None = None,
) -> SchemaDraft:
    """Infer a schema file from a dataset's profile (see the module docstring for the rules).

    Parameters
    ----------
    profile:
        A profile dict as :func:`mlci.data.profile.profile_batches` returns it (or a merged
        or stored one).
    dataset, source:
        The dataset's name and file, named in the header comment.
    target:
        The label column: with a classification task (``task`` binary or multiclass, or no
        task and at most 20 classes) it gets a ``label`` section.
    unique:
        Columns whose uniqueness the caller counted exactly (``True``: every value distinct),
        for the columns :func:`key_candidates` names.

    Example
    -------
    >>> from mlci.data.profile import profile_frame
    >>> import pandas as pd
    >>> draft = infer_schema(profile_frame(pd.DataFrame({"age": [18, 40, 95]})))
    >>> draft.document()["columns"]["age"]
    {'type': 'integer', 'nullable': False, 'min': 10, 'max': 103}
    """
    rows = int(profile.get("rows", 0))
    checked = dict(unique or {})
    columns = profile.get("columns", {})
    label: Rule | None = None
    notes: tuple[str, ...] = ()
    if target is not None and target in columns:
        label = _label_rule(target, columns[target], task)
    elif target is None:
        notes = _label_hint(columns)
    drafts = tuple(
        _column(str(n), col, rows, checked.get(str(n)), label is not None and n == target)
        for n, col in columns.items()
    )
    return SchemaDraft(rows, drafts, dataset, source, _row_count(rows), label, notes)


def key_candidates(profile: Mapping[str, Any]) -> list[str]:
    """Columns that may be unique but whose distinct count is an estimate: count them exactly
    and pass the result to :func:`infer_schema` as ``unique``."""
    return [
        str(name)
        for name, col in profile.get("columns", {}).items()
        if _key_shaped(col)
        and not col.get("distinct_exact", False)
        and (col.get("distinct") or 0) >= KEY_ESTIMATE_SHARE * int(col["count"])
    ]


def _key_shaped(col: Mapping[str, Any]) -> bool:
    count = int(col.get("count", 0))
    return (
        col.get("logical_type") in ("integer", "string", "category")
        and int(col.get("nulls", 0)) == 0
        and count >= MIN_KEY_VALUES
    )


def _column(
    name: str, col: Mapping[str, Any], rows: int, checked: bool | None, labelled: bool
) -> ColumnDraft:
    count, nulls = int(col.get("count", 0)), int(col.get("nulls", 0))
    summary = _summary(col, rows, target=labelled)
    if count == 0:
        note = f"all {_count(rows)} values are null: the type cannot be told" if rows else ""
        return ColumnDraft(name, summary, (Rule("nullable", True, note),))
    rules = [_type_rule(col), *_null_rules(nulls, count + nulls)]
    key = _key_rule(col, checked)
    if key is not None:
        rules.append(key)
    kind = col.get("kind")
    if labelled:
        pass  # the label section checks its classes
    elif kind == "numeric" and (key is None or key.hint):
        rules.extend(_range_rules(col))
    elif kind == "categorical":
        allowed = _allowed_rule(col)
        rules.extend([allowed] if allowed is not None else _length_rules(col))
    return ColumnDraft(name, summary, tuple(rules))


def _type_rule(col: Mapping[str, Any]) -> Rule:
    logical, dtype = str(col.get("logical_type")), str(col.get("dtype"))
    note = dtype
    if logical == "number" and _whole_numbers(col):
        note += "; every value is a whole number: `integer` fits too"
    return Rule("type", logical, note)


def _whole_numbers(col: Mapping[str, Any]) -> bool:
    counts = _exact_counts(col)
    return counts is not None and len(counts) > 0 and all(float(v).is_integer() for v, _ in counts)


def _null_rules(nulls: int, rows: int) -> list[Rule]:
    if nulls == 0:
        return [Rule("nullable", False, f"no nulls in {_count(rows)} rows")]
    share = nulls / rows
    seen = f"{_count(nulls)} nulls in {_count(rows)} rows ({fmt_share(share)})"
    if share > MAX_NULL_FRACTION:
        return [Rule("nullable", True, seen)]
    limit = max(MIN_NULL_FRACTION, math.ceil(round(share * NULL_HEADROOM * 100, 9)) / 100)
    return [Rule("max_null_fraction", limit, f"{seen}: twice that, rounded up")]


def _key_rule(col: Mapping[str, Any], checked: bool | None) -> Rule | None:
    if not _key_shaped(col):
        return None
    count, distinct = int(col["count"]), int(col.get("distinct") or 0)
    if checked is True or (col.get("distinct_exact") and distinct == count):
        return Rule("unique", True, f"key candidate: {_count(count)} values, all distinct")
    if checked is None and not col.get("distinct_exact") and distinct >= KEY_ESTIMATE_SHARE * count:
        note = f"about {_count(distinct)} distinct of {_count(count)} (estimated): a key?"
        return Rule("unique", True, note, hint=True)
    return None


def _range_rules(col: Mapping[str, Any]) -> list[Rule]:
    low, high = col.get("min"), col.get("max")
    if low is None or high is None or int(col.get("inf", 0)):
        return []
    low, high = float(low), float(high)
    span = high - low if high > low else abs(high) or 0.0
    margin = span * RANGE_MARGIN
    lo = _round_out(low - margin, up=False)
    hi = _round_out(high + margin, up=True)
    floor_note = ""
    if low >= 0 > lo:
        lo, floor_note = Decimal(0), ", not below 0"
    if high <= 0 < hi:
        hi = Decimal(0)
    if col.get("logical_type") == "integer":
        lo, hi = lo.to_integral_value(ROUND_FLOOR), hi.to_integral_value(ROUND_CEILING)
    constant = " (constant)" if low == high else ""
    how = "10% of the value" if constant else "10% of the span"
    return [
        Rule("min", _plain(lo), f"observed {_shown(low)}{constant}, minus {how}{floor_note}"),
        Rule("max", _plain(hi), f"observed {_shown(high)}{constant}, plus {how}"),
    ]


def _round_out(x: float, *, up: bool) -> Decimal:
    """``x`` rounded outwards (up or down) to :data:`RANGE_DIGITS` significant digits."""
    if x == 0:
        return Decimal(0)
    d = Decimal(repr(x))
    quantum = Decimal(1).scaleb(d.adjusted() - RANGE_DIGITS + 1)
    return d.quantize(quantum, rounding=ROUND_CEILING if up else ROUND_FLOOR)


def _plain(d: Decimal) -> int | float:
    """A Decimal as the int or float YAML will write and read back."""
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def _allowed_rule(col: Mapping[str, Any]) -> Rule | None:
    counts = _exact_counts(col)
    count = int(col["count"])
    length = col.get("length") or {}
    if (
        counts is None
        or len(counts) > MAX_ALLOWED
        or count < MIN_PER_VALUE * len(counts)
        or int(length.get("max") or 0) > MAX_VALUE_CHARS
    ):
        return None
    values = sorted(str(v) for v, _ in counts)
    rarest = min(c for _, c in counts)
    note = f"the {len(values)} values seen (the rarest {_count(rarest)} times); any other fails"
    return Rule("allowed", values, note)


def _length_rules(col: Mapping[str, Any]) -> list[Rule]:
    length = col.get("length") or {}
    low, high = length.get("min"), length.get("max")
    if low is None or low != high or int(col["count"]) < MIN_KEY_VALUES:
        return []
    if int(col.get("distinct") or 0) < 2:
        return []
    note = f"every value has {low} characters"
    return [Rule("min_length", int(low), note), Rule("max_length", int(high), note)]


def _exact_counts(col: Mapping[str, Any]) -> list[tuple[Any, int]] | None:
    """Every distinct value with its count, when the profile knows them exactly."""
    if col.get("kind") == "boolean":
        return [(v, int(c)) for v, c in col.get("top", [])]
    values = col.get("values")
    if not isinstance(values, Mapping) or not values.get("complete"):
        return None
    if not col.get("distinct_exact", True):
        return None
    return [(v, int(c)) for v, c in values.get("counts", [])]


# --- label and rows ------------------------------------------------------------------------


def _classes(col: Mapping[str, Any]) -> list[tuple[Any, int]] | None:
    counts = _exact_counts(col)
    if counts is None or not 2 <= len(counts) <= MAX_LABEL_CLASSES:
        return None
    if col.get("logical_type") == "number" and not _whole_numbers(col):
        return None
    return counts


def _label_rule(target: str, col: Mapping[str, Any], task: str | None) -> Rule | None:
    if task == "regression":
        return None
    classes = _classes(col)
    if classes is None:
        return None
    total = sum(c for _, c in classes)
    rarest_value, rarest = min(classes, key=lambda p: (p[1], str(p[0])))
    share = rarest / total
    floor = _round_down(share / 2, 2)
    label: dict[str, Any] = {"column": target}
    if floor > 0:
        label["min_class_share"] = floor
    label["new_labels"] = "warn"
    note = (
        f"{len(classes)} classes; the rarest, {_short(rarest_value)}, has {fmt_share(share)} of "
        "the rows: fails below half of that"
    )
    return Rule("label", label, note)


def _label_hint(columns: Mapping[str, Any]) -> tuple[str, ...]:
    for name, col in columns.items():
        lowered = str(name).lower()
        named = lowered in LABEL_NAMES or lowered.endswith(("_label", "_target"))
        if not named or _classes(col) is None:
            continue
        rule = _label_rule(str(name), col, None)
        assert rule is not None
        flow = _flow_mapping(rule.value)
        return (
            f"`{name}` looks like the label ({rule.note}).",
            "To check its class balance, uncomment the line below.",
            f"label: {flow}",
        )
    return ()


def _row_count(rows: int) -> Rule | None:
    floor = int(_round_down(rows / 2, 2))
    if floor <= 0:
        return None
    return Rule("min", floor, f"observed {_count(rows)} rows: fails below half of that")


def _round_down(x: float, digits: int) -> float | int:
    if x <= 0:
        return 0
    d = Decimal(repr(x))
    return _plain(d.quantize(Decimal(1).scaleb(d.adjusted() - digits + 1), rounding=ROUND_FLOOR))


# --- summaries -------------------------------------------------------------------------------


def _summary(col: Mapping[str, Any], rows: int, *, target: bool = False) -> str:
    count = int(col.get("count", 0))
    parts = [str(col.get("logical_type", "?")), f"{_count(count)} values"]
    distinct = col.get("distinct")
    if distinct is not None and count:
        about = "" if col.get("distinct_exact", True) else "about "
        parts.append(f"{about}{_count(int(distinct))} distinct")
    kind = col.get("kind")
    if kind in ("numeric", "datetime") and col.get("min") is not None:
        low, high = col["min"], col["max"]
        shown = (_shown(low), _shown(high)) if kind == "numeric" else (low, high)
        parts.append(f"{shown[0]} to {shown[1]}")
    if kind == "numeric" and int(col.get("inf", 0)):
        parts.append(f"{_count(int(col['inf']))} infinite (no range)")
    if kind == "boolean" and count:
        true = next((int(c) for v, c in col.get("top", []) if v == "True"), 0)
        parts.append(f"{fmt_share(true / count)} true")
    if target:
        parts.append("the target")
    return " · ".join(parts)


def _count(n: int) -> str:
    return f"{n:,}"


def _shown(x: Any) -> str:
    """A number for a comment: whole numbers as they are (separators from 10,000), others
    with 4 significant digits (rounded to whole numbers from 1,000)."""
    value = float(x)
    if abs(value) >= 1e15:
        return f"{value:.4g}"
    if value.is_integer() or abs(value) >= 1000:
        whole = round(value)
        return f"{whole:,}" if abs(whole) >= 10_000 else str(whole)
    return f"{value:.4g}"


def _short(value: Any, limit: int = 24) -> str:
    return json.dumps(clip(str(value), limit), ensure_ascii=False)


# --- YAML text -------------------------------------------------------------------------------

_UNSAFE = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_PLAIN = re.compile(r"^\.?[A-Za-z_][A-Za-z0-9_./-]*$")
_RESERVED = frozenset(
    {
        "true",
        "false",
        "null",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "nan",
        "inf",
        "none",
        ".nan",
        ".inf",
    }
)


def scalar_text(value: Any) -> str:
    """A scalar as YAML that both YAML 1.1 and 1.2 readers load back to the same value.

    Strings stay plain when they are simple words; anything else is double-quoted with JSON
    escapes (a subset of YAML's double-quoted style).

    >>> scalar_text("basic"), scalar_text("012"), scalar_text("yes"), scalar_text(1.5)
    ('basic', '"012"', '"yes"', '1.5')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return _one_line(json.dumps(text, ensure_ascii=False))


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    return text if "e" not in text or "." in text else text.replace("e", ".0e", 1)


def _flow_list(values: Sequence[Any]) -> str:
    return "[" + ", ".join(scalar_text(v) for v in values) + "]"


def _flow_mapping(mapping: Mapping[str, Any]) -> str:
    items = (f"{scalar_text(k)}: {_value_text(v)}" for k, v in mapping.items())
    return "{" + ", ".join(items) + "}"


def _value_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return _flow_mapping(value)
    if isinstance(value, (list, tuple)):
        return _flow_list(value)
    return scalar_text(value)


def commented(line: str, note: str) -> str:
    """``line`` with ``# note`` from :data:`COMMENT_COLUMN` on (one line; newlines escaped)."""
    if not note:
        return line + "\n"
    return f"{line.ljust(COMMENT_COLUMN - 2)}  # {_one_line(note)}\n"


def _render(draft: SchemaDraft) -> Iterator[str]:
    of = f" of dataset '{_one_line(draft.dataset)}'" if draft.dataset else ""
    if draft.source:
        of += f" ({_one_line(draft.source)})"
    rows = f"{_count(draft.rows)} row{'s' if draft.rows != 1 else ''}"
    yield _comment_block(HEADER.format(of=of, rows=rows))
    yield "version: 1\n"
    yield commented("new_columns: warn", "a column not listed below is reported as a warning")
    if draft.row_count is not None:
        yield "row_count:\n"
        yield commented(f"  min: {draft.row_count.value}", draft.row_count.note)
    if draft.label is not None:
        yield f"# label: {_one_line(draft.label.note)}\n"
        yield f"label: {_flow_mapping(draft.label.value)}\n"
    yield "columns:" + (" {}\n" if not draft.columns else "\n")
    for column in draft.columns:
        yield from _render_column(column)
    if draft.notes:
        *prose, last = draft.notes
        yield "\n" + _comment_block(" ".join(prose)) + f"# {last}\n"


def _comment_block(text: str) -> str:
    lines = textwrap.wrap(_one_line(text), width=98, break_on_hyphens=False)
    return "".join(f"# {line}\n" for line in lines)


def _one_line(text: str) -> str:
    """Text safe inside a YAML comment or double-quoted scalar: line breaks (including U+0085,
    U+2028, U+2029), control characters and a BOM escaped as ``\\n`` or ``\\u`` + 4 hex."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\u{ord(char):04x}")


def _render_column(column: ColumnDraft) -> Iterator[str]:
    yield f"  # {column.summary}\n"
    yield f"  {scalar_text(column.name)}:\n"
    for rule in column.rules:
        prefix = "    # " if rule.hint else "    "
        value = rule.value
        if rule.key == "allowed" and len(_flow_list(value)) > 60:
            yield commented(f"{prefix}allowed:", rule.note)
            yield from (f"{prefix}  - {scalar_text(v)}\n" for v in value)
            continue
        yield commented(f"{prefix}{rule.key}: {_value_text(value)}", rule.note)


# --- what changed --------------------------------------------------------------------------

_WIDER_WHEN_LARGER = frozenset({"max", "max_null_fraction", "max_length", "max_unseen_fraction"})
_WIDER_WHEN_SMALLER = frozenset({"min", "min_length", "min_class_share"})


def schema_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What replacing schema document ``old`` by ``new`` changes, one line per constraint:
    ``columns.age.max: 103 → 110 (widened)``, ``columns.plan.allowed: + gold``,
    ``columns.note: removed``.

    >>> schema_changes({"columns": {"a": {"max": 5}}}, {"columns": {"a": {"max": 7}}})
    ['columns.a.max: 5 → 7 (widened)']
    """
    lines: list[str] = []
    for key in _keys(old, new):
        if key == "columns":
            continue
        lines.extend(_changes(key, old.get(key), new.get(key)))
    old_columns, new_columns = old.get("columns") or {}, new.get("columns") or {}
    for name in _keys(old_columns, new_columns):
        path = f"columns.{name}"
        if name not in new_columns:
            lines.append(f"{path}: removed (not in the data)")
        elif name not in old_columns:
            lines.append(f"{path}: added")
        else:
            lines.extend(_changes(path, old_columns[name] or {}, new_columns[name] or {}))
    return lines


def _keys(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    return list(a) + [k for k in b if k not in a]


def _changes(path: str, old: Any, new: Any) -> list[str]:
    if old == new:
        return []
    if old is None:
        return [f"{path}: added ({_value_text(new)})"]
    if new is None:
        return [f"{path}: removed (was {_value_text(old)})"]
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return [
            line
            for k in _keys(old, new)
            for line in _changes(f"{path}.{k}", old.get(k), new.get(k))
        ]
    if isinstance(old, list) and isinstance(new, list):
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        parts = [f"+ {scalar_text(v)}" for v in added] + [f"− {scalar_text(v)}" for v in removed]
        return [f"{path}: {', '.join(parts) or 'reordered'}"]
    return [f"{path}: {_value_text(old)} → {_value_text(new)}{_direction(path, old, new)}"]


def _direction(path: str, old: Any, new: Any) -> str:
    key = path.rsplit(".", 1)[-1]
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (old, new))
    if key == "nullable" and isinstance(old, bool):
        return " (widened)" if new else " (narrowed)"
    if not numbers:
        return ""
    if key in _WIDER_WHEN_LARGER:
        return " (widened)" if new > old else " (narrowed)"
    if key in _WIDER_WHEN_SMALLER:
        return " (widened)" if new < old else " (narrowed)"
    return ""
