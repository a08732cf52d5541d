from __future__ import annotations

import json
import math
import platform
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from mlci import __version__
from mlci.errors import NewerRecordError, RecordError
from mlci.records import format as record_format
from mlci.records.format import RECORD_SCHEMA_VERSION, Record, environment_info, utc_now
from mlci.results import CheckResult, GateResult

COMMIT = "3f2c1ab" + "0" * 33
SOURCE = "for churn-model@3f2c1ab in branch mlci-records"
FIX = "Re-run mlci on that commit to replace it."

MINIMAL_JSON = """{
"checks":[],
"commit":"3f2c1ab000000000000000000000000000000000",
"config_hash":"sha256:abc",
"created_at":"2024-05-01T12:00:00Z",
"datasets":{},
"environment":{"python":"3.11.7"},
"gates":[],
"model":null,
"name":"churn-model",
"ref":"refs/heads/main",
"schema_version":1,
"tool_version":"0.1.0",
"verdict":"pass"
}
"""


def minimal() -> Record:
    return Record(
        name="churn-model",
        commit=COMMIT,
        ref="refs/heads/main",
        created_at="2024-05-01T12:00:00Z",
        config_hash="sha256:abc",
        tool_version="0.1.0",
        environment={"python": "3.11.7"},
        verdict="pass",
    )


def test_to_json_is_the_documented_deterministic_form() -> None:
    assert minimal().to_json() == MINIMAL_JSON


def test_to_json_does_not_depend_on_insertion_order(make_record: Callable[..., Record]) -> None:
    a = make_record(environment={"python": "3.11", "platform": "Linux"})
    b = make_record(environment={"platform": "Linux", "python": "3.11"})
    assert a.to_json() == b.to_json()


def test_round_trip_keeps_every_field(make_record: Callable[..., Record]) -> None:
    gate = GateResult("roc_auc", "min", "pass", "error", "≥ 0.85", "roc_auc 0.91 ≥ 0.85", 0.91)
    check = CheckResult(
        "eval", "range", "age", "warn", "warn", "3 values above 120", "130", "≤ 120"
    )
    record = make_record(
        gates=(gate.to_dict(),),
        checks=(check.to_dict(),),
        extra={"budgets": {"model_size_bytes": 1234}},
        ref="refs/pull/7/merge",
    )
    again = Record.from_json(record.to_json(), source=SOURCE)
    assert again == record
    assert again.to_json() == record.to_json()


def test_non_finite_numbers_are_written_as_null(make_record: Callable[..., Record]) -> None:
    model = {
        "task": "binary",
        "source": "predictions",
        "n_rows": np.int64(12),
        "metrics": {"auc": math.nan, "a": math.inf, "b": -math.inf, "c": np.float32(0.5)},
    }
    data = json.loads(make_record(model=model).to_json())
    assert data["model"] == {
        "task": "binary",
        "source": "predictions",
        "n_rows": 12,
        "metrics": {"auc": None, "a": None, "b": None, "c": 0.5},
    }


def test_non_ascii_text_is_kept_readable(make_record: Callable[..., Record]) -> None:
    text = make_record(ref="refs/heads/ümlaut-≥").to_json()
    assert "ümlaut-≥" in text
    assert text.endswith("}\n")


def test_values_json_cannot_hold_are_refused(make_record: Callable[..., Record]) -> None:
    with pytest.raises(TypeError, match="cannot store set in a record"):
        make_record(extra={"bad": {1, 2}}).to_json()


def _doc(**changes: Any) -> str:
    data = json.loads(MINIMAL_JSON)
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "{not json",
            "invalid JSON at line 1, column 2 (Expecting property name enclosed in double quotes)",
        ),
        ("", "invalid JSON at line 1, column 1 (Expecting value)"),
        ("[1, 2]", "expected a JSON object, got an array"),
        (_doc(verdict=...), "'verdict' is a required property"),
        (_doc(verdict="maybe"), "verdict: 'maybe' is not one of ['pass', 'fail']"),
        (
            _doc(commit="3f2c1ab"),
            "commit: '3f2c1ab' does not match '^[0-9a-f]{40}([0-9a-f]{24})?$'",
        ),
        (
            _doc(created_at="2024-05-01 12:00"),
            "created_at: '2024-05-01 12:00' does not match "
            "'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\\\.[0-9]+)?Z$'",
        ),
        (
            _doc(model={"task": "binary", "source": "model", "metrics": {"auc": "high"}}),
            "model.metrics.auc: 'high' is not of type 'number', 'null'",
        ),
        (
            _doc(gates=[{"metric": "auc", "rule": "min", "status": "pass"}]),
            "gates[0]: 'severity' is a required property",
        ),
        (_doc(schema_version=0), "schema_version: 0 is less than the minimum of 1"),
        (_doc(schema_version="1"), "schema_version: '1' is not of type 'integer'"),
    ],
)
def test_unreadable_records_are_reported_in_one_line(text: str, why: str) -> None:
    with pytest.raises(RecordError) as info:
        Record.from_json(text, source=SOURCE)
    assert str(info.value) == f"Record {SOURCE} is corrupt: {why}. {FIX}"


