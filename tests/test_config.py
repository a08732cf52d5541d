"""Loading `mlci.yml`: the shape, defaults, paths, line numbers, and one-line errors."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mlci.config import (
    BaselineConfig,
    BudgetRule,
    BudgetsConfig,
    Config,
    DatasetConfig,
    DriftConfig,
    DriftOverride,
    GateConfig,
    Margin,
    ModelConfig,
    ModelFileConfig,
    MonitorConfig,
    MonitorDataConfig,
    MonitorLabelsConfig,
    MonitorPredictionsConfig,
    PredictionsConfig,
    ReportConfig,
    StatsConfig,
    StoreConfig,
    Thresholds,
    config_hash,
    format_from_suffix,
    load_config,
)
from mlci.errors import ConfigError, MlciError
from mlci.yamlfile import packaged_schema

# The example of DESIGN §9, with one model input.
DESIGN_EXAMPLE = """\
version: 1
name: churn-model                # comment title, status context `mlci/churn-model`
datasets:                        # any number, by name
  train:
    path: data/train.parquet     # CSV, Parquet or JSON lines
    schema: .mlci/schema.yml     # optional checks file (written by `mlci init`)
  eval:
    path: data/eval.csv
    checks:
      - {column: age, type: integer, min: 0, max: 120, max_null_fraction: 0.01}
      - {column: plan, allowed: [basic, pro, enterprise], max_unseen_fraction: 0.0}
      - {column: id, unique: true}
      - {row_count: {min: 1000}}
      - {no_overlap_with: train, key: [id], severity: error}
    drift: {columns: all, numeric: {warn: 0.1, fail: 0.2}}
model:
  task: binary                   # binary | multiclass | regression
  model: {path: model.skops, data: eval, target: label}
  metrics: [accuracy, f1, roc_auc, log_loss]
  slices: [[plan], [plan, country]]
gates:
  - {metric: roc_auc, min: 0.85}
  - {metric: roc_auc, max_regression: 0.005}            # absolute
  - {metric: log_loss, max_regression: {relative: 0.02}}
  - {metric: recall, slice: [plan], max_regression: 0.02, severity: warn}
baseline:
  branch: main
  store: {type: git, branch: mlci-records}              # or {type: dir, path: .mlci/records}
  on_missing: skip                                      # skip | fail
stats:                                                  # noise-aware gating (DESIGN §5)
  mode: lenient                                         # point | lenient | strict
  confidence: 0.95
  seed: 0
report:
  comment: true
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Messages name the config relative to the working directory: work in tmp_path."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(text: str, name: str = "mlci.yml") -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def load(text: str) -> Config:
    return load_config(write(text))


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(text)
    return str(info.value)


# --- valid configs -------------------------------------------------------------------------


def test_the_design_example_loads(in_tmp: Path) -> None:
    config = load(DESIGN_EXAMPLE)

    assert config.name == "churn-model"
    assert config.path == in_tmp / "mlci.yml"
    assert config.root == in_tmp
    assert list(config.datasets) == ["train", "eval"]
    assert config.datasets["train"] == DatasetConfig(
        name="train",
        path=in_tmp / "data" / "train.parquet",
        format="parquet",
        schema=in_tmp / ".mlci" / "schema.yml",
    )
    evaluation = config.datasets["eval"]
    assert evaluation.path == in_tmp / "data" / "eval.csv"
    assert evaluation.format == "csv"
    assert evaluation.checks == (
        {"column": "age", "type": "integer", "min": 0, "max": 120, "max_null_fraction": 0.01},
        {"column": "plan", "allowed": ["basic", "pro", "enterprise"], "max_unseen_fraction": 0.0},
        {"column": "id", "unique": True},
        {"row_count": {"min": 1000}},
        {"no_overlap_with": "train", "key": ["id"], "severity": "error"},
    )
    assert evaluation.drift == DriftConfig()  # what it sets are the defaults
    assert config.model == ModelConfig(
        task="binary",
        model=ModelFileConfig(path=in_tmp / "model.skops", data="eval", target="label"),
        metrics=("accuracy", "f1", "roc_auc", "log_loss"),
        slices=(("plan",), ("plan", "country")),
    )
    assert config.gates == (
        GateConfig(metric="roc_auc", min=0.85),
        GateConfig(metric="roc_auc", max_regression=Margin(absolute=0.005)),
        GateConfig(metric="log_loss", max_regression=Margin(relative=0.02)),
        GateConfig(
            metric="recall", max_regression=Margin(absolute=0.02), severity="warn", slice=("plan",)
        ),
    )
    assert config.baseline == BaselineConfig()
    assert config.stats == StatsConfig()
    assert config.report == ReportConfig()


def test_a_minimal_config_gets_every_default(in_tmp: Path) -> None:
    config = load("name: m\n")
    assert config == Config(
        name="m",
        path=in_tmp / "mlci.yml",
        root=in_tmp,
        repository=in_tmp,  # no git work tree holds it: its own folder
        raw={"name": "m"},
        lines={"": 1, "name": 1},
    )
    assert config.baseline == BaselineConfig(
        branch="main",
        store=StoreConfig(type="git", branch="mlci-records", remote="origin", path=None),
        on_missing="skip",
        max_depth=50,
    )
    assert config.stats == StatsConfig(mode="lenient", confidence=0.95, seed=0)
    assert config.report == ReportConfig(comment=True, max_comment_chars=60_000)


def test_every_key_set() -> None:
    config = load(
        """\
        version: 1
        name: full.model_1-a
        datasets:
          d.1:
            path: a/b.data
            format: jsonl
            drift:
              enabled: true
              columns: [x, y]
              exclude: [z]
              numeric: {warn: 0.2, fail: 0.4}
              categorical: {fail: 0.5}
              null_rate: {warn: 0.05}
              min_rows: 10
              severity: error
        model:
          task: multiclass
          predictions:
            path: p.csv
            y_true: label
            y_pred: null
            y_proba: [p_a, p_b, p_c]
            labels: [a, b, c]
          metrics: [accuracy]
          directions: {my_score: higher, my_cost: lower}
        gates:
          - metric: accuracy
            min: 0
            max: 1
            max_regression: {absolute: 0.01, relative: 0.02}
            min_improvement: 0.001
            max_improvement: {relative: 0.5}
            severity: warn
            direction: higher
            mode: strict
        baseline:
          branch: develop
          store: {type: dir, branch: b, remote: upstream, path: records/../recs}
          on_missing: fail
          max_depth: 10000
        stats: {mode: point, confidence: 0.99, seed: 4294967295}
        report: {comment: false, max_comment_chars: 1000}
        """
    )
    root = config.root
    assert config.datasets["d.1"] == DatasetConfig(
        name="d.1",
        path=root / "a" / "b.data",
        format="jsonl",
        drift=DriftConfig(
            enabled=True,
            columns=("x", "y"),
            exclude=("z",),
            numeric=Thresholds(0.2, 0.4),
            categorical=Thresholds(0.1, 0.5),
            null_rate=Thresholds(0.05, 0.3),
            min_rows=10,
            severity="error",
        ),
    )
    assert config.model == ModelConfig(
        task="multiclass",
        predictions=PredictionsConfig(
            path=root / "p.csv",
            y_true="label",
            y_pred=None,
            y_proba=("p_a", "p_b", "p_c"),
            labels=("a", "b", "c"),
        ),
        metrics=("accuracy",),
        directions={"my_score": "higher", "my_cost": "lower"},
    )
    assert config.gates == (
        GateConfig(
            metric="accuracy",
            min=0.0,
            max=1.0,
            max_regression=Margin(absolute=0.01, relative=0.02),
            min_improvement=Margin(absolute=0.001),
            max_improvement=Margin(relative=0.5),
            severity="warn",
            direction="higher",
            mode="strict",
        ),
    )
    assert config.baseline == BaselineConfig(
        branch="develop",
        store=StoreConfig(type="dir", branch="b", remote="upstream", path=root / "recs"),
        on_missing="fail",
        max_depth=10000,
    )
    assert config.stats == StatsConfig(mode="point", confidence=0.99, seed=4294967295)
    assert config.report == ReportConfig(comment=False, max_comment_chars=1000)


