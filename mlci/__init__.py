"""mlci: CI/CD for machine learning inside GitHub Actions."""

__version__ = "0.1.0"
__all__ = ["__version__"]
