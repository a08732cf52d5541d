"""A stateful local fake of the GitLab REST API calls of mlci's merge-request note.

It answers over real HTTP under ``/api/v4``, so tests drive mlci's real ``requests`` client
against it, and it is strict where GitLab is: the token in ``PRIVATE-TOKEN`` (a job token in
``JOB-TOKEN`` may not touch notes: 401), the ``api`` scope for writes (``read_api``: 403
insufficient_scope), only a note's author may edit or delete it (403), ``per_page`` capped at
100, notes newest first unless ``sort=asc``, the 1,000,000-character note limit, and
pagination through ``x-next-page``/``x-page``/``x-total`` and the ``Link`` header (either can
be switched off; ``link_base`` points the ``Link`` header at another host).
System notes ("added 1 commit") are listed like GitLab lists them.

Faults are queued with :meth:`FakeGitLab.add_faults` (see :class:`Fault`): a status (5xx,
403), ``rate_limit`` (429 with ``Retry-After`` or ``RateLimit-Reset``), ``timeout`` (answer
after ``delay`` s; a write lands first when ``apply``) and ``after`` (the write lands, then the
answer is an error).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

MAX_NOTE_CHARS = 1_000_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
PREFIX = "/api/v4"
INSUFFICIENT_SCOPE = "The request requires higher privileges than provided by the access token."
FAULT_KINDS = ("status", "rate_limit", "timeout", "after")


@dataclass
class Fault:
    """One queued fault, matched by method (or ``*``) and a regex searched in the path."""

    method: str
    path: str
    kind: str = "status"
    status: int = 500
    count: int = 1
    retry_after: int | None = None  # rate_limit: Retry-After seconds
    reset_in: int | None = None  # rate_limit: RateLimit-Reset, seconds from now
    delay: float = 2.0  # timeout
    apply: bool = False  # timeout: the write lands before the slow answer

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    def matches(self, method: str, path: str) -> bool:
        return (
            self.count > 0
            and self.method.upper() in (method, "*")
            and bool(re.search(self.path, path))
        )


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, dict(headers or {})


@dataclass
class State:
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    merge_requests: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 500


class FakeGitLab:
    """The fake server. ``tokens``: ``{TOKEN: {"id": 7, "username": "bot", "scope": "api"}}``."""

    def __init__(self, tokens: dict[str, dict[str, Any]] | None = None) -> None:
        self.lock = threading.RLock()
        self.state = State(tokens=dict(tokens or {}))
        self.pagination = ("link", "x-next-page")  # which pagination headers are sent
        self.link_base: str | None = None  # the Link header's host, when not the fake's own
        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.url}{PREFIX}"

    def start(self) -> FakeGitLab:
        serve = lambda: self.httpd.serve_forever(poll_interval=0.05)  # noqa: E731
        threading.Thread(target=serve, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- control -------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.state = State(tokens=self.state.tokens)
            self.pagination = ("link", "x-next-page")
            self.link_base = None

    def add_merge_request(self, project: str, iid: int, sha: str) -> None:
        with self.lock:
            web = f"{self.url}/{project}/-/merge_requests/{iid}"
            self.state.merge_requests[(project, iid)] = {"iid": iid, "sha": sha, "web_url": web}

    def move_head(self, project: str, iid: int, sha: str) -> None:
        with self.lock:
            self.state.merge_requests[(project, iid)]["sha"] = sha

    def seed_note(
        self, project: str, iid: int, body: str, *, author_id: int, system: bool = False
    ) -> int:
        with self.lock:
            return self._create(project, iid, body, author_id, system)["id"]

    def add_faults(self, *faults: Fault) -> None:
        with self.lock:
            self.state.faults.extend(faults)

    def notes(self, project: str, iid: int) -> list[dict[str, Any]]:
        with self.lock:
            found = [
                n for n in self.state.notes.values() if (n["project"], n["iid"]) == (project, iid)
            ]
            return [dict(n) for n in sorted(found, key=lambda n: n["id"])]

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.state.log]

    def token_leaked(self) -> bool:
        return any(r["token_leak"] for r in self.requests())

    # -- handling --------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes):
        split = urlsplit(raw_path)
        path = split.path.rstrip("/")
        entry = {
            "method": method,
            "path": raw_path,
            "status": None,
            "token_leak": self._token_leak(raw_path, headers, body),
        }
        with self.lock:
            self.state.log.append(entry)
        try:
            if not path.startswith(PREFIX + "/"):
                raise ApiError(404, {"error": "404 Not Found"})
            answer = self._api(method, path[len(PREFIX) :], split.query, headers, body)
        except ApiError as e:
            answer = (e.status, e.body, e.headers)
        with self.lock:
            entry["status"] = answer[0]
        return answer

    def _api(self, method, path, query, headers, body):
        user = self._authenticate(headers)
        fault = self._take_fault(method, path)
        if fault is not None and fault.kind in ("status", "rate_limit"):
            raise _fault_error(fault)
        if fault is not None and fault.kind == "timeout" and not fault.apply:
            self.stopping.wait(fault.delay)
            raise ApiError(504, {"message": "504 Gateway Timeout"})
        answer = self._route(
            method, path, {k: v[-1] for k, v in parse_qs(query).items()}, user, body
        )
        if fault is not None and fault.kind == "timeout":
            self.stopping.wait(fault.delay)
        if fault is not None and fault.kind == "after":
            raise ApiError(fault.status, {"message": f"{fault.status} Bad Gateway"})
        return answer

    def _authenticate(self, headers: dict[str, str]) -> dict[str, Any]:
        token = headers.get("private-token", "").strip()
        with self.lock:
            spec = self.state.tokens.get(token) if token else None
        if spec is None:  # no token, an unknown one, or a JOB-TOKEN (not allowed on notes)
            raise ApiError(401, {"message": "401 Unauthorized"})
        return spec

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.state.faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    return fault
        return None

    def _token_leak(self, raw_path: str, headers: dict[str, str], body: bytes) -> bool:
        with self.lock:
            tokens = list(self.state.tokens)
        places = [raw_path, body.decode("utf-8", "replace")]
        places += [v for k, v in headers.items() if k != "private-token"]
        return any(t in p for t in tokens for p in places)

    def _route(self, method, path, query, user, body):
        if method == "GET" and path == "/user":
            return 200, {"id": user["id"], "username": user["username"], "bot": True}, {}
        match = _MR.fullmatch(path)
        if match is None:
            raise ApiError(404, {"error": "404 Not Found"})
        project, iid, rest = unquote(match[1]), int(match[2]), match[3] or ""
        with self.lock:
            mr = self.state.merge_requests.get((project, iid))
        if mr is None:
            raise ApiError(404, {"message": "404 Not found"})
        if method == "GET" and rest == "":
            return 200, dict(mr), {}
        if rest == "/notes" and method == "GET":
            return self._list(project, iid, query)
        if method in ("POST", "PUT", "DELETE") and user.get("scope", "api") != "api":
            raise ApiError(
                403,
                {
                    "error": "insufficient_scope",
                    "scope": "api",
                    "error_description": INSUFFICIENT_SCOPE,
                },
            )
        if rest == "/notes" and method == "POST":
            with self.lock:
                return 201, self._create(project, iid, _note_body(body), user["id"], False), {}
        edit = re.fullmatch(r"/notes/(\d+)", rest)
        if edit and method == "PUT":
            return 200, self._update(project, iid, int(edit[1]), _note_body(body), user), {}
        if edit and method == "DELETE":
            self._delete(project, iid, int(edit[1]), user)
            return 204, None, {}
        raise ApiError(404, {"error": "404 Not Found"})

    def _list(self, project: str, iid: int, query: dict[str, str]):
        notes = self.notes(project, iid)
        if query.get("sort", "desc") != "asc":
            notes.reverse()
        per_page = min(_int(query.get("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE)
        page = _int(query.get("page"), 1)
        chunk = notes[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(notes)
        headers = {"x-page": str(page), "x-per-page": str(per_page), "x-total": str(len(notes))}
        if "x-next-page" in self.pagination:
            headers["x-next-page"] = str(page + 1) if more else ""
        if "link" in self.pagination and more:
            base = f"{self.link_base or self.url}{PREFIX}/projects/{project.replace('/', '%2F')}"
            url = f"{base}/merge_requests/{iid}/notes"
            headers["Link"] = f'<{url}?{urlencode({**query, "page": page + 1})}>; rel="next"'
        return 200, [_public(n) for n in chunk], headers

    def _create(self, project: str, iid: int, body: str, author_id: int, system: bool) -> dict:
        self.state.next_id += 1
        note = {
            "id": self.state.next_id,
            "project": project,
            "iid": iid,
            "body": body,
            "author_id": author_id,
            "system": system,
            "created_at": _now(),
            "updated_at": _now(),
            "edits": 0,
        }
        self.state.notes[note["id"]] = note
        return _public(note)

    def _delete(self, project: str, iid: int, note_id: int, user: dict[str, Any]) -> None:
        with self.lock:
            note = self._own_note(project, iid, note_id, user)
            del self.state.notes[note["id"]]

    def _own_note(self, project: str, iid: int, note_id: int, user: dict[str, Any]) -> dict:
        note = self.state.notes.get(note_id)
        if note is None or (note["project"], note["iid"]) != (project, iid):
            raise ApiError(404, {"message": "404 Note Not Found"})
        if note["author_id"] != user["id"] or note["system"]:
            raise ApiError(403, {"message": "403 Forbidden"})
        return note

    def _update(self, project: str, iid: int, note_id: int, body: str, user) -> dict[str, Any]:
        with self.lock:
            note = self._own_note(project, iid, note_id, user)
            note.update(body=body, updated_at=_now(), edits=note["edits"] + 1)
            return _public(note)


_MR = re.compile(r"/projects/([^/]+)/merge_requests/(\d+)(/notes(?:/\d+)?)?")


def _public(note: dict[str, Any]) -> dict[str, Any]:
    author = {"id": note["author_id"], "username": f"user{note['author_id']}"}
    return {
        "id": note["id"],
        "type": None,
        "body": note["body"],
        "author": author,
        "created_at": note["created_at"],
        "updated_at": note["updated_at"],
        "system": note["system"],
        "noteable_type": "MergeRequest",
        "noteable_iid": note["iid"],
    }


def _note_body(raw: bytes) -> str:
    try:
        payload = json.loads(raw or b"null")
    except ValueError:
        raise ApiError(400, {"error": "body is invalid"}) from None
    body = payload.get("body") if isinstance(payload, dict) else None
    if not isinstance(body, str) or not body.strip():
        raise ApiError(400, {"error": "body is missing"})
    if len(body) > MAX_NOTE_CHARS:
        raise ApiError(
            400, {"message": {"note": [f"is too long (maximum is {MAX_NOTE_CHARS} characters)"]}}
        )
    return body


def _fault_error(fault: Fault) -> ApiError:
    if fault.kind == "rate_limit":
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.reset_in is not None:
            headers["RateLimit-Reset"] = str(int(time.time()) + fault.reset_in)
        return ApiError(429, {"message": "Retry later"}, headers)
    return ApiError(
        fault.status, {"message": f"{fault.status} {_REASONS.get(fault.status, 'Error')}"}
    )


_REASONS = {
    403: "Forbidden",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def _int(raw: str | None, default: int) -> int:
    return int(raw) if raw is not None and raw.isdigit() and int(raw) > 0 else default


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _handler_for(fake: FakeGitLab) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms stalls

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, data, extra = fake.handle(self.command, self.path, headers, body)
            payload = b"" if data is None else json.dumps(data).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
