"""A git server over HTTP that authenticates like GitHub's, for tests of git credentials.

Bare repositories under ``root`` are served with git's smart HTTP protocol (``git http-backend``
as a CGI program). A client authenticates with HTTP basic auth ``x-access-token:TOKEN`` (what
``actions/checkout`` and mlci send); ``tokens`` maps a token to ``"read"`` or ``"write"``.
Fetching needs no token when ``public`` is true (a public repository), else a known one;
pushing needs a ``"write"`` token. Every request is recorded with the token it carried.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Seen:
    """One request: its method, path, service, the token it carried and the answer's status."""

    method: str
    path: str
    service: str
    token: str | None
    status: int


class GitHttpServer:
    def __init__(self, root: Path, *, tokens: Mapping[str, str], public: bool = False) -> None:
        self.root, self.tokens, self.public = root, dict(tokens), public
        self.seen: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def repo_url(self, name: str) -> str:
        return f"{self.url}/{name}"

    def start(self) -> GitHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def pushes(self) -> list[Seen]:
        """The receive-pack POSTs (the pushes that got as far as sending objects)."""
        return [s for s in self.seen if s.method == "POST" and s.service == "git-receive-pack"]

    def allowed(self, service: str, token: str | None) -> int:
        """200 when ``token`` may use ``service``; else 401 (no or unknown token) or 403."""
        permission = self.tokens.get(token or "")
        if service == "git-receive-pack":
            if permission == "write":
                return 200
            return 403 if permission else 401
        return 200 if permission or self.public else 401


def _token(header: str | None) -> str | None:
    """The token of an ``Authorization: Basic base64(x-access-token:TOKEN)`` header."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return password if user == "x-access-token" else None


def _service(path: str, query: str) -> str:
    if path.endswith("/info/refs"):
        return query.removeprefix("service=")
    return path.rsplit("/", 1)[-1]


def _handler(server: GitHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            service = _service(url.path, url.query)
            token = _token(self.headers.get("Authorization"))
            body = self._body()
            status = server.allowed(service, token)
            server.seen.append(Seen(self.command, url.path, service, token, status))
            if status != 200:
                self.send_response(status)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._backend(url.path, url.query, body)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _backend(self, path: str, query: str, body: bytes) -> None:
            env = {
                "PATH": os.environ.get("PATH", ""),
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REMOTE_USER": "x-access-token",  # lets http-backend accept pushes
                "REMOTE_ADDR": "127.0.0.1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull,
            }
            done = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            headers = [line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")]
            status = next((int(v.split()[0]) for k, v in headers if k.lower() == "status"), 200)
            self.send_response(status)
            for name, value in headers:
                if name.lower() != "status":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