def test_numbers_are_floats_and_ints_as_the_fields_say() -> None:
    config = load("name: m\ngates: [{metric: a, min: 1, max_regression: 0}]\nstats: {seed: 3}\n")
    gate = config.gates[0]
    assert type(gate.min) is float
    assert gate.max_regression == Margin(absolute=0.0)
    assert type(gate.max_regression.absolute) is float
    assert type(config.stats.seed) is int


def test_scikit_learn_names_become_the_registered_metrics() -> None:
    config = load(
        """\
        name: m
        model:
          task: binary
          predictions: {path: p.csv}
          metrics: [f1_score, neg_log_loss, log_loss, matthews_corrcoef]
          directions: {neg_brier_score: lower, accuracy_score: higher}
        gates:
          - {metric: neg_log_loss, min: -0.35, max_regression: 0.01, direction: higher}
          - {metric: neg_mean_absolute_error, max: -1.5}
          - {metric: f1_macro, min: 0.7}
          - {metric: brier_score_loss, max: 0.2}
        """
    )
    assert config.model is not None
    assert config.model.metrics == ("f1", "log_loss", "matthews_corrcoef")
    assert config.model.directions == {"brier_score": "higher", "accuracy": "higher"}
    assert config.gates == (
        GateConfig(metric="log_loss", max=0.35, max_regression=Margin(0.01), direction="lower"),
        GateConfig(metric="mae", min=1.5),
        GateConfig(metric="f1_macro", min=0.7),
        GateConfig(metric="brier_score", max=0.2),
    )


def test_model_file_and_metrics_file(in_tmp: Path) -> None:
    config = load(
        """\
        name: m
        datasets: {eval: {path: e.csv}}
        model:
          task: regression
          model:
            path: models/m.joblib
            data: eval
            target: y
            features: [a, b]
            allow_unsafe_pickle: true
            trusted_types: [mymod.MyType]
            pos_label: 1
        """
    )
    assert config.model is not None
    assert config.model.model == ModelFileConfig(
        path=in_tmp / "models" / "m.joblib",
        data="eval",
        target="y",
        features=("a", "b"),
        allow_unsafe_pickle=True,
        trusted_types=("mymod.MyType",),
        pos_label=1,
    )
    config = load("name: m\nmodel: {task: binary, metrics_file: out/metrics.json}\n")
    assert config.model == ModelConfig(task="binary", metrics_file=in_tmp / "out" / "metrics.json")


def test_binary_predictions_defaults(in_tmp: Path) -> None:
    config = load("name: m\nmodel: {task: binary, predictions: {path: p.csv, y_score: s}}\n")
    assert config.model is not None
    assert config.model.predictions == PredictionsConfig(
        path=in_tmp / "p.csv", y_true="y_true", y_pred="y_pred", y_score="s"
    )


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        ("false", DriftConfig(enabled=False)),
        ("true", DriftConfig()),
        ("{enabled: false}", DriftConfig(enabled=False)),
        ("{columns: all}", DriftConfig()),
        ("{numeric: {warn: 0.15}}", DriftConfig(numeric=Thresholds(0.15, 0.2))),
        ("{null_rate: {fail: 0.5}}", DriftConfig(null_rate=Thresholds(0.1, 0.5))),
    ],
)
def test_drift_settings(drift: str, expected: DriftConfig) -> None:
    config = load(f"name: m\ndatasets:\n  d:\n    path: d.csv\n    drift: {drift}\n")
    assert config.datasets["d"].drift == expected


def test_paths_are_relative_to_the_config_file(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = in_tmp / "project"
    (project / ".git").mkdir(parents=True)  # the repository: paths may leave the config's folder
    write(
        f"""\
        name: m
        datasets:
          a: {{path: data/a.csv, schema: ../shared/schema.yml}}
          b: {{path: {project}/b.parquet}}
        model: {{task: binary, metrics_file: ./out/../out/m.json}}
        baseline: {{store: {{type: dir, path: .mlci/records}}}}
        """,
        "project/ml/mlci.yml",
    )
    monkeypatch.chdir(project)
    config = load_config("ml/mlci.yml")
    ml = project / "ml"
    assert config.path == ml / "mlci.yml"
    assert config.root == ml
    assert config.repository == project
    assert config.datasets["a"].path == ml / "data" / "a.csv"
    assert config.datasets["a"].schema == project / "shared" / "schema.yml"
    assert config.datasets["b"].path == project / "b.parquet"
    assert config.model is not None and config.model.metrics_file == ml / "out" / "m.json"
    assert config.baseline.store.path == ml / ".mlci" / "records"
    assert all(p.is_absolute() for p in (config.path, config.root))


def test_errors_name_the_file_as_given(in_tmp: Path) -> None:
    write("name: m\nstats: {seed: -1}\n", "sub/mlci.yml")
    with pytest.raises(ConfigError) as info:
        load_config(in_tmp / "sub" / "mlci.yml")
    assert str(info.value) == (
        "sub/mlci.yml:2: stats.seed: expected an integer between 0 and 4294967295; got -1."
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", "csv"),
        ("a.CSV", "csv"),
        ("a.csv.gz", None),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
        ("a.jsonl", "jsonl"),
        ("a.b.ndjson", "jsonl"),
        ("a.tsv", None),
        ("a.json", None),
        ("parts", None),
        ("a.gz", None),
    ],
)
def test_format_from_suffix(name: str, expected: str | None) -> None:
    assert format_from_suffix(Path("data") / name) == expected


