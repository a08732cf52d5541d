"""The `mlci` command line: parse arguments and dispatch; nothing else happens here.

Exit codes: 0 passed, 1 a blocking gate failed, 2 bad input/usage/config (one message, no
traceback), 3 an unexpected internal error (details written to a log file, with a pointer).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeAlias

from mlci import __version__
from mlci.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, MlciError
from mlci.jobs import parse_jobs
from mlci.paths import find_config

ISSUES_URL = "https://github.com/mlci-dev/mlci/issues"
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell shows for `git log | head -1`

# What `mlci COMMAND --help` says above its options; the one-line `help=` of each command is
# what `mlci --help` lists.
DESCRIPTIONS = {
    "mlci run": "Run the whole pipeline on this commit: read and check the data, compute the "
    "model's metrics, compare both with the baseline record (the merge base's on a PR branch), "
    "judge the gates, and write report.md, report.json, report.html and record.json. On the "
    "baseline branch the commit's record is stored; in GitHub Actions the PR comment, the "
    "commit status and the job summary are posted; in a GitLab merge request pipeline with "
    "MLCI_GITLAB_TOKEN set, the merge request note. Exit 0 passed, 1 a blocking gate failed.",
    "mlci validate": "Only the data stage: profile every dataset of the config, run its "
    "checks, and compare its profile with the baseline record's (drift). Nothing is stored.",
    "mlci evaluate": "Only the model stage: compute the config's metrics from its metrics "
    "file, predictions file or model, and print them. No baseline, no gates.",
    "mlci record": "The records store (by default the mlci-records branch): save a record "
    "file, show the record of a commit, or list the stored records.",
    "mlci record save": "Store a record file written by `mlci run` (mlci-out/record.json) "
    "for its commit, e.g. one made in another job.",
    "mlci record show": "Print the stored record of a commit as JSON.",
    "mlci record list": "List the stored records of this config's name (or of every name).",
    "mlci release": "Re-check a release tag's record in strict mode against the last "
    "release, then build the bundle, publish the GitHub Release and run the deploy command.",
    "mlci publish": "Judge a report made by another job (a fork's pull request) with the "
    "gates of this checkout's config, then post the PR comment and the commit status. It "
    "never runs the report's code.",
    "mlci init": "Add mlci to this git repository: write mlci.yml, a data schema file per "
    "DATA file (inferred from the data, for review) and the workflow files. Existing files "
    "are never overwritten without --force: the command shows how they would change.",
    "mlci schema": "Data schema files: infer one from a data file.",
    "mlci schema infer": "Infer the expected columns, types, ranges and allowed values from "
    "DATA, and write them as a schema file (or show how it differs from the existing one).",
    "mlci profile": "Write a dataset's mergeable profile (JSON): counts, nulls, moments, "
    "quantile and distinct-count sketches, top values. Profiles of shards merge exactly: "
    "`mlci profile merge A.json B.json ...`.",
    "mlci profile merge": "Merge the profiles of a dataset's shards (written by `mlci profile` "
    "in matrix jobs, Spark or Dask) into the profile of the whole dataset.",
    "mlci monitor": "Check production data (a file, a folder of partitions or a glob, or "
    "profiles computed elsewhere) against the live release's profile, and, with delayed "
    "labels, the served model's metrics against the release's with intervals. Appends a "
    "monitor record and, in GitHub Actions, keeps one monitoring issue open while a threshold "
    "is crossed. Exit 0 within thresholds, 1 a fail threshold crossed.",
    "mlci rollback": "Re-deploy an earlier published release: download its assets, verify "
    "them against its SHA256SUMS (a mismatch or an extra file refuses, nothing deployed), run "
    "release.deploy and record a new GitHub Deployment that replaces the live one.",
    "mlci metrics": "Write the OpenMetrics text (for Prometheus: the node_exporter textfile "
    "collector or a Pushgateway) of a report.json or monitor.json: metrics, deltas, "
    "intervals, drift scores, check counts and the verdict.",
    "mlci demo": "Build a bundled example project in a temporary git repository, record its "
    "baseline on main, open a pull request branch with a realistic change, and show the "
    "verdict and the PR comment mlci would post. Offline; nothing outside the project is "
    "touched.",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors become MlciError (exit 2, one line) instead of SystemExit,
    and each command's description comes from DESCRIPTIONS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.description is None:
            self.description = DESCRIPTIONS.get(self.prog)

    def error(self, message: str) -> NoReturn:
        raise MlciError(f"{message}. See `{self.prog} --help`.")


class _Version(argparse.Action):
    """``--version``: the line is worked out only when asked for (it reads the installed
    distribution's metadata, about 30 ms that every other command would pay)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from mlci.installed import describe  # importlib.metadata: only for this line

        print(describe(), file=sys.stdout)  # on stdout, as argparse's own version action
        parser.exit()


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mlci",
        description="CI/CD for machine learning: check data and model against the baseline "
        "recorded on main, gate the merge, report.",
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in (
        _add_run,
        _add_validate,
        _add_evaluate,
        _add_record,
        _add_release,
        _add_publish,
        _add_init,
        _add_schema,
        _add_profile,
        _add_monitor,
        _add_rollback,
        _add_metrics,
        _add_demo,
    ):
        add(sub)
    return parser


Subparsers: TypeAlias = "argparse._SubParsersAction[_Parser]"


def _add_run(sub: Subparsers) -> None:
    run = sub.add_parser("run", help="the whole pipeline: data, model, baseline, gates, report")
    _add_config(run)
    run.add_argument(
        "--output-dir",
        type=Path,
        default=Path("mlci-out"),
        help="where report.md, report.json, report.html and record.json go (default: mlci-out)",
    )
    run.add_argument(
        "--no-store",
        action="store_true",
        help="on the baseline branch, do not store the commit's record",
    )
    run.add_argument(
        "--push",
        action="store_true",
        help="outside GitHub Actions, also push the stored record to the records branch's "
        "remote (default: keep it in the local branch; in Actions, a push to the baseline "
        "branch always pushes it). A record is stored only when the tracked files match the "
        "commit",
    )
    run.add_argument(
        "--commit",
        help="the commit being evaluated (default: HEAD, or the commit GitLab CI, Jenkins, "
        "CircleCI, Buildkite, Azure Pipelines or Bitbucket names)",
    )
    run.add_argument(
        "--branch",
        help="the branch being evaluated (default: the one the CI names, else the checked-out "
        "one); outside GitHub Actions, the baseline branch stores its record, never in a merge "
        "or pull request pipeline. In Actions the event decides: only a push to the baseline "
        "branch stores",
    )
    run.add_argument(
        "--no-comment",
        action="store_true",
        help="do not post or edit the PR comment (GitHub Actions) or merge request note (GitLab)",
    )
    run.add_argument(
        "--no-fail-on-gate",
        action="store_true",
        help="exit 0 even when a gate fails (the verdict is still reported)",
    )
    run.add_argument(
        "--no-html", action="store_true", help="do not write report.html and its figures (faster)"
    )
    run.add_argument(
        "--junit",
        type=Path,
        metavar="PATH",
        help="also write the gates and data checks as JUnit XML to PATH",
    )
    _add_openmetrics(run)
    _add_jobs(run)
    _add_quiet(run)


def _add_validate(sub: Subparsers) -> None:
    validate = sub.add_parser("validate", help="the data stage only: checks and drift")
    _add_config(validate)
    validate.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help="compare with the profiles in a record.json (or a file written "
        "by --save-profiles) instead of the baseline record",
    )
    validate.add_argument(
        "--save-profiles",
        type=Path,
        metavar="FILE",
        help="write the datasets' profiles to FILE (JSON, by dataset name)",
    )
    validate.add_argument(
        "--output-dir",
        type=Path,
        default=Path("mlci-out"),
        help="where report.json goes (default: mlci-out)",
    )
    validate.add_argument(
        "--junit",
        type=Path,
        metavar="PATH",
        help="also write the data checks as JUnit XML to PATH",
    )
    _add_jobs(validate)
    _add_quiet(validate)


