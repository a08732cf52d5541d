"""Read a YAML file with the line of every key, and validate it against a JSON Schema.

Every problem becomes one :class:`~mlci.errors.ConfigError` line that names the file, the line,
the key path and what was expected, e.g.::

    mlci.yml:7: datasets.eval.checks[0].max_nul_fraction: unknown key. Did you mean
    'max_null_fraction'?

Every file is read within the limits of :mod:`mlci.bounded`: at most
:data:`~mlci.bounded.MAX_YAML_BYTES` bytes, :data:`~mlci.bounded.MAX_DEPTH` levels and
:data:`~mlci.bounded.MAX_YAML_VALUES` values once aliases are expanded; an alias inside the
value it names is refused. The limits are checked on the composed nodes, before any value is
built, so a 541-byte "billion laughs" file is refused in milliseconds.

Scalars follow the YAML 1.2 core schema: only ``true``/``false`` are booleans (so ``NO`` or
``yes`` stay strings), dates stay strings, and ``012`` is twelve. Keys are always strings.

Schemas may use three mlci keywords besides Draft 2020-12 (editors ignore them):

- ``x-expected``: the words that finish "expected ..." when a value at this schema is wrong;
- ``x-exactly-one-of``: a list of keys of which exactly one must be present;
- ``x-at-least-one-of``: a list of keys of which at least one must be present.

Each ``x-...-of`` sits beside the standard form of its rule (``oneOf``/``anyOf`` of
``required``), which editors check; mlci words the error from the ``x-`` keyword alone.

A valid document is accepted by :mod:`mlci.schemacheck` alone; jsonschema (about 50 ms to
import) is imported only to find and word the error of an invalid one.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mlci.bounded import (
    MAX_DEPTH,
    MAX_YAML_BYTES,
    MAX_YAML_VALUES,
    DocumentError,
    read_text,
    too_deep,
    too_large,
)
from mlci.errors import ConfigError
from mlci.schemacheck import is_finite_number, is_valid

if TYPE_CHECKING:
    from jsonschema import ValidationError

CONFIG_MISSING_HINT = "Create it with `mlci init`, or pass --config PATH."
_MERGE_TAG = "tag:yaml.org,2002:merge"


# --- reading -------------------------------------------------------------------------------


class _TooDeep(Exception):
    """Flow collections nested past MAX_DEPTH, at this 1-based line."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with the YAML 1.2 core schema (plus ``<<`` merge keys)."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (filled below: YAML 1.2 core)

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        """Stop at ``[`` or ``{`` nested past MAX_DEPTH, while scanning: PyYAML's scanner takes
        time in the square of the flow nesting depth (100,000 ``[`` would take minutes)."""
        if self.flow_level >= MAX_DEPTH:
            raise _TooDeep(self.get_mark().line + 1)
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        """Stop at block collections nested past MAX_DEPTH (see above)."""
        if len(self.indents) >= MAX_DEPTH:
            raise _TooDeep(self.get_mark().line + 1)
        return bool(super().add_indent(column))

    def construct_core_int(self, node: ScalarNode) -> int:
        """Decimal, ``0o`` octal or ``0x`` hexadecimal (YAML 1.2: ``012`` is twelve)."""
        text = str(self.construct_scalar(node))
        try:
            return int(text, 0) if text.startswith(("0o", "0x")) else int(text, 10)
        except ValueError:  # more digits than Python converts (4300)
            raise ConstructorError(
                None, None, f"an integer of {len(text):,} digits is too long", node.start_mark
            ) from None


def _add_resolver(tag: str, pattern: str, first: str) -> None:
    _Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))


_add_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_add_resolver("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789")
_add_resolver(
    "tag:yaml.org,2002:float",
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    "-+0123456789.",
)
_add_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN")
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])
_add_resolver(_MERGE_TAG, r"^(?:<<)$", "<")
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_core_int)


