"""GitHub Releases and Deployments through the real PyGithub client against the API fake."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlci.github.client import GitHubError, ReadOnlyToken, RetryPolicy
from mlci.github.release import (
    END_MARKER,
    BundleFile,
    ReleaseClient,
    ReleaseSpec,
    compose_notes,
    publish_release,
    release_marker,
)
from mlci.github.settings import Settings
from tests.helpers.github import HEAD, READ_TOKEN, REPO, WRITE_TOKEN, Sleeps

MARKER = release_marker("churn-model")


@pytest.fixture
def client(make_settings: Callable[..., Settings], sleeps: Sleeps) -> ReleaseClient:
    return ReleaseClient(make_settings(), retry=RetryPolicy(sleep=sleeps, rng=lambda: 0.5))


@pytest.fixture
def files(tmp_path: Path) -> list[BundleFile]:
    contents = {
        "model.skops": b"\x00\x01weights" * 50,
        "model-card.md": b"# card\n",
        "SHA256SUMS": b"sums\n",
    }
    out = []
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
        out.append(BundleFile.of(tmp_path / name))
    return out


def spec(tag: str = "v1.0.0", *, prerelease: bool = False, section: str = "passed") -> ReleaseSpec:
    return ReleaseSpec(tag, f"churn-model {tag}", section, prerelease, MARKER)


def releases(fake: Any) -> list[dict[str, Any]]:
    return list(fake.snapshot()["releases"])


def writes(fake: Any) -> list[str]:
    return [
        f"{r['method']} {r['path'].split('?')[0]}"
        for r in fake.snapshot()["requests"]
        if r["method"] != "GET"
    ]


def post_json(fake: Any, path: str, payload: dict[str, Any], token: str = WRITE_TOKEN) -> Any:
    request = urllib.request.Request(
        f"{fake.url}{path}",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


# -- releases ------------------------------------------------------------------------------------


def test_a_new_release_is_a_draft_until_every_asset_is_uploaded(fake, client, files):
    published = publish_release(client, spec(), files)

    [release] = releases(fake)
    assert (release["tag_name"], release["draft"], release["prerelease"]) == (
        "v1.0.0",
        False,
        False,
    )
    assert release["make_latest"] == "legacy"
    assert [a["name"] for a in release["assets"]] == [f.name for f in files]
    assert [a["sha256"] for a in release["assets"]] == [f.sha256 for f in files]
    assert writes(fake) == [
        f"POST /repos/{REPO}/releases",
        *[f"POST /uploads/repos/{REPO}/releases/{release['id']}/assets"] * 3,
        f"PATCH /repos/{REPO}/releases/{release['id']}",
    ]
    assert published.created and published.uploaded == tuple(f.name for f in files)
    assert published.release.url.endswith(f"/{REPO}/releases/tag/v1.0.0")
    assert release["body"] == f"{MARKER}\npassed\n{END_MARKER}"


def test_assets_download_as_uploaded(fake, client, files):
    publish_release(client, spec(), files)
    assets = client.list_assets(releases(fake)[0]["id"])
    for asset, file in zip(assets, files, strict=True):
        with urllib.request.urlopen(asset.url, timeout=5) as response:
            assert hashlib.sha256(response.read()).hexdigest() == file.sha256
        assert asset.digest == f"sha256:{file.sha256}" and asset.state == "uploaded"


def test_a_rerun_keeps_identical_assets_and_replaces_changed_ones(fake, client, files, tmp_path):
    publish_release(client, spec(), files)
    before = {a["name"]: a["id"] for a in releases(fake)[0]["assets"]}
    (tmp_path / "model-card.md").write_bytes(b"# card, corrected\n")
    changed = [BundleFile.of(tmp_path / f.name) for f in files]

    again = publish_release(client, spec(section="passed again"), changed)

    [release] = releases(fake)
    after = {a["name"]: a["id"] for a in release["assets"]}
    assert set(after) == set(before)  # nothing duplicated
    assert after["model.skops"] == before["model.skops"]
    assert after["model-card.md"] != before["model-card.md"]
    assert (again.uploaded, again.kept, again.created) == (
        ("model-card.md",),
        ("model.skops", "SHA256SUMS"),
        False,
    )
    assert "passed again" in release["body"] and release["body"].count(MARKER) == 1


def test_the_fake_refuses_a_second_asset_of_the_same_name_like_github(fake, client, files):
    from github.GithubException import GithubException

    publish_release(client, spec(), files)
    release = client._repo.get_release(releases(fake)[0]["id"])
    with pytest.raises(GithubException) as excinfo:
        release.upload_asset(str(files[0].path), name=files[0].name)
    assert excinfo.value.status == 422
    assert excinfo.value.data["errors"][0]["code"] == "already_exists"


def test_a_lost_answer_to_creating_the_draft_does_not_create_two(fake, client, files):
    fake.add_faults({"method": "POST", "path": f"^/repos/{REPO}/releases$", "kind": "after"})

    publish_release(client, spec(), files)

    assert len(releases(fake)) == 1
    assert writes(fake).count(f"POST /repos/{REPO}/releases") == 1


def test_extra_mlci_drafts_of_the_tag_are_deleted_and_others_kept(fake, client, files):
    for body in (f"{MARKER}\nold\n{END_MARKER}", f"{MARKER}\nolder\n{END_MARKER}"):
        post_json(
            fake, f"/repos/{REPO}/releases", {"tag_name": "v1.0.0", "draft": True, "body": body}
        )
    post_json(fake, f"/repos/{REPO}/releases", {"tag_name": "v0.9.0", "draft": True})

    publish_release(client, spec(), files)

    tags = sorted((r["tag_name"], r["draft"]) for r in releases(fake))
    assert tags == [("v0.9.0", True), ("v1.0.0", False)]


def test_a_published_release_of_the_tag_is_updated_not_duplicated(fake, client, files):
    post_json(
        fake,
        f"/repos/{REPO}/releases",
        {"tag_name": "v1.0.0", "name": "Spring", "body": "Written by people."},
    )

    published = publish_release(client, spec(), files)

    [release] = releases(fake)
    assert not published.created and release["name"] == "Spring"
    assert release["body"] == f"Written by people.\n\n{MARKER}\npassed\n{END_MARKER}"


def test_listing_releases_reads_every_page(fake, client):
    for i in range(105):
        post_json(fake, f"/repos/{REPO}/releases", {"tag_name": f"v0.0.{i}"})
    found = client.list_releases()
    assert len(found) == 105
    assert found[0].tag == "v0.0.104" and found[-1].tag == "v0.0.0"  # newest first
    assert any("page=2" in r["path"] for r in fake.snapshot()["requests"])


def test_a_prerelease_is_never_made_latest(fake, client, files):
    publish_release(client, spec("v2.0.0-rc.1", prerelease=True), files)
    [release] = releases(fake)
    assert (release["prerelease"], release["make_latest"]) == (True, "false")


def test_upload_failure_says_the_release_stays_a_draft(fake, client, files):
    fake.add_faults(
        {
            "method": "POST",
            "path": "/uploads/",
            "query": "name=SHA256SUMS",
            "status": 503,
            "count": 5,
        }
    )
    with pytest.raises(GitHubError) as excinfo:
        publish_release(client, spec(), files)
    assert str(excinfo.value) == (
        "GitHub kept failing while uploading SHA256SUMS: 503 Service Unavailable (5 attempts). "
        "Re-run the job later. The release v1.0.0 stays a draft: re-run the job to complete it."
    )
    [draft] = releases(fake)
    assert draft["draft"] and [a["name"] for a in draft["assets"]] == [
        "model.skops",
        "model-card.md",
    ]


def test_ghes_uploads_go_to_api_uploads(fake, make_settings, sleeps, files):
    ghes = ReleaseClient(make_settings(ghes=True), retry=RetryPolicy(sleep=sleeps))
    publish_release(ghes, spec(), files)
    uploads = [r["path"] for r in fake.snapshot()["requests"] if "uploads" in r["path"]]
    assert uploads and all(p.startswith("/api/uploads/repos/") for p in uploads)


def test_a_read_only_token_sees_no_drafts_and_cannot_create(fake, make_settings, sleeps, files):
    post_json(fake, f"/repos/{REPO}/releases", {"tag_name": "v1.0.0", "draft": True})
    reader = ReleaseClient(make_settings(READ_TOKEN), retry=RetryPolicy(sleep=sleeps))
    assert reader.list_releases() == []
    with pytest.raises(ReadOnlyToken):
        publish_release(reader, spec("v1.1.0"), files)


# -- deployments ---------------------------------------------------------------------------------


def test_a_deployment_with_statuses(fake, client):
    fake.add_ref(REPO, "v1.0.0", HEAD)
    payload = {"mlci": {"tag": "v1.0.0", "attempt": "x1"}}
    deployment = client.create_deployment(
        ref="v1.0.0",
        environment="production",
        description="mlci: churn-model 1.0.0",
        payload=payload,
    )
    for state in ("in_progress", "success"):
        client.set_deployment_status(
            deployment,
            state,
            description=state,
            log_url="https://runs/1",
            environment_url="https://app",
        )

    [stored] = fake.snapshot()["deployments"]
    assert (stored["ref"], stored["sha"], stored["environment"], stored["task"]) == (
        "v1.0.0",
        HEAD,
        "production",
        "deploy",
    )
    assert (stored["auto_merge"], stored["required_contexts"]) == (False, [])
    assert stored["payload"] == payload
    assert [(s["state"], s["log_url"], s["environment_url"]) for s in stored["statuses"]] == [
        ("in_progress", "https://runs/1", "https://app"),
        ("success", "https://runs/1", "https://app"),
    ]


def test_explicit_required_contexts_avoid_github_refusing_a_pending_check(fake, client):
    """GitHub's default (every status context green) would count this run's own pending check."""
    from github.GithubException import GithubException

    fake.add_ref(REPO, "v1.0.0", HEAD)
    post_json(fake, f"/repos/{REPO}/statuses/{HEAD}", {"state": "pending", "context": "ci/job"})
    with pytest.raises(GithubException) as excinfo:
        client._repo.create_deployment("v1.0.0", environment="production")  # contexts omitted
    assert excinfo.value.status == 409

    client.create_deployment(
        ref="v1.0.0", environment="production", description="d", payload={"mlci": {"attempt": "x"}}
    )
    assert len(fake.snapshot()["deployments"]) == 1


def test_lost_answers_to_deployment_posts_are_not_repeated(fake, client):
    fake.add_ref(REPO, "v1.0.0", HEAD)
    fake.add_faults(
        [
            {"method": "POST", "path": "/deployments$", "kind": "after"},
            {"method": "POST", "path": "/statuses$", "kind": "after"},
        ]
    )

    deployment = client.create_deployment(
        ref="v1.0.0", environment="production", description="d", payload={"mlci": {"attempt": "y"}}
    )
    client.set_deployment_status(
        deployment, "in_progress", description="deploying", log_url=None, environment_url=None
    )

    [stored] = fake.snapshot()["deployments"]
    assert stored["id"] == deployment.id
    assert [s["state"] for s in stored["statuses"]] == ["in_progress"]


def test_an_unknown_ref_cannot_be_deployed(fake, client):
    with pytest.raises(GitHubError, match=r"No ref found for: v9\.9\.9"):
        client.create_deployment(
            ref="v9.9.9", environment="production", description="d", payload={}
        )


# -- notes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("", f"{MARKER}\nnew\n{END_MARKER}"),
        ("People wrote this.", f"People wrote this.\n\n{MARKER}\nnew\n{END_MARKER}"),
        (
            f"Intro\n\n{MARKER}\nold\n{END_MARKER}\n\nOutro",
            f"Intro\n\n{MARKER}\nnew\n{END_MARKER}\n\nOutro",
        ),
        (
            f"{release_marker('other-model')}\nx\n{END_MARKER}",
            f"{release_marker('other-model')}\nx\n{END_MARKER}\n\n{MARKER}\nnew\n{END_MARKER}",
        ),
    ],
)
def test_compose_notes(existing: str, expected: str) -> None:
    assert compose_notes(existing, "new\n", MARKER) == expected


# -- the fake's control endpoints, as an out-of-process test uses them ----------------------------


def test_control_endpoints_register_refs_and_expose_asset_checksums(fake, client, files):
    from tests.helpers.github import control

    control(fake, "refs", {"repo": REPO, "ref": "refs/tags/v1.0.0", "sha": HEAD})
    publish_release(client, spec(), files)
    client.create_deployment(
        ref="v1.0.0", environment="production", description="d", payload={"mlci": {"attempt": "z"}}
    )

    state = control(fake, "state")
    [release] = state["releases"]
    assert [(a["name"], a["size"], a["sha256"]) for a in release["assets"]] == [
        (f.name, f.size, f.sha256) for f in files
    ]
    assert "data" not in release["assets"][0]
    assert state["deployments"][0]["sha"] == HEAD