def test_an_explicit_format_wins_and_an_unknown_suffix_is_left_to_the_reader() -> None:
    config = load("name: m\ndatasets:\n  a: {path: a.txt, format: csv}\n  b: {path: b.txt}\n")
    assert config.datasets["a"].format == "csv"
    assert config.datasets["b"].format is None


# --- lines and hash -------------------------------------------------------------------------


def test_lines_and_where() -> None:
    config = load(DESIGN_EXAMPLE)
    assert config.lines["name"] == 2
    assert config.lines["datasets.eval.path"] == 8
    assert config.lines["datasets.eval.checks[4].no_overlap_with"] == 14
    assert config.lines["model.model.data"] == 18
    assert config.lines["gates[1]"] == 23
    assert config.lines["gates[1].metric"] == 23
    assert config.lines["stats.seed"] == 33
    assert config.where("gates[1].metric") == "mlci.yml:23: gates[1].metric"
    assert config.where("no.such.key") == "mlci.yml: no.such.key"


def test_raw_is_the_parsed_document() -> None:
    config = load("name: m\ngates:\n  - {metric: a, min: 0.5}\n")
    assert config.raw == {"name": "m", "gates": [{"metric": "a", "min": 0.5}]}


def test_config_hash_is_sha256_of_canonical_json() -> None:
    config = load("name: m\ngates:\n  - {metric: a, min: 0.5}\n")
    canonical = '{"gates":[{"metric":"a","min":0.5}],"name":"m"}'
    assert config_hash(config) == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def test_config_hash_ignores_formatting_but_not_values() -> None:
    a = load("name: m\ngates: [{metric: a, min: 0.5}]\n")
    b = load("# a comment\ngates:\n  - min: 0.50   # same value\n    metric: a\nname: 'm'\n")
    c = load("name: m\ngates: [{metric: a, min: 0.6}]\n")
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash(c)


# --- the schema itself ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["config.schema.json", "data-schema.schema.json"])
def test_the_schemas_are_valid_draft_2020_12(name: str) -> None:
    schema = packaged_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_config_schema_is_served_from_the_repository_at_its_id() -> None:
    schema = packaged_schema("config.schema.json")
    served = "https://raw.githubusercontent.com/mlci-dev/mlci/main/"
    assert schema["$id"].startswith(served)
    path = Path(__file__).parents[1] / schema["$id"].removeprefix(served)
    assert json.loads(path.read_text()) == schema  # the repository file the URL names


