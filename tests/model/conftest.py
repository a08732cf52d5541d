"""Factories for the model tests: tiny trained models on scikit-learn's bundled datasets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Trained:
    """A fitted model and its evaluation frame (features plus the target column)."""

    task: str
    model: Any
    frame: pd.DataFrame
    target: str

    @property
    def X(self) -> pd.DataFrame:
        return self.frame.drop(columns=[self.target])


def _frame(loader: Callable[..., Any], target: str, rows: slice) -> pd.DataFrame:
    data = loader(as_frame=True)
    frame = data.frame.rename(columns={"target": target})
    return frame.iloc[rows].reset_index(drop=True)


@pytest.fixture(scope="session")
def binary_model() -> Trained:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = _frame(load_breast_cancer, "label", slice(None))
    train, test = frame.iloc[::2], frame.iloc[1::2].reset_index(drop=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05))
    model.fit(train.drop(columns=["label"]), train["label"])
    return Trained("binary", model, test, "label")


@pytest.fixture(scope="session")
def multiclass_model() -> Trained:
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    frame = _frame(load_iris, "species", slice(None))
    frame["species"] = frame["species"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    train, test = frame.iloc[::2], frame.iloc[1::2].reset_index(drop=True)
    model = RandomForestClassifier(n_estimators=8, max_depth=2, random_state=0)
    model.fit(train.drop(columns=["species"]), train["species"])
    return Trained("multiclass", model, test, "species")


@pytest.fixture(scope="session")
def regression_model() -> Trained:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    frame = _frame(load_diabetes, "progression", slice(None))
    train, test = frame.iloc[::2], frame.iloc[1::2].reset_index(drop=True)
    model = Ridge(alpha=1.0).fit(train.drop(columns=["progression"]), train["progression"])
    return Trained("regression", model, test, "progression")


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write a frame (or a column mapping) as CSV in tmp_path; returns the path."""

    def write(data: pd.DataFrame | dict[str, Any], name: str = "preds.csv") -> Path:
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return path

    return write
