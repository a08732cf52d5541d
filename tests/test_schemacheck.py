"""The fast schema check: each keyword by hand, and jsonschema as the oracle on real documents.

The differential tests take every document mlci validates that the repository holds or makes
(``mlci.yml`` files from the tests, the docs, the schemas' examples, the example project and
``mlci init``; data schemas; the record, report.json and monitor.json of a real run and a real
monitoring run), mutate each at random, and ask :func:`mlci.schemacheck.is_valid` and the
validator production falls back on (mlci.yamlfile's for configs and data schemas, with finite
numbers; jsonschema's plain Draft 2020-12 validator for the rest) the same question.
"""

from __future__ import annotations

import ast
import copy
import functools
import io
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mlci import yamlfile
from mlci.cli import main
from mlci.errors import ConfigError
from mlci.schemacheck import KEYWORDS, is_valid, json_equal
from mlci.yamlfile import packaged_schema, parse_yaml
from tests.helpers.monitor import MonitorProject

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = sorted(p.name for p in (REPO / "mlci" / "jsonschemas").glob("*.json"))
HUGE = 10**400


def valid(instance: Any, schema: Any, *, finite_numbers: bool = True) -> bool:
    return is_valid(instance, schema, finite_numbers=finite_numbers)


# --- every keyword the packaged schemas use is one the checker reads --------------------------


def keywords_of(schema: Any) -> Iterator[str]:
    """Every keyword of a schema and its subschemas (not the names under ``properties``)."""
    if not isinstance(schema, dict):
        return
    for keyword, value in schema.items():
        yield keyword
        if keyword in ("properties", "$defs"):
            for sub in value.values():
                yield from keywords_of(sub)
        elif keyword in ("allOf", "anyOf", "oneOf"):
            for sub in value:
                yield from keywords_of(sub)
        elif isinstance(value, dict) and keyword not in ("const", "default", "enum", "examples"):
            yield from keywords_of(value)


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_keyword_of_a_packaged_schema_is_known(name: str) -> None:
    used = set(keywords_of(packaged_schema(name)))
    assert {"type", "properties"} <= used  # the walk sees the schema
    assert used - KEYWORDS == set()


def test_an_unknown_keyword_is_never_vouched_for() -> None:
    assert not valid(3, {"multipleOf": 2})
    assert not valid(3, {"properties": {}, "dependentRequired": {}})
    assert not valid({"a": 1}, {"patternProperties": {"^a": {}}, "additionalProperties": False})
    assert not valid([1], {"prefixItems": [{}], "items": False})
    assert not valid(1, {"$ref": "other.json#/x"})
    assert not valid(1, {"$ref": "#/$defs/missing"})
    assert not valid(1, {"not": {"format": "date"}})  # inside "not", too: never flipped to True
    assert not valid({"a": 1}, {"properties": {"a": {"$id": "https://x/a"}}})  # a new base


# --- each keyword by hand ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance", "kind", "expected"),
    [
        (1, "number", True),
        (1.5, "number", True),
        (True, "number", False),  # a boolean is no number
        (False, "integer", False),
        (1.0, "integer", True),  # as jsonschema: a float with no fraction is an integer
        (1.5, "integer", False),
        (HUGE, "integer", True),
        (HUGE, "number", False),  # an int past float's range is no finite number
        (math.nan, "number", False),
        (math.inf, "number", False),
        (-math.inf, "integer", False),
        ("1", "number", False),
        (None, "null", True),
        (0, "null", False),
        (True, "boolean", True),
        (1, "boolean", False),
        ({}, "object", True),
        ([], "object", False),
        ([], "array", True),
        ("", "string", True),
    ],
)
def test_type(instance: Any, kind: str, expected: bool) -> None:
    assert valid(instance, {"type": kind}) is expected


def test_non_finite_numbers_are_numbers_unless_asked() -> None:
    for number in (math.nan, math.inf, -math.inf):
        assert valid(number, {"type": "number"}, finite_numbers=False)
        assert not valid(number, {"type": "number"}, finite_numbers=True)
        assert not valid(number, {"type": "integer"}, finite_numbers=False)
    assert valid(math.inf, {"type": ["string", "number"]}, finite_numbers=False)
    assert not valid(math.inf, {"type": ["string", "number"]})
    assert valid("x", {"type": ["string", "number"]})


