"""Pickle-family models load and predict in a child process that holds no credential; what it
answers is read without pickle. The oracle for the predictions is scikit-learn in this process,
and the same model saved with skops (loaded in-process)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io

from mlci.config import ModelConfig, ModelFileConfig, load_config
from mlci.errors import ModelError
from mlci.model.evaluate import evaluate_with_predictions
from tests.helpers.hostile_pickles import WithPayload, crash, dump_environment, forge_answer
from tests.helpers.stages import evaluate_budgets

pytestmark = pytest.mark.integration  # child processes, and git for the baseline budgets

TREE = "sklearn.tree._tree.Tree"
TOKEN = "ghs_isolateT0kenAbCdEf0123456789"
CREDENTIALS = {
    "GITHUB_TOKEN": TOKEN,
    "MLCI_GITHUB_TOKEN": TOKEN,
    "INPUT_GITHUB-TOKEN": TOKEN,
    "ACTIONS_RUNTIME_TOKEN": "runtime-token-1234567",
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "http.https://github.com/.extraheader",
    "GIT_CONFIG_VALUE_0": "AUTHORIZATION: basic "
    + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode(),
    "RENAMED_COPY": f"Bearer {TOKEN}",
}


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """mlci's environment as in a GitHub Actions job: the token, and git auth carrying it."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    return CREDENTIALS


def config(trained: Any, path: Path, **kw: Any) -> ModelConfig:
    model = ModelFileConfig(
        path=path, data="eval", target=trained.target, trusted_types=(TREE,), **kw
    )
    return ModelConfig(task=trained.task, model=model)


@pytest.mark.parametrize("which", ["binary_model", "multiclass_model", "regression_model"])
def test_a_pickle_predicts_in_its_process_exactly_as_in_this_one(
    tmp_path: Path, which: str, request: pytest.FixtureRequest
) -> None:
    trained = request.getfixturevalue(which)
    joblib.dump(trained.model, tmp_path / "model.joblib")
    skops.io.dump(trained.model, tmp_path / "model.skops")
    frames = {"eval": trained.frame}

    isolated, got = evaluate_with_predictions(
        config(trained, tmp_path / "model.joblib", allow_unsafe_pickle=True), frames
    )
    in_process, want = evaluate_with_predictions(config(trained, tmp_path / "model.skops"), frames)

    assert got is not None and want is not None
    # another process may round the last bit differently (BLAS), so floats are compared to
    # 1e-12; labels exactly
    assert (isolated.task, isolated.source, isolated.n_rows) == (
        in_process.task,
        in_process.source,
        in_process.n_rows,
    )
    assert isolated.metrics == pytest.approx(in_process.metrics, rel=1e-12, abs=1e-12)
    oracle = trained.model.predict(trained.X)
    if trained.task == "regression":
        np.testing.assert_allclose(got.y_pred, oracle, rtol=1e-12)
    else:
        np.testing.assert_array_equal(got.y_pred, oracle)
    for name in ("y_true", "y_pred", "y_score", "y_proba"):
        a, b = getattr(got, name), getattr(want, name)
        assert (a is None) == (b is None), name
        if a is None:
            continue
        assert a.dtype == b.dtype, name
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
        else:
            np.testing.assert_array_equal(a, b)
    assert (got.labels, got.pos_label) == (want.labels, want.pos_label)
    assert got.frame is trained.frame


def test_a_pickle_that_reads_the_environment_finds_no_credential(
    tmp_path: Path, binary_model: Any, credentials: dict[str, str]
) -> None:
    dump = tmp_path / "seen.json"
    path = tmp_path / "model.joblib"
    joblib.dump(WithPayload(dump_environment(dump), binary_model.model), path)

    evaluation, _ = evaluate_with_predictions(
        config(binary_model, path, allow_unsafe_pickle=True), {"eval": binary_model.frame}
    )

    seen = json.loads(dump.read_text())
    assert seen["pid"] != os.getpid(), "the pickle ran in another process"
    assert TOKEN not in json.dumps(seen["environ"])
    assert not any(k.startswith(("GIT_CONFIG", "ACTIONS_")) for k in seen["environ"])
    assert seen["environ"]["PATH"] == os.environ["PATH"]  # the rest is passed on
    assert os.environ["GITHUB_TOKEN"] == TOKEN, "the parent's token is untouched"
    assert {k: os.environ[k] for k in credentials} == credentials
    assert evaluation.metrics["accuracy"] > 0.9  # and it was the working model


def test_a_child_that_dies_is_a_model_error(tmp_path: Path, binary_model: Any) -> None:
    path = tmp_path / "model.pkl"
    joblib.dump(WithPayload(crash(7), binary_model.model), path)

    with pytest.raises(ModelError) as info:
        evaluate_with_predictions(
            config(binary_model, path, allow_unsafe_pickle=True), {"eval": binary_model.frame}
        )

    assert str(info.value) == (
        f"Model file {path}: the process that loads it (a pickle runs its own code) ended "
        "without an answer, exit code 7: the model gave up."
    )


def test_an_answer_forged_as_a_pickle_is_refused_unread(tmp_path: Path, binary_model: Any) -> None:
    marker = tmp_path / "ran-in-the-parent.txt"
    path = tmp_path / "model.pickle"
    joblib.dump(WithPayload(forge_answer(marker), binary_model.model), path)

    with pytest.raises(ModelError) as info:
        evaluate_with_predictions(
            config(binary_model, path, allow_unsafe_pickle=True), {"eval": binary_model.frame}
        )

    assert str(info.value) == (
        f"Model file {path}: the process that loads it answered wrongly (its arrays are not "
        "plain NumPy arrays)."
    )
    assert not marker.exists()