def _nodes(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def test_every_mlci_one_of_keyword_is_also_standard_json_schema() -> None:
    schema = packaged_schema("config.schema.json")
    pairs = {"x-exactly-one-of": "oneOf", "x-at-least-one-of": "anyOf"}
    seen = 0
    for node in _nodes(schema):
        for mlci_keyword, standard in pairs.items():
            if mlci_keyword in node:
                seen += 1
                assert node[standard] == [{"required": [k]} for k in node[mlci_keyword]]
    assert seen >= 3


@pytest.mark.parametrize(
    ("model", "valid"),
    [
        ({"task": "binary", "metrics_file": "m.json"}, True),
        ({"task": "binary", "metrics_file": "m.json", "predictions": {"path": "p.csv"}}, False),
        ({"task": "binary"}, False),
    ],
)
def test_an_editor_flags_anything_but_one_model_source(model: dict[str, Any], valid: bool) -> None:
    """What an editor sees: the schema checked by a plain Draft 2020-12 validator."""
    validator = Draft202012Validator(packaged_schema("config.schema.json"))
    assert validator.is_valid({"name": "m", "model": model}) is valid


def test_mlci_words_two_model_sources_its_own_way() -> None:
    message = error_of(
        """\
        name: m
        model: {task: binary, metrics_file: m.json, predictions: {path: p.csv}}
        """
    )
    assert message == (
        "mlci.yml:2: model: set exactly one of 'metrics_file', 'predictions', 'model', "
        "'dvc_metrics' or 'mlflow'; got 'metrics_file' and 'predictions'."
    )


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize(
    ("where", "cls", "not_in_yaml"),
    [
        ("#", Config, {"path", "root", "repository", "raw", "lines"}),
        ("dataset", DatasetConfig, {"name"}),
        ("drift", DriftConfig, set()),
        ("drift_override", DriftOverride, set()),
        ("thresholds", Thresholds, set()),
        ("model", ModelConfig, {"metrics_files"}),  # metrics_file given as a list
        ("predictions", PredictionsConfig, set()),
        ("model_file", ModelFileConfig, set()),
        ("gate", GateConfig, set()),
        ("margin", Margin, set()),
        ("baseline", BaselineConfig, set()),
        ("store", StoreConfig, set()),
        ("stats", StatsConfig, set()),
        ("report", ReportConfig, set()),
        ("monitor_data", MonitorDataConfig, {"dataset"}),
        ("monitor_predictions", MonitorPredictionsConfig, set()),
        ("monitor_labels", MonitorLabelsConfig, set()),
    ],
)
def test_schema_keys_are_the_dataclass_fields(where: str, cls: type, not_in_yaml: set[str]) -> None:
    """The loader builds values with ``Cls(**section)``: the names must match exactly."""
    schema = dict(packaged_schema("config.schema.json"))
    node = schema if where == "#" else schema["$defs"][where]
    keys = set(_resolve(schema, node)["properties"]) - {"version"}
    assert keys == _fields(cls) - not_in_yaml


def _inline_refs(schema: Any, node: Any) -> Any:
    """``node`` with every ``$ref`` replaced by its target, recursively."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline_refs(schema, {**target, **rest})
        return {k: _inline_refs(schema, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(schema, v) for v in node]
    return node


def test_a_schema_file_column_has_the_constraints_of_an_inline_column_check() -> None:
    config = packaged_schema("config.schema.json")
    data = packaged_schema("data-schema.schema.json")
    inline = _inline_refs(config, config["$defs"]["column_check"]["properties"])
    listed = _inline_refs(data, data["$defs"]["column"]["properties"])
    assert set(inline) - set(listed) == {"column", "required"}
    assert {k: inline[k] for k in listed} == listed


# --- errors ---------------------------------------------------------------------------------


def test_config_error_is_a_user_error() -> None:
    assert issubclass(ConfigError, MlciError)


def test_missing_file() -> None:
    with pytest.raises(ConfigError) as info:
        load_config("mlci.yml")
    assert str(info.value) == (
        "mlci.yml: file not found. Create it with `mlci init`, or pass --config PATH."
    )


DATASET = "name: m\ndatasets:\n  train: {path: t.csv}\n  eval:\n    path: e.csv\n"

ERRORS = [
    # the file
    ("", "mlci.yml: the file is empty. Create it with `mlci init`, or pass --config PATH."),
    (
        "- name: m\n",
        "mlci.yml:1: expected a mapping of keys to values at the top level; got a list.",
    ),
    (
        "name: m\nmodel:\n  task: [\n",
        "mlci.yml:4: not valid YAML: expected the node content, but found '<stream end>'.",
    ),
    ("name: m\nname: n\n", "mlci.yml:2: name: duplicate key (first set on line 1)."),
    # required keys and names
    (
        "version: 1\n",
        "mlci.yml: missing required key 'name' (the report title and status "
        "context, e.g. name: churn-model).",
    ),
    (
        "name: churn model\n",
        "mlci.yml:1: name: expected a name of up to 64 letters, digits, '.', "
        "'_' or '-', starting with a letter or digit; got 'churn model'.",
    ),
    (
        "name: 42\n",
        "mlci.yml:1: name: expected a name of up to 64 letters, digits, '.', '_' or "
        "'-', starting with a letter or digit; got 42 (an integer).",
    ),
    (
        "name: m\nversion: 2\n",
        "mlci.yml:2: version: expected 1 (the only config version this mlci reads); got 2.",
    ),
    # unknown keys, with and without a near miss, at every level
    ("nmae: m\n", "mlci.yml:1: nmae: unknown key. Did you mean 'name'?"),
    ("name: m\ndatsets: {}\n", "mlci.yml:2: datsets: unknown key. Did you mean 'datasets'?"),
    (
        "name: m\nslices: [[plan]]\n",
        "mlci.yml:2: slices: unknown key. Allowed keys: baseline, budgets, "
        "datasets, gates, model, monitor, name, override, release, report, stats, version.",
    ),
    (
        DATASET + "    checks:\n      - {column: age, max_nul_fraction: 0.1}\n",
        "mlci.yml:7: datasets.eval.checks[0].max_nul_fraction: unknown key. Did you mean "
        "'max_null_fraction'?",
    ),
    (
        DATASET + "    fromat: csv\n",
        "mlci.yml:6: datasets.eval.fromat: unknown key. Did you mean 'format'?",
    ),
    (
        DATASET + "    drift: {numerc: {warn: 0.1}}\n",
        "mlci.yml:6: datasets.eval.drift.numerc: unknown key. Did you mean 'numeric'?",
    ),
    (
        "name: m\nmodel:\n  task: binary\n  metrics_file: m.json\n  slices: [[plan]]\n",
        "mlci.yml:5: model.slices: slices need per-example predictions: use "
        "`model.predictions`, `model.model` or `model.mlflow.model` (a metrics file or run has "
        "only overall metrics).",
    ),
    (
        "name: m\ngates:\n  - metric: auc\n    max_regresion: 0.01\n",
        "mlci.yml:4: gates[0].max_regresion: unknown key. Did you mean 'max_regression'?",
    ),
    (
        "name: m\ngates:\n  - {metric: recall, slice: [plan], max_regression: 0.02}\n",
        "mlci.yml:3: gates[0].slice: slices need per-example predictions: use "
        "`model.predictions`, `model.model` or `model.mlflow.model` (a metrics file or run has "
        "only overall metrics).",
    ),
    (
        "name: m\nbaseline:\n  on_mising: fail\n",
        "mlci.yml:3: baseline.on_mising: unknown key. Did you mean 'on_missing'?",
    ),
    (
        "name: m\nbaseline:\n  store: {type: git, brnch: x}\n",
        "mlci.yml:3: baseline.store.brnch: unknown key. Did you mean 'branch'?",
    ),
    # enums and types
    (
        "name: m\nmodel:\n  task: binry\n  metrics_file: m.json\n",
        "mlci.yml:3: model.task: "
        "expected one of 'binary', 'multiclass', 'regression'; got 'binry'.",
    ),
    (
        "name: m\nstats: {confidence: abc}\n",
        "mlci.yml:2: stats.confidence: expected a number; got 'abc' (a string).",
    ),
    (
        "name: m\nstats: {confidence: 0.5}\n",
        "mlci.yml:2: stats.confidence: expected a number > 0.5 and < 1; got 0.5.",
    ),
    (
        "name: m\nstats: {mode: loose}\n",
        "mlci.yml:2: stats.mode: expected one of 'point', 'lenient', 'strict'; got 'loose'.",
    ),
    (
        "name: m\nreport: {comment: yes}\n",
        "mlci.yml:2: report.comment: expected true or false; got 'yes' (a string).",
    ),
    (
        "name: m\nreport: {max_comment_chars: 100000}\n",
        "mlci.yml:2: report.max_comment_chars: "
        "expected an integer between 1000 and 65536; got 100000.",
    ),
    (
        "name: m\nbaseline: {max_depth: 0}\n",
        "mlci.yml:2: baseline.max_depth: expected an integer between 1 and 10000; got 0.",
    ),
    (
        "name: m\nbaseline: {on_missing: ignore}\n",
        "mlci.yml:2: baseline.on_missing: expected one of 'skip', 'fail'; got 'ignore'.",
    ),
    ("name: m\ngates: {metric: auc}\n", "mlci.yml:2: gates: expected a list; got a mapping."),
    (
        "name: m\ndatasets:\n  my data: {path: a.csv}\n",
        "mlci.yml:3: datasets.my data: invalid "
        "name; expected letters, digits, '_', '.' or '-', starting with a letter, digit or '_'.",
    ),
    (
        "name: m\ndatasets:\n  eval: {format: csv}\n",
        "mlci.yml:3: datasets.eval: missing required "
        "key 'path' (the data file, relative to mlci.yml, e.g. path: data/eval.csv).",
    ),
    (
        DATASET + "    format: tsv\n",
        "mlci.yml:6: datasets.eval.format: expected one of 'csv', 'parquet', 'jsonl'; got 'tsv'.",
    ),
    (
        DATASET + "    drift: yes\n",
        "mlci.yml:6: datasets.eval.drift: expected true, false or a "
        "mapping of drift settings; got 'yes' (a string).",
    ),
    (
        DATASET + "    drift: {columns: some}\n",
        "mlci.yml:6: datasets.eval.drift.columns: "
        "expected all or a list of column names; got 'some'.",
    ),
    (
        DATASET + "    drift: {columns: 3}\n",
        "mlci.yml:6: datasets.eval.drift.columns: "
        "expected all or a list of column names; got 3 (an integer).",
    ),
    (
        DATASET + "    drift: {min_rows: 0}\n",
        "mlci.yml:6: datasets.eval.drift.min_rows: expected an integer >= 1; got 0.",
    ),
    # non-finite numbers
    (
        "name: m\ngates:\n  - {metric: auc, min: .nan}\n",
        "mlci.yml:3: gates[0].min: expected a number; got .nan (not a finite number).",
    ),
    (
        "name: m\ngates:\n  - {metric: auc, max: -.inf}\n",
        "mlci.yml:3: gates[0].max: expected a number; got -.inf (not a finite number).",
    ),
    (
        "name: m\ngates:\n  - {metric: auc, max_regression: {relative: .inf}}\n",
        "mlci.yml:3: gates[0].max_regression.relative: expected a number; got .inf "
        "(not a finite number).",
    ),
    (
        DATASET + "    drift: {numeric: {warn: .nan}}\n",
        "mlci.yml:6: datasets.eval.drift.numeric"
        ".warn: expected a number; got .nan (not a finite number).",
    ),
    # gates
    (
        "name: m\ngates:\n  - metric: auc\n",
        "mlci.yml:3: gates[0]: set at least one of 'min', "
        "'max', 'max_regression', 'min_improvement', 'max_improvement' or 'max_gap'; got none.",
    ),
    (
        "name: m\ngates:\n  - {min: 0.8}\n",
        "mlci.yml:3: gates[0]: missing required key 'metric' "
        "(the metric the rules apply to, e.g. metric: roc_auc).",
    ),
    (
        "name: m\ngates:\n  - {metric: a, max_regression: -0.01}\n",
        "mlci.yml:3: "
        "gates[0].max_regression: expected a number >= 0 (absolute) or a mapping with absolute "
        "and/or relative; got -0.01.",
    ),
    (
        "name: m\ngates:\n  - {metric: a, min_improvement: {}}\n",
        "mlci.yml:3: "
        "gates[0].min_improvement: set at least one of 'absolute' or 'relative'; got none.",
    ),
    (
        "name: m\ngates:\n  - {metric: a, max_improvement: {relativ: 0.1}}\n",
        "mlci.yml:3: gates[0].max_improvement.relativ: unknown key. Did you mean 'relative'?",
    ),
    (
        "name: m\ngates:\n  - {metric: a, min: 0.9, max: 0.8}\n",
        "mlci.yml:3: gates[0]: min (0.9) is greater than max (0.8); nothing can pass.",
    ),
    # model inputs
    (
        "name: m\nmodel:\n  task: binary\n",
        "mlci.yml:2: model: set exactly one of 'metrics_file', 'predictions', 'model', "
        "'dvc_metrics' or 'mlflow'; got none.",
    ),
    (
        "name: m\nmodel:\n  metrics_file: m.json\n",
        "mlci.yml:2: model: missing required key 'task' (binary, multiclass or regression).",
    ),
    (
        "name: m\nmodel:\n  task: binary\n  metrics_file: m.json\n  predictions: {path: p.csv}\n",
        "mlci.yml:2: model: set exactly one of 'metrics_file', 'predictions', 'model', "
        "'dvc_metrics' or 'mlflow'; got 'metrics_file' and 'predictions'.",
    ),
    (
        "name: m\nmodel:\n  task: binary\n  metric_file: m.json\n",
        "mlci.yml:4: model.metric_file: unknown key. Did you mean 'metrics_file'?",
    ),
    (
        DATASET + "model:\n  task: binary\n  model: {path: m.skops, data: evl, target: y}\n",
        "mlci.yml:8: model.model.data: unknown dataset 'evl'. Did you mean 'eval'?",
    ),
    (
        DATASET + "model:\n  task: binary\n  model: {path: m.skops, data: test, target: y}\n",
        "mlci.yml:8: model.model.data: unknown dataset 'test'. Defined datasets: train, eval.",
    ),
    (
        "name: m\nmodel:\n  task: binary\n  model: {path: m.skops, data: eval, target: y}\n",
        "mlci.yml:4: model.model.data: unknown dataset 'eval'. No dataset is defined; add it "
        "under `datasets:`.",
    ),
    (
        "name: m\nmodel:\n  task: binary\n  model: {path: m.skops, data: eval}\n",
        "mlci.yml:4: model.model: missing required key 'target' (the target column, e.g. "
        "target: label).",
    ),
    (
        "name: m\nmodel:\n  task: multiclass\n  predictions:\n    path: p.csv\n"
        "    y_proba: [a, b, c]\n    labels: [x, y]\n",
        "mlci.yml:7: model.predictions.labels: expected one label per y_proba column (3); got 2.",
    ),
    (
        "name: m\nmodel:\n  task: binary\n  metrics_file: m.json\n  directions: {auc: up}\n",
        "mlci.yml:5: model.directions.auc: expected one of 'higher', 'lower'; got 'up'.",
    ),
    # checks
    (
        DATASET + "    checks:\n      - {colum: age, type: integer}\n",
        "mlci.yml:7: datasets.eval.checks[0].colum: unknown key. Did you mean 'column'?",
    ),
    (
        DATASET + "    checks:\n      - {type: integer}\n",
        "mlci.yml:7: datasets.eval.checks[0]: "
        "set exactly one of 'column', 'row_count', 'unique_key', 'no_overlap_with', "
        "'no_duplicate_rows' or 'label'; got none.",
    ),
    (
        DATASET + "    checks:\n      - {column: a, row_count: {min: 1}}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0]: set exactly one of 'column', 'row_count', 'unique_key', "
        "'no_overlap_with', 'no_duplicate_rows' or 'label'; got 'column' and 'row_count'.",
    ),
    (
        DATASET + "    checks:\n      - age\n",
        "mlci.yml:7: datasets.eval.checks[0]: expected a mapping; got 'age' (a string).",
    ),
    (
        DATASET + "    checks:\n      - {column: a, type: int}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0].type: expected one of 'integer', 'number', 'string', 'boolean', "
        "'datetime', 'category'; got 'int'.",
    ),
    (
        DATASET + "    checks:\n      - {column: a, max_null_fraction: 1.5}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0].max_null_fraction: expected a number between 0 and 1; got 1.5.",
    ),
    (
        DATASET + "    checks:\n      - {column: a, min: 5, max: 1}\n",
        "mlci.yml:7: datasets.eval.checks[0]: min (5) is greater than max (1); nothing can pass.",
    ),
    (
        DATASET + "    checks:\n      - {column: a, allowed: [x, [y]]}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0].allowed[1]: expected a string, a number, true or false; "
        "got a list.",
    ),
    (
        DATASET + "    checks:\n      - {row_count: {min: 10, max: 5}}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0].row_count: min (10) is greater than max (5); nothing can pass.",
    ),
    (
        DATASET + "    checks:\n      - {row_count: {}}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0].row_count: set at least one of 'min', 'max' or 'max_change'; "
        "got none.",
    ),
    (
        DATASET + "    checks:\n      - {row_count: {min: 1.5}}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0].row_count.min: expected an integer; got 1.5 (a number).",
    ),
    (
        DATASET + "    checks:\n      - {unique_key: []}\n",
        "mlci.yml:7: datasets.eval.checks[0].unique_key: expected a non-empty list.",
    ),
    (
        DATASET + "    checks:\n      - {unique_key: [a], key: [b]}\n",
        "mlci.yml:7: datasets.eval.checks[0].key: unknown key. Allowed keys: severity, unique_key.",
    ),
    (
        DATASET + "    checks:\n      - {no_overlap_with: eval, key: [id]}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0].no_overlap_with: 'eval' is this check's own dataset; name "
        "another dataset.",
    ),
    (
        DATASET + "    checks:\n      - {no_overlap_with: trian, key: [id]}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0].no_overlap_with: unknown dataset 'trian'. Did you mean 'train'?",
    ),
    (
        DATASET + "    checks:\n      - {column: a, severity: fatal}\n",
        "mlci.yml:7: "
        "datasets.eval.checks[0].severity: expected one of 'error', 'warn'; got 'fatal'.",
    ),
    (
        DATASET + "    checks:\n      - {no_overlap_with: test}\n",
        "mlci.yml:7: datasets.eval.checks[0].no_overlap_with: unknown dataset 'test'. "
        "Defined datasets: train.",
    ),
    (
        "name: m\ndatasets:\n  eval:\n    path: e.csv\n    checks: [{no_overlap_with: train}]\n",
        "mlci.yml:5: datasets.eval.checks[0].no_overlap_with: unknown dataset 'train'. "
        "No other dataset is defined; add it under `datasets:`.",
    ),
    # drift thresholds
    (
        DATASET + "    drift: {numeric: {warn: 0.3}}\n",
        "mlci.yml:6: datasets.eval.drift.numeric: "
        "warn (0.3) is greater than fail (0.2, the default); expected warn <= fail.",
    ),
    (
        DATASET + "    drift: {null_rate: {warn: 0.5, fail: 0.4}}\n",
        "mlci.yml:6: "
        "datasets.eval.drift.null_rate: warn (0.5) is greater than fail (0.4); expected warn "
        "<= fail.",
    ),
    # baseline store
    (
        "name: m\nbaseline:\n  store: {type: dir}\n",
        "mlci.yml:3: baseline.store: missing required "
        "key 'path' (the records directory for type: dir, e.g. path: .mlci/records).",
    ),
    (
        "name: m\nbaseline:\n  store: {type: s3}\n",
        "mlci.yml:3: baseline.store.type: expected one of 'git', 'dir'; got 's3'.",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_error_messages(text: str, message: str) -> None:
    assert error_of(text) == message


def test_every_error_is_one_line() -> None:
    for text, _ in ERRORS:
        assert "\n" not in error_of(text)


def test_a_typo_is_reported_before_the_missing_key_it_causes() -> None:
    text = "name: m\ngates:\n  - metrc: auc\n    min: 0.5\n"
    assert error_of(text) == "mlci.yml:3: gates[0].metrc: unknown key. Did you mean 'metric'?"


def test_the_earliest_problem_is_reported_first() -> None:
    text = "name: m\nstats: {seed: x}\nreport: {comment: 1}\n"
    assert error_of(text) == "mlci.yml:2: stats.seed: expected an integer; got 'x' (a string)."


def test_line_numbers_follow_comments_and_blank_lines() -> None:
    text = "# mlci\n\nname: m   # the name\n\n\nstats:\n  # why\n\n  seed: x\n"
    assert error_of(text) == "mlci.yml:9: stats.seed: expected an integer; got 'x' (a string)."


def test_json_schema_round_trip_of_the_raw_document() -> None:
    """``raw`` is plain JSON data: what the schema validated is what gets hashed."""
    config = load(DESIGN_EXAMPLE)
    assert json.loads(json.dumps(config.raw)) == config.raw


# --- slices and budgets --------------------------------------------------------------------


MODEL_FILE = (
    "datasets: {eval: {path: e.csv}}\nmodel:\n  task: binary\n"
    "  model: {path: m.skops, data: eval, target: y}\n"
)


def test_slices_and_slice_gates() -> None:
    config = load(
        "name: m\n" + MODEL_FILE + "  slices: [[plan], [plan, country]]\n  min_slice_size: 50\n"
        "gates:\n"
        "  - {metric: recall, slice: [plan], slices: worst, max_regression: 0.02, max_gap: 0.1}\n"
    )
    assert config.model is not None
    assert config.model.slices == (("plan",), ("plan", "country"))
    assert config.model.min_slice_size == 50
    assert config.gates == (
        GateConfig(
            metric="recall",
            slice=("plan",),
            slices="worst",
            max_regression=Margin(absolute=0.02),
            max_gap=0.1,
        ),
    )
    defaults = load("name: m\n" + MODEL_FILE)
    assert defaults.model is not None
    assert (defaults.model.slices, defaults.model.min_slice_size) == ((), 30)
    assert GateConfig("f1").slices == "every"


def test_budgets() -> None:
    config = load(
        "name: m\n" + MODEL_FILE + "budgets:\n"
        "  model_size_mb: {max: 50}\n"
        "  latency_p95_ms: {max: 20, max_regression: {relative: 0.1}, severity: warn}\n"
        "  batch_latency_p95_ms: {min_improvement: 1}\n"
        "  peak_memory_mb: {}\n"
        "  batch_size: 500\n  repeats: 40\n  warmup: 0\n"
    )
    assert config.budgets == BudgetsConfig(
        model_size_mb=BudgetRule(max=50.0),
        latency_p95_ms=BudgetRule(max=20.0, max_regression=Margin(relative=0.1), severity="warn"),
        batch_latency_p95_ms=BudgetRule(min_improvement=Margin(absolute=1.0)),
        peak_memory_mb=BudgetRule(),
        batch_size=500,
        repeats=40,
        warmup=0,
    )
    assert type(config.budgets.model_size_mb.max) is float  # type: ignore[union-attr]
    minimal = load("name: m\n" + MODEL_FILE + "budgets: {model_size_mb: {max: 1}}\n")
    assert minimal.budgets == BudgetsConfig(model_size_mb=BudgetRule(max=1.0))
    assert (minimal.budgets.batch_size, minimal.budgets.repeats, minimal.budgets.warmup) == (
        1000,
        30,
        3,
    )  # type: ignore[union-attr]
    assert load("name: m\n" + MODEL_FILE).budgets is None


@pytest.mark.parametrize(("where", "cls"), [("budgets", BudgetsConfig), ("budget", BudgetRule)])
def test_budget_schema_keys_are_the_dataclass_fields(where: str, cls: type) -> None:
    schema = dict(packaged_schema("config.schema.json"))
    assert set(schema["$defs"][where]["properties"]) == _fields(cls)


PREDICTIONS = "model:\n  task: binary\n  predictions: {path: p.csv}\n"

SLICE_AND_BUDGET_ERRORS = [
    (
        "name: m\nmodel:\n  task: binary\n  metrics_file: m.json\n  slices: [[plan]]\n",
        "mlci.yml:5: model.slices: slices need per-example predictions: use "
        "`model.predictions`, `model.model` or `model.mlflow.model` (a metrics file or run has "
        "only overall metrics).",
    ),
    (
        "name: m\n" + PREDICTIONS + "  slices: [plan, country]\n",
        "mlci.yml:5: model.slices[0]: expected a list of column names, e.g. [plan] (slices is a "
        "list of such lists); got 'plan' (a string).",
    ),
    (
        "name: m\n" + PREDICTIONS + "gates:\n  - {metric: recall, max_gap: 0.1}\n",
        "mlci.yml:6: gates[0].max_gap: applies to slices; add `slice: [column, ...]` to the gate.",
    ),
    (
        "name: m\n" + PREDICTIONS + "gates:\n  - {metric: recall, slices: worst, min: 0.5}\n",
        "mlci.yml:6: gates[0].slices: applies to slices; add `slice: [column, ...]` to the gate.",
    ),
    (
        "name: m\n"
        + PREDICTIONS
        + "gates:\n  - {metric: recall, slice: [plan], slices: best, min: 0}\n",
        "mlci.yml:6: gates[0].slices: expected one of 'every', 'worst'; got 'best'.",
    ),
    (
        "name: m\n" + PREDICTIONS + "budgets: {model_size_mb: {max: 1}}\n",
        "mlci.yml:5: budgets: budgets are measured on a model: set `model.model` or "
        "`model.mlflow.model` (they do not apply to `model.metrics_file`, `model.predictions` "
        "or an MLflow `run`).",
    ),
    (
        "name: m\n" + MODEL_FILE + "budgets: {latency_p59_ms: {max: 1}}\n",
        "mlci.yml:6: budgets.latency_p59_ms: unknown key. Did you mean 'latency_p95_ms'?",
    ),
    (
        "name: m\n" + MODEL_FILE + "budgets: {repeats: 30}\n",
        "mlci.yml:6: budgets: set at least one of 'model_size_mb', 'latency_p95_ms', "
        "'batch_latency_p95_ms' or 'peak_memory_mb'; got none.",
    ),
    (
        "name: m\n" + MODEL_FILE + "budgets: {model_size_mb: {max: 1}, repeats: 2}\n",
        "mlci.yml:6: budgets.repeats: expected an integer between 5 and 100000; got 2.",
    ),
    (
        "name: m\n" + MODEL_FILE + "budgets: {model_size_mb: {min: 1}}\n",
        "mlci.yml:6: budgets.model_size_mb.min: unknown key. Allowed keys: max, max_regression, "
        "min_improvement, severity.",
    ),
]


@pytest.mark.parametrize(("text", "message"), SLICE_AND_BUDGET_ERRORS)
def test_slice_and_budget_error_messages(text: str, message: str) -> None:
    assert error_of(text) == message


# --- data checks and drift settings added for data validation at scale ---------------------

NEW_CHECKS = [
    {"column": "code", "pattern": "^[A-Z]{3}-[0-9]+$", "min_length": 5, "max_length": 12},
    {"column": "day", "date_format": "%Y-%m-%d", "not_constant": True, "not_empty": True},
    {"column": "n", "type": "integer", "dtype": "int32"},
    {"row_count": {"min": 10, "max": 1000, "max_change": 0.2}},
    {"row_count": {"max_change": 0.5}, "severity": "warn"},
    {"no_duplicate_rows": True},
    {"no_duplicate_rows": False, "severity": "warn"},
    {"label": "churned", "min_class_share": 0.05, "new_labels": "error"},
    {"label": "churned", "new_labels": "warn", "severity": "warn"},
    {"label": "churned"},  # new labels warn by default
]


@pytest.mark.parametrize("check", NEW_CHECKS)
def test_new_check_keys_load(check: dict[str, Any]) -> None:
    config = load(DATASET + f"    checks: [{json.dumps(check)}]\n")
    assert config.datasets["eval"].checks == (check,)


def test_drift_overrides_waivers_and_new_scores() -> None:
    config = load(
        DATASET
        + "    drift:\n"
        + "      numeric: {warn: 0.15}\n"
        + "      proportion: {fail: 0.6}\n"
        + "      unseen: {warn: 0.1, fail: 0.4}\n"
        + "      cardinality: {warn: 0.2}\n"
        + "      alpha: 0.01\n"
        + "      waive: [id]\n"
        + "      overrides:\n"
        + "        age: {numeric: {fail: 0.5}, null_rate: {warn: 0.2, fail: 0.4}}\n"
    )
    drift = config.datasets["eval"].drift
    assert drift == DriftConfig(
        numeric=Thresholds(0.15, 0.2),
        proportion=Thresholds(0.2, 0.6),
        unseen=Thresholds(0.1, 0.4),
        cardinality=Thresholds(0.2, 0.25),
        alpha=0.01,
        waive=("id",),
        overrides={
            "age": DriftOverride(numeric=Thresholds(0.15, 0.5), null_rate=Thresholds(0.2, 0.4))
        },
    )
    # an override inherits the dataset's threshold it does not set (warn 0.15 above)
    assert drift.thresholds("age", "numeric") == Thresholds(0.15, 0.5)
    assert drift.thresholds("other", "numeric") == Thresholds(0.15, 0.2)
    assert drift.thresholds("age", "categorical") == Thresholds(0.1, 0.2)


NEW_ERRORS = [
    (
        DATASET + "    checks: [{column: c, pattern: '[a-'}]\n",
        "mlci.yml:6: datasets.eval.checks[0].pattern: '[a-' is not a valid regular expression "
        "(unterminated character set at position 0); expected a Python regex such as "
        "'^[A-Z]{3}-[0-9]+$'.",
    ),
    (
        DATASET + "    checks: [{column: c, date_format: 'YYYY-MM-DD'}]\n",
        "mlci.yml:6: datasets.eval.checks[0].date_format: 'YYYY-MM-DD' has no % directive; "
        "expected a strftime format such as '%Y-%m-%d'.",
    ),
    (
        DATASET + "    checks: [{column: c, min_length: 5, max_length: 2}]\n",
        "mlci.yml:6: datasets.eval.checks[0]: min_length (5) is greater than max_length (2); "
        "nothing can pass.",
    ),
    (
        DATASET + "    checks: [{column: c, min_length: -1}]\n",
        "mlci.yml:6: datasets.eval.checks[0].min_length: expected an integer >= 0; got -1.",
    ),
    (
        DATASET + "    checks: [{label: y, new_labels: maybe}]\n",
        "mlci.yml:6: datasets.eval.checks[0].new_labels: expected one of 'error', 'warn'; "
        "got 'maybe'.",
    ),
    (
        DATASET + "    checks: [{no_duplicate_rows: yes}]\n",
        "mlci.yml:6: datasets.eval.checks[0].no_duplicate_rows: expected true or false; got "
        "'yes' (a string).",
    ),
    (
        DATASET + "    drift: {overrides: {age: {numeric: {warn: 0.5, fail: 0.3}}}}\n",
        "mlci.yml:6: datasets.eval.drift.overrides.age.numeric: warn (0.5) is greater than fail "
        "(0.3); expected warn <= fail.",
    ),
    (
        DATASET + "    drift: {overrides: {age: {numerc: {warn: 0.5}}}}\n",
        "mlci.yml:6: datasets.eval.drift.overrides.age.numerc: unknown key. Did you mean "
        "'numeric'?",
    ),
    (
        DATASET + "    drift: {alpha: 0}\n",
        "mlci.yml:6: datasets.eval.drift.alpha: expected a number > 0 and <= 0.5; got 0.",
    ),
]


@pytest.mark.parametrize(("text", "message"), NEW_ERRORS)
def test_new_key_errors(text: str, message: str) -> None:
    assert error_of(text) == message


# --- the monitor section ------------------------------------------------------------------------

MONITORED = """\
name: m
datasets:
  eval: {path: data/eval.csv}
  train: {path: data/train.csv}
model:
  task: binary
  predictions: {path: preds.csv, y_score: y_score}
"""


def test_monitor_section_paths_ids_and_defaults(in_tmp: Path) -> None:
    config = load(
        MONITORED
        + """\
monitor:
  data:
    eval: {path: logs/requests/}
    train: {path: "logs/train-*.parquet", format: parquet}
  predictions: {data: eval, id: request_id, y_score: score}
  labels: {path: logs/labels.csv, y_true: churned}
  issue: {labels: [mlci-monitor]}
"""
    )
    assert config.monitor == MonitorConfig(
        data={
            "eval": MonitorDataConfig("eval", in_tmp / "logs" / "requests"),
            "train": MonitorDataConfig("train", in_tmp / "logs" / "train-*.parquet", "parquet"),
        },
        predictions=MonitorPredictionsConfig("eval", "request_id", y_score="score"),
        labels=MonitorLabelsConfig(in_tmp / "logs" / "labels.csv", "request_id", "churned"),
        drift_severity="error",
        issue_labels=("mlci-monitor",),
    )
    assert load(MONITORED).monitor is None


def test_monitored_predictions_default_to_the_only_monitored_dataset(in_tmp: Path) -> None:
    config = load(MONITORED + "monitor: {data: {eval: {path: logs/}}, predictions: {id: rid}}\n")
    assert config.monitor is not None and config.monitor.predictions is not None
    assert config.monitor.predictions.data == "eval"
    assert config.monitor.labels is None


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "monitor: {data: {evl: {path: logs/}}}",
            "mlci.yml:8: monitor.data.evl: unknown dataset 'evl'. Did you mean 'eval'?",
        ),
        (
            "monitor: {data: {eval: {path: a/}, train: {path: b/}}, predictions: {id: rid}}",
            "mlci.yml:8: monitor.predictions: several datasets are monitored (eval, train): set "
            "`data` to the one whose rows hold the outputs",
        ),
        (
            "monitor: {data: {eval: {path: a/}}, predictions: {data: evl, id: rid}}",
            "mlci.yml:8: monitor.predictions.data: 'evl' is not a key of monitor.data. Did you "
            "mean 'eval'?",
        ),
        (
            "monitor: {data: {eval: {path: a/}}, labels: {path: l.csv, id: rid}}",
            "mlci.yml:8: monitor.labels: labels are joined with the served outputs: add "
            "`monitor.predictions` (its `id` and the output columns)",
        ),
        ("monitor: {data: {}}", "monitor.data"),
        ("monitor: {data: {eval: {path: ../outside/}}}", "must resolve inside the repository"),
    ],
)
def test_monitor_section_errors(section: str, message: str) -> None:
    assert message in error_of(MONITORED + section + "\n")


def test_monitored_predictions_need_a_model(in_tmp: Path) -> None:
    text = "name: m\ndatasets: {eval: {path: e.csv}}\n"
    text += "monitor: {data: {eval: {path: a/}}, predictions: {id: rid}}\n"
    assert "monitor.predictions: the served outputs are scored for `model.task`" in error_of(text)


def test_dvc_params_defaults_to_the_dvc_metrics_file_and_stands_beside_any_source() -> None:
    here = Path.cwd()
    cfg = load("name: m\nmodel: {task: binary, dvc_metrics: pipelines/dvc.yaml}\n").model
    assert cfg is not None and cfg.dvc_params == here / "pipelines" / "dvc.yaml"
    cfg = load("name: m\nmodel: {task: binary, dvc_metrics: true, dvc_params: false}\n").model
    assert cfg is not None and (cfg.dvc_metrics, cfg.dvc_params) == (here / "dvc.yaml", None)
    cfg = load("name: m\nmodel: {task: binary, metrics_file: m.json, dvc_params: true}\n").model
    assert cfg is not None and cfg.dvc_params == here / "dvc.yaml"
    cfg = load("name: m\nmodel: {task: binary, metrics_file: m.json}\n").model
    assert cfg is not None and cfg.dvc_params is None
    assert "model.dvc_params" in error_of(
        "name: m\nmodel: {task: binary, metrics_file: m.json, dvc_params: 3}\n"
    )


@pytest.mark.parametrize(
    ("mlflow", "message"),
    [
        (
            "{run: 'models:/m@a', data: eval}",
            "mlci.yml:5: model.mlflow.data: applies to an MLflow `model`, not a `run`.",
        ),
        (
            "{model: 'models:/m@a', target: y, allow_unsafe_pickle: true}",
            "mlci.yml:5: model.mlflow: `model` needs `data` (the dataset it predicts).",
        ),
        (
            "{model: 'models:/m@a', data: evl, target: y, allow_unsafe_pickle: true}",
            "mlci.yml:5: model.mlflow.data: unknown dataset 'evl'. Did you mean 'eval'?",
        ),
        ("{run: 'models:/m@a', model: 'models:/m@a'}", "model.mlflow: set exactly one of"),
        ("{model: 's3://bucket/m', data: eval, target: y}", "expected an MLflow model URI"),
    ],
)
def test_an_mlflow_model_is_configured_apart_from_a_run(mlflow: str, message: str) -> None:
    datasets = "datasets: {eval: {path: e.csv}}\n"
    assert message in error_of(f"name: m\n{datasets}model:\n  task: binary\n  mlflow: {mlflow}\n")


def test_an_mlflow_model_predicts_its_dataset() -> None:
    cfg = load(
        "name: m\ndatasets: {eval: {path: e.csv}}\nmodel:\n  task: binary\n  slices: [[plan]]\n"
        "  mlflow: {model: 'models:/churn@champion', data: eval, target: y, id: uid,\n"
        "           features: [a, b], allow_unsafe_pickle: true}\n"
    ).model
    assert cfg is not None and cfg.mlflow is not None
    assert (cfg.mlflow.run, cfg.mlflow.named) == (None, "models:/churn@champion")
    scored = cfg.scored()
    assert scored is not None
    assert (scored.data, scored.target, scored.id, scored.features) == (
        "eval",
        "y",
        "uid",
        ("a", "b"),
    )
    assert scored.allow_unsafe_pickle is True
