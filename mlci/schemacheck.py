"""Accept a valid document without jsonschema: a small JSON Schema check, for start-up time.

Importing jsonschema (with referencing, attrs, rpds and jsonschema_specifications) takes about
50 ms, and the documents mlci validates (``mlci.yml``, data schemas, records, reports, monitor
documents) are valid in practically every run. :func:`is_valid` answers the one question a
valid document needs, with Draft 2020-12 semantics, for exactly the keywords the schemas in
``mlci/jsonschemas/`` use; when it says False, the caller runs jsonschema, which finds and words
the error as before::

    if not is_valid(doc, schema, finite_numbers=True):
        ...  # jsonschema: the same messages as ever

The keywords: ``$ref`` (``#/...`` pointers into the root schema), ``type``, ``properties``,
``additionalProperties``, ``required``, ``propertyNames``, ``minProperties``, ``enum``, ``const``,
``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``minLength``,
``maxLength``, ``pattern``, ``items``, ``minItems``, ``maxItems``, ``uniqueItems``, ``allOf``,
``anyOf``, ``oneOf``, ``not``, ``if``/``then``/``else``, and mlci's ``x-exactly-one-of`` and
``x-at-least-one-of`` as :mod:`mlci.yamlfile` reads them (a schema with ``x-exactly-one-of``
has its ``oneOf`` left to editors, one with ``x-at-least-one-of`` its ``anyOf``). Annotations
(``title``, ``description``, ``default``, ``examples``, ``x-expected``, ``$schema``,
``$comment``, ``$defs``, and ``$id`` at the root) are ignored. A schema that uses any other
keyword is never vouched for: :func:`is_valid` says False and the caller's jsonschema decides.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$comment",
        "$defs",
        "title",
        "description",
        "default",
        "examples",
        "x-expected",
        "then",  # read by "if"
        "else",
    }
)


class _UnknownKeyword(Exception):
    """The schema uses a keyword (or a ``$ref``) this check does not read."""


def is_valid(instance: Any, schema: Mapping[str, Any] | bool, *, finite_numbers: bool) -> bool:
    """Whether ``instance`` is valid against ``schema`` under Draft 2020-12.

    Parameters
    ----------
    instance:
        A document of plain JSON values (dicts, lists, strings, ints, floats, booleans, None),
        as ``json`` or :func:`mlci.yamlfile.load_yaml` build it.
    schema:
        The root schema; ``$ref`` pointers are resolved against it.
    finite_numbers:
        True where a ``number`` must also be finite (NaN and infinities are no numbers), as in
        :mod:`mlci.yamlfile`'s validator; False for jsonschema's plain Draft 2020-12 validator.

    Returns
    -------
    True exactly when jsonschema finds no error; False when it would find one, and also for a
    schema using a keyword this module does not read (then only jsonschema can tell).

    Example
    -------
    >>> is_valid({"n": 1.0}, {"properties": {"n": {"type": "integer"}}}, finite_numbers=True)
    True
    """
    try:
        return _Check(schema, finite_numbers).valid(instance, schema)
    except _UnknownKeyword:
        return False


class _Check:
    """One validation: the root schema (for ``$ref``) and what counts as a number."""

    def __init__(self, root: Mapping[str, Any] | bool, finite_numbers: bool) -> None:
        self.root = root
        self.finite_numbers = finite_numbers

    def valid(self, instance: Any, schema: Any) -> bool:
        """Whether ``instance`` satisfies every keyword of ``schema`` (a bool schema is itself)."""
        if schema is True or schema is False:
            return schema
        if not isinstance(schema, dict):
            raise _UnknownKeyword(f"a schema that is a {type(schema).__name__}")
        for keyword, value in schema.items():
            check = _KEYWORDS.get(keyword)
            if check is None:
                if keyword in _ANNOTATIONS:
                    continue
                raise _UnknownKeyword(keyword)
            if not check(self, value, instance, schema):
                return False
        return True

    def is_type(self, instance: Any, name: str) -> bool:
        """jsonschema's Draft 2020-12 type check (finite numbers only when asked)."""
        if name == "number":
            return is_finite_number(instance) if self.finite_numbers else _is_number(instance)
        if name == "integer":
            return _is_number(instance) and (
                isinstance(instance, int) or float(instance).is_integer()
            )
        kind = _KINDS.get(name)
        if kind is None:
            raise _UnknownKeyword(f"type {name!r}")
        return isinstance(instance, kind) and (name == "boolean" or not isinstance(instance, bool))

    def is_number(self, instance: Any) -> bool:
        return self.is_type(instance, "number")

    def resolve(self, ref: str) -> Any:
        """The subschema a local ``#/...`` JSON pointer names."""
        if ref == "#":
            return self.root
        if not ref.startswith("#/") or "%" in ref:
            raise _UnknownKeyword(f"$ref {ref!r}")
        node: Any = self.root
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                node = node[token]
            else:
                raise _UnknownKeyword(f"$ref {ref!r}")
        return node


