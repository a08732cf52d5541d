"""A stateful local fake of the parts of the GitHub REST API that mlci uses.

It answers over real HTTP, so tests drive the real PyGithub client against it, and it is honest
where GitHub is strict: tokens and permissions, ``per_page`` capped at 100, the 65,536-character
comment body limit, the 140-character status description, the status state enum, Link-header
pagination, and ``X-RateLimit-*`` headers. Faults (5xx, a write that lands but answers 502, rate
limits, timeouts, 401, 422) are queued through control endpoints under ``/_fake/``.

Every API path is served under both ``/`` (github.com style) and ``/api/v3`` (GHES style).

In-process::

    fake = FakeGitHub()
    fake.start()            # 127.0.0.1, free port, daemon thread
    fake.url                # "http://127.0.0.1:PORT"
    fake.stop()

As a process (end-to-end tests)::

    python tests/github/fake_github.py --port 0 --port-file /tmp/port --token-file tokens.json

Control endpoints (no auth needed):

- ``GET  /_fake/state``   comments, statuses, pulls, the request log and ``token_leaked``
- ``POST /_fake/reset``   forget everything but the configured tokens
- ``POST /_fake/pulls``   ``{"repo": "o/r", "number": 7, "head_sha": "...", "head_repo": "o/r",
  "head_ref": "feature", "base_ref": "main"}``
- ``POST /_fake/comments`` seed a comment: ``{"repo", "number", "body", "login"}``
- ``POST /_fake/faults``  a fault or a list of faults (see :class:`Fault`)
- ``POST /_fake/tokens``  ``{"TOKEN": {"login": "...", "type": "user"|"installation",
  "permission": "write"|"read"}}``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

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
    """One queued fault, matched by method and a regex searched in the API path (no prefix)."""

    method: str
    path: str
    kind: str = "status"
    status: int = 500
    count: int = 1
    retry_after: int | None = None  # seconds, for rate limits
    reset_in: int = 1  # seconds until X-RateLimit-Reset, primary rate limit
    delay: float = 2.0  # seconds, timeout
    apply: bool = False  # timeout: apply the write (before the slow answer)

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

    def matches(self, method: str, path: str) -> bool:
        return (
            self.count > 0
            and self.method.upper() in (method, "*")
            and bool(re.search(self.path, path))
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
                    }
                )
            )

    # -- request handling ------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path.startswith("/_fake/"):
            return self._control(req)
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
                if fault.matches(req.method, req.path):
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
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            try:
                self.send_response(response.status, REASONS.get(response.status))
                self.send_header("Content-Type", "application/json; charset=utf-8")
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