def test_bounds_skip_what_is_not_a_number() -> None:
    assert not valid(-1, {"minimum": 0})
    assert valid(0, {"minimum": 0}) and not valid(0, {"exclusiveMinimum": 0})
    assert valid(1, {"maximum": 1}) and not valid(1, {"exclusiveMaximum": 1})
    assert not valid(1.5, {"maximum": 1})
    # past a float's range an int is no (finite) number: bounds skip it, the type check refuses it
    assert valid(HUGE, {"maximum": 1e308}) and not valid(HUGE, {"type": "number"})
    assert not valid(HUGE, {"maximum": 1e308}, finite_numbers=False)
    assert valid("-1", {"minimum": 0}) and valid(True, {"maximum": 0})
    assert valid(math.nan, {"minimum": 0}, finite_numbers=False)  # NaN < 0 is False
    assert valid(-math.inf, {"minimum": 0})  # not a number here: left to "type"
    assert not valid(-math.inf, {"minimum": 0}, finite_numbers=False)


def test_const_and_enum_are_json_equality() -> None:
    assert valid(1.0, {"const": 1}) and valid(1, {"enum": [1.0]})
    assert not valid(True, {"const": 1}) and not valid(1, {"const": True})
    assert not valid(0, {"enum": [False, None, ""]})
    assert valid(False, {"enum": [0, False]})
    assert valid([1.0, {"a": True}], {"const": [1, {"a": True}]})
    assert not valid([1, {"a": 1}], {"const": [1, {"a": True}]})
    assert not valid({"a": 1, "b": 2}, {"const": {"a": 1}})
    assert not valid("1", {"enum": [1]})
    assert not valid(float("nan"), {"const": math.nan})  # a NaN equals only itself


def test_json_equal() -> None:
    nan = math.nan
    assert json_equal(nan, nan)  # the same object, as jsonschema's equal has it
    assert not json_equal(nan, float("nan"))
    assert json_equal(0.0, -0.0) and json_equal([HUGE], [HUGE])
    assert not json_equal([1, 2], [1]) and not json_equal({"a": 1}, {"b": 1})
    assert not json_equal([True], [1]) and not json_equal(None, 0)


def test_unique_items() -> None:
    schema = {"uniqueItems": True}
    assert not valid([1, 1.0], schema)
    assert valid([1, True], schema) and valid([0, False, None, ""], schema)
    assert not valid([[1], [True], [1.0]], schema)  # equal lists, however far apart
    # jsonschema's uniq compares neighbours after sorting, and [1] sorts equal to [True]: it
    # misses this repeat. Only ever that way round: is_valid refuses, the caller's jsonschema
    # accepts (no packaged schema can hold such a list in an otherwise valid document).
    assert Draft202012Validator(schema).is_valid([[1], [True], [1]])
    assert not valid([[1], [True], [1]], schema)
    assert not valid([{"a": 1, "b": [2]}, {"b": [2.0], "a": 1}], schema)
    assert valid([{"a": 1}, {"a": True}], schema)
    assert valid([1, 1], {"uniqueItems": False}) and valid("aa", schema)
    nan = math.nan
    assert valid([nan, float("nan")], schema, finite_numbers=False)
    assert not valid([nan, nan], schema, finite_numbers=False)


def test_strings() -> None:
    assert valid("abc", {"pattern": "b"})  # search, not match
    assert not valid("abc", {"pattern": "^b"})
    assert valid(3, {"pattern": "^b"})
    assert valid("é€", {"minLength": 2, "maxLength": 2})  # code points, not bytes
    assert not valid("", {"minLength": 1}) and not valid("abc", {"maxLength": 2})
    assert valid([], {"minLength": 1})


