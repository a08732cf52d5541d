"""Train the tumour classifier and export the data it was trained and evaluated on.

This is the example project behind `mlci demo`: real data that ships with scikit-learn (the
Wisconsin breast cancer dataset, no download), a small model, and an `mlci.yml` that checks
the data and gates the model on every pull request.
"""

from pathlib import Path

import skops.io as sio
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# Inverse regularisation strength of the logistic regression.
REGULARISATION_C = 1.0


def load_data():
    """The measurements of 569 tumours and their diagnosis (target 1 = benign)."""
    return load_breast_cancer(as_frame=True).frame


def main() -> None:
    frame = load_data()
    train, evaluation = train_test_split(
        frame, test_size=0.35, random_state=7, stratify=frame["target"]
    )
    Path("data").mkdir(exist_ok=True)
    train.to_csv("data/train.csv", index=False)
    evaluation.to_csv("data/eval.csv", index=False)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=REGULARISATION_C, max_iter=5000))
    model.fit(train.drop(columns="target"), train["target"])
    sio.dump(model, "model.skops")


if __name__ == "__main__":
    main()
