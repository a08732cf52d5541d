"""Records of evaluated commits: the format, the stores, and baseline resolution."""

from __future__ import annotations

from mlci.records.format import RECORD_SCHEMA_VERSION, Record, environment_info, utc_now
from mlci.records.store import DirStore, GitBranchStore, RecordRef, RecordStore, open_store

__all__ = [
    "RECORD_SCHEMA_VERSION",
    "DirStore",
    "GitBranchStore",
    "Record",
    "RecordRef",
    "RecordStore",
    "environment_info",
    "open_store",
    "utc_now",
]
