"""A trivial HTTP API that records what it is asked (the act harness's proof of the API URL)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    """Requests a RecordingAPI received: method, path and headers (lower-case names)."""

    requests: list[dict[str, Any]] = field(default_factory=list)


class RecordingAPI:
    """A trivial HTTP server on 127.0.0.1 answering every GET with 200 and recording it."""

    def __init__(self) -> None:
        recorded = self.recorded = Recorded()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                recorded.requests.append({"method": "GET", "path": self.path, "headers": headers})
                body = json.dumps({"ok": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.recorded.requests

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
