from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlci.config import DatasetConfig
from mlci.data import read
from mlci.data.read import fingerprint, read_dataset
from mlci.errors import DataError, MlciError

Write = Callable[[str, str | bytes], Path]
Dataset = Callable[..., DatasetConfig]

FRAME = pd.DataFrame({"id": [1, 2, 3], "age": [34.5, None, 28.0], "plan": ["basic", "pro", None]})


@pytest.fixture(autouse=True, params=["whole", "streaming", "public-parquet"])
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Messages show paths relative to the working directory. Every test runs with small CSV
    files parsed at once (the default) and streamed block by block (as large files are), and
    with Parquet read by pyarrow's reader directly (the default) and through
    ``pyarrow.parquet.ParquetFile`` (what a pyarrow without that reader gets)."""
    monkeypatch.chdir(tmp_path)
    if request.param == "streaming":
        monkeypatch.setattr(read, "WHOLE_CSV_BYTES", -1)
    if request.param == "public-parquet":
        monkeypatch.setattr(read, "PYARROW_PARQUET_READER", False)


def error_of(cfg: DatasetConfig) -> str:
    with pytest.raises(DataError) as info:
        read_dataset(cfg)
    message = str(info.value)
    assert "\n" not in message
    assert isinstance(info.value, MlciError)
    return message


# --- formats -----------------------------------------------------------------------------


def test_reads_csv(write: Write, dataset: Dataset) -> None:
    path = write("data/eval.csv", "id,age,plan\n1,34.5,basic\n2,,pro\n3,28,\n")
    df = read_dataset(dataset(path))
    pd.testing.assert_frame_equal(df, FRAME, check_dtype=False)
    assert str(df["id"].dtype) == "int64"


def test_csv_quoted_commas_and_newlines_are_not_ragged(write: Write, dataset: Dataset) -> None:
    path = write("q.csv", 'id,text\n1,"a, b"\n2,"line one\nline two"\n')
    df = read_dataset(dataset(path))
    assert df["text"].tolist() == ["a, b", "line one\nline two"]


def test_csv_with_byte_order_mark(write: Write, dataset: Dataset) -> None:
    path = write("bom.csv", "\ufeffid,x\n1,2\n")
    assert list(read_dataset(dataset(path)).columns) == ["id", "x"]


@pytest.mark.parametrize("suffix", [".parquet", ".pq"])
def test_reads_parquet(tmp_path: Path, dataset: Dataset, suffix: str) -> None:
    path = tmp_path / f"train{suffix}"
    FRAME.to_parquet(path)
    pd.testing.assert_frame_equal(read_dataset(dataset(path)), FRAME, check_dtype=False)


def test_parquet_columns_chosen_with_their_nested_leaves(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "nested.parquet"
    table = pa.table(
        {
            "id": [1, 2, 3],
            "point": [{"x": 1.0, "y": {"z": 2}}, None, {"x": 3.0, "y": {"z": None}}],
            "tags": [["a"], [], None],
            "plan": ["basic", "pro", None],
        }
    )
    pq.write_table(table, path, row_group_size=2)  # two row groups, both read

    def only(source: read.Source) -> None:
        source.columns = ["plan", "point"]

    batches, _ = read.scan(dataset(path), lambda s: [], list.append, on_source=only)
    got = pa.Table.from_batches(batches)
    assert got.column_names == ["point", "plan"]  # the file's order
    assert got.column("plan").to_pylist() == ["basic", "pro", None]
    # nested values become JSON text, as they do from JSON lines
    assert got.column("point").to_pylist() == [
        '{"x": 1.0, "y": {"z": 2}}',
        None,
        '{"x": 3.0, "y": {"z": null}}',
    ]
    assert read_table(dataset(path)).num_rows == 3


def test_reading_parquet_imports_neither_pyarrow_fs_nor_ssl(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    FRAME.to_parquet(path)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mlci.config import DatasetConfig\n"
        "from mlci.data.read import read_table\n"
        f"t = read_table(DatasetConfig(name='a', path=Path({str(path)!r})))\n"
        "assert t.num_rows == 3\n"
        "print(sorted(m for m in ('pyarrow.fs', 'pyarrow.parquet', 'ssl') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_reads_json_lines(write: Write, dataset: Dataset, suffix: str) -> None:
    lines = [
        json.dumps(r) for r in FRAME.astype(object).where(FRAME.notna(), None).to_dict("records")
    ]
    path = write(f"eval{suffix}", "\n".join(lines[:2]) + "\n\n" + lines[2] + "\n")
    df = read_dataset(dataset(path))
    pd.testing.assert_frame_equal(df, FRAME, check_dtype=False)


def test_json_lines_keep_nullable_booleans_as_objects(write: Write, dataset: Dataset) -> None:
    path = write("b.jsonl", '{"ok": true}\n{"ok": null}\n{"ok": false}\n')
    assert read_dataset(dataset(path))["ok"].tolist()[::2] == [True, False]


def test_format_setting_overrides_the_suffix(write: Write, dataset: Dataset) -> None:
    path = write("export.txt", "a,b\n1,2\n")
    assert read_dataset(dataset(path, format="csv")).to_dict("list") == {"a": [1], "b": [2]}


def test_suffix_is_case_insensitive(write: Write, dataset: Dataset) -> None:
    path = write("EVAL.CSV", "a\n1\n")
    assert read_dataset(dataset(path))["a"].tolist() == [1]


def test_unicode_and_markdown_column_names_are_kept(fixtures: Path, dataset: Dataset) -> None:
    df = read_dataset(dataset(fixtures / "unicode.csv"))
    assert list(df.columns) == ["größe", "| pipe |", "**bold**", "`tick`", "名前", "a, b"]
    assert df["名前"].tolist() == ["太郎", "花子"]


# --- problems ----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path, dataset: Dataset) -> None:
    message = error_of(dataset(tmp_path / "data" / "eval.csv"))
    assert message == (
        "Dataset 'eval': file not found: data/eval.csv. Check `datasets.eval.path` in mlci.yml."
    )


def test_missing_file_outside_the_working_directory_shows_the_full_path(
    tmp_path: Path, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    message = error_of(dataset(tmp_path / "eval.csv"))
    assert f"file not found: {(tmp_path / 'eval.csv').as_posix()}." in message


def test_directory_instead_of_file(tmp_path: Path, dataset: Dataset) -> None:
    (tmp_path / "data").mkdir()
    assert error_of(dataset(tmp_path / "data")) == (
        "Dataset 'eval': data is not a file. Point `datasets.eval.path` at one."
    )


def test_unknown_suffix(write: Write, dataset: Dataset) -> None:
    path = write("eval.xlsx", "whatever")
    assert error_of(dataset(path)) == (
        "Dataset 'eval': cannot tell the format of eval.xlsx from its suffix '.xlsx'. Use a .csv, "
        ".parquet, .pq, .jsonl or .ndjson file, or set `datasets.eval.format` to csv, parquet or "
        "jsonl."
    )


def test_no_suffix(write: Write, dataset: Dataset) -> None:
    path = write("eval", "a\n1\n")
    assert error_of(dataset(path)).startswith(
        "Dataset 'eval': cannot tell the format of eval because it has no suffix. Use a .csv, "
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("e.csv", "a CSV file with a header row and at least one data row"),
        ("e.parquet", "a Parquet file with at least one row"),
        ("e.jsonl", "one JSON object per line"),
    ],
)
def test_empty_file(write: Write, dataset: Dataset, name: str, expected: str) -> None:
    path = write(name, "")
    assert (
        error_of(dataset(path))
        == f"Dataset 'eval': {name} is empty (0 bytes). Expected {expected}."
    )


def test_empty_fixture(fixtures: Path, dataset: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(fixtures)
    assert error_of(dataset(fixtures / "empty.csv")).startswith(
        "Dataset 'eval': empty.csv is empty (0 bytes)."
    )


def test_csv_of_blank_lines(write: Write, dataset: Dataset) -> None:
    path = write("blank.csv", "\n\n\n")
    assert error_of(dataset(path)) == (
        "Dataset 'eval': blank.csv has no header row. Expected a CSV file with a header row and at "
        "least one data row."
    )


def test_header_only_csv(fixtures: Path, dataset: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(fixtures)
    assert error_of(dataset(fixtures / "header_only.csv")) == (
        "Dataset 'eval': header_only.csv has columns but no rows. Expected at least one row."
    )


def test_ragged_csv(fixtures: Path, dataset: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(fixtures)
    assert error_of(dataset(fixtures / "ragged.csv")) == (
        "Dataset 'eval': line 3 of ragged.csv has 4 fields but the header has 3. Quote values "
        "that contain commas, or fix the row."
    )


def test_csv_whose_every_row_has_an_extra_field(write: Write, dataset: Dataset) -> None:
    # pandas would silently take the first column as the index (or drop the last field).
    path = write("shifted.csv", "a,b\n1,2,3\n4,5,6\n")
    assert error_of(dataset(path)) == (
        "Dataset 'eval': line 2 of shifted.csv has 3 fields but the header has 2. Quote values "
        "that contain commas, or fix the row."
    )


def test_csv_with_unterminated_quote(write: Write, dataset: Dataset) -> None:
    path = write("q.csv", 'a,b\n"open,1\n2,3\n')
    message = error_of(dataset(path))
    assert message.startswith("Dataset 'eval': cannot read q.csv as CSV: ")
    assert message.endswith(". Fix the file.")


def test_csv_with_duplicate_column_names(write: Write, dataset: Dataset) -> None:
    path = write("d.csv", "id,名前,名前\n1,a,b\n")
    assert error_of(dataset(path)) == (
        "Dataset 'eval': the header of d.csv has the column '名前' more than once. "
        "Give every column a unique name."
    )


def test_csv_that_is_not_utf8(write: Write, dataset: Dataset) -> None:
    path = write("latin.csv", "name\nJos\xe9\n".encode("latin-1"))
    assert error_of(dataset(path)) == (
        "Dataset 'eval': latin.csv is not UTF-8 text (byte 8). Save the file as UTF-8."
    )


def test_corrupt_parquet(fixtures: Path, dataset: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(fixtures)
    message = error_of(dataset(fixtures / "corrupt.parquet", name="train"))
    assert message.startswith("Dataset 'train': cannot read corrupt.parquet as Parquet (")
    assert message.endswith("). Check that it is a complete Parquet file.")
    assert str(fixtures) not in message


def test_truncated_parquet(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "t.parquet"
    FRAME.to_parquet(path)
    path.write_bytes(path.read_bytes()[:-20])
    assert "cannot read t.parquet as Parquet (" in error_of(dataset(path))


def test_parquet_without_rows(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "none.parquet"
    FRAME.iloc[:0].to_parquet(path)
    assert error_of(dataset(path)) == (
        "Dataset 'eval': none.parquet has columns but no rows. Expected at least one row."
    )


def test_parquet_without_columns(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "nocols.parquet"
    pq.write_table(pa.table({}), path)
    assert error_of(dataset(path)) == (
        "Dataset 'eval': nocols.parquet has no columns. Expected at least one named column."
    )


def test_parquet_with_duplicate_columns(tmp_path: Path, dataset: Dataset) -> None:
    path = tmp_path / "dup.parquet"
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["x", "x"])
    pq.write_table(table, path)
    assert error_of(dataset(path)) == (
        "Dataset 'eval': dup.parquet has the column 'x' more than once. "
        "Give every column a unique name."
    )


def test_bad_json_line(fixtures: Path, dataset: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(fixtures)
    assert error_of(dataset(fixtures / "bad_line.jsonl")) == (
        "Dataset 'eval': line 3 of bad_line.jsonl is not valid JSON (Expecting value at column "
        "19). Expected one JSON object per line."
    )


def test_a_json_line_nested_too_deeply_is_a_data_error(write: Write, dataset: Dataset) -> None:
    path = write("a.jsonl", '{"a": 1}\n{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    assert error_of(dataset(path)) == (
        "Dataset 'eval': line 2 of a.jsonl is nested too deeply: more than 64 levels, the limit."
    )


def test_deeply_nested_pandas_metadata_of_a_parquet_file_is_ignored(
    tmp_path: Path, dataset: Dataset
) -> None:
    path = tmp_path / "meta.parquet"
    table = pa.table({"x": [1, 2]}).replace_schema_metadata(
        {b"pandas": b'{"index_columns": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"}
    )
    pq.write_table(table, path)
    assert read_dataset(dataset(path)).to_dict("list") == {"x": [1, 2]}


def test_json_line_that_is_not_an_object(write: Write, dataset: Dataset) -> None:
    path = write("a.jsonl", '{"a": 1}\n\n[1, 2]\n')
    assert error_of(dataset(path)) == (
        "Dataset 'eval': line 3 of a.jsonl is a JSON array, not an object. "
        "Expected one JSON object per line."
    )


def test_json_lines_of_blank_lines(write: Write, dataset: Dataset) -> None:
    path = write("blank.jsonl", "\n  \n")
    assert error_of(dataset(path)) == (
        "Dataset 'eval': blank.jsonl has no rows. Expected one JSON object per line."
    )


def test_json_lines_of_empty_objects(write: Write, dataset: Dataset) -> None:
    path = write("empty.jsonl", "{}\n{}\n")
    assert error_of(dataset(path)) == (
        "Dataset 'eval': empty.jsonl has no columns. Expected at least one named column."
    )


# --- fingerprint -------------------------------------------------------------------------


def test_fingerprint_matches_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    data = np.random.default_rng(0).bytes(2_500_000)  # more than one read chunk
    path.write_bytes(data)
    assert fingerprint(path) == "sha256:" + hashlib.sha256(data).hexdigest()


def test_fingerprint_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"")
    expected = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert fingerprint(path) == expected


def test_fingerprint_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^Cannot fingerprint .*nope\.csv: file not found\.$"):
        fingerprint(tmp_path / "nope.csv")


# --- streaming: types that change after the first block ----------------------------------


from mlci.data.read import Source, read_table, scan  # noqa: E402


def scan_schemas(cfg: DatasetConfig, **kw: object) -> tuple[list[pa.Schema], Source]:
    def feed(found: list[pa.Schema], batch: pa.RecordBatch) -> None:
        found.append(batch.schema)

    found, source = scan(cfg, lambda s: [], feed, block_bytes=1 << 12, **kw)  # type: ignore[arg-type]
    return found, source


def test_csv_column_widens_when_a_later_block_needs_it(write: Write, dataset: Dataset) -> None:
    path = write("w.csv", "a,b\n" + "1,x\n" * 3_000 + "1.5,y\nn/a,z\nfoo,z\n")
    schemas, source = scan_schemas(dataset(path))
    assert {str(s.field("a").type) for s in schemas} == {"string"}
    assert source.progress.rows == 3_003
    assert read_table(dataset(path)).column("a").to_pylist()[-3:] == ["1.5", None, "foo"]


def test_csv_integers_that_turn_out_to_be_floats(write: Write, dataset: Dataset) -> None:
    path = write("f.csv", "a\n" + "1\n" * 3_000 + "2.5\n")
    schemas, _ = scan_schemas(dataset(path))
    assert {str(s.field("a").type) for s in schemas} == {"double"}


def test_csv_column_read_as_text_keeps_leading_zeros(write: Write, dataset: Dataset) -> None:
    path = write("z.csv", "zip,n\n01234,1\n98765,2\n")
    table = read_table(dataset(path))
    assert table.column("zip").to_pylist() == [1234, 98765]
    schemas, _ = scan_schemas(dataset(path), types={"zip": pa.string()})
    assert str(schemas[0].field("zip").type) == "string"


def test_csv_that_is_not_utf8_further_down(write: Write, dataset: Dataset) -> None:
    path = write("late.csv", b"name\n" + b"abc\n" * 3_000 + b"Jos\xe9\n")
    assert error_of(dataset(path)) == (
        f"Dataset 'eval': late.csv is not UTF-8 text (byte {5 + 4 * 3_000 + 3}). "
        "Save the file as UTF-8."
    )


def test_json_lines_with_mixed_types_and_late_keys(write: Write, dataset: Dataset) -> None:
    lines = ['{"a": 1, "b": "x"}'] * 500 + ['{"a": "n/a", "b": null, "late": true}']
    path = write("m.jsonl", "\n".join(lines) + "\n")
    schemas, source = scan_schemas(dataset(path))
    assert len({str(s) for s in schemas}) == 1
    table = read_table(dataset(path))
    assert table.column_names == ["a", "b", "late"]
    assert table.column("a").to_pylist()[-2:] == ["1", "n/a"]
    assert table.column("late").to_pylist()[-2:] == [None, True]
    assert source.progress.bytes_read == source.progress.bytes_total


def test_json_lines_nested_values_become_json_text(write: Write, dataset: Dataset) -> None:
    path = write("n.jsonl", '{"a": {"y": 1, "x": [1, 2]}, "b": [3]}\n{"a": null, "b": []}\n')
    table = read_table(dataset(path))
    assert table.column("a").to_pylist() == ['{"x": [1, 2], "y": 1}', None]
    assert table.column("b").to_pylist() == ["[3]", "[]"]


def test_json_lines_bad_line_in_a_later_block(write: Write, dataset: Dataset) -> None:
    path = write("late.jsonl", '{"a": 1}\n' * 2_000 + '{"a": }\n')
    assert error_of(dataset(path)) == (
        "Dataset 'eval': line 2001 of late.jsonl is not valid JSON (Expecting value at column "
        "7). Expected one JSON object per line."
    )


def test_parquet_index_columns_written_by_pandas_are_not_data(
    tmp_path: Path, dataset: Dataset
) -> None:
    path = tmp_path / "i.parquet"
    FRAME.set_index("plan").to_parquet(path)
    assert read_table(dataset(path)).column_names == ["id", "age"]


def test_reading_some_columns(write: Write, dataset: Dataset, tmp_path: Path) -> None:
    path = write("c.csv", "a,b,c\n1,2,3\n")
    source = Source(dataset(path), columns=["c", "a"])
    (batch,) = list(source.batches())
    assert sorted(batch.schema.names) == ["a", "c"]


def test_read_dataset_keeps_dates_in_text_files_as_text(write: Write, dataset: Dataset) -> None:
    # as pandas reads them: a model trained on pd.read_csv output gets the same strings
    csv = write("d.csv", "day,t,x\n2024-01-01,2024-01-01T10:00:00,1\n2024-01-02,,2\n")
    df = read_dataset(dataset(csv))
    assert df["day"].tolist() == ["2024-01-01", "2024-01-02"]
    assert df["t"].tolist()[0] == "2024-01-01T10:00:00"
    jsonl = write("d.jsonl", '{"day": "2024-01-01", "x": 1}\n')
    assert read_dataset(dataset(jsonl))["day"].tolist() == ["2024-01-01"]
    # while the profile sees a date column
    assert str(read_table(dataset(csv)).schema.field("day").type) == "date32[day]"


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_text_blocks_are_joined_into_batches_of_the_batch_size(
    write: Write, dataset: Dataset, suffix: str
) -> None:
    rows = [{"a": i, "b": f"text {i}"} for i in range(5_000)]
    if suffix == "csv":
        path = write("j.csv", "a,b\n" + "".join(f"{r['a']},{r['b']}\n" for r in rows))
    else:
        path = write("j.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    sizes: list[int] = []
    values: list[int] = []

    def feed(found: list[int], batch: pa.RecordBatch) -> None:
        sizes.append(batch.num_rows)
        values.extend(batch.column("a").to_pylist())

    scan(dataset(path), lambda s: [], feed, block_bytes=1 << 12, batch_rows=1_200)  # type: ignore[arg-type]
    assert values == list(range(5_000))  # every row once, in file order
    assert all(size >= 1_200 for size in sizes[:-1]) and sum(sizes) == 5_000
    assert len(sizes) < 5_000 * 12 // (1 << 12)  # far fewer batches than 4 kB blocks