def display_path(path: Path) -> str:
    """The file as messages name it: relative to the working directory when inside it."""
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def load_yaml(
    path: Path | str, *, missing_hint: str = CONFIG_MISSING_HINT
) -> tuple[Any, dict[str, int]]:
    """Parse a YAML file whose top level is a mapping, keeping the line of every key.

    Parameters
    ----------
    path:
        The file to read.
    missing_hint:
        What to tell the user when the file does not exist or is empty.

    Returns
    -------
    ``(document, lines)``: the parsed document (plain dicts, lists and scalars) and, for every
    key path such as ``"gates[1].metric"`` or ``"datasets.eval.path"``, its 1-based line
    (``""`` is the document itself).

    Raises
    ------
    ConfigError
        One line naming the file (and the line) for a missing, unreadable, invalid or empty
        file, a top level that is not a mapping, or a duplicate key.
    """
    path = Path(path)
    name = display_path(path)
    return _mapping(_read_text(path, name, missing_hint), name, missing_hint)


def load_yaml_bytes(
    data: bytes, name: str, *, missing_hint: str = CONFIG_MISSING_HINT
) -> tuple[Any, dict[str, int]]:
    """:func:`load_yaml` for a file's content read elsewhere (e.g. from git), named ``name`` in
    messages; the same limits, checks and messages."""
    if len(data) > MAX_YAML_BYTES:
        raise ConfigError(f"{name}: {too_large(MAX_YAML_BYTES)}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 text; save the file as UTF-8.") from None
    return _mapping(text, name, missing_hint)


def _mapping(text: str, name: str, missing_hint: str) -> tuple[Any, dict[str, int]]:
    doc, lines = parse_yaml(text, name)
    if doc is None:
        raise ConfigError(f"{name}: the file is empty. {missing_hint}")
    if not isinstance(doc, dict):
        raise ConfigError(
            f"{name}:{lines['']}: expected a mapping of keys to values at the top level; "
            f"got {_describe(doc)}."
        )
    return doc, lines


