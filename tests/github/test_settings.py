"""Settings.from_environ: GITHUB_* variables in, one typed value out; the token stays hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.errors import MlciError
from mlci.github.settings import Settings

TOKEN = "tok-settings-0b1c2d3e"
ENV = {
    "GITHUB_TOKEN": TOKEN,
    "GITHUB_REPOSITORY": "octo/widgets",
    "GITHUB_API_URL": "https://ghe.example.com/api/v3",
    "GITHUB_SERVER_URL": "https://ghe.example.com/",
    "GITHUB_EVENT_NAME": "pull_request",
    "GITHUB_EVENT_PATH": "/tmp/event.json",
    "GITHUB_REF": "refs/pull/7/merge",
    "GITHUB_SHA": "m" * 40,
    "GITHUB_RUN_ID": "1234",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_WORKFLOW": "ml",
    "GITHUB_JOB": "evaluate",
    "GITHUB_STEP_SUMMARY": "/tmp/summary.md",
    "GITHUB_OUTPUT": "/tmp/output",
    "GITHUB_ACTIONS": "true",
}


def test_from_environ_on_ghes():
    settings = Settings.from_environ(ENV)

    assert settings == Settings(
        token=TOKEN,
        repository="octo/widgets",
        api_url="https://ghe.example.com/api/v3",
        server_url="https://ghe.example.com",
        event_name="pull_request",
        event_path=Path("/tmp/event.json"),
        ref="refs/pull/7/merge",
        sha="m" * 40,
        run_id="1234",
        run_attempt="2",
        workflow="ml",
        job="evaluate",
        step_summary=Path("/tmp/summary.md"),
        output=Path("/tmp/output"),
        actions=True,
        identity=None,
        timeout=15,
    )
    assert settings.owner == "octo"
    assert settings.run_url == "https://ghe.example.com/octo/widgets/actions/runs/1234"


def test_defaults_outside_actions():
    settings = Settings.from_environ({"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "o/r"})
    assert settings.api_url == "https://api.github.com"
    assert settings.server_url == "https://github.com"
    assert (settings.actions, settings.step_summary, settings.output) == (False, None, None)
    assert settings.run_url is None


def test_mlci_token_wins_and_identity_override():
    env = {**ENV, "MLCI_GITHUB_TOKEN": "tok-mine", "MLCI_GITHUB_IDENTITY": "app[bot]"}
    settings = Settings.from_environ(env)
    assert (settings.token, settings.identity) == ("tok-mine", "app[bot]")


def test_repr_never_shows_the_token():
    settings = Settings.from_environ(ENV)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert "token=" not in repr(settings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"GITHUB_TOKEN": ""},
            "No GitHub token: neither MLCI_GITHUB_TOKEN nor GITHUB_TOKEN is set. "
            "Pass `github-token: ${{ github.token }}` to the mlci action (it is the default).",
        ),
        (
            {"GITHUB_REPOSITORY": ""},
            "GITHUB_REPOSITORY is not set: mlci needs it to talk to GitHub. "
            "Run inside GitHub Actions or set it to 'owner/name'.",
        ),
        (
            {"GITHUB_REPOSITORY": "just-a-name"},
            "GITHUB_REPOSITORY must look like 'owner/name'. Got 'just-a-name'.",
        ),
        (
            {"GITHUB_API_URL": "ghe.example.com/api/v3"},
            "GITHUB_API_URL must be an http(s) URL. Got 'ghe.example.com/api/v3'.",
        ),
        (
            {"MLCI_GITHUB_TIMEOUT": "soon"},
            "MLCI_GITHUB_TIMEOUT must be a whole number of seconds >= 1. Got 'soon'.",
        ),
    ],
)
def test_errors_name_the_variable(change, message):
    with pytest.raises(MlciError) as e:
        Settings.from_environ({**ENV, **change})
    assert str(e.value) == message
    assert TOKEN not in str(e.value)
