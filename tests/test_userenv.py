"""user_environment: what the code mlci runs for the user inherits, and what it never does."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from mlci.userenv import user_environment

TOKEN = "ghs_u5erEnvT0kenAbCdEf0123456789"
OTHER = "tok-runtime-9f8e7d6c5b"


def basic(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def leaks(value: str, secret: str) -> bool:
    """An independent oracle: the secret in the value, or in any base64 run of it, decoded."""
    if secret in value:
        return True
    for run in re.findall(r"[A-Za-z0-9+/]{8,}={0,2}", value):
        padded = run + "=" * (-len(run) % 4)
        try:
            decoded = base64.b64decode(padded).decode("utf-8", errors="ignore")
        except ValueError:
            continue
        if secret in decoded:
            return True
    return False


HOSTILE = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/home/runner",
    "DEPLOY_KEY": "the user's own deploy credential",
    "MLCI_BUNDLE_DIR": "/tmp/bundle",
    "GITHUB_REPOSITORY": "octo/widgets",
    "GITHUB_TOKEN": TOKEN,
    "MLCI_GITHUB_TOKEN": TOKEN,
    "INPUT_GITHUB-TOKEN": TOKEN,
    "INPUT_GITHUB_TOKEN": TOKEN,
    "ACTIONS_RUNTIME_TOKEN": OTHER,
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-token-77",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/oidc",
    "GIT_CONFIG_COUNT": "2",
    "GIT_CONFIG_KEY_0": "http.https://github.com/.extraheader",
    "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic('x-access-token:' + TOKEN)}",
    "GIT_CONFIG_KEY_1": "credential.helper",
    "GIT_CONFIG_VALUE_1": "store --file=/tmp/creds",
    "GIT_CONFIG_PARAMETERS": "'credential.helper'='!echo password=x'",
    "GIT_ASKPASS": "/tmp/askpass.sh",
    "SSH_ASKPASS": "/tmp/askpass.sh",
    # the token under names mlci does not know
    "GH_TOKEN": TOKEN,
    "RENAMED": f"prefix-{TOKEN}-suffix",
    "AUTH_HEADER": f"Authorization: Basic {basic('x-access-token:' + TOKEN).rstrip('=')}",
    "TOKEN_B64": basic(TOKEN),
    "RUNTIME_COPY": OTHER,
    "OAUTH_STYLE": basic(f"{TOKEN}:x-oauth-basic"),
}


def test_no_token_and_no_git_credential_reaches_user_code() -> None:
    env = user_environment(HOSTILE)

    assert env == {
        "PATH": "/usr/bin:/bin",
        "HOME": "/home/runner",
        "DEPLOY_KEY": "the user's own deploy credential",
        "MLCI_BUNDLE_DIR": "/tmp/bundle",
        "GITHUB_REPOSITORY": "octo/widgets",
    }
    for secret in (TOKEN, OTHER, "oidc-request-token-77"):
        assert not any(leaks(f"{k}={v}", secret) for k, v in env.items())


def test_a_secret_given_from_elsewhere_is_hidden_under_any_name() -> None:
    env = user_environment(
        {"PATH": "/bin", "X": f"Bearer {TOKEN}", "Y": basic(f"x-access-token:{TOKEN}")},
        secrets=[TOKEN],
    )
    assert env == {"PATH": "/bin"}


def test_short_values_are_not_taken_for_tokens() -> None:
    env = user_environment({"GITHUB_TOKEN": "x", "FLAG": "x", "PATH": "/bin"}, secrets=["", "ab"])
    assert env == {"FLAG": "x", "PATH": "/bin"}


@pytest.mark.parametrize("name", ["GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG"])
def test_every_git_config_variable_is_dropped(name: str) -> None:
    assert user_environment({name: "/tmp/gitconfig-with-credentials"}) == {}


def test_the_token_is_concealed_in_what_other_processes_read_of_mlcis_environment() -> None:
    """Any process of the same user reads /proc/<pid>/environ of mlci: the token is masked there,
    while mlci's own os.environ keeps it."""
    code = textwrap.dedent(
        """\
        import json, os, subprocess, sys
        from mlci.userenv import conceal_from_proc, tokens_in
        hidden = conceal_from_proc(tokens_in(os.environ))
        read = "import os; print(open(f'/proc/{os.getppid()}/environ').read())"
        child = subprocess.run(
            [sys.executable, "-c", read], capture_output=True, text=True, env={"PATH": "/bin"}
        ).stdout
        print(json.dumps({"hidden": hidden, "seen": child, "own": os.environ["GITHUB_TOKEN"]}))
        """
    )
    basic_form = basic(f"x-access-token:{TOKEN}")
    env = {**os.environ, "GITHUB_TOKEN": TOKEN, "HEADER": f"basic {basic_form}", "KEEP": "kept"}

    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["hidden"] == 2
    assert TOKEN not in out["seen"] and basic_form.rstrip("=") not in out["seen"]
    assert f"GITHUB_TOKEN={'*' * len(TOKEN)}" in out["seen"] and "KEEP=kept" in out["seen"]
    assert out["own"] == TOKEN