def parse_yaml(text: str, name: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML text within the limits of :mod:`mlci.bounded`, keeping the line of every key.

    Returns ``(document, lines)`` as :func:`load_yaml` does (the document is None for an empty
    text, and may be of any kind). Raises :class:`ConfigError` naming ``name`` (the file, as
    messages show it) for invalid YAML, a duplicate key, or a document past a limit.
    """
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(f"{name}: {too_large(MAX_YAML_BYTES)}.")
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            lines: dict[str, int] = {}
            if node is None:
                return None, lines
            _Measure(name).check(node)
            return _Builder(loader, name, lines).build(node, ""), lines
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_error_message(name, text, exc)) from None
    except _TooDeep as exc:
        raise ConfigError(f"{name}:{exc.line}: {_deep()}.") from None
    except RecursionError:  # the composer recurses once per level: far past MAX_DEPTH
        raise ConfigError(f"{name}: {_deep()}.") from None


def _deep() -> str:
    return str(too_deep(MAX_DEPTH))


def _read_text(path: Path, name: str, missing_hint: str) -> str:
    try:
        return read_text(path, limit=MAX_YAML_BYTES, encoding="utf-8-sig")
    except DocumentError as exc:
        raise ConfigError(f"{name}: {exc}.") from None
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found. {missing_hint}") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a directory; expected a YAML file.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: not UTF-8 text; save the file as UTF-8.") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read the file ({exc.strerror or exc}).") from None


def _yaml_error_message(name: str, text: str, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line = mark.line + 1
    elif isinstance(getattr(exc, "position", None), int):  # a ReaderError
        line = text.count("\n", 0, exc.position) + 1  # type: ignore[attr-defined]
    else:
        line = None
    problem = str(getattr(exc, "problem", None) or getattr(exc, "reason", None) or exc)
    context = getattr(exc, "context", None)
    if context and problem.startswith("but "):  # "expected a single document ..., but found ..."
        problem = f"{context}, {problem}"
    at = f"{name}:{line}" if line else name
    return f"{at}: not valid YAML: {problem.strip().rstrip('.')}."


class _Measure:
    """Refuses, before any value is built, a document that nests deeper than MAX_DEPTH levels,
    holds more than MAX_YAML_VALUES values once aliases are expanded, or has an alias inside
    the value it names. An anchored node is measured once however often it is referred to, so
    the time taken follows the length of the text, not the size of the expansion."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.known: dict[int, tuple[int, int]] = {}  # id(node) -> (values, levels)
        self.open: set[int] = set()  # the containers being measured (an alias to one recurses)

    def check(self, node: Node) -> None:
        self.visit(node, "", 1)

    def visit(self, node: Node, key_path: str, depth: int) -> tuple[int, int]:
        """``(values, levels)`` of the node at nesting ``depth`` (the top level is 1)."""
        if isinstance(node, ScalarNode):
            return 1, 0
        if id(node) in self.open:
            raise self.error(node, key_path, "an alias refers to itself; expected a finite value")
        known = self.known.get(id(node))
        if known is None:
            self.open.add(id(node))
            known = self.known[id(node)] = self.measure(node, key_path, depth)
            self.open.discard(id(node))
        if depth - 1 + known[1] > MAX_DEPTH:
            raise self.error(node, "", _deep())
        return known

    def measure(self, node: Node, key_path: str, depth: int) -> tuple[int, int]:
        if depth > MAX_DEPTH:
            raise self.error(node, "", _deep())
        values, levels = 1, 0
        for child_path, child in _children(node, key_path):
            size, height = self.visit(child, child_path, depth + 1)
            values, levels = values + size, max(levels, height)
            if values > MAX_YAML_VALUES:
                raise ConfigError(
                    f"{self.name}: more than {MAX_YAML_VALUES:,} values once aliases (*name) "
                    "are expanded, the limit for this file; check the file for aliases that "
                    "repeat large values."
                )
        return values, levels + 1

    def error(self, node: Node, key_path: str, message: str) -> ConfigError:
        return ConfigError(located(self.name, node.start_mark.line + 1, key_path, message))


def _children(node: Node, key_path: str) -> Iterator[tuple[str, Node]]:
    """The nodes directly below a sequence or mapping node, with their key paths."""
    if isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield f"{key_path}[{i}]", item
        return
    for key_node, value_node in node.value:
        yield key_path, key_node
        key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
        yield join_key(key_path, key), value_node


class _Builder:
    """Turns composed YAML nodes (measured by _Measure) into plain values, recording the line
    of every key path."""

    def __init__(self, loader: _Loader, name: str, lines: dict[str, int]) -> None:
        self.loader = loader
        self.name = name
        self.lines = lines

    def build(self, node: Node, key_path: str) -> Any:
        self.lines.setdefault(key_path, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            return self.loader.construct_object(node, deep=True)
        if isinstance(node, SequenceNode):
            return [self.build(item, f"{key_path}[{i}]") for i, item in enumerate(node.value)]
        entries = self._entries(node, key_path)
        result: dict[str, Any] = {}
        for key, (line, value_node) in entries.items():
            child = join_key(key_path, key)
            self.lines[child] = line
            result[key] = self.build(value_node, child)
        return result

    def _entries(self, node: Node, key_path: str) -> dict[str, tuple[int, Node]]:
        """The keys of a mapping node with their line and value, ``<<`` merges applied."""
        explicit: dict[str, tuple[int, Node]] = {}
        merged: dict[str, tuple[int, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                for key, entry in self._merge_sources(value_node, key_path).items():
                    merged.setdefault(key, entry)
                continue
            key = self._key(key_node, key_path)
            line = key_node.start_mark.line + 1
            if key in explicit:
                raise self._error(
                    key_node,
                    join_key(key_path, key),
                    f"duplicate key (first set on line {explicit[key][0]})",
                )
            explicit[key] = (line, value_node)
        return {**merged, **explicit}

    def _merge_sources(self, node: Node, key_path: str) -> dict[str, tuple[int, Node]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, tuple[int, Node]] = {}
        for source in sources:
            if not isinstance(source, MappingNode):
                raise self._error(node, key_path, "'<<' expects a mapping or a list of mappings")
            for key, entry in self._entries(source, key_path).items():
                merged.setdefault(key, entry)
        return merged

    def _key(self, key_node: Node, key_path: str) -> str:
        if not isinstance(key_node, ScalarNode):
            raise self._error(key_node, key_path, "a key must be a name, not a list or mapping")
        return str(key_node.value)

    def _error(self, node: Node, key_path: str, message: str) -> ConfigError:
        return ConfigError(located(self.name, node.start_mark.line + 1, key_path, message))


def join_key(key_path: str, key: str | int) -> str:
    """``join_key("gates", 1) == "gates[1]"``, ``join_key("gates[1]", "min") == "gates[1].min"``."""
    if isinstance(key, int):
        return f"{key_path}[{key}]"
    return f"{key_path}.{key}" if key_path else key


def format_key_path(parts: Iterable[str | int]) -> str:
    """The key path of a sequence of keys and list indices."""
    key_path = ""
    for part in parts:
        key_path = join_key(key_path, part)
    return key_path


def line_of(lines: Mapping[str, int], parts: Sequence[str | int]) -> int | None:
    """The line of a key path, or of its nearest parent that has one."""
    for end in range(len(parts), 0, -1):
        line = lines.get(format_key_path(parts[:end]))
        if line is not None:
            return line
    return None


def located(file: str, line: int | None, key_path: str, message: str) -> str:
    """``"mlci.yml:7: gates[0].min: message."`` with the final period added when missing."""
    at = f"{file}:{line}" if line else file
    if not message.endswith((".", "?", "!")):
        message += "."
    return f"{at}: {key_path}: {message}" if key_path else f"{at}: {message}"


# --- showing values ----------------------------------------------------------------------


def show(value: Any) -> str:
    """A value as the user would write it in YAML: ``'abc'``, ``true``, ``null``, ``1.5``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, int) and abs(value) >= 10**30:
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}{digits[:4]}...{digits[-2:]} ({len(digits)} digits)"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value[:5]) + (", ...]" if len(value) > 5 else "]")
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _describe(value: Any) -> str:
    """A value and its kind, for "expected a number; got 'abc' (a string)"."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"{show(value)} (a boolean)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{show(value)} (not a finite number)"
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        return f"{show(value)} (too large for a number)"
    if isinstance(value, int):
        return f"{show(value)} (an integer)"
    if isinstance(value, float):
        return f"{show(value)} (a number)"
    if isinstance(value, str):
        return f"{show(value)} (a string)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{show(value)} (a {type(value).__name__})"


def _quoted(items: Iterable[Any]) -> str:
    return ", ".join(show(i) for i in items)


def _listed(items: Sequence[Any], conjunction: str) -> str:
    """``'a', 'b' or 'c'``."""
    shown = [show(i) for i in items]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} {conjunction} {shown[-1]}"


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


# --- validating ------------------------------------------------------------------------


def _exactly_one_of(
    validator: Any, keys: list[str], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    from jsonschema import ValidationError  # the slow path: see jsonschema_validator

    if not validator.is_type(instance, "object"):
        return
    present = [k for k in keys if k in instance]
    if len(present) == 1:
        return
    if present:
        got = _listed(present, "and")
        yield ValidationError(f"set exactly one of {_listed(keys, 'or')}; got {got}.")
        return
    yield from _near_miss_keys(instance, keys)
    yield ValidationError(f"set exactly one of {_listed(keys, 'or')}; got none.")


def _at_least_one_of(
    validator: Any, keys: list[str], instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    from jsonschema import ValidationError  # the slow path: see jsonschema_validator

    if not validator.is_type(instance, "object") or any(k in instance for k in keys):
        return
    yield from _near_miss_keys(instance, keys)
    yield ValidationError(f"set at least one of {_listed(keys, 'or')}; got none.")


def near_miss(word: str, candidates: Iterable[str], *, shortening: bool = False) -> str | None:
    """The candidate ``word`` is most likely a typo of, case ignored; None when there is none.
    With ``shortening``, also the one candidate that holds ``word`` (or that ``word`` holds):
    for column names, where ``pred`` means ``prediction``.

    ``near_miss("rsme", ["mae", "rmse"])`` is ``"rmse"``;
    ``near_miss("pred", ["label", "prediction"], shortening=True)`` is ``"prediction"``."""
    by_lower = {c.lower(): c for c in candidates}
    lower = word.lower()
    close = difflib.get_close_matches(lower, list(by_lower), n=1, cutoff=0.6)
    if close:
        return by_lower[close[0]]
    if not shortening or len(lower) < 3:
        return None
    holding = [c for c in by_lower if lower in c or (len(c) >= 3 and c in lower)]
    return by_lower[holding[0]] if len(holding) == 1 else None


def _near_miss_keys(instance: Mapping[str, Any], keys: list[str]) -> Iterator[ValidationError]:
    """A typo of a required key reads better as "unknown key. Did you mean ...?"."""
    from jsonschema import ValidationError  # the slow path: see jsonschema_validator

    for key in instance:
        close = near_miss(str(key), keys)
        if close:
            yield ValidationError(f"unknown key. Did you mean {close!r}?", path=[key])


def _is_finite_number(checker: Any, instance: Any) -> bool:
    return is_finite_number(instance)


def _worded_by(
    keyword: str, check: Callable[..., Iterator[ValidationError]]
) -> Callable[..., Iterator[ValidationError]]:
    """The standard ``oneOf``/``anyOf`` validator ``check``, silent where ``keyword`` states the
    same rule: editors read the standard one, mlci words the error with its own."""

    def validate(
        validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if keyword not in schema:
            yield from check(validator, value, instance, schema)

    return validate


def jsonschema_validator(schema: Mapping[str, Any]) -> Any:
    """mlci's jsonschema validator of ``schema``: Draft 2020-12 with the ``x-`` keywords, where
    a number is finite. It imports jsonschema: :func:`validate` calls it only for a document
    :mod:`mlci.schemacheck` did not accept."""
    return _validator_class()(schema)


@functools.cache
def _validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators  # ~50 ms: the slow path only

    standard = Draft202012Validator.VALIDATORS
    return validators.extend(
        Draft202012Validator,
        validators={
            "x-exactly-one-of": _exactly_one_of,
            "x-at-least-one-of": _at_least_one_of,
            "oneOf": _worded_by("x-exactly-one-of", standard["oneOf"]),
            "anyOf": _worded_by("x-at-least-one-of", standard["anyOf"]),
        },
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("number", _is_finite_number),
    )


def validate(
    doc: Any,
    schema: Mapping[str, Any],
    lines: Mapping[str, int],
    path: Path | str,
    *,
    what: str = "config",
) -> None:
    """Validate a document read by :func:`load_yaml` against a JSON Schema (Draft 2020-12).

    Of several problems, the one reported is the most useful: a key that cannot be where it
    is before a value of the wrong kind, before a missing key; then the earliest in the file.

    Parameters
    ----------
    doc, lines:
        What :func:`load_yaml` returned.
    schema:
        The JSON Schema (see the module docstring for the ``x-`` keywords it may use).
    path:
        The file, for messages.
    what:
        What the document is ("config", "data schema"), for messages about the whole document.

    Raises
    ------
    ConfigError
        One line: ``mlci.yml:3: model.task: expected one of 'binary', ...; got 'binry'.``
    """
    if is_valid(doc, schema, finite_numbers=True):
        return
    errors = list(jsonschema_validator(schema).iter_errors(doc))
    if not errors:  # a schema with a keyword mlci.schemacheck does not read
        return
    name = display_path(Path(path))
    found = [_explain(error, lines) for error in errors]
    rank, line, key_path, message = min(found, key=lambda f: (f[0], f[1] or 0, -_depth(f[2])))
    if not key_path and rank != _RANK_MISSING:
        message = f"the {what}: {message}"
    if rank == _RANK_MISSING and not key_path:
        line = None
    raise ConfigError(located(name, line, key_path, message))


_RANK_SEVERAL = 0  # two discriminating keys at once: the clearest message of all
_RANK_UNKNOWN = 1
_RANK_VALUE = 2
_RANK_NONE = 3  # none of the keys of an x-...-of keyword
_RANK_MISSING = 4


def _depth(key_path: str) -> int:
    return key_path.count(".") + key_path.count("[") + bool(key_path)


def _explain(error: ValidationError, lines: Mapping[str, int]) -> tuple[int, int | None, str, str]:
    """``(rank, line, key_path, message)`` of one jsonschema error; lower rank is reported first."""
    parts: list[str | int] = list(error.absolute_path)
    key = _first_unknown_key(error, parts, lines)
    if key is not None:
        parts.append(key)
        allowed = sorted(error.schema.get("properties", {}))
        return _RANK_UNKNOWN, line_of(lines, parts), format_key_path(parts), _unknown(key, allowed)
    if "propertyNames" in error.relative_schema_path:
        parts.append(error.instance)
        message = f"invalid name; expected {_expected(error)}"
        return _RANK_VALUE, line_of(lines, parts), format_key_path(parts), message
    rank = {"required": _RANK_MISSING}.get(str(error.validator), _RANK_VALUE)
    if str(error.validator).startswith("x-"):
        rank = _RANK_SEVERAL if "; got none" not in error.message else _RANK_NONE
        if error.message.startswith("unknown key"):
            rank = _RANK_UNKNOWN
    return rank, line_of(lines, parts), format_key_path(parts), _message(error)


def _first_unknown_key(
    error: ValidationError, parts: list[str | int], lines: Mapping[str, int]
) -> str | None:
    """For an ``additionalProperties: false`` error, the unknown key written first."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return None
    allowed = error.schema.get("properties", {})
    unknown = [k for k in error.instance if k not in allowed]
    return min(unknown, key=lambda k: lines.get(format_key_path([*parts, k]), 0), default=None)


def _unknown(key: str, allowed: list[str]) -> str:
    close = near_miss(key, allowed)
    if close:
        return f"unknown key. Did you mean {close!r}?"
    if not allowed:
        return "unknown key; nothing can be set here."
    return f"unknown key. Allowed keys: {', '.join(allowed)}."


def _expected(error: ValidationError) -> str:
    """What the schema wanted, in words."""
    schema = error.schema
    if "x-expected" in schema:
        return str(schema["x-expected"])
    validator, value = str(error.validator), error.validator_value
    if validator == "type":
        types = [value] if isinstance(value, str) else list(value)
        return " or ".join(_TYPE_NAMES.get(t, t) for t in types)
    if validator == "const":
        return show(value)
    if validator == "enum":
        return show(value[0]) if len(value) == 1 else f"one of {_quoted(value)}"
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _range(schema)
    if validator == "pattern":
        return f"a string matching {value}"
    if validator == "minLength":
        return "a non-empty string"
    return ""


def _range(schema: Mapping[str, Any]) -> str:
    kind = "an integer" if schema.get("type") == "integer" else "a number"
    if "minimum" in schema and "maximum" in schema:
        return f"{kind} between {_number(schema['minimum'])} and {_number(schema['maximum'])}"
    bounds = []
    if "minimum" in schema:
        bounds.append(f">= {_number(schema['minimum'])}")
    if "exclusiveMinimum" in schema:
        bounds.append(f"> {_number(schema['exclusiveMinimum'])}")
    if "maximum" in schema:
        bounds.append(f"<= {_number(schema['maximum'])}")
    if "exclusiveMaximum" in schema:
        bounds.append(f"< {_number(schema['exclusiveMaximum'])}")
    return f"{kind} {' and '.join(bounds)}"


def _message(error: ValidationError) -> str:
    validator, value, instance = str(error.validator), error.validator_value, error.instance
    if validator.startswith("x-"):
        return error.message
    if validator == "required":
        key = next(k for k in value if k not in instance)
        description = error.schema.get("properties", {}).get(key, {}).get("description")
        hint = f" ({description})" if description else ""
        return f"missing required key {key!r}{hint}"
    if validator == "type":
        return f"expected {_expected(error)}; got {_describe(instance)}"
    if validator in ("minItems", "maxItems"):
        return _items_message(validator, value, instance)
    if validator == "uniqueItems":
        repeated = next(x for i, x in enumerate(instance) if x in instance[:i])
        return f"expected no repeated items; {show(repeated)} appears more than once"
    if validator == "minProperties":
        return "expected a non-empty mapping"
    expected = _expected(error)
    if expected:
        return f"expected {expected}; got {show(instance)}"
    return error.message


def _items_message(validator: str, value: int, instance: list[Any]) -> str:
    if validator == "minItems":
        if value == 1:
            return "expected a non-empty list"
        return f"expected at least {value} items; got {len(instance)}"
    return f"expected at most {value} items; got {len(instance)}"


# --- helpers for loaders -----------------------------------------------------------------


@functools.cache
def packaged_schema(name: str) -> Mapping[str, Any]:
    """A JSON Schema shipped in ``mlci/jsonschemas/`` (e.g. ``"config.schema.json"``)."""
    text = (importlib.resources.files("mlci") / "jsonschemas" / name).read_text(encoding="utf-8")
    schema: Mapping[str, Any] = json.loads(text)
    return schema


@dataclass(frozen=True)
class Where:
    """Makes located errors for checks done after the schema: ``where.error(key_path, msg)``."""

    file: str
    lines: Mapping[str, int]

    def error(self, key_path: str, message: str) -> ConfigError:
        return ConfigError(located(self.file, self.lines.get(key_path), key_path, message))

    def check_min_max(self, section: Mapping[str, Any], key_path: str) -> None:
        """Refuse ``min`` above ``max``: no value could pass."""
        low, high = section.get("min"), section.get("max")
        if low is not None and high is not None and low > high:
            raise self.error(
                key_path, f"min ({show(low)}) is greater than max ({show(high)}); nothing can pass"
            )
