"""`mlci profile` and `mlci profile merge`: shards profiled apart merge into the profile of the
whole — exact parts equal, sketched parts within their stated error — and the merged profile
is a reference `mlci validate --against` compares with."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlci.cli import main
from mlci.data.sketch import STORED_K, rank_error_bound

ROWS = 20_000
SHARDS = 4
HLL_STANDARD_ERROR = 0.016  # 2**12 registers (mlci.data.sketch)


def mlci(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def dataset(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3, 1, rows)
    amount[rng.random(rows) < 0.03] = np.nan
    return pd.DataFrame(
        {
            "id": [f"c{i:06d}" for i in range(rows)],
            "amount": amount,
            "age": rng.integers(18, 90, rows),
            "plan": rng.choice(["basic", "pro", "enterprise", "team", "free"], rows),
            "active": rng.random(rows) < 0.3,
            "signup": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, rows), "D"),
        }
    )


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The whole dataset and its 4 shards as CSV files, each profiled with `mlci profile`, and
    the shards' profiles merged with `mlci profile merge`."""
    root = tmp_path_factory.mktemp("shards")
    # sorted, so each shard holds another range of `amount`: a merge that weighs the shards
    # wrongly cannot give the whole's quantiles by chance
    df = dataset().sort_values("amount", kind="stable", ignore_index=True)
    df.to_csv(root / "whole.csv", index=False)
    profiles = []
    for i, part in enumerate(np.array_split(np.arange(ROWS), SHARDS)):
        df.iloc[part].to_csv(root / f"part-{i}.csv", index=False)
        out = root / f"part-{i}.json"
        code, stdout, _ = mlci(
            "profile", str(root / f"part-{i}.csv"), "--name", "train", "-o", str(out)
        )
        assert code == 0, stdout
        profiles.append(str(out))
    code, stdout, _ = mlci("profile", "merge", *profiles, "-o", str(root / "merged.json"))
    assert code == 0
    assert (
        stdout
        == f"Merged 4 profiles of 'train': 20,000 rows, 6 columns.\nWrote {root}/merged.json.\n"
    )
    code, _, _ = mlci(
        "profile", str(root / "whole.csv"), "--name", "train", "-o", str(root / "whole.json")
    )
    assert code == 0
    read = lambda name: json.loads((root / name).read_text())["train"]  # noqa: E731
    return {"root": root, "df": df, "merged": read("merged.json"), "whole": read("whole.json")}


EXACT = (
    "kind",
    "dtype",
    "logical_type",
    "count",
    "nulls",
    "nan",
    "inf",
    "finite",
    "min",
    "max",
    "top",
    "other",
    "length",
)


def test_merged_shards_equal_the_whole_in_every_exact_part(shards: dict[str, Any]) -> None:
    merged, whole = shards["merged"], shards["whole"]
    assert merged["rows"] == whole["rows"] == ROWS
    assert list(merged["columns"]) == list(whole["columns"])
    for name, column in whole["columns"].items():
        for key in EXACT:
            assert merged["columns"][name].get(key) == column.get(key), (name, key)
    # what is exact because it fits: at most 1,000 distinct values are kept as exact counts
    for name in ("age", "plan", "active"):
        for key in ("values", "distinct", "quantiles", "bins"):
            assert merged["columns"][name].get(key) == whole["columns"][name].get(key), (name, key)


def test_moments_agree_up_to_rounding(shards: dict[str, Any]) -> None:
    for name in ("amount", "age"):
        m, w = shards["merged"]["columns"][name], shards["whole"]["columns"][name]
        assert math.isclose(m["mean"], w["mean"], rel_tol=1e-12)
        assert math.isclose(m["std"], w["std"], rel_tol=1e-12)
    values = shards["df"]["amount"].dropna()
    assert math.isclose(shards["merged"]["columns"]["amount"]["mean"], values.mean(), rel_tol=1e-12)
    assert math.isclose(shards["merged"]["columns"]["amount"]["std"], values.std(), rel_tol=1e-12)


def test_sketched_quantiles_are_within_the_stated_rank_error(shards: dict[str, Any]) -> None:
    """Each shard stores 4,850 finite values as a KLL sketch with k = 512: the rank of every
    merged quantile in the whole data is within 4/k (0.8 %) of its level."""
    values = np.sort(shards["df"]["amount"].dropna().to_numpy())
    n, eps = len(values), rank_error_bound(STORED_K)
    merged = shards["merged"]["columns"]["amount"]
    assert merged["bins"]["exact"] is False  # the sketch, not exact values
    for level, q in merged["quantiles"].items():
        below = np.searchsorted(values, q, side="left") / n
        at_most = np.searchsorted(values, q, side="right") / n
        assert below - eps <= float(level) <= at_most + eps, (level, q)


