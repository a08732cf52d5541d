"""The GitHub fake itself: honest where GitHub is strict, over raw HTTP (no PyGithub)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.fake_github import FakeGitHub
from tests.helpers.github import HEAD, PR, READ_TOKEN, REPO, WRITE_TOKEN, control


def call(
    fake: FakeGitHub,
    method: str,
    path: str,
    payload: Any = None,
    *,
    token: str | None = WRITE_TOKEN,
    scheme: str = "token",
) -> tuple[int, Any, dict[str, str]]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(f"{fake.url}{path}", data=data, method=method)
    if token is not None:
        request.add_header("Authorization", f"{scheme} {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw, status, headers = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as e:
        raw, status, headers = e.read(), e.code, dict(e.headers)
    return status, json.loads(raw) if raw else None, headers


def links(headers: dict[str, str]) -> dict[str, str]:
    found = re.findall(r'<([^>]+)>; rel="(\w+)"', headers.get("Link", ""))
    return {rel: url for url, rel in found}


def test_pagination_follows_per_page_and_page_with_a_cap_of_100(fake):
    for i in range(250):
        fake.seed_comment(REPO, PR, f"c{i}", "someone-else")
    comments = f"/repos/{REPO}/issues/{PR}/comments"

    status, page1, headers = call(fake, "GET", f"{comments}?per_page=500")
    assert status == 200 and len(page1) == 100
    rels = links(headers)
    assert set(rels) == {"next", "last"}
    assert rels["next"] == f"{fake.url}{comments}?per_page=100&page=2"
    assert rels["last"].endswith("page=3")

    _, page3, headers = call(fake, "GET", f"{comments}?per_page=100&page=3")
    assert [c["body"] for c in page3] == [f"c{i}" for i in range(200, 250)]
    assert set(links(headers)) == {"prev", "first"}

    _, default_page, _ = call(fake, "GET", comments)
    assert len(default_page) == 30


def test_json_shapes_and_rate_limit_headers(fake):
    status, pull, headers = call(fake, "GET", f"/api/v3/repos/{REPO}/pulls/{PR}")
    assert status == 200
    assert pull["head"]["sha"] == HEAD and pull["head"]["repo"]["full_name"] == REPO
    assert pull["base"]["ref"] == "main" and pull["number"] == PR
    assert pull["url"] == f"{fake.url}/api/v3/repos/{REPO}/pulls/{PR}"
    assert pull["html_url"] == f"{fake.url}/{REPO}/pull/{PR}"
    assert int(headers["X-RateLimit-Remaining"]) < int(headers["X-RateLimit-Limit"])
    assert int(headers["X-RateLimit-Reset"]) > time.time()

    _, comment, _ = call(fake, "POST", f"/repos/{REPO}/issues/{PR}/comments", {"body": "hi"})
    assert set(comment) >= {"id", "node_id", "url", "html_url", "body", "user", "created_at"}
    assert comment["user"] == {**comment["user"], "login": "mlci-user", "type": "User"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", comment["created_at"])


def test_auth(fake):
    assert call(fake, "GET", "/user", token=None)[0] == 401
    status, body, _ = call(fake, "GET", "/user", token="nope")
    assert (status, body["message"]) == (401, "Bad credentials")
    assert call(fake, "GET", "/user", scheme="Bearer")[1]["login"] == "mlci-user"
    status, body, _ = call(fake, "GET", "/user", token=READ_TOKEN)
    assert (status, body["message"]) == (403, "Resource not accessible by integration")


def test_read_only_token_cannot_write(fake):
    path = f"/repos/{REPO}/issues/{PR}/comments"
    status, body, headers = call(fake, "POST", path, {"body": "x"}, token=READ_TOKEN)
    assert (status, body["message"]) == (403, "Resource not accessible by integration")
    assert int(headers["X-RateLimit-Remaining"]) > 0  # not a rate limit
    assert call(fake, "GET", path, token=READ_TOKEN)[0] == 200
    assert fake.snapshot()["comments"] == []


def test_comment_body_limit_is_65536_characters(fake):
    path = f"/repos/{REPO}/issues/{PR}/comments"
    assert call(fake, "POST", path, {"body": "x" * 65536})[0] == 201
    status, body, _ = call(fake, "POST", path, {"body": "x" * 65537})
    assert status == 422
    assert body["message"] == "Validation Failed"
    assert body["errors"] == [
        {
            "resource": "IssueComment",
            "code": "custom",
            "field": "body",
            "message": "body is too long (maximum is 65536 characters)",
        }
    ]
    assert len(fake.snapshot()["comments"]) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"state": "success", "context": "c", "description": "d" * 141}, "description"),
        ({"state": "ok", "context": "c"}, "state"),
        ({"state": "success"}, "context"),
    ],
)
def test_status_validation(fake, payload, field):
    status, body, _ = call(fake, "POST", f"/repos/{REPO}/statuses/{HEAD}", payload)
    assert status == 422 and body["errors"][0]["field"] == field
    assert fake.snapshot()["statuses"] == []


def test_statuses_and_combined_status(fake):
    post = f"/repos/{REPO}/statuses/{HEAD}"
    call(fake, "POST", post, {"state": "pending", "context": "mlci/a", "description": "d" * 140})
    call(fake, "POST", post, {"state": "success", "context": "mlci/a"})
    call(fake, "POST", post, {"state": "failure", "context": "mlci/b"})

    _, listed, _ = call(fake, "GET", f"/repos/{REPO}/commits/{HEAD}/statuses")
    assert [(s["context"], s["state"]) for s in listed] == [
        ("mlci/b", "failure"),
        ("mlci/a", "success"),
        ("mlci/a", "pending"),
    ]
    _, combined, _ = call(fake, "GET", f"/repos/{REPO}/commits/{HEAD}/status")
    assert combined["state"] == "failure" and combined["total_count"] == 2


def test_patch_and_delete_comments(fake):
    cid = fake.seed_comment(REPO, PR, "old", "mlci-user")
    path = f"/repos/{REPO}/issues/comments/{cid}"
    assert call(fake, "PATCH", path, {"body": "new"})[1]["body"] == "new"
    assert call(fake, "GET", path)[1]["body"] == "new"
    assert call(fake, "DELETE", path)[0] == 204
    assert call(fake, "GET", path)[0] == 404


def test_faults_are_consumed_in_order_and_after_faults_apply_the_write(fake):
    control(
        fake,
        "faults",
        [
            {"method": "POST", "path": "/comments$", "kind": "after"},
            {"method": "POST", "path": "/comments$", "status": 503, "count": 2},
        ],
    )
    path = f"/repos/{REPO}/issues/{PR}/comments"
    statuses = [call(fake, "POST", path, {"body": "x"})[0] for _ in range(4)]

    assert statuses == [502, 503, 503, 201]
    assert len(fake.snapshot()["comments"]) == 2  # the 502 one landed, the 503 ones did not


def test_rate_limit_faults_carry_githubs_headers(fake):
    control(
        fake,
        "faults",
        [
            {"method": "GET", "path": "^/user$", "kind": "primary_rate_limit", "reset_in": 30},
            {"method": "GET", "path": "^/user$", "kind": "secondary_rate_limit", "retry_after": 5},
            {"method": "GET", "path": "^/user$", "kind": "too_many_requests", "retry_after": 2},
        ],
    )
    status, body, headers = call(fake, "GET", "/user")
    assert (status, headers["X-RateLimit-Remaining"]) == (403, "0")
    assert body["message"].startswith("API rate limit exceeded")
    assert 28 <= int(headers["X-RateLimit-Reset"]) - time.time() <= 31
    status, body, headers = call(fake, "GET", "/user")
    assert (status, headers["Retry-After"]) == (403, "5")
    assert body["message"].startswith("You have exceeded a secondary rate limit")
    status, _, headers = call(fake, "GET", "/user")
    assert (status, headers["Retry-After"]) == (429, "2")
    assert call(fake, "GET", "/user")[0] == 200


def test_state_flags_a_token_outside_the_authorization_header(fake):
    call(fake, "GET", "/user")
    assert control(fake, "state")["token_leaked"] is False
    call(fake, "GET", f"/user?access_token={WRITE_TOKEN}")
    state = control(fake, "state")
    assert state["token_leaked"] is True
    assert [r["token_leak"] for r in state["requests"]] == [False, True]


def test_control_endpoints_over_http(fake):
    control(fake, "tokens", {"tok-new": {"login": "newbie", "type": "user", "permission": "read"}})
    control(fake, "pulls", {"repo": "o/r", "number": 3, "head_sha": "b" * 40, "head_repo": "f/r"})
    _, pull, _ = call(fake, "GET", "/repos/o/r/pulls/3", token="tok-new")
    assert pull["head"]["repo"]["full_name"] == "f/r" and pull["base"]["repo"]["full_name"] == "o/r"
    control(fake, "reset", {})
    assert call(fake, "GET", "/repos/o/r/pulls/3", token="tok-new")[0] == 404
    assert [r["path"] for r in control(fake, "state")["requests"]] == ["/repos/o/r/pulls/3"]


@pytest.mark.integration
def test_standalone_process_writes_its_port(tmp_path: Path):
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tok-x": {"login": "x", "type": "user", "permission": "write"}}))
    port_file, state_file = tmp_path / "port", tmp_path / "state.json"
    script = Path(__file__).parents[1] / "helpers" / "fake_github.py"
    args = ["--port", "0", "--port-file", port_file, "--token-file", tokens]
    process = subprocess.Popen(
        [sys.executable, script, *map(str, args), "--state-file", str(state_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        port = int(port_file.read_text())
        request = urllib.request.Request(f"http://127.0.0.1:{port}/user")
        request.add_header("Authorization", "token tok-x")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["login"] == "x"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert out.startswith(f"fake-github listening on http://127.0.0.1:{port}")
    assert json.loads(state_file.read_text())["requests"][0]["path"] == "/user"
