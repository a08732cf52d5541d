"""The ``unique`` assertion, by row hashes."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from mlci.data.checks import check_table
from tests.helpers.checks import one

# --- unique ------------------------------------------------------------------------------


def test_unique() -> None:
    df = pd.DataFrame({"id": [1, 2, 2, 3, 3, 3, None]})
    r = one(df, {"column": "id", "unique": True}, "unique")
    assert r.status == "fail"
    assert r.message == "`id` has 2 duplicated values (5 rows), e.g. 2, 3."
    assert (r.observed, r.examples) == ("2 duplicated values", ("3 ×3", "2 ×2"))


def test_unique_ignores_nulls() -> None:
    df = pd.DataFrame({"id": ["a", None, None]})
    r = one(df, {"column": "id", "unique": True}, "unique")
    assert (r.status, r.message) == ("pass", "All values of `id` are unique.")


# --- uniqueness across batches and types ---------------------------------------------------


def test_unique_strings_across_batches_with_examples_from_the_data() -> None:

    ids = [f"id{i}" for i in range(1_000)] + ["id7", "id7", "id500"]
    table = pa.Table.from_batches(
        pa.table({"id": ids}).to_batches(max_chunksize=100)
    )  # several batches: duplicates are found across them
    (_, r) = check_table("eval", table, [{"column": "id", "unique": True}])
    assert r.message == "`id` has 2 duplicated values (5 rows), e.g. 'id7', 'id500'."
    assert r.examples == ("'id7' ×3", "'id500' ×2")
