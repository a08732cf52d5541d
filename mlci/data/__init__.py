"""The data side of a run: read, profile, check and compare datasets with the baseline's.

Its pure face, re-exported here: mergeable profiles (:mod:`~mlci.data.profile`, built on the
sketches of :mod:`~mlci.data.sketch`) and their drift (:mod:`~mlci.data.drift`); the checks are
the package :mod:`mlci.data.checks`. Reading and the stage are :mod:`~mlci.data.read`,
:mod:`~mlci.data.stage` and :mod:`~mlci.data.progress`; schema files are read by
:mod:`~mlci.data.schema_file` and inferred by :mod:`~mlci.data.infer`.
"""

from __future__ import annotations

from mlci.data.drift import drift_checks, drift_results
from mlci.data.profile import merge_profiles, profile_frame, profile_table

__all__ = ["drift_checks", "drift_results", "merge_profiles", "profile_frame", "profile_table"]
