"""A local stand-in for s3.amazonaws.com/echo.api/: serves PEM chains, or fails on purpose.

It runs `http.server` in a thread on 127.0.0.1 and a free port. The app's real
`HttpCertFetcher` is pointed at it through `resolve`, the one substitution at the network
edge. It counts the downloads so tests can see the verifier's cache at work.
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

Mode = Literal["serve", "error", "hang"]


@dataclass
class CertServer:
    """Serves `chains[name]` at /echo.api/<name>.pem; `mode` makes every answer fail instead.

    "error" answers 500; "hang" holds the connection without answering until the server
    stops (or `hang_seconds` pass); `stop()` leaves the port closed, so fetches are refused.
    """

    chains: dict[str, bytes]
    mode: Mode = "serve"
    hang_seconds: float = 30.0
    downloads: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _released: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def start(self) -> CertServer:
        """Starts serving on a free port."""
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving and releases hung requests; the port then refuses connections."""
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def resolve(self, url: str) -> str:
        """Maps any public chain URL onto this server, keeping its path as sent."""
        parts = urlsplit(url)
        return f"http://127.0.0.1:{self.port}{parts.path}"

    def count(self, name: str) -> int:
        """How many times the chain `name` was asked for."""
        with self._lock:
            return self.downloads.count(name)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = posixpath.normpath(urlsplit(self.path).path)
                name = posixpath.basename(path).removesuffix(".pem")
                with stand_in._lock:
                    stand_in.downloads.append(name)
                if stand_in.mode == "hang":
                    stand_in._released.wait(stand_in.hang_seconds)
                    return
                body = stand_in.chains.get(name) if path.startswith("/echo.api/") else None
                if stand_in.mode == "error" or body is None:
                    self.send_error(500 if stand_in.mode == "error" else 404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-pem-file")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Keeps the test output quiet."""

        return Handler


@contextmanager
def cert_server(chains: dict[str, bytes]) -> Iterator[CertServer]:
    """A running CertServer, stopped afterwards."""
    server = CertServer(chains=dict(chains)).start()
    try:
        yield server
    finally:
        server.stop()
