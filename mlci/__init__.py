"""mlci: CI/CD for machine learning inside GitHub Actions."""

from __future__ import annotations


def _version() -> str:
    """The version setuptools-scm wrote at build time (from the git tag), else the installed
    distribution's, else ``0.0+unknown`` (a source tree that was never built or installed)."""
    try:
        from mlci._version import version  # written at build time, not in git

        return str(version)
    except ImportError:
        pass
    from importlib import metadata

    try:
        return metadata.version("mlci")
    except metadata.PackageNotFoundError:
        return "0.0+unknown"


__version__ = _version()
__all__ = ["__version__"]