_KINDS: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}


def _is_number(instance: Any) -> bool:
    return isinstance(instance, (int, float)) and not isinstance(instance, bool)


def is_finite_number(instance: Any) -> bool:
    """A number mlci can compute with: not a boolean, not NaN or infinite, and an int within a
    float's range (``1`` followed by 400 zeros would fail later, when turned into a float).
    Both the fast check and mlci.yamlfile's jsonschema validator use this rule."""
    if not _is_number(instance):
        return False
    if isinstance(instance, int):
        return abs(instance) <= sys.float_info.max
    return math.isfinite(instance)


# --- JSON equality, as jsonschema's ``equal``: 1 == 1.0, but True != 1 ----------------------


def json_equal(one: Any, two: Any) -> bool:
    """Whether two JSON values are equal: numbers by value (``1 == 1.0``), booleans apart from
    numbers (``True != 1``), lists item by item, mappings key by key."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(json_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(
            key in two and json_equal(value, two[key]) for key, value in one.items()
        )
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _json_key(value: Any) -> Any:
    """A hashable stand-in for a JSON value: equal stand-ins for :func:`json_equal` values (a
    NaN equals only itself, the same object, as ``json_equal`` has it)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, float) and math.isnan(value):
        return ("nan", id(value))
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, list):
        return ("list", tuple(map(_json_key, value)))
    if isinstance(value, dict):
        return ("dict", frozenset((k, _json_key(v)) for k, v in value.items()))
    return (type(value).__name__, value)


def _unique(items: list[Any]) -> bool:
    return len({_json_key(item) for item in items}) == len(items)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# --- the keywords: (check, the keyword's value, instance, the schema holding it) -> valid ----

_Keyword = Callable[[_Check, Any, Any, Mapping[str, Any]], bool]


def _id(c: _Check, uri: str, instance: Any, schema: Mapping[str, Any]) -> bool:
    if schema is not c.root:  # a new base for the $refs below: not read here
        raise _UnknownKeyword("$id below the root schema")
    return True


def _ref(c: _Check, ref: str, instance: Any, schema: Mapping[str, Any]) -> bool:
    return c.valid(instance, c.resolve(ref))


def _type(c: _Check, types: str | list[str], instance: Any, schema: Mapping[str, Any]) -> bool:
    names = [types] if isinstance(types, str) else types
    return any(c.is_type(instance, name) for name in names)