def _add_evaluate(sub: Subparsers) -> None:
    evaluate = sub.add_parser("evaluate", help="the model stage only: print the metrics")
    _add_config(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")


def _add_record(sub: Subparsers) -> None:
    record = sub.add_parser("record", help="save, show or list stored records")
    record_sub = record.add_subparsers(
        dest="record_command", metavar="ACTION", parser_class=_Parser
    )
    record_sub.required = True
    save = record_sub.add_parser("save", help="store a record file (e.g. mlci-out/record.json)")
    _add_config(save)
    save.add_argument(
        "record_file",
        type=Path,
        metavar="RECORD_FILE",
        help="the record to store: a record.json written by `mlci run` (for its own commit)",
    )
    save.add_argument(
        "--push",
        action="store_true",
        help="outside GitHub Actions, also push it to the records branch's remote (default: "
        "the local branch only)",
    )
    show = record_sub.add_parser("show", help="print the record of a commit")
    _add_config(show)
    show.add_argument("commit", nargs="?", default="HEAD", help="a commit (default: HEAD)")
    lst = record_sub.add_parser("list", help="list the stored records")
    _add_config(lst)
    lst.add_argument("--all", action="store_true", help="records of every config name")


def _add_release(sub: Subparsers) -> None:
    release = sub.add_parser(
        "release",
        help="re-check a release tag in strict mode, then publish the GitHub Release and deploy",
    )
    _add_config(release)
    release.add_argument(
        "--output-dir",
        type=Path,
        default=Path("mlci-out"),
        help="where the bundle (bundle/) and release.json go (default: mlci-out)",
    )
    release.add_argument(
        "--tag",
        help="the tag to release (default: the pushed tag in GitHub Actions, from GITHUB_REF)",
    )
    release.add_argument(
        "--bootstrap",
        action="store_true",
        help="allow the first release, with no earlier release to compare "
        "with (change rules are skipped; also MLCI_RELEASE_BOOTSTRAP=true)",
    )
    release.add_argument(
        "--dry-run",
        action="store_true",
        help="write the bundle and print what would be sent and run; no API "
        "call, no record stored, no deploy",
    )
    _add_openmetrics(release)


def _add_publish(sub: Subparsers) -> None:
    publish = sub.add_parser(
        "publish", help="judge a report made by another job with this config, and post it (forks)"
    )
    publish.add_argument(
        "--report-dir",
        type=Path,
        required=True,
        help="the downloaded report directory (report.json, pull-request.json), or a directory "
        "of such directories (one per config)",
    )
    publish.add_argument(
        "--config",
        "-c",
        type=Path,
        action="append",
        dest="configs",
        metavar="CONFIG",
        help="a config of the default branch's checkout whose gates judge the report; repeat "
        "for several configs (default: mlci.yml)",
    )


def _add_demo(sub: Subparsers) -> None:
    demo = sub.add_parser("demo", help="run mlci on a bundled example project and a PR")
    demo.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="build the example project in DIR and keep it (default: a temp dir)",
    )


