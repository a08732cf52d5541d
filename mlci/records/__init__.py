"""Records of evaluated commits.

This package's face is the record itself, a plain value (:mod:`mlci.records.format`), which
the pure core may import. The I/O lives in its modules: the stores (:mod:`mlci.records.store`:
a git branch or a directory), baseline resolution (:mod:`mlci.records.baseline`) and metric
history (:mod:`mlci.records.history`), all through git.
"""

from __future__ import annotations

from mlci.records.format import RECORD_SCHEMA_VERSION, Record, environment_info, utc_now

__all__ = ["RECORD_SCHEMA_VERSION", "Record", "environment_info", "utc_now"]
