"""MLflow as a model source (``model.mlflow``): the metrics of a run, and the verdict written
back to it as tags. Needs the optional extra ``mlci[mlflow]`` (mlflow-skinny).

The run is named by its id, ``runs:/<run_id>/...``, ``models:/<name>@<alias>`` or
``models:/<name>/<version>`` (a registered model version: its source run). With ``model``
instead of ``run``, the model's files are downloaded (:func:`download_model`) and it is loaded
as a pyfunc in the credential-free child process of :mod:`mlci.model.isolate`, then scored on
the evaluation dataset like a local model file; tags go to its source run. The tracking URI is
``model.mlflow.tracking_uri`` if set, else MLflow's own default (``MLFLOW_TRACKING_URI``). The
run's metrics are its latest values, under their MLflow names.

After ``mlci run`` the run gets the tags ``mlci.verdict`` (pass or fail), ``mlci.commit`` (the
commit evaluated) and ``mlci.report`` (where the report is: the Actions run's URL in GitHub
Actions, else the report.json path). With ``release_alias``, ``mlci release`` sets that alias
on the registered model version ``run`` names once the release gates pass ("blessing"), never
when they refuse.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.config import MlflowConfig
from mlci.errors import MlciError, ModelError

if TYPE_CHECKING:
    from mlflow import MlflowClient

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_RUNS = re.compile(r"^runs:/([^/]+)(/.*)?$")
_ALIAS = re.compile(r"^models:/([^/@]+)@([^/]+)$")
_VERSION = re.compile(r"^models:/([^/@]+)/(\d+)$")
EXTRA = "MLflow support needs the extra: pip install 'mlci[mlflow]'"
# what MLflow sends to the tracking server on its own, read from the process's environment
CREDENTIALS = (
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_USERNAME",
    "DATABRICKS_TOKEN",
)


def tracking_uri(cfg: MlflowConfig, environ: Mapping[str, str] | None = None) -> str | None:
    """The configured tracking URI, refused when MLflow credentials are in the environment and
    it names another server than ``MLFLOW_TRACKING_URI``: mlci.yml is a file a pull request
    controls, and MLflow would send those credentials to whatever server it names."""
    env = os.environ if environ is None else environ
    uri = cfg.tracking_uri
    held = [name for name in CREDENTIALS if env.get(name)]
    if uri is None or not held or uri == env.get("MLFLOW_TRACKING_URI"):
        return uri
    raise ModelError(
        f"model.mlflow.tracking_uri: {uri} is not MLFLOW_TRACKING_URI, and {held[0]} is set: "
        "mlci does not send MLflow credentials to a server a change to mlci.yml can name. Set "
        "the server in the workflow's MLFLOW_TRACKING_URI and remove tracking_uri."
    )


def client(cfg: MlflowConfig) -> MlflowClient:
    """A client of the configured tracking store (and its model registry)."""
    try:
        from mlflow import MlflowClient  # optional extra, heavy
    except ImportError:
        raise MlciError(f"model.mlflow: {EXTRA}.") from None
    uri = tracking_uri(cfg)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def resolve_run_id(cfg: MlflowConfig, mlflow: MlflowClient) -> str:
    """The id of the run ``cfg.run`` (or ``cfg.model``) names (a registered model version: its
    source run)."""
    name, key = cfg.named, _key(cfg)
    if _RUN_ID.match(name):
        return name
    runs = _RUNS.match(name)
    if runs:
        return runs.group(1)
    alias, version = _ALIAS.match(name), _VERSION.match(name)
    if not (alias or version):
        raise ModelError(
            f"{key}: {name!r} names no run; expected a run id, runs:/<run_id>, "
            "models:/<name>@<alias> or models:/<name>/<version>."
        )
    try:
        if alias:
            found = mlflow.get_model_version_by_alias(alias.group(1), alias.group(2))
        else:
            assert version is not None
            found = mlflow.get_model_version(version.group(1), version.group(2))
    except Exception as exc:  # MlflowException, or the store unreachable
        raise ModelError(f"{key}: {name}: {_reason(exc)}") from None
    if not found.run_id:
        raise ModelError(f"{key}: {name} was registered without a run.")
    return str(found.run_id)


def run_metrics(cfg: MlflowConfig) -> dict[str, float]:
    """The latest value of every metric of the run ``cfg.run`` names."""
    mlflow = client(cfg)
    run_id = resolve_run_id(cfg, mlflow)
    try:
        metrics: Mapping[str, Any] = mlflow.get_run(run_id).data.metrics
    except Exception as exc:
        raise ModelError(f"model.mlflow.run: run {run_id}: {_reason(exc)}") from None
    if not metrics:
        raise ModelError(f"model.mlflow.run: run {run_id} has no metrics logged.")
    return {name: float(value) for name, value in metrics.items()}


def tag_run(cfg: MlflowConfig, *, verdict: str, commit: str, report: str) -> str:
    """Write the verdict back to the run as tags; returns the run id."""
    mlflow = client(cfg)
    run_id = resolve_run_id(cfg, mlflow)
    tags = {"mlci.verdict": verdict, "mlci.commit": commit, "mlci.report": report}
    try:
        for key, value in tags.items():
            mlflow.set_tag(run_id, key, value)
    except Exception as exc:
        raise MlciError(f"Could not tag MLflow run {run_id}: {_reason(exc)}") from None
    return run_id


def bless(cfg: MlflowConfig, alias: str) -> tuple[str, str]:
    """Point ``alias`` of the registered model ``cfg.run`` names at its version; returns
    ``(model name, version)``. Only a registered model version can be blessed."""
    alias_match, version_match = _ALIAS.match(cfg.named), _VERSION.match(cfg.named)
    if not (alias_match or version_match):
        raise MlciError(
            f"model.mlflow.release_alias: {cfg.named} is not a registered model; name one as "
            f"models:/<name>@<alias> or models:/<name>/<version> in {_key(cfg)}."
        )
    mlflow = client(cfg)
    try:
        if alias_match:
            name = alias_match.group(1)
            version = str(mlflow.get_model_version_by_alias(name, alias_match.group(2)).version)
        else:
            assert version_match is not None
            name, version = version_match.group(1), version_match.group(2)
        mlflow.set_registered_model_alias(name, alias, version)
    except Exception as exc:
        raise MlciError(
            f"Could not set the MLflow alias {alias} on {cfg.named}: {_reason(exc)}"
        ) from None
    return name, version


def download_model(cfg: MlflowConfig, folder: Path) -> Path:
    """The files of the model ``cfg.model`` names, downloaded into ``folder`` (nothing of the
    model runs here); the directory that holds its ``MLmodel``."""
    try:
        from mlflow.artifacts import download_artifacts  # optional extra, heavy
    except ImportError:
        raise MlciError(f"model.mlflow: {EXTRA}.") from None
    uri = cfg.model or ""
    alias, version = _ALIAS.match(uri), _VERSION.match(uri)
    server = tracking_uri(cfg)
    try:
        source = uri
        if alias or version:  # a registered version: where the registry says its files are
            mlflow = client(cfg)
            if alias:
                found = mlflow.get_model_version_by_alias(alias.group(1), alias.group(2))
            else:
                assert version is not None
                found = mlflow.get_model_version(version.group(1), version.group(2))
            source = mlflow.get_model_version_download_uri(found.name, found.version)
        local = download_artifacts(source, dst_path=str(folder), tracking_uri=server)
    except Exception as exc:  # MlflowException, the store or the artifact store unreachable
        raise ModelError(f"model.mlflow.model: {uri}: {_reason(exc)}") from None
    if not (Path(local) / "MLmodel").is_file():
        raise ModelError(f"model.mlflow.model: {uri} is not an MLflow model (it has no MLmodel).")
    return Path(local)


def _key(cfg: MlflowConfig) -> str:
    return "model.mlflow.run" if cfg.run else "model.mlflow.model"


def _reason(exc: Exception) -> str:
    """The first line of MLflow's message, without its trailing documentation links."""
    text = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__).rstrip(".") + "."
