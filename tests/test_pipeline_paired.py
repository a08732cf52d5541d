"""`mlci run` end to end with paired statistics: records keep predictions, gates use intervals.

Real git repositories in tmp_path; the intervals themselves are checked against independent
references in tests/model/test_stats.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from mlci.cli import main
from mlci.model.pairing import decode

N = 3000


def run(project: Any, out: str) -> tuple[int, dict[str, Any], str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        [
            "run",
            "-c",
            str(project.path / "mlci.yml"),
            "--output-dir",
            str(project.path / out),
            "--no-html",
        ],
        stdout=stdout,
        stderr=stderr,
    )
    assert stderr.getvalue() == "", stderr.getvalue()
    report = json.loads((project.path / out / "report.json").read_text())
    return code, report, (project.path / out / "report.md").read_text()


def write_config(project: Any, model: dict[str, Any], **extra: Any) -> None:
    doc = {
        "version": 1,
        "name": "paired",
        "model": model,
        "gates": [{"metric": "roc_auc", "max_regression": 0.005}],
        **extra,
    }
    if "model" in model:
        doc["datasets"] = {"eval": {"path": "data/eval.csv"}}
    project.write("mlci.yml", yaml.safe_dump(doc, sort_keys=False))


def scores(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    y, noise = _truth_and_noise(seed)
    return y, _probability(y, noise)


def _truth_and_noise(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, N), rng.normal(0, 1.3, N)


def _probability(y: np.ndarray, noise: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(1.2 * (2 * y - 1) + noise)))


def write_predictions(project: Any, y: np.ndarray, score: np.ndarray) -> None:
    frame = pd.DataFrame({"id": [f"ex{i}" for i in range(len(y))], "label": y, "score": score})
    (project.path / "out").mkdir(exist_ok=True)
    frame.to_csv(project.path / "out/preds.csv", index=False)


def noisy_candidate(y: np.ndarray, base: np.ndarray) -> np.ndarray:
    """A retrained model (its noise correlated 0.8 with the baseline's) that scores about 0.007
    lower AUC on these rows: beyond the 0.005 margin by the point estimate, within the noise of
    3,000 rows (the paired SD of Δ is about 0.004 here)."""
    _, noise = _truth_and_noise(0)
    for seed in range(200):
        fresh = np.random.default_rng(100 + seed).normal(0, 1.3, len(y))
        cand = _probability(y, 0.8 * noise + 0.6 * fresh)
        drop = roc_auc_score(y, base) - roc_auc_score(y, cand)
        if 0.006 < drop < 0.008:
            return cand
    raise AssertionError("no seed gives the wanted drop")


PREDICTIONS = {
    "task": "binary",
    "predictions": {"path": "out/preds.csv", "y_true": "label", "y_score": "score", "id": "id"},
}


def test_a_tiny_noisy_change_is_inconclusive_in_lenient_and_fails_in_point(git_project):
    y, base = scores()
    write_predictions(git_project, y, base)
    write_config(git_project, PREDICTIONS)
    git_project.commit("main")
    code, _, _ = run(git_project, "o-main")
    assert code == 0
    record = json.loads((git_project.path / "o-main/record.json").read_text())
    stored = decode(record["extra"]["predictions"])
    assert stored.n == N and stored.ids[:2] == ("ex0", "ex1")

    git_project.checkout("-b", "pr/noise")
    write_predictions(git_project, y, noisy_candidate(y, base))
    git_project.commit("noisier scores", push=False)
    code, report, markdown = run(git_project, "o-lenient")

    (roc,) = [m for m in report["metrics"] if m["name"] == "roc_auc"]
    (g,) = report["gates"]
    assert code == 0 and report["verdict"] == "pass"
    assert (g["status"], g["mode"]) == ("inconclusive", "lenient")
    assert roc["method"] == "delong" and roc["ci_low"] < -0.005 < roc["ci_high"]
    assert roc["ci_low"] < roc["delta"] < -0.005
    assert "| 95% CI of Δ | Method |" in markdown
    assert "⚠️ max regression 0.005 inconclusive" in markdown
    assert "passed with 1 inconclusive gate" in markdown.splitlines()[1]

    write_config(git_project, PREDICTIONS, stats={"mode": "point"})
    code, report, _ = run(git_project, "o-point")
    assert code == 1 and report["verdict"] == "fail"
    assert (report["gates"][0]["status"], report["gates"][0]["mode"]) == ("fail", "point")

    write_config(git_project, PREDICTIONS, stats={"mode": "strict"})
    code, report, _ = run(git_project, "o-strict")
    assert code == 1 and report["gates"][0]["mode"] == "strict"


def test_reordered_rows_pair_by_id(git_project):
    y, base = scores(1)
    write_predictions(git_project, y, base)
    write_config(git_project, PREDICTIONS)
    git_project.commit("main")
    assert run(git_project, "o1")[0] == 0

    git_project.checkout("-b", "pr/shuffle")
    frame = pd.read_csv(git_project.path / "out/preds.csv").sample(frac=1.0, random_state=3)
    frame.to_csv(git_project.path / "out/preds.csv", index=False)
    git_project.commit("same predictions, another order", push=False)
    code, report, _ = run(git_project, "o2")

    (roc,) = [m for m in report["metrics"] if m["name"] == "roc_auc"]
    assert code == 0
    assert roc["delta"] == 0 and roc["ci_low"] == roc["ci_high"] == 0
    assert report["gates"][0]["status"] == "pass"


# -- the model level: re-scoring the baseline model when the evaluation rows changed --------------


def make_data(seed: int, n: int = 1200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 3))
    y = (x @ [1.0, -0.7, 0.4] + rng.normal(0, 1, n) > 0).astype(int)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "target": y})


def model_project(project: Any, model_path: str = "model.skops") -> pd.DataFrame:
    train = make_data(0)
    model = LogisticRegression().fit(train[["a", "b", "c"]], train["target"])
    sio.dump(model, project.path / model_path)
    evaluation = make_data(1)
    (project.path / "data").mkdir(exist_ok=True)
    evaluation.to_csv(project.path / "data/eval.csv", index=False)
    write_config(
        project,
        {"task": "binary", "model": {"path": model_path, "data": "eval", "target": "target"}},
    )
    return evaluation


def test_changed_evaluation_rows_re_score_the_baseline_model(git_project):
    evaluation = model_project(git_project)
    git_project.commit("main")
    assert run(git_project, "o1")[0] == 0

    git_project.checkout("-b", "pr/more-data")
    bigger = pd.concat([evaluation, make_data(2, 300)], ignore_index=True)
    bigger.to_csv(git_project.path / "data/eval.csv", index=False)
    git_project.commit("more evaluation rows", push=False)
    code, report, markdown = run(git_project, "o2")

    (roc,) = [m for m in report["metrics"] if m["name"] == "roc_auc"]
    assert code == 0
    assert roc["baseline"] == roc["value"]  # the same model, re-scored on the same new rows
    assert roc["method"] == "delong" and roc["ci_low"] == roc["ci_high"] == 0
    assert report["gates"][0]["status"] == "pass"
    assert any("was re-scored on this run's evaluation rows" in n for n in report["notes"])
    assert "re-scored" in markdown


def test_changed_rows_without_the_baseline_model_are_compared_unpaired(git_project):
    evaluation = model_project(git_project)
    git_project.commit("main")
    assert run(git_project, "o1")[0] == 0

    git_project.checkout("-b", "pr/renamed-model")
    (git_project.path / "model.skops").rename(git_project.path / "model-v2.skops")
    write_config(
        git_project,
        {"task": "binary", "model": {"path": "model-v2.skops", "data": "eval", "target": "target"}},
    )
    evaluation.iloc[:1000].to_csv(git_project.path / "data/eval.csv", index=False)
    git_project.commit("fewer rows, renamed model", push=False)
    code, report, markdown = run(git_project, "o2")

    assert code == 0
    roc = next(m for m in report["metrics"] if m["name"] == "roc_auc")
    assert roc["method"] == "unpaired" and roc["ci_low"] < roc["delta"] < roc["ci_high"]
    gate = report["gates"][0]
    assert gate["mode"] == "lenient" and gate["status"] in ("pass", "inconclusive")
    assert "CI of Δ" in gate["message"]
    note = next(n for n in report["notes"] if n.startswith("Δ compared unpaired"))
    assert "the baseline's 1,200 rows and this run's 1,000 rows are independent samples" in note
    assert "has no file model-v2.skops in git" in note
    assert "Δ compared unpaired" in markdown


def slice_predictions(project: Any, rows: np.ndarray, worse: str | None) -> None:
    """Predictions for example ``rows`` of a fixed population in segments a-d; the ``worse``
    segment's scores are noise (its recall drops from about 0.8 to about 0.5)."""
    y, score = scores()
    segment = np.array(list("abcd"))[np.arange(N) % 4]
    if worse is not None:
        noise = np.random.default_rng(9).uniform(0, 1, N)
        score = np.where(segment == worse, noise, score)
    frame = pd.DataFrame(
        {"id": [f"ex{i}" for i in rows], "label": y[rows], "score": score[rows],
         "segment": segment[rows]}
    )  # fmt: skip
    (project.path / "out").mkdir(exist_ok=True)
    frame.to_csv(project.path / "out/preds.csv", index=False)


def test_slices_are_judged_on_common_ids_with_their_intervals(git_project):
    gates = [
        {"metric": "roc_auc", "max_regression": 0.5},
        {"metric": "recall", "slice": ["segment"], "max_regression": 0.04},
    ]
    write_config(git_project, PREDICTIONS, gates=gates)
    slice_predictions(git_project, np.arange(0, 2800), None)
    git_project.commit("main")
    assert run(git_project, "o1")[0] == 0

    git_project.checkout("-b", "pr/worse-on-b")
    slice_predictions(git_project, np.r_[np.arange(300, 2800), np.arange(2800, 3000)], "b")
    git_project.commit("b got worse; rows added and dropped", push=False)
    code, report, markdown = run(git_project, "o2")

    assert code == 1
    assert (
        "Paired on the example id: Δ is compared on 2,500 rows with the same id on both sides, "
        "200 added, 300 dropped." in report["notes"]
    )
    by_slice = {g["metric"]: g for g in report["gates"] if g["scope"] == "slice"}
    assert by_slice["recall [segment=b]"]["status"] == "fail"
    assert by_slice["recall [segment=b]"]["mode"] == "lenient"
    assert "and so is the whole 95% CI of Δ" in by_slice["recall [segment=b]"]["message"]
    assert {by_slice[f"recall [segment={k}]"]["status"] for k in "acd"} == {"pass"}
    b = next(s for s in report["slices"] if s["key"] == ["b"])
    recall = next(m for m in b["metrics"] if m["name"] == "recall")
    assert recall["method"] == "multinomial" and recall["ci_high"] < -0.04
    assert "its 95% CI on the slice's rows" in markdown


def test_a_metrics_file_falls_back_to_point_estimates_with_a_note(git_project):
    git_project.write("m.json", json.dumps({"roc_auc": 0.91}))
    write_config(git_project, {"task": "binary", "metrics_file": "m.json"})
    git_project.commit("main")
    assert run(git_project, "o1")[0] == 0
    git_project.checkout("-b", "pr")
    git_project.write("m.json", json.dumps({"roc_auc": 0.90}))
    git_project.commit("worse", push=False)

    code, report, markdown = run(git_project, "o2")

    assert code == 1 and report["gates"][0]["mode"] == "point"
    assert report["notes"][0].startswith(
        "Change rules were judged on point estimates, without confidence intervals: the metrics "
        "come from a metrics file."
    )
    assert "CI of Δ" not in markdown
    assert Path(git_project.path / "o2/record.json").exists()


def test_a_metrics_file_with_uncertainties_gets_unpaired_intervals(git_project):
    git_project.write("m.json", json.dumps({"roc_auc": {"value": 0.91, "se": 0.002}}))
    write_config(git_project, {"task": "binary", "metrics_file": "m.json"})
    git_project.commit("main")
    assert run(git_project, "o1")[0] == 0
    record = json.loads((git_project.path / "o1/record.json").read_text())
    assert record["extra"]["standard_errors"] == {"roc_auc": 0.002}

    git_project.checkout("-b", "pr")
    git_project.write("m.json", json.dumps({"roc_auc": {"value": 0.89, "ci": [0.885, 0.895]}}))
    git_project.commit("a clear drop", push=False)
    code, report, _ = run(git_project, "o2")

    assert code == 1
    gate = report["gates"][0]
    assert (gate["status"], gate["mode"]) == ("fail", "lenient")
    assert "and so is the whole 95% CI of Δ" in gate["message"]
    roc = report["metrics"][0]
    assert roc["method"] == "unpaired" and roc["ci_high"] < -0.005
    assert not any(n.startswith("Change rules were judged on point") for n in report["notes"])

    git_project.write("m.json", json.dumps({"roc_auc": 0.90}))
    git_project.commit("a plain number", push=False)
    code, report, _ = run(git_project, "o3")
    assert code == 1 and report["gates"][0]["mode"] == "point"
    note = next(n for n in report["notes"] if n.startswith("Change rules were judged on point"))
    assert note.endswith("Judged without intervals: roc_auc (max regression).")


def test_slices_are_compared_unpaired_when_too_few_ids_are_shared(git_project):
    gates = [{"metric": "recall", "slice": ["segment"], "max_regression": 0.04}]
    write_config(git_project, PREDICTIONS, gates=gates)
    slice_predictions(git_project, np.arange(0, 1500), None)
    git_project.commit("main")
    assert run(git_project, "o1")[0] == 0
    record = json.loads((git_project.path / "o1/record.json").read_text())
    assert {"recall"} == {k for e in record["extra"]["slices"] for k in e["se"]}

    git_project.checkout("-b", "pr/new-rows")
    slice_predictions(git_project, np.arange(1400, 3000), "b")
    git_project.commit("fresh evaluation rows; b got worse", push=False)
    code, report, _ = run(git_project, "o2")

    assert code == 1
    assert any("too few rows to pair (100 rows with the same id" in n for n in report["notes"])
    by_slice = {g["metric"]: g for g in report["gates"] if g["scope"] == "slice"}
    assert by_slice["recall [segment=b]"]["status"] == "fail"
    assert {by_slice[f"recall [segment={k}]"]["status"] for k in "acd"} <= {"pass", "inconclusive"}
    b = next(s for s in report["slices"] if s["key"] == ["b"])
    recall = next(m for m in b["metrics"] if m["name"] == "recall")
    assert recall["method"] == "unpaired" and recall["ci_high"] < -0.04
