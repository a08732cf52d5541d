"""`mlci evaluate`: the model stage alone: compute and print the model's metrics."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from mlci.config import load_config
from mlci.errors import EXIT_PASS, MlciError
from mlci.model.evaluate import evaluate
from mlci.pipeline import evaluation_frames
from mlci.userenv import conceal_from_proc, tokens_in
from mlci.vocab import fmt_value


def evaluate_command(
    config_path: Path, *, as_json: bool = False, environ: Mapping[str, str], stdout: TextIO
) -> int:
    """`mlci evaluate`: print each metric (``as_json``: one JSON object); exit 0."""
    # code run for the user (a pickled model) must not read a token in /proc/<mlci>/environ
    conceal_from_proc(tokens_in(environ))
    config = load_config(config_path)
    if config.model is None:
        raise MlciError(f"{config.path.name}: no `model` configured: nothing to evaluate.")
    evaluation = evaluate(config.model, evaluation_frames(config))
    if as_json:
        print(json.dumps(evaluation.metrics, indent=2, sort_keys=True), file=stdout)
    else:
        for name, value in evaluation.metrics.items():
            print(f"{name:<24} {fmt_value(value)}", file=stdout)
    return EXIT_PASS
