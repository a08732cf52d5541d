"""The environment of user code: every process mlci starts on the user's behalf.

mlci holds a GitHub token. The code it runs for the user — the release's deploy command, the
child process that loads and predicts with a pickled model (and measures its budgets), the
demo's training script — gets mlci's environment without any credential that could write to
the repository:

- the token variables by name (:data:`TOKEN_VARIABLES`: ``GITHUB_TOKEN``, ``MLCI_GITHUB_TOKEN``,
  ``MLCI_GITLAB_TOKEN``, the action's ``INPUT_GITHUB-TOKEN``, the runner's
  ``ACTIONS_RUNTIME_TOKEN`` and OIDC request token and URL);
- git's configuration and credential channels (``GIT_CONFIG`` and every ``GIT_CONFIG_*``,
  among them ``GIT_CONFIG_COUNT`` / ``GIT_CONFIG_KEY_n`` / ``GIT_CONFIG_VALUE_n`` and
  ``GIT_CONFIG_PARAMETERS``, which carry ``http.extraheader`` and ``credential.helper``
  settings; ``GIT_ASKPASS`` and ``SSH_ASKPASS``);
- and, whatever its name, every variable whose value contains one of those tokens, or the
  base64 form git authenticates with (``x-access-token:TOKEN``), or the token's own base64.

Everything else (PATH, the user's own deploy credentials, ``MLCI_*`` values) is passed on.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from pathlib import Path

TOKEN_VARIABLES = (
    "GITHUB_TOKEN",
    "MLCI_GITHUB_TOKEN",
    "MLCI_GITLAB_TOKEN",
    "INPUT_GITHUB-TOKEN",
    "INPUT_GITHUB_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
)
GIT_CREDENTIAL_VARIABLES = ("GIT_ASKPASS", "SSH_ASKPASS")
GIT_CONFIG_PREFIX = "GIT_CONFIG"  # GIT_CONFIG itself (git config's file) and every GIT_CONFIG_*
MIN_SECRET_LENGTH = 8  # shorter values are not tokens; matching them would drop unrelated values


def user_environment(environ: Mapping[str, str], *, secrets: Iterable[str] = ()) -> dict[str, str]:
    """``environ`` without credentials, for a process that runs user code.

    ``secrets`` are further values to hide (e.g. the token mlci was given from elsewhere);
    the values of :data:`TOKEN_VARIABLES` in ``environ`` are always hidden.

    Example::

        >>> token = "ghs_0123456789"
        >>> user_environment({"PATH": "/bin", "GITHUB_TOKEN": token, "COPY": f"x{token}"})
        {'PATH': '/bin'}
    """
    forms = secret_forms([*secrets, *tokens_in(environ)])
    return {k: v for k, v in environ.items() if not _is_credential(k, v, forms)}


def tokens_in(environ: Mapping[str, str]) -> list[str]:
    """The values of the token variables (:data:`TOKEN_VARIABLES`) set in ``environ``."""
    return [environ[name] for name in TOKEN_VARIABLES if environ.get(name)]


def secret_forms(secrets: Iterable[str]) -> frozenset[str]:
    """Each secret as it may appear in a value: raw, and base64 in git's basic-auth form.

    Base64 forms are kept without ``=`` padding, so a padded or unpadded copy matches.
    """
    forms: set[str] = set()
    for secret in secrets:
        secret = secret.strip()
        if len(secret) < MIN_SECRET_LENGTH:
            continue
        forms.add(secret)
        for plain in (f"x-access-token:{secret}", secret, f"{secret}:x-oauth-basic"):
            forms.add(base64.b64encode(plain.encode()).decode().rstrip("="))
    return frozenset(forms)


def _is_credential(name: str, value: str, forms: frozenset[str]) -> bool:
    if name in TOKEN_VARIABLES or name in GIT_CREDENTIAL_VARIABLES:
        return True
    if name.startswith(GIT_CONFIG_PREFIX):
        return True
    return any(form in value for form in forms)


def conceal_from_proc(secrets: Iterable[str]) -> int:
    """Overwrite ``secrets`` (and their base64 forms) with ``*`` in this process's initial
    environment block; return how many copies were hidden.

    Every process of the same user can read that block as ``/proc/<pid>/environ`` (Linux), so a
    deploy command or a pickled model could read the token there, from its parent, even though
    its own environment holds none. ``os.environ`` (Python's copy, which mlci reads) is not
    changed. Elsewhere (no ``/proc``), or when the kernel does not say where the block is,
    nothing is done.
    """
    forms = sorted((f.encode() for f in secret_forms(secrets)), key=len, reverse=True)
    try:
        stat = Path("/proc/self/stat").read_bytes()
        block = Path("/proc/self/environ").read_bytes()
    except OSError:
        return 0
    fields = stat[stat.rindex(b")") + 2 :].split()  # from field 3 (state) on, see proc(5)
    if len(fields) < 50 or not forms:
        return 0
    start, end = int(fields[47]), int(fields[48])  # env_start and env_end (fields 50 and 51)
    if start <= 0 or end - start != len(block):
        return 0
    import ctypes  # only here: the one place mlci writes to its own memory

    hidden, seen = 0, bytearray(block)
    for form in forms:  # longest first; what is masked is not found again
        at = seen.find(form)
        while at >= 0:
            ctypes.memset(start + at, ord("*"), len(form))
            seen[at : at + len(form)] = b"*" * len(form)
            hidden += 1
            at = seen.find(form, at + len(form))
    return hidden