def test_sketched_bin_counts_are_within_the_stated_rank_error(shards: dict[str, Any]) -> None:
    values = np.sort(shards["df"]["amount"].dropna().to_numpy())
    n, eps = len(values), rank_error_bound(STORED_K)
    bins = shards["merged"]["columns"]["amount"]["bins"]
    true = np.searchsorted(values, bins["edges"], side="right")
    sketched = np.cumsum(bins["counts"])[:-1]
    assert sum(bins["counts"]) == n
    assert np.all(np.abs(sketched - true) <= eps * n + 1)


def test_sketched_distinct_counts_are_within_three_standard_errors(shards: dict[str, Any]) -> None:
    for name in ("amount", "id"):
        merged, whole = shards["merged"]["columns"][name], shards["whole"]["columns"][name]
        true = shards["df"][name].nunique()
        assert whole["distinct"] == true  # one pass over the whole: exact below 100,000
        assert merged["distinct_exact"] is False
        assert abs(merged["distinct"] - true) <= 3 * HLL_STANDARD_ERROR * true, name


def test_validate_against_the_merged_profile(shards: dict[str, Any]) -> None:
    root = shards["root"]
    (root / "mlci.yml").write_text(
        "version: 1\nname: shards\ndatasets:\n  train: {path: whole.csv}\n", encoding="utf-8"
    )
    code, out, _ = mlci(
        "validate", "--config", str(root / "mlci.yml"), "--against", str(root / "merged.json")
    )
    assert code == 0, out
    assert out.endswith("mlci: PASS\n")
    assert "drift" not in out.lower()  # the same data: no column drifts from its merged profile


def test_the_schema_can_be_inferred_from_the_merged_profile(shards: dict[str, Any]) -> None:
    root = shards["root"]
    code, out, _ = mlci(
        "schema", "infer", str(root / "merged.json"), "-o", str(root / "schema.yml")
    )
    assert code == 0, out
    text = (root / "schema.yml").read_text()
    assert "# Data schema of dataset 'train'" in text
    assert "    # unique: true            # about " in text  # an estimate only suggests a key


# --- pieces: exact merges -------------------------------------------------------------------


@pytest.fixture(scope="module")
def pieces(shards: dict[str, Any]) -> dict[str, Any]:
    """The same 4 shards written as pieces (`mlci profile --piece`), with an empty part file
    as Spark writes one for an empty partition, merged with `mlci profile merge`."""
    root = shards["root"]
    files = []
    for i in range(SHARDS):
        out = root / f"piece-{i}.json"
        code, stdout, _ = mlci(
            "profile", str(root / f"part-{i}.csv"), "--name", "train", "--piece", "-o", str(out)
        )
        assert (code, stdout) == (
            0,
            f"Wrote {out}: piece of the profile of dataset 'train' (5,000 rows, 6 columns).\n",
        )
        files.append(str(out))
    (root / "part-00004").write_bytes(b"")
    code, stdout, _ = mlci(
        "profile", "merge", *files, str(root / "part-00004"), "-o", str(root / "exact.json")
    )
    assert (code, stdout) == (
        0,
        "Merged 4 pieces of 'train' (1 empty file): 20,000 rows, 6 columns.\n"
        f"Wrote {root}/exact.json.\n",
    )
    return {"root": root, "files": files, "merged": json.loads((root / "exact.json").read_text())}


def assert_same_profile(merged: dict[str, Any], whole: dict[str, Any]) -> None:
    """Equal, the moments up to rounding."""
    assert merged["rows"] == whole["rows"]
    assert list(merged["columns"]) == list(whole["columns"])
    for name, column in whole["columns"].items():
        assert list(merged["columns"][name]) == list(column)
        for key, value in column.items():
            got = merged["columns"][name][key]
            if key in ("mean", "std") and value is not None:
                assert math.isclose(got, value, rel_tol=1e-12), (name, key)
            elif key == "sketch" and "m2" in value:
                assert math.isclose(got["m2"], value["m2"], rel_tol=1e-12)
                assert got | {"m2": 0} == value | {"m2": 0}, (name, key)
            else:
                assert got == value, (name, key)


def test_merged_pieces_equal_the_whole(shards: dict[str, Any], pieces: dict[str, Any]) -> None:
    """Where the whole is exact (20,000 rows), the merged pieces are the same profile: the
    quantiles, bins, distinct counts and stored sketches too; the moments up to rounding."""
    assert_same_profile(pieces["merged"]["train"], shards["whole"])