def test_a_record_from_a_newer_mlci_asks_for_an_upgrade_and_is_not_called_corrupt() -> None:
    with pytest.raises(NewerRecordError) as info:
        Record.from_json(_doc(schema_version=RECORD_SCHEMA_VERSION + 1, verdict=...), source=SOURCE)
    assert str(info.value) == (
        f"Record {SOURCE} was written by a newer mlci (schema 2, this mlci reads up to 1); "
        f"upgrade mlci: this is mlci {__version__}. Run pip install -U mlci, or pin the same "
        "mlci release in every workflow."
    )
    assert "corrupt" not in str(info.value)


def test_unknown_keys_from_a_compatible_writer_are_ignored() -> None:
    record = Record.from_json(_doc(future_field={"x": 1}), source=SOURCE)
    assert record == minimal()


def test_the_schema_is_valid_draft_2020_12() -> None:
    text = resources.files("mlci").joinpath("jsonschemas/record.schema.json").read_text("utf-8")
    schema = json.loads(text)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_environment_info_names_python_platform_and_packages() -> None:
    info = environment_info()
    assert info["python"] == platform.python_version()
    if platform.processor() in ("", "unknown"):  # where platform.platform() names no processor
        assert info["platform"] == platform.platform()  # the oracle
    assert info["packages"]["numpy"] == np.__version__
    assert info["packages"]["mlci"]
    assert set(info["packages"]) <= set(record_format.KEY_PACKAGES)


def test_environment_info_omits_packages_that_are_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(record_format, "KEY_PACKAGES", ("numpy", "surely-not-installed-pkg"))
    assert set(environment_info()["packages"]) == {"numpy", "mlci"}


def test_installed_versions_are_what_importlib_metadata_says() -> None:
    from importlib import metadata  # the oracle

    names = [*record_format.KEY_PACKAGES, "typing_extensions", "PyYAML", "python-dateutil"]
    expected = {n: metadata.version(n) for n in names}
    assert record_format.installed_versions([*names, "surely-not-installed"]) == expected


def test_installed_versions_first_on_the_path_then_eggs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "My_Pkg-2.0.dist-info").mkdir(parents=True)
    (second / "my_pkg-1.0.dist-info").mkdir(parents=True)
    (second / "Other.Pkg-3.1rc1.dist-info").mkdir()
    (second / "eggy-0.5.egg-info").mkdir()
    (second / "eggy-0.5.egg-info" / "PKG-INFO").write_text(
        "Metadata-Version: 1.1\nName: eggy\nVersion: 0.5\n"
    )
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "gone"), str(second)])
    got = record_format.installed_versions(["my-pkg", "other-pkg", "eggy", "nope"])
    assert got == {"my-pkg": "2.0", "other-pkg": "3.1rc1", "eggy": "0.5"}


def test_undefined_metrics_of_a_record_are_nan(make_record: Callable[..., Record]) -> None:
    model = {"task": "binary", "source": "model", "metrics": {"roc_auc": None, "f1": 0.5}}
    metrics = make_record(model=model).metrics()
    assert metrics is not None and math.isnan(metrics["roc_auc"]) and metrics["f1"] == 0.5
    assert make_record(model=None).metrics() is None


def test_utc_now_is_valid_in_a_record(make_record: Callable[..., Record]) -> None:
    now = utc_now()
    assert now.endswith("Z") and len(now) == len("2024-05-01T12:00:00Z")
    assert Record.from_json(make_record(created_at=now).to_json(), source=SOURCE).created_at == now


def test_absurdly_nested_record_is_reported_as_corrupt():
    with pytest.raises(RecordError, match="nested too deeply: more than 64 levels"):
        Record.from_json("[" * 100_000 + "]" * 100_000, source="in out/record.json")


def test_a_record_past_the_size_limit_is_reported_as_corrupt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(record_format, "MAX_RECORD_BYTES", len(MINIMAL_JSON))
    assert Record.from_json(MINIMAL_JSON, source=SOURCE).name == "churn-model"
    with pytest.raises(RecordError) as info:
        Record.from_json(MINIMAL_JSON + " ", source=SOURCE)
    assert str(info.value) == (
        f"Record {SOURCE} is corrupt: larger than {len(MINIMAL_JSON)} bytes, the limit for "
        f"this file. {FIX}"
    )
