"""mlci: CI/CD for machine learning inside GitHub Actions."""

__version__ = "0.1.0"