def test_objects() -> None:
    schema = {
        "properties": {"a": {"type": "integer"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    assert valid({"a": 1}, schema) and valid([], schema)
    assert not valid({}, schema) and not valid({"a": 1, "b": 2}, schema)
    assert not valid({"a": "1"}, schema)
    assert valid({"a": 1, "b": "x"}, {**schema, "additionalProperties": {"type": "string"}})
    assert not valid({"a": 1, "b": 2}, {**schema, "additionalProperties": {"type": "string"}})
    assert valid({"a": 1, "b": 2}, {**schema, "additionalProperties": True})
    assert not valid({}, {"minProperties": 1}) and valid({"a": None}, {"minProperties": 1})
    names = {"propertyNames": {"pattern": "^[a-z]+$"}}
    assert valid({"ab": 1}, names) and not valid({"aB": 1}, names)


def test_arrays() -> None:
    schema = {"items": {"type": "string"}, "minItems": 1, "maxItems": 2}
    assert valid(["a"], schema) and valid({"k": 1}, schema)
    assert not valid([], schema) and not valid(["a", "b", "c"], schema)
    assert not valid(["a", 1], schema)
    assert valid([], {"items": False}) and not valid([1], {"items": False})


def test_combinations() -> None:
    number_or_text = {"anyOf": [{"type": "number"}, {"type": "string"}]}
    assert valid(1, number_or_text) and not valid(None, number_or_text)
    one = {"oneOf": [{"type": "integer"}, {"type": "number"}]}
    assert valid(1.5, one) and not valid(1, one) and not valid("1", one)
    assert valid(2, {"allOf": [{"minimum": 1}, {"maximum": 3}]})
    assert not valid(4, {"allOf": [{"minimum": 1}, {"maximum": 3}]})
    assert valid(1, {"not": {"type": "string"}}) and not valid("1", {"not": {"type": "string"}})
    assert valid(1, True) and not valid(1, False) and valid(1, {})


def test_if_then_else() -> None:
    schema = {
        "if": {"properties": {"kind": {"const": "range"}}, "required": ["kind"]},
        "then": {"required": ["min"]},
        "else": {"required": ["value"]},
    }
    assert valid({"kind": "range", "min": 1}, schema)
    assert not valid({"kind": "range", "value": 1}, schema)
    assert valid({"value": 1}, schema) and not valid({"min": 1}, schema)
    assert valid({"kind": "range"}, {"if": schema["if"]})  # no then: nothing to check
    assert valid({}, {"then": False}) and valid({}, {"else": False})  # no if: ignored


def test_ref_through_defs() -> None:
    schema = {
        "$defs": {"pos": {"type": "integer", "minimum": 1}, "a/b~c": {"const": "x"}},
        "properties": {"n": {"$ref": "#/$defs/pos"}, "s": {"$ref": "#/$defs/a~1b~0c"}},
        "items": {"$ref": "#"},
    }
    assert valid({"n": 2, "s": "x"}, schema)
    assert not valid({"n": 0}, schema) and not valid({"s": "y"}, schema)
    assert valid([[{"n": 1}]], schema) and not valid([[{"n": 0}]], schema)
    assert valid(2, {"$defs": {"p": {"minimum": 1}}, "$ref": "#/$defs/p", "maximum": 3})
    assert not valid(4, {"$defs": {"p": {"minimum": 1}}, "$ref": "#/$defs/p", "maximum": 3})


def test_mlci_keywords_replace_the_standard_rule_they_sit_beside() -> None:
    exactly = {
        "x-exactly-one-of": ["a", "b"],
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
    }
    assert valid({"a": 1}, exactly) and valid({"b": 1}, exactly) and valid(3, exactly)
    assert not valid({}, exactly) and not valid({"a": 1, "b": 2}, exactly)
    # the oneOf beside it is not checked: editors read it, mlci words the rule itself
    assert valid({"a": 1}, {"x-exactly-one-of": ["a"], "oneOf": [False]})
    assert not valid({"a": 1}, {"oneOf": [False]})
    least = {"x-at-least-one-of": ["a", "b"], "anyOf": [{"required": ["a"]}]}
    assert valid({"b": 1}, least) and valid({"a": 1, "b": 1}, least)
    assert not valid({"c": 1}, least)
    assert valid({"b": 1}, {"x-at-least-one-of": ["b"], "anyOf": [False]})
    assert not valid({"b": 1}, {"anyOf": [False]})


def test_annotations_are_ignored() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.com/s.json",
        "$comment": "c",
        "title": "t",
        "description": "d",
        "default": 1,
        "examples": [1],
        "x-expected": "a number",
        "type": "number",
    }
    assert valid(1, schema) and not valid("1", schema)


# --- the differential test: jsonschema is the oracle ------------------------------------------

NASTY: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    None,
    HUGE,
    -HUGE,
    "",
    "x",
    "0",
    "main",
    0,
    1,
    -1,
    1.0,
    0.5,
    2.5,
    1e308,
    [],
    [1],
    ["a", "a"],
    {},
    {"a": 1},
]


def schema_words(schema: Any) -> list[Any]:
    """Every enum and const value and every property name of a schema: the strings a mutation
    puts where another one belongs."""
    found: list[Any] = []
    if isinstance(schema, dict):
        found += list(schema.get("enum", [])) + ([schema["const"]] if "const" in schema else [])
        found += list(schema.get("properties", {}))
        for value in schema.values():
            found += schema_words(value)
    elif isinstance(schema, list):
        for value in schema:
            found += schema_words(value)
    return found


def pick(draw: st.DrawFn, doc: Any) -> tuple[Any, Any] | None:
    """``(container, key or index)`` of a value below the document, found by walking down from
    the top and stopping at each level with a chance of one in three (so the shape near the top,
    where the schemas say most, is changed as often as the bulk of a profile); None for a
    document with nothing below it."""
    place = None
    node = doc
    while isinstance(node, (dict, list)) and node:
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        place, node = (node, key), node[key]
        if draw(st.integers(0, 2)) == 0:
            break
    return place


MUTATIONS = ("drop", "add", "replace", "word", "duplicate", "wrap", "unwrap", "move")


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any], words: list[Any]) -> Any:
    """A seed document with one to three random mutations."""
    doc = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        place = pick(draw, doc)
        if place is None:
            return draw(st.sampled_from(NASTY))
        mutate(draw, draw(st.sampled_from(MUTATIONS)), *place, doc, words)
    return doc


