"""The data stage end to end: files and mlci.yml in, one outcome per dataset out."""

from __future__ import annotations

import hashlib
import io
import json
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlci.cli import main
from mlci.config import load_config
from mlci.data.profile import profile_table
from mlci.data.stage import DatasetOutcome, baseline_profiles, run_data_stage
from mlci.errors import DataError
from tests.helpers.mixed import MIXED_CHECKS, mixed_table, write_mixed


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def config(text: str) -> Any:
    path = Path("mlci.yml")
    path.write_text("version: 1\nname: t\n" + textwrap.dedent(text), encoding="utf-8")
    return load_config(path)


def results(outcome: DatasetOutcome) -> dict[tuple[str, str | None], Any]:
    return {(r.check, r.column): r for r in outcome.checks}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def start(self, dataset: str, bytes_total: int) -> None:
        self.calls.append(("start", dataset))

    def update(self, rows: int, bytes_read: int) -> None:
        self.calls.append(("update", str(rows)))

    def finish(self) -> None:
        self.calls.append(("finish",))


def write_csv(name: str, header: str, rows: list[str]) -> Path:
    path = Path(name)
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_every_dataset_is_profiled_checked_and_summarised() -> None:
    ids = [*range(2_000), 7, 7]
    write_csv("eval.csv", "id,zip,plan", [f"{i},{i % 90000:05d},{'ab'[i % 2]}" for i in ids])
    pq.write_table(
        pa.table({"id": np.arange(1_990, 3_000), "plan": ["a"] * 1_010}), "train.parquet"
    )
    cfg = config(
        """\
        datasets:
          eval:
            path: eval.csv
            checks:
              - {column: id, unique: true}
              - {column: zip, pattern: '[0-9]{5}', max_length: 5}
              - {no_overlap_with: train, key: [id]}
              - {row_count: {min: 10}}
          train: {path: train.parquet}
        """
    )
    recorder = Recorder()
    outcomes = run_data_stage(cfg, None, progress=recorder)
    evaluation, train = outcomes
    assert (evaluation.summary.name, evaluation.summary.rows, evaluation.summary.columns) == (
        "eval",
        2_002,
        3,
    )
    digest = hashlib.sha256(Path("eval.csv").read_bytes()).hexdigest()
    assert evaluation.summary.fingerprint == f"sha256:{digest}"
    found = results(evaluation)
    unique = found[("unique", "id")]
    assert unique.message == "`id` has 1 duplicated value (3 rows), e.g. 7."  # fetched again
    assert found[("pattern", "zip")].status == "pass"  # read as text: leading zeros kept
    assert evaluation.profile["columns"]["zip"]["logical_type"] == "string"
    overlap = found[("overlap", "id")]
    assert (overlap.status, overlap.observed) == ("fail", "10 rows (0.5%)")
    assert overlap.examples == ("1990", "1991", "1992", "1993", "1994")
    assert train.profile["rows"] == 1_010 and train.checks == ()
    assert recorder.calls[0] == ("start", "eval") and recorder.calls[-1] == ("finish",)
    assert ("start", "train") in recorder.calls


def test_drift_and_changes_against_baseline_profiles() -> None:
    rng = np.random.default_rng(0)
    base = profile_table(pa.table({"x": rng.normal(0, 1, 5_000), "gone": np.zeros(5_000)}))
    pq.write_table(pa.table({"x": rng.normal(0.5, 1, 4_000), "new": np.ones(4_000)}), "d.parquet")
    cfg = config(
        """\
        datasets:
          d:
            path: d.parquet
            checks: [{row_count: {max_change: 0.1}}]
        """
    )
    (outcome,) = run_data_stage(cfg, None, against={"d": base})
    found = results(outcome)
    assert found[("row_count_change", None)].status == "fail"  # 5,000 -> 4,000 is -20%
    assert found[("drift", "x")].status == "warn"
    assert found[("column_removed", "gone")].status == "warn"
    assert found[("column_added", "new")].status == "warn"
    record = SimpleNamespace(datasets={"d": {"profile": base}, "broken": {"profile": "x"}})
    assert baseline_profiles(record) == {"d": base}  # type: ignore[arg-type]


def test_a_schema_missing_column_with_a_renamed_twin_gets_a_hint() -> None:
    rng = np.random.default_rng(1)
    base = profile_table(pa.table({"age": rng.normal(40, 9, 3_000)}))
    pq.write_table(pa.table({"age_years": rng.normal(40, 9, 3_000)}), "d.parquet")
    Path("schema.yml").write_text("version: 1\ncolumns:\n  age: {type: number}\n")
    cfg = config("datasets:\n  d: {path: d.parquet, schema: schema.yml}\n")
    (outcome,) = run_data_stage(cfg, None, against={"d": base})
    missing = results(outcome)[("missing_column", "age")]
    assert missing.message == (
        "Column `age` is missing from dataset 'd'. It may have been renamed to `age_years` "
        "(same profile as in the baseline)."
    )