def test_a_corrupt_pickle_reads_as_before(tmp_path: Path, binary_model: Any) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(b"garbage, not a model")
    with pytest.raises(ModelError) as info:
        evaluate_with_predictions(
            config(binary_model, path, allow_unsafe_pickle=True), {"eval": binary_model.frame}
        )
    assert str(info.value).startswith(f"Model file {path} could not be loaded with joblib: ")


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env.update(GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@example.invalid")
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return done.stdout.decode().strip()


def test_budgets_of_pickles_are_measured_in_their_process_without_credentials(
    tmp_path: Path, binary_model: Any, credentials: dict[str, str]
) -> None:
    (tmp_path / "models").mkdir()
    git(tmp_path, "init", "-q", "-b", "main")
    baseline_dump, candidate_dump = tmp_path / "baseline.json", tmp_path / "candidate.json"
    path = tmp_path / "models" / "model.joblib"
    joblib.dump(WithPayload(dump_environment(baseline_dump), binary_model.model), path)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "baseline model")
    head = git(tmp_path, "rev-parse", "HEAD")
    joblib.dump(WithPayload(dump_environment(candidate_dump), binary_model.model), path)
    (tmp_path / "mlci.yml").write_text(
        "name: m\ndatasets: {eval: {path: eval.csv}}\n"
        "model: {task: binary, model: {path: models/model.joblib, data: eval, target: label,\n"
        "  allow_unsafe_pickle: true}}\n"
        + textwrap.dedent(
            """\
            budgets:
              model_size_mb: {max: 10}
              latency_p95_ms: {max: 10000}
              peak_memory_mb: {max: 1000}
              repeats: 5
              warmup: 1
            """
        )
    )
    cfg = load_config(tmp_path / "mlci.yml")

    outcome = evaluate_budgets(
        cfg, {"eval": binary_model.frame}, repo=tmp_path, baseline_commit=head, baseline=None
    )

    by_name = {b.name: b for b in outcome.budgets}
    assert by_name["model_size_mb"].value == path.stat().st_size / 1e6
    assert {b.baseline_source for b in outcome.budgets} == {"same_job"}
    assert all(b.value > 0 and b.baseline for b in outcome.budgets)
    assert outcome.notes == ()
    for dump in (baseline_dump, candidate_dump):
        seen = json.loads(dump.read_text())
        assert seen["pid"] != os.getpid()
        assert TOKEN not in json.dumps(seen["environ"])
    assert os.environ["GITHUB_TOKEN"] == TOKEN


def test_a_pickle_without_the_opt_in_is_refused_before_any_process_starts(
    tmp_path: Path, binary_model: Any
) -> None:
    dump = tmp_path / "seen.json"
    path = tmp_path / "model.joblib"
    joblib.dump(WithPayload(dump_environment(dump), binary_model.model), path)
    with pytest.raises(ModelError, match="is a pickle: loading it runs arbitrary code"):
        evaluate_with_predictions(config(binary_model, path), {"eval": binary_model.frame})
    assert not dump.exists()


def test_labels_come_back_as_they_were_predicted(tmp_path: Path) -> None:
    from sklearn.tree import DecisionTreeClassifier

    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5, "y": [True, False, True, False] * 5})
    model = DecisionTreeClassifier(random_state=0).fit(frame[["x"]], frame["y"])
    joblib.dump(model, tmp_path / "m.pkl")
    cfg = ModelConfig(
        task="binary",
        model=ModelFileConfig(
            path=tmp_path / "m.pkl", data="eval", target="y", allow_unsafe_pickle=True
        ),
    )

    _, predictions = evaluate_with_predictions(cfg, {"eval": frame})

    assert predictions is not None
    assert predictions.y_pred.dtype == np.bool_
    np.testing.assert_array_equal(predictions.y_pred, model.predict(frame[["x"]]))
    assert predictions.labels == (False, True) and predictions.pos_label is True


def test_the_baseline_pickle_is_rescored_in_its_process_too(
    tmp_path: Path, binary_model: Any, credentials: dict[str, str]
) -> None:
    from mlci.model.rescore import rescore_baseline

    dump = tmp_path / "seen.json"
    path = tmp_path / "model.joblib"
    joblib.dump(WithPayload(dump_environment(dump), binary_model.model), path)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "model.joblib")
    git(tmp_path, "commit", "-q", "-m", "baseline model")
    path.write_bytes(b"the candidate: another file")
    cfg = config(binary_model, path, allow_unsafe_pickle=True).model
    assert cfg is not None

    rescored = rescore_baseline(
        cfg, "binary", tmp_path, git(tmp_path, "rev-parse", "HEAD"), {"eval": binary_model.frame}
    )

    np.testing.assert_array_equal(rescored.y_pred, binary_model.model.predict(binary_model.X))
    seen = json.loads(dump.read_text())
    assert seen["pid"] != os.getpid() and TOKEN not in json.dumps(seen["environ"])


def test_an_mlci_folder_in_the_working_directory_does_not_replace_the_child(
    tmp_path: Path, binary_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "impostor-ran.txt"
    project = tmp_path / "project"
    for package in ("mlci", "mlci/model"):
        (project / package).mkdir(parents=True)
        (project / package / "__init__.py").write_text("")
    (project / "mlci" / "model" / "child.py").write_text(
        f"open({str(marker)!r}, 'w').write('the repository\\'s module ran')\n"
    )
    joblib.dump(binary_model.model, project / "model.joblib")
    monkeypatch.chdir(project)
    cfg = config(binary_model, Path("model.joblib"), allow_unsafe_pickle=True)

    evaluation, _ = evaluate_with_predictions(cfg, {"eval": binary_model.frame})

    assert not marker.exists()
    assert evaluation.metrics["accuracy"] > 0.9
