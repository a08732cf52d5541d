"""`mlci schema infer DATA`: writes the schema file once, then shows what would change instead
of overwriting it (``--write`` replaces it, ``--check`` exits 1 on a difference)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlci.cli import main
from mlci.data.schema_file import load_schema_file


def mlci(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    data(ages=[18, 95]).to_csv("train.csv", index=False)
    return tmp_path


def data(ages: list[int], plans: tuple[str, ...] = ("basic", "pro")) -> pd.DataFrame:
    n = 60
    return pd.DataFrame(
        {
            "age": (ages * n)[:n],
            "plan": [plans[i % len(plans)] for i in range(n)],
        }
    )


SCHEMA = Path(".mlci/schema.yml")


def test_writes_a_schema_file_that_loads(project: Path) -> None:
    code, out, _ = mlci("schema", "infer", "train.csv")
    assert (code, out) == (0, "Wrote .mlci/schema.yml: review it, then commit it.\n")
    checks = load_schema_file(SCHEMA)
    assert checks[1] == {
        "column": "age",
        "required": True,
        "type": "integer",
        "nullable": False,
        "min": 10,
        "max": 103,
    }
    assert SCHEMA.read_text().startswith("# Data schema of dataset 'train' (train.csv), inferred")


def test_running_again_on_the_same_data_changes_nothing(project: Path) -> None:
    mlci("schema", "infer", "train.csv")
    before = SCHEMA.read_text()
    code, out, _ = mlci("schema", "infer", "train.csv")
    assert (code, out) == (0, ".mlci/schema.yml is up to date with the data.\n")
    assert SCHEMA.read_text() == before


def test_changed_data_shows_the_changes_and_does_not_overwrite(project: Path) -> None:
    mlci("schema", "infer", "train.csv")
    before = SCHEMA.read_text()
    data(ages=[18, 120], plans=("basic", "pro", "team")).to_csv("train.csv", index=False)
    code, out, _ = mlci("schema", "infer", "train.csv")
    assert code == 0
    assert SCHEMA.read_text() == before
    summary, diff = out.split("--- ", 1)
    assert summary == (
        ".mlci/schema.yml would change:\n"
        "  columns.age.min: 10 → 7 (widened)\n"  # 18 - 10.2
        "  columns.age.max: 103 → 131 (widened)\n"  # 120 + 10.2
        "  columns.plan.allowed: + team\n"
    )
    assert diff.startswith(".mlci/schema.yml (now)\n+++ .mlci/schema.yml (new)\n@@ ")
    assert "-    max: 103                  # observed 95, plus 10% of the span\n" in diff
    assert "+    max: 131                  # observed 120, plus 10% of the span\n" in diff
    assert "+    allowed: [basic, pro, team]" in diff
    assert out.endswith(
        ".mlci/schema.yml was not changed: run again with --write to replace it (edits made to "
        "it by hand would be lost).\n"
    )


def test_hand_edits_are_shown_as_changes_too(project: Path) -> None:
    mlci("schema", "infer", "train.csv")
    edited = SCHEMA.read_text().replace("    max: 103 ", "    max: 100 ")
    edited = edited.replace("    type: integer ", "    type: integer\n    not_constant: true\n", 1)
    SCHEMA.write_text(edited)
    code, out, _ = mlci("schema", "infer", "train.csv")
    assert code == 0
    assert out.startswith(
        ".mlci/schema.yml would change:\n"
        "  columns.age.not_constant: removed (was true)\n"
        "  columns.age.max: 100 → 103 (widened)\n"
    )
    assert SCHEMA.read_text() == edited


def test_write_replaces_the_file(project: Path) -> None:
    mlci("schema", "infer", "train.csv")
    data(ages=[18, 120]).to_csv("train.csv", index=False)
    code, out, _ = mlci("schema", "infer", "train.csv", "--write")
    assert (code, out) == (0, "Updated .mlci/schema.yml: review it, then commit it.\n")
    assert "    max: 131 " in SCHEMA.read_text()
    assert mlci("schema", "infer", "train.csv", "--force")[1].endswith(
        "is up to date with the data.\n"
    )


def test_check_exits_1_on_a_difference_and_writes_nothing(project: Path) -> None:
    code, out, _ = mlci("schema", "infer", "train.csv", "--check")
    assert code == 1
    assert not SCHEMA.exists()
    assert out.endswith(".mlci/schema.yml is missing (--check: nothing written).\n")
    mlci("schema", "infer", "train.csv")
    assert mlci("schema", "infer", "train.csv", "--check")[0] == 0
    data(ages=[18, 120]).to_csv("train.csv", index=False)
    code, out, _ = mlci("schema", "infer", "train.csv", "--check")
    assert code == 1
    assert "  columns.age.max: 103 → 131 (widened)\n" in out
    assert out.endswith(".mlci/schema.yml differs (--check: nothing written).\n")


def test_output_name_and_target(project: Path) -> None:
    frame = data(ages=[18, 95]).assign(churned=[0, 0, 0, 1] * 15)
    frame.to_csv("train.csv", index=False)
    code, _, _ = mlci(
        "schema", "infer", "train.csv", "-o", "s.yml", "--name", "eval", "--target", "churned"
    )
    assert code == 0
    assert load_schema_file(Path("s.yml"))[-1] == {
        "label": "churned",
        "min_class_share": 0.12,
        "new_labels": "warn",
    }
    assert "# Data schema of dataset 'eval'" in Path("s.yml").read_text()


def test_unknown_target_is_one_line(project: Path) -> None:
    code, _, err = mlci("schema", "infer", "train.csv", "--target", "label")
    assert (code, err) == (
        2,
        "mlci: error: --target 'label' is not a column of train.csv; its columns: age, plan.\n",
    )


def test_keys_beyond_the_exact_profile_are_counted_exactly(project: Path) -> None:
    n = 12_000  # more distinct numbers than a profile counts exactly
    pd.DataFrame({"id": np.arange(n), "dup": np.arange(n) % (n - 1)}).to_csv("big.csv", index=False)
    assert mlci("schema", "infer", "big.csv")[0] == 0
    columns = {c["column"]: c for c in load_schema_file(SCHEMA) if "column" in c}
    assert columns["id"].get("unique") is True  # every value distinct: counted, not estimated
    assert "unique" not in columns["dup"]  # one repeat in 12,000
    assert "# unique" not in SCHEMA.read_text()


def test_from_a_profile_with_several_datasets(project: Path) -> None:
    import json

    from mlci.data.profile import profile_frame

    profile = profile_frame(data(ages=[18, 95]))
    Path("p.json").write_text(json.dumps({"train": profile, "eval": profile}))
    code, _, err = mlci("schema", "infer", "p.json")
    assert (code, err) == (
        2,
        "mlci: error: p.json holds 2 profiles (train, eval): pick one with --name.\n",
    )
    assert mlci("schema", "infer", "p.json", "--name", "eval")[0] == 0
    assert "# Data schema of dataset 'eval' (p.json)" in SCHEMA.read_text()


def test_from_an_empty_profile_file(project: Path) -> None:
    Path("part-00000.json").write_text("")  # an empty part file, as Spark may write one
    code, _, err = mlci("schema", "infer", "part-00000.json")
    assert (code, err) == (
        2,
        "mlci: error: part-00000.json is empty: no profile to infer a schema from.\n",
    )
