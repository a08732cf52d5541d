"""The data schema file (`.mlci/schema.yml`) becomes the check mappings of inline checks."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mlci.data.schema_file import load_schema_file
from mlci.errors import ConfigError
from mlci.yamlfile import packaged_schema

SCHEMA = ".mlci/schema.yml"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Messages name the file relative to the working directory: work in tmp_path."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def load(text: str) -> tuple[dict[str, Any], ...]:
    path = Path(SCHEMA)
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return load_schema_file(path)


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(text)
    return str(info.value)


FULL = """\
version: 1
new_columns: error
row_count: {min: 100, max: 1000000}
columns:
  id: {type: integer, nullable: false, unique: true}
  age:
    type: integer
    nullable: true
    max_null_fraction: 0.05
    min: 0
    max: 120
    severity: warn
  plan: {type: category, allowed: [basic, pro], max_unseen_fraction: 0.01}
  signup: {type: datetime}
  note:
unique_key: [[id], [plan, signup]]
"""


def test_the_full_file() -> None:
    assert load(FULL) == (
        {"columns_present": ["id", "age", "plan", "signup", "note"], "new_columns": "error"},
        {"column": "id", "required": True, "type": "integer", "nullable": False, "unique": True},
        {
            "column": "age",
            "required": True,
            "type": "integer",
            "nullable": True,
            "max_null_fraction": 0.05,
            "min": 0,
            "max": 120,
            "severity": "warn",
        },
        {
            "column": "plan",
            "required": True,
            "type": "category",
            "allowed": ["basic", "pro"],
            "max_unseen_fraction": 0.01,
        },
        {"column": "signup", "required": True, "type": "datetime"},
        {"column": "note", "required": True},
        {"row_count": {"min": 100, "max": 1000000}},
        {"unique_key": ["id"]},
        {"unique_key": ["plan", "signup"]},
    )


def test_every_check_is_a_valid_inline_check() -> None:
    """Same vocabulary: each mapping (but columns_present) passes the config's check schema."""
    config_schema = dict(packaged_schema("config.schema.json"))
    check_schema = {"$defs": config_schema["$defs"], "$ref": "#/$defs/check"}
    validator = Draft202012Validator(check_schema)
    checks = load(FULL)
    assert "columns_present" in checks[0]
    for check in checks[1:]:
        assert list(validator.iter_errors(check)) == [], check


def test_defaults() -> None:
    assert load("columns:\n  a: {}\n") == (
        {"columns_present": ["a"], "new_columns": "warn"},
        {"column": "a", "required": True},
    )


def test_without_columns_nothing_is_said_about_columns() -> None:
    assert load("version: 1\nrow_count: {min: 1}\n") == ({"row_count": {"min": 1}},)


def test_new_columns_alone_lists_no_expected_columns() -> None:
    assert load("new_columns: allow\n") == ({"columns_present": [], "new_columns": "allow"},)


def test_column_names_are_strings_as_written() -> None:
    checks = load("columns:\n  2019: {}\n  'on': {}\n  yes: {}\n")
    assert checks[0]["columns_present"] == ["2019", "on", "yes"]


