"""The data schema file (``.mlci/schema.yml``, written by ``mlci init``) as check mappings.

The file lists the columns a dataset must have and their constraints::

    version: 1
    new_columns: warn            # warn | error | allow: a column not listed below
    row_count: {min: 100, max_change: 0.2}
    no_duplicate_rows: true
    label: {column: churned, min_class_share: 0.05, new_labels: warn}
    columns:
      age: {type: integer, nullable: false, min: 0, max: 120, not_constant: true}
      plan: {type: category, allowed: [basic, pro]}
      code: {type: string, pattern: '^[A-Z]{3}$', min_length: 3, max_length: 3}
      signup: {date_format: '%Y-%m-%d'}
    unique_key: [[id]]

:func:`load_schema_file` turns it into the same check mappings as a dataset's inline
``checks:`` in ``mlci.yml``, so the data stage runs one kind of check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mlci.config import check_column_constraints
from mlci.yamlfile import Where, display_path, load_yaml, packaged_schema, validate

SCHEMA_MISSING_HINT = (
    "Create it with `mlci init`, or remove `schema:` from the dataset in mlci.yml."
)


def load_schema_file(path: Path) -> tuple[dict[str, Any], ...]:
    """Read and validate a data schema file.

    Parameters
    ----------
    path:
        The schema file.

    Returns
    -------
    Check mappings in the vocabulary of inline checks: ``{"column": name, "required": True,
    ...constraints}`` per column, ``{"row_count": {...}}``, ``{"unique_key": [...]}`` per key,
    ``{"no_duplicate_rows": True}``, ``{"label": column, ...}``,
    and, when the file lists columns, first of all
    ``{"columns_present": [names], "new_columns": "warn" | "error" | "allow"}`` so that
    missing and new columns can be flagged.

    Raises
    ------
    ConfigError
        One line naming the file, the line and the key path, as for ``mlci.yml``.

    Example
    -------
    >>> load_schema_file(Path(".mlci/schema.yml"))  # doctest: +SKIP
    ({'columns_present': ['age'], 'new_columns': 'warn'},
     {'column': 'age', 'required': True, 'type': 'integer', 'min': 0})
    """
    doc, lines = load_yaml(path, missing_hint=SCHEMA_MISSING_HINT)
    validate(doc, packaged_schema("data-schema.schema.json"), lines, path, what="data schema")
    _cross_check(doc, Where(display_path(Path(path)), lines))
    return tuple(_checks(doc))


def _cross_check(doc: Mapping[str, Any], where: Where) -> None:
    for name, constraints in doc.get("columns", {}).items():
        check_column_constraints(constraints or {}, f"columns.{name}", where)
    where.check_min_max(doc.get("row_count", {}), "row_count")


def _checks(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    columns: Mapping[str, Any] = doc.get("columns") or {}
    if "columns" in doc or "new_columns" in doc:
        yield {"columns_present": list(columns), "new_columns": doc.get("new_columns", "warn")}
    for name, constraints in columns.items():
        yield {"column": name, "required": True, **(constraints or {})}
    if "row_count" in doc:
        yield {"row_count": dict(doc["row_count"])}
    for key in doc.get("unique_key", []):
        yield {"unique_key": list(key)}
    if doc.get("no_duplicate_rows"):
        yield {"no_duplicate_rows": True}
    if "label" in doc:
        label = dict(doc["label"])
        yield {"label": label.pop("column"), **label}
