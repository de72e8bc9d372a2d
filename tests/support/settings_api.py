"""A local stand-in for the Alexa Settings API, speaking its wire format over real HTTP.

GET /v2/devices/{deviceId}/settings/System.timeZone with a Bearer token answers a JSON
string such as "America/New_York", 204 when unset, or 401/500 as configured.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

PATH_PREFIX = "/v2/devices/"
PATH_SUFFIX = "/settings/System.timeZone"


@dataclass
class SettingsApi:
    """Device time zones to answer with, and a count of the calls received."""

    zones: dict[str, str] = field(default_factory=dict)
    token: str = "test-api-token"
    status: int = 200
    calls: int = 0
    url: str = ""


@contextmanager
def settings_api_server() -> Iterator[SettingsApi]:
    """Runs the stand-in on 127.0.0.1 on a free port for the duration of the block."""
    state = SettingsApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.calls += 1
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                self._reply(401, {"message": "Access token is invalid"})
                return
            if not (self.path.startswith(PATH_PREFIX) and self.path.endswith(PATH_SUFFIX)):
                self._reply(404, {"message": "not found"})
                return
            if state.status != 200:
                self._reply(state.status, {"message": "failure"})
                return
            device = unquote(self.path[len(PATH_PREFIX): -len(PATH_SUFFIX)])
            zone = state.zones.get(device)
            if zone is None:
                self.send_response(204)
                self.end_headers()
                return
            self._reply(200, zone)

        def _reply(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