def mutate(draw: st.DrawFn, how: str, container: Any, key: Any, doc: Any, words: list[Any]) -> None:
    """Change the value at ``container[key]`` in the way ``how`` names (a value put in is a
    copy: the next mutation may change it)."""
    value = container[key]
    if how == "drop":
        del container[key]
        return
    if how == "add" and isinstance(container, dict):
        name = draw(st.sampled_from(["zzz", "nmae", *[w for w in words if isinstance(w, str)]]))
        container[name] = copy.deepcopy(draw(st.sampled_from(NASTY)))
        return
    if how == "duplicate" and isinstance(container, list):
        container.insert(draw(st.integers(0, len(container))), copy.deepcopy(value))
        return
    container[key] = copy.deepcopy(replacement(draw, how, value, doc, words))


def replacement(draw: st.DrawFn, how: str, value: Any, doc: Any, words: list[Any]) -> Any:
    """What replaces ``value``: a word of the schema, the value nested or unnested, another
    value of the document, or a value of another kind."""
    if how == "word":
        return draw(st.sampled_from(words))
    if how == "wrap":
        return draw(st.sampled_from([[value], {"value": value}, [value, value]]))
    if how == "unwrap" and isinstance(value, (dict, list)) and value:
        return draw(st.sampled_from(list(value.values() if isinstance(value, dict) else value)))
    if how == "move":
        other = pick(draw, doc)
        return value if other is None else other[0][other[1]]
    return draw(st.sampled_from(NASTY))


def check_against_oracle(
    seeds: list[Any], schema: Any, oracle: Any, *, finite_numbers: bool, examples: int
) -> None:
    """For ``examples`` mutated seeds, is_valid says what the oracle says; the seeds are valid."""
    for seed in seeds:
        assert is_valid(seed, schema, finite_numbers=finite_numbers)
        assert not any(oracle.iter_errors(seed)), seed
    words = schema_words(schema)

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutated(seeds, words))
    def agrees(doc: Any) -> None:
        expected = not any(oracle.iter_errors(doc))
        assert is_valid(doc, schema, finite_numbers=finite_numbers) is expected, doc

    agrees()


def mlci_validator(name: str) -> Any:
    """The validator mlci.yamlfile falls back on: x- keywords, finite numbers."""
    return yamlfile.jsonschema_validator(packaged_schema(name))


