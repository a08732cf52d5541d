"""Schema and constraint checks of one dataset, evaluated as accumulators during the scan.

A :class:`CheckSuite` is built from check mappings (``datasets.<name>.checks`` in mlci.yml
and schema files, already validated by the config loader), fed the column views of every
batch (:meth:`CheckSuite.update`), and turned into :class:`CheckResult` values at the end
(:meth:`CheckSuite.finish`), with the dataset's profile, the baseline's profile and the key
sets of other datasets at hand. No check needs the whole dataset in memory: counts and a few
examples are kept per check; uniqueness, duplicate rows and overlap keep one 64-bit hash per
row (8 bytes per row and key, plus 8 more while sorting at the end), and fetch the rows of a
few examples from the file again only when there is something to show. The check mappings::

    {column, type?, dtype?, required?, nullable?, max_null_fraction?, min?, max?, allowed?,
     max_unseen_fraction?, unique?, pattern?, date_format?, min_length?, max_length?,
     not_constant?, not_empty?, severity?}
    {row_count: {min?, max?, max_change?}, severity?}
    {unique_key: [columns], severity?}
    {no_overlap_with: other_dataset, key: [columns], severity?}
    {no_duplicate_rows: true, severity?}
    {label: column, min_class_share?, new_labels?: error | warn (default warn), severity?}
    {columns_present: [names], new_columns: warn | error | allow}

A column check gives one result per assertion ("missing_column", "type", "dtype", "nullable",
"null_fraction", "range", "allowed", "unique", "pattern", "date_format", "length",
"not_constant", "not_empty"). A breached check has status ``fail`` when its severity is
``error`` (the default) and ``warn`` when it is ``warn``.

The modules: ``suite`` (the public entry points), ``base`` (what every check shares),
``columns`` (the column runner and its assertions' registry), one module per kind of assertion
(``column_types``, ``nulls``, ``ranges``, ``allowed``, ``uniqueness``, ``text``), ``dataset``
(checks of the whole dataset) and ``wording`` (how values and counts are written in messages).
"""

from __future__ import annotations

from mlci.data.checks.base import MAX_EXAMPLES, Fetch, FinishContext, KeyRef, MissingKey, key_hashes
from mlci.data.checks.column_types import TYPES, parse_datetime
from mlci.data.checks.suite import CheckSuite, KeyCollector, check_table, run_checks, table_fetch
from mlci.data.checks.wording import MAX_EXAMPLE_CHARS

__all__ = [
    "MAX_EXAMPLES",
    "MAX_EXAMPLE_CHARS",
    "TYPES",
    "CheckSuite",
    "Fetch",
    "FinishContext",
    "KeyCollector",
    "KeyRef",
    "MissingKey",
    "check_table",
    "key_hashes",
    "parse_datetime",
    "run_checks",
    "table_fetch",
]
