"""Helpers shared by tests in more than one directory, imported as ``tests.helpers.<module>``.

pytest puts the repository root on ``sys.path`` (``pythonpath`` in pyproject.toml), so no test
edits ``sys.path``. Fixtures stay in the ``conftest.py`` files; what lives here are plain
functions, classes and constants that tests import by name.
"""
