"""The command line's contract: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mlci.commands.run
from mlci import __version__
from mlci.cli import _reads_data, main


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_version_and_help_exit_0(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip().startswith(f"mlci {__version__}")
    assert main(["--help"]) == 0
    assert "run" in capsys.readouterr().out


def test_usage_error_is_exit_2_with_one_line():
    code, _, err = run_cli("frobnicate")
    assert code == 2
    assert err.startswith("mlci: error: argument COMMAND: invalid choice: 'frobnicate'")
    assert err.count("mlci") == 2  # one prefix, and the pointer to `mlci --help`
    assert len(err.strip().splitlines()) == 1


def test_missing_config_is_exit_2(tmp_path):
    code, _, err = run_cli("run", "--config", str(tmp_path / "mlci.yml"))
    assert code == 2
    assert "mlci.yml" in err and "not found" in err
    assert len(err.strip().splitlines()) == 1


def test_internal_error_is_exit_3_with_a_log_and_no_traceback(monkeypatch, tmp_path):
    def explode(*args: object, **kwargs: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(mlci.commands.run, "run_command", explode)
    code, _, err = run_cli("run")
    assert code == 3
    assert "mlci: internal error: RuntimeError: kaboom" in err
    assert "Traceback" not in err
    log = err.rsplit("with the log ", 1)[1].strip()
    with open(log, encoding="utf-8") as fh:
        assert "kaboom" in fh.read()


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from mlci.cli import main; main(['--help']);"
        "heavy = [m for m in ('sklearn', 'pandas', 'matplotlib', 'github', 'scipy')"
        " if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("argv", [["record"], ["run", "--bogus"]])
def test_incomplete_commands_are_usage_errors(argv):
    code, _, err = run_cli(*argv)
    assert code == 2
    assert "See `mlci" in err


HOSTILE = Path(__file__).parent / "hostile"


@pytest.mark.parametrize(
    ("command", "name", "message"),
    [
        ("validate", "billion-laughs.yml", "more than 250,000 values once aliases"),
        ("run", "billion-laughs.yml", "more than 250,000 values once aliases"),
        ("validate", "billion-laughs-allowed.yml", "more than 250,000 values once aliases"),
        ("evaluate", "recursive-alias.yml", ":3: limits[0]: an alias refers to itself"),
    ],
)
def test_hostile_configs_exit_2_with_one_line_naming_the_file(
    command: str, name: str, message: str, tmp_path: Path
) -> None:
    config = tmp_path / name
    shutil.copy(HOSTILE / name, config)
    code, out, err = run_cli(command, "--config", str(config))
    assert (code, out) == (2, "")
    assert err.startswith(f"mlci: error: {config}") and message in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nx: " + "[" * 100_000 + "]" * 100_000, ":2: nested too deeply"),
        ("name: x\n" + "#" * (3 << 20), ": larger than 2 MiB, the limit for this file."),
    ],
    ids=["deep", "huge"],
)
def test_deep_and_huge_configs_exit_2(text: str, message: str, tmp_path: Path) -> None:
    config = tmp_path / "mlci.yml"
    config.write_text(text)
    code, _, err = run_cli("validate", "--config", str(config))
    assert code == 2
    assert err.startswith(f"mlci: error: {config}{message}")
    assert len(err.splitlines()) == 1


def test_a_gate_bound_past_a_floats_range_is_exit_2(tmp_path: Path) -> None:
    """``min: 1`` and 400 zeros used to pass validation and crash (exit 3) turned into a float."""
    config = tmp_path / "mlci.yml"
    config.write_text(
        "version: 1\nname: x\ndatasets:\n  eval:\n    path: a.csv\n"
        "model:\n  task: binary\n  metrics_file: m.json\n"
        f"gates:\n  - metric: accuracy\n    min: {10**400}\n"
    )
    code, _, err = run_cli("validate", "--config", str(config))
    assert code == 2
    assert err == (
        f"mlci: error: {config}:11: gates[0].min: expected a number; "
        "got 1000...00 (401 digits) (too large for a number).\n"
    )


def test_mlci_alone_prints_its_usage_like_git() -> None:
    code, out, err = run_cli()
    assert (code, err) == (0, "")
    assert out.startswith("usage: mlci") and "COMMAND" in out and "profile" in out


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_command_and_argument_is_described() -> None:
    from mlci.cli import _build_parser, _profile_merge_parser

    parsers = [*_parsers(_build_parser()), _profile_merge_parser()]
    assert len(parsers) >= 16
    for parser in parsers:
        assert parser.description, f"{parser.prog} has no description"
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"{parser.prog} {action.dest} has no help"


def test_record_save_documents_its_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record", "save", "--help"]) == 0
    out = capsys.readouterr().out
    assert "RECORD_FILE" in out and "written by `mlci run`" in out


def test_profile_merge_help_is_merges_own(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "merge", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: mlci profile merge")
    assert "Merge the profiles of a dataset's shards" in out
    assert "PROFILE" in out and "--format" not in out


def test_a_closed_pipe_ends_quietly_like_git() -> None:
    """`mlci | head -0`: the reader is gone before mlci writes. git dies of SIGPIPE (shown as
    141) without a word; so does mlci, instead of an internal error."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlci"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the interpreter has started and imported mlci
    err = proc.stderr.read().decode()
    assert (proc.wait(), err) == (141, "")