def test_pieces_merge_in_steps_and_with_profiles(pieces: dict[str, Any]) -> None:
    root, files = pieces["root"], pieces["files"]
    code, out, _ = mlci("profile", "merge", *files[:2], "--piece", "-o", str(root / "half.json"))
    assert (code, out) == (
        0,
        f"Merged 2 pieces of 'train': 10,000 rows, 6 columns.\nWrote {root}/half.json.\n",
    )
    assert json.loads((root / "half.json").read_text())["train"]["piece_version"] == 1
    code, out, _ = mlci(
        "profile", "merge", str(root / "half.json"), *files[2:], "-o", str(root / "steps.json")
    )
    assert code == 0, out
    steps = json.loads((root / "steps.json").read_text())["train"]
    assert_same_profile(steps, pieces["merged"]["train"])
    # a stored profile merges with pieces too (within the stored sketches' errors)
    mixed = root / "mixed.json"
    code, out, _ = mlci("profile", "merge", *files[:3], str(root / "part-3.json"), "-o", str(mixed))
    assert code == 0 and out.startswith("Merged 1 profile and 3 pieces of 'train': 20,000 rows")


def test_a_piece_is_a_reference_and_a_schema_source(pieces: dict[str, Any]) -> None:
    root = pieces["root"]
    (root / "half.yml").write_text(
        "version: 1\nname: shards\ndatasets:\n  train: {path: part-0.csv}\n", encoding="utf-8"
    )
    code, out, _ = mlci(
        "validate", "--config", str(root / "half.yml"), "--against", pieces["files"][0]
    )
    assert (code, out.splitlines()[-1]) == (0, "mlci: PASS")
    # the schema inferred from a piece is the one inferred from the shard's profile
    profile = root / "stats-0.json"  # as long a name as piece-0.json: the same line breaks
    assert mlci("profile", str(root / "part-0.csv"), "-o", str(profile), "-q")[0] == 0
    for source, schema in ((pieces["files"][0], "a.yml"), (str(profile), "b.yml")):
        code, out, _ = mlci("schema", "infer", source, "--name", "train", "-o", str(root / schema))
        assert code == 0, out
    a, b = ((root / f).read_text() for f in ("a.yml", "b.yml"))
    assert a.replace("piece-0.json", "stats-0.json") == b


def test_empty_part_files_alone(small: Path) -> None:
    Path("part-00000").write_bytes(b"")
    Path("part-00001").write_text("\n")
    code, _, err = mlci("profile", "merge", "part-00000", "part-00001")
    assert (code, err) == (
        2,
        "mlci: error: The files hold no profile to merge. Give --name NAME to write "
        "the profile of an empty dataset.\n",
    )
    code, out, _ = mlci("profile", "merge", "part-00000", "part-00001", "--name", "train")
    assert (code, out) == (
        0,
        "Merged 0 profiles of 'train' (2 empty files): 0 rows, 0 columns.\nWrote merged.json.\n",
    )


def test_a_malformed_piece_is_one_line(small: Path) -> None:
    assert mlci("profile", "train-2024.csv", "--piece", "-o", "p.json", "-q")[0] == 0
    doc = json.loads(Path("p.json").read_text())
    doc["train-2024"]["columns"]["x"]["quantiles"]["levels"] = ["AAAA"]
    Path("p.json").write_text(json.dumps(doc))
    code, _, err = mlci("profile", "merge", "p.json")
    assert code == 2
    assert err.startswith("mlci: error: p.json: a malformed piece of a profile (")
    assert err.endswith("). Write profiles with `mlci profile`.\n")


# --- the profile file ------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"x": [1, 2, 3], "c": ["a", "b", "a"]}).to_csv("train-2024.csv", index=False)
    return tmp_path


def test_profile_writes_profiles_by_dataset_name(small: Path) -> None:
    code, out, _ = mlci("profile", "train-2024.csv")
    assert (code, out) == (
        0,
        "Wrote profile.json: profile of dataset 'train-2024' (3 rows, 2 columns).\n",
    )
    doc = json.loads((small / "profile.json").read_text())
    assert list(doc) == ["train-2024"]
    assert doc["train-2024"]["columns"]["x"]["mean"] == 2.0


def test_profile_names_are_checked(small: Path) -> None:
    code, _, err = mlci("profile", "train-2024.csv", "--name", "my data")
    assert code == 2
    assert err == (
        "mlci: error: --name 'my data': expected letters, digits, '_', '.' or '-', starting with "
        "a letter, digit or '_' (the name of the dataset in mlci.yml).\n"
    )


