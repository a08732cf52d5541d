"""`mlci release` end to end: real git repositories, the records branch on a bare origin, and the
GitHub API fake over HTTP driven by the real PyGithub client."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mlci.release.bundle import CHECKSUMS, parse_sha256sums
from tests.helpers.release import NAME, READER, REPO, TOKEN, Project, github_env

BUNDLE = ["model.bin", "model-card.md", "metrics.json", "record.json", CHECKSUMS]


def first_release(project: Project, fake: Any) -> str:
    """v1.0.0 of the model at quality 1.5, recorded on main and released with --bootstrap."""
    sha = project.commit("first model")
    assert project.run_main()[0] == 0
    project.tag("v1.0.0", fake)
    code, out, err = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))
    assert (code, err) == (0, ""), out + err
    return sha


def next_model(project: Project, fake: Any, tag: str, quality: float, seed: int = 0) -> str:
    """A new model on main, recorded there and tagged (not released yet)."""
    project.set_model(quality, seed)
    sha = project.commit(f"model for {tag}")
    project.run_main()
    project.tag(tag, fake)
    return sha


def releases(fake: Any) -> list[dict[str, Any]]:
    return list(fake.snapshot()["releases"])


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return bytes(response.read())


def api_requests(fake: Any) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in fake.snapshot()["requests"]]


# -- the first release and its bundle ----------------------------------------------------------


def test_first_release_publishes_the_bundle_and_deploys_it(project, fake, no_sleep_client):
    sha = first_release(project, fake)

    [release] = releases(fake)
    assert (release["tag_name"], release["draft"], release["prerelease"]) == (
        "v1.0.0",
        False,
        False,
    )
    assert release["name"] == f"{NAME} 1.0.0"
    assert [a["name"] for a in release["assets"]] == BUNDLE
    # every asset, downloaded as a user would, matches SHA256SUMS (recomputed here)
    client = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(
                f"{fake.url}/repos/{REPO}/releases/{release['id']}/assets",
                headers={"Authorization": f"token {TOKEN}"},
            ),
            timeout=5,
        ).read()
    )
    files = {a["name"]: download(a["browser_download_url"]) for a in client}
    sums = parse_sha256sums(files[CHECKSUMS].decode())
    assert set(sums) == set(BUNDLE) - {CHECKSUMS}
    for name, data in files.items():
        if name != CHECKSUMS:
            assert hashlib.sha256(data).hexdigest() == sums[name], name
    assert files["model.bin"] == (project.path / "model.bin").read_bytes()
    record = json.loads(files["record.json"])
    assert (record["commit"], record["name"]) == (sha, NAME)
    metrics = json.loads(files["metrics.json"])
    assert metrics["metrics"]["roc_auc"] == pytest.approx(record["model"]["metrics"]["roc_auc"])
    assert metrics["previous_release"] is None and metrics["verdict"] == "pass"
    card = files["model-card.md"].decode()
    assert "## Intended use\n\nScoring churn risk of active subscribers." in card
    assert "| **Owner** | ml-platform team |" in card
    assert f"| **Commit** | `{sha}` |" in card
    assert "none: first release of this model" in card

    [deployment] = fake.snapshot()["deployments"]
    assert (deployment["ref"], deployment["environment"], deployment["sha"]) == (
        "v1.0.0",
        "production",
        sha,
    )
    assert deployment["auto_merge"] is False and deployment["required_contexts"] == []
    states = [s["state"] for s in deployment["statuses"]]
    assert states == ["in_progress", "success"]
    run_url = f"{fake.url}/{REPO}/actions/runs/4242"
    assert {s["log_url"] for s in deployment["statuses"]} == {run_url}
    seen = (project.tmp / "deployed-env.txt").read_text().splitlines()
    assert seen == ["v1.0.0", "1.0.0", sha, "production", "no token", str(project.path)]
    assert (project.tmp / "deployed-sums.txt").read_bytes() == files[CHECKSUMS]
    assert project.result()["release_url"].endswith("/octo/models/releases/tag/v1.0.0")
    assert not fake.snapshot()["token_leaked"]


def test_the_notes_show_the_metric_change_since_the_previous_release(
    project, fake, no_sleep_client
):
    first_release(project, fake)
    sha = next_model(project, fake, "v1.1.0", 1.6)

    code, out, err = project.release("--tag", "v1.1.0", env=github_env(fake))

    assert (code, err) == (0, ""), out
    assert "comparing with the previous release v1.0.0" in out
    new = next(r for r in releases(fake) if r["tag_name"] == "v1.1.0")
    body = new["body"]
    assert body.startswith("<!-- mlci:release name=churn-model -->\n### ✅ churn-model 1.1.0")
    assert "Compared with the previous release `v1.0.0`" in body
    assert "| Metric | `v1.0.0` | `v1.1.0` | Change | Change % | CI of change | Gates |" in body
    roc = next(line for line in body.splitlines() if line.startswith("| roc\\_auc |"))
    assert "95% [+" in roc  # a paired interval of the change, both releases on the same rows
    metrics = json.loads((project.out / "bundle" / "metrics.json").read_text())
    assert metrics["previous_release"]["tag"] == "v1.0.0"
    assert metrics["change"]["roc_auc"]["change"] > 0
    assert metrics["commit"] == sha


def test_rerunning_the_same_tag_changes_nothing_and_duplicates_nothing(
    project, fake, no_sleep_client
):
    first_release(project, fake)
    before = releases(fake)

    code, out, err = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))

    assert (code, err) == (0, ""), out
    after = releases(fake)
    assert len(after) == 1 and after[0]["id"] == before[0]["id"]
    assert [(a["id"], a["name"]) for a in after[0]["assets"]] == [
        (a["id"], a["name"]) for a in before[0]["assets"]
    ]
    assert after[0]["body"] == before[0]["body"]
    assert "Uploaded" not in out
    uploads = [r for r in api_requests(fake) if "/uploads/" in r]
    assert len(uploads) == len(BUNDLE)  # all from the first run


# -- refusals ----------------------------------------------------------------------------------


def test_a_failing_gate_refuses_the_release_and_creates_nothing(project, fake, no_sleep_client):
    first_release(project, fake)
    sha = next_model(project, fake, "v1.1.0", 0.9)
    writes = [r for r in api_requests(fake) if not r.startswith("GET")]

    code, out, err = project.release("--tag", "v1.1.0", env=github_env(fake))

    assert (code, err) == (1, "")
    line = next(x for x in out.splitlines() if x.startswith("mlci: Refusing"))
    assert line.startswith(
        f"mlci: Refusing to release v1.1.0 (commit {sha[:7]}): 1 gate failed in strict mode "
        f"against v1.0.0 ({project.result()['previous_release']['commit'][:7]}): roc_auc max "
        "regression 0.01: roc_auc got worse by 0.08"
    )
    assert [r for r in api_requests(fake) if not r.startswith("GET")] == writes
    assert [r["tag_name"] for r in releases(fake)] == ["v1.0.0"]
    assert project.result()["verdict"] == "fail"


def test_strict_mode_refuses_a_drop_that_lenient_main_runs_let_through(
    project, fake, no_sleep_client
):
    project.write_config(gates=[{"metric": "roc_auc", "max_regression": 0.005}])
    first_release(project, fake)
    project.set_model(1.45, seed=1)  # ROC AUC −0.002, 95% CI of the change about [−0.006, +0.003]
    project.commit("slightly different model")
    code, run_out = project.run_main()
    assert code == 0, run_out  # lenient: the whole interval is not beyond the margin
    project.tag("v1.1.0", fake)

    code, out, _ = project.release("--tag", "v1.1.0", env=github_env(fake))

    assert code == 1
    assert "is not entirely within the margin: not shown" in out
    assert [r["tag_name"] for r in releases(fake)] == ["v1.0.0"]


def test_without_a_previous_release_it_refuses_unless_bootstrapped(project, fake, no_sleep_client):
    sha = project.commit("first model")
    project.run_main()
    project.tag("v1.0.0", fake)

    code, out, err = project.release("--tag", "v1.0.0", env=github_env(fake))

    assert (code, err) == (1, "")
    assert (
        f"mlci: Refusing to release v1.0.0 (commit {sha[:7]}): no earlier release (among this "
        "tag's ancestors) with a stored record to compare with. For the first release of this "
        "model run `mlci release --bootstrap` (change rules are then skipped; min/max rules "
        "still apply).\n"
    ) in out
    assert releases(fake) == []
    code, out, err = project.release("--tag", "v1.0.0", "--bootstrap")
    assert code == 0, out
    assert [r["tag_name"] for r in releases(fake)] == ["v1.0.0"]


def test_no_blocking_gate_means_no_release(project, fake, no_sleep_client):
    project.write_config(gates=[{"metric": "roc_auc", "min": 0.6, "severity": "warn"}])
    sha = project.commit("first model")
    project.tag("v1.0.0", fake)

    code, out, _ = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))

    assert code == 1
    assert (
        f"mlci: Refusing to release v1.0.0 (commit {sha[:7]}): no blocking rule configured: "
        "mlci never passes a release it did not check. Add a gate with severity error (the "
        "default) under `gates:` in mlci.yml.\n"
    ) in out
    assert releases(fake) == []


# -- tags, drafts and failures ---------------------------------------------------------------


def test_a_semver_pre_release_tag_makes_a_prerelease(project, fake, no_sleep_client):
    first_release(project, fake)
    next_model(project, fake, "v2.0.0-rc.1", 1.55)

    code, out, _ = project.release("--tag", "v2.0.0-rc.1", env=github_env(fake))

    assert code == 0, out
    rc = next(r for r in releases(fake) if r["tag_name"] == "v2.0.0-rc.1")
    assert (rc["prerelease"], rc["make_latest"], rc["draft"]) == (True, "false", False)
    assert next(r for r in releases(fake) if r["tag_name"] == "v1.0.0")["prerelease"] is False


def test_an_upload_failing_midway_leaves_a_draft_that_a_rerun_completes(
    project, fake, no_sleep_client
):
    project.commit("first model")
    project.run_main()
    project.tag("v1.0.0", fake)
    fake.add_faults(
        {
            "method": "POST",
            "path": "/uploads/",
            "query": r"name=metrics\.json",
            "status": 502,
            "count": 5,
        }
    )

    code, out, err = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))

    assert code == 2
    assert "uploading metrics.json" in err
    assert err.rstrip().endswith("The release v1.0.0 stays a draft: re-run the job to complete it.")
    [draft] = releases(fake)
    assert draft["draft"] is True and draft["published_at"] is None
    assert [a["name"] for a in draft["assets"]] == ["model.bin", "model-card.md"]
    assert fake.snapshot()["deployments"] == []

    code, out, err = project.release("--tag", "v1.0.0", "--bootstrap")

    assert (code, err) == (0, ""), out
    [release] = releases(fake)
    assert release["id"] == draft["id"] and release["draft"] is False
    assert [a["name"] for a in release["assets"]] == BUNDLE
    assert [a["id"] for a in release["assets"][:2]] == [a["id"] for a in draft["assets"]]
    assert "Found the draft of release v1.0.0: completing it." in out


def test_an_upload_whose_answer_is_lost_is_not_uploaded_twice(project, fake, no_sleep_client):
    project.commit("first model")
    project.run_main()
    project.tag("v1.0.0", fake)
    fake.add_faults(
        {
            "method": "POST",
            "path": "/uploads/",
            "query": r"name=record\.json",
            "kind": "after",
            "status": 502,
        }
    )

    code, out, _ = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))

    assert code == 0, out
    [release] = releases(fake)
    assert [a["name"] for a in release["assets"]] == BUNDLE


def test_a_failing_deploy_command_fails_the_job_and_records_a_failure(
    project, fake, no_sleep_client
):
    project.config["release"]["deploy"] = {"command": "echo 'cannot reach cluster' >&2; exit 3"}
    project.write_config()
    project.commit("first model")
    project.run_main()
    project.tag("v1.0.0", fake)

    code, out, err = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))

    assert (code, err) == (1, "")
    assert "cannot reach cluster" in out
    assert "::error title=mlci release::The deployment of v1.0.0" in out
    [deployment] = fake.snapshot()["deployments"]
    assert [s["state"] for s in deployment["statuses"]] == ["in_progress", "failure"]
    assert deployment["statuses"][-1]["description"].startswith("the deploy command exited with 3")
    assert releases(fake)[0]["draft"] is False  # the model passed its gates: it is released
    assert project.result()["deployment"]["state"] == "failure"


def test_notes_written_by_people_are_kept_and_mlci_section_is_replaced(
    project, fake, no_sleep_client
):
    import github

    project.commit("first model")
    project.run_main()
    project.tag("v1.0.0", fake)
    # a draft prepared by people (or by release-drafter) before the tag was pushed
    gh = github.Github(auth=github.Auth.Token(TOKEN), base_url=fake.url)
    repo = gh.get_repo(REPO)
    repo.create_git_release("v1.0.0", name="Spring model", message="Hand-written.", draft=True)

    for _ in range(2):
        code, out, _ = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))
        assert code == 0, out

    [release] = releases(fake)
    assert release["name"] == "Spring model" and release["draft"] is False
    assert release["body"].startswith("Hand-written.\n\n<!-- mlci:release name=churn-model -->")
    assert release["body"].count("<!-- mlci:release name=churn-model -->") == 1


# -- where the record and the tag come from -----------------------------------------------------


def test_a_tag_without_a_stored_record_is_evaluated_and_its_record_stored(
    project, fake, no_sleep_client
):
    sha = project.commit("first model")  # no `mlci run` on main
    project.tag("v1.0.0", fake)
    assert project.remote_records() == []

    code, out, _ = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))

    assert code == 0, out
    assert f"no stored record for v1.0.0 ({sha[:7]}): evaluating it now" in out
    assert project.remote_records() == [f"{NAME}/{sha[:2]}/{sha}.json"]


def test_a_tag_evaluated_from_a_checkout_that_differs_from_it_stores_no_record(
    project, fake, no_sleep_client
):
    sha = project.commit("first model")
    project.tag("v1.0.0", fake)
    project.set_model(1.4)  # edited after the tag

    code, out, _ = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake))

    assert code == 0, out
    assert (
        f"mlci: not storing the record of v1.0.0 ({sha[:7]}): tracked files differ from the "
        "commit (model.bin, preds.csv)."
    ) in out
    assert project.remote_records() == []


def test_dry_run_calls_no_api_and_writes_the_bundle(project, fake, no_sleep_client):
    first_release(project, fake)
    next_model(project, fake, "v1.1.0", 1.6)
    fake.reset()  # forget the requests so far (and the releases: a dry run reads git tags)
    records = project.remote_records()

    code, out, err = project.release("--tag", "v1.1.0", "--dry-run", env=github_env(fake))

    assert (code, err) == (0, ""), out
    assert fake.snapshot()["requests"] == []
    assert "mlci: dry run: the previous release is looked up among the git tags" in out
    assert "mlci: comparing with the previous tag v1.0.0 (" in out
    assert "Would create a release v1.1.0 as a draft" in out
    assert "Would create a deployment of v1.1.0 to production" in out
    assert "The release notes would read:" in out
    bundle = project.out / "bundle"
    assert sorted(p.name for p in bundle.iterdir()) == sorted(BUNDLE)
    assert project.remote_records() == records
    assert not (project.tmp / "deployed-env.txt").read_text().startswith("v1.1.0")
    assert project.result()["dry_run"] is True


def test_in_github_actions_the_pushed_tag_is_released(
    project, fake, no_sleep_client, tmp_path: Path
):
    sha = project.commit("first model")
    project.run_main()
    project.tag("v1.0.0", fake)
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"ref": "refs/tags/v1.0.0", "repository": {"default_branch": "main"}})
    )
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    env = {
        **github_env(fake),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REF": "refs/tags/v1.0.0",
        "GITHUB_SHA": sha,
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "MLCI_RELEASE_BOOTSTRAP": "true",
        "MLCI_GITHUB_TOKEN": TOKEN,
    }

    code, out, err = project.release(env=env)

    assert (code, err) == (0, ""), out
    assert [r["tag_name"] for r in releases(fake)] == ["v1.0.0"]
    assert "### ✅ churn-model 1.0.0" in summary.read_text()
    text = outputs.read_text()
    assert "release-url<<" in text and "/releases/tag/v1.0.0" in text
    assert (project.tmp / "deployed-env.txt").read_text().splitlines()[4] == "no token"


def test_a_read_only_token_cannot_release(project, fake, no_sleep_client):
    project.commit("first model")
    project.run_main()
    project.tag("v1.0.0", fake)

    code, _, err = project.release("--tag", "v1.0.0", "--bootstrap", env=github_env(fake, READER))

    assert code == 2
    assert "the token is read-only" in err
    assert releases(fake) == []


def test_an_unknown_tag_is_a_usage_error(project, fake):
    project.commit("first model")

    code, _, err = project.release("--tag", "v9.9.9")

    assert code == 2
    assert err.startswith("mlci: error: Tag 'v9.9.9' is not in the repository at ")