def _add_init(sub: Subparsers) -> None:
    init = sub.add_parser(
        "init",
        help="add mlci to this git repository: mlci.yml, schema files "
        "inferred from the data, workflow files",
    )
    init.add_argument(
        "data",
        nargs="*",
        type=Path,
        metavar="DATA",
        help="data files (CSV, Parquet, JSON lines) to check; each gets a schema",
    )
    init.add_argument(
        "--task",
        choices=("binary", "multiclass", "regression"),
        help="the model's task (default: from --target's values in the data)",
    )
    init.add_argument("--target", metavar="COL", help="the label column of the data")
    init.add_argument(
        "--predictions",
        type=Path,
        metavar="FILE",
        help="a predictions file (y_true, y_pred, y_score columns)",
    )
    init.add_argument(
        "--metrics-file", type=Path, metavar="FILE", help="a JSON or YAML file of metrics"
    )
    init.add_argument(
        "--model",
        type=Path,
        metavar="FILE",
        help="a scikit-learn model file, evaluated on the DATA file with --target",
    )
    init.add_argument("--name", help="the config's name (default: the repository's folder)")
    init.add_argument(
        "--forks",
        action="store_true",
        help="write the fork-safe pull-request workflow pair instead",
    )
    init.add_argument(
        "--action-sha",
        metavar="SHA",
        help="pin the workflows to this mlci release commit SHA (default: a "
        "placeholder to replace)",
    )
    init.add_argument(
        "--force",
        action="store_true",
        help="overwrite existing files (default: show how they would change)",
    )
    _add_no_progress(init)