def test_profile_of_a_missing_file_is_one_line(small: Path) -> None:
    code, _, err = mlci("profile", "nope.csv")
    assert code == 2
    assert err == "mlci: error: nope.csv: file not found. Give a CSV, Parquet or JSON lines file.\n"


def test_one_data_file_at_a_time(small: Path) -> None:
    code, _, err = mlci("profile", "a.csv", "b.csv")
    assert code == 2
    assert err == (
        "mlci: error: Expected one data file; got 2. Profile each shard on its "
        "own, then `mlci profile merge A.json B.json ...`.\n"
    )


def test_merge_reads_bare_profiles_as_json_lines_with_a_name(small: Path) -> None:
    from mlci.data.profile import profile_frame

    lines = [json.dumps(profile_frame(pd.DataFrame({"x": v}))) for v in ([1, 2], [3], [4, 5])]
    Path("spark.jsonl").write_text("\n".join(lines[:2]) + "\n\n", encoding="utf-8")
    Path("empty.txt").write_text("", encoding="utf-8")
    Path("last.json").write_text(lines[2], encoding="utf-8")
    code, _, err = mlci("profile", "merge", "spark.jsonl", "last.json")
    assert code == 2
    assert err == (
        "mlci: error: spark.jsonl holds a profile without a dataset name: give --name NAME (the "
        "dataset's name in mlci.yml).\n"
    )
    code, out, _ = mlci("profile", "merge", "spark.jsonl", "last.json", "--name", "train")
    assert code == 0, out
    merged = json.loads(Path("merged.json").read_text())["train"]
    assert (merged["rows"], merged["columns"]["x"]["mean"]) == (5, 3.0)


def test_merge_groups_by_dataset_name(small: Path) -> None:
    from mlci.data.profile import profile_frame

    a = {
        "train": profile_frame(pd.DataFrame({"x": [1]})),
        "eval": profile_frame(pd.DataFrame({"x": [9]})),
    }
    b = {"train": profile_frame(pd.DataFrame({"x": [3]}))}
    Path("a.json").write_text(json.dumps(a))
    Path("b.json").write_text(json.dumps(b))
    assert mlci("profile", "merge", "a.json", "b.json", "-o", "m.json")[0] == 0
    merged = json.loads(Path("m.json").read_text())
    assert {k: v["rows"] for k, v in merged.items()} == {"train": 2, "eval": 1}
    code, _, err = mlci("profile", "merge", "a.json", "b.json", "--name", "test")
    assert code == 2
    assert err == "mlci: error: a.json has no profile of dataset 'test'; it has 'eval', 'train'.\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{",
            "nope.json: invalid JSON at line 1, column 2 (Expecting property name enclosed in "
            "double quotes).",
        ),
        (
            '{"t": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "nope.json: nested too deeply: more than 64 levels, the limit.",
        ),
        (
            '{"a": 1}',
            "nope.json: not a profile file. Expected profiles by dataset name, as "
            "written by `mlci profile`, a record.json, or profiles (one per line).",
        ),
        (
            '{"rows": 1, "columns": {"x": {"kind": "numeric"}}}',
            "nope.json: column 'x' is not a profiled column (expected `kind`, `dtype`, "
            "`logical_type`, `count` and `nulls`). Write profiles with `mlci profile`.",
        ),
    ],
)
def test_merge_rejects_what_is_not_a_profile(small: Path, content: str, message: str) -> None:
    Path("nope.json").write_text(content)
    code, _, err = mlci("profile", "merge", "nope.json", "--name", "t")
    assert (code, err) == (2, f"mlci: error: {message}\n")


def test_merge_of_columns_of_different_kinds_is_refused(small: Path) -> None:
    from mlci.data.profile import profile_frame

    Path("a.json").write_text(json.dumps({"t": profile_frame(pd.DataFrame({"x": [1]}))}))
    Path("b.json").write_text(json.dumps({"t": profile_frame(pd.DataFrame({"x": ["a"]}))}))
    code, _, err = mlci("profile", "merge", "a.json", "b.json")
    assert code == 2
    assert err == (
        "mlci: error: Dataset 't': Cannot merge profiles: column 'x' is numeric in one and "
        "categorical in the other. Profile every shard with the same column types.\n"
    )


def test_merge_needs_files(small: Path) -> None:
    code, _, err = mlci("profile", "merge")
    assert code == 2
    assert err == (
        "mlci: error: No profile files given to merge. Usage: mlci profile merge "
        "A.json B.json ... --output merged.json\n"
    )