def test_missing_file() -> None:
    with pytest.raises(ConfigError) as info:
        load_schema_file(Path(SCHEMA))
    assert str(info.value) == (
        ".mlci/schema.yml: file not found. Create it with `mlci init`, or remove `schema:` "
        "from the dataset in mlci.yml."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "",
            ".mlci/schema.yml: the file is empty. Create it with `mlci init`, or remove "
            "`schema:` from the dataset in mlci.yml.",
        ),
        (
            "- a\n",
            ".mlci/schema.yml:1: expected a mapping of keys to values at the top level; "
            "got a list.",
        ),
        (
            "columns:\n  a: {type: integer\n",
            ".mlci/schema.yml:3: not valid YAML: expected ',' or '}', but got '<stream end>'.",
        ),
        (
            "version: 2\n",
            ".mlci/schema.yml:1: version: expected 1 (the only schema file version "
            "this mlci reads); got 2.",
        ),
        ("colums: {}\n", ".mlci/schema.yml:1: colums: unknown key. Did you mean 'columns'?"),
        (
            "columns:\n  a: {type: integer}\n  b:\n    nulable: false\n",
            ".mlci/schema.yml:4: columns.b.nulable: unknown key. Did you mean 'nullable'?",
        ),
        (
            "columns:\n  a: {column: a}\n",
            ".mlci/schema.yml:2: columns.a.column: unknown key. "
            "Allowed keys: allowed, date_format, dtype, max, max_length, max_null_fraction, "
            "max_unseen_fraction, min, min_length, not_constant, not_empty, nullable, pattern, "
            "severity, type, unique.",
        ),
        (
            "columns:\n  a: {type: text}\n",
            ".mlci/schema.yml:2: columns.a.type: expected one of "
            "'integer', 'number', 'string', 'boolean', 'datetime', 'category'; got 'text'.",
        ),
        (
            "columns:\n  a: integer\n",
            ".mlci/schema.yml:2: columns.a: expected a mapping of "
            "constraints, or nothing; got 'integer' (a string).",
        ),
        (
            "columns:\n  a: {max_null_fraction: 2}\n",
            ".mlci/schema.yml:2: "
            "columns.a.max_null_fraction: expected a number between 0 and 1; got 2.",
        ),
        (
            "columns:\n  a: {min: .nan}\n",
            ".mlci/schema.yml:2: columns.a.min: expected a number; got .nan (not a finite number).",
        ),
        (
            "columns:\n  a: {min: 3, max: 1}\n",
            ".mlci/schema.yml:2: columns.a: min (3) is greater than max (1); nothing can pass.",
        ),
        ("columns: [a, b]\n", ".mlci/schema.yml:1: columns: expected a mapping; got a list."),
        (
            "new_columns: ignore\n",
            ".mlci/schema.yml:1: new_columns: expected one of 'warn', "
            "'error', 'allow'; got 'ignore'.",
        ),
        (
            "row_count: {min: 10, max: 1}\n",
            ".mlci/schema.yml:1: row_count: min (10) is greater than max (1); nothing can pass.",
        ),
        (
            "row_count: {min: -1}\n",
            ".mlci/schema.yml:1: row_count.min: expected an integer >= 0; got -1.",
        ),
        (
            "unique_key: [id]\n",
            ".mlci/schema.yml:1: unique_key[0]: expected a list of column "
            "names, e.g. [id] (unique_key is a list of keys: [[id], [a, b]]); got 'id' (a string).",
        ),
        ("unique_key: [[]]\n", ".mlci/schema.yml:1: unique_key[0]: expected a non-empty list."),
        (
            "columns:\n  a: {}\n  a: {}\n",
            ".mlci/schema.yml:3: columns.a: duplicate key (first set on line 2).",
        ),
    ],
)
def test_errors(text: str, message: str) -> None:
    assert error_of(text) == message


def test_checks_added_for_data_validation_at_scale() -> None:
    checks = load(
        """\
        version: 1
        row_count: {min: 10, max_change: 0.2}
        no_duplicate_rows: true
        label: {column: churned, min_class_share: 0.05, new_labels: error}
        columns:
          code: {pattern: '^[A-Z]{3}$', min_length: 3, max_length: 3, not_constant: true}
          day: {date_format: '%Y-%m-%d', not_empty: true}
        """
    )
    assert checks[1:] == (
        {
            "column": "code",
            "required": True,
            "pattern": "^[A-Z]{3}$",
            "min_length": 3,
            "max_length": 3,
            "not_constant": True,
        },
        {"column": "day", "required": True, "date_format": "%Y-%m-%d", "not_empty": True},
        {"row_count": {"min": 10, "max_change": 0.2}},
        {"no_duplicate_rows": True},
        {"label": "churned", "min_class_share": 0.05, "new_labels": "error"},
    )


def test_a_bad_pattern_in_a_schema_file() -> None:
    assert error_of("columns:\n  c: {pattern: '(a'}\n") == (
        ".mlci/schema.yml:2: columns.c.pattern: '(a' is not a valid regular expression "
        "(missing ), unterminated subpattern at position 0); expected a Python regex such as "
        "'^[A-Z]{3}-[0-9]+$'."
    )