def _add_schema(sub: Subparsers) -> None:
    schema = sub.add_parser("schema", help="infer a data schema file from the data")
    schema_sub = schema.add_subparsers(
        dest="schema_command", metavar="ACTION", parser_class=_Parser
    )
    schema_sub.required = True
    infer = schema_sub.add_parser(
        "infer",
        help="write the schema inferred from DATA, or show how it differs from the existing file",
    )
    infer.add_argument(
        "data",
        type=Path,
        metavar="DATA",
        help="a data file, or a profile file (.json) from `mlci profile`",
    )
    infer.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path(".mlci/schema.yml"),
        help="the schema file (default: .mlci/schema.yml)",
    )
    infer.add_argument("--name", help="the dataset's name (default: the file's name)")
    _add_format(infer)
    infer.add_argument("--target", metavar="COL", help="the label column: checks its class balance")
    infer.add_argument(
        "--write",
        "--force",
        action="store_true",
        dest="write",
        help="replace an existing schema file that differs",
    )
    infer.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the file is missing or differs (CI)",
    )
    _add_no_progress(infer)


def _add_profile(sub: Subparsers) -> None:
    profile = sub.add_parser(
        "profile",
        help="write a dataset's mergeable profile (JSON); "
        "`mlci profile merge A.json B.json ...` merges shards' profiles",
        usage="mlci profile [-h] [--output OUTPUT] [--name NAME] [--piece] "
        "[--format {csv,parquet,jsonl}] [--quiet] DATA\n       mlci profile merge [-h] "
        "[--output OUTPUT] [--name NAME] [--piece] [--quiet] PROFILE [PROFILE ...]",
        epilog="`mlci profile merge --help` describes merging.",
    )
    profile.add_argument("paths", nargs="+", type=Path, metavar="DATA", help="a data file")
    profile.add_argument(
        "--output",
        "-o",
        type=Path,
        help="the profile file (default: profile.json)",
    )
    profile.add_argument(
        "--name", help="the dataset's name, as in mlci.yml (default: the file's name)"
    )
    profile.add_argument(
        "--piece",
        action="store_true",
        help="write an unfinished piece instead: every sketch at full precision (larger), so "
        "that `mlci profile merge` of the pieces equals the profile of the whole",
    )
    _add_format(profile)
    _add_no_progress(profile)


def _add_monitor(sub: Subparsers) -> None:
    monitor = sub.add_parser(
        "monitor",
        help="compare production data (and, with labels, performance) with the live release; "
        "keep the monitoring issue (schedule)",
    )
    _add_config(monitor)
    monitor.add_argument(
        "--output-dir",
        type=Path,
        default=Path("mlci-out"),
        help="where report.md, report.json and monitor.json go (default: mlci-out)",
    )
    monitor.add_argument(
        "--release",
        metavar="TAG",
        help="the release to compare with (default: the live release: the one last deployed "
        "to release.environment, else the latest published release of this config)",
    )
    monitor.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="production rows for dataset NAME: a file, a folder of partitions or a glob "
        "pattern (instead of monitor.data.NAME.path); repeat for several datasets",
    )
    monitor.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a profile of dataset NAME's production rows computed elsewhere (mlci profile, "
        "the Spark recipe); repeat to merge shards. Drift only: row checks need the rows",
    )
    monitor.add_argument(
        "--no-store",
        action="store_true",
        help="do not append the monitor record to the records branch",
    )
    monitor.add_argument(
        "--push",
        action="store_true",
        help="outside GitHub Actions, also push the monitor record (in Actions a scheduled or "
        "dispatched run on the baseline branch always does)",
    )
    monitor.add_argument(
        "--no-issue",
        action="store_true",
        help="in GitHub Actions, do not open, update or close the monitoring issue",
    )
    monitor.add_argument(
        "--no-fail-on-gate",
        action="store_true",
        help="exit 0 even when a fail threshold is crossed (the verdict is still reported)",
    )
    _add_openmetrics(monitor)
    _add_quiet(monitor)


