"""A stateful local fake of the parts of the GitHub REST API that mlci uses.

It answers over real HTTP, so tests drive the real PyGithub client against it, and it is honest
where GitHub is strict: tokens and permissions, ``per_page`` capped at 100, the 65,536-character
comment body limit, the 140-character status description, the status state enum, Link-header
pagination, and ``X-RateLimit-*`` headers. Faults (5xx, a write that lands but answers 502, rate
limits, timeouts, 401, a 403 refusal of one kind of write, 422) are queued through control
endpoints under ``/_fake/``.

Every API path is served under both ``/`` (github.com style) and ``/api/v3`` (GHES style).

In-process::

    fake = FakeGitHub()
    fake.start()            # 127.0.0.1, free port, daemon thread
    fake.url                # "http://127.0.0.1:PORT"
    fake.stop()

As a process (end-to-end tests)::

    python tests/helpers/fake_github.py --port 0 --port-file /tmp/port --token-file tokens.json

Control endpoints (no auth needed):

- ``GET  /_fake/state``   comments, statuses, pulls, the request log and ``token_leaked``
- ``POST /_fake/reset``   forget everything but the configured tokens
- ``POST /_fake/pulls``   ``{"repo": "o/r", "number": 7, "head_sha": "...", "head_repo": "o/r",
  "head_ref": "feature", "base_ref": "main"}``
- ``POST /_fake/comments`` seed a comment: ``{"repo", "number", "body", "login"}``
- ``POST /_fake/faults``  a fault or a list of faults (see :class:`Fault`)
- ``POST /_fake/tokens``  ``{"TOKEN": {"login": "...", "type": "user"|"installation",
  "permission": "write"|"read"}}``
- ``POST /_fake/refs``    ``{"repo", "ref": "v1.0.0", "sha"}``: a tag or branch deployments may use
- ``POST /_fake/labels``  ``{"repo", "number", "label", "actor"}``: ``actor`` labels the PR
  (``"remove": true`` unlabels it); both leave an issue event
- ``POST /_fake/permissions`` ``{"repo", "login", "role"}``: admin, maintain, write, triage, read

Releases keep their assets' bytes: ``browser_download_url`` serves them without a token, and
``GET /_fake/state`` lists each asset's size and sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

MAX_COMMENT_CHARS = 65536
MAX_DESCRIPTION_CHARS = 140
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30
STATUS_STATES = ("error", "failure", "pending", "success")
RATE_LIMIT = 5000
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
FAULT_KINDS = (
    "status",  # answer `status` (500/502/503...) before applying the request
    "after",  # apply the request, then answer `status` (default 502)
    "primary_rate_limit",  # 403, X-RateLimit-Remaining: 0, X-RateLimit-Reset: now + reset_in
    "secondary_rate_limit",  # 403 (or `status`: 429), Retry-After when retry_after is set
    "too_many_requests",  # 429 with Retry-After
    "bad_credentials",  # 401 Bad credentials
    "validation",  # 422 Validation Failed (body too long)
    "read_only",  # 403 Resource not accessible by integration (this write is not permitted)
    "timeout",  # answer after `delay` s; a write lands first if `apply`, else not at all
)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An API answer other than success: status, JSON body and extra headers."""

    def __init__(
        self, status: int, message: str, *, errors: list[Any] | None = None, headers=None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
        }
        if errors is not None:
            self.body["errors"] = errors
        self.headers: dict[str, str] = dict(headers or {})


def validation_failed(resource: str, field_name: str, message: str) -> ApiError:
    error = {"resource": resource, "code": "custom", "field": field_name, "message": message}
    return ApiError(422, "Validation Failed", errors=[error])


@dataclass
class Fault:
    """One queued fault, matched by method and a regex searched in the API path (no prefix),
    and optionally one searched in the query string (``query``)."""

    method: str
    path: str
    kind: str = "status"
    status: int = 500
    count: int = 1
    retry_after: int | None = None  # seconds, for rate limits
    reset_in: int = 1  # seconds until X-RateLimit-Reset, primary rate limit
    delay: float = 2.0  # seconds, timeout
    apply: bool = False  # timeout: apply the write (before the slow answer)
    query: str | None = None  # also a regex searched in the query string, e.g. "name=a\\.json"

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Fault:
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        fault = cls(**raw)
        if fault.kind == "after" and "status" not in raw:
            fault.status = 502
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {FAULT_KINDS}")
        re.compile(fault.path)
        return fault

    def matches(self, method: str, path: str, query: str = "") -> bool:
        return (
            self.count > 0
            and self.method.upper() in (method, "*")
            and bool(re.search(self.path, path))
            and (self.query is None or bool(re.search(self.query, query)))
        )


@dataclass
class State:
    """Everything the fake knows. Guarded by ``FakeGitHub.lock``."""

    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)
    next_id: int = 1000
    remaining: dict[str, int] = field(default_factory=dict)
    releases: dict[int, dict[str, Any]] = field(default_factory=dict)
    assets: dict[int, dict[str, Any]] = field(default_factory=dict)  # with the bytes ("data")
    deployments: dict[int, dict[str, Any]] = field(default_factory=dict)
    deployment_statuses: list[dict[str, Any]] = field(default_factory=list)
    refs: dict[tuple[str, str], str] = field(default_factory=dict)  # (repo, ref) -> sha
    labels: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    issue_events: list[dict[str, Any]] = field(default_factory=list)
    permissions: dict[tuple[str, str], str] = field(default_factory=dict)  # (repo, login) -> role

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def user_id(self, login: str) -> int:
        if login not in self.users:
            self.users[login] = 5000 + len(self.users)
        return self.users[login]


