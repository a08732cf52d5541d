"""`mlci rollback TAG` end to end: two releases published and deployed through the real client
against the GitHub API fake, then the first re-deployed from its verified assets."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from mlci.github.client import RetryPolicy
from mlci.github.deployments import DeploymentsClient
from mlci.github.settings import Settings
from tests.helpers.release import NAME, READER, REPO, Project, cli, github_env


@pytest.fixture
def no_sleep_deployments(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[Settings], DeploymentsClient]:
    def factory(settings: Settings) -> DeploymentsClient:
        return DeploymentsClient(settings, retry=RetryPolicy(sleep=lambda _: None, rng=lambda: 0.5))

    monkeypatch.setattr("mlci.commands.rollback._default_client", factory)
    monkeypatch.setattr("mlci.commands.release._default_client", factory)
    return factory


@pytest.fixture
def two_releases(project: Project, fake: Any, no_sleep_deployments: Any) -> dict[str, str]:
    """v1.0.0 (quality 1.5) then v1.1.0 (quality 1.6), each recorded, released and deployed."""
    shas = {}
    for tag, quality, extra in (("v1.0.0", 1.5, ("--bootstrap",)), ("v1.1.0", 1.6, ())):
        project.set_model(quality)
        shas[tag] = project.commit(f"model {tag}")
        assert project.run_main()[0] == 0
        project.tag(tag, fake)
        code, out, err = project.release("--tag", tag, *extra, env=github_env(fake))
        assert (code, err) == (0, ""), out
    return shas


def rollback(
    project: Project, fake: Any, tag: str, token: str | None = None
) -> tuple[int, str, str]:
    env = github_env(fake) if token is None else github_env(fake, token)
    for key, value in env.items():
        project.monkeypatch.setenv(key, value)
    out = str(project.tmp / "rollback-out")
    return cli("rollback", tag, "-c", str(project.path / "mlci.yml"), "--output-dir", out)


def release_of(fake: Any, tag: str) -> dict[str, Any]:
    [release] = [r for r in fake.snapshot()["releases"] if r["tag_name"] == tag]
    return dict(release)


def deployments(fake: Any) -> list[dict[str, Any]]:
    return list(fake.snapshot()["deployments"])


def asset_bytes(fake: Any, release: dict[str, Any], name: str) -> bytes:
    [asset] = [a for a in release["assets"] if a["name"] == name]
    return bytes(fake.asset_bytes(asset["id"]))


def replace_asset(fake: Any, tag: str, name: str, data: bytes) -> None:
    """Swap an asset for other bytes through the API, as someone with write access could."""
    release = release_of(fake, tag)
    [asset] = [a for a in release["assets"] if a["name"] == name]
    token = {"Authorization": "token tok-release-3c1f9e2ab7"}
    urllib.request.urlopen(
        urllib.request.Request(
            f"{fake.url}/repos/{REPO}/releases/assets/{asset['id']}", method="DELETE", headers=token
        ),
        timeout=5,
    )
    upload = f"{fake.url}/uploads/repos/{REPO}/releases/{release['id']}/assets?name={name}"
    request = urllib.request.Request(upload, data=data, method="POST", headers=token)
    request.add_header("Content-Type", "application/octet-stream")
    urllib.request.urlopen(request, timeout=5)


def test_rollback_redeploys_the_verified_bundle_and_marks_the_replaced_deployment_inactive(
    project: Project, fake: Any, two_releases: dict[str, str]
) -> None:
    v1 = release_of(fake, "v1.0.0")
    v1_sums = asset_bytes(fake, v1, "SHA256SUMS")
    before = deployments(fake)
    assert [d["ref"] for d in before] == ["v1.0.0", "v1.1.0"]

    code, out, err = rollback(project, fake, "v1.0.0")

    assert (code, err) == (0, ""), out
    assert "every asset of v1.0.0 matches its SHA256SUMS" in out
    # the deploy command ran on v1.0.0's bundle, downloaded through the API, without the token
    seen = (project.tmp / "deployed-env.txt").read_text().splitlines()
    assert seen[:3] == ["v1.0.0", "1.0.0", two_releases["v1.0.0"]]
    assert seen[4] == "no token"
    assert (project.tmp / "deployed-sums.txt").read_bytes() == v1_sums
    bundle = project.tmp / "rollback-out" / "rollback-bundle"
    for line in v1_sums.decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest
    downloaded = {
        r["path"].rsplit("/", 1)[1]
        for r in fake.snapshot()["requests"]
        if r["method"] == "GET" and "/releases/assets/" in r["path"] and r["status"] == 302
    }
    assert {str(a["id"]) for a in v1["assets"]} <= downloaded  # through the API
    # a new deployment of v1.0.0; v1.1.0's is inactive now
    after = deployments(fake)
    assert len(after) == 3
    new = after[-1]
    assert (new["ref"], new["environment"]) == ("v1.0.0", "production")
    assert new["payload"]["mlci"]["rollback"] is True
    assert new["payload"]["mlci"]["replaces"] == "v1.1.0"
    assert [s["state"] for s in new["statuses"]] == ["in_progress", "success"]
    replaced = next(d for d in after if d["ref"] == "v1.1.0")
    assert replaced["statuses"][-1]["state"] == "inactive"
    # the notes of v1.0.0 say what it replaced and how the gates compared
    notes = release_of(fake, "v1.0.0")["body"]
    assert "<!-- mlci:rollback name=churn-model -->" in notes
    assert "`v1.0.0` replaced `v1.1.0` (rollback)" in notes
    assert "How the gates compared: `v1.0.0` against `v1.1.0`" in notes
    assert "| Metric | `v1.1.0` | `v1.0.0` |" in notes
    assert notes.count("<!-- mlci:release name=churn-model -->") == 1  # the release notes stay
    result = json.loads((project.tmp / "rollback-out" / "rollback.json").read_text())
    assert (result["tag"], result["replaced"]["tag"], result["deployment"]["state"]) == (
        "v1.0.0",
        "v1.1.0",
        "success",
    )
    assert not fake.snapshot()["token_leaked"]


def test_a_tampered_asset_is_refused_and_nothing_is_deployed(
    project: Project, fake: Any, two_releases: dict[str, str]
) -> None:
    replace_asset(fake, "v1.0.0", "model.bin", b"weights with a backdoor\n")
    (project.tmp / "deployed-env.txt").unlink()
    before = deployments(fake)

    code, out, err = rollback(project, fake, "v1.0.0")

    assert code == 2, out
    assert err.startswith(
        "mlci: error: Refusing to roll back to v1.0.0: its assets do not match SHA256SUMS "
        "(model.bin: checksum differs)."
    )
    assert deployments(fake) == before
    assert not (project.tmp / "deployed-env.txt").exists()
    assert not (project.tmp / "rollback-out" / "rollback-bundle").exists()


def test_an_extra_or_missing_asset_is_refused(
    project: Project, fake: Any, two_releases: dict[str, str]
) -> None:
    replace_asset(fake, "v1.0.0", "SHA256SUMS", b"0" * 64 + b"  model.bin\n")
    code, _, err = rollback(project, fake, "v1.0.0")
    assert code == 2
    assert "card.md: not listed" in err and "model.bin: checksum differs" in err


def test_unknown_releases_and_read_only_tokens_are_one_line_errors(
    project: Project, fake: Any, two_releases: dict[str, str]
) -> None:
    code, _, err = rollback(project, fake, "v9.9.9")
    assert (code, err) == (
        2,
        "mlci: error: No published release 'v9.9.9': roll back to a release `mlci release` "
        "published (drafts are not releases).\n",
    )
    code, _, err = rollback(project, fake, "v1.0.0", token=READER)
    assert code == 2 and "deployments: write" in err


def test_monitoring_after_a_rollback_compares_with_the_release_rolled_back_to(
    project: Project, fake: Any, two_releases: dict[str, str]
) -> None:
    from mlci.github.deployments import DeploymentsClient as Client
    from mlci.github.settings import Settings as S

    assert rollback(project, fake, "v1.0.0")[0] == 0
    client = Client(S.from_environ(github_env(fake)))
    try:
        live = client.live("production", NAME)
    finally:
        client.close()
    assert live is not None and live.tag == "v1.0.0"