def _properties(
    c: _Check, properties: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(c.valid(instance[k], sub) for k, sub in properties.items() if k in instance)


def _additional(c: _Check, extra: Any, instance: Any, schema: Mapping[str, Any]) -> bool:
    if not isinstance(instance, dict) or extra is True:
        return True
    if "patternProperties" in schema:
        raise _UnknownKeyword("patternProperties")
    known = schema.get("properties", {})
    extras = [value for key, value in instance.items() if key not in known]
    if isinstance(extra, dict):
        return all(c.valid(value, extra) for value in extras)
    return not extras


def _required(c: _Check, keys: list[str], instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, dict) or all(key in instance for key in keys)


def _property_names(c: _Check, names: Any, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, dict) or all(c.valid(key, names) for key in instance)


def _min_properties(c: _Check, n: int, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, dict) or len(instance) >= n


def _enum(c: _Check, values: list[Any], instance: Any, schema: Mapping[str, Any]) -> bool:
    return any(json_equal(value, instance) for value in values)


def _const(c: _Check, value: Any, instance: Any, schema: Mapping[str, Any]) -> bool:
    return json_equal(instance, value)


def _minimum(c: _Check, bound: float, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not c.is_number(instance) or not instance < bound


def _maximum(c: _Check, bound: float, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not c.is_number(instance) or not instance > bound


def _exclusive_minimum(c: _Check, bound: float, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not c.is_number(instance) or not instance <= bound


def _exclusive_maximum(c: _Check, bound: float, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not c.is_number(instance) or not instance >= bound


def _min_length(c: _Check, n: int, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, str) or len(instance) >= n


def _max_length(c: _Check, n: int, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, str) or len(instance) <= n


def _pattern(c: _Check, pattern: str, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, str) or _compiled(pattern).search(instance) is not None


def _items(c: _Check, items: Any, instance: Any, schema: Mapping[str, Any]) -> bool:
    if "prefixItems" in schema:
        raise _UnknownKeyword("prefixItems")
    return not isinstance(instance, list) or all(c.valid(item, items) for item in instance)


def _min_items(c: _Check, n: int, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, list) or len(instance) >= n


def _max_items(c: _Check, n: int, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, list) or len(instance) <= n


def _unique_items(c: _Check, unique: bool, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not unique or not isinstance(instance, list) or _unique(instance)


def _all_of(c: _Check, schemas: list[Any], instance: Any, schema: Mapping[str, Any]) -> bool:
    return all(c.valid(instance, sub) for sub in schemas)


def _any_of(c: _Check, schemas: list[Any], instance: Any, schema: Mapping[str, Any]) -> bool:
    if "x-at-least-one-of" in schema:  # mlci words this rule itself
        return True
    return any(c.valid(instance, sub) for sub in schemas)


def _one_of(c: _Check, schemas: list[Any], instance: Any, schema: Mapping[str, Any]) -> bool:
    if "x-exactly-one-of" in schema:  # mlci words this rule itself
        return True
    passing = 0
    for sub in schemas:
        passing += c.valid(instance, sub)
        if passing > 1:
            return False
    return passing == 1


def _not(c: _Check, sub: Any, instance: Any, schema: Mapping[str, Any]) -> bool:
    return not c.valid(instance, sub)


def _if(c: _Check, condition: Any, instance: Any, schema: Mapping[str, Any]) -> bool:
    branch = "then" if c.valid(instance, condition) else "else"
    return branch not in schema or c.valid(instance, schema[branch])


def _exactly_one_of(c: _Check, keys: list[str], instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, dict) or sum(key in instance for key in keys) == 1


def _at_least_one_of(c: _Check, keys: list[str], instance: Any, schema: Mapping[str, Any]) -> bool:
    return not isinstance(instance, dict) or any(key in instance for key in keys)


_KEYWORDS: dict[str, _Keyword] = {
    "$id": _id,
    "$ref": _ref,
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "propertyNames": _property_names,
    "minProperties": _min_properties,
    "enum": _enum,
    "const": _const,
    "minimum": _minimum,
    "maximum": _maximum,
    "exclusiveMinimum": _exclusive_minimum,
    "exclusiveMaximum": _exclusive_maximum,
    "minLength": _min_length,
    "maxLength": _max_length,
    "pattern": _pattern,
    "items": _items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "uniqueItems": _unique_items,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "not": _not,
    "if": _if,
    "x-exactly-one-of": _exactly_one_of,
    "x-at-least-one-of": _at_least_one_of,
}
KEYWORDS = frozenset(_KEYWORDS) | _ANNOTATIONS
"""Every keyword :func:`is_valid` reads or knows to ignore."""