PROGRAM = """
import atexit, sys
atexit.register(lambda: print("exit handler ran", file=sys.stderr))
from mlci.cli import program
sys.argv = ["mlci", *sys.argv[1:]]
program()
"""


@pytest.mark.parametrize(
    ("args", "code", "stdout_has", "stderr_has"),
    [
        (["--help"], 0, "usage: mlci", ""),
        (["validate", "--config", "missing.yml"], 2, "", "mlci: error: "),
        (["run", "--help"], 0, "--no-html", ""),
    ],
)
def test_the_program_exits_with_mains_code_and_everything_written(
    args: list[str], code: int, stdout_has: str, stderr_has: str, tmp_path: Path
) -> None:
    """`program()` leaves without tearing the interpreter down: the exit code is main's,
    every byte written reached the pipes, and exit handlers still ran."""
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args], cwd=tmp_path, capture_output=True, check=False
    )
    expected = subprocess.run(
        [sys.executable, "-c", "import sys; from mlci.cli import main; sys.exit(main())", *args],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert done.returncode == code == expected.returncode
    assert done.stdout == expected.stdout and stdout_has.encode() in done.stdout
    assert stderr_has.encode() in done.stderr
    assert done.stderr.endswith(b"exit handler ran\n")


GC_PROBE = """
import atexit, gc, sys
atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 10_000, file=sys.stderr))
from mlci.cli import program
sys.argv = ["mlci", *sys.argv[1:]]
program()
"""


def test_the_program_collects_garbage_once_the_commands_modules_are_loaded(
    tmp_path: Path,
) -> None:
    """Start-up's objects are frozen (never scanned again) and collection is back on for the
    command itself; a call of main() from Python leaves the collector alone."""
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, "validate", "--config", "missing.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.endswith("True True\n")
    assert gc.isenabled()
    run_cli("validate", "--config", str(tmp_path / "missing.yml"))
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_config_is_found_from_a_sub_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()  # the repository's top: the search stops here
    (tmp_path / "mlci.yml").write_text("version: 1\n")
    (tmp_path / "notebooks" / "eda").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "notebooks" / "eda")
    code, _, err = run_cli("validate")
    assert code == 2
    assert err.startswith("mlci: error: ../../mlci.yml: missing required key 'name'")


BLAS_PROBE = """
import json, os
from mlci.cli import _import_numpy_with_one_blas_thread
_import_numpy_with_one_blas_thread()
from threadpoolctl import threadpool_info
threads = [i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas"]
print(json.dumps({"threads": threads, "env": os.environ.get("OPENBLAS_NUM_THREADS")}))
"""


@pytest.mark.parametrize("given", [None, "3"])
def test_numpy_loads_with_one_blas_thread_and_the_environment_is_left_as_it_was(
    given: str | None,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    done = subprocess.run(
        [sys.executable, "-c", BLAS_PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == {"threads": [1], "env": given}


@pytest.mark.parametrize(
    ("args", "reads"),
    [
        ([], False),
        (["--version"], False),
        (["run", "--help"], False),
        (["init"], False),
        (["run", "-q"], True),
        (["validate"], True),
        (["profile", "data.csv"], True),
    ],
)
def test_only_commands_that_read_data_preload_numpy(args: list[str], reads: bool) -> None:
    """`mlci --version`, help and init do not pay for numpy's import (about 40 ms)."""
    assert _reads_data(args) is reads