def _add_rollback(sub: Subparsers) -> None:
    rollback = sub.add_parser(
        "rollback",
        help="re-deploy an earlier published release: its assets downloaded and verified "
        "against SHA256SUMS, release.deploy run, a new GitHub Deployment",
    )
    rollback.add_argument("tag", metavar="TAG", help="the release to re-deploy, e.g. v1.3.0")
    _add_config(rollback)
    rollback.add_argument(
        "--output-dir",
        type=Path,
        default=Path("mlci-out"),
        help="where the verified bundle (rollback-bundle/) and rollback.json go "
        "(default: mlci-out)",
    )


def _add_metrics(sub: Subparsers) -> None:
    metrics = sub.add_parser(
        "metrics",
        help="write the OpenMetrics text of a report.json or monitor.json (Prometheus)",
    )
    metrics.add_argument(
        "report",
        type=Path,
        metavar="REPORT",
        help="a report.json (mlci run, mlci monitor) or a monitor.json (with its report.json "
        "beside it)",
    )
    metrics.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="PATH",
        help="the file to write, e.g. /var/lib/node_exporter/mlci.prom (default: standard output)",
    )
    metrics.add_argument(
        "--source",
        choices=("run", "release", "monitor"),
        help="the `source` label (default: monitor for a monitoring run's report, else run)",
    )


def _add_openmetrics(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--openmetrics",
        type=Path,
        metavar="PATH",
        help="also write the metrics, deltas, intervals, drift scores, check counts and "
        "verdict as OpenMetrics text to PATH (node_exporter textfile collector, Pushgateway)",
    )


def _profile_merge_parser() -> argparse.ArgumentParser:
    """`mlci profile merge`: its own parser, since `mlci profile DATA` takes a file name there."""
    merge = _Parser(prog="mlci profile merge")
    merge.add_argument(
        "profiles",
        nargs="*",
        type=Path,
        metavar="PROFILE",
        help="profile files of one dataset's shards, written by `mlci profile` (or a "
        "record.json, or JSON lines of profiles)",
    )
    merge.add_argument(
        "--output", "-o", type=Path, help="the merged profile file (default: merged.json)"
    )
    merge.add_argument(
        "--name", help="the dataset's name, as in mlci.yml (default: the profiles' name)"
    )
    merge.add_argument(
        "--piece",
        action="store_true",
        help="write the merged pieces as a piece (to merge further) instead of a profile",
    )
    _add_no_progress(merge)
    return merge


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    tokens = list(sys.argv[1:] if argv is None else argv)
    if tokens[:2] == ["profile", "merge"]:
        args = _profile_merge_parser().parse_args(tokens[2:])
        args.command, args.data_format = "profile", None
        args.paths = [Path("merge"), *args.profiles]
        return args
    return _build_parser().parse_args(tokens)


def _add_no_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress display while reading the data"
    )


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("csv", "parquet", "jsonl"),
        dest="data_format",
        help="the data file's format (default: from its suffix)",
    )


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=None,
        help="the config file (default: mlci.yml in this folder, else in the nearest folder "
        "above it up to the repository's top)",
    )


def _add_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        "-j",
        default="auto",
        metavar="N",
        help="threads that read and profile the data (default: auto, the CPUs available to "
        "mlci: its affinity and cgroup quota); the results are the same for any N",
    )


def _add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the verdict")


# -- dispatch: each command is one function returning an exit code ---------------------------
# A command's module is imported only when that command runs: the commands import pandas,
# scikit-learn and PyGithub, and `mlci --help` must stay instant.

Environ = Mapping[str, str]


