"""YAML with line numbers, and JSON Schema validation with one-line messages."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlci.errors import ConfigError
from mlci.yamlfile import display_path, load_yaml, validate


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Messages name files relative to the working directory: work in tmp_path."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(text: str, name: str = "f.yml") -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def load(text: str) -> tuple[Any, dict[str, int]]:
    return load_yaml(write(text))


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(text)
    return str(info.value)


# --- scalars: the YAML 1.2 core schema --------------------------------------------------


def test_only_true_and_false_are_booleans() -> None:
    doc, _ = load("a: [yes, no, on, off, NO, y, true, False, TRUE]\n")
    assert doc["a"] == ["yes", "no", "on", "off", "NO", "y", True, False, True]


def test_keys_are_strings_as_written() -> None:
    doc, _ = load("on: 1\n2019: 2\nnull: 3\n1.5: 4\n")
    assert doc == {"on": 1, "2019": 2, "null": 3, "1.5": 4}


def test_numbers_follow_yaml_1_2() -> None:
    doc, _ = load("a: [012, 0o17, 0x1F, -3, 1e3, 1.5, .5, -.inf, 1:30, 1_000]\n")
    assert doc["a"][:7] == [12, 15, 31, -3, 1000.0, 1.5, 0.5]
    assert doc["a"][7] == -math.inf
    assert doc["a"][8:] == ["1:30", "1_000"]  # YAML 1.1 sexagesimal/underscores: strings
    assert isinstance(doc["a"][0], int) and isinstance(doc["a"][4], float)


def test_nan_nulls_and_dates() -> None:
    doc, _ = load("a: .nan\nb: ~\nc:\nd: null\ne: 2024-01-31\nf: '12'\n")
    assert math.isnan(doc["a"])
    assert doc["b"] is None and doc["c"] is None and doc["d"] is None
    assert doc["e"] == "2024-01-31"  # dates stay strings
    assert doc["f"] == "12"


# --- line numbers -----------------------------------------------------------------------


def test_lines_of_nested_keys_and_list_items() -> None:
    doc, lines = load(
        """\
        # a comment
        name: x
        gates:
          - metric: auc
            min: 0.8
          - {metric: f1, max: 1}
        datasets:
          eval:
            path: e.csv
        """
    )
    assert doc["gates"][1] == {"metric": "f1", "max": 1}
    assert lines == {
        "": 2,
        "name": 2,
        "gates": 3,
        "gates[0]": 4,
        "gates[0].metric": 4,
        "gates[0].min": 5,
        "gates[1]": 6,
        "gates[1].metric": 6,
        "gates[1].max": 6,
        "datasets": 7,
        "datasets.eval": 8,
        "datasets.eval.path": 9,
    }


def test_merge_keys_and_aliases() -> None:
    doc, lines = load(
        """\
        base: &base {metric: auc, severity: warn}
        gates:
          - <<: *base
            min: 0.8
          - <<: *base
            severity: error
        """
    )
    assert doc["gates"] == [
        {"metric": "auc", "severity": "warn", "min": 0.8},
        {"metric": "auc", "severity": "error"},
    ]
    assert lines["gates[0].min"] == 4
    assert lines["gates[0].metric"] == 1  # where the merged key is written
    assert lines["gates[1].severity"] == 6


# --- problems -------------------------------------------------------------------------


def test_missing_file_says_how_to_create_it() -> None:
    with pytest.raises(ConfigError) as info:
        load_yaml(Path("mlci.yml"))
    assert str(info.value) == (
        "mlci.yml: file not found. Create it with `mlci init`, or pass --config PATH."
    )


def test_missing_file_with_a_custom_hint() -> None:
    with pytest.raises(ConfigError, match=r"^x\.yml: file not found\. Do this\.$"):
        load_yaml("x.yml", missing_hint="Do this.")


def test_a_directory_is_not_a_file(in_tmp: Path) -> None:
    (in_tmp / "d.yml").mkdir()
    with pytest.raises(ConfigError) as info:
        load_yaml("d.yml")
    assert str(info.value) == "d.yml: is a directory; expected a YAML file."


def test_not_utf8(in_tmp: Path) -> None:
    (in_tmp / "f.yml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_yaml("f.yml")
    assert str(info.value) == "f.yml: not UTF-8 text; save the file as UTF-8."


def test_a_byte_order_mark_is_fine(in_tmp: Path) -> None:
    (in_tmp / "f.yml").write_bytes("\ufeffname: x\n".encode())
    assert load_yaml("f.yml")[0] == {"name": "x"}


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    assert error_of(text) == (
        "f.yml: the file is empty. Create it with `mlci init`, or pass --config PATH."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- a\n- b\n",
            "f.yml:1: expected a mapping of keys to values at the top level; got a list.",
        ),
        (
            "\n\njust text\n",
            "f.yml:3: expected a mapping of keys to values at the top level; "
            "got 'just text' (a string).",
        ),
        (
            "42\n",
            "f.yml:1: expected a mapping of keys to values at the top level; got 42 (an integer).",
        ),
    ],
)
def test_top_level_must_be_a_mapping(text: str, message: str) -> None:
    assert error_of(text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\ngates: [\n",
            "f.yml:3: not valid YAML: expected the node content, but found '<stream end>'.",
        ),
        (
            "name: x\n\tbad: 1\n",
            "f.yml:2: not valid YAML: found character '\\t' that cannot start any token.",
        ),
        ("a: 1\n b: 2\n", "f.yml:2: not valid YAML: mapping values are not allowed here."),
        (
            "a: 1\n---\nb: 2\n",
            "f.yml:2: not valid YAML: expected a single document in the "
            "stream, but found another document.",
        ),
        (
            "a: !python/object:os.system x\n",
            "f.yml:1: not valid YAML: could not determine a "
            "constructor for the tag '!python/object:os.system'.",
        ),
        ("a: \x07\n", "f.yml:1: not valid YAML: special characters are not allowed."),
    ],
)
def test_invalid_yaml(text: str, message: str) -> None:
    assert error_of(text) == message


def test_duplicate_key() -> None:
    assert (
        error_of("a: 1\nb:\n  c: 1\n  c: 2\n")
        == "f.yml:4: b.c: duplicate key (first set on line 3)."
    )


def test_a_recursive_alias_is_refused() -> None:
    assert error_of("a: &x [1, *x]\n") == (
        "f.yml:1: a[1]: an alias refers to itself; expected a finite value."
    )


def test_a_key_must_be_a_scalar() -> None:
    assert error_of("a:\n  ? [1, 2]\n  : 3\n") == (
        "f.yml:2: a: a key must be a name, not a list or mapping."
    )


def test_display_path(in_tmp: Path) -> None:
    assert display_path(Path("sub/mlci.yml")) == "sub/mlci.yml"
    assert display_path(in_tmp / "sub" / "mlci.yml") == "sub/mlci.yml"
    outside = Path("/elsewhere/mlci.yml")
    assert display_path(outside) == "/elsewhere/mlci.yml"


# --- validation -------------------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id"],
    "properties": {
        "id": {"type": "string", "description": "the identifier, e.g. id: a1"},
        "kind": {"enum": ["a", "b", "c"]},
        "only": {"enum": ["all"]},
        "code": {"type": "string", "pattern": "^[a-z]+$"},
        "word": {"type": "string", "minLength": 1},
        "flag": {"type": "boolean"},
        "count": {"type": "integer", "minimum": 1},
        "ratio": {"type": "number", "minimum": 0, "maximum": 1},
        "either": {"type": ["number", "object"]},
        "fixed": {"const": 3},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "pair": {"type": "array", "minItems": 2, "maxItems": 2},
        "opts": {"type": "object", "minProperties": 1},
        "named": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z]+$", "x-expected": "lower-case letters"},
        },
        "one": {
            "type": "object",
            "x-exactly-one-of": ["left", "right"],
            "properties": {"left": {}, "right": {}, "extra": {}},
            "additionalProperties": False,
        },
        "some": {
            "type": "object",
            "x-at-least-one-of": ["low", "high"],
            "properties": {"low": {}, "high": {}, "note": {}},
            "additionalProperties": False,
        },
        "nested": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"inner": {"type": "object", "required": ["deep"], "properties": {}}},
        },
    },
}


def check(text: str, *, what: str = "config") -> str:
    doc, lines = load(text)
    with pytest.raises(ConfigError) as info:
        validate(doc, SCHEMA, lines, "f.yml", what=what)
    return str(info.value)


def test_a_valid_document_passes() -> None:
    doc, lines = load("id: x\nkind: b\ntags: [p, q]\neither: {k: 1}\none: {right: 1}\n")
    validate(doc, SCHEMA, lines, "f.yml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: a\n", "f.yml: missing required key 'id' (the identifier, e.g. id: a1)."),
        ("id: x\nnested:\n  inner: {}\n", "f.yml:3: nested.inner: missing required key 'deep'."),
        ("id: x\nkidn: a\n", "f.yml:2: kidn: unknown key. Did you mean 'kind'?"),
        (
            "id: x\nnested:\n  iner: {}\n",
            "f.yml:3: nested.iner: unknown key. Did you mean 'inner'?",
        ),
        ("id: x\nnested: {zzz: 1}\n", "f.yml:2: nested.zzz: unknown key. Allowed keys: inner."),
        ("id: 3\n", "f.yml:1: id: expected a string; got 3 (an integer)."),
        ("id: x\nflag: yes\n", "f.yml:2: flag: expected true or false; got 'yes' (a string)."),
        ("id: x\ncount: 1.5\n", "f.yml:2: count: expected an integer; got 1.5 (a number)."),
        ("id: x\ncount: 0\n", "f.yml:2: count: expected an integer >= 1; got 0."),
        ("id: x\nratio: 2\n", "f.yml:2: ratio: expected a number between 0 and 1; got 2."),
        (
            "id: x\nratio: .inf\n",
            "f.yml:2: ratio: expected a number; got .inf (not a finite number).",
        ),
        (
            "id: x\nratio: .nan\n",
            "f.yml:2: ratio: expected a number; got .nan (not a finite number).",
        ),
        ("id: x\nratio: true\n", "f.yml:2: ratio: expected a number; got true (a boolean)."),
        (  # an int past float's range is no number mlci can compute with
            f"id: x\nratio: {10**400}\n",
            "f.yml:2: ratio: expected a number; got 1000...00 (401 digits) (too large for a "
            "number).",
        ),
        ("id: x\nratio:\n", "f.yml:2: ratio: expected a number; got an empty value."),
        ("id: x\neither: [1]\n", "f.yml:2: either: expected a number or a mapping; got a list."),
        ("id: x\nkind: d\n", "f.yml:2: kind: expected one of 'a', 'b', 'c'; got 'd'."),
        ("id: x\nonly: some\n", "f.yml:2: only: expected 'all'; got 'some'."),
        ("id: x\nfixed: 4\n", "f.yml:2: fixed: expected 3; got 4."),
        ("id: x\ncode: A1\n", "f.yml:2: code: expected a string matching ^[a-z]+$; got 'A1'."),
        ("id: x\nword: ''\n", "f.yml:2: word: expected a non-empty string; got ''."),
        ("id: x\ntags: []\n", "f.yml:2: tags: expected a non-empty list."),
        (
            "id: x\ntags: [a, b, a]\n",
            "f.yml:2: tags: expected no repeated items; 'a' appears more than once.",
        ),
        (
            "id: x\ntags:\n  - a\n  - 3\n",
            "f.yml:4: tags[1]: expected a string; got 3 (an integer).",
        ),
        ("id: x\npair: [1]\n", "f.yml:2: pair: expected at least 2 items; got 1."),
        ("id: x\npair: [1, 2, 3]\n", "f.yml:2: pair: expected at most 2 items; got 3."),
        ("id: x\nopts: {}\n", "f.yml:2: opts: expected a non-empty mapping."),
        (
            "id: x\nnamed:\n  ok: 1\n  Bad: 2\n",
            "f.yml:4: named.Bad: invalid name; expected lower-case letters.",
        ),
        ("id: x\none: {}\n", "f.yml:2: one: set exactly one of 'left' or 'right'; got none."),
        (
            "id: x\none: {left: 1, right: 2}\n",
            "f.yml:2: one: set exactly one of 'left' or 'right'; got 'left' and 'right'.",
        ),
        ("id: x\none:\n  lefft: 1\n", "f.yml:3: one.lefft: unknown key. Did you mean 'left'?"),
        (
            "id: x\nsome: {note: 1}\n",
            "f.yml:2: some: set at least one of 'low' or 'high'; got none.",
        ),
        ("id: x\nsome:\n  hihg: 1\n", "f.yml:3: some.hihg: unknown key. Did you mean 'high'?"),
    ],
)
def test_messages(text: str, message: str) -> None:
    assert check(text) == message


def test_an_unknown_key_is_reported_before_a_missing_one() -> None:
    assert check("kind: a\nID: x\n") == "f.yml:2: ID: unknown key. Did you mean 'id'?"


def test_the_earliest_problem_in_the_file_is_reported() -> None:
    assert check("id: x\nflag: 1\ncount: 0\nkind: z\n") == (
        "f.yml:2: flag: expected true or false; got 1 (an integer)."
    )


def test_the_first_of_several_unknown_keys_is_reported() -> None:
    assert check("id: x\nnested:\n  b: 1\n  a: 2\n") == (
        "f.yml:3: nested.b: unknown key. Allowed keys: inner."
    )


def test_absurdly_deep_nesting_is_a_config_error_not_a_crash(tmp_path):
    path = tmp_path / "mlci.yml"
    path.write_text("name: x\nx: " + "[" * 2000 + "]" * 2000 + "\n")
    with pytest.raises(ConfigError, match=r"mlci.yml:2: nested too deeply: more than 64 levels"):
        load_yaml(path)


# --- limits: aliases, depth, size (mlci.bounded) ----------------------------------------------

HOSTILE = Path(__file__).parent / "hostile"


def values_of(value: Any) -> int:
    """Values of a plain document as PyYAML expands it (keys count): the independent oracle."""
    if isinstance(value, dict):
        return 1 + sum(values_of(k) + values_of(v) for k, v in value.items())
    if isinstance(value, list):
        return 1 + sum(values_of(v) for v in value)
    return 1


ALIASED = [
    "a: [1, 2]\n",
    "a: &x [1, 2]\nb: *x\n",
    "a: &x {k: [1, 2, 3]}\nb: [*x, *x, *x]\nc: {d: *x}\n",
    "base: &b {p: 1, q: 2}\nuse:\n  <<: *b\n  r: 3\n",
]


@pytest.mark.parametrize("text", ALIASED)
def test_values_are_counted_with_aliases_expanded(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    expected = yaml.safe_load(text)
    # a merge counts as written too: its ``<<`` key and the mapping it merges
    count = values_of(expected) + 2 * text.count("<<")
    monkeypatch.setattr("mlci.yamlfile.MAX_YAML_VALUES", count)
    assert load(text)[0] == expected
    monkeypatch.setattr("mlci.yamlfile.MAX_YAML_VALUES", count - 1)
    assert error_of(text) == (
        f"f.yml: more than {count - 1:,} values once aliases (*name) are expanded, the limit "
        "for this file; check the file for aliases that repeat large values."
    )


@pytest.mark.parametrize(
    "name", ["billion-laughs.yml", "billion-laughs-allowed.yml", "billion-laughs-metrics.yaml"]
)
def test_billion_laughs_is_refused_before_anything_is_built(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Any] = []
    original = yaml.SafeLoader.construct_object

    def counting(self: Any, node: Any, deep: bool = False) -> Any:
        built.append(node)
        return original(self, node, deep=deep)

    monkeypatch.setattr(yaml.SafeLoader, "construct_object", counting)
    load("a: [1, 2]\n")
    assert len(built) == 2  # the counter sees every scalar value built
    built.clear()
    with pytest.raises(ConfigError) as info:
        load_yaml(HOSTILE / name)
    assert str(info.value) == (
        f"{display_path(HOSTILE / name)}: more than 250,000 values once aliases (*name) are "
        "expanded, the limit for this file; check the file for aliases that repeat large values."
    )
    assert built == []


def test_a_recursive_alias_at_the_top_level_is_refused() -> None:
    assert error_of("a: &a [*a]\n") == (
        "f.yml:1: a[0]: an alias refers to itself; expected a finite value."
    )
    with pytest.raises(ConfigError, match=r"recursive-alias.yml:3: limits\[0\]: an alias refers"):
        load_yaml(HOSTILE / "recursive-alias.yml")


def test_a_mapping_that_merges_itself_is_refused() -> None:
    assert error_of("a: &m\n  <<: *m\n  k: 1\n") == (
        "f.yml:1: a.<<: an alias refers to itself; expected a finite value."
    )


def nested(levels: int, *, block: bool) -> str:
    """``x`` holding ``levels`` nested lists (so the document is ``levels + 1`` deep)."""
    if not block:
        return "x: " + "[" * levels + "1" + "]" * levels + "\n"
    lines = ["x:"] + [" " * i + "-" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + " " * levels + "- 1\n"


@pytest.mark.parametrize("block", [False, True])
def test_nesting_is_limited_to_64_levels(block: bool) -> None:
    doc = load(nested(63, block=block))[0]
    depth, value = 1, doc
    while isinstance(value, (dict, list)):
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
        depth += 1
    assert depth - 1 == 64 and value == 1
    message = error_of(nested(64, block=block))
    assert message.startswith("f.yml:") and message.endswith(
        ": nested too deeply: more than 64 levels, the limit."
    )


def test_nesting_through_aliases_counts_the_expanded_depth() -> None:
    inner = "&a " + "[" * 62 + "1" + "]" * 62
    assert load(f"a: {inner}\nb: [*a]\n")[0]["b"][0] == load(f"a: {inner}\n")[0]["a"]
    assert error_of(f"a: {inner}\nb: [[*a]]\n") == (
        "f.yml:1: nested too deeply: more than 64 levels, the limit."
    )


def test_ten_thousand_open_brackets_are_refused_while_scanning() -> None:
    assert error_of("x: " + "[" * 100_000 + "]" * 100_000) == (
        "f.yml:1: nested too deeply: more than 64 levels, the limit."
    )


def test_a_file_past_the_byte_limit_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "name: x\n# padding\n"
    monkeypatch.setattr("mlci.yamlfile.MAX_YAML_BYTES", len(text))
    assert load(text)[0] == {"name": "x"}
    assert error_of(text + "#") == f"f.yml: larger than {len(text)} bytes, the limit for this file."


def test_the_stated_byte_limit_and_an_endless_file() -> None:
    big = Path("big.yml")
    big.write_text("name: x\n" + "#" * (2 << 20) + "\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(big)
    assert str(info.value) == "big.yml: larger than 2 MiB, the limit for this file."
    with pytest.raises(ConfigError) as info:
        load_yaml(Path("/dev/zero"))
    assert str(info.value) == "/dev/zero: larger than 2 MiB, the limit for this file."


def test_an_integer_too_long_to_convert_is_a_config_error() -> None:
    assert error_of("a: " + "9" * 5000 + "\n") == (
        "f.yml:1: not valid YAML: an integer of 5,000 digits is too long."
    )