def yaml_texts() -> Iterator[str]:
    """Every multi-line string of the tests and every YAML block of the docs."""
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "\n" in node.value
            ):
                yield node.value
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        yield from re.findall(r"^```ya?ml\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    yield (REPO / "mlci" / "examples" / "tumor-classifier" / "mlci.yml").read_text("utf-8")
    yield (REPO / "mlci" / "examples" / "tumor-classifier" / ".mlci" / "schema.yml").read_text(
        "utf-8"
    )


@functools.cache
def yaml_documents() -> list[Any]:
    """The mappings of :func:`yaml_texts` that parse (each once)."""
    found: dict[str, Any] = {}
    for text in yaml_texts():
        try:
            doc, _ = parse_yaml(text, "x.yml")
        except ConfigError:
            continue
        if isinstance(doc, dict) and doc:
            found[json.dumps(doc, sort_keys=True, default=repr)] = doc
    return list(found.values())


def valid_documents(name: str, extra: list[Any]) -> list[Any]:
    """The distinct documents of the repository that are valid against a packaged schema."""
    validator = mlci_validator(name)
    found = [doc for doc in yaml_documents() if not any(validator.iter_errors(doc))]
    return found + [doc for doc in extra if doc not in found]


def test_config_documents_agree_with_jsonschema() -> None:
    schema = packaged_schema("config.schema.json")
    examples = list(schema["examples"])
    models = [{**examples[0], "model": m} for m in schema["$defs"]["model"]["examples"]]
    seeds = valid_documents("config.schema.json", examples + models)
    assert len(seeds) >= 50
    check_against_oracle(
        seeds, schema, mlci_validator("config.schema.json"), finite_numbers=True, examples=2000
    )


def test_data_schemas_agree_with_jsonschema() -> None:
    schema = packaged_schema("data-schema.schema.json")
    seeds = valid_documents("data-schema.schema.json", list(schema["examples"]))
    assert len(seeds) >= 10
    check_against_oracle(
        seeds,
        schema,
        mlci_validator("data-schema.schema.json"),
        finite_numbers=True,
        examples=1000,
    )


def mlci(*args: str) -> int:
    return main(list(args), stdout=io.StringIO(), stderr=io.StringIO())


def test_what_mlci_init_writes_agrees_with_jsonschema(
    git_project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = git_project.path
    lines = [
        "age,plan,churned",
        *(f"{18 + i % 70},{('basic', 'pro')[i % 2]},{i % 5 == 0:d}" for i in range(60)),
    ]
    git_project.write("data/train.csv", "\n".join(lines) + "\n")
    git_project.write("preds.csv", "label,pred,score\n0,0,0.1\n1,1,0.9\n1,0,0.4\n")
    monkeypatch.chdir(root)
    assert mlci("init", "data/train.csv", "--target", "churned") == 0
    config, _ = yamlfile.load_yaml(root / "mlci.yml")
    schemas = [yamlfile.load_yaml(p)[0] for p in sorted((root / ".mlci").glob("*.yml"))]
    assert schemas
    for name, seeds in (("config.schema.json", [config]), ("data-schema.schema.json", schemas)):
        check_against_oracle(
            seeds, packaged_schema(name), mlci_validator(name), finite_numbers=True, examples=300
        )


def test_records_reports_and_monitor_documents_agree_with_jsonschema(
    git_project: Any, tmp_path: Path
) -> None:
    project = MonitorProject(git_project, tmp_path)
    project.commit("the churn model")
    assert project.run_main()[0] == 0
    project.tag("v1.0.0")
    project.production(tenure_shift=3.0)
    assert project.monitor("--release", "v1.0.0")[0] == 1  # drifted: failures in the documents
    run_out = tmp_path / "run-out"
    documents: dict[str, list[Any]] = {
        "record.schema.json": [json.loads((run_out / "record.json").read_text())],
        "report.schema.json": [
            json.loads((run_out / "report.json").read_text()),
            project.report_json(),
        ],
        "monitor.schema.json": [project.monitor_json()],
    }
    for name, seeds in documents.items():
        schema = packaged_schema(name)
        oracle = Draft202012Validator(schema)
        check_against_oracle(seeds, schema, oracle, finite_numbers=False, examples=400)