def _run(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.run import run_command  # heavy: see the comment above

    return run_command(
        args.config,
        output_dir=args.output_dir,
        store=not args.no_store,
        push=args.push,
        commit=args.commit,
        branch=args.branch,
        quiet=args.quiet,
        comment=not args.no_comment,
        fail_on_gate=not args.no_fail_on_gate,
        html=not args.no_html,
        junit=args.junit,
        openmetrics=args.openmetrics,
        jobs=parse_jobs(args.jobs),
        figure_process=getattr(args, "own_process", False),
        environ=environ,
        stdout=stdout,
    )


def _validate(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.validate import validate_command  # heavy: see the comment above

    return validate_command(
        args.config,
        quiet=args.quiet,
        against=args.against,
        save_profiles=args.save_profiles,
        output_dir=args.output_dir,
        junit=args.junit,
        jobs=parse_jobs(args.jobs),
        environ=environ,
        stdout=stdout,
    )


def _evaluate(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.evaluate import evaluate_command  # heavy: see the comment above

    return evaluate_command(args.config, as_json=args.json, environ=environ, stdout=stdout)


def _record(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.record import record_command  # heavy: see the comment above

    return record_command(
        args.record_command,
        config_path=args.config,
        record_file=getattr(args, "record_file", None),
        commit=getattr(args, "commit", None),
        all_names=getattr(args, "all", False),
        push=getattr(args, "push", False),
        environ=environ,
        stdout=stdout,
    )


def _release(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.release import release_command  # heavy: see the comment above

    return release_command(
        args.config,
        output_dir=args.output_dir,
        tag=args.tag,
        bootstrap=args.bootstrap,
        dry_run=args.dry_run,
        openmetrics=args.openmetrics,
        environ=environ,
        stdout=stdout,
    )


def _publish(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.publish import publish_command  # heavy: see the comment above

    return publish_command(
        report_dir=args.report_dir,
        config_paths=args.configs or [Path("mlci.yml")],
        environ=environ,
        stdout=stdout,
    )


def _init(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.init import init_command  # heavy: see the comment above

    return init_command(
        args.data,
        task=args.task,
        target=args.target,
        predictions=args.predictions,
        metrics_file=args.metrics_file,
        model=args.model,
        name=args.name,
        forks=args.forks,
        action_sha=args.action_sha,
        force=args.force,
        quiet=args.quiet,
        environ=environ,
        stdout=stdout,
    )


def _schema(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.schema import schema_command  # heavy: see the comment above

    return schema_command(
        args.data,
        output=args.output,
        name=args.name,
        data_format=args.data_format,
        target=args.target,
        write=args.write,
        check=args.check,
        quiet=args.quiet,
        environ=environ,
        stdout=stdout,
    )


def _profile(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.profile import profile_command  # heavy: see the comment above

    return profile_command(
        args.paths,
        output=args.output,
        name=args.name,
        data_format=args.data_format,
        quiet=args.quiet,
        piece=args.piece,
        environ=environ,
        stdout=stdout,
    )


def _monitor(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.monitor import monitor_command  # heavy: see the comment above

    return monitor_command(
        args.config,
        output_dir=args.output_dir,
        release=args.release,
        data=args.data,
        profiles=args.profile,
        store=not args.no_store,
        push=args.push,
        issue=not args.no_issue,
        openmetrics=args.openmetrics,
        fail_on_gate=not args.no_fail_on_gate,
        quiet=args.quiet,
        environ=environ,
        stdout=stdout,
    )


def _rollback(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.rollback import rollback_command  # heavy: see the comment above

    return rollback_command(
        args.config, tag=args.tag, output_dir=args.output_dir, environ=environ, stdout=stdout
    )


def _metrics(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.metrics import metrics_command  # heavy: see the comment above

    return metrics_command(args.report, output=args.output, source=args.source, stdout=stdout)


def _demo(args: argparse.Namespace, environ: Environ, stdout: TextIO) -> int:
    from mlci.commands.demo import demo_command  # heavy: see the comment above

    return demo_command(keep=args.keep, environ=environ, stdout=stdout)


COMMANDS: dict[str, Callable[[argparse.Namespace, Environ, TextIO], int]] = {
    "run": _run,
    "validate": _validate,
    "evaluate": _evaluate,
    "record": _record,
    "release": _release,
    "publish": _publish,
    "init": _init,
    "schema": _schema,
    "profile": _profile,
    "monitor": _monitor,
    "rollback": _rollback,
    "metrics": _metrics,
    "demo": _demo,
}


def _internal_error(exc: BaseException, stderr: TextIO) -> int:
    fd, log = tempfile.mkstemp(prefix="mlci-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"mlci {__version__}\n")
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=fh)
    print(f"mlci: internal error: {type(exc).__name__}: {exc}", file=stderr)
    print(
        f"This is a bug in mlci. Please report it at {ISSUES_URL} with the log {log}", file=stderr
    )
    return EXIT_INTERNAL


def _closed_pipe() -> int:
    """The reader of stdout went away (`mlci run | head -3`): stop quietly, as git does, and
    keep Python from complaining when it flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test's StringIO)
        pass
    return EXIT_CLOSED_PIPE


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run the mlci command line and return its exit code.

    ``environ`` (default: this process's environment) is the only environment the commands
    read: ``GITHUB_*`` settings, tokens, ``SOURCE_DATE_EPOCH``. Without ``argv`` mlci is the
    program: it reads the process's arguments and may start worker processes (to draw
    figures); with ``argv`` (a call from Python) everything stays in the caller's process.
    """
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        code = _guarded(argv, out, err, environ)
        out.flush()  # a reader that went away shows here, not as a complaint at exit
    except BrokenPipeError:
        return _closed_pipe()
    return code


def _guarded(
    argv: Sequence[str] | None, out: TextIO, err: TextIO, environ: Mapping[str, str] | None
) -> int:
    try:
        args = _parse(argv)
        if args.command is None:  # `mlci` alone: what it can do, as `git` alone shows
            out.write(_build_parser().format_help())  # not print_help: it hides a closed pipe
            return 0
        args.own_process = argv is None
        if "config" in args and args.config is None:
            args.config = Path(os.path.relpath(find_config(Path.cwd())))  # as a user says it
        handler = COMMANDS[args.command]
        _start_collecting(args.command)
        return handler(args, os.environ if environ is None else environ, out)
    except MlciError as exc:
        print(f"mlci: error: {exc}", file=err)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt:
        print("mlci: interrupted", file=err)
        return 130
    except SystemExit as exc:  # --help and --version exit 0 through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except Exception as exc:
        return _internal_error(exc, err)


def _start_collecting(command: str) -> None:
    """Import the command's module (``mlci/commands/<name>.py``), then let the garbage
    collector run again if :func:`program` held it back during start-up.

    Imports make a few hundred thousand objects and almost no garbage; collecting while they
    load, and later scanning them in every full collection, cost a 100,000-row run about
    25 ms. Frozen, they are never scanned again; what the command makes is collected as usual.
    """
    importlib.import_module(f"mlci.commands.{command}")
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _reads_data(args: Sequence[str]) -> bool:
    """Whether a command line may load numpy: not help, a version line or `mlci init` (they
    would only pay for the import)."""
    asks = {"-h", "--help", "--version"}
    return bool(args) and args[0] != "init" and not asks.intersection(args)


def _import_numpy_with_one_blas_thread() -> None:
    """Import numpy with OpenBLAS limited to one thread, then restore the environment.

    mlci does no linear algebra worth a thread pool, but OpenBLAS starts one thread per CPU
    when numpy loads, which cost a 100,000-row run about 0.1 s of CPU on 2 cores. Only this
    process is affected: the variable is back as it was before any child (a deploy command,
    a model's process) starts.
    """
    saved = os.environ.get("OPENBLAS_NUM_THREADS")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        import numpy  # noqa: F401  (loaded now, with the setting above)
    finally:
        if saved is None:
            del os.environ["OPENBLAS_NUM_THREADS"]
        else:
            os.environ["OPENBLAS_NUM_THREADS"] = saved


def program() -> NoReturn:
    """The ``mlci`` executable: :func:`main`, then leave at once with its exit code.

    When main returns, every file is written (atomically) and every child process and thread
    pool is closed; the exit handlers still run (a library's pending work is flushed), but the
    interpreter is not torn down module by module, which cost a 100,000-row run 50–100 ms.
    The garbage collector waits until the command's modules are loaded
    (:func:`_start_collecting`).
    """
    gc.disable()
    if _reads_data(sys.argv[1:]):
        _import_numpy_with_one_blas_thread()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed, or a reader that went away
            stream.flush()
    atexit._run_exitfuncs()  # private, but what a normal exit would run first
    os._exit(code)


if __name__ == "__main__":
    program()