def test_malformed_data_gives_a_report_not_a_crash() -> None:
    lines = [json.dumps({"n": 1, "| name `x`": "a", "empty": None})] * 60
    lines += [json.dumps({"n": "n/a", "| name `x`": "b", "empty": None})]
    Path("m.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = config(
        """\
        datasets:
          m:
            path: m.jsonl
            checks:
              - {column: n, type: integer}
              - {column: empty, not_empty: true, type: number, min: 0}
              - {column: '| name `x`', allowed: [a]}
        """
    )
    base = profile_table(pa.table({"n": pa.array(["1"] * 60), "| name `x`": ["a"] * 60}))
    (outcome,) = run_data_stage(cfg, None, against={"m": base})
    found = results(outcome)
    assert found[("type", "n")].message == (
        "`n` should be integer but 1 of its 61 values is not, e.g. 'n/a'."
    )
    assert found[("not_empty", "empty")].status == "fail"
    assert found[("allowed", "| name `x`")].examples == ("'b' ×1",)
    assert all(r.message for r in outcome.checks)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("e.csv", "", "Dataset 'e': e.csv is empty (0 bytes)."),
        ("e.csv", "a,b\n1,2\n3,4,5\n", "Dataset 'e': line 3 of e.csv has 3 fields but the header"),
        ("e.jsonl", '{"a": 1}\n[2]\n', "Dataset 'e': line 2 of e.jsonl is a JSON array"),
        ("gone.csv", None, "Dataset 'e': file not found: gone.csv."),
    ],
)
@pytest.mark.parametrize("jobs", [1, 2])
def test_unreadable_files_are_one_line_errors(
    name: str, content: str | None, message: str, jobs: int
) -> None:
    if content is not None:
        Path(name).write_text(content)
    cfg = config(f"datasets:\n  e: {{path: {name}}}\n")
    with pytest.raises(DataError) as info:
        run_data_stage(cfg, None, jobs=jobs)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_validate_against_saved_profiles_on_the_command_line() -> None:
    rng = np.random.default_rng(2)
    pq.write_table(pa.table({"x": rng.normal(0, 1, 2_000)}), "before.parquet")
    pq.write_table(pa.table({"x": rng.normal(1, 1, 2_000)}), "after.parquet")
    Path("before.yml").write_text("name: t\ndatasets:\n  d: {path: before.parquet}\n")
    Path("after.yml").write_text("name: t\ndatasets:\n  d: {path: after.parquet}\n")
    Path("none.json").write_text("{}")
    out, err = io.StringIO(), io.StringIO()
    argv = ["validate", "-c", "before.yml", "--against", "none.json", "--save-profiles", "p.json"]
    assert main(argv, stdout=out, stderr=err) == 0
    saved = json.loads(Path("p.json").read_text())
    assert saved["d"]["rows"] == 2_000
    out = io.StringIO()
    assert main(["validate", "-c", "after.yml", "--against", "p.json"], stdout=out, stderr=err) == 0
    assert "WARN  d: `x` drifted: Jensen-Shannon distance" in out.getvalue()
    record = {"datasets": {"d": {"profile": saved["d"]}}}
    Path("record.json").write_text(json.dumps(record))
    out = io.StringIO()
    assert (
        main(
            ["validate", "-c", "after.yml", "--against", "record.json", "-q"],
            stdout=out,
            stderr=err,
        )
        == 0
    )
    assert out.getvalue() == "mlci: PASS\n"
    err = io.StringIO()
    assert main(["validate", "-c", "after.yml", "--against", "nope.json"], stderr=err) == 2
    assert err.getvalue() == (
        "mlci: error: --against nope.json: file not found. Give a record.json or a file written "
        "by `mlci validate --save-profiles`.\n"
    )


def test_profiles_are_deterministic() -> None:
    rng = np.random.default_rng(4)
    write_csv(
        "d.csv", "x,s", [f"{v},{'abc'[i % 3]}" for i, v in enumerate(rng.normal(size=150_000))]
    )
    cfg = config("datasets:\n  d: {path: d.csv}\n")
    first = json.dumps(run_data_stage(cfg, None)[0].profile, sort_keys=True)
    assert json.dumps(run_data_stage(cfg, None)[0].profile, sort_keys=True) == first


# --- the same outcomes on any number of threads ------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_any_number_of_threads_gives_the_same_outcomes(fmt: str) -> None:
    rows = 120_000  # several CSV blocks and Parquet batches; beyond the exact limits
    write_mixed(mixed_table(rows, seed=1), "reference")
    write_mixed(mixed_table(rows, seed=2, drifted=True), "current")
    base = run_data_stage(config(f"datasets:\n  d: {{path: reference.{fmt}}}\n"), None, jobs=1)
    cfg = config(f"datasets:\n  d:\n    path: current.{fmt}\n" + MIXED_CHECKS)
    against = {"d": base[0].profile}
    outcomes = {jobs: run_data_stage(cfg, None, against=against, jobs=jobs) for jobs in (1, 2, 8)}

    def dump(found: tuple[DatasetOutcome, ...]) -> str:
        (d,) = found
        checks = [c.to_dict() for c in d.checks]
        return json.dumps([d.profile, checks, d.summary.fingerprint], sort_keys=True)

    assert dump(outcomes[2]) == dump(outcomes[1])
    assert dump(outcomes[8]) == dump(outcomes[1])
    drifted = {
        (r.check, r.column)
        for r in outcomes[2][0].checks
        if r.check.startswith("drift") and r.status in ("warn", "fail")
    }
    assert drifted == {("drift", "x"), ("drift", "cat"), ("drift_null_rate", "n")}