class FakeGitHub:
    """The fake server: state, routing and fault injection. Thread-safe."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, tokens: Mapping[str, Any] | None = None
    ) -> None:
        self.lock = threading.RLock()
        self.state = State()
        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None
        if tokens:
            self.add_tokens(tokens)

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGitHub:
        serve = lambda: self.httpd.serve_forever(poll_interval=0.05)  # noqa: E731
        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- control (also reachable over HTTP under /_fake/) ----------------------------------
    def add_tokens(self, tokens: Mapping[str, Any]) -> None:
        with self.lock:
            for token, spec in tokens.items():
                kind = spec.get("type", "user")
                permission = spec.get("permission", "write")
                if kind not in ("user", "installation") or permission not in ("write", "read"):
                    raise ValueError(f"bad token spec {spec!r}")
                default_login = "github-actions[bot]" if kind == "installation" else "octocat"
                login = spec.get("login", default_login)
                self.state.tokens[token] = {"login": login, "type": kind, "permission": permission}

    def reset(self) -> None:
        with self.lock:
            self.state = State(tokens=self.state.tokens)

    def add_faults(self, faults: Any) -> None:
        items = faults if isinstance(faults, list) else [faults]
        parsed = [Fault.from_json(item) for item in items]
        with self.lock:
            self.state.faults.extend(parsed)

    def add_pull(
        self,
        repo: str,
        number: int,
        head_sha: str,
        *,
        head_repo: str | None = None,
        head_ref: str = "feature",
        base_ref: str = "main",
    ) -> None:
        with self.lock:
            self._ensure_repo(repo)
            if head_repo:
                self._ensure_repo(head_repo, fork=head_repo != repo)
            self.state.pulls[(repo, number)] = {
                "number": number,
                "head_sha": head_sha,
                "head_repo": head_repo if head_repo is not None else repo,
                "head_ref": head_ref,
                "base_ref": base_ref,
                "created_at": now_iso(),
            }

    def move_head(self, repo: str, number: int, head_sha: str) -> None:
        with self.lock:
            self.state.pulls[(repo, number)]["head_sha"] = head_sha

    def seed_comment(self, repo: str, number: int, body: str, login: str) -> int:
        with self.lock:
            return self._create_comment(repo, number, body, login)["id"]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            s = self.state
            return json.loads(
                json.dumps(
                    {
                        "comments": [dict(c) for c in sorted(s.comments.values(), key=_by_id)],
                        "statuses": [dict(st) for st in s.statuses],
                        "pulls": [dict(p, repo=k[0]) for k, p in s.pulls.items()],
                        "faults_left": [f.__dict__ for f in s.faults if f.count > 0],
                        "requests": [dict(r) for r in s.log],
                        "token_leaked": any(r["token_leak"] for r in s.log),
                        **self._release_snapshot(),
                    }
                )
            )

    # -- request handling ------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path.startswith("/_fake/"):
            return self._control(req)
        download = _DOWNLOAD.fullmatch(req.path)
        if download and req.method == "GET":
            return self._download(*download.groups())
        entry = {
            "method": req.method,
            "path": req.full_path,
            "status": None,  # until answered: a timeout fault leaves it None for a while
            "token_leak": self._token_leak(req),
            "time": time.time(),
        }
        with self.lock:
            self.state.log.append(entry)
        try:
            response = self._api(req)
        except ApiError as e:
            response = Response(e.status, e.body, e.headers)
        with self.lock:
            entry["status"] = response.status
        return response

    def _control(self, req: Request) -> Response:
        try:
            body = req.json() if req.body else {}
            if req.method == "GET" and req.path == "/_fake/state":
                return Response(200, self.snapshot())
            if req.method == "POST" and req.path == "/_fake/reset":
                self.reset()
            elif req.method == "POST" and req.path == "/_fake/faults":
                self.add_faults(body)
            elif req.method == "POST" and req.path == "/_fake/tokens":
                self.add_tokens(body)
            elif req.method == "POST" and req.path == "/_fake/pulls":
                self.add_pull(
                    body["repo"],
                    int(body["number"]),
                    body["head_sha"],
                    head_repo=body.get("head_repo"),
                    head_ref=body.get("head_ref", "feature"),
                    base_ref=body.get("base_ref", "main"),
                )
            elif req.method == "POST" and req.path == "/_fake/comments":
                cid = self.seed_comment(
                    body["repo"], int(body["number"]), body["body"], body["login"]
                )
                return Response(201, {"id": cid})
            elif req.method == "POST" and req.path in RELEASE_CONTROLS:
                self._release_control(req.path, body)
            else:
                return Response(404, {"message": "Not Found"})
        except (KeyError, ValueError, TypeError) as e:
            return Response(400, {"message": f"bad control request: {e}"})
        return Response(200, {"ok": True})

    def _api(self, req: Request) -> Response:
        user = self._authenticate(req)
        try:
            response = self._answer(req, user)
        except ApiError as e:
            for name, value in self._rate_headers(req).items():
                e.headers.setdefault(name, value)  # GitHub sends them on errors too
            raise
        response.headers.update(self._rate_headers(req))
        return response

    def _answer(self, req: Request, user: Mapping[str, str]) -> Response:
        fault = self._take_fault(req)
        if fault is not None and fault.kind not in ("after", "timeout"):
            raise _fault_error(fault)
        if fault is not None and fault.kind == "timeout" and not fault.apply:
            self.stopping.wait(fault.delay)  # answer too late, and a write does not land
            if req.method != "GET":
                raise ApiError(504, "We couldn't respond to your request in time.")
        if req.method != "GET":
            self._authorize_write(user)
        response = self._route(req, user)
        if fault is not None and fault.kind == "timeout" and fault.apply:
            self.stopping.wait(fault.delay)  # the write landed, the answer comes too late
        if fault is not None and fault.kind == "after":
            raise ApiError(fault.status, REASONS.get(fault.status, "Server Error"))
        return response

    def _authenticate(self, req: Request) -> dict[str, str]:
        header = req.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise ApiError(401, "Requires authentication")
        if scheme.lower() not in ("token", "bearer"):
            raise ApiError(401, "Bad credentials")
        with self.lock:
            spec = self.state.tokens.get(token.strip())
        if spec is None:
            raise ApiError(401, "Bad credentials")
        req.token = token.strip()
        return spec

    def _authorize_write(self, user: Mapping[str, str]) -> None:
        if user["permission"] != "write":
            who = "integration" if user["type"] == "installation" else "personal access token"
            raise ApiError(403, f"Resource not accessible by {who}")

    def _take_fault(self, req: Request) -> Fault | None:
        with self.lock:
            for fault in self.state.faults:
                if fault.matches(req.method, req.path, urlsplit(req.full_path).query):
                    fault.count -= 1
                    return fault
        return None

    def _rate_headers(self, req: Request) -> dict[str, str]:
        with self.lock:
            left = self.state.remaining.get(req.token, RATE_LIMIT) - 1
            self.state.remaining[req.token] = max(left, 0)
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(left, 0)),
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
            "X-RateLimit-Used": str(RATE_LIMIT - max(left, 0)),
            "X-RateLimit-Resource": "core",
        }

    def _token_leak(self, req: Request) -> bool:
        with self.lock:
            tokens = [t for t in self.state.tokens if t]
        places = [req.full_path, req.body.decode("utf-8", "replace")]
        places += [v for k, v in req.headers.items() if k != "authorization"]
        return any(token in place for token in tokens for place in places)

    # -- routes ----------------------------------------------------------------------------
    def _route(self, req: Request, user: Mapping[str, str]) -> Response:
        for method, pattern, handler in ROUTES:
            m = re.fullmatch(pattern, req.path)
            if m and method == req.method:
                with self.lock:
                    return handler(self, req, user, *m.groups())
        raise ApiError(404, "Not Found")  # GitHub answers 404 for unsupported methods too

    def _get_user(self, req: Request, user: Mapping[str, str]) -> Response:
        if user["type"] == "installation":
            raise ApiError(403, "Resource not accessible by integration")
        return Response(200, self._user_json(req, user["login"]))

    def _get_repo(self, req: Request, user: Mapping[str, str], owner: str, name: str) -> Response:
        return Response(200, self._repo_json(req, self._repo(owner, name)))

    def _get_pull(self, req: Request, user, owner: str, name: str, number: str) -> Response:
        full = f"{owner}/{name}"
        self._repo(owner, name)
        pull = self.state.pulls.get((full, int(number)))
        if pull is None:
            raise ApiError(404, "Not Found")
        return Response(200, self._pull_json(req, full, pull))

    def _list_comments(self, req: Request, user, owner: str, name: str, number: str) -> Response:
        full = self._issue(owner, name, number)
        items = [
            c
            for c in sorted(self.state.comments.values(), key=_by_id)
            if c["repo"] == full and c["number"] == int(number)
        ]
        return self._page(req, [self._comment_json(req, c) for c in items])

    def _post_comment(self, req: Request, user, owner: str, name: str, number: str) -> Response:
        full = self._issue(owner, name, number)
        body = _comment_body(req.json())
        comment = self._create_comment(full, int(number), body, user["login"])
        return Response(201, self._comment_json(req, comment))

    def _get_comment(self, req: Request, user, owner: str, name: str, cid: str) -> Response:
        return Response(200, self._comment_json(req, self._comment(owner, name, cid)))

    def _patch_comment(self, req: Request, user, owner: str, name: str, cid: str) -> Response:
        comment = self._comment(owner, name, cid)
        comment["body"] = _comment_body(req.json())
        comment["updated_at"] = now_iso()
        comment["edits"] += 1
        return Response(200, self._comment_json(req, comment))

    def _delete_comment(self, req: Request, user, owner: str, name: str, cid: str) -> Response:
        comment = self._comment(owner, name, cid)
        del self.state.comments[comment["id"]]
        return Response(204, None)

    def _post_status(self, req: Request, user, owner: str, name: str, sha: str) -> Response:
        full = f"{owner}/{name}"
        self._repo(owner, name)
        status = _status_fields(req.json())
        status.update(
            id=self.state.new_id(),
            repo=full,
            sha=sha,
            creator=user["login"],
            created_at=now_iso(),
        )
        status["updated_at"] = status["created_at"]
        self.state.statuses.append(status)
        return Response(201, self._status_json(req, status))

    def _list_statuses(self, req: Request, user, owner: str, name: str, ref: str) -> Response:
        full = f"{owner}/{name}"
        self._repo(owner, name)
        items = [s for s in reversed(self.state.statuses) if s["repo"] == full and s["sha"] == ref]
        return self._page(req, [self._status_json(req, s) for s in items])

    def _combined_status(self, req: Request, user, owner: str, name: str, ref: str) -> Response:
        full = f"{owner}/{name}"
        repo = self._repo(owner, name)
        latest: dict[str, dict[str, Any]] = {}
        for s in reversed(self.state.statuses):
            if s["repo"] == full and s["sha"] == ref:
                latest.setdefault(s["context"], s)
        states = {s["state"] for s in latest.values()}
        if states & {"error", "failure"}:
            combined = "failure"
        elif not states or "pending" in states:
            combined = "pending"
        else:
            combined = "success"
        base = self._api_base(req)
        return Response(
            200,
            {
                "state": combined,
                "sha": ref,
                "total_count": len(latest),
                "statuses": [self._status_json(req, s) for s in latest.values()],
                "repository": self._repo_json(req, repo),
                "commit_url": f"{base}/repos/{full}/commits/{ref}",
                "url": f"{base}/repos/{full}/commits/{ref}/status",
            },
        )

    # -- releases, deployments, labels, permissions (mlci release, overrides) ----------------
    def add_ref(self, repo: str, ref: str, sha: str) -> None:
        """Make ``ref`` (a tag or branch name) known, so deployments can be created for it."""
        with self.lock:
            self._ensure_repo(repo)
            short = ref.removeprefix("refs/tags/").removeprefix("refs/heads/")
            self.state.refs[(repo, short)] = sha

    def add_label(
        self, repo: str, number: int, label: str, actor: str, *, remove: bool = False
    ) -> None:
        """``actor`` labels (or unlabels) issue/PR ``number``; GitHub records an issue event."""
        with self.lock:
            self._ensure_repo(repo)
            labels = self.state.labels.setdefault((repo, number), [])
            if remove and label in labels:
                labels.remove(label)
            elif not remove and label not in labels:
                labels.append(label)
            self.state.issue_events.append(
                {
                    "id": self.state.new_id(),
                    "repo": repo,
                    "number": number,
                    "event": "unlabeled" if remove else "labeled",
                    "label": label,
                    "actor": actor,
                    "created_at": now_iso(),
                }
            )

    def set_permission(self, repo: str, login: str, role: str) -> None:
        """``login``'s role on ``repo``; anyone else reads a public repository ("read")."""
        if role not in ROLE_PERMISSIONS:
            raise ValueError(f"unknown role {role!r}; expected one of {sorted(ROLE_PERMISSIONS)}")
        with self.lock:
            self._ensure_repo(repo)
            self.state.permissions[(repo, login)] = role

    def asset_bytes(self, asset_id: int) -> bytes:
        with self.lock:
            return bytes(self.state.assets[asset_id]["data"])

    def _release_control(self, path: str, body: Mapping[str, Any]) -> None:
        if path == "/_fake/refs":
            self.add_ref(body["repo"], body["ref"], body["sha"])
        elif path == "/_fake/labels":
            self.add_label(
                body["repo"],
                int(body["number"]),
                body["label"],
                body["actor"],
                remove=bool(body.get("remove", False)),
            )
        else:
            self.set_permission(body["repo"], body["login"], body["role"])

    def _release_snapshot(self) -> dict[str, Any]:
        s = self.state
        deployments = [
            dict(d, statuses=[st for st in s.deployment_statuses if st["deployment_id"] == d["id"]])
            for d in sorted(s.deployments.values(), key=_by_id)
        ]
        return {
            "releases": [self._release_state(r) for r in sorted(s.releases.values(), key=_by_id)],
            "deployments": deployments,
            "labels": [
                {"repo": k[0], "number": k[1], "labels": list(v)} for k, v in s.labels.items()
            ],
            "issue_events": [dict(e) for e in s.issue_events],
        }

    def _release_state(self, release: Mapping[str, Any]) -> dict[str, Any]:
        assets = [
            {k: v for k, v in a.items() if k != "data"}
            for a in sorted(self.state.assets.values(), key=_by_id)
            if a["release_id"] == release["id"]
        ]
        return dict(release, assets=assets)

    def _download(self, owner: str, name: str, tag: str, asset_name: str) -> Response:
        full, tag, asset_name = f"{owner}/{name}", unquote(tag), unquote(asset_name)
        with self.lock:
            for release in self.state.releases.values():
                if release["repo"] == full and _tag_path(release) == tag:
                    for asset in self.state.assets.values():
                        if asset["release_id"] == release["id"] and asset["name"] == asset_name:
                            headers = {"Content-Type": "application/octet-stream"}
                            return Response(200, bytes(asset["data"]), headers)
        return Response(404, {"message": "Not Found"})

    def _list_releases(self, req: Request, user, owner: str, name: str) -> Response:
        full = self._repo(owner, name)["full_name"]
        newest_first = sorted(self.state.releases.values(), key=_by_id, reverse=True)
        visible = [r for r in newest_first if r["repo"] == full and _can_see(user, r)]
        return self._page(req, [self._release_json(req, r) for r in visible])

    def _get_release(self, req: Request, user, owner: str, name: str, rid: str) -> Response:
        return Response(200, self._release_json(req, self._release(owner, name, rid, user)))

    def _get_release_by_tag(self, req: Request, user, owner: str, name: str, tag: str) -> Response:
        full, tag = self._repo(owner, name)["full_name"], unquote(tag)
        for release in self.state.releases.values():  # drafts have no tag yet: never found here
            if release["repo"] == full and release["tag_name"] == tag and not release["draft"]:
                return Response(200, self._release_json(req, release))
        raise ApiError(404, "Not Found")

    def _post_release(self, req: Request, user, owner: str, name: str) -> Response:
        full = self._repo(owner, name)["full_name"]
        fields = _release_fields(req.json(), creating=True)
        fields.setdefault("draft", False)
        if not fields["draft"] and self._published_tag(full, fields["tag_name"]):
            raise _tag_taken()
        stamp = now_iso()
        release = {
            "id": self.state.new_id(),
            "repo": full,
            "tag_name": fields["tag_name"],
            "target_commitish": fields.get("target_commitish") or "main",
            "name": fields.get("name"),
            "body": fields.get("body"),
            "draft": fields["draft"],
            "prerelease": fields.get("prerelease", False),
            "make_latest": fields.get("make_latest", "true"),
            "created_at": stamp,
            "published_at": None if fields["draft"] else stamp,
            "author": user["login"],
            "edits": 0,
        }
        self.state.releases[release["id"]] = release
        return Response(201, self._release_json(req, release))

    def _patch_release(self, req: Request, user, owner: str, name: str, rid: str) -> Response:
        release = self._release(owner, name, rid, user)
        fields = _release_fields(req.json(), creating=False)
        tag = fields.get("tag_name", release["tag_name"])
        if not fields.get("draft", release["draft"]) and self._published_tag(
            release["repo"], tag, other_than=release["id"]
        ):
            raise _tag_taken()
        was_draft = release["draft"]
        release.update(fields)
        if was_draft and not release["draft"]:
            release["published_at"] = now_iso()
        release["edits"] += 1
        return Response(200, self._release_json(req, release))

    def _delete_release(self, req: Request, user, owner: str, name: str, rid: str) -> Response:
        release = self._release(owner, name, rid, user)
        del self.state.releases[release["id"]]
        for asset in [a for a in self.state.assets.values() if a["release_id"] == release["id"]]:
            del self.state.assets[asset["id"]]
        return Response(204, None)

    def _list_assets(self, req: Request, user, owner: str, name: str, rid: str) -> Response:
        release = self._release(owner, name, rid, user)
        items = [a for a in sorted(self.state.assets.values(), key=_by_id)]
        mine = [
            self._asset_json(req, a, release) for a in items if a["release_id"] == release["id"]
        ]
        return self._page(req, mine)

    def _get_asset(self, req: Request, user, owner: str, name: str, aid: str) -> Response:
        asset = self._asset(owner, name, aid)
        return Response(200, self._asset_json(req, asset, self.state.releases[asset["release_id"]]))

    def _delete_asset(self, req: Request, user, owner: str, name: str, aid: str) -> Response:
        asset = self._asset(owner, name, aid)
        del self.state.assets[asset["id"]]
        return Response(204, None)

    def _upload_asset(self, req: Request, user, owner: str, name: str, rid: str) -> Response:
        release = self._release(owner, name, rid, user)
        asset_name = req.query.get("name", "")
        if not asset_name:
            raise validation_failed("ReleaseAsset", "name", "name can't be blank")
        if "content-type" not in req.headers:
            raise ApiError(400, "Content-Type header is required")
        taken = any(
            a["release_id"] == release["id"] and a["name"] == asset_name
            for a in self.state.assets.values()
        )
        if taken:
            error = {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}
            raise ApiError(422, "Validation Failed", errors=[error])
        stamp = now_iso()
        asset = {
            "id": self.state.new_id(),
            "release_id": release["id"],
            "repo": release["repo"],
            "name": asset_name,
            "label": req.query.get("label") or None,
            "content_type": req.headers["content-type"],
            "size": len(req.body),
            "sha256": hashlib.sha256(req.body).hexdigest(),
            "state": "uploaded",
            "uploader": user["login"],
            "created_at": stamp,
            "updated_at": stamp,
            "data": bytes(req.body),
        }
        self.state.assets[asset["id"]] = asset
        return Response(201, self._asset_json(req, asset, release))

    def _post_deployment(self, req: Request, user, owner: str, name: str) -> Response:
        full = self._repo(owner, name)["full_name"]
        payload = req.json()
        if not isinstance(payload, dict):
            raise ApiError(400, "Problems parsing JSON")
        ref = payload.get("ref")
        if not isinstance(ref, str) or not ref:
            raise validation_failed("Deployment", "ref", "ref can't be blank")
        sha = self._resolve_ref(full, ref)
        contexts = payload.get("required_contexts")
        self._check_required_contexts(full, ref, sha, contexts)
        description = payload.get("description")
        if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
            raise validation_failed("Deployment", "description", "description is too long")
        environment = payload.get("environment") or "production"
        extra = payload.get("payload", {})
        stamp = now_iso()
        deployment = {
            "id": self.state.new_id(),
            "repo": full,
            "ref": ref,
            "sha": sha,
            "task": payload.get("task") or "deploy",
            "payload": json.loads(extra) if isinstance(extra, str) and extra else extra or {},
            "environment": environment,
            "description": description,
            "auto_merge": payload.get("auto_merge", True),
            "required_contexts": contexts,
            "transient_environment": bool(payload.get("transient_environment", False)),
            "production_environment": bool(
                payload.get("production_environment", environment == "production")
            ),
            "creator": user["login"],
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.state.deployments[deployment["id"]] = deployment
        return Response(201, self._deployment_json(req, deployment))

    def _list_deployments(self, req: Request, user, owner: str, name: str) -> Response:
        full = self._repo(owner, name)["full_name"]
        filters = {k: req.query[k] for k in ("sha", "ref", "task", "environment") if k in req.query}
        items = [
            d
            for d in sorted(self.state.deployments.values(), key=_by_id, reverse=True)
            if d["repo"] == full and all(d[k] == v for k, v in filters.items())
        ]
        return self._page(req, [self._deployment_json(req, d) for d in items])

    def _get_deployment(self, req: Request, user, owner: str, name: str, did: str) -> Response:
        return Response(200, self._deployment_json(req, self._deployment(owner, name, did)))

    def _post_deployment_status(self, req: Request, user, owner: str, name: str, did: str):
        deployment = self._deployment(owner, name, did)
        payload = req.json()
        if not isinstance(payload, dict):
            raise ApiError(400, "Problems parsing JSON")
        state = payload.get("state")
        if state not in DEPLOYMENT_STATES:
            expected = ", ".join(DEPLOYMENT_STATES)
            raise validation_failed("DeploymentStatus", "state", f"state must be one of {expected}")
        description = payload.get("description") or ""
        if len(description) > MAX_DESCRIPTION_CHARS:
            raise validation_failed("DeploymentStatus", "description", "description is too long")
        log_url = payload.get("log_url") or payload.get("target_url") or ""
        stamp = now_iso()
        status = {
            "id": self.state.new_id(),
            "deployment_id": deployment["id"],
            "repo": deployment["repo"],
            "state": state,
            "description": description,
            "environment": payload.get("environment") or deployment["environment"],
            "log_url": log_url,
            "target_url": log_url,
            "environment_url": payload.get("environment_url") or "",
            "creator": user["login"],
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.state.deployment_statuses.append(status)
        if state == "success" and payload.get("auto_inactive", True):
            self._inactivate_others(deployment)
        return Response(201, self._deployment_status_json(req, status))

    def _list_deployment_statuses(self, req: Request, user, owner: str, name: str, did: str):
        deployment = self._deployment(owner, name, did)
        items = [s for s in reversed(self.state.deployment_statuses)]
        mine = [s for s in items if s["deployment_id"] == deployment["id"]]
        return self._page(req, [self._deployment_status_json(req, s) for s in mine])

    def _list_labels(self, req: Request, user, owner: str, name: str, number: str) -> Response:
        full = self._issue(owner, name, number)
        names = self.state.labels.get((full, int(number)), [])
        return self._page(req, [self._label_json(req, full, n) for n in names])

    def _list_issue_events(self, req: Request, user, owner: str, name: str, number: str):
        full = self._issue(owner, name, number)
        items = [
            e for e in self.state.issue_events if (e["repo"], e["number"]) == (full, int(number))
        ]
        return self._page(req, [self._issue_event_json(req, e) for e in items])

    def _get_permission(self, req: Request, user, owner: str, name: str, login: str) -> Response:
        full, login = self._repo(owner, name)["full_name"], unquote(login)
        role = self.state.permissions.get((full, login), "read")
        body = {
            "permission": ROLE_PERMISSIONS[role],  # legacy: maintain -> write, triage -> read
            "role_name": role,
            "user": self._user_json(req, login),
        }
        return Response(200, body)

    # helpers of the routes above (called with the lock held)
    def _release(self, owner: str, name: str, rid: str, user: Mapping[str, str]) -> dict[str, Any]:
        release = self.state.releases.get(int(rid))
        if release is None or release["repo"] != f"{owner}/{name}" or not _can_see(user, release):
            raise ApiError(404, "Not Found")
        return release

    def _asset(self, owner: str, name: str, aid: str) -> dict[str, Any]:
        asset = self.state.assets.get(int(aid))
        if asset is None or asset["repo"] != f"{owner}/{name}":
            raise ApiError(404, "Not Found")
        return asset

    def _deployment(self, owner: str, name: str, did: str) -> dict[str, Any]:
        deployment = self.state.deployments.get(int(did))
        if deployment is None or deployment["repo"] != f"{owner}/{name}":
            raise ApiError(404, "Not Found")
        return deployment

    def _published_tag(self, repo: str, tag: str, *, other_than: int | None = None) -> bool:
        return any(
            r["repo"] == repo and r["tag_name"] == tag and not r["draft"] and r["id"] != other_than
            for r in self.state.releases.values()
        )

    def _resolve_ref(self, repo: str, ref: str) -> str:
        if re.fullmatch(r"[0-9a-f]{40}", ref):
            return ref
        sha = self.state.refs.get(
            (repo, ref.removeprefix("refs/tags/").removeprefix("refs/heads/"))
        )
        if sha is None:
            raise ApiError(422, f"No ref found for: {ref}")
        return sha

    def _check_required_contexts(self, repo: str, ref: str, sha: str, contexts: Any) -> None:
        """Like GitHub: without ``required_contexts`` every status context must be success."""
        latest: dict[str, str] = {}
        for s in self.state.statuses:
            if s["repo"] == repo and s["sha"] == sha:
                latest[s["context"]] = s["state"]
        wanted = list(latest) if contexts is None else list(contexts)
        bad = [{"context": c, "state": latest.get(c, "missing")} for c in wanted]
        bad = [b for b in bad if b["state"] != "success"]
        if bad:
            error = {"contexts": bad, "resource": "Deployment", "field": "required_contexts"}
            raise ApiError(409, f"Conflict: Commit status checks failed for {ref}.", errors=[error])

    def _inactivate_others(self, deployment: Mapping[str, Any]) -> None:
        for other in self.state.deployments.values():
            same_env = (other["repo"], other["environment"]) == (
                deployment["repo"],
                deployment["environment"],
            )
            if other["id"] == deployment["id"] or not same_env or other["transient_environment"]:
                continue
            states = [
                s for s in self.state.deployment_statuses if s["deployment_id"] == other["id"]
            ]
            if states and states[-1]["state"] == "success":
                stamp = now_iso()
                self.state.deployment_statuses.append(
                    dict(
                        states[-1],
                        id=self.state.new_id(),
                        state="inactive",
                        description="",
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )

    def _release_json(self, req: Request, r: Mapping[str, Any]) -> dict[str, Any]:
        api = f"{self._api_base(req)}/repos/{r['repo']}"
        uploads = "/api/uploads" if req.prefix else "/uploads"
        assets = [a for a in sorted(self.state.assets.values(), key=_by_id)]
        return {
            "url": f"{api}/releases/{r['id']}",
            "html_url": f"http://{req.host}/{r['repo']}/releases/tag/{quote(_tag_path(r))}",
            "assets_url": f"{api}/releases/{r['id']}/assets",
            "upload_url": f"http://{req.host}{uploads}/repos/{r['repo']}/releases/{r['id']}"
            "/assets{?name,label}",
            "tarball_url": f"{api}/tarball/{quote(r['tag_name'])}",
            "zipball_url": f"{api}/zipball/{quote(r['tag_name'])}",
            "id": r["id"],
            "node_id": f"RE_{r['id']}",
            "tag_name": r["tag_name"],
            "target_commitish": r["target_commitish"],
            "name": r["name"],
            "body": r["body"],
            "draft": r["draft"],
            "prerelease": r["prerelease"],
            "immutable": False,
            "created_at": r["created_at"],
            "published_at": r["published_at"],
            "author": self._user_json(req, r["author"]),
            "assets": [self._asset_json(req, a, r) for a in assets if a["release_id"] == r["id"]],
        }

    def _asset_json(
        self, req: Request, a: Mapping[str, Any], release: Mapping[str, Any]
    ) -> dict[str, Any]:
        api = f"{self._api_base(req)}/repos/{a['repo']}"
        where = f"{a['repo']}/releases/download/{quote(_tag_path(release))}/{quote(a['name'])}"
        return {
            "url": f"{api}/releases/assets/{a['id']}",
            "browser_download_url": f"http://{req.host}/{where}",
            "id": a["id"],
            "node_id": f"RA_{a['id']}",
            "name": a["name"],
            "label": a["label"],
            "state": a["state"],
            "content_type": a["content_type"],
            "size": a["size"],
            "digest": f"sha256:{a['sha256']}",
            "download_count": 0,
            "created_at": a["created_at"],
            "updated_at": a["updated_at"],
            "uploader": self._user_json(req, a["uploader"]),
        }

    def _deployment_json(self, req: Request, d: Mapping[str, Any]) -> dict[str, Any]:
        api = f"{self._api_base(req)}/repos/{d['repo']}"
        return {
            "url": f"{api}/deployments/{d['id']}",
            "id": d["id"],
            "node_id": f"DE_{d['id']}",
            "sha": d["sha"],
            "ref": d["ref"],
            "task": d["task"],
            "payload": d["payload"],
            "original_environment": d["environment"],
            "environment": d["environment"],
            "description": d["description"],
            "creator": self._user_json(req, d["creator"]),
            "created_at": d["created_at"],
            "updated_at": d["updated_at"],
            "statuses_url": f"{api}/deployments/{d['id']}/statuses",
            "repository_url": api,
            "transient_environment": d["transient_environment"],
            "production_environment": d["production_environment"],
        }

    def _deployment_status_json(self, req: Request, s: Mapping[str, Any]) -> dict[str, Any]:
        api = f"{self._api_base(req)}/repos/{s['repo']}"
        return {
            "url": f"{api}/deployments/{s['deployment_id']}/statuses/{s['id']}",
            "id": s["id"],
            "node_id": f"DES_{s['id']}",
            "state": s["state"],
            "creator": self._user_json(req, s["creator"]),
            "description": s["description"],
            "environment": s["environment"],
            "target_url": s["target_url"],
            "log_url": s["log_url"],
            "environment_url": s["environment_url"],
            "created_at": s["created_at"],
            "updated_at": s["updated_at"],
            "deployment_url": f"{api}/deployments/{s['deployment_id']}",
            "repository_url": api,
        }

    def _label_json(self, req: Request, repo: str, label: str) -> dict[str, Any]:
        label_id = zlib.crc32(f"{repo}:{label}".encode())
        return {
            "id": label_id,
            "node_id": f"LA_{label_id}",
            "url": f"{self._api_base(req)}/repos/{repo}/labels/{quote(label)}",
            "name": label,
            "color": "ededed",
            "default": False,
            "description": None,
        }

    def _issue_event_json(self, req: Request, e: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": e["id"],
            "node_id": f"LE_{e['id']}",
            "url": f"{self._api_base(req)}/repos/{e['repo']}/issues/events/{e['id']}",
            "actor": self._user_json(req, e["actor"]),
            "event": e["event"],
            "commit_id": None,
            "commit_url": None,
            "created_at": e["created_at"],
            "label": {"name": e["label"], "color": "ededed"},
            "performed_via_github_app": None,
        }

    # -- state helpers (called with the lock held) -----------------------------------------
    def _ensure_repo(self, full: str, *, fork: bool = False) -> dict[str, Any]:
        if full not in self.state.repos:
            owner, _, name = full.partition("/")
            self.state.repos[full] = {
                "id": self.state.new_id(),
                "owner": owner,
                "name": name,
                "full_name": full,
                "fork": fork,
            }
        return self.state.repos[full]

    def _repo(self, owner: str, name: str) -> dict[str, Any]:
        repo = self.state.repos.get(f"{owner}/{name}")
        if repo is None:
            raise ApiError(404, "Not Found")
        return repo

    def _issue(self, owner: str, name: str, number: str) -> str:
        full = f"{owner}/{name}"
        self._repo(owner, name)
        if (full, int(number)) not in self.state.pulls:
            raise ApiError(404, "Not Found")
        return full

    def _comment(self, owner: str, name: str, cid: str) -> dict[str, Any]:
        comment = self.state.comments.get(int(cid))
        if comment is None or comment["repo"] != f"{owner}/{name}":
            raise ApiError(404, "Not Found")
        return comment

    def _create_comment(self, repo: str, number: int, body: str, login: str) -> dict[str, Any]:
        stamp = now_iso()
        comment = {
            "id": self.state.new_id(),
            "repo": repo,
            "number": number,
            "body": body,
            "login": login,
            "created_at": stamp,
            "updated_at": stamp,
            "edits": 0,
        }
        self.state.comments[comment["id"]] = comment
        return comment

    # -- JSON shapes -----------------------------------------------------------------------
    def _api_base(self, req: Request) -> str:
        return f"http://{req.host}{req.prefix}"

    def _user_json(self, req: Request, login: str) -> dict[str, Any]:
        uid = self.state.user_id(login)
        return {
            "login": login,
            "id": uid,
            "node_id": f"U_{uid}",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "site_admin": False,
            "url": f"{self._api_base(req)}/users/{login}",
            "html_url": f"http://{req.host}/{login}",
        }

    def _repo_json(self, req: Request, repo: Mapping[str, Any]) -> dict[str, Any]:
        full = repo["full_name"]
        return {
            "id": repo["id"],
            "node_id": f"R_{repo['id']}",
            "name": repo["name"],
            "full_name": full,
            "owner": self._user_json(req, repo["owner"]),
            "private": False,
            "fork": repo["fork"],
            "default_branch": "main",
            "url": f"{self._api_base(req)}/repos/{full}",
            "html_url": f"http://{req.host}/{full}",
        }

    def _pull_json(self, req: Request, full: str, pull: Mapping[str, Any]) -> dict[str, Any]:
        number = pull["number"]
        head_repo = self.state.repos.get(pull["head_repo"]) if pull["head_repo"] else None
        base_repo = self.state.repos[full]
        api = f"{self._api_base(req)}/repos/{full}"
        return {
            "id": 90000 + number,
            "node_id": f"PR_{number}",
            "number": number,
            "state": "open",
            "title": f"Pull request {number}",
            "user": self._user_json(req, "contributor"),
            "url": f"{api}/pulls/{number}",
            "html_url": f"http://{req.host}/{full}/pull/{number}",
            "issue_url": f"{api}/issues/{number}",
            "comments_url": f"{api}/issues/{number}/comments",
            "statuses_url": f"{api}/statuses/{pull['head_sha']}",
            "created_at": pull["created_at"],
            "updated_at": pull["created_at"],
            "merged": False,
            "head": {
                "label": f"{pull['head_repo'] or 'unknown'}:{pull['head_ref']}",
                "ref": pull["head_ref"],
                "sha": pull["head_sha"],
                "repo": self._repo_json(req, head_repo) if head_repo else None,
            },
            "base": {
                "label": f"{full}:{pull['base_ref']}",
                "ref": pull["base_ref"],
                "sha": "0" * 40,
                "repo": self._repo_json(req, base_repo),
            },
        }

    def _comment_json(self, req: Request, c: Mapping[str, Any]) -> dict[str, Any]:
        api = f"{self._api_base(req)}/repos/{c['repo']}"
        return {
            "id": c["id"],
            "node_id": f"IC_{c['id']}",
            "url": f"{api}/issues/comments/{c['id']}",
            "html_url": f"http://{req.host}/{c['repo']}/pull/{c['number']}#issuecomment-{c['id']}",
            "issue_url": f"{api}/issues/{c['number']}",
            "body": c["body"],
            "user": self._user_json(req, c["login"]),
            "created_at": c["created_at"],
            "updated_at": c["updated_at"],
            "author_association": "OWNER",
        }

    def _status_json(self, req: Request, s: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": s["id"],
            "node_id": f"SC_{s['id']}",
            "url": f"{self._api_base(req)}/repos/{s['repo']}/statuses/{s['sha']}",
            "state": s["state"],
            "description": s["description"],
            "target_url": s["target_url"],
            "context": s["context"],
            "avatar_url": None,
            "created_at": s["created_at"],
            "updated_at": s["updated_at"],
            "creator": self._user_json(req, s["creator"]),
        }

    def _page(self, req: Request, items: list[Any]) -> Response:
        per_page = min(_int_param(req.query, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
        page = _int_param(req.query, "page", 1)
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        url = f"{self._api_base(req)}{req.path}"
        rels = [("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)]
        for rel, number in rels:
            wanted = (rel in ("prev", "first") and page > 1) or (
                rel in ("next", "last") and page < last
            )
            if wanted:
                query = dict(req.query, per_page=str(per_page), page=str(number))
                links.append(f'<{url}?{urlencode(query)}>; rel="{rel}"')
        headers = {"Link": ", ".join(links)} if links else {}
        return Response(200, chunk, headers)


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", r"/user", FakeGitHub._get_user),
    ("GET", r"/repos/([^/]+)/([^/]+)", FakeGitHub._get_repo),
    ("GET", r"/repos/([^/]+)/([^/]+)/pulls/(\d+)", FakeGitHub._get_pull),
    ("GET", r"/repos/([^/]+)/([^/]+)/issues/(\d+)/comments", FakeGitHub._list_comments),
    ("POST", r"/repos/([^/]+)/([^/]+)/issues/(\d+)/comments", FakeGitHub._post_comment),
    ("GET", r"/repos/([^/]+)/([^/]+)/issues/comments/(\d+)", FakeGitHub._get_comment),
    ("PATCH", r"/repos/([^/]+)/([^/]+)/issues/comments/(\d+)", FakeGitHub._patch_comment),
    ("DELETE", r"/repos/([^/]+)/([^/]+)/issues/comments/(\d+)", FakeGitHub._delete_comment),
    ("POST", r"/repos/([^/]+)/([^/]+)/statuses/([^/]+)", FakeGitHub._post_status),
    ("GET", r"/repos/([^/]+)/([^/]+)/commits/([^/]+)/statuses", FakeGitHub._list_statuses),
    ("GET", r"/repos/([^/]+)/([^/]+)/statuses/([^/]+)", FakeGitHub._list_statuses),  # legacy
    ("GET", r"/repos/([^/]+)/([^/]+)/commits/([^/]+)/status", FakeGitHub._combined_status),
]
ROUTES += [  # releases and their assets, deployments, labels, permissions
    ("GET", r"/repos/([^/]+)/([^/]+)/releases", FakeGitHub._list_releases),
    ("POST", r"/repos/([^/]+)/([^/]+)/releases", FakeGitHub._post_release),
    ("GET", r"/repos/([^/]+)/([^/]+)/releases/tags/([^/]+)", FakeGitHub._get_release_by_tag),
    ("GET", r"/repos/([^/]+)/([^/]+)/releases/(\d+)", FakeGitHub._get_release),
    ("PATCH", r"/repos/([^/]+)/([^/]+)/releases/(\d+)", FakeGitHub._patch_release),
    ("DELETE", r"/repos/([^/]+)/([^/]+)/releases/(\d+)", FakeGitHub._delete_release),
    ("GET", r"/repos/([^/]+)/([^/]+)/releases/(\d+)/assets", FakeGitHub._list_assets),
    ("GET", r"/repos/([^/]+)/([^/]+)/releases/assets/(\d+)", FakeGitHub._get_asset),
    ("DELETE", r"/repos/([^/]+)/([^/]+)/releases/assets/(\d+)", FakeGitHub._delete_asset),
    (
        "POST",
        r"(?:/api)?/uploads/repos/([^/]+)/([^/]+)/releases/(\d+)/assets",
        FakeGitHub._upload_asset,
    ),
    ("POST", r"/repos/([^/]+)/([^/]+)/deployments", FakeGitHub._post_deployment),
    ("GET", r"/repos/([^/]+)/([^/]+)/deployments", FakeGitHub._list_deployments),
    ("GET", r"/repos/([^/]+)/([^/]+)/deployments/(\d+)", FakeGitHub._get_deployment),
    (
        "POST",
        r"/repos/([^/]+)/([^/]+)/deployments/(\d+)/statuses",
        FakeGitHub._post_deployment_status,
    ),
    (
        "GET",
        r"/repos/([^/]+)/([^/]+)/deployments/(\d+)/statuses",
        FakeGitHub._list_deployment_statuses,
    ),
    ("GET", r"/repos/([^/]+)/([^/]+)/issues/(\d+)/labels", FakeGitHub._list_labels),
    ("GET", r"/repos/([^/]+)/([^/]+)/issues/(\d+)/events", FakeGitHub._list_issue_events),
    (
        "GET",
        r"/repos/([^/]+)/([^/]+)/collaborators/([^/]+)/permission",
        FakeGitHub._get_permission,
    ),
]
RELEASE_CONTROLS = ("/_fake/refs", "/_fake/labels", "/_fake/permissions")
DEPLOYMENT_STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
# role -> the legacy `permission` GitHub reports beside it
ROLE_PERMISSIONS = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}
MAX_RELEASE_BODY = 125_000
_DOWNLOAD = re.compile(r"/([^/]+)/([^/]+)/releases/download/([^/]+)/([^/]+)")


def _tag_path(release: Mapping[str, Any]) -> str:
    """A draft has no tag on github.com's pages yet: ``untagged-<id>``."""
    return f"untagged-{release['id']}" if release["draft"] else str(release["tag_name"])


def _can_see(user: Mapping[str, str], release: Mapping[str, Any]) -> bool:
    """Drafts are visible only to users who can push."""
    return not release["draft"] or user["permission"] == "write"


def _tag_taken() -> ApiError:
    error = {"resource": "Release", "code": "already_exists", "field": "tag_name"}
    return ApiError(422, "Validation Failed", errors=[error])


def _release_fields(payload: Any, *, creating: bool) -> dict[str, Any]:
    """The release fields of a POST or PATCH body, type-checked like GitHub does."""
    if not isinstance(payload, dict):
        raise ApiError(400, "Problems parsing JSON")
    fields: dict[str, Any] = {}
    tag = payload.get("tag_name")
    if creating and (not isinstance(tag, str) or not tag):
        raise validation_failed("Release", "tag_name", "tag_name can't be blank")
    for key, kind in (
        ("tag_name", str),
        ("target_commitish", str),
        ("name", str),
        ("body", str),
        ("draft", bool),
        ("prerelease", bool),
        ("make_latest", str),
    ):
        if key in payload and payload[key] is not None:
            if not isinstance(payload[key], kind):
                raise validation_failed("Release", key, f"{key} is not a {kind.__name__}")
            fields[key] = payload[key]
    if len(fields.get("body") or "") > MAX_RELEASE_BODY:
        message = f"body is too long (maximum is {MAX_RELEASE_BODY} characters)"
        raise validation_failed("Release", "body", message)
    if fields.get("make_latest", "true") not in ("true", "false", "legacy"):
        raise validation_failed(
            "Release", "make_latest", "make_latest must be true, false or legacy"
        )
    return fields


def _by_id(item: Mapping[str, Any]) -> int:
    return int(item["id"])


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if value > 0 else default


def _comment_body(payload: Any) -> str:
    body = payload.get("body") if isinstance(payload, dict) else None
    if not isinstance(body, str) or not body:
        raise validation_failed("IssueComment", "body", "body can't be blank")
    if len(body) > MAX_COMMENT_CHARS:
        raise validation_failed(
            "IssueComment", "body", f"body is too long (maximum is {MAX_COMMENT_CHARS} characters)"
        )
    return body


def _status_fields(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ApiError(400, "Problems parsing JSON")
    state = payload.get("state")
    if state not in STATUS_STATES:
        raise validation_failed(
            "Status", "state", f"state must be one of {', '.join(STATUS_STATES)}"
        )
    context = payload.get("context")
    if not isinstance(context, str) or not context:
        raise validation_failed("Status", "context", "context can't be blank")
    description = payload.get("description")
    if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
        raise validation_failed(
            "Status",
            "description",
            f"description is too long (maximum is {MAX_DESCRIPTION_CHARS} characters)",
        )
    return {
        "state": state,
        "context": context,
        "description": description,
        "target_url": payload.get("target_url"),
    }


def _fault_error(fault: Fault) -> ApiError:
    if fault.kind == "status":
        return ApiError(fault.status, REASONS.get(fault.status, "Server Error"))
    if fault.kind == "primary_rate_limit":
        reset = int(time.time()) + fault.reset_in
        headers = {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Used": str(RATE_LIMIT),
            "X-RateLimit-Resource": "core",
        }
        status = 429 if fault.status == 429 else 403
        return ApiError(status, "API rate limit exceeded for user ID 1.", headers=headers)
    if fault.kind in ("secondary_rate_limit", "too_many_requests"):
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        status = 429 if fault.kind == "too_many_requests" or fault.status == 429 else 403
        return ApiError(status, SECONDARY_MESSAGE, headers=headers)
    if fault.kind == "bad_credentials":
        return ApiError(401, "Bad credentials")
    if fault.kind == "read_only":
        return ApiError(403, "Resource not accessible by integration")
    if fault.kind == "validation":
        return validation_failed(
            "IssueComment", "body", f"body is too long (maximum is {MAX_COMMENT_CHARS} characters)"
        )
    raise AssertionError(fault.kind)


@dataclass
class Request:
    method: str
    full_path: str  # as received, with prefix and query
    path: str  # without the /api/v3 prefix and query
    prefix: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    host: str
    token: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except ValueError as e:
            raise ApiError(400, "Problems parsing JSON") from e


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def _parse_request(handler: BaseHTTPRequestHandler, server_port: int) -> Request:
    split = urlsplit(handler.path)
    path = split.path.rstrip("/") or "/"
    prefix = ""
    if path == "/api/v3" or path.startswith("/api/v3/"):
        prefix, path = "/api/v3", path[len("/api/v3") :] or "/"
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
    headers = {k.lower(): v for k, v in handler.headers.items()}
    host = headers.get("host") or f"127.0.0.1:{server_port}"
    return Request(handler.command, handler.path, path, prefix, query, headers, body, host)


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeGitHub/1.0"

        def setup(self) -> None:
            super().setup()
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms stalls

        def _serve(self) -> None:
            request = _parse_request(self, fake.port)
            response = fake.handle(request)
            if isinstance(response.body, bytes):  # a release asset's content
                payload = response.body
            else:
                payload = b"" if response.body is None else json.dumps(response.body).encode()
            content_type = response.headers.pop("Content-Type", "application/json; charset=utf-8")
            try:
                self.send_response(response.status, REASONS.get(response.status))
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("X-GitHub-Request-Id", uuid.uuid4().hex[:16].upper())
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout fault)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local fake of the GitHub REST API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path, help="write the bound port here")
    parser.add_argument(
        "--token-file",
        type=Path,
        help='JSON: {"TOKEN": {"login": ..., "type": "user"|"installation", "permission": ...}}',
    )
    parser.add_argument("--state-file", type=Path, help="dump the final state here on exit")
    args = parser.parse_args(argv)
    tokens = json.loads(args.token_file.read_text()) if args.token_file else None
    fake = FakeGitHub(args.host, args.port, tokens)
    print(f"fake-github listening on http://{args.host}:{fake.port}", flush=True)
    if args.port_file:
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(str(fake.port))
        os.replace(tmp, args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=fake.stop).start())
    try:
        fake.httpd.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        if args.state_file:
            args.state_file.write_text(json.dumps(fake.snapshot(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
