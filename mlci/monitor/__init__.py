"""`mlci monitor`: production compared with the live release (docs/monitoring.md).

- :mod:`~mlci.monitor.sources` expands a configured path to its files (folders of partitions,
  globs);
- :mod:`~mlci.monitor.data` streams them through the data stage against the release's profile;
- :mod:`~mlci.monitor.performance` joins the served outputs with delayed labels by id;
- :mod:`~mlci.monitor.intervals` gives the metrics' intervals and the unpaired change's (pure);
- :mod:`~mlci.monitor.release` finds the live release and its record;
- :mod:`~mlci.monitor.result` holds the outcome and its documents (``monitor.json``,
  ``report.json``); :mod:`~mlci.monitor.markdown` and :mod:`~mlci.monitor.terminal` render it;
- :mod:`mlci.commands.monitor` wires them to files, git, the records store and GitHub.
"""
