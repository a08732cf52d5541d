"""The command line's contract: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

import mlci.pipeline
from mlci import __version__
from mlci.cli import main


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_version_and_help_exit_0(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mlci {__version__}"
    assert main(["--help"]) == 0
    assert "run" in capsys.readouterr().out


def test_usage_error_is_exit_2_with_one_line():
    code, _, err = run_cli("frobnicate")
    assert code == 2
    assert err.startswith("mlci: error: mlci: argument COMMAND: invalid choice: 'frobnicate'")
    assert len(err.strip().splitlines()) == 1


def test_missing_config_is_exit_2(tmp_path):
    code, _, err = run_cli("run", "--config", str(tmp_path / "mlci.yml"))
    assert code == 2
    assert "mlci.yml" in err and "not found" in err
    assert len(err.strip().splitlines()) == 1


def test_internal_error_is_exit_3_with_a_log_and_no_traceback(monkeypatch, tmp_path):
    def explode(*args: object, **kwargs: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(mlci.pipeline, "run", explode)
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
